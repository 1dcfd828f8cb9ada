/*
 * agg_kernel.c -- colstore_agg's kernels: one aggregate over the rows taken
 * of a row group (or of a slice of it), each into its group's record; and
 * the string in a row of a column's values (cs_sval), for kernels and keys.
 */
#include "agg.h"

/* ---- value helpers ----------------------------------------------------------------- */

void cs_sval(const colstore_reader *r, uint32_t col, const colstore_values *v, uint32_t i,
             const char **s, uint32_t *len)
{
	if (v->encoding == COLSTORE_ENCODING_DICT) {
		/* codes were checked against the dictionary when decoded */
		if (colstore_reader_dict_lookup(r, col, cs_code(v, i), s, len, NULL)) {
			*s = "";
			*len = 0;
		}
	} else {
		const uint32_t *o = v->data;
		*s = v->bytes + o[i];
		*len = o[i + 1] - o[i];
	}
}

/* the decimal part's fast path: same scale, add in place */
static inline void cs_fsum_dec1(cs_fsum *f, int64_t m, int e)
{
	if (f->has_dec && f->dec_scale == e)
		cs_i128_add(&f->dec, m);
	else
		cs_fsum_add_decimal(f, m, e);
}

/* ---- kernels: one aggregate over one row group's rows ----------------------------
 * m rows are taken: row idx[k] (or k without idx), into record gid[k] (or
 * record 0 without gid).  BODY sees i (the row) and rec. */
#define CS_EACH(BODY)                                                                    \
	do {                                                                             \
		if (!gid && !idx) {                                                      \
			uint8_t *rec = recs;                                             \
			for (uint32_t k = 0; k < m; k++) {                               \
				const uint32_t i = k;                                    \
				BODY                                                     \
			}                                                                \
		} else if (!gid) {                                                       \
			uint8_t *rec = recs;                                             \
			for (uint32_t k = 0; k < m; k++) {                               \
				const uint32_t i = idx[k];                               \
				BODY                                                     \
			}                                                                \
		} else if (st->nrec * rs > CS_PF_BYTES) {                                \
			for (uint32_t k = 0; k < m; k++) {                               \
				const uint32_t i = idx ? idx[k] : k;                     \
				uint8_t *rec = recs + (size_t)gid[k] * rs;               \
				if (k + CS_PF_ROWS < m)                                  \
					__builtin_prefetch(                              \
						recs + (size_t)gid[k + CS_PF_ROWS] * rs + off, \
						1);                                      \
				BODY                                                     \
			}                                                                \
		} else {                                                                 \
			for (uint32_t k = 0; k < m; k++) {                               \
				const uint32_t i = idx ? idx[k] : k;                     \
				uint8_t *rec = recs + (size_t)gid[k] * rs;               \
				BODY                                                     \
			}                                                                \
		}                                                                        \
	} while (0)

#define CS_VALID (!vb || cs_bit_get(vb, i))

/* sums of narrow integers need no overflow care inside a row group (2^24
 * rows of at most 2^31); int64 sums split into halves that cannot overflow */
#define CS_REDUCE_SUM(T)                                                                  \
	do {                                                                              \
		const T *x = v->data;                                                     \
		int64_t hi = 0, lo = 0;                                                   \
		for (uint32_t i = 0; i < m; i++) {                                        \
			hi += (int64_t)x[i] >> 32;            \
			lo += (int64_t)((uint64_t)(int64_t)x[i] & 0xffffffffu);           \
		}                                                                         \
		cs_i128 t = { (uint64_t)lo, 0 };                                          \
		cs_i128 h = { (uint64_t)hi << 32, hi >> 32 };                             \
		cs_i128_add128(&t, &h);                                                   \
		cs_i128_add128(sum, &t);                                                  \
	} while (0)

/* adds m values of v, read as type as, to sum */
static void cs_reduce_isum(const colstore_values *v, colstore_type as, uint32_t m, cs_i128 *sum)
{
	switch (as) {
	case COLSTORE_TYPE_INT8: CS_REDUCE_SUM(int8_t); break;
	case COLSTORE_TYPE_INT16: CS_REDUCE_SUM(int16_t); break;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: CS_REDUCE_SUM(int32_t); break;
	default: CS_REDUCE_SUM(int64_t); break;
	}
}

/* a few groups: the per-group value counts a batch's local sums fold with:
 * without nulls, the rows of each group (counted once for the batch);
 * else the worker's slots, zeroed, for the kernel to count into */
