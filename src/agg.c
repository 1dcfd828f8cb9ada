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
#include <sys/mman.h>
#include <unistd.h>

#include <xxhash.h>

#include "internal.h"

enum { A_COUNT_STAR, A_COUNT, A_SUM, A_MIN, A_MAX, A_AVG };
enum { K_NONE, K_DICT, K_INT, K_HASH };
/* accumulator kinds */
enum { AK_ROWS, AK_COUNT, AK_ISUM, AK_FSUM, AK_IMM, AK_FMM, AK_SMM };

#define CS_DENSE_MAX (1u << 20) /* K_INT: at most this many slots */
#define CS_SLICE 4096 /* K_HASH: rows between two looks at a worker's memory */

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
	int kind;       /* AK_* */
	uint32_t off;   /* of its accumulator in a record */
} cs_aggspec;

typedef struct { int64_t n; } cs_acount;
typedef struct { int64_t n; cs_i128 s; } cs_aisum;
typedef struct { int64_t n; cs_fsum f; } cs_afsum;
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

struct colstore_agg {
	colstore_reader *r;
	colstore_filter *filter;
	uint32_t ngb, nagg;
	uint32_t *gb;    /* group-by columns */
	cs_aggspec *aggs;
	uint32_t threads; /* asked for; 0: one per core */
	uint64_t mem_limit; /* asked for; 0: half of what the process may use */
	/* plan */
	int key;          /* K_* */
	int64_t key_min;  /* K_INT: value of slot 0 */
	uint64_t key_slots; /* K_INT: values min..max, then the null slot */
	uint32_t rec_size;
	uint8_t *need;    /* per column: 1 values, 2 mantissas, 3 both */
	uint8_t *sum_only; /* per column: only sum/avg use it (its sum may come packed) */
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
	uint32_t rg_read, rg_skipped;
	uint32_t threads_used;
	int ran, ready;
};


static void cs_state_free(cs_state *st)
{
	if (st->recs_mapped)
		munmap(st->recs, st->recs_mapped);
	else
		free(st->recs);
	free(st->key_off);
	free(st->key_len);
	free(st->keys);
	free(st->slots);
	free(st->strs);
	memset(st, 0, sizeof(*st));
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
	free(a->need);
	free(a->sum_only);
	free(a->kcode);
	cs_state_free(&a->st);
	free(a->order);
	free(a->rank);
	free(a->unrank);
	if (a->spill)
		munmap(a->spill, a->spill_size);
	if (a->hruns)
		munmap(a->hruns, a->hruns_size);
	if (a->hidx)
		munmap(a->hidx, a->hidx_size);
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

/* ---- states: records, hash table, string arena --------------------------------- */

static inline uint8_t *cs_rec(const colstore_agg *a, const cs_state *st, uint64_t g)
{
	return st->recs + g * a->rec_size;
}

static int cs_state_init(const colstore_agg *a, cs_state *st)
{
	memset(st, 0, sizeof(*st));
	uint64_t n = 0;
	switch (a->key) {
	case K_NONE: n = 1; break;
	case K_DICT: n = (uint64_t)a->r->columns[a->gb[0]].dict_count + 1; break; /* + null */
	case K_INT: n = a->key_slots; break;
	default: return 0;
	}
	if (a->parts > 1)
		n = a->part_n;
	size_t bytes = (size_t)n * a->rec_size;
	if (bytes >= ((size_t)4 << 20)) {
		/* a large dense array: its own mapping, in huge pages where the
		 * kernel has them (first touches fault 2 MiB at a time, not 4 KiB;
		 * a fault is dear on a VM) */
		void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return -1;
#ifdef MADV_HUGEPAGE
		madvise(m, bytes, MADV_HUGEPAGE);
#endif
		st->recs = m;
		st->recs_mapped = bytes;
	} else if (!(st->recs = calloc(n, a->rec_size))) {
		return -1;
	}
	st->nrec = st->cap = n;
	return 0;
}

static int cs_grow_bytes(void **p, size_t *cap, size_t need);

/* bytes a K_HASH state's groups use (its arrays may hold up to twice as
 * many, having doubled) */
static uint64_t cs_state_bytes(const colstore_agg *a, const cs_state *st)
{
	return st->nrec * ((uint64_t)a->rec_size + 12 + 2 * sizeof(cs_slot)) + st->keys_len +
	       st->strs_len;
}

/* no groups; the memory is kept for the next ones */
static void cs_state_reset(cs_state *st)
{
	st->nrec = 0;
	st->keys_len = 0;
	st->strs_len = 0;
	if (st->slots)
		memset(st->slots, 0, st->nslots * sizeof(*st->slots));
}

static inline uint32_t cs_key_hash(const uint8_t *key, size_t len)
{
	return (uint32_t)XXH3_64bits(key, len);
}

/* the group of these key bytes (h: their cs_key_hash), added when new; -1
 * when out of memory */
static int64_t cs_group(const colstore_agg *a, cs_state *st, const uint8_t *key, size_t len,
                        uint32_t h)
{
	if (st->nrec * 2 >= st->nslots) {
		size_t n = st->nslots ? st->nslots * 2 : 1024;
		cs_slot *sl = calloc(n, sizeof(*sl));
		if (!sl)
			return -1;
		for (size_t k = 0; k < st->nslots; k++)
			if (st->slots[k].g1) {
				size_t i = st->slots[k].h & (n - 1);
				while (sl[i].g1)
					i = (i + 1) & (n - 1);
				sl[i] = st->slots[k];
			}
		free(st->slots);
		st->slots = sl;
		st->nslots = n;
	}
	const uint64_t klen = len < CS_KLEN_BIG ? len : CS_KLEN_BIG;
	size_t mask = st->nslots - 1, i = h & mask;
	for (const cs_slot *sl; (sl = &st->slots[i])->g1 != 0; i = (i + 1) & mask) {
		if (sl->h != h || (sl->kpos & CS_KLEN_BIG) != klen)
			continue;
		if (klen == CS_KLEN_BIG && st->key_len[sl->g1 - 1] != len)
			continue;
		if (memcmp(st->keys + (sl->kpos >> 24), key, len) == 0)
			return (int64_t)sl->g1 - 1;
	}
	if (st->nrec >= UINT32_MAX - 1)
		return -1;
	if (st->nrec == st->cap) {
		uint64_t cap = st->cap ? st->cap * 2 : 256;
		uint64_t *ko = realloc(st->key_off, cap * sizeof(*ko));
		if (ko)
			st->key_off = ko;
		uint32_t *kl = realloc(st->key_len, cap * sizeof(*kl));
		if (kl)
			st->key_len = kl;
		uint8_t *rc = realloc(st->recs, cap * a->rec_size);
		if (rc)
			st->recs = rc;
		if (!ko || !kl || !rc)
			return -1;
		st->cap = cap;
	}
	if (st->keys_len + len >= (uint64_t)1 << 40 ||
	    cs_grow_bytes((void **)&st->keys, &st->keys_cap, st->keys_len + len + 1))
		return -1;
	uint64_t g = st->nrec++;
	if (len)
		memcpy(st->keys + st->keys_len, key, len);
	st->key_off[g] = st->keys_len;
	st->key_len[g] = (uint32_t)len;
	st->keys_len += len;
	memset(cs_rec(a, st, g), 0, a->rec_size);
	st->slots[i] = (cs_slot){ h, (uint32_t)(g + 1), st->key_off[g] << 24 | klen };
	return (int64_t)g;
}

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

/* keep a string for a min/max; -1 when out of memory */
static int cs_keep_string(cs_state *st, cs_amm *m, const char *s, uint32_t len)
{
	if (cs_grow_bytes((void **)&st->strs, &st->strs_cap, st->strs_len + len + 1))
		return -1;
	if (len)
		memcpy(st->strs + st->strs_len, s, len);
	m->v.s.off = (uint32_t)st->strs_len; /* the arena only grows: old copies stay */
	m->v.s.len = len;
	st->strs_len += len;
	return 0;
}

/* ---- value helpers ----------------------------------------------------------------- */

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

static void cs_sval(const colstore_reader *r, uint32_t col, const colstore_values *v, uint32_t i,
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

/* the decimal part's fast path: same scale, add in place */
static inline void cs_fsum_dec1(cs_fsum *f, int64_t m, int e)
{
	if (f->has_dec && f->dec_scale == e)
		cs_i128_add(&f->dec, m);
	else
		cs_fsum_add_decimal(f, m, e);
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
		} else {                                                                 \
			for (uint32_t k = 0; k < m; k++) {                               \
				const uint32_t i = idx ? idx[k] : k;                     \
				uint8_t *rec = recs + (size_t)gid[k] * rs;               \
				BODY                                                     \
			}                                                                \
		}                                                                        \
	} while (0)

#define CS_VALID (!vb || cs_bit_get(vb, i))

typedef struct cs_kargs {
	uint8_t *recs;
	size_t rs;
	const uint32_t *idx, *gid;
	uint32_t m;
} cs_kargs;

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

static int cs_kernel(colstore_agg *a, cs_state *st, const cs_aggspec *s, const colstore_values *v,
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
		const uint8_t *vb = v->validity;
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
		CS_EACH(if (CS_VALID) {
			cs_amm *acc = (cs_amm *)(void *)(rec + off);
			double x = cs_dval(v, i);
			if (!acc->n++ || cs_fbetter(x, acc->v.d, want_min))
				acc->v.d = x;
		});
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

/* ---- groups that do not fit: temporary files ------------------------------------- */

static int cs_spill_open(cs_spill *sp, colstore_error *err)
{
	const char *dir = getenv("TMPDIR");
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->path, sizeof(sp->path), "%s/colstore-groups-XXXXXX", dir && *dir ? dir : "/tmp");
	sp->fd = mkstemp(sp->path);
	if (sp->fd < 0)
		return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
		              "cannot create a temporary file %s for the groups: %s", sp->path,
		              strerror(errno));
	unlink(sp->path); /* gone with the descriptor, whatever happens */
	sp->cap = (size_t)1 << 20;
	if (!(sp->buf = malloc(sp->cap))) {
		close(sp->fd);
		sp->fd = -1;
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	return COLSTORE_OK;
}

static int cs_spill_flush(cs_spill *sp, colstore_error *err)
{
	int rc = cs_write_all(sp->fd, sp->buf, sp->used, sp->path, err);
	sp->off += sp->used;
	sp->used = 0;
	return rc;
}

/* where the next byte put will lie in the file */
static inline uint64_t cs_spill_pos(const cs_spill *sp)
{
	return sp->off + sp->used;
}

static int cs_spill_put(cs_spill *sp, const void *p, size_t n, colstore_error *err)
{
	const uint8_t *b = p;
	while (n) {
		int rc;
		if (sp->used == sp->cap && (rc = cs_spill_flush(sp, err)))
			return rc;
		size_t k = n < sp->cap - sp->used ? n : sp->cap - sp->used;
		memcpy(sp->buf + sp->used, b, k);
		sp->used += k;
		b += k;
		n -= k;
	}
	return COLSTORE_OK;
}

/* maps n bytes from off (a multiple of the page size), after a flush */
static int cs_spill_map(cs_spill *sp, uint64_t off, size_t n, void **out, colstore_error *err)
{
	int rc = cs_spill_flush(sp, err);
	if (rc)
		return rc;
	void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, sp->fd, (off_t)off);
	if (m == MAP_FAILED)
		return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "mmap of %s: %s", sp->path,
		              strerror(errno));
	*out = m;
	return COLSTORE_OK;
}

