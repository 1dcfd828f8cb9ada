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
 *
 * Here: the API, and the run as a whole (cs_agg_run); the plan is in
 * agg_plan.c, the states in agg_state.c, the kernels in agg_kernel.c, the
 * workers in agg_run.c, the groups that do not fit in agg_spill.c and the
 * results in agg_result.c, around the types of agg.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"

void colstore_agg_free(colstore_agg *a)
{
	if (!a)
		return;
	for (uint32_t k = 0; k < a->nagg; k++)
		free(a->aggs[k].name);
	free(a->aggs);
	free(a->gb);
	for (uint32_t k = 0; a->gname && k < a->ngb; k++)
		free(a->gname[k]);
	free(a->gname);
	for (uint32_t k = 0; k < a->nx; k++)
		cs_calc_free(a->xs[k]);
	free(a->xs);
	free(a->need);
	free(a->sum_only);
	free(a->xdec);
	free(a->kcode);
	cs_state_free(&a->st);
	free(a->order);
	free(a->srecs);
	free(a->kstr);
	free(a->rank);
	free(a->unrank);
	for (uint32_t k = 0; a->distinct && k < a->nagg; k++)
		free(a->distinct[k]);
	free(a->distinct);
	for (uint32_t k = 0; a->quant && k < a->nagg; k++) {
		free(a->quant[k]);
		free(a->qnull[k]);
	}
	free(a->quant);
	free(a->qnull);
	for (uint32_t k = 0; a->kranks && k < a->ngb; k++)
		free(a->kranks[k]);
	free(a->kranks);
	free(a->ord);
	if (a->opos_mapped)
		cs_unmap(a->opos, a->opos_mapped);
	else
		free(a->opos);
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

/* an aggregate's argument or a key: a column, or an expression kept in
 * a->xs; its slot (r->num_columns + its place in a->xs for an expression) */
static int cs_parse_slot(colstore_agg *a, const char *text, const char *what, uint32_t *slot,
                         colstore_error *err)
{
	cs_calc *c;
	int rc = cs_item_parse(a->r, text, what, slot, &c, err);
	if (rc || !c)
		return rc;
	cs_calc **xs = realloc(a->xs, (a->nx + 1) * sizeof(*xs));
	if (!xs) {
		cs_calc_free(c);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	a->xs = xs;
	a->xs[a->nx] = c;
	*slot = a->r->num_columns + a->nx++;
	return COLSTORE_OK;
}

static int cs_parse_aggs(colstore_agg *a, const char *list, colstore_error *err)
{
	char *copy = strdup(list), *save = copy;
	if (!copy)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	a->aggs = calloc(cap, sizeof(cs_aggspec));
	int rc = a->aggs ? COLSTORE_OK : cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	static const char *const fns[] = { "count", "count", "sum", "min", "max", "avg",
		                           "var", "var_pop", "stddev", "stddev_pop", "count",
		                           "median", "quantile", "approx_count_distinct" };
	char *alias, *it;
	while (!rc && (it = cs_item_next(&save, &alias, &rc, err))) {
		char *lp = strchr(it, '('), *rp = strrchr(it, ')');
		cs_aggspec *s = &a->aggs[a->nagg];
		s->name = alias ? alias : strdup(it); /* as written, before it is cut up */
		if (!s->name) {
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			break;
		}
		a->nagg++;
		if (!lp || !rp || rp < lp || rp[1] != '\0') {
			rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
			            "'%s' is not an aggregate: write fn(x), fn one of count sum min "
			            "max avg var var_pop stddev stddev_pop median approx_count_distinct, "
			            "quantile(x, p), or count(*), then optionally 'as name'", it);
			break;
		}
		size_t fl = (size_t)(lp - it);
		char fn[32] = "";
		snprintf(fn, sizeof(fn), "%.*s", (int)(fl < 31 ? fl : 31), it);
		for (char *q = fn; *q; q++)
			*q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
		*rp = '\0';
		char *arg = cs_trim(lp + 1);
		s->fn = -1;
		for (int k = 1; k < (int)(sizeof(fns) / sizeof(fns[0])); k++)
			if (k != A_COUNT_DISTINCT && !strcmp(cs_trim(fn), fns[k]))
				s->fn = k;
		if (s->fn < 0) {
			rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
			            "unknown aggregate '%s' (count sum min max avg var var_pop stddev "
			            "stddev_pop median quantile approx_count_distinct)", fn);
			break;
		}
		s->q = 0.5;
		if (s->fn == A_QUANTILE) { /* quantile(x, p): p after the last comma */
			char *c = NULL;
			int depth = 0;
			for (char *q = arg; *q; q++) {
				depth += (*q == '(') - (*q == ')');
				if (*q == ',' && depth == 0)
					c = q;
			}
			char *end = NULL;
			if (c) {
				*c = '\0';
				s->q = strtod(cs_trim(c + 1), &end);
			}
			if (!c || !end || *end || end == c + 1 || !(s->q >= 0 && s->q <= 1)) {
				rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
				            "%s: write quantile(x, p) with p a number from 0 to 1", s->name);
				break;
			}
			arg = cs_trim(arg);
		}
		if (s->fn == A_COUNT && !strncasecmp(arg, "distinct", 8) &&
		    (arg[8] == ' ' || arg[8] == '\t' || arg[8] == '"' || arg[8] == '(')) {
			s->fn = A_COUNT_DISTINCT;
			arg = cs_trim(arg + 8);
		}
		char what[300];
		snprintf(what, sizeof(what), "%s: ", s->name);
		if (s->fn == A_COUNT && !strcmp(arg, "*")) {
			s->fn = A_COUNT_STAR;
		} else if ((rc = cs_parse_slot(a, arg, what, &s->col, err))) {
			break;
		} else {
			s->type = cs_slot_type(a, s->col);
			if ((s->fn == A_SUM || CS_FN_FLOAT(s->fn) || s->fn == A_MEDIAN || s->fn == A_QUANTILE) &&
			    !cs_is_numeric(s->type)) {
				char shown[300];
				if (s->col < a->r->num_columns)
					snprintf(shown, sizeof(shown), "column '%s'", a->r->columns[s->col].name);
				else
					snprintf(shown, sizeof(shown), "%s", cs_calc_text(a->xs[s->col - a->r->num_columns]));
				rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
				            "%s: %s is %s; sum, avg, var, stddev, median and quantile need a number column", s->name,
				            shown, colstore_type_name(s->type));
				break;
			}
		}
		s->out_type = s->fn == A_COUNT_STAR || s->fn == A_COUNT || s->fn == A_COUNT_DISTINCT ||
		                      s->fn == A_APPROX_DISTINCT
		                      ? COLSTORE_TYPE_INT64
		              : CS_FN_FLOAT(s->fn) || s->fn == A_MEDIAN || s->fn == A_QUANTILE ? COLSTORE_TYPE_FLOAT64
		              : s->fn == A_SUM ? (cs_is_float(s->type) ? COLSTORE_TYPE_FLOAT64
		                                                       : COLSTORE_TYPE_INT64)
		                               : (colstore_type)s->type;
	}
	if (!rc && a->nagg == 0)
		rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "no aggregate given");
	free(copy);
	return rc;
}