static uint32_t *cs_local_counts(const cs_kargs *ka, const uint8_t *vb)
{
	if (!vb)
		return (uint32_t *)(uintptr_t)ka->hist; /* read only: nothing counts into it */
	memset(ka->lcnt, 0, ka->nrec * sizeof(*ka->lcnt));
	return ka->lcnt;
}

int cs_kernel(colstore_agg *a, cs_state *st, const cs_aggspec *s, const colstore_values *v,
              const colstore_values *mv, int scale, const cs_kargs *ka, colstore_error *err)
{
	uint8_t *recs = ka->recs;
	const size_t rs = ka->rs;
	const uint32_t *idx = ka->idx, *gid = ka->gid;
	const uint32_t m = ka->m;
	const uint32_t off = s->off;
	const int want_min = s->fn == A_MIN;
	switch (s->kind) {
	case AK_ROWS: return COLSTORE_OK; /* counted with the records */
	case AK_DISTINCT:
	case AK_QUANT: return COLSTORE_OK; /* by a second aggregation (agg_distinct.c) */
	case AK_HLL: {
		/* each value's 64-bit hash: its top CS_HLL_BITS pick a register,
		 * which keeps the most leading zeros (+ 1) of the rest seen;
		 * equal values (as count(distinct) sees them) hash alike */
		const uint8_t *vb = v->validity;
		CS_EACH(if (CS_VALID) {
			uint64_t h;
			if (v->type == COLSTORE_TYPE_STRING) {
				const char *str;
				uint32_t len;
				cs_sval(a->r, s->col, v, i, &str, &len);
				h = XXH3_64bits(str, len);
			} else {
				uint64_t bits;
				if (cs_is_float(v->type)) {
					double d = cs_dval(v, i);
					if (d == 0)
						d = 0; /* -0 is 0 */
					if (isnan(d))
						d = NAN;
					memcpy(&bits, &d, 8);
				} else {
					bits = (uint64_t)cs_ival(v, i);
				}
				h = XXH3_64bits(&bits, 8);
			}
			cs_ahll *acc = (cs_ahll *)(void *)(rec + off);
			uint64_t rest = h << CS_HLL_BITS;
			uint8_t rho = (uint8_t)(rest ? __builtin_clzll(rest) + 1 : 64 - CS_HLL_BITS + 1);
			uint8_t *reg = &acc->r[h >> (64 - CS_HLL_BITS)];
			if (rho > *reg)
				*reg = rho;
		});
		return COLSTORE_OK;
	}
	case AK_COUNT: {
		const uint8_t *vb = v->validity;
		if (!vb && !gid) {
			((cs_acount *)(void *)(recs + off))->n += m;
			return COLSTORE_OK;
		}
		CS_EACH(if (CS_VALID)((cs_acount *)(void *)(rec + off))->n++;);
		return COLSTORE_OK;
	}
	case AK_ISUM: {
		const uint8_t *vb = v->validity;
		if (!vb && !gid && !idx) {
			cs_aisum *acc = (cs_aisum *)(void *)(recs + off);
			acc->n += m;
			cs_reduce_isum(v, v->type, m, &acc->s);
			return COLSTORE_OK;
		}
		if (ka->lsum && (v->type == COLSTORE_TYPE_INT8 || v->type == COLSTORE_TYPE_INT16 ||
		                 v->type == COLSTORE_TYPE_INT32)) {
			/* a few groups, narrow integers: a batch's sums in int64 slots
			 * (at most 2^16 rows of less than 2^31 each), then into the
			 * records once a group */
			int64_t *ls = ka->lsum;
			uint32_t *lc = cs_local_counts(ka, vb);
			memset(ls, 0, ka->nrec * sizeof(*ls));
#define CS_LSUM(T)                                                                         \
	do {                                                                               \
		const T *x = v->data;                                                      \
		if (!vb)                                                                   \
			for (uint32_t k = 0; k < m; k++)                                   \
				ls[gid[k]] += x[idx ? idx[k] : k];                         \
		else                                                                       \
			for (uint32_t k = 0; k < m; k++) {                                 \
				const uint32_t i = idx ? idx[k] : k;                       \
				if (CS_VALID) {                                            \
					ls[gid[k]] += x[i];                                \
					lc[gid[k]]++;                                      \
				}                                                          \
			}                                                                  \
	} while (0)
			if (v->type == COLSTORE_TYPE_INT8 && !vb && !idx && ka->nrec <= CS_SIMD_GROUPS) {
				cs_simd()->gsum8(gid, v->data, m, ka->nrec, ls); /* simd_group.c */
			} else {
				switch (v->type) {
				case COLSTORE_TYPE_INT8: CS_LSUM(int8_t); break;
				case COLSTORE_TYPE_INT16: CS_LSUM(int16_t); break;
				default: CS_LSUM(int32_t); break;
				}
			}
#undef CS_LSUM
			for (uint32_t g = 0; g < ka->nrec; g++)
				if (lc[g]) {
					cs_aisum *acc = (cs_aisum *)(void *)(recs + (size_t)g * rs + off);
					acc->n += lc[g];
					cs_i128_add(&acc->s, ls[g]);
				}
			return COLSTORE_OK;
		}
		if (ka->rows) { /* many groups, no nulls: each row counted as well */
#define CS_ISUM_ROWS(T)                                                                    \
	do {                                                                               \
		const T *x = v->data;                                                      \
		for (uint32_t k = 0; k < m; k++) {                                         \
			if (k + CS_PF_ROWS < m)                                            \
				__builtin_prefetch(recs + (size_t)gid[k + CS_PF_ROWS] * rs, 1); \
			uint8_t *rec = recs + (size_t)gid[k] * rs;                         \
			cs_aisum *acc = (cs_aisum *)(void *)(rec + off);                   \
			(*(int64_t *)(void *)rec)++;                                       \
			acc->n++;                                                          \
			cs_i128_add(&acc->s, (int64_t)x[idx ? idx[k] : k]);                \
		}                                                                          \
	} while (0)
			switch (v->type) {
			case COLSTORE_TYPE_INT8: CS_ISUM_ROWS(int8_t); break;
			case COLSTORE_TYPE_INT16: CS_ISUM_ROWS(int16_t); break;
			case COLSTORE_TYPE_INT32:
			case COLSTORE_TYPE_DATE: CS_ISUM_ROWS(int32_t); break;
			default: CS_ISUM_ROWS(int64_t); break;
			}
#undef CS_ISUM_ROWS
			return COLSTORE_OK;
		}
#define CS_ISUM(T)                                                                         \
	do {                                                                               \
		const T *x = v->data;                                                      \
		CS_EACH(if (CS_VALID) {                                                    \
			cs_aisum *acc = (cs_aisum *)(void *)(rec + off);                   \
			acc->n++;                                                          \
			cs_i128_add(&acc->s, (int64_t)x[i]);                               \
		});                                                                        \
	} while (0)
		switch (v->type) {
		case COLSTORE_TYPE_INT8: CS_ISUM(int8_t); break;
		case COLSTORE_TYPE_INT16: CS_ISUM(int16_t); break;
		case COLSTORE_TYPE_INT32:
		case COLSTORE_TYPE_DATE: CS_ISUM(int32_t); break;
		default: CS_ISUM(int64_t); break;
		}
		return COLSTORE_OK;
	}
	case AK_FSUM: {
		if (scale >= 0) { /* DECIMAL: exact mantissas */
			const int64_t *x = mv->data;
			const uint8_t *vb = mv->validity;
			if (!vb && !gid && !idx) {
				cs_afsum *acc = (cs_afsum *)(void *)(recs + off);
				cs_i128 t = { 0, 0 };
				cs_reduce_isum(mv, COLSTORE_TYPE_INT64, m, &t);
				acc->n += m;
				cs_fsum_add_decimal(&acc->f, cs_i128_get(&t), scale);
				return COLSTORE_OK;
			}
			if (ka->lsum && vb) {
				/* a few groups, with nulls: a batch's mantissas summed per
				 * group (without nulls, cs_kernel_dec_local took them) */
				__int128 *ls = (__int128 *)(void *)ka->lsum;
				uint32_t *lc = cs_local_counts(ka, vb);
				memset(ls, 0, ka->nrec * sizeof(*ls));
				for (uint32_t k = 0; k < m; k++) {
					const uint32_t i = idx ? idx[k] : k;
					if (CS_VALID) {
						ls[gid[k]] += x[i];
						lc[gid[k]]++;
					}
				}
				for (uint32_t g = 0; g < ka->nrec; g++)
					if (lc[g]) {
						cs_afsum *acc = (cs_afsum *)(void *)(recs + (size_t)g * rs + off);
						acc->n += lc[g];
						cs_fsum_add_decimal(&acc->f, ls[g], scale);
					}
				return COLSTORE_OK;
			}
			CS_EACH(if (CS_VALID) {
				cs_afsum *acc = (cs_afsum *)(void *)(rec + off);
				acc->n++;
				cs_fsum_dec1(&acc->f, x[i], scale);
			});
			return COLSTORE_OK;
		}
		const colstore_values *fv = mv ? mv : v;
		const uint8_t *vb = fv->validity;
		if (fv->type == COLSTORE_TYPE_FLOAT32) {
			const float *x = fv->data;
			CS_EACH(if (CS_VALID) {
				cs_afsum *acc = (cs_afsum *)(void *)(rec + off);
				acc->n++;
				cs_fsum_add_double(&acc->f, (double)x[i]);
			});
		} else {
			const double *x = fv->data;
			CS_EACH(if (CS_VALID) {
				cs_afsum *acc = (cs_afsum *)(void *)(rec + off);
				acc->n++;
				cs_fsum_add_double(&acc->f, x[i]);
			});
		}
		return COLSTORE_OK;
	}
	case AK_IMM: {
		const uint8_t *vb = v->validity;
#define CS_IMM(T)                                                                           \
	do {                                                                                \
		const T *x = v->data;                                                       \
		if (want_min)                                                               \
			CS_EACH(if (CS_VALID) {                                             \
				cs_amm *acc = (cs_amm *)(void *)(rec + off);                \
				if (!acc->n++ || x[i] < acc->v.i)                           \
					acc->v.i = x[i];                                    \
			});                                                                 \
		else                                                                        \
			CS_EACH(if (CS_VALID) {                                             \
				cs_amm *acc = (cs_amm *)(void *)(rec + off);                \
				if (!acc->n++ || x[i] > acc->v.i)                           \
					acc->v.i = x[i];                                    \
			});                                                                 \
	} while (0)
		switch (v->type) {
		case COLSTORE_TYPE_INT8: CS_IMM(int8_t); break;
		case COLSTORE_TYPE_INT16: CS_IMM(int16_t); break;
		case COLSTORE_TYPE_INT32:
		case COLSTORE_TYPE_DATE: CS_IMM(int32_t); break;
		case COLSTORE_TYPE_BOOL:
			CS_EACH(if (CS_VALID) {
				cs_amm *acc = (cs_amm *)(void *)(rec + off);
				int64_t x = cs_bit_get(v->data, i);
				if (!acc->n++ || (want_min ? x < acc->v.i : x > acc->v.i))
					acc->v.i = x;
			});
			break;
		default: CS_IMM(int64_t); break;
		}
		return COLSTORE_OK;
	}
	case AK_FMM: {
		if (mv) /* float64: the values as mantissas of DECIMAL chunks, or as doubles */
			v = mv;
/* M(T, BETTER, WORSE) for the column's float type and min or max: y (a row's
 * value) against cur (the best so far) */
#define CS_BY_FLOAT(M)                                                                       \
	do {                                                                                 \
		if (v->type == COLSTORE_TYPE_FLOAT32 && want_min)                            \
			M(float, y < cur, y > cur);                                          \
		else if (v->type == COLSTORE_TYPE_FLOAT32)                                   \
			M(float, y > cur, y < cur);                                          \
		else if (want_min)                                                           \
			M(double, y < cur, y > cur);                                         \
		else                                                                         \
			M(double, y > cur, y < cur);                                         \
	} while (0)
		const uint8_t *vb = v->validity;
		if (scale >= 0) {
			/* DECIMAL: m / 10^scale, in the order of m (a chunk stores no
			 * NaN and no -0, and m maps to its value one to one); each best
			 * becomes a double once, by the decoder's own division */
			const int64_t *x = v->data;
			const double p10 = cs_pow10[scale];
			if (!gid) {
				/* one record: the best mantissa of the rows (a loop of
				 * integer compares, vectorized without nulls or a
				 * selection), then one division */
				int64_t best = want_min ? INT64_MAX : INT64_MIN;
				uint64_t n = 0;
				if (!vb && !idx) {
					if (want_min)
						for (uint32_t i = 0; i < m; i++)
							best = x[i] < best ? x[i] : best;
					else
						for (uint32_t i = 0; i < m; i++)
							best = x[i] > best ? x[i] : best;
					n = m;
				} else {
					for (uint32_t k = 0; k < m; k++) {
						const uint32_t i = idx ? idx[k] : k;
						if (CS_VALID) {
							best = (want_min ? x[i] < best : x[i] > best) ? x[i] : best;
							n++;
						}
					}
				}
				if (n) {
					cs_amm *acc = (cs_amm *)(void *)(recs + off);
					const double y = (double)best / p10;
					if (!acc->n || cs_fbetter(y, acc->v.d, want_min))
						acc->v.d = y;
					acc->n += n;
				}
				return COLSTORE_OK;
			}
			CS_EACH(if (CS_VALID) {
				cs_amm *acc = (cs_amm *)(void *)(rec + off);
				const double y = (double)x[i] / p10;
				if (!acc->n++ || cs_fbetter(y, acc->v.d, want_min))
					acc->v.d = y;
			});
			return COLSTORE_OK;
		}
		if (!vb && !gid && !idx && v->type == COLSTORE_TYPE_FLOAT64) {
			const double *x = v->data;
			cs_amm *acc = (cs_amm *)(void *)(recs + off);
			double best = acc->n ? acc->v.d : x[0];
			for (uint32_t i = 0; i < m; i++)
				if (cs_fbetter(x[i], best, want_min))
					best = x[i];
			acc->v.d = best;
			acc->n += m;
			return COLSTORE_OK;
		}
		if (ka->lsum && !vb) {
			/* a few groups, no nulls: each group's best of the batch in a
			 * slot that starts as NaN (which any value beats, as in
			 * cs_fbetter: a group of NaNs stays NaN), then into its record */
			double *lb = (double *)(void *)ka->lsum;
			for (uint32_t g = 0; g < ka->nrec; g++)
				lb[g] = NAN;
#define CS_LMM(T, BETTER, WORSE)                                                            \
	do {                                                                                \
		const T *x = v->data;                                                       \
		for (uint32_t k = 0; k < m; k++) {                                          \
			const double y = (double)x[idx ? idx[k] : k];                       \
			const double cur = lb[gid[k]];                                      \
			if (BETTER || (!(WORSE) && cs_fbetter(y, cur, want_min)))           \
				lb[gid[k]] = y;                                             \
		}                                                                           \
	} while (0)
			CS_BY_FLOAT(CS_LMM);
#undef CS_LMM
			for (uint32_t g = 0; g < ka->nrec; g++)
				if (ka->hist[g]) {
					cs_amm *acc = (cs_amm *)(void *)(recs + (size_t)g * rs + off);
					if (!acc->n || cs_fbetter(lb[g], acc->v.d, want_min))
						acc->v.d = lb[g];
					acc->n += ka->hist[g];
				}
			return COLSTORE_OK;
		}
		/* per row: one compare decides but for NaN and equal values (both
		 * compares false), which cs_fbetter settles (NaN, -0 below +0) */
#define CS_FMM(T, BETTER, WORSE)                                                            \
	do {                                                                                \
		const T *x = v->data;                                                       \
		CS_EACH(if (CS_VALID) {                                                     \
			cs_amm *acc = (cs_amm *)(void *)(rec + off);                        \
			const double y = (double)x[i];                                      \
			const double cur = acc->v.d;                                        \
			if (!acc->n++ || BETTER || (!(WORSE) && cs_fbetter(y, cur, want_min)))  \
				acc->v.d = y;                                               \
		});                                                                         \
	} while (0)
		CS_BY_FLOAT(CS_FMM);
#undef CS_FMM
#undef CS_BY_FLOAT
		return COLSTORE_OK;
	}
	case AK_VAR: {
		const uint8_t *vb = v->validity;
#define CS_VAR(T, ADD)                                                                      \
	do {                                                                                \
		const T *x = v->data;                                                       \
		CS_EACH(if (CS_VALID) {                                                     \
			cs_avar *acc = (cs_avar *)(void *)(rec + off);                      \
			acc->n++;                                                           \
			ADD(acc, x[i]);                                                     \
		});                                                                         \
	} while (0)
		switch (v->type) {
		case COLSTORE_TYPE_INT8: CS_VAR(int8_t, cs_var_add_int); break;
		case COLSTORE_TYPE_INT16: CS_VAR(int16_t, cs_var_add_int); break;
		case COLSTORE_TYPE_INT32: CS_VAR(int32_t, cs_var_add_int); break;
		case COLSTORE_TYPE_FLOAT32: CS_VAR(float, cs_var_add_double); break;
		case COLSTORE_TYPE_FLOAT64: CS_VAR(double, cs_var_add_double); break;
		default: CS_VAR(int64_t, cs_var_add_int); break;
		}
#undef CS_VAR
		return COLSTORE_OK;
	}
	default: { /* AK_SMM */
		const uint8_t *vb = v->validity;
		int rc = COLSTORE_OK;
		CS_EACH(if (CS_VALID && !rc) {
			cs_amm *acc = (cs_amm *)(void *)(rec + off);
			const char *str;
			uint32_t len;
			cs_sval(a->r, s->col, v, i, &str, &len);
			if (!acc->n++ ||
			    (want_min ? 1 : -1) *
			                    cs_bytes_cmp(str, len, st->strs + acc->v.s.off, acc->v.s.len) <
			            0)
				if (cs_keep_string(st, acc, str, len))
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		});
		return rc;
	}
	}
}