static void cs_spill_close(cs_spill *sp)
{
	free(sp->buf);
	if (sp->fd >= 0)
		close(sp->fd);
}

/* A K_HASH group in a run: the entry's size and the key's length (u32
 * each), the record, the key bytes, then the strings of its string
 * min/max (whose offsets in the record are made relative to the entry);
 * padded to 8 bytes. */
static int cs_put_entry(const colstore_agg *a, cs_spill *sp, const uint8_t *r, const uint8_t *key,
                        uint32_t klen, const char *strs, uint8_t **tmp, size_t *cap,
                        colstore_error *err)
{
	size_t n = 8 + (size_t)a->rec_size + klen;
	for (uint32_t k = 0; k < a->nagg; k++)
		if (a->aggs[k].kind == AK_SMM)
			n += ((const cs_amm *)(const void *)(r + a->aggs[k].off))->v.s.len;
	n = (n + 7) & ~(size_t)7;
	if (n > UINT32_MAX)
		return cs_err(err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET, "a group's key is too long");
	if (cs_grow_bytes((void **)tmp, cap, n))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint8_t *e = *tmp, *rec = e + 8;
	uint32_t n32 = (uint32_t)n;
	memset(e, 0, n);
	memcpy(e, &n32, 4);
	memcpy(e + 4, &klen, 4);
	memcpy(rec, r, a->rec_size);
	if (klen)
		memcpy(rec + a->rec_size, key, klen);
	size_t at = 8 + (size_t)a->rec_size + klen;
	for (uint32_t k = 0; k < a->nagg; k++)
		if (a->aggs[k].kind == AK_SMM) {
			cs_amm *m = (cs_amm *)(void *)(rec + a->aggs[k].off);
			if (m->v.s.len)
				memcpy(e + at, strs + m->v.s.off, m->v.s.len);
			m->v.s.off = (uint32_t)at;
			at += m->v.s.len;
		}
	return cs_spill_put(sp, e, n, err);
}


typedef struct {
	const colstore_agg *a;
	const cs_state *st;
} cs_sortctx;

static int cs_sort_hashed(const colstore_agg *a, const cs_state *st, uint64_t *order);

/* ---- workers ------------------------------------------------------------------------ */

typedef struct cs_run cs_run;

typedef struct cs_worker {
	cs_run *run;
	cs_state st;
	colstore_buffers *b, *bm; /* values; DECIMAL mantissas */
	colstore_values *vals, *mvals;
	int *scale;
	__int128 *psum; /* per column: its sum taken from the packed bits, */
	uint8_t *psum_ok; /* when this is 1 for the row group in hand */
	uint8_t *sel;
	uint32_t *idx, *gid;
	uint8_t *key;    /* K_HASH: the keys of a slice of rows, */
	size_t keycap;
	uint64_t *koff;  /* each one's offset in key, */
	uint32_t *khash; /* and its hash */
	uint64_t *order; /* K_HASH: writing a run */
	size_t ordercap;
	uint8_t *tmp;
	size_t tmpcap;
	uint32_t rg_read, rg_skipped;
	uint32_t cur;  /* row group in hand, or UINT32_MAX */
	int rc;
	colstore_error err;
	pthread_t th;
} cs_worker;

