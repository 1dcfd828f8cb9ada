/*
 * agg.h -- the private types and helpers of colstore_agg, shared by its
 * sources: agg.c (the API, and the run as a whole; its comment describes the
 * design), agg_plan.c, agg_state.c, agg_kernel.c, agg_run.c, agg_spill.c and
 * agg_result.c.  Nothing here is API; every symbol is cs_-prefixed and
 * hidden.
 */
#ifndef CS_AGG_H
#define CS_AGG_H

#include <math.h>
#include <stdlib.h>

#include <xxhash.h>

#include "calc.h"

enum { A_COUNT_STAR, A_COUNT, A_SUM, A_MIN, A_MAX, A_AVG, A_VAR, A_VAR_POP, A_STD, A_STD_POP,
       A_COUNT_DISTINCT, A_MEDIAN, A_QUANTILE, A_APPROX_DISTINCT };
/* avg, var, var_pop, stddev, stddev_pop: float64 results of numbers */
#define CS_FN_FLOAT(fn) ((fn) >= A_AVG && (fn) <= A_STD_POP)
enum { K_NONE, K_DICT, K_INT, K_HASH };
/* accumulator kinds */
/* AK_DISTINCT, AK_QUANT: no accumulator; counted, or picked from the
 * sorted values, by a second aggregation (agg_distinct.c); AK_HLL: the
 * registers of a HyperLogLog sketch */
enum { AK_ROWS, AK_COUNT, AK_ISUM, AK_FSUM, AK_IMM, AK_FMM, AK_SMM, AK_VAR, AK_DISTINCT, AK_QUANT,
       AK_HLL };
/* approx_count_distinct: 2^12 one-byte registers (standard error 1.04 /
 * sqrt(4096), 1.6%) */
#define CS_HLL_BITS 12
#define CS_HLL_M (1u << CS_HLL_BITS)

/* an unlinked temporary file, written through a buffer, mapped at the end */
typedef struct cs_spill {
	int fd;
	char path[4096];
	uint8_t *buf;
	size_t used, cap;
	uint64_t off; /* bytes in the file */
} cs_spill;

typedef struct cs_hrun {
	uint64_t at, end; /* a run of entries: its next one, and where it ends */
	/* merging: bytes [boff, boff + len) of the file, read into buf */
	uint8_t *buf;
	size_t cap, len;
	uint64_t boff;
} cs_hrun;

typedef struct cs_aggspec {
	int fn;
	uint32_t col;
	uint8_t type;   /* the column's */
	char *name;     /* as written */
	colstore_type out_type;
	double q;       /* median, quantile: the fraction, 0 to 1 */
	int kind;       /* AK_* */
	uint32_t off;   /* of its accumulator in a record */
} cs_aggspec;

typedef struct { int64_t n; } cs_acount;
typedef struct { uint8_t r[CS_HLL_M]; } cs_ahll;
typedef struct { int64_t n; cs_i128 s; } cs_aisum;
typedef struct { int64_t n; cs_fsum f; } cs_afsum;
/* var, stddev: the count and exact sums of the values and their squares
 * (integers: in 128 and 192 bits; floats: exact float sums, a square
 * added as its double and its rounding error, by fma), so that a group's
 * result does not depend on how its rows were shared out (agg_var.c) */
typedef struct {
	int64_t n;
	cs_i128 s1;
	uint64_t s2[3];
	cs_fsum f1, f2, f2e; /* floats: values, squares rounded, their rounding errors */
	double lo, hi;       /* floats: the least and greatest value (equal: var 0) */
} cs_avar;
typedef struct {
	int64_t n;
	union {
		int64_t i;
		double d;
		struct { uint32_t off, len; } s; /* in the state's string arena */
	} v;
} cs_amm;

/* K_HASH: a slot of the table.  The key's place and length are here, so
 * that finding a group reads the slot and the key bytes, and nothing else. */
typedef struct cs_slot {
	uint32_t h;    /* cs_key_hash of the key */
	uint32_t g1;   /* group + 1; 0: empty */
	uint64_t kpos; /* key offset << 24 | length (CS_KLEN_BIG: see key_len) */
} cs_slot;
#define CS_KLEN_BIG 0xffffffu

/* one worker's groups (and, after the merge, the result's) */
typedef struct cs_state {
	uint8_t *recs;      /* nrec records of rec_size bytes */
	uint64_t nrec, cap;
	size_t recs_mapped; /* dense: recs is a mapping of this many bytes */
	/* K_HASH */
	uint64_t *key_off;
	uint32_t *key_len;
	uint8_t *keys;
	size_t keys_len, keys_cap;
	cs_slot *slots;     /* open addressing, at most half full */
	size_t nslots;
	/* string min/max */
	char *strs;
	size_t strs_len, strs_cap;
} cs_state;