/* ---- a DECIMAL column's aggregates under a few dense groups --------------------------
 * No nulls in the batch (cs_apply sends such specs here, not to cs_kernel,
 * whose per-row DECIMAL paths take the rest): the mantissas' min, max and
 * sum per group (those that specs ask for) in one loop over the rows, so
 * that min, max and avg of a column read its values and group ids once;
 * then each spec's records take them as cs_kernel's per-row AK_FMM and
 * AK_FSUM would (the same folds, so the same results). */

/* sums in int64 slots, an overflow anywhere noted (then the caller sums
 * again in __int128): an add that cannot fail for prices is half the work
 * of a 128-bit add to memory */
static inline __attribute__((always_inline)) int
cs_dec_pass(const int64_t *x, const uint32_t *idx, const cs_kargs *ka, int64_t *mn, int64_t *mx,
            int64_t *sm, const int dmn, const int dmx, const int dsm)
{
	const uint32_t *gid = ka->gid;
	int ovf = 0;
	for (uint32_t k = 0; k < ka->m; k++) {
		const int64_t y = x[idx ? idx[k] : k];
		const uint32_t g = gid[k];
		if (dmn)
			mn[g] = y < mn[g] ? y : mn[g];
		if (dmx)
			mx[g] = y > mx[g] ? y : mx[g];
		if (dsm)
			ovf |= __builtin_add_overflow(sm[g], y, &sm[g]);
	}
	return ovf;
}

