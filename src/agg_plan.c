/*
 * agg_plan.c -- colstore_agg's plan: where a group's record lives (the key
 * kind) and each aggregate's accumulator in it, then the workers and passes
 * that the memory limit allows, and a dictionary's sorted ranks for passes.
 */
#include <stdlib.h>

#include "agg.h"

#define CS_DENSE_MAX (1u << 20) /* K_INT: at most this many slots */

/* ---- plan ------------------------------------------------------------------ */

static int cs_is_intlike(uint8_t t)
{
	return t != COLSTORE_TYPE_STRING && !cs_is_float(t);
}

int cs_plan(colstore_agg *a, colstore_error *err)
{
	colstore_reader *r = a->r;
	a->need = calloc(a->nslot ? a->nslot : 1, 1);
	a->sum_only = calloc(a->nslot ? a->nslot : 1, 1);
	a->xdec = calloc(a->nx ? a->nx : 1, 1);
	if (!a->need || !a->sum_only || !a->xdec)
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
		} else if (s->fn == A_COUNT_DISTINCT || s->fn == A_MEDIAN || s->fn == A_QUANTILE) {
			s->kind = s->fn == A_COUNT_DISTINCT ? AK_DISTINCT : AK_QUANT;
			sz = 0;
		} else if (s->fn == A_APPROX_DISTINCT) {
			s->kind = AK_HLL;
			sz = sizeof(cs_ahll);
			a->need[s->col] |= 1;
		} else if (s->fn >= A_VAR) {
			s->kind = AK_VAR;
			sz = sizeof(cs_avar);
			a->need[s->col] |= 1;
		} else if (s->fn == A_SUM || s->fn == A_AVG) {
			s->kind = cs_is_float(s->type) ? AK_FSUM : AK_ISUM;
			sz = s->kind == AK_FSUM ? sizeof(cs_afsum) : sizeof(cs_aisum);
			a->need[s->col] |= s->type == COLSTORE_TYPE_FLOAT64 && s->col < r->num_columns ? 2 : 1;
		} else {
			s->kind = s->type == COLSTORE_TYPE_STRING ? AK_SMM
			          : cs_is_float(s->type)          ? AK_FMM
			                                          : AK_IMM;
			sz = sizeof(cs_amm);
			/* float64 min/max read DECIMAL chunks as their mantissas (in
			 * the same order as the values, and no division a row) */
			a->need[s->col] |= s->type == COLSTORE_TYPE_FLOAT64 && s->col < r->num_columns ? 2 : 1;
		}
		if (s->kind != AK_ROWS && s->kind != AK_DISTINCT && s->kind != AK_QUANT)
			a->count_only = 0;
		s->off = off;
		off += (uint32_t)sz;
	}
	a->rec_size = off;
	for (uint32_t k = 0; k < a->nagg; k++) { /* 1: summed; 2: used otherwise */
		const cs_aggspec *s = &a->aggs[k];
		if (s->kind != AK_ROWS && s->kind != AK_DISTINCT && s->kind != AK_QUANT)
			a->sum_only[s->col] |= s->kind == AK_ISUM || s->kind == AK_FSUM ? 1 : 2;
	}
	for (uint32_t k = 0; k < a->ngb; k++) {
		a->need[a->gb[k]] |= 1;
		a->sum_only[a->gb[k]] |= 2;
	}
	for (uint32_t e = 0; e < a->nx; e++) { /* an expression's columns: their values */
		uint8_t *mark = a->need + r->num_columns + e;
		if (!*mark)
			continue;
		uint8_t *cols = calloc(r->num_columns ? r->num_columns : 1, 1);
		if (!cols)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		cs_calc_columns(a->xs[e], cols);
		/* a sum of a DECIMAL column times integers: summed as decimals,
		 * its float64 columns read as mantissas */
		int dec = 0;
		for (uint32_t k = 0; k < a->nagg; k++)
			dec |= a->aggs[k].col == r->num_columns + e && a->aggs[k].kind == AK_FSUM;
		dec = dec && cs_calc_maybe_decimal(a->xs[e]);
		/* 2: only summed (not a key, no min or max): its doubles unwanted */
		int only = dec;
		for (uint32_t k = 0; k < a->nagg; k++)
			only &= a->aggs[k].col != r->num_columns + e || a->aggs[k].kind == AK_FSUM ||
			        a->aggs[k].kind == AK_ROWS;
		for (uint32_t k = 0; k < a->ngb; k++)
			only &= a->gb[k] != r->num_columns + e;
		a->xdec[e] = (uint8_t)(dec + only);
		if (dec)
			*mark |= 2;
		for (uint32_t c = 0; c < r->num_columns; c++)
			if (cols[c]) {
				a->need[c] |= dec && r->columns[c].type == COLSTORE_TYPE_FLOAT64 ? 2 : 1;
				a->sum_only[c] |= 2;
			}
		free(cols);
	}
	for (uint32_t c = 0; c < a->nslot; c++)
		a->sum_only[c] = a->sum_only[c] == 1 && c < r->num_columns;
	a->key = a->ngb == 0 ? K_NONE : K_HASH;
	if (a->ngb == 1 && a->gb[0] < r->num_columns) {
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
	if (a->ngb == 1 && a->gb[0] >= r->num_columns) {
		/* an integer expression whose range the statistics bound (month(ts),
		 * year(d), bucket(qty, 10)): dense, as an integer column */
		int64_t lo, hi;
		const cs_calc *c = a->xs[a->gb[0] - r->num_columns];
		uint8_t t = cs_calc_type(c);
		if (t != COLSTORE_TYPE_FLOAT64 && t != COLSTORE_TYPE_STRING && cs_calc_range(c, &lo, &hi) &&
		    (uint64_t)hi - (uint64_t)lo < CS_DENSE_MAX) {
			a->key = K_INT;
			a->key_min = lo;
			a->key_slots = (uint64_t)hi - (uint64_t)lo + 2;
		}
	}
	if (a->key == K_HASH) {
		if (!(a->kcode = calloc(a->ngb, 1)))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		for (uint32_t k = 0; k < a->ngb; k++) {
			uint32_t c = a->gb[k];
			int all_dict = c < r->num_columns && r->columns[c].dict_count &&
			               cs_column_all_dict(r, c);
			int rc;
			if (all_dict && (rc = cs_dict_ready(r, c, err)))
				return rc;
			a->kcode[k] = (uint8_t)all_dict;
		}
	}
	return COLSTORE_OK;
}

