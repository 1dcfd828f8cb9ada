/*
 * import_lenient.c -- what the CSV import's lenient mode does with a record
 * that strict mode refuses: pad it, trim it, or reject it (not stored, and
 * written to the rejects file), so that no value is ever moved into
 * another column.  The rules are in README.md, "Messy CSV".
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "import.h"

static const char cs_why_table[] = "after the end of the table";

int cs_imp_is_header_row(const cs_import *im, const cs_csv *c)
{
	if (c->nfields != im->ncols)
		return 0;
	for (uint32_t i = 0; i < c->nfields; i++) {
		const cs_csv_field *f = &c->fields[i];
		const char *name = im->cols[i].name;
		if (!f->len || f->p[0] != name[0]) /* data rows end here, at once */
			return 0;
		size_t nl = strlen(name);
		if ((f->flags & CS_CSV_ESCAPED) || f->len != nl || memcmp(f->p, name, nl))
			return 0;
	}
	return 1;
}

static const void *cs_find(const char *p, size_t n, const uint8_t *d, size_t dn)
{
	for (size_t i = 0; i + dn <= n; i++)
		if ((uint8_t)p[i] == d[0] && memcmp(p + i, d, dn) == 0)
			return p + i;
	return NULL;
}

int cs_imp_classify_any(const cs_import *im, const cs_csv *c, cs_reject *r, colstore_error *err)
{
	if (!im->o->lenient) {
		int rc = cs_imp_check_width(im, c, err);
		return rc ? -rc : c->nfields < im->ncols ? CS_ROW_PAD : CS_ROW_OK;
	}
	r->line = c->rec_line;
	r->at = (uint64_t)(c->rec_start - im->data);
	r->len = (uint64_t)(c->rec_end - c->rec_start);
	r->nfields = c->nfields;
	r->col = -1;
	r->why = NULL;
	if (c->bad) {
		r->why = c->bad;
		return CS_ROW_REJECT;
	}
	if (im->table_end && r->at >= im->table_end) {
		r->why = cs_why_table;
		return CS_ROW_REJECT;
	}
	for (uint32_t i = 0; i < c->nfields; i++)
		if (c->fields[i].len > im->max_field) {
			r->why = "a field longer than the limit (--max-field-size)";
			return CS_ROW_REJECT;
		}
	if (im->header && cs_imp_is_header(im, c)) {
		r->why = "repeats the header row";
		return CS_ROW_REJECT;
	}
	if (c->nfields == im->ncols)
		return CS_ROW_OK;
	if (c->nfields < im->ncols) {
		/* "1,a,2" in quotes as one field: quoted differently, not short */
		for (uint32_t i = 0; i < c->nfields; i++) {
			const cs_csv_field *f = &c->fields[i];
			if ((f->flags & CS_CSV_QUOTED) &&
			    cs_find(f->p, f->len, im->dialect.delim, im->dialect.dlen)) {
				r->why = "fewer fields than the header, and a quoted field holds the "
				         "delimiter (the row is quoted differently)";
				return CS_ROW_REJECT;
			}
		}
		return CS_ROW_PAD;
	}
	for (uint32_t i = im->ncols; i < c->nfields; i++)
		if (c->fields[i].len || (c->fields[i].flags & CS_CSV_QUOTED))
			return CS_ROW_REJECT; /* said from nfields */
	return CS_ROW_TRIM;
}

int cs_imp_bad_forced(const cs_import *im, const cs_csv *c, cs_scratch *sc, cs_reject *r)
{
	uint32_t n = c->nfields < im->ncols ? c->nfields : im->ncols;
	for (uint32_t i = 0; i < n; i++) {
		const cs_icol *col = &im->cols[i];
		const cs_csv_field *f = &c->fields[i];
		if (!col->forced || col->type == COLSTORE_TYPE_STRING || cs_imp_is_null(im, f))
			continue;
		const char *p;
		uint32_t len;
		int64_t iv;
		double dv;
		if (cs_imp_text(sc, f, &p, &len) == COLSTORE_OK &&
		    cs_imp_parse_value(col, p, len, &iv, &dv))
			continue;
		r->line = c->rec_line;
		r->at = (uint64_t)(c->rec_start - im->data);
		r->len = (uint64_t)(c->rec_end - c->rec_start);
		r->nfields = c->nfields;
		r->col = (int32_t)i;
		r->vat = (uint64_t)((const uint8_t *)f->p - im->data);
		r->vlen = f->len;
		r->why = NULL;
		return 1;
	}
	return 0;
}