struct cs_run {
	colstore_agg *a;
	uint32_t next;   /* atomic: the next row group to hand out */
	int stop;        /* atomic: a worker failed */
	uint32_t nw;
	cs_worker *w;
	/* dropping pages behind the workers */
	pthread_mutex_t mu;
	uint64_t *rg_lo; /* first byte of each row group (nondecreasing), + end */
	uint64_t released;
	uint64_t map_reads; /* the reader's count at the last release */
	/* K_HASH: runs of groups written out by workers */
	pthread_mutex_t smu;
	cs_spill sp;
	int sp_open;
	cs_hrun *runs;
	size_t nruns, runs_cap;
};

static size_t cs_key_part(const colstore_agg *a, uint32_t k, const colstore_values *v, uint32_t i,
                          uint8_t *out)
{
	if (!cs_is_valid(v, i)) {
		out[0] = 1; /* null */
		return 1;
	}
	out[0] = 0;
	uint8_t t = v->type;
	if (a->kcode[k]) {
		uint32_t code = cs_code(v, i);
		memcpy(out + 1, &code, 4);
		return 5;
	}
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

/* K_INT: a key outside the range the statistics gave (the dense array's
 * size): the file's statistics are false; the chunk is named */
static int cs_key_outside(cs_worker *w, uint32_t g)
{
	const colstore_agg *a = w->run->a;
	const cs_chunk *ch = cs_chunk_at(a->r, g, a->gb[0]);
	return cs_err(&w->err, COLSTORE_ECORRUPT, ch->blocks[COLSTORE_BLOCK_DATA].offset,
	              "row group %u column '%s': a value lies outside the range [%lld, %lld] "
	              "that the file's statistics give (false statistics: colstore verify "
	              "names them)",
	              g, a->r->columns[a->gb[0]].name, (long long)a->key_min,
	              (long long)((uint64_t)a->key_min + a->key_slots - 2));
}

/* a pass over part of the key positions: keeps the rows whose key falls in
 * it (their row numbers compacted into w->idx), each with its record */
static int cs_group_ids_part(cs_worker *w, uint32_t g, uint32_t *mp, const uint32_t **idxp)
{
	const colstore_agg *a = w->run->a;
	const colstore_values *v0 = &w->vals[a->gb[0]];
	const uint8_t *vb = v0->validity;
	const uint32_t *idx = *idxp;
	const uint64_t lo = a->part_lo, n = a->part_n, nul = a->positions - 1;
	uint32_t kept = 0;
	int outside = 0;
	for (uint32_t k = 0; k < *mp; k++) {
		uint32_t i = idx ? idx[k] : k; /* read before w->idx[kept <= k] is written */
		uint64_t pos;
		if (vb && !cs_bit_get(vb, i)) {
			pos = nul;
		} else if (a->key == K_DICT) {
			pos = a->rank[cs_code(v0, i)];
		} else {
			pos = (uint64_t)cs_ival(v0, i) - (uint64_t)a->key_min;
			outside |= pos >= nul;
		}
		if (pos - lo < n) {
			w->idx[kept] = i;
			w->gid[kept++] = (uint32_t)(pos - lo);
		}
	}
	*mp = kept;
	*idxp = w->idx;
	return outside ? cs_key_outside(w, g) : COLSTORE_OK;
}

/* the record of each taken row (in a partial pass, of the rows it keeps) */
static int cs_group_ids(cs_worker *w, uint32_t g, uint32_t *mp, const uint32_t **idxp)
{
	colstore_agg *a = w->run->a;
	uint32_t *gid = w->gid;
	const colstore_values *v0 = &w->vals[a->gb[0]];
	const uint8_t *vb = v0->validity;
	const uint32_t m = *mp, *idx = *idxp;
	if (a->parts > 1)
		return cs_group_ids_part(w, g, mp, idxp);
	if (a->key == K_DICT) {
		const uint32_t nul = a->r->columns[a->gb[0]].dict_count;
		if (!idx) { /* every row: the codes widened in one pass, then the nulls */
			cs_simd()->widen(v0->data, v0->code_width, m, gid);
			for (uint32_t k = 0; vb && k < m; k++)
				if (!cs_bit_get(vb, k))
					gid[k] = nul;
			return COLSTORE_OK;
		}
		for (uint32_t k = 0; k < m; k++) {
			uint32_t i = idx[k];
			gid[k] = vb && !cs_bit_get(vb, i) ? nul : cs_code(v0, i);
		}
		return COLSTORE_OK;
	}
	if (a->key == K_INT) {
		const uint32_t nul = (uint32_t)(w->st.nrec - 1);
		const uint64_t lo = (uint64_t)a->key_min;
		int outside = 0;
		for (uint32_t k = 0; k < m; k++) {
			uint32_t i = idx ? idx[k] : k;
			uint64_t off = (uint64_t)cs_ival(v0, i) - lo;
			int valid = !vb || cs_bit_get(vb, i);
			outside |= valid && off >= nul;
			gid[k] = valid ? (uint32_t)off : nul;
		}
		if (outside) /* nothing was counted yet */
			return cs_key_outside(w, g);
	}
	return COLSTORE_OK;
}

/* K_HASH: the group of each of m rows idx[k], into w->gid.  First every
 * row's key and hash, with its slot fetched ahead; then the lookups, each
 * fetching the key bytes of a row a few places ahead. */
static int cs_hash_ids(cs_worker *w, const uint32_t *idx, uint32_t m)
{
	colstore_agg *a = w->run->a;
	cs_state *st = &w->st;
	size_t len = 0;
	for (uint32_t k = 0; k < m; k++) {
		uint32_t i = idx[k];
		w->koff[k] = len;
		for (uint32_t j = 0; j < a->ngb; j++) {
			const colstore_values *v = &w->vals[a->gb[j]];
			size_t most = 9;
			if (v->type == COLSTORE_TYPE_STRING && !a->kcode[j]) {
				const char *s;
				uint32_t sl = 0;
				if (cs_is_valid(v, i))
					cs_sval(a->r, a->gb[j], v, i, &s, &sl);
				most = 5 + (size_t)sl;
			}
			if (cs_grow_bytes((void **)&w->key, &w->keycap, len + most))
				return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			len += cs_key_part(a, j, v, i, w->key + len);
		}
		w->khash[k] = cs_key_hash(w->key + w->koff[k], len - w->koff[k]);
		if (st->nslots)
			__builtin_prefetch(&st->slots[w->khash[k] & (st->nslots - 1)]);
	}
	w->koff[m] = len;
	enum { AHEAD = 8 };
	for (uint32_t k = 0; k < m; k++) {
		if (k + AHEAD < m && st->nslots) {
			const cs_slot *sl = &st->slots[w->khash[k + AHEAD] & (st->nslots - 1)];
			if (sl->g1)
				__builtin_prefetch(st->keys + (sl->kpos >> 24));
		}
		int64_t g = cs_group(a, st, w->key + w->koff[k], w->koff[k + 1] - w->koff[k],
		                     w->khash[k]);
		if (g < 0)
			return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
			              "out of memory for %llu groups", (unsigned long long)st->nrec);
		w->gid[k] = (uint32_t)g;
		__builtin_prefetch(cs_rec(a, st, (uint64_t)g));
	}
	return COLSTORE_OK;
}

/* K_HASH: a worker's groups, sorted, appended to the run file as a run;
 * then it starts afresh */
