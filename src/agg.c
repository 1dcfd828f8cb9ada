/*
 * agg.c -- colstore_agg: group-by aggregation over row groups.
 *
 * Row groups are shared out to worker threads (an atomic counter hands out
 * the next one); each worker keeps its own groups, and at the end the
 * workers' groups are merged.  Every aggregate merges exactly: counts,
 * integer sums in 128 bits, min and max with a total order (NaN only when
 * nothing else, -0 below +0), float sums in cs_fsum (fsum.c).  So results
 * are the same, bit for bit, for any thread count and any schedule.
 *
 * A group is a record: a row count, then each aggregate's accumulator.
 * Where records live depends on the key (chosen once, in cs_plan):
 *   K_NONE  no group-by: one record;
 *   K_DICT  one string column, dictionary-encoded in every chunk: a dense
 *           array indexed by code (the literal bytes are never touched);
 *   K_INT   one integer-like column whose statistics span at most
 *           CS_DENSE_MAX values: a dense array indexed by value - min;
 *   K_HASH  anything else: a hash table keyed by the bytes of the values
 *           (a null flag, then an int64, the double's bits, or a length
 *           and bytes).
 * Groups that do not fit the memory limit go to an unlinked temporary file
 * that is mapped at the end: dense keys are made in passes over the file,
 * each over a range of keys (cs_run_parts); a worker whose hashed groups
 * outgrow its share writes them out sorted, as a run, and starts afresh,
 * and the runs are merged at the end (cs_run_hash).
 * Row groups that the filter's zone maps exclude are not read; a filter's
 * matches become a list of row numbers, so later columns touch only them.
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"

#define CS_DENSE_MAX (1u << 20) /* K_INT: at most this many slots */