/* bytes the run may plan for: as set, or half of what the process may use */
uint64_t cs_agg_limit(const colstore_agg *a)
{
	return a->mem_limit ? a->mem_limit : cs_memory_available() / 2;
}

/* Workers and passes for the memory limit.  A dense key's groups cost
 * positions x rec_size bytes per worker, plus the sort at the end.  When
 * that does not fit: fewer workers; when one does not fit either: passes
 * over ranges of positions with results on disk (not for string min/max,
 * whose values live in a per-state arena: those run in memory). */
void cs_mem_plan(colstore_agg *a, uint32_t *nw)
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

/* column col's codes in the order of their strings: rank[code] (and
 * unrank[rank], when asked for), the null code d last */
static int cs_dict_ranks(const colstore_reader *r, uint32_t col, uint32_t **rank, uint32_t **unrank,
                         colstore_error *err)
{
	uint32_t d = r->columns[col].dict_count;
	cs_sort_item *it = malloc((d ? d : 1) * sizeof(*it));
	*rank = malloc(((size_t)d + 1) * sizeof(uint32_t));
	if (unrank)
		*unrank = malloc(((size_t)d + 1) * sizeof(uint32_t));
	if (!it || !*rank || (unrank && !*unrank)) {
		free(it);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t c = 0; c < d; c++) {
		colstore_reader_dict_lookup(r, col, c, &it[c].s, &it[c].len, NULL);
		it[c].id = c;
	}
	if (cs_sort_strings(it, d, 1)) {
		free(it);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t k = 0; k < d; k++) {
		(*rank)[it[k].id] = k;
		if (unrank)
			(*unrank)[k] = it[k].id;
	}
	(*rank)[d] = d; /* null: last */
	if (unrank)
		(*unrank)[d] = d;
	free(it);
	return COLSTORE_OK;
}

/* K_DICT in passes: each code's position in the sorted dictionary */
int cs_rank_dict(colstore_agg *a, colstore_error *err)
{
	return cs_dict_ranks(a->r, a->gb[0], &a->rank, &a->unrank, err);
}

int cs_rank_keys(colstore_agg *a, colstore_error *err)
{
	for (uint32_t k = 0; k < a->ngb; k++) {
		if (!a->kcode[k])
			continue;
		if (!a->kranks && !(a->kranks = calloc(a->ngb, sizeof(*a->kranks))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		int rc = cs_dict_ready(a->r, a->gb[k], err);
		if (rc || (rc = cs_dict_ranks(a->r, a->gb[k], &a->kranks[k], NULL, err)))
			return rc;
	}
	return COLSTORE_OK;
}
