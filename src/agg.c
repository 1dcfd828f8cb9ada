/*
 * agg.c -- colstore_agg: group-by aggregation over row groups.
 *
 * Groups live in one hash table keyed by the bytes of their group-by values
 * (a null flag, then an int64, the double's bits, or a length and bytes).
 * Row groups that the filter's zone maps exclude are not read.  One thread,
 * row at a time for now: the dense per-code path for dictionary keys, the
 * threads and the spill to disk for huge group counts are still to come.
 */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <xxhash.h>

#include "internal.h"

enum { A_COUNT_STAR, A_COUNT, A_SUM, A_MIN, A_MAX, A_AVG };

typedef struct cs_aggspec {
	int fn;
	uint32_t col;
	uint8_t type;   /* the column's */
	char *name;     /* as written */
	colstore_type out_type;
} cs_aggspec;

typedef struct cs_acc { /* one aggregate of one group */
	int64_t n;       /* values seen */
	int64_t i;       /* integer sum, or min/max */
	double d;        /* float sum, or min/max */
	uint32_t soff, slen; /* string min/max: in the string arena */
} cs_acc;

struct colstore_agg {
	colstore_reader *r;
	colstore_filter *filter;
	uint32_t ngb, nagg;
	uint32_t *gb;    /* group-by columns */
	cs_aggspec *aggs;
	/* groups */
	uint64_t ngroups, cap;
	uint64_t *key_off; /* per group: key bytes in keys */
	uint32_t *key_len;
	cs_acc *acc;       /* ngroups * nagg */
	uint8_t *keys;
	size_t keys_len, keys_cap;
	uint64_t *slots;   /* (hash32 << 32) | (group + 1) */
	size_t nslots;
	char *strs;        /* string arena for min/max */
	size_t strs_len, strs_cap;
	uint64_t *order;   /* sorted groups */
	uint32_t *code_gid; /* single DICT group key: group of each code, or UINT32_MAX */
	uint32_t null_gid;  /* and the group of its null */
	uint32_t rg_read, rg_skipped;
	int ran;
};

static int cs_grow_bytes(void **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

void colstore_agg_free(colstore_agg *a)
{
	if (!a)
		return;
	colstore_filter_free(a->filter);
	for (uint32_t k = 0; k < a->nagg; k++)
		free(a->aggs[k].name);
	free(a->aggs);
	free(a->gb);
	free(a->key_off);
	free(a->key_len);
	free(a->acc);
	free(a->keys);
	free(a->slots);
	free(a->strs);
	free(a->order);
	free(a->code_gid);
	free(a);
}

static char *cs_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int cs_is_numeric(uint8_t t)
{
	return t != COLSTORE_TYPE_STRING && t != COLSTORE_TYPE_BOOL && t != COLSTORE_TYPE_DATE &&
	       t != COLSTORE_TYPE_TIMESTAMP;
}

static int cs_is_float(uint8_t t)
{
	return t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64;
}

static int cs_parse_aggs(colstore_agg *a, const char *list, colstore_error *err)
{
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	a->aggs = calloc(cap, sizeof(cs_aggspec));
	int rc = a->aggs ? COLSTORE_OK : cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	static const char *const fns[] = { "count", "count", "sum", "min", "max", "avg" };
	for (char *item = strtok_r(copy, ",", &save); !rc && item; item = strtok_r(NULL, ",", &save)) {
		char *it = cs_trim(item);
		char *lp = strchr(it, '('), *rp = strrchr(it, ')');
		if (!lp || !rp || rp < lp || rp[1] != '\0') {
			rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
			            "'%s' is not an aggregate: write fn(column), fn one of count sum min "
			            "max avg, or count(*)", it);
			break;
		}
		cs_aggspec *s = &a->aggs[a->nagg];
		s->name = strdup(it); /* as written, before it is cut up */
		if (!s->name) {
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			break;
		}
		a->nagg++;
		size_t fl = (size_t)(lp - it);
		char fn[16] = "";
		snprintf(fn, sizeof(fn), "%.*s", (int)(fl < 15 ? fl : 15), it);
		for (char *q = fn; *q; q++)
			*q = (char)(*q | 0x20);
		*rp = '\0';
		char *arg = cs_trim(lp + 1);
		s->fn = -1;
		for (int k = 1; k < 6; k++)
			if (!strcmp(cs_trim(fn), fns[k]))
				s->fn = k;
		if (s->fn < 0) {
			rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
			            "unknown aggregate '%s' (count sum min max avg)", fn);
			break;
		}
		if (s->fn == A_COUNT && !strcmp(arg, "*")) {
			s->fn = A_COUNT_STAR;
		} else if (colstore_reader_find_column(a->r, arg, &s->col, NULL)) {
			rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "%s: no column named '%s'",
			            s->name, arg);
			break;
		} else {
			s->type = a->r->columns[s->col].type;
			if ((s->fn == A_SUM || s->fn == A_AVG) && !cs_is_numeric(s->type)) {
				rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
				            "%s: column '%s' is %s; sum and avg need a number column", s->name, arg,
				            colstore_type_name(s->type));
				break;
			}
		}
		s->out_type = s->fn == A_COUNT_STAR || s->fn == A_COUNT ? COLSTORE_TYPE_INT64
		              : s->fn == A_AVG                          ? COLSTORE_TYPE_FLOAT64
		              : s->fn == A_SUM ? (cs_is_float(s->type) ? COLSTORE_TYPE_FLOAT64
		                                                       : COLSTORE_TYPE_INT64)
		                               : (colstore_type)s->type;
	}
	if (!rc && a->nagg == 0)
		rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "no aggregate given");
	free(copy);
	return rc;
}