void colstore_agg_free(colstore_agg *a)
{
	if (!a)
		return;
	colstore_filter_free(a->filter);
	for (uint32_t k = 0; k < a->nagg; k++)
		free(a->aggs[k].name);
	free(a->aggs);
	free(a->gb);
	free(a->need);
	free(a->sum_only);
	free(a->kcode);
	cs_state_free(&a->st);
	free(a->order);
	free(a->rank);
	free(a->unrank);
	cs_unmap(a->spill, a->spill_size);
	cs_unmap(a->hruns, a->hruns_size);
	cs_unmap(a->hidx, a->hidx_size);
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

void colstore_agg_set_threads(colstore_agg *a, uint32_t threads)
{
	if (a)
		a->threads = threads;
}

void colstore_agg_set_memory_limit(colstore_agg *a, uint64_t bytes)
{
	if (a)
		a->mem_limit = bytes;
}

uint32_t colstore_agg_passes(const colstore_agg *a)
{
	return a && a->ran ? (a->parts ? a->parts : 1) : 0;
}

uint64_t colstore_agg_spill_bytes(const colstore_agg *a)
{
	return a && a->ran ? a->spill_bytes : 0;
}

uint32_t colstore_agg_threads_used(const colstore_agg *a)
{
	return a ? a->threads_used : 0;
}

/* ---- plan ------------------------------------------------------------------ */

static int cs_is_intlike(uint8_t t)
{
	return t != COLSTORE_TYPE_STRING && !cs_is_float(t);
}

static int cs_plan(colstore_agg *a, colstore_error *err)
{
	colstore_reader *r = a->r;
	a->need = calloc(r->num_columns ? r->num_columns : 1, 1);
	a->sum_only = calloc(r->num_columns ? r->num_columns : 1, 1);
	if (!a->need || !a->sum_only)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint32_t off = sizeof(int64_t); /* the row count */
	a->count_only = 1;
	for (uint32_t k = 0; k < a->nagg; k++) {
		cs_aggspec *s = &a->aggs[k];
		size_t sz;
		if (s->fn == A_COUNT_STAR) {
			s->kind = AK_ROWS;
			sz = 0;
		} else if (s->fn == A_COUNT) {
			s->kind = AK_COUNT;
			sz = sizeof(cs_acount);
			a->need[s->col] |= 1;
		} else if (s->fn == A_SUM || s->fn == A_AVG) {
			s->kind = cs_is_float(s->type) ? AK_FSUM : AK_ISUM;
			sz = s->kind == AK_FSUM ? sizeof(cs_afsum) : sizeof(cs_aisum);
			a->need[s->col] |= s->type == COLSTORE_TYPE_FLOAT64 ? 2 : 1;
		} else {
			s->kind = s->type == COLSTORE_TYPE_STRING ? AK_SMM
			          : cs_is_float(s->type)          ? AK_FMM
			                                          : AK_IMM;
			sz = sizeof(cs_amm);
			a->need[s->col] |= 1;
		}
		if (s->kind != AK_ROWS)
			a->count_only = 0;
		s->off = off;
		off += (uint32_t)sz;
	}
	a->rec_size = off;
	for (uint32_t k = 0; k < a->nagg; k++) { /* 1: summed; 2: used otherwise */
		const cs_aggspec *s = &a->aggs[k];
		if (s->kind != AK_ROWS)
			a->sum_only[s->col] |= s->kind == AK_ISUM || s->kind == AK_FSUM ? 1 : 2;
	}
	for (uint32_t k = 0; k < a->ngb; k++) {
		a->need[a->gb[k]] |= 1;
		a->sum_only[a->gb[k]] |= 2;
	}
	for (uint32_t c = 0; c < r->num_columns; c++)
		a->sum_only[c] = a->sum_only[c] == 1;
	a->key = a->ngb == 0 ? K_NONE : K_HASH;
	if (a->ngb == 1) {
		uint32_t c = a->gb[0];
		uint8_t t = r->columns[c].type;
		int all_dict = 1, stats = 1;
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		for (uint32_t g = 0; g < r->num_row_groups; g++) {
			const cs_chunk *ch = cs_chunk_at(r, g, c);
			if (ch->encoding != COLSTORE_ENCODING_DICT)
				all_dict = 0;
			if (ch->null_count == ch->row_count)
				continue; /* no values: no statistics needed */
			if (!(ch->stats_flags & CS_STATS_MINMAX)) {
				stats = 0;
				continue;
			}
			if ((int64_t)ch->min < lo)
				lo = (int64_t)ch->min;
			if ((int64_t)ch->max > hi)
				hi = (int64_t)ch->max;
		}
		if (t == COLSTORE_TYPE_STRING && all_dict && r->columns[c].dict_count) {
			a->key = K_DICT;
		} else if (cs_is_intlike(t) && stats) {
			if (lo > hi) { /* only nulls */
				lo = 0;
				hi = 0;
			}
			if ((uint64_t)hi - (uint64_t)lo < CS_DENSE_MAX) {
				a->key = K_INT;
				a->key_min = lo;
				a->key_slots = (uint64_t)hi - (uint64_t)lo + 2;
			}
		}
	}
	if (a->key == K_HASH) {
		if (!(a->kcode = calloc(a->ngb, 1)))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		for (uint32_t k = 0; k < a->ngb; k++) {
			uint32_t c = a->gb[k];
			int all_dict = r->columns[c].dict_count && cs_column_all_dict(r, c);
			int rc;
			if (all_dict && (rc = cs_dict_ready(r, c, err)))
				return rc;
			a->kcode[k] = (uint8_t)all_dict;
		}
	}
	return COLSTORE_OK;
}

/* ---- run -------------------------------------------------------------------------------- */

/* at most one worker per this many bytes read (internal.h) */
uint64_t cs_agg_worker_bytes = (uint64_t)16 << 20;

/* bytes of the blocks the run reads: the columns it needs or filters on,
 * in the row groups the filter's statistics do not rule out */
static uint64_t cs_read_bytes(const colstore_agg *a)
{
	const colstore_reader *r = a->r;
	uint8_t *mark = calloc(r->num_columns ? r->num_columns : 1, 1);
	if (!mark)
		return UINT64_MAX;
	cs_filter_columns(a->filter, mark);
	uint64_t n = 0;
	for (uint32_t g = 0; g < r->num_row_groups; g++) {
		if (a->filter && !colstore_filter_may_match(a->filter, g))
			continue;
		for (uint32_t c = 0; c < r->num_columns; c++)
			if (mark[c] || a->need[c])
				for (int k = 0; k < 3; k++)
					if (cs_chunk_at(r, g, c)->blocks[k].present)
						n += cs_chunk_at(r, g, c)->blocks[k].stored_size;
	}
	free(mark);
	return n;
}

static uint32_t cs_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (uint32_t)n : 1;
}

