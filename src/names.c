/*
 * names.c -- lists of column names: the one quoting rule of every option
 * and call that takes names (-c, -g, the aggregates' and order's items,
 * the filter's names), and the file's columns written back unambiguously
 * in messages.
 *
 * A list is items separated by commas; spaces around an item are not part
 * of it; an item in "double quotes" may hold anything (commas, spaces at
 * its ends, quotes written twice).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "internal.h"

static int cs_bare(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return 0;
	return 1;
}

size_t cs_name_text(const char *name, char *out, size_t cap)
{
	size_t o = 0;
#define CS_PUT(c)                                                                            \
	do {                                                                                 \
		if (o + 1 < cap)                                                             \
			out[o] = (c);                                                        \
		o++;                                                                         \
	} while (0)
	if (cs_bare(name)) {
		for (const char *s = name; *s; s++)
			CS_PUT(*s);
	} else {
		CS_PUT('"');
		for (const char *s = name; *s; s++) {
			if (*s == '"')
				CS_PUT('"');
			CS_PUT(*s);
		}
		CS_PUT('"');
	}
#undef CS_PUT
	if (cap)
		out[o < cap ? o : cap - 1] = '\0';
	return o;
}

void cs_columns_text(const colstore_reader *r, char *out, size_t cap)
{
	size_t o = 0;
	if (cap)
		out[0] = '\0';
	for (uint32_t k = 0; r && k < r->num_columns && o + 1 < cap; k++) {
		if (k) {
			snprintf(out + o, cap - o, ", ");
			o += 2;
		}
		if (o + 1 >= cap)
			break;
		o += cs_name_text(r->columns[k].name, out + o, cap - o);
	}
	if (o + 1 >= cap && cap > 4) /* cut: say so */
		memcpy(out + cap - 4, "...", 4);
}

int cs_name_next(const char **p, char *out, size_t cap, colstore_error *err)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s && !**p)
		return 0; /* an empty list */
	size_t o = 0;
	if (*s == '"') {
		for (s++;; s++) {
			if (!*s)
				return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
				              "unclosed quote in the name list '%s'", *p), -1;
			if (*s == '"' && s[1] != '"')
				break;
			if (*s == '"')
				s++;
			if (o + 1 >= cap)
				return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "a name longer "
				              "than %zu bytes in '%s'", cap - 1, *p), -1;
			out[o++] = *s;
		}
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s && *s != ',')
			return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
			              "text after a quoted name in '%s' (a list is \"name\", name, ...)", *p),
			       -1;
	} else {
		const char *e = s;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t == s)
			return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
			              "an empty name in the list '%s'", *p), -1;
		if ((size_t)(t - s) >= cap)
			return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
			              "a name longer than %zu bytes in '%s'", cap - 1, *p), -1;
		memcpy(out, s, (size_t)(t - s));
		o = (size_t)(t - s);
		s = e;
	}
	out[o] = '\0';
	if (*s == ',' && !s[1 + strspn(s + 1, " \t")])
		return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
		              "an empty name at the end of the list '%s'", *p), -1;
	*p = *s == ',' ? s + 1 : s;
	return 1;
}

char *cs_list_cut(char **p)
{
	char *s = *p, *e = s;
	int depth = 0;
	char quote = 0; /* inside "a name", or 'a string' within parentheses
	                 * (a bare name may hold an apostrophe) */
	if (!s)
		return NULL;
	for (; *e && (*e != ',' || depth || quote); e++) {
		if (quote ? *e == quote : *e == '"' || (*e == '\'' && depth))
			quote = quote ? 0 : *e;
		else if (!quote)
			depth += (*e == '(') - (*e == ')');
	}
	*p = *e ? e + 1 : NULL;
	*e = '\0';
	return s;
}

int colstore_reader_find_columns(const colstore_reader *r, const char *list, uint32_t **out,
                                 uint32_t *n, colstore_error *err)
{
	if (!r || !list || !out || !n)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "reader, list, out and n are required");
	*out = NULL;
	*n = 0;
	size_t cap = 1;
	for (const char *s = list; *s; s++)
		cap += *s == ',';
	uint32_t *cols = malloc(cap * sizeof(*cols));
	char *name = malloc(strlen(list) + 1);
	if (!cols || !name) {
		free(cols);
		free(name);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	const char *p = list;
	int got, rc = COLSTORE_OK;
	uint32_t k = 0;
	while ((got = cs_name_next(&p, name, strlen(list) + 1, err)) > 0) {
		if ((rc = colstore_reader_find_column(r, name, &cols[k], err)))
			break;
		k++;
	}
	if (!rc && got < 0)
		rc = COLSTORE_EPARSE;
	if (!rc && k == 0)
		rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "no names in the list '%s'", list);
	free(name);
	if (rc) {
		free(cols);
		return rc;
	}
	*out = cols;
	*n = k;
	return COLSTORE_OK;
}

/* a result column's name as written, or with spaces and ASCII case ignored */
int cs_name_is(const char *name, const char *s, size_t n)
{
	if (strlen(name) == n && memcmp(name, s, n) == 0)
		return 1;
	size_t i = 0, j = 0;
	for (;;) {
		while (name[i] == ' ' || name[i] == '\t')
			i++;
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (!name[i] || j == n)
			return !name[i] && j == n;
		if (tolower((unsigned char)name[i]) != tolower((unsigned char)s[j]))
			return 0;
		i++;
		j++;
	}
}


int cs_order_item(char **sp, char *name, size_t cap, size_t *np, int *desc, colstore_error *err)
{
	char *s = *sp;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	*desc = 0;
	for (int d = 0; d < 2; d++) { /* a last word asc or desc */
		const char *w = d ? "desc" : "asc";
		size_t wl = strlen(w);
		if (n > wl && isspace((unsigned char)s[n - wl - 1]) && strncasecmp(s + n - wl, w, wl) == 0) {
			*desc = d;
			n -= wl;
			while (n && isspace((unsigned char)s[n - 1]))
				n--;
			break;
		}
	}
	s[n] = '\0';
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') { /* "a ""quoted"" name" */
		const char *q = s;
		if (cs_name_next(&q, name, cap, err) < 0)
			return -1;
		s = name;
		n = strlen(name);
	}
	*sp = s;
	*np = n;
	return 0;
}