int colstore_agg_create(colstore_reader *r, const char *aggs, const char *group_by,
                        const char *where, colstore_agg **out, colstore_error *err)
{
	if (!r || !aggs || !out)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "reader, aggs and out are required");
	*out = NULL;
	colstore_agg *a = calloc(1, sizeof(*a));
	if (!a)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	a->r = r;
	int rc = cs_parse_aggs(a, aggs, err);
	if (!rc && group_by && *group_by) {
		char *copy = strdup(group_by), *save = NULL;
		a->gb = calloc(strlen(group_by) + 1, sizeof(uint32_t));
		for (char *t = strtok_r(copy, ",", &save); !rc && t; t = strtok_r(NULL, ",", &save)) {
			char *name = cs_trim(t);
			if (colstore_reader_find_column(r, name, &a->gb[a->ngb], NULL))
				rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
				            "--group-by: no column named '%s'", name);
			else
				a->ngb++;
		}
		free(copy);
	}
	if (!rc && where && *where)
		rc = colstore_filter_parse(r, where, &a->filter, err);
	if (rc) {
		colstore_agg_free(a);
		return rc;
	}
	*out = a;
	return COLSTORE_OK;
}

static int cs_group_cmp(const void *pa, const void *pb, void *ctx);
static void cs_key_cell(const colstore_agg *a, uint64_t g, uint32_t k, colstore_cell *c);

/* ---- groups -------------------------------------------------------------------- */

