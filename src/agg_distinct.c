/*
 * agg_distinct.c -- count(distinct x): a second aggregation, count(*) by
 * the keys and then x, whose groups come out sorted by the keys and then x;
 * each group of the result owns a run of them (the same rows, the same
 * filter, the same key order), and the run's groups of a non-null x are
 * its count.  It is exact, and out of core as any group-by is: past the
 * memory limit its groups go to temporary files.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agg.h"

static int cs_same_cell(const colstore_cell *x, const colstore_cell *y)
{
	if (x->is_null || y->is_null)
		return x->is_null == y->is_null;
	if (x->type == COLSTORE_TYPE_STRING)
		return x->len == y->len && (!x->len || memcmp(x->s, y->s, x->len) == 0);
	if (x->type == COLSTORE_TYPE_FLOAT32 || x->type == COLSTORE_TYPE_FLOAT64)
		return memcmp(&x->d, &y->d, sizeof(x->d)) == 0;
	return x->i == y->i;
}

/* do group g of a and group j of d have the same keys? */
static int cs_same_keys(const colstore_agg *a, uint64_t g, const colstore_agg *d, uint64_t j)
{
	for (uint32_t k = 0; k < a->ngb; k++) {
		colstore_cell x, y;
		colstore_agg_cell(a, g, k, &x);
		colstore_agg_cell(d, j, k, &y);
		if (!cs_same_cell(&x, &y))
			return 0;
	}
	return 1;
}

int cs_count_distinct(colstore_agg *a, colstore_error *err)
{
	for (uint32_t k = 0; k < a->nagg; k++) {
		const cs_aggspec *s = &a->aggs[k];
		if (s->kind != AK_DISTINCT)
			continue;
		if (!a->distinct && !(a->distinct = calloc(a->nagg, sizeof(*a->distinct))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		/* the keys, then x, as a list of names (names.c's rule) and
		 * expressions as written */
		size_t cap = 4;
		for (uint32_t i = 0; i <= a->ngb; i++)
			cap += 2 * strlen(cs_slot_text(a, i < a->ngb ? a->gb[i] : s->col)) + 4;
		char *gb = malloc(cap);
		if (!gb)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		size_t o = 0;
		for (uint32_t i = 0; i <= a->ngb; i++) {
			uint32_t c = i < a->ngb ? a->gb[i] : s->col;
			if (c < a->r->num_columns)
				o += cs_name_text(a->r->columns[c].name, gb + o, cap - o);
			else
				o += (size_t)snprintf(gb + o, cap - o, "%s", cs_slot_text(a, c));
			if (i < a->ngb)
				gb[o++] = ',';
		}
		gb[o] = '\0';
		colstore_agg *d;
		int rc = colstore_agg_create(a->r, "count(*)", gb, a->filter, &d, err);
		free(gb);
		if (rc)
			return rc;
		d->threads = a->threads;
		d->mem_limit = a->mem_limit;
		rc = colstore_agg_run(d, err);
		uint64_t *cnt = rc ? NULL : calloc(a->ngroups ? a->ngroups : 1, sizeof(*cnt));
		if (!rc && !cnt)
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		const uint64_t dn = rc ? 0 : colstore_agg_num_groups(d);
		for (uint64_t j = 0, g = 0; j < dn; j++) {
			while (g < a->ngroups && !cs_same_keys(a, g, d, j))
				g++;
			if (g == a->ngroups) { /* the two runs read different rows: the file changed */
				rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
				            "%s: the second pass over the file found groups the first did "
				            "not (was the file changed while read?)", s->name);
				break;
			}
			colstore_cell x;
			colstore_agg_cell(d, j, a->ngb, &x);
			cnt[g] += !x.is_null;
		}
		colstore_agg_free(d);
		if (rc) {
			free(cnt);
			return rc;
		}
		a->distinct[k] = cnt;
	}
	return COLSTORE_OK;
}