static int cs_flush_groups(cs_worker *w)
{
	colstore_agg *a = w->run->a;
	cs_run *run = w->run;
	cs_state *st = &w->st;
	if (!st->nrec)
		return COLSTORE_OK;
	if (cs_grow_bytes((void **)&w->order, &w->ordercap, st->nrec * sizeof(uint64_t)))
		return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (cs_sort_hashed(a, st, w->order))
		return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	pthread_mutex_lock(&run->smu);
	int rc = COLSTORE_OK;
	if (!run->sp_open && !(rc = cs_spill_open(&run->sp, &w->err)))
		run->sp_open = 1;
	if (!rc && cs_grow_bytes((void **)&run->runs, &run->runs_cap,
	                         (run->nruns + 1) * sizeof(cs_hrun)))
		rc = cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (!rc) {
		cs_hrun *h = &run->runs[run->nruns++];
		memset(h, 0, sizeof(*h));
		h->at = cs_spill_pos(&run->sp);
		for (uint64_t j = 0; j < st->nrec && !rc; j++) {
			uint64_t g = w->order[j];
			rc = cs_put_entry(a, &run->sp, cs_rec(a, st, g), st->keys + st->key_off[g],
			                  st->key_len[g], st->strs, &w->tmp, &w->tmpcap, &w->err);
		}
		h->end = cs_spill_pos(&run->sp);
	}
	pthread_mutex_unlock(&run->smu);
	cs_state_reset(st);
	return rc;
}

static int cs_apply(cs_worker *w, uint32_t m, const uint32_t *idx, const uint32_t *gid);
static int cs_hash_rows(cs_worker *w, uint32_t m, const uint32_t *idx);

static int cs_do_slice(cs_worker *w, uint32_t g, uint32_t s0, uint32_t n, uint32_t m,
                       const uint32_t *idx);

static int cs_do_rg(cs_worker *w, uint32_t g)
{
	colstore_agg *a = w->run->a;
	colstore_reader *r = a->r;
	if (a->filter && !colstore_filter_may_match(a->filter, g)) {
		w->rg_skipped += a->pass == 0;
		return COLSTORE_OK;
	}
	w->rg_read += a->pass == 0;
	uint32_t n = cs_chunk_at(r, g, 0)->row_count;
	uint64_t matches = n;
	const uint32_t *idx = NULL;
	int rc;
	if (a->filter) {
		if ((rc = colstore_filter_eval(a->filter, g, w->b, w->sel, &matches, &w->err)))
			return rc;
		if (matches == 0)
			return COLSTORE_OK;
		if (matches < n && n <= CS_BATCH_ROWS) { /* the matching rows, in order */
			cs_bitmap_rows(w->sel, n, w->idx);
			idx = w->idx;
		}
	}
	uint32_t m = (uint32_t)matches;
	if (m == 0)
		return COLSTORE_OK;
	if (a->key == K_NONE && a->count_only) { /* count(*): nothing to read */
		*(int64_t *)(void *)w->st.recs += m;
		return COLSTORE_OK;
	}
	if (n <= CS_BATCH_ROWS)
		return cs_do_slice(w, g, 0, n, m, idx);
	/* a long row group, a slice at a time: memory for the values of one
	 * slice, whatever its blocks claim to expand to */
	for (uint32_t s0 = 0; s0 < n; s0 += CS_BATCH_ROWS) {
		uint32_t c = n - s0 < CS_BATCH_ROWS ? n - s0 : CS_BATCH_ROWS;
		uint32_t ms = c;
		const uint32_t *sidx = NULL;
		if (a->filter && matches < n) {
			ms = (uint32_t)cs_bitmap_popcount(w->sel + s0 / 8, c);
			if (ms == 0)
				continue;
			if (ms < c) {
				cs_bitmap_rows(w->sel + s0 / 8, c, w->idx);
				sidx = w->idx;
			}
		}
		if ((rc = cs_do_slice(w, g, s0, c, ms, sidx)))
			return rc;
	}
	return COLSTORE_OK;
}

/* rows [s0, s0 + n) of row group g, m of them taken (idx[k], relative to
 * s0, or all when idx is NULL) */
static int cs_do_slice(cs_worker *w, uint32_t g, uint32_t s0, uint32_t n, uint32_t m,
                       const uint32_t *idx)
{
	colstore_agg *a = w->run->a;
	colstore_reader *r = a->r;
	const int whole = s0 == 0 && n == cs_chunk_at(r, g, 0)->row_count;
	int rc;
	for (uint32_t c = 0; c < r->num_columns; c++) {
		w->psum_ok[c] = 0;
		if (a->sum_only[c] && a->key == K_NONE && whole) {
			/* one total: taken from the packed bits when it can be */
			int done;
			if ((rc = cs_chunk_sum(r, g, c, w->b, idx, m, &w->psum[c], &w->scale[c], &done,
			                       &w->err)))
				return rc;
			if ((w->psum_ok[c] = (uint8_t)done))
				continue;
		}
		if ((a->need[c] & 1) &&
		    (rc = cs_values_range(r, g, c, w->b, s0, n, &w->vals[c], NULL, &w->err)))
			return rc;
		if ((a->need[c] & 2) &&
		    (rc = cs_values_range(r, g, c, w->bm, s0, n, &w->mvals[c], &w->scale[c], &w->err)))
			return rc;
	}
	if (a->key == K_HASH)
		return cs_hash_rows(w, m, idx);
	const uint32_t *gid = NULL;
	if (a->key != K_NONE) {
		if ((rc = cs_group_ids(w, g, &m, &idx)))
			return rc;
		if (m == 0)
			return COLSTORE_OK;
		gid = w->gid;
		for (uint32_t k = 0; k < m; k++)
			(*(int64_t *)(void *)cs_rec(a, &w->st, gid[k]))++;
	} else {
		*(int64_t *)(void *)w->st.recs += m;
	}
	return cs_apply(w, m, idx, gid);
}

/* every aggregate over m rows idx[k] (or k), each into record gid[k] (or 0) */
static int cs_apply(cs_worker *w, uint32_t m, const uint32_t *idx, const uint32_t *gid)
{
	colstore_agg *a = w->run->a;
	int rc;
	cs_kargs ka = { w->st.recs, a->rec_size, idx, gid, m };
	for (uint32_t k = 0; k < a->nagg; k++) {
		const cs_aggspec *s = &a->aggs[k];
		if (s->kind == AK_ROWS)
			continue;
		if (w->psum_ok[s->col]) {
			uint8_t *rec = w->st.recs + s->off;
			if (s->kind == AK_ISUM) {
				cs_aisum *acc = (cs_aisum *)(void *)rec;
				cs_i128 t;
				cs_i128_set(&t, w->psum[s->col]);
				acc->n += m;
				cs_i128_add128(&acc->s, &t);
			} else {
				cs_afsum *acc = (cs_afsum *)(void *)rec;
				acc->n += m; /* a float column's packed sum is of DECIMAL mantissas */
				cs_fsum_add_decimal(&acc->f, w->psum[s->col], w->scale[s->col]);
			}
			continue;
		}
		const int mant = a->need[s->col] & 2;
		rc = cs_kernel(a, &w->st, s, &w->vals[s->col], mant ? &w->mvals[s->col] : NULL,
		               mant ? w->scale[s->col] : -1, &ka, &w->err);
		if (rc)
			return rc;
	}
	return COLSTORE_OK;
}

/* K_HASH: the rows in slices, so that a worker whose groups outgrow
 * a->budget writes them out between two slices */