static int64_t cs_group(colstore_agg *a, const uint8_t *key, size_t len)
{
	if (a->ngroups * 2 >= a->nslots) {
		size_t n = a->nslots ? a->nslots * 2 : 1024;
		uint64_t *s = calloc(n, sizeof(*s));
		if (!s)
			return -1;
		for (size_t k = 0; k < a->nslots; k++)
			if (a->slots[k]) {
				size_t i = (a->slots[k] >> 32) & (n - 1);
				while (s[i])
					i = (i + 1) & (n - 1);
				s[i] = a->slots[k];
			}
		free(a->slots);
		a->slots = s;
		a->nslots = n;
	}
	uint32_t h = (uint32_t)XXH3_64bits(key, len);
	size_t mask = a->nslots - 1, i = h & mask;
	for (uint64_t v; (v = a->slots[i]) != 0; i = (i + 1) & mask) {
		if ((uint32_t)(v >> 32) != h)
			continue;
		uint64_t g = (uint32_t)v - 1;
		if (a->key_len[g] == len && memcmp(a->keys + a->key_off[g], key, len) == 0)
			return (int64_t)g;
	}
	if (a->ngroups >= UINT32_MAX - 1)
		return -1;
	if (a->ngroups == a->cap) {
		uint64_t cap = a->cap ? a->cap * 2 : 256;
		uint64_t *ko = realloc(a->key_off, cap * sizeof(*ko));
		if (ko)
			a->key_off = ko;
		uint32_t *kl = realloc(a->key_len, cap * sizeof(*kl));
		if (kl)
			a->key_len = kl;
		cs_acc *ac = realloc(a->acc, cap * a->nagg * sizeof(*ac));
		if (ac)
			a->acc = ac;
		if (!ko || !kl || !ac)
			return -1;
		a->cap = cap;
	}
	if (cs_grow_bytes((void **)&a->keys, &a->keys_cap, a->keys_len + len + 1))
		return -1;
	uint64_t g = a->ngroups++;
	if (len)
		memcpy(a->keys + a->keys_len, key, len);
	a->key_off[g] = a->keys_len;
	a->key_len[g] = (uint32_t)len;
	a->keys_len += len;
	memset(&a->acc[g * a->nagg], 0, a->nagg * sizeof(cs_acc));
	a->slots[i] = ((uint64_t)h << 32) | (g + 1);
	return (int64_t)g;
}

/* value of row i of v as int64 / double; string as pointer */
static int64_t cs_ival(const colstore_values *v, uint32_t i)
{
	switch (v->type) {
	case COLSTORE_TYPE_INT8: return ((const int8_t *)v->data)[i];
	case COLSTORE_TYPE_INT16: return ((const int16_t *)v->data)[i];
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: return ((const int32_t *)v->data)[i];
	case COLSTORE_TYPE_BOOL: return cs_bit_get(v->data, i);
	default: return ((const int64_t *)v->data)[i];
	}
}

static double cs_dval(const colstore_values *v, uint32_t i)
{
	return v->type == COLSTORE_TYPE_FLOAT32 ? (double)((const float *)v->data)[i]
	                                        : ((const double *)v->data)[i];
}

static void cs_sval(const colstore_reader *r, uint32_t col, const colstore_values *v, uint32_t i,
                    const char **s, uint32_t *len)
{
	if (v->encoding == COLSTORE_ENCODING_DICT) {
		uint32_t code = v->code_width == 1   ? ((const uint8_t *)v->data)[i]
		                : v->code_width == 2 ? ((const uint16_t *)v->data)[i]
		                                     : ((const uint32_t *)v->data)[i];
		if (colstore_reader_dict_lookup(r, col, code, s, len, NULL)) {
			*s = "";
			*len = 0;
		}
	} else {
		const uint32_t *o = v->data;
		*s = v->bytes + o[i];
		*len = o[i + 1] - o[i];
	}
}

static int cs_is_valid(const colstore_values *v, uint32_t i)
{
	return !v->validity || cs_bit_get(v->validity, i);
}

static int cs_update(colstore_agg *a, cs_acc *acc, const cs_aggspec *s, const colstore_values *v,
                     uint32_t i, colstore_error *err)
{
	if (s->fn == A_COUNT_STAR) {
		acc->n++;
		return COLSTORE_OK;
	}
	if (!cs_is_valid(v, i))
		return COLSTORE_OK; /* nulls are skipped */
	int first = acc->n == 0;
	acc->n++;
	switch (s->fn) {
	case A_COUNT: return COLSTORE_OK;
	case A_SUM:
	case A_AVG:
		if (cs_is_float(s->type) || s->fn == A_AVG) {
			acc->d += cs_is_float(s->type) ? cs_dval(v, i) : (double)cs_ival(v, i);
		} else if (__builtin_add_overflow(acc->i, cs_ival(v, i), &acc->i)) {
			return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET,
			              "%s overflows int64", s->name);
		}
		return COLSTORE_OK;
	default: break;
	}
	int want_min = s->fn == A_MIN;
	if (s->type == COLSTORE_TYPE_STRING) {
		const char *str;
		uint32_t len;
		cs_sval(a->r, s->col, v, i, &str, &len);
		int c = first ? 0 : cs_bytes_cmp(str, len, a->strs + acc->soff, acc->slen);
		if (first || (want_min ? c < 0 : c > 0)) {
			if (cs_grow_bytes((void **)&a->strs, &a->strs_cap, a->strs_len + len + 1))
				return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			memcpy(a->strs + a->strs_len, str, len);
			acc->soff = (uint32_t)a->strs_len; /* the arena only grows: old copies stay */
			acc->slen = len;
			a->strs_len += len;
		}
	} else if (cs_is_float(s->type)) {
		double x = cs_dval(v, i);
		if (isnan(x)) { /* NaN is not ordered: ignored unless nothing else */
			if (first)
				acc->d = x;
			return COLSTORE_OK;
		}
		if (first || isnan(acc->d) || (want_min ? x < acc->d : x > acc->d))
			acc->d = x;
	} else {
		int64_t x = cs_ival(v, i);
		if (first || (want_min ? x < acc->i : x > acc->i))
			acc->i = x;
	}
	return COLSTORE_OK;
}