/* the pass for these three flags, with and without a selection */
#define CS_DEC_PASS(A, B, C)                                                       \
	(ka->idx ? cs_dec_pass(x, ka->idx, ka, mn, mx, sm, A, B, C)                  \
	         : cs_dec_pass(x, NULL, ka, mn, mx, sm, A, B, C))

/* the least and greatest of the m mantissas that idx names (a selection:
 * the rows' values gathered, two lanes) */
static void cs_dec_bounds(const int64_t *x, const uint32_t *idx, uint32_t m, int64_t *lo,
                          int64_t *hi)
{
	int64_t l0 = INT64_MAX, l1 = INT64_MAX, h0 = INT64_MIN, h1 = INT64_MIN;
	uint32_t k = 0;
	for (; k + 2 <= m; k += 2) {
		const int64_t a = x[idx[k]], b = x[idx[k + 1]];
		l0 = a < l0 ? a : l0;
		h0 = a > h0 ? a : h0;
		l1 = b < l1 ? b : l1;
		h1 = b > h1 ? b : h1;
	}
	if (k < m) {
		const int64_t a = x[idx[k]];
		l0 = a < l0 ? a : l0;
		h0 = a > h0 ? a : h0;
	}
	*lo = l1 < l0 ? l1 : l0;
	*hi = h1 > h0 ? h1 : h0;
}