/* a group's key string, read once when the groups are sorted */
typedef struct cs_kstr {
	const char *s;
	uint32_t len;
} cs_kstr;

struct colstore_agg {
	colstore_reader *r;
	const colstore_filter *filter; /* the caller's, or NULL */
	uint32_t ngb, nagg;
	uint32_t *gb;    /* group-by slots */
	char **gname;    /* each one's name in the result */
	/* value expressions of aggregates and keys: slot r->num_columns + e is
	 * xs[e]; a slot below that is a column */
	cs_calc **xs;
	uint32_t nx, nslot;
	uint8_t *xdec;   /* per expression: summed in decimal form where it has one */
	cs_aggspec *aggs;
	uint32_t threads; /* asked for; 0: one per core */
	uint64_t mem_limit; /* asked for; 0: half of what the process may use */
	/* plan */
	int key;          /* K_* */
	int64_t key_min;  /* K_INT: value of slot 0 */
	uint64_t key_slots; /* K_INT: values min..max, then the null slot */
	uint32_t rec_size;
	uint8_t *need;    /* per slot: 1 values, 2 mantissas, 3 both */
	uint8_t *sum_only; /* per slot: only sum/avg use it (its sum may come packed) */
	uint8_t *kcode;   /* K_HASH, per group-by value: a string dictionary-encoded in
	                   * every chunk, keyed by its code (4 bytes), not its text */
	int count_only;   /* every aggregate is count(*) */
	/* dense keys with more groups than fit: passes over ranges of key
	 * positions (a dictionary key's sorted rank, an integer's value), each
	 * pass's groups appended in order to a temporary file, mapped after */
	uint32_t parts;      /* passes (1: all groups at once, in memory) */
	uint64_t positions;  /* key positions, the null one last */
	uint64_t part_lo, part_n; /* this pass: positions [lo, lo + n) */
	uint32_t *rank, *unrank; /* K_DICT: code -> sorted position and back */
	uint32_t **kranks; /* K_HASH: per key, a code's sorted rank (keys by code), else NULL */
	/* the result's order (colstore_agg_set_order): result columns, each
	 * ascending or not; the first limit groups; once run, the groups by
	 * their key order in result order (NULL: key order) */
	struct { uint32_t col; int desc; } *ord;
	uint32_t nord;
	uint64_t limit;
	uint64_t *opos;
	size_t opos_mapped; /* opos is a mapping of this many bytes (else malloc'd) */
	uint64_t **distinct; /* per spec: count(distinct x) of each group, in key order */
	double **quant;      /* per spec: median or quantile of each group, in key order, */
	uint8_t **qnull;     /* and whether it is null (no value) */
	int ranking; /* colstore_agg_run: cells readable, in key order, before ready */
	int pass;
	uint8_t *spill;      /* the mapped result: records, each + its group id */
	size_t spill_size;
	/* K_HASH with more groups than fit: runs of sorted entries (see
	 * cs_put_entry) in a temporary file, merged into entries and an index */
	uint64_t budget;     /* bytes of groups one worker may hold (0: no limit) */
	cs_spill hsp;        /* the runs, when a worker wrote any */
	cs_hrun *hrun;
	size_t nhrun;
	int hspilled;
	uint64_t spill_bytes; /* written to temporary files */
	uint8_t *hruns;      /* mapped: the merged entries */
	size_t hruns_size;
	uint64_t *hidx;      /* mapped: their offsets in hruns, in key order */
	size_t hidx_size;
	/* result */
	cs_state st;
	uint64_t ngroups;
	uint64_t *order;  /* sorted groups: record numbers */
	uint8_t *srecs;   /* dense keys: the records in that order (cs_sort_groups) */
	cs_kstr *kstr;    /* K_DICT: each sorted group's key string */
	uint32_t rg_read, rg_skipped;
	uint32_t threads_used;
	int ran, ready;
};

/* the rows a kernel takes, and their records (see CS_EACH) */
typedef struct cs_kargs {
	uint8_t *recs;
	size_t rs;
	const uint32_t *idx, *gid;
	uint32_t m;
	/* a few dense groups (nrec <= CS_LOCAL_GROUPS): the worker's scratch for
	 * per-batch sums (32 bytes a group: int64 or __int128 slots, 16-byte
	 * aligned) and counts, one slot a group; else NULL */
	int64_t *lsum;
	uint32_t *lcnt;
	const uint32_t *hist; /* with lsum: the batch's rows in each group */
	uint32_t nrec;
	/* many groups (records past CS_PF_BYTES), an int sum without nulls:
	 * the kernel also counts each row into its record's row count, so
	 * that the records are visited once for both (cs_apply) */
	int rows;
} cs_kargs;