#define CS_ROWS(BODY)                                                            \
	for (uint32_t i = 0; i < n; i++) {                                       \
		uint32_t g_ = gid[i];                                            \
		if (g_ == UINT32_MAX || (vb && !cs_bit_get(vb, i)))              \
			continue;                                                \
		cs_acc *acc = &a->acc[(uint64_t)g_ * a->nagg + k];               \
		BODY                                                             \
	}

#define CS_MINMAX(T, FIELD)                                                       \
	do {                                                                      \
		const T *x = v->data;                                             \
		if (want_min)                                                     \
			CS_ROWS(if (!acc->n++ || x[i] < acc->FIELD) acc->FIELD = x[i];) \
		else                                                              \
			CS_ROWS(if (!acc->n++ || x[i] > acc->FIELD) acc->FIELD = x[i];) \
	} while (0)

#define CS_SUMI(T)                                                                \
	do {                                                                      \
		const T *x = v->data;                                             \
		CS_ROWS(acc->n++; if (__builtin_add_overflow(acc->i, (int64_t)x[i], &acc->i)) \
		        return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET,   \
		                      "%s overflows int64", s->name);)            \
	} while (0)

#define CS_SUMD(T)                                                                \
	do {                                                                      \
		const T *x = v->data;                                             \
		CS_ROWS(acc->n++; acc->d += (double)x[i];)                         \
	} while (0)

/* one aggregate over one row group's column */
static int cs_accumulate(colstore_agg *a, uint32_t k, const colstore_values *v,
                         const uint32_t *gid, uint32_t n, colstore_error *err)
{
	const cs_aggspec *s = &a->aggs[k];
	const uint8_t *vb = v ? v->validity : NULL;
	if (s->fn == A_COUNT_STAR || s->fn == A_COUNT) {
		CS_ROWS(acc->n++;)
		return COLSTORE_OK;
	}
	uint8_t t = s->type;
	int want_min = s->fn == A_MIN;
	if (s->fn == A_SUM && !cs_is_float(t)) {
		switch (t) {
		case COLSTORE_TYPE_INT8: CS_SUMI(int8_t); break;
		case COLSTORE_TYPE_INT16: CS_SUMI(int16_t); break;
		case COLSTORE_TYPE_INT32: CS_SUMI(int32_t); break;
		default: CS_SUMI(int64_t); break;
		}
		return COLSTORE_OK;
	}
	if (s->fn == A_SUM || s->fn == A_AVG) {
		switch (t) {
		case COLSTORE_TYPE_INT8: CS_SUMD(int8_t); break;
		case COLSTORE_TYPE_INT16: CS_SUMD(int16_t); break;
		case COLSTORE_TYPE_INT32: CS_SUMD(int32_t); break;
		case COLSTORE_TYPE_INT64: CS_SUMD(int64_t); break;
		case COLSTORE_TYPE_FLOAT32: CS_SUMD(float); break;
		default: CS_SUMD(double); break;
		}
		return COLSTORE_OK;
	}
	/* min / max */
	switch (t) {
	case COLSTORE_TYPE_INT8: CS_MINMAX(int8_t, i); break;
	case COLSTORE_TYPE_INT16: CS_MINMAX(int16_t, i); break;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: CS_MINMAX(int32_t, i); break;
	case COLSTORE_TYPE_INT64:
	case COLSTORE_TYPE_TIMESTAMP: CS_MINMAX(int64_t, i); break;
	default: /* floats (NaN rules), bool, strings: row by row */
		for (uint32_t i = 0; i < n; i++) {
			if (gid[i] == UINT32_MAX)
				continue;
			int rc = cs_update(a, &a->acc[(uint64_t)gid[i] * a->nagg + k], s, v, i, err);
			if (rc)
				return rc;
		}
		break;
	}
	return COLSTORE_OK;
}