/* can no value in [lo, hi] (the bound that fn, A_MIN or A_MAX, uses)
 * change the fn records of the groups with rows in this batch?  A group is
 * settled when the batch's own fold, cur[g] (mn or mx so far), already
 * holds a value at least as good, or when its record does: a mantissa
 * over a power of ten is a nondecreasing map, never NaN or -0.0, so a
 * value no better than the bound is no better than any of [lo, hi] */
static int cs_dec_settled(const cs_aggspec *const *sp, uint32_t n, const cs_kargs *ka, int fn,
                          int64_t bound, const int64_t *cur, double p10)
{
	const double d = (double)bound / p10;
	for (uint32_t g = 0; g < ka->nrec; g++) {
		if (!ka->hist[g] || (fn == A_MIN ? cur[g] <= bound : cur[g] >= bound))
			continue;
		for (uint32_t k = 0; k < n; k++) {
			if (sp[k]->kind == AK_FSUM || sp[k]->fn != fn)
				continue;
			const cs_amm *acc =
				(const cs_amm *)(const void *)(ka->recs + (size_t)g * ka->rs + sp[k]->off);
			if (!acc->n || cs_fbetter(d, acc->v.d, fn == A_MIN))
				return 0;
		}
	}
	return 1;
}

/* rows of one slice, when its min and max are settled: the sums alone, in
 * four lanes (row k in lane k % 4, as cs_gdec_scalar keeps them); chk 0
 * when no sum can pass int64 (the caller's bound), else each add checked */