/* the rows of an aggregation's batch: a batch's decoded columns (8 bytes a
 * value at most) and group ids then fit in a core's L2 cache between the
 * decoding and the kernels; with CS_BATCH_ROWS they went out to memory
 * and back, which two threads felt most (bench/run q1: 8-12% faster at 1
 * and 2 threads; months of a timestamp 15%) */
#define CS_AGG_BATCH_ROWS 8192u

/* dense groups up to this many are summed per batch into plain int64 slots,
 * then once into their records */
#define CS_LOCAL_GROUPS 4096u

/* records past this many bytes are not expected in the cache: a loop over
 * a batch's rows fetches the record of row k + CS_PF_ROWS ahead, so that
 * the misses of many rows overlap instead of each stalling the loop */
#define CS_PF_BYTES (1u << 20)
#define CS_PF_ROWS 128u

/* ---- helpers used across the files ----------------------------------- */

/* a slot as written: a column's name, or an expression's text */
static inline const char *cs_slot_text(const colstore_agg *a, uint32_t c)
{
	return c < a->r->num_columns ? a->r->columns[c].name
	                             : cs_calc_text(a->xs[c - a->r->num_columns]);
}

/* the type of a slot's values: a column's, or an expression's (int64,
 * float64, bool, date, timestamp or string) */
static inline uint8_t cs_slot_type(const colstore_agg *a, uint32_t c)
{
	return c < a->r->num_columns ? a->r->columns[c].type
	                             : cs_calc_type(a->xs[c - a->r->num_columns]);
}

static inline int cs_is_float(uint8_t t)
{
	return t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64;
}

static inline uint8_t *cs_rec(const colstore_agg *a, const cs_state *st, uint64_t g)
{
	return st->recs + g * a->rec_size;
}

static inline int cs_grow_bytes(void **p, size_t *cap, size_t need)
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

static inline uint32_t cs_key_hash(const uint8_t *key, size_t len)
{
	return (uint32_t)XXH3_64bits(key, len);
}

static inline int64_t cs_ival(const colstore_values *v, uint32_t i)
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

static inline double cs_dval(const colstore_values *v, uint32_t i)
{
	return v->type == COLSTORE_TYPE_FLOAT32 ? (double)((const float *)v->data)[i]
	                                        : ((const double *)v->data)[i];
}

static inline uint32_t cs_code(const colstore_values *v, uint32_t i)
{
	return cs_code_at(v->data, v->code_width, i);
}

static inline int cs_is_valid(const colstore_values *v, uint32_t i)
{
	return !v->validity || cs_bit_get(v->validity, i);
}

/* exact 128-bit sums of int64s */
static inline void cs_i128_add(cs_i128 *s, int64_t v)
{
	uint64_t lo = s->lo + (uint64_t)v;
	s->hi += (v < 0 ? -1 : 0) + (lo < s->lo);
	s->lo = lo;
}

static inline void cs_i128_add128(cs_i128 *s, const cs_i128 *t)
{
	uint64_t lo = s->lo + t->lo;
	s->hi += t->hi + (lo < s->lo);
	s->lo = lo;
}

/* min/max over floats in a total order: NaN only when nothing else, -0 < +0 */
static inline int cs_fbetter(double x, double cur, int want_min)
{
	if (isnan(x))
		return 0;
	if (isnan(cur))
		return 1;
	if (x == cur)
		return want_min ? signbit(x) && !signbit(cur) : !signbit(x) && signbit(cur);
	return want_min ? x < cur : x > cur;
}

/* where the next byte put will lie in the file */
static inline uint64_t cs_spill_pos(const cs_spill *sp)
{
	return sp->off + sp->used;
}

static inline const uint8_t *cs_entry_key(const colstore_agg *a, const uint8_t *e)
{
	return e + 8 + a->rec_size;
}

/* integer sums must fit int64 */
static inline int cs_check_sum(const cs_aggspec *s, const uint8_t *rec, colstore_error *err)
{
	const cs_aisum *u = (const cs_aisum *)(const void *)(rec + s->off);
	if (s->kind == AK_ISUM && s->fn == A_SUM && u->s.hi != ((int64_t)u->s.lo < 0 ? -1 : 0))
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "%s overflows int64", s->name);
	return COLSTORE_OK;
}

/* ---- agg_plan.c -------------------------------------------------------- */

CS_HIDDEN int cs_plan(colstore_agg *a, colstore_error *err);
CS_HIDDEN uint64_t cs_agg_limit(const colstore_agg *a);
CS_HIDDEN void cs_mem_plan(colstore_agg *a, uint32_t *nw);
CS_HIDDEN int cs_rank_dict(colstore_agg *a, colstore_error *err);
/* K_HASH: the dictionary ranks of the keys held by their codes */
CS_HIDDEN int cs_rank_keys(colstore_agg *a, colstore_error *err);