static int cs_check_sums(const colstore_agg *a, const cs_state *st, colstore_error *err)
{
	for (uint32_t k = 0; k < a->nagg; k++) {
		const cs_aggspec *s = &a->aggs[k];
		if (s->kind != AK_ISUM || s->fn != A_SUM)
			continue;
		for (uint64_t g = 0; g < st->nrec; g++) {
			int rc = cs_check_sum(s, cs_rec(a, st, g), err);
			if (rc)
				return rc;
		}
	}
	return COLSTORE_OK;
}

/* bytes the run may plan for: as set, or half of what the process may use */
static uint64_t cs_agg_limit(const colstore_agg *a)
{
	return a->mem_limit ? a->mem_limit : cs_memory_available() / 2;
}

/* Workers and passes for the memory limit.  A dense key's groups cost
 * positions x rec_size bytes per worker, plus the sort at the end.  When
 * that does not fit: fewer workers; when one does not fit either: passes
 * over ranges of positions with results on disk (not for string min/max,
 * whose values live in a per-state arena: those run in memory). */
static void cs_mem_plan(colstore_agg *a, uint32_t *nw)
{
	a->parts = 1;
	if (a->key != K_DICT && a->key != K_INT)
		return;
	uint64_t limit = cs_agg_limit(a);
	uint64_t pos = a->key == K_DICT ? (uint64_t)a->r->columns[a->gb[0]].dict_count + 1
	                                : a->key_slots;
	uint64_t per = pos * a->rec_size;
	uint64_t sortb = pos * (a->key == K_DICT ? sizeof(cs_sort_item) + 8 : 8);
	if (*nw * per + sortb <= limit)
		return;
	if (limit > sortb && (limit - sortb) / per >= 1) {
		*nw = (uint32_t)((limit - sortb) / per < *nw ? (limit - sortb) / per : *nw);
		return;
	}
	for (uint32_t k = 0; k < a->nagg; k++)
		if (a->aggs[k].kind == AK_SMM) {
			*nw = 1;
			return;
		}
	uint64_t fixed = a->key == K_DICT ? pos * 8 : 0; /* rank and unrank */
	uint64_t room = limit > 2 * fixed ? limit - fixed : limit / 2;
	uint64_t n = room / ((uint64_t)*nw * a->rec_size);
	if (n < 1024 || n < pos / 256) /* at most 256 passes: past that, over the limit */
		n = pos / 256 > 1024 ? pos / 256 : 1024;
	if (n >= pos)
		return;
	a->positions = pos;
	a->part_n = n;
	a->parts = (uint32_t)((pos + n - 1) / n);
}

/* K_DICT in passes: each code's position in the sorted dictionary */
static int cs_rank_dict(colstore_agg *a, colstore_error *err)
{
	uint32_t col = a->gb[0], d = a->r->columns[col].dict_count;
	cs_sort_item *it = malloc((d ? d : 1) * sizeof(*it));
	a->rank = malloc(((size_t)d + 1) * sizeof(uint32_t));
	a->unrank = malloc(((size_t)d + 1) * sizeof(uint32_t));
	if (!it || !a->rank || !a->unrank) {
		free(it);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t c = 0; c < d; c++) {
		colstore_reader_dict_lookup(a->r, col, c, &it[c].s, &it[c].len, NULL);
		it[c].id = c;
	}
	if (cs_sort_strings(it, d)) {
		free(it);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t k = 0; k < d; k++) {
		a->rank[it[k].id] = k;
		a->unrank[k] = it[k].id;
	}
	a->rank[d] = a->unrank[d] = d; /* null: last */
	free(it);
	return COLSTORE_OK;
}