static size_t cs_key_part(const colstore_agg *a, uint32_t k, const colstore_values *v, uint32_t i,
                          uint8_t *out)
{
	if (!cs_is_valid(v, i)) {
		out[0] = 1; /* null */
		return 1;
	}
	out[0] = 0;
	uint8_t t = v->type;
	if (t == COLSTORE_TYPE_STRING) {
		const char *s;
		uint32_t len;
		cs_sval(a->r, a->gb[k], v, i, &s, &len);
		memcpy(out + 1, &len, 4);
		memcpy(out + 5, s, len);
		return 5 + len;
	}
	if (cs_is_float(t)) {
		double d = cs_dval(v, i);
		if (d == 0)
			d = 0; /* -0.0 groups with 0.0 */
		if (isnan(d))
			d = NAN;
		memcpy(out + 1, &d, 8);
	} else {
		int64_t x = cs_ival(v, i);
		memcpy(out + 1, &x, 8);
	}
	return 9;
}

int colstore_agg_run(colstore_agg *a, colstore_error *err)
{
	if (!a || a->ran)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "run an aggregation once");
	a->ran = 1;
	colstore_reader *r = a->r;
	uint32_t ncols = r->num_columns;
	colstore_buffers *b = colstore_buffers_create();
	colstore_values *vals = calloc(ncols, sizeof(*vals));
	uint8_t *sel = malloc(COLSTORE_MAX_ROW_GROUP_SIZE / 8);
	uint8_t *need = calloc(ncols, 1);
	size_t keycap = 4096;
	uint8_t *key = malloc(keycap);
	uint32_t *gid = malloc(COLSTORE_MAX_ROW_GROUP_SIZE * sizeof(uint32_t));
	a->null_gid = UINT32_MAX;
	if (a->ngb == 1 && r->columns[a->gb[0]].dict_count) {
		a->code_gid = malloc(r->columns[a->gb[0]].dict_count * sizeof(uint32_t));
		if (a->code_gid)
			memset(a->code_gid, 0xff, r->columns[a->gb[0]].dict_count * sizeof(uint32_t));
	}
	int rc = (!b || !vals || !sel || !need || !key || !gid ||
	          (a->ngb == 1 && r->columns[a->gb[0]].dict_count && !a->code_gid))
	                 ? cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory")
	                 : COLSTORE_OK;
	for (uint32_t k = 0; k < a->ngb && !rc; k++)
		need[a->gb[k]] = 1;
	for (uint32_t k = 0; k < a->nagg && !rc; k++)
		if (a->aggs[k].fn != A_COUNT_STAR)
			need[a->aggs[k].col] = 1;
	if (!rc && a->ngb == 0 && cs_group(a, (const uint8_t *)"", 0) < 0)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t g = 0; !rc && g < r->num_row_groups; g++) {
		if (a->filter && !colstore_filter_may_match(a->filter, g)) {
			a->rg_skipped++;
			continue;
		}
		a->rg_read++;
		uint32_t n = cs_chunk_at(r, g, 0)->row_count;
		uint64_t matches = n;
		if (a->filter && (rc = colstore_filter_eval(a->filter, g, b, sel, &matches, err)))
			break;
		if (matches == 0)
			continue;
		for (uint32_t c = 0; c < ncols && !rc; c++)
			if (need[c])
				rc = colstore_reader_values(r, g, c, b, &vals[c], err);
		if (rc)
			break;
		/* 1: the group of every selected row (UINT32_MAX: not selected) */
		for (uint32_t i = 0; !rc && i < n; i++) {
			if (a->filter && !cs_bit_get(sel, i)) {
				gid[i] = UINT32_MAX;
				continue;
			}
			if (a->ngb == 0) {
				gid[i] = 0;
				continue;
			}
			const colstore_values *v0 = &vals[a->gb[0]];
			if (a->ngb == 1 && a->code_gid && v0->encoding == COLSTORE_ENCODING_DICT &&
			    v0->type == COLSTORE_TYPE_STRING) {
				/* a dictionary key: one look-up per code, not per row */
				uint32_t code = 0;
				if (cs_is_valid(v0, i))
					code = v0->code_width == 1   ? ((const uint8_t *)v0->data)[i]
					       : v0->code_width == 2 ? ((const uint16_t *)v0->data)[i]
					                             : ((const uint32_t *)v0->data)[i];
				uint32_t *slot = cs_is_valid(v0, i) ? &a->code_gid[code] : &a->null_gid;
				if (*slot != UINT32_MAX) {
					gid[i] = *slot;
					continue;
				}
				/* first sight of this code: find its group by its bytes */
				size_t len = cs_key_part(a, 0, v0, i, key);
				int64_t g0 = cs_group(a, key, len);
				if (g0 < 0) {
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
					break;
				}
				*slot = (uint32_t)g0;
				gid[i] = (uint32_t)g0;
				continue;
			}
			size_t len = 0;
			for (uint32_t k = 0; k < a->ngb; k++) {
				const colstore_values *v = &vals[a->gb[k]];
				size_t most = 9;
				if (v->type == COLSTORE_TYPE_STRING) {
					const char *s;
					uint32_t sl = 0;
					if (cs_is_valid(v, i))
						cs_sval(r, a->gb[k], v, i, &s, &sl);
					most = 5 + (size_t)sl;
				}
				if (cs_grow_bytes((void **)&key, &keycap, len + most)) {
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
					break;
				}
				len += cs_key_part(a, k, v, i, key + len);
			}
			if (rc)
				break;
			int64_t grp = cs_group(a, key, len);
			if (grp < 0) {
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
				            "out of memory for %llu groups", (unsigned long long)a->ngroups);
				break;
			}
			gid[i] = (uint32_t)grp;
		}
		/* 2: each aggregate over its column, the type decided once */
		for (uint32_t k = 0; k < a->nagg && !rc; k++)
			rc = cs_accumulate(a, k, a->aggs[k].fn == A_COUNT_STAR ? NULL : &vals[a->aggs[k].col],
			                   gid, n, err);
		/* done with this row group: drop its pages, so that the resident
		 * set stays flat however large the file (they fault back in from
		 * the page cache if read again) */
		uint64_t lo, hi; /* the group's whole span: the kernel maps
		                  * neighbouring pages around a fault */
		cs_row_group_span(r, g, &lo, &hi);
		if (!rc && r->mapped && lo < hi)
			cs_map_release(r->data, lo, hi);
	}
	free(key);
	free(gid);
	free(need);
	free(sel);
	free(vals);
	colstore_buffers_free(b);
	if (rc)
		return rc;
	a->order = malloc((a->ngroups ? a->ngroups : 1) * sizeof(uint64_t));
	if (!a->order)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint64_t g = 0; g < a->ngroups; g++)
		a->order[g] = g;
	if (a->ngb && a->ngroups > 1)
		qsort_r(a->order, a->ngroups, sizeof(uint64_t), cs_group_cmp, a);
	return COLSTORE_OK;
}