static inline __attribute__((always_inline)) int
cs_dec_sum4(const uint32_t *gid, const int64_t *x, uint32_t m, int64_t *ls, const int chk)
{
	int ovf = 0;
	uint32_t k = 0;
#define CS_SUM4_ROW(L)                                                    \
	do {                                                              \
		int64_t *t = &ls[gid[k + (L)] * 4 + (L)];                 \
		if (chk)                                                  \
			ovf |= __builtin_add_overflow(*t, x[k + (L)], t); \
		else                                                      \
			*t += x[k + (L)];                                 \
	} while (0)
	for (; k + 4 <= m; k += 4) {
		CS_SUM4_ROW(0);
		CS_SUM4_ROW(1);
		CS_SUM4_ROW(2);
		CS_SUM4_ROW(3);
	}
#undef CS_SUM4_ROW
	for (; k < m; k++)
		ovf |= __builtin_add_overflow(ls[gid[k] * 4], x[k], &ls[gid[k] * 4]);
	return ovf;
}

/* rows in slices of this many: the smaller, the sooner a slice's spread
 * lies inside every group's (the test costs a pass over the values and a
 * look at each group) */
#define CS_DEC_SLICE 2048u

/* every row of the batch, G <= CS_SIMD_GROUPS: slice by slice, the table's
 * kernel (min, max and sum at once) where a slice may change a min or max,
 * the sums alone where it cannot */