static void cs_keep_line(uint64_t *lines, uint64_t count, uint64_t line)
{
	if (count < COLSTORE_REJECT_LINES)
		lines[count] = line;
}

int cs_tally_add(cs_tally *t, int kind, uint64_t line, const cs_reject *r)
{
	if (kind == CS_ROW_PAD) {
		cs_keep_line(t->padded_lines, t->padded++, line);
	} else if (kind == CS_ROW_TRIM) {
		cs_keep_line(t->trimmed_lines, t->trimmed++, line);
	} else if (kind == CS_ROW_REJECT) {
		if (t->nrej == t->caprej) {
			size_t cap = t->caprej ? t->caprej * 2 : 16;
			cs_reject *p = realloc(t->rej, cap * sizeof(*p));
			if (!p)
				return COLSTORE_ENOMEM;
			t->rej = p;
			t->caprej = cap;
		}
		t->rej[t->nrej++] = *r;
		t->rejected++;
	}
	return COLSTORE_OK;
}

/* why r was rejected, in words */
static void cs_reject_reason(const cs_import *im, const cs_reject *r, char *out, size_t n)
{
	if (r->why == cs_why_table)
		snprintf(out, n, "%s (another table starts at line %llu)", r->why,
		         (unsigned long long)im->table2_line);
	else if (r->why)
		snprintf(out, n, "%s", r->why);
	else if (r->col >= 0) {
		const cs_icol *col = &im->cols[r->col];
		int k = r->vlen < 40 ? (int)r->vlen : 40;
		snprintf(out, n, "'%.*s%s' is not a valid %s (column '%s')", k,
		         (const char *)im->data + r->vat, (uint32_t)k < r->vlen ? "..." : "",
		         colstore_type_name(col->type), col->name);
	} else
		snprintf(out, n, "%u fields, expected %u", r->nfields, im->ncols);
}

/* s as a quoted CSV field */
static void cs_put_quoted(FILE *f, const char *s, size_t n)
{
	putc('"', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putc('"', f);
		putc(s[i], f);
	}
	putc('"', f);
}

int cs_imp_tally_merge(cs_import *im, cs_tally *t, colstore_error *err)
{
	return cs_imp_tally_merge_before(im, t, UINT64_MAX, err);
}

int cs_imp_tally_merge_before(cs_import *im, cs_tally *t, uint64_t before, colstore_error *err)
{
	cs_tally *all = &im->sh->tally;
	for (uint64_t k = 0; k < t->padded && k < COLSTORE_REJECT_LINES; k++)
		cs_keep_line(all->padded_lines, all->padded + k, t->padded_lines[k]);
	for (uint64_t k = 0; k < t->trimmed && k < COLSTORE_REJECT_LINES; k++)
		cs_keep_line(all->trimmed_lines, all->trimmed + k, t->trimmed_lines[k]);
	all->padded += t->padded;
	all->trimmed += t->trimmed;
	t->padded = t->trimmed = 0;
	int rc = COLSTORE_OK;
	size_t k = 0;
	for (; k < t->nrej && t->rej[k].line < before && !rc; k++) {
		const cs_reject *r = &t->rej[k];
		char why[300];
		cs_reject_reason(im, r, why, sizeof(why));
		if (!all->rejected) {
			size_t n = strlen(why) < sizeof(im->sh->first_reject) ? strlen(why)
			                                                  : sizeof(im->sh->first_reject) - 1;
			memcpy(im->sh->first_reject, why, n);
			im->sh->first_reject[n] = '\0';
		}
		cs_keep_line(im->sh->rej_first, all->rejected, r->line);
		all->rejected++;
		if (im->sh->rej) {
			cs_put_quoted(im->sh->rej, im->path, strlen(im->path));
			fprintf(im->sh->rej, ",%llu,", (unsigned long long)r->line);
			cs_put_quoted(im->sh->rej, why, strlen(why));
			putc(',', im->sh->rej);
			cs_put_quoted(im->sh->rej, (const char *)im->data + r->at, r->len);
			putc('\n', im->sh->rej);
			if (ferror(im->sh->rej))
				rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
				            "cannot write the rejects file %s", im->o->rejects_path);
		}
		if (!rc && im->o->max_rejects && all->rejected > im->o->max_rejects)
			rc = cs_imp_at(err, COLSTORE_EPARSE, r->line, 0,
			               "more than %llu rows rejected (--max-rejects); this one: %s",
			               (unsigned long long)im->o->max_rejects, why);
	}
	/* those from line `before` on wait for the next call */
	if (k && k < t->nrej)
		memmove(t->rej, t->rej + k, (t->nrej - k) * sizeof(*t->rej));
	t->nrej -= k;
	t->rejected -= k;
	return rc;
}