static int cs_hash_rows(cs_worker *w, uint32_t m, const uint32_t *idx)
{
	colstore_agg *a = w->run->a;
	int rc;
	if (!idx) {
		for (uint32_t k = 0; k < m; k++)
			w->idx[k] = k;
		idx = w->idx;
	}
	for (uint32_t s0 = 0; s0 < m; s0 += CS_SLICE) {
		uint32_t n = m - s0 < CS_SLICE ? m - s0 : CS_SLICE;
		if ((rc = cs_hash_ids(w, idx + s0, n)))
			return rc;
		for (uint32_t k = 0; k < n; k++)
			(*(int64_t *)(void *)cs_rec(a, &w->st, w->gid[k]))++;
		if ((rc = cs_apply(w, n, idx + s0, w->gid)))
			return rc;
		if (a->budget && cs_state_bytes(a, &w->st) > a->budget && (rc = cs_flush_groups(w)))
			return rc;
	}
	return COLSTORE_OK;
}

/* drop the pages of row groups every worker is past: the resident set stays
 * flat however large the file (they fault back in from the page cache if
 * read again); whole 2 MiB units, so that huge mappings stay whole */
static void cs_release_behind(cs_run *run)
{
	colstore_reader *r = run->a->r;
	if (!r->mapped)
		return;
	pthread_mutex_lock(&run->mu);
	uint32_t low = __atomic_load_n(&run->next, __ATOMIC_ACQUIRE);
	for (uint32_t k = 0; k < run->nw; k++) {
		uint32_t c = __atomic_load_n(&run->w[k].cur, __ATOMIC_ACQUIRE);
		if (c < low)
			low = c;
	}
	if (low > r->num_row_groups)
		low = r->num_row_groups;
	uint64_t upto = run->rg_lo[low] & ~(uint64_t)((2u << 20) - 1);
	if (upto > run->released) {
		/* no block read through the mapping since the last release (all
		 * read with pread, or none read): nothing there to drop, and on
		 * a VM each madvise is dear.  A worker counts its reads before it
		 * lets go of its row group, so none is missed below `low`. */
		uint64_t reads = __atomic_load_n(&r->map_reads, __ATOMIC_RELAXED);
		if (reads != run->map_reads)
			cs_map_release(r->data, run->released, upto);
		run->map_reads = reads;
		run->released = upto;
	}
	pthread_mutex_unlock(&run->mu);
}

static void *cs_worker_main(void *arg)
{
	cs_worker *w = arg;
	cs_run *run = w->run;
	uint32_t nrg = run->a->r->num_row_groups;
	for (;;) {
		if (__atomic_load_n(&run->stop, __ATOMIC_ACQUIRE))
			break;
		/* claim and publish under the lock, so that the release step never
		 * sees a row group claimed but not yet in hand */
		pthread_mutex_lock(&run->mu);
		uint32_t g = run->next < nrg ? run->next++ : nrg;
		__atomic_store_n(&w->cur, g < nrg ? g : UINT32_MAX, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&run->mu);
		if (g >= nrg)
			break;
		w->rc = cs_do_rg(w, g);
		__atomic_store_n(&w->cur, UINT32_MAX, __ATOMIC_RELEASE);
		if (w->rc) {
			__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
			break;
		}
		cs_release_behind(run);
	}
	return NULL;
}

static int cs_worker_init(cs_worker *w, cs_run *run)
{
	colstore_agg *a = run->a;
	uint32_t nc = a->r->num_columns ? a->r->num_columns : 1;
	uint32_t rgs = a->r->row_group_size ? a->r->row_group_size : 1;
	for (uint32_t g = 0; g < a->r->num_row_groups; g++) /* the largest actual group */
		if (cs_chunk_at(a->r, g, 0)->row_count > rgs)
			rgs = cs_chunk_at(a->r, g, 0)->row_count;
	memset(w, 0, sizeof(*w));
	w->run = run;
	w->cur = UINT32_MAX;
	w->b = colstore_buffers_create();
	w->bm = colstore_buffers_create();
	w->vals = calloc(nc, sizeof(*w->vals));
	w->mvals = calloc(nc, sizeof(*w->mvals));
	w->scale = calloc(nc, sizeof(*w->scale));
	w->psum = calloc(nc, sizeof(*w->psum));
	w->psum_ok = calloc(nc, 1);
	w->sel = malloc(cs_bitmap_bytes(rgs) + 8);
	uint32_t slice = rgs < CS_BATCH_ROWS ? rgs : CS_BATCH_ROWS; /* rows cs_do_slice takes */
	w->idx = malloc((size_t)slice * sizeof(uint32_t));
	w->gid = malloc((size_t)slice * sizeof(uint32_t));
	w->keycap = 256;
	w->key = malloc(w->keycap);
	if (a->key == K_HASH) {
		w->koff = malloc((CS_SLICE + 1) * sizeof(*w->koff));
		w->khash = malloc(CS_SLICE * sizeof(*w->khash));
		if (!w->koff || !w->khash)
			return -1;
	}
	if (!w->b || !w->bm || !w->vals || !w->mvals || !w->scale || !w->psum || !w->psum_ok || !w->sel || !w->idx || !w->gid ||
	    !w->key || cs_state_init(a, &w->st))
		return -1;
	return 0;
}

static void cs_worker_free(cs_worker *w)
{
	colstore_buffers_free(w->b);
	colstore_buffers_free(w->bm);
	free(w->vals);
	free(w->mvals);
	free(w->scale);
	free(w->psum);
	free(w->psum_ok);
	free(w->sel);
	free(w->idx);
	free(w->gid);
	free(w->key);
	free(w->koff);
	free(w->khash);
	free(w->order);
	free(w->tmp);
	cs_state_free(&w->st);
}

/* ---- merging workers ------------------------------------------------------------------ */

static int cs_merge_rec(const colstore_agg *a, cs_state *dst, uint8_t *x, const cs_state *src,
                        const uint8_t *y)
{
	*(int64_t *)(void *)x += *(const int64_t *)(const void *)y;
	for (uint32_t k = 0; k < a->nagg; k++) {
		const cs_aggspec *s = &a->aggs[k];
		uint8_t *p = x + s->off;
		const uint8_t *q = y + s->off;
		const int want_min = s->fn == A_MIN;
		switch (s->kind) {
		case AK_ROWS: break;
		case AK_COUNT: ((cs_acount *)(void *)p)->n += ((const cs_acount *)(const void *)q)->n; break;
		case AK_ISUM: {
			cs_aisum *u = (cs_aisum *)(void *)p;
			const cs_aisum *t = (const cs_aisum *)(const void *)q;
			u->n += t->n;
			cs_i128_add128(&u->s, &t->s);
			break;
		}
		case AK_FSUM: {
			cs_afsum *u = (cs_afsum *)(void *)p;
			const cs_afsum *t = (const cs_afsum *)(const void *)q;
			u->n += t->n;
			cs_fsum_merge(&u->f, &t->f);
			break;
		}
		default: {
			cs_amm *u = (cs_amm *)(void *)p;
			const cs_amm *t = (const cs_amm *)(const void *)q;
			if (!t->n)
				break;
			int take;
			if (!u->n)
				take = 1;
			else if (s->kind == AK_IMM)
				take = want_min ? t->v.i < u->v.i : t->v.i > u->v.i;
			else if (s->kind == AK_FMM)
				take = cs_fbetter(t->v.d, u->v.d, want_min);
			else
				take = (want_min ? 1 : -1) * cs_bytes_cmp(src->strs + t->v.s.off, t->v.s.len,
				                                          dst->strs + u->v.s.off,
				                                          u->v.s.len) < 0;
			if (take) {
				if (s->kind == AK_SMM) {
					if (cs_keep_string(dst, u, src->strs + t->v.s.off, t->v.s.len))
						return -1;
				} else {
					u->v = t->v;
				}
			}
			u->n += t->n;
			break;
		}
		}
	}
	return 0;
}