/* ---- results --------------------------------------------------------------------- */

/* decode group-by value k of group g */
static void cs_key_cell(const colstore_agg *a, uint64_t g, uint32_t k, colstore_cell *c)
{
	const uint8_t *p = a->keys + a->key_off[g];
	for (uint32_t j = 0; j < k; j++) {
		if (p[0])
			p += 1;
		else if (a->r->columns[a->gb[j]].type == COLSTORE_TYPE_STRING) {
			uint32_t len;
			memcpy(&len, p + 1, 4);
			p += 5 + len;
		} else
			p += 9;
	}
	memset(c, 0, sizeof(*c));
	c->type = (colstore_type)a->r->columns[a->gb[k]].type;
	c->is_null = p[0];
	if (c->is_null)
		return;
	if (c->type == COLSTORE_TYPE_STRING) {
		memcpy(&c->len, p + 1, 4);
		c->s = (const char *)p + 5;
	} else if (cs_is_float(c->type)) {
		memcpy(&c->d, p + 1, 8);
	} else {
		memcpy(&c->i, p + 1, 8);
	}
}

static int cs_cell_cmp(const colstore_cell *x, const colstore_cell *y)
{
	if (x->is_null || y->is_null)
		return x->is_null - y->is_null; /* nulls last */
	if (x->type == COLSTORE_TYPE_STRING)
		return cs_bytes_cmp(x->s, x->len, y->s, y->len);
	if (cs_is_float(x->type)) {
		if (isnan(x->d) || isnan(y->d))
			return isnan(x->d) - isnan(y->d);
		return (x->d > y->d) - (x->d < y->d);
	}
	return (x->i > y->i) - (x->i < y->i);
}