static int cs_dec_slices(const cs_aggspec *const *sp, uint32_t n, const cs_kargs *ka,
                         const int64_t *x, int dmn, int dmx, double p10, int64_t *mn,
                         int64_t *mx, int64_t *sm)
{
	const uint32_t G = ka->nrec;
	int64_t ls[4 * CS_SIMD_GROUPS], tn[CS_SIMD_GROUPS], tx[CS_SIMD_GROUPS],
		ts[CS_SIMD_GROUPS];
	for (uint32_t j = 0; j < 4 * G; j++)
		ls[j] = 0;
	int ovf = 0, chk = 0;
	for (uint32_t a = 0; a < ka->m; a += CS_DEC_SLICE) {
		const uint32_t m = ka->m - a < CS_DEC_SLICE ? ka->m - a : CS_DEC_SLICE;
		int64_t lo, hi;
		cs_simd()->bounds(x + a, m, &lo, &hi);
		/* while every value so far is within INT64_MAX / (the batch's
		 * rows), no sum of them can pass int64: the adds go unchecked
		 * until a slice holds a larger one, and checked from then on */
		const uint64_t ml = lo < 0 ? (uint64_t)0 - (uint64_t)lo : (uint64_t)lo;
		const uint64_t mh = hi < 0 ? (uint64_t)0 - (uint64_t)hi : (uint64_t)hi;
		chk |= (ml > mh ? ml : mh) > (uint64_t)INT64_MAX / ka->m;
		if ((!dmn || cs_dec_settled(sp, n, ka, A_MIN, lo, mn, p10)) &&
		    (!dmx || cs_dec_settled(sp, n, ka, A_MAX, hi, mx, p10))) {
			ovf |= chk ? cs_dec_sum4(ka->gid + a, x + a, m, ls, 1)
			           : cs_dec_sum4(ka->gid + a, x + a, m, ls, 0);
			continue;
		}
		ovf |= cs_simd()->gdec(ka->gid + a, x + a, m, G, tn, tx, ts);
		for (uint32_t g = 0; g < G; g++) {
			mn[g] = tn[g] < mn[g] ? tn[g] : mn[g];
			mx[g] = tx[g] > mx[g] ? tx[g] : mx[g];
			ovf |= __builtin_add_overflow(ls[4 * g], ts[g], &ls[4 * g]);
		}
	}
	for (uint32_t g = 0; g < G; g++)
		for (unsigned l = 0; l < 4; l++)
			ovf |= __builtin_add_overflow(sm[g], ls[4 * g + l], &sm[g]);
	return ovf;
}