static int cs_merge_state(colstore_agg *a, cs_state *dst, const cs_state *src)
{
	for (uint64_t g = 0; g < src->nrec; g++) {
		const uint8_t *y = cs_rec(a, src, g);
		if (!*(const int64_t *)(const void *)y && a->key != K_NONE)
			continue;
		uint64_t d = g;
		if (a->key == K_HASH) {
			const uint8_t *key = src->keys + src->key_off[g];
			int64_t t = cs_group(a, dst, key, src->key_len[g],
			                     cs_key_hash(key, src->key_len[g]));
			if (t < 0)
				return -1;
			d = (uint64_t)t;
		}
		if (cs_merge_rec(a, dst, cs_rec(a, dst, d), src, y))
			return -1;
	}
	return 0;
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

static void cs_key_cell(const colstore_agg *a, uint64_t g, uint32_t k, colstore_cell *c);
static int cs_keys_cmp(const colstore_agg *a, const uint8_t *p, const uint8_t *q);

static int cs_sort_groups(colstore_agg *a, colstore_error *err)
{
	cs_state *st = &a->st;
	a->order = malloc((st->nrec ? st->nrec : 1) * sizeof(uint64_t));
	if (!a->order)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint64_t n = 0;
	if (a->key == K_NONE) {
		a->order[n++] = 0; /* one row, even for no input (as SQL) */
	} else if (a->key == K_INT) {
		for (uint64_t g = 0; g < st->nrec; g++) /* value order; the null slot is last */
			if (*(int64_t *)(void *)cs_rec(a, st, g))
				a->order[n++] = g;
	} else if (a->key == K_DICT) {
		uint32_t col = a->gb[0], nul = a->r->columns[col].dict_count;
		cs_sort_item *it = malloc((st->nrec ? st->nrec : 1) * sizeof(*it));
		if (!it)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		size_t k = 0;
		for (uint32_t c = 0; c < nul; c++)
			if (*(int64_t *)(void *)cs_rec(a, st, c)) {
				colstore_reader_dict_lookup(a->r, col, c, &it[k].s, &it[k].len, NULL);
				it[k++].id = c;
			}
		if (cs_sort_strings(it, k)) {
			free(it);
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		}
		for (size_t j = 0; j < k; j++)
			a->order[n++] = it[j].id;
		free(it);
		if (*(int64_t *)(void *)cs_rec(a, st, nul))
			a->order[n++] = nul;
	} else {
		if (cs_sort_hashed(a, st, a->order))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		n = st->nrec;
	}
	a->ngroups = n;
	return COLSTORE_OK;
}

/* integer sums must fit int64 */
static int cs_check_sum(const cs_aggspec *s, const uint8_t *rec, colstore_error *err)
{
	const cs_aisum *u = (const cs_aisum *)(const void *)(rec + s->off);
	if (s->kind == AK_ISUM && s->fn == A_SUM && u->s.hi != ((int64_t)u->s.lo < 0 ? -1 : 0))
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "%s overflows int64", s->name);
	return COLSTORE_OK;
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

/* one pass of nw workers over every row group; their groups merged into a->st */
static int cs_run_pass(colstore_agg *a, uint32_t nw, colstore_error *err)
{
	colstore_reader *r = a->r;
	int rc = COLSTORE_OK;
	cs_run run = { .a = a, .nw = nw };
	run.w = calloc(nw, sizeof(cs_worker));
	run.rg_lo = malloc(((size_t)r->num_row_groups + 1) * sizeof(uint64_t));
	if (!run.w || !run.rg_lo) {
		free(run.w);
		free(run.rg_lo);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	/* where each row group begins, made nondecreasing from the end */
	uint64_t end = 0, lo, hi;
	for (uint32_t g = 0; g < r->num_row_groups; g++) {
		cs_row_group_span(r, g, &lo, &hi);
		run.rg_lo[g] = lo;
		if (lo < hi && hi > end)
			end = hi;
	}
	run.rg_lo[r->num_row_groups] = end;
	for (uint32_t g = r->num_row_groups; g-- > 0;)
		if (run.rg_lo[g] > run.rg_lo[g + 1])
			run.rg_lo[g] = run.rg_lo[g + 1];
	/* unlike the reader's count: the first release drops what earlier
	 * queries on this reader may have left mapped */
	run.map_reads = __atomic_load_n(&r->map_reads, __ATOMIC_RELAXED) - 1;
	pthread_mutex_init(&run.mu, NULL);
	pthread_mutex_init(&run.smu, NULL);
	uint32_t started = 0;
	for (uint32_t k = 0; k < nw && !rc; k++) {
		if (cs_worker_init(&run.w[k], &run))
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	if (!rc && r->mapped)
		cs_map_advise_sequential(r->data, r->size);
	/* worker 0 runs on this thread */
	for (uint32_t k = 1; k < nw && !rc; k++) {
		if (pthread_create(&run.w[k].th, NULL, cs_worker_main, &run.w[k]))
			break; /* fewer threads: the others share the work */
		started = k;
	}
	if (!rc)
		cs_worker_main(&run.w[0]);
	for (uint32_t k = 1; k <= started; k++)
		pthread_join(run.w[k].th, NULL);
	a->threads_used = started + 1;
	for (uint32_t k = 0; k < nw && !rc; k++)
		if (run.w[k].rc) { /* the first failure in worker order */
			if (err)
				*err = run.w[k].err;
			rc = run.w[k].rc;
		}
	/* K_HASH: once a worker wrote a run, every worker's groups go to runs */
	for (uint32_t k = 0; k < nw && !rc && run.sp_open; k++)
		if ((rc = cs_flush_groups(&run.w[k])) && err)
			*err = run.w[k].err;
	if (run.sp_open) {
		a->spill_bytes += cs_spill_pos(&run.sp);
		if (!rc) {
			a->hsp = run.sp;
			a->hrun = run.runs;
			a->nhrun = run.nruns;
			a->hspilled = 1;
		} else {
			cs_spill_close(&run.sp);
			free(run.runs);
		}
		run.sp_open = 0;
	}
	for (uint32_t k = 0; k < nw; k++) {
		a->rg_read += run.w[k].rg_read;
		a->rg_skipped += run.w[k].rg_skipped;
	}
	/* merge into worker 0's groups, which become the result */
	for (uint32_t k = 1; k < nw && !rc && !a->hspilled; k++)
		if (cs_merge_state(a, &run.w[0].st, &run.w[k].st))
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (!rc && !a->hspilled) { /* spilled: the groups are in the runs */
		a->st = run.w[0].st;
		memset(&run.w[0].st, 0, sizeof(run.w[0].st));
	}
	for (uint32_t k = 0; k < nw; k++)
		cs_worker_free(&run.w[k]);
	pthread_mutex_destroy(&run.mu);
	pthread_mutex_destroy(&run.smu);
	free(run.w);
	free(run.rg_lo);
	return rc;
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

static inline const uint8_t *cs_entry_key(const colstore_agg *a, const uint8_t *e)
{
	return e + 8 + a->rec_size;
}

/* the entry a run is at, in its buffer */
static inline const uint8_t *cs_hrun_entry(const cs_hrun *h)
{
	return h->buf + (h->at - h->boff);
}

/* makes the next want bytes of a run be in its buffer: reads from h->at,
 * chunk bytes or more; what the buffer held is dropped from the page cache */
static int cs_hrun_load(cs_spill *sp, cs_hrun *h, size_t want, size_t chunk, colstore_error *err)
{
	if (h->at + want <= h->boff + h->len)
		return COLSTORE_OK;
	if (h->len)
		(void)posix_fadvise(sp->fd, (off_t)h->boff, (off_t)h->len, POSIX_FADV_DONTNEED);
	size_t n = want > chunk ? want : chunk;
	if (n > h->end - h->at)
		n = (size_t)(h->end - h->at);
	if (n < want || cs_grow_bytes((void **)&h->buf, &h->cap, n))
		return cs_err(err, n < want ? COLSTORE_EIO : COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
		              n < want ? "a run of groups in %s ends inside an entry" : "out of memory",
		              sp->path);
	for (size_t got = 0; got < n;) {
		ssize_t k = pread(sp->fd, h->buf + got, n - got, (off_t)(h->at + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "cannot read %s: %s", sp->path,
			              k < 0 ? strerror(errno) : "short read");
		got += (size_t)k;
	}
	h->boff = h->at;
	h->len = n;
	return COLSTORE_OK;
}

/* the whole entry a run is at, in its buffer */
static int cs_hrun_ready(cs_spill *sp, cs_hrun *h, size_t chunk, colstore_error *err)
{
	int rc = cs_hrun_load(sp, h, 8, chunk, err);
	uint32_t elen;
	if (rc)
		return rc;
	memcpy(&elen, cs_hrun_entry(h), 4);
	return cs_hrun_load(sp, h, elen < 8 ? 8 : elen, chunk, err);
}

static inline int cs_hrun_less(const colstore_agg *a, const cs_hrun *x, const cs_hrun *y)
{
	return cs_keys_cmp(a, cs_entry_key(a, cs_hrun_entry(x)), cs_entry_key(a, cs_hrun_entry(y))) <
	       0;
}

static void cs_heap_down(const colstore_agg *a, cs_hrun **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && cs_hrun_less(a, h[l], h[m]))
			m = l;
		if (l + 1 < n && cs_hrun_less(a, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		cs_hrun *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* a merged group, written out: its entry, and the entry's offset to the index */
static int cs_emit(colstore_agg *a, cs_spill *sp, cs_spill *ix, const uint8_t *rec,
                   const uint8_t *key, uint32_t klen, const char *strs, uint8_t **tmp, size_t *cap,
                   colstore_error *err)
{
	int rc;
	for (uint32_t k = 0; k < a->nagg; k++) /* integer sums must fit int64 */
		if ((rc = cs_check_sum(&a->aggs[k], rec, err)))
			return rc;
	uint64_t at = cs_spill_pos(sp);
	rc = cs_put_entry(a, sp, rec, key, klen, strs, tmp, cap, err);
	if (!rc)
		rc = cs_spill_put(ix, &at, 8, err);
	a->ngroups++;
	return rc;
}

/* K_HASH runs merged in key order, the entries of one key into one: the
 * merged entries appended to the run file, their offsets to an index file;
 * both mapped, the runs' space given back.  The runs are read through a
 * buffer each (a mapping of hundreds of runs read in turn would have the
 * kernel read ahead more than a memory cap keeps). */
static int cs_merge_runs(colstore_agg *a, uint64_t limit, colstore_error *err)
{
	cs_spill *sp = &a->hsp, ix;
	size_t n = a->nhrun;
	a->ngroups = 0;
	int rc = cs_spill_flush(sp, err);
	uint64_t runs_end = cs_spill_pos(sp);
	if (rc || !runs_end)
		return rc; /* no groups */
	if ((rc = cs_spill_open(&ix, err)))
		return rc;
	size_t chunk = (size_t)(limit / 8 / (n ? n : 1));
	chunk = chunk < 16384 ? 16384 : chunk > ((size_t)1 << 20) ? (size_t)1 << 20 : chunk;
	cs_hrun **h = malloc((n ? n : 1) * sizeof(*h));
	uint8_t *acc = malloc(a->rec_size), *tmp = NULL, *akey = NULL;
	size_t tcap = 0, kcap = 0;
	cs_state accst = { 0 }; /* the strings of acc's string min/max */
	uint32_t aklen = 0;
	int have = 0;
	if (!acc || !h)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		h[i] = &a->hrun[i];
		rc = cs_hrun_ready(sp, h[i], chunk, err);
	}
	for (size_t i = n / 2; i-- > 0 && !rc;)
		cs_heap_down(a, h, n, i);
	while (n && !rc) {
		const uint8_t *e = cs_hrun_entry(h[0]);
		uint32_t elen, klen;
		memcpy(&elen, e, 4);
		memcpy(&klen, e + 4, 4);
		const uint8_t *rec = e + 8, *key = cs_entry_key(a, e);
		if ((uint64_t)elen < 8 + (uint64_t)a->rec_size + klen) {
			rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "a bad entry in %s", sp->path);
			break;
		}
		if (have && klen == aklen && memcmp(key, akey, klen) == 0) {
			cs_state src = { .strs = (char *)(uintptr_t)e };
			if (cs_merge_rec(a, &accst, acc, &src, rec))
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		} else {
			if (have)
				rc = cs_emit(a, sp, &ix, acc, akey, aklen, accst.strs, &tmp, &tcap, err);
			memcpy(acc, rec, a->rec_size);
			accst.strs_len = 0;
			for (uint32_t k = 0; k < a->nagg && !rc; k++) {
				cs_amm *m = (cs_amm *)(void *)(acc + a->aggs[k].off);
				if (a->aggs[k].kind == AK_SMM && m->n &&
				    cs_keep_string(&accst, m, (const char *)e + m->v.s.off, m->v.s.len))
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			}
			if (!rc && cs_grow_bytes((void **)&akey, &kcap, (size_t)klen + 1))
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			if (!rc && klen)
				memcpy(akey, key, klen);
			aklen = klen;
			have = 1;
		}
		h[0]->at += elen;
		if (h[0]->at >= h[0]->end)
			h[0] = h[--n];
		else if (!rc)
			rc = cs_hrun_ready(sp, h[0], chunk, err);
		if (!rc)
			cs_heap_down(a, h, n, 0);
	}
	if (have && !rc)
		rc = cs_emit(a, sp, &ix, acc, akey, aklen, accst.strs, &tmp, &tcap, err);
	for (size_t i = 0; i < a->nhrun; i++)
		free(a->hrun[i].buf);
	free(h);
	free(acc);
	free(tmp);
	free(akey);
	cs_state_free(&accst);
	uint64_t end = cs_spill_pos(sp);
	a->spill_bytes += end - runs_end + cs_spill_pos(&ix);
	if (!rc) {
		a->hruns_size = (size_t)end;
		rc = cs_spill_map(sp, 0, a->hruns_size, (void **)&a->hruns, err);
	}
	if (!rc) {
		a->hidx_size = (size_t)cs_spill_pos(&ix);
		rc = cs_spill_map(&ix, 0, a->hidx_size, (void **)&a->hidx, err);
	}
#ifdef FALLOC_FL_PUNCH_HOLE
	if (!rc) /* the runs are read: their blocks back to the file system */
		(void)fallocate(sp->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		                (off_t)(runs_end & ~(uint64_t)4095));
#endif
	cs_spill_close(&ix);
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

/* ---- results --------------------------------------------------------------------- */

/* decodes group-by value k at *p, in a K_HASH key (cs_key_part), and
 * steps past it */
static void cs_key_next(const colstore_agg *a, uint32_t k, const uint8_t **pp, colstore_cell *c)
{
	const uint8_t *p = *pp;
	memset(c, 0, sizeof(*c));
	c->type = (colstore_type)a->r->columns[a->gb[k]].type;
	c->is_null = p[0];
	if (c->is_null) {
		*pp = p + 1;
		return;
	}
	if (a->kcode[k]) { /* codes were checked against the dictionary when read */
		uint32_t code;
		memcpy(&code, p + 1, 4);
		colstore_reader_dict_lookup(a->r, a->gb[k], code, &c->s, &c->len, NULL);
		*pp = p + 5;
		return;
	}
	if (c->type == COLSTORE_TYPE_STRING) {
		memcpy(&c->len, p + 1, 4);
		c->s = (const char *)p + 5;
		*pp = p + 5 + c->len;
		return;
	}
	if (cs_is_float(c->type))
		memcpy(&c->d, p + 1, 8);
	else
		memcpy(&c->i, p + 1, 8);
	*pp = p + 9;
}

/* group-by value k of a K_HASH key */
static void cs_key_at(const colstore_agg *a, const uint8_t *p, uint32_t k, colstore_cell *c)
{
	for (uint32_t j = 0; j < k; j++)
		cs_key_next(a, j, &p, c);
	cs_key_next(a, k, &p, c);
}

/* decode group-by value k of group g */
static void cs_key_cell(const colstore_agg *a, uint64_t g, uint32_t k, colstore_cell *c)
{
	memset(c, 0, sizeof(*c));
	c->type = (colstore_type)a->r->columns[a->gb[k]].type;
	if (a->key == K_DICT) {
		c->is_null = g == a->r->columns[a->gb[0]].dict_count;
		if (!c->is_null)
			colstore_reader_dict_lookup(a->r, a->gb[0], (uint32_t)g, &c->s, &c->len, NULL);
		return;
	}
	if (a->key == K_INT) {
		c->is_null = g == a->key_slots - 1;
		c->i = (int64_t)((uint64_t)a->key_min + g);
		return;
	}
	cs_key_at(a, a->st.keys + a->st.key_off[g], k, c);
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

/* two K_HASH keys in result order */
static int cs_keys_cmp(const colstore_agg *a, const uint8_t *p, const uint8_t *q)
{
	for (uint32_t k = 0; k < a->ngb; k++) {
		colstore_cell x, y;
		cs_key_next(a, k, &p, &x);
		cs_key_next(a, k, &q, &y);
		int c = cs_cell_cmp(&x, &y);
		if (c)
			return c;
	}
	return 0;
}

/* the first group-by value of a K_HASH key as 64 bits whose unsigned order
 * is that of cs_cell_cmp, ties aside (strings: their first 8 bytes) */
static uint64_t cs_key_prefix(const colstore_agg *a, const uint8_t *key)
{
	colstore_cell c;
	cs_key_next(a, 0, &key, &c);
	if (c.is_null)
		return UINT64_MAX; /* nulls last */
	if (c.type == COLSTORE_TYPE_STRING) {
		uint8_t b[8] = { 0 };
		memcpy(b, c.s, c.len < 8 ? c.len : 8);
		uint64_t p = 0;
		for (int i = 0; i < 8; i++)
			p = p << 8 | b[i];
		return p;
	}
	if (cs_is_float(c.type)) { /* NaN (made positive) above +inf */
		uint64_t b;
		memcpy(&b, &c.d, 8);
		return b >> 63 ? ~b : b | (uint64_t)1 << 63;
	}
	return (uint64_t)c.i ^ (uint64_t)1 << 63;
}

typedef struct {
	uint64_t prefix, g;
} cs_pgroup;

static int cs_pgroup_cmp(const void *pa, const void *pb, void *ctx)
{
	const cs_pgroup *x = pa, *y = pb;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	const cs_sortctx *c = ctx;
	const cs_state *st = c->st;
	return cs_keys_cmp(c->a, st->keys + st->key_off[x->g], st->keys + st->key_off[y->g]);
}

/* a K_HASH state's groups in result order, into order: sorted by a prefix
 * of the key held beside each group, so that most comparisons do not go
 * to the keys; -1 when out of memory */
static int cs_sort_hashed(const colstore_agg *a, const cs_state *st, uint64_t *order)
{
	cs_pgroup *p = malloc((st->nrec ? st->nrec : 1) * sizeof(*p));
	if (!p)
		return -1;
	for (uint64_t g = 0; g < st->nrec; g++)
		p[g] = (cs_pgroup){ cs_key_prefix(a, st->keys + st->key_off[g]), g };
	if (st->nrec > 1)
		qsort_r(p, st->nrec, sizeof(*p), cs_pgroup_cmp, &(cs_sortctx){ a, st });
	for (uint64_t g = 0; g < st->nrec; g++)
		order[g] = p[g].g;
	free(p);
	return 0;
}

uint64_t colstore_agg_num_groups(const colstore_agg *a)
{
	return a && a->ready ? a->ngroups : 0;
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
	if (!a || !a->ready || group >= a->ngroups || k >= a->ngb + a->nagg || !out)
		return COLSTORE_ERANGE;
	uint64_t g = 0;
	const uint8_t *rec;
	const char *strs = a->st.strs; /* of string min/max */
	if (a->hidx) { /* see cs_put_entry */
		const uint8_t *e = a->hruns + a->hidx[group];
		rec = e + 8;
		strs = (const char *)e;
		if (k < a->ngb) {
			cs_key_at(a, cs_entry_key(a, e), k, out);
			return COLSTORE_OK;
		}
	} else if (a->spill) { /* record, then its group id */
		rec = a->spill + group * ((uint64_t)a->rec_size + 8);
		memcpy(&g, rec + a->rec_size, 8);
	} else {
		g = a->order[group];
		rec = cs_rec(a, &a->st, g);
	}
	if (k < a->ngb) {
		cs_key_cell(a, g, k, out);
		return COLSTORE_OK;
	}
	const cs_aggspec *s = &a->aggs[k - a->ngb];
	const void *acc = rec + s->off;
	memset(out, 0, sizeof(*out));
	out->type = s->out_type;
	switch (s->kind) {
	case AK_ROWS: out->i = *(const int64_t *)(const void *)rec; break;
	case AK_COUNT: out->i = ((const cs_acount *)acc)->n; break;
	case AK_ISUM: {
		const cs_aisum *u = acc;
		out->is_null = u->n == 0;
		if (s->fn == A_SUM)
			out->i = (int64_t)u->s.lo; /* checked to fit after the run */
		else
			out->d = u->n ? (double)cs_i128_get(&u->s) / (double)u->n : 0;
		break;
	}
	case AK_FSUM: {
		const cs_afsum *u = acc;
		out->is_null = u->n == 0;
		out->d = s->fn == A_SUM ? cs_fsum_value(&u->f) : cs_fsum_mean(&u->f, u->n);
		break;
	}
	default: {
		const cs_amm *u = acc;
		out->is_null = u->n == 0;
		if (s->kind == AK_SMM) {
			out->s = strs + u->v.s.off;
			out->len = u->v.s.len;
		} else if (s->kind == AK_FMM) {
			out->d = u->v.d;
		} else {
			out->i = u->v.i;
		}
		break;
	}
	}
	return COLSTORE_OK;
}