static int cs_group_cmp(const void *pa, const void *pb, void *ctx)
{
	const colstore_agg *a = ctx;
	uint64_t ga = *(const uint64_t *)pa, gb = *(const uint64_t *)pb;
	for (uint32_t k = 0; k < a->ngb; k++) {
		colstore_cell x, y;
		cs_key_cell(a, ga, k, &x);
		cs_key_cell(a, gb, k, &y);
		int c = cs_cell_cmp(&x, &y);
		if (c)
			return c;
	}
	return 0;
}

uint64_t colstore_agg_num_groups(const colstore_agg *a)
{
	return a && a->order ? a->ngroups : 0;
}

uint32_t colstore_agg_num_columns(const colstore_agg *a)
{
	return a ? a->ngb + a->nagg : 0;
}

const char *colstore_agg_column_name(const colstore_agg *a, uint32_t k)
{
	if (!a || k >= a->ngb + a->nagg)
		return NULL;
	return k < a->ngb ? a->r->columns[a->gb[k]].name : a->aggs[k - a->ngb].name;
}

void colstore_agg_row_groups(const colstore_agg *a, uint32_t *read, uint32_t *skipped)
{
	if (read)
		*read = a ? a->rg_read : 0;
	if (skipped)
		*skipped = a ? a->rg_skipped : 0;
}

int colstore_agg_cell(const colstore_agg *a, uint64_t group, uint32_t k, colstore_cell *out)
{
	if (!a || !a->order || group >= a->ngroups || k >= a->ngb + a->nagg || !out)
		return COLSTORE_ERANGE;
	uint64_t g = a->order[group];
	if (k < a->ngb) {
		cs_key_cell(a, g, k, out);
		return COLSTORE_OK;
	}
	const cs_aggspec *s = &a->aggs[k - a->ngb];
	const cs_acc *acc = &a->acc[g * a->nagg + (k - a->ngb)];
	memset(out, 0, sizeof(*out));
	out->type = s->out_type;
	switch (s->fn) {
	case A_COUNT_STAR:
	case A_COUNT: out->i = acc->n; break;
	case A_SUM:
		out->is_null = acc->n == 0;
		if (cs_is_float(s->type))
			out->d = acc->d;
		else
			out->i = acc->i;
		break;
	case A_AVG:
		out->is_null = acc->n == 0;
		out->d = acc->n ? acc->d / (double)acc->n : 0;
		break;
	default:
		out->is_null = acc->n == 0;
		if (s->type == COLSTORE_TYPE_STRING) {
			out->s = a->strs + acc->soff;
			out->len = acc->slen;
		} else if (cs_is_float(s->type)) {
			out->d = acc->d;
		} else {
			out->i = acc->i;
		}
		break;
	}
	return COLSTORE_OK;
}