/* the group-by list: values, each optionally "as name" */
static int cs_parse_group_by(colstore_agg *a, const char *list, colstore_error *err)
{
	char *copy = strdup(list), *save = copy;
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	a->gb = malloc(cap * sizeof(*a->gb));
	a->gname = calloc(cap, sizeof(*a->gname));
	if (!copy || !a->gb || !a->gname) {
		free(copy);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	int rc = COLSTORE_OK;
	char *alias, *it;
	while (!rc && (it = cs_item_next(&save, &alias, &rc, err))) {
		uint32_t slot;
		if ((rc = cs_parse_slot(a, it, "--group-by: ", &slot, err))) {
			free(alias);
			break;
		}
		a->gb[a->ngb] = slot;
		a->gname[a->ngb] = alias ? alias
		                   : strdup(slot < a->r->num_columns ? a->r->columns[slot].name
		                                                     : cs_calc_text(a->xs[slot - a->r->num_columns]));
		if (!a->gname[a->ngb++])
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	free(copy);
	return rc;
}

int colstore_agg_create(colstore_reader *r, const char *aggs, const char *group_by,
                        const colstore_filter *where, colstore_agg **out, colstore_error *err)
{
	if (!r || !out)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "reader and out are required");
	*out = NULL;
	if (!aggs || !*aggs) /* group by alone: the rows of each group */
		aggs = "count(*)";
	colstore_agg *a = calloc(1, sizeof(*a));
	if (!a)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	a->r = r;
	a->limit = COLSTORE_AGG_NO_LIMIT;
	int rc = cs_parse_aggs(a, aggs, err);
	if (!rc && group_by && *group_by)
		rc = cs_parse_group_by(a, group_by, err);
	a->nslot = r->num_columns + a->nx;
	if (!rc && where && cs_filter_reader(where) != r)
		rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		            "the filter was compiled for another reader");
	a->filter = where;
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

/* ---- run -------------------------------------------------------------------------------- */

/* at most one worker per this many bytes read (internal.h) */
uint64_t cs_agg_worker_bytes = (uint64_t)4 << 20;

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
		return (rc = cs_rank_keys(a, err)) ? rc : cs_run_hash(a, nw, err);
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
	a->ranking = 1; /* cells in key order for the distinct counts and the ranking */
	if (!rc)
		rc = cs_count_distinct(a, err);
	if (!rc && (a->nord || a->limit != COLSTORE_AGG_NO_LIMIT))
		rc = cs_order_result(a, err);
	a->ranking = 0;
	a->ready = rc == COLSTORE_OK;
	return rc;
}