int cs_imp_tables_ok(const cs_import *im, uint64_t from, uint64_t line)
{
	cs_csv c;
	colstore_error e;
	if (cs_csv_init(&c, im->data, im->size, &im->dialect))
		return 0;
	c.pos = c.start + from;
	c.line = line;
	c.expect = im->ncols;
	int ok = cs_csv_next(&c, &e) == 1 && c.nfields == im->ncols && c.rec_line == line;
	cs_csv_free(&c);
	return ok;
}

/* is there an empty line just before the record at p (LF, CRLF or CR)? */
static int cs_blank_before(const uint8_t *start, const uint8_t *p)
{
	if (p > start && p[-1] == '\n')
		p--;
	else if (p > start && p[-1] == '\r')
		p--;
	else
		return 0;
	if (p[0] == '\n' && p > start && p[-1] == '\r')
		p--; /* that break was a CRLF */
	return p > start && (p[-1] == '\n' || p[-1] == '\r');
}

int cs_imp_second_table(const cs_import *im, const cs_csv *c, cs_csv *peek, uint64_t *at,
                        uint64_t *line)
{
	uint32_t w = c->nfields;
	if (w == im->ncols || w < 2 || c->bad || !cs_blank_before(c->start, c->rec_start))
		return 0;
	colstore_error e;
	peek->pos = c->pos;
	peek->line = c->line;
	if (cs_csv_next(peek, &e) != 1 || peek->nfields != w || peek->bad)
		return 0;
	*at = (uint64_t)(c->rec_start - c->start);
	*line = c->rec_line;
	return 1;
}

int cs_imp_rejects_open(cs_import *im, colstore_error *err)
{
	const char *path = im->o->rejects_path;
	if (!path)
		return COLSTORE_OK;
	int fd;
	int rc = cs_tmp_create(path, &fd, &im->sh->rej_tmp, &im->sh->rej_target, err);
	if (rc)
		return rc;
	im->sh->rej = fdopen(fd, "w");
	if (!im->sh->rej) {
		close(fd);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	fputs("file,line,reason,text\n", im->sh->rej);
	return COLSTORE_OK;
}

int cs_imp_rejects_flush(cs_import *im, colstore_error *err)
{
	if (im->sh->rej && fflush(im->sh->rej) != 0)
		return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "cannot write the rejects file %s",
		              im->o->rejects_path);
	return COLSTORE_OK;
}

int cs_imp_rejects_close(cs_import *im, int ok, colstore_error *err)
{
	if (!im->sh->rej)
		return COLSTORE_OK;
	int rc = COLSTORE_OK;
	if (ok && fflush(im->sh->rej) != 0)
		rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "cannot write the rejects file %s",
		            im->o->rejects_path);
	if (ok && !rc && im->sh->rej_tmp) {
		int fd = dup(fileno(im->sh->rej));
		fclose(im->sh->rej);
		im->sh->rej = NULL;
		if (fd < 0)
			rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "cannot write the rejects file %s",
			            im->o->rejects_path);
		else
			rc = cs_tmp_commit(fd, im->sh->rej_tmp, im->sh->rej_target, err);
	} else {
		fclose(im->sh->rej);
		im->sh->rej = NULL;
		if (im->sh->rej_tmp) {
			unlink(im->sh->rej_tmp);
			cs_tmp_forget(im->sh->rej_tmp);
		}
	}
	free(im->sh->rej_tmp);
	free(im->sh->rej_target);
	im->sh->rej_tmp = im->sh->rej_target = NULL;
	return rc;
}