/* all passes; the groups of each appended, in key order, to a temporary
 * file (record, then the group's id: dictionary code or integer slot) */
static int cs_run_parts(colstore_agg *a, uint32_t nw, colstore_error *err)
{
	int rc = a->key == K_DICT ? cs_rank_dict(a, err) : COLSTORE_OK;
	cs_spill sp;
	if (rc || (rc = cs_spill_open(&sp, err)))
		return rc;
	uint64_t groups = 0;
	for (uint32_t p = 0; p < a->parts && !rc; p++) {
		a->pass = (int)p;
		a->part_lo = (uint64_t)p * a->part_n;
		if ((rc = cs_run_pass(a, nw, err)) || (rc = cs_check_sums(a, &a->st, err)))
			break;
		for (uint64_t j = 0; j < a->st.nrec && !rc; j++) {
			const uint8_t *rec = cs_rec(a, &a->st, j);
			if (!*(const int64_t *)(const void *)rec)
				continue;
			uint64_t pos = a->part_lo + j;
			uint64_t id = a->key == K_DICT ? a->unrank[pos] : pos;
			if (!(rc = cs_spill_put(&sp, rec, a->rec_size, err)))
				rc = cs_spill_put(&sp, &id, 8, err);
			groups++;
		}
		cs_state_free(&a->st);
	}
	if (!rc && groups) {
		a->spill_size = (size_t)cs_spill_pos(&sp);
		rc = cs_spill_map(&sp, 0, a->spill_size, (void **)&a->spill, err);
	}
	cs_spill_close(&sp);
	a->ngroups = groups;
	return rc;
}

/* K_HASH: workers write their groups out as sorted runs when they outgrow
 * their share of the memory limit; then the runs are merged */
static int cs_run_hash(colstore_agg *a, uint32_t nw, colstore_error *err)
{
	uint64_t limit = cs_agg_limit(a);
	uint64_t budget = limit / (2 * (uint64_t)nw);
	a->budget = budget < 65536 ? 65536 : budget;
	int rc = cs_run_pass(a, nw, err);
	if (!rc && !a->hspilled) {
		if (!(rc = cs_check_sums(a, &a->st, err)))
			rc = cs_sort_groups(a, err);
		return rc;
	}
	if (!rc)
		rc = cs_merge_runs(a, limit, err);
	if (a->hspilled) {
		cs_spill_close(&a->hsp);
		free(a->hrun);
		a->hrun = NULL;
		a->hspilled = 0;
	}
	return rc;
}

static int cs_agg_run(colstore_agg *a, colstore_error *err)
{
	colstore_reader *r = a->r;
	int rc = cs_plan(a, err);
	if (rc)
		return rc;
	if (a->key == K_DICT && (rc = cs_dict_ready(r, a->gb[0], err)))
		return rc;
	uint32_t nw = a->threads ? a->threads : cs_cores();
	if (nw > r->num_row_groups)
		nw = r->num_row_groups ? r->num_row_groups : 1;
	if (nw > 256)
		nw = 256;
	/* a thread starts late (up to milliseconds on a VM): none for less work
	 * than it would take on its own */
	const uint64_t per = cs_agg_worker_bytes;
	uint64_t bytes = per && nw > 1 ? cs_read_bytes(a) : UINT64_MAX;
	if (per && bytes / per < nw)
		nw = bytes / per > 1 ? (uint32_t)(bytes / per) : 1;
	if (a->key == K_HASH)
		return cs_run_hash(a, nw, err);
	cs_mem_plan(a, &nw);
	if (a->parts > 1)
		return cs_run_parts(a, nw, err);
	if ((rc = cs_run_pass(a, nw, err)) || (rc = cs_check_sums(a, &a->st, err)))
		return rc;
	return cs_sort_groups(a, err);
}

int colstore_agg_run(colstore_agg *a, colstore_error *err)
{
	if (!a || a->ran)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "run an aggregation once");
	a->ran = 1;
	int rc = cs_agg_run(a, err);
	a->ready = rc == COLSTORE_OK;
	return rc;
}