void cs_kernel_dec_local(const cs_aggspec *const *sp, uint32_t n, const colstore_values *mv,
                         int scale, const cs_kargs *ka)
{
	int dmn = 0, dmx = 0, dsm = 0;
	for (uint32_t k = 0; k < n; k++) {
		if (sp[k]->kind == AK_FSUM)
			dsm = 1;
		else if (sp[k]->fn == A_MIN)
			dmn = 1;
		else
			dmx = 1;
	}
	const uint32_t G = ka->nrec;
	int64_t *mn = ka->lsum, *mx = mn + G, *sm = mx + G;
	__int128 *wide = (__int128 *)(void *)(mx + G); /* 16 G bytes in: aligned */
	for (uint32_t g = 0; g < G; g++) {
		mn[g] = INT64_MAX;
		mx[g] = INT64_MIN;
		sm[g] = 0;
	}
	const int64_t *x = mv->data;
	const double p10 = cs_pow10[scale];
	int ovf;
	/* A min or max that a batch (or a slice of it) cannot change is not
	 * worked out: with a few groups over one spread of values every group
	 * soon holds values at or past the slice's least and greatest, and then
	 * the pass keeps the sums alone.  The bounds are the values' own, not
	 * the chunk's statistics, which a reader may not use to produce values
	 * (R5.6.4).  A min or max left undone stays INT64_MAX or INT64_MIN,
	 * which the fold below finds no better than the record (settled). */
	if (!ka->idx && G <= CS_SIMD_GROUPS && (dmn || dmx)) {
		ovf = cs_dec_slices(sp, n, ka, x, dmn, dmx, p10, mn, mx, sm);
	} else {
		if ((dmn || dmx) && ka->m) {
			int64_t lo, hi;
			if (ka->idx)
				cs_dec_bounds(x, ka->idx, ka->m, &lo, &hi);
			else
				cs_simd()->bounds(x, ka->m, &lo, &hi);
			if (dmn && cs_dec_settled(sp, n, ka, A_MIN, lo, mn, p10))
				dmn = 0;
			if (dmx && cs_dec_settled(sp, n, ka, A_MAX, hi, mx, p10))
				dmx = 0;
		}
		switch (dmn | dmx << 1 | dsm << 2) {
		case 0: ovf = 0; break;
		case 1: ovf = CS_DEC_PASS(1, 0, 0); break;
		case 2: ovf = CS_DEC_PASS(0, 1, 0); break;
		case 3: ovf = CS_DEC_PASS(1, 1, 0); break;
		case 4: ovf = CS_DEC_PASS(0, 0, 1); break;
		case 5: ovf = CS_DEC_PASS(1, 0, 1); break;
		case 6: ovf = CS_DEC_PASS(0, 1, 1); break;
		default: ovf = CS_DEC_PASS(1, 1, 1); break;
		}
	}
#undef CS_DEC_PASS
	if (ovf) { /* a sum passed int64: again, in 128 bits */
		for (uint32_t g = 0; g < G; g++)
			wide[g] = 0;
		for (uint32_t k = 0; k < ka->m; k++)
			wide[ka->gid[k]] += x[ka->idx ? ka->idx[k] : k];
	} else {
		for (uint32_t g = G; g-- > 0;) /* from the top: wide[g] covers sm[2g..2g+1] */
			wide[g] = sm[g];
	}
	for (uint32_t k = 0; k < n; k++) {
		const cs_aggspec *s = sp[k];
		for (uint32_t g = 0; g < G; g++) {
			if (!ka->hist[g])
				continue;
			uint8_t *rec = ka->recs + (size_t)g * ka->rs + s->off;
			if (s->kind == AK_FSUM) {
				cs_afsum *acc = (cs_afsum *)(void *)rec;
				acc->n += ka->hist[g];
				cs_fsum_add_decimal(&acc->f, wide[g], scale);
			} else {
				const int want_min = s->fn == A_MIN;
				cs_amm *acc = (cs_amm *)(void *)rec;
				const double d = (double)(want_min ? mn[g] : mx[g]) / p10;
				if (!acc->n || cs_fbetter(d, acc->v.d, want_min))
					acc->v.d = d;
				acc->n += ka->hist[g];
			}
		}
	}
}