/* ---- agg_state.c ------------------------------------------------------- */

CS_HIDDEN void cs_state_free(cs_state *st);
CS_HIDDEN int cs_state_init(const colstore_agg *a, cs_state *st);
CS_HIDDEN uint64_t cs_state_bytes(const colstore_agg *a, const cs_state *st);
CS_HIDDEN void cs_state_reset(cs_state *st);
CS_HIDDEN int64_t cs_group(const colstore_agg *a, cs_state *st, const uint8_t *key, size_t len,
                           uint32_t h);
CS_HIDDEN int cs_keep_string(cs_state *st, cs_amm *m, const char *s, uint32_t len);
CS_HIDDEN int cs_merge_rec(const colstore_agg *a, cs_state *dst, uint8_t *x, const cs_state *src,
                           const uint8_t *y);
CS_HIDDEN int cs_merge_state(colstore_agg *a, cs_state *dst, const cs_state *src, uint32_t nt);

/* ---- agg_kernel.c ------------------------------------------------------ */

CS_HIDDEN void cs_sval(const colstore_reader *r, uint32_t col, const colstore_values *v, uint32_t i,
                       const char **s, uint32_t *len);
/* min, max and sum/avg (specs sp[0 .. n), n >= 1, of one column) of a
 * DECIMAL batch without nulls under a few dense groups, in one pass */
CS_HIDDEN void cs_kernel_dec_local(const cs_aggspec *const *sp, uint32_t n,
                                   const colstore_values *mv, int scale, const cs_kargs *ka);
CS_HIDDEN int cs_kernel(colstore_agg *a, cs_state *st, const cs_aggspec *s,
                        const colstore_values *v, const colstore_values *mv, int scale,
                        const cs_kargs *ka, colstore_error *err);

/* ---- agg_run.c --------------------------------------------------------- */

CS_HIDDEN int cs_run_pass(colstore_agg *a, uint32_t nw, colstore_error *err);

/* ---- agg_spill.c ------------------------------------------------------- */

CS_HIDDEN int cs_spill_open(cs_spill *sp, colstore_error *err);
CS_HIDDEN int cs_spill_put(cs_spill *sp, const void *p, size_t n, colstore_error *err);
/* what is buffered, written to the file */
CS_HIDDEN int cs_spill_flush(cs_spill *sp, colstore_error *err);
CS_HIDDEN int cs_spill_map(cs_spill *sp, uint64_t off, size_t n, void **out, colstore_error *err);
CS_HIDDEN void cs_spill_close(cs_spill *sp);
CS_HIDDEN int cs_put_entry(const colstore_agg *a, cs_spill *sp, const uint8_t *r,
                           const uint8_t *key, uint32_t klen, const char *strs, uint8_t **tmp,
                           size_t *cap, colstore_error *err);
CS_HIDDEN int cs_merge_runs(colstore_agg *a, uint64_t limit, colstore_error *err);

/* ---- agg_result.c ------------------------------------------------------ */

CS_HIDDEN int cs_sort_groups(colstore_agg *a, colstore_error *err);
/* two cells of a column in result order: nulls last, NaN above numbers */
CS_HIDDEN int cs_cell_cmp(const colstore_cell *x, const colstore_cell *y);

/* ---- agg_var.c ---------------------------------------------------------- */

CS_HIDDEN void cs_var_add_int(cs_avar *v, int64_t x);
CS_HIDDEN void cs_var_add_double(cs_avar *v, double x);
CS_HIDDEN void cs_var_merge(cs_avar *v, const cs_avar *w);
/* the variance of the values (sample: divided by n - 1, else by n) */
CS_HIDDEN double cs_var_value(const cs_avar *v, int is_float, int sample);

/* ---- agg_distinct.c ---------------------------------------------------- */

/* the HyperLogLog estimate of a sketch's registers */
CS_HIDDEN int64_t cs_hll_estimate(const cs_ahll *h);
/* each count(distinct x), median and quantile of the result, after the
 * run and before ranking */
CS_HIDDEN int cs_count_distinct(colstore_agg *a, colstore_error *err);

/* ---- agg_order.c ------------------------------------------------------- */

/* the groups in the order and limit asked for, after the run */
CS_HIDDEN int cs_order_result(colstore_agg *a, colstore_error *err);
CS_HIDDEN int cs_keys_cmp(const colstore_agg *a, const uint8_t *p, const uint8_t *q);
CS_HIDDEN int cs_sort_hashed(const colstore_agg *a, const cs_state *st, uint64_t *order);

#endif /* CS_AGG_H */
