/*
 * scan_order.h -- private to scan_order.c (collecting, sorting and merging
 * an ordered scan's entries) and scan_order_out.c (the order's set-up and
 * the delivery of its rows): the entries and the order's state.
 */
#ifndef CS_SCAN_ORDER_H
#define CS_SCAN_ORDER_H

#include "agg.h" /* cs_spill */
#include "scan.h"

/* a set of entries: [u32 size][u32 key length][key][row], 8-aligned */
typedef struct cs_ents {
	uint8_t *arena;
	size_t len, cap;
	uint64_t *offs;
	size_t n, ncap;
} cs_ents;

typedef struct cs_ordw {
	cs_ents e;
	uint8_t *tmp; /* the entry being built */
	size_t tmpcap;
	/* with a limit, once `limit` entries are kept: the key of the worst of
	 * them; a row whose key is above it cannot be among the first */
	uint8_t *thr;
	size_t thrlen, thrcap;
	uint32_t *cand; /* a batch's rows that the first item does not rule out */
	colstore_error err;
} cs_ordw;

struct cs_order {
	uint32_t nkeys;
	uint32_t *kitem; /* order item k: the scan item it reads */
	uint8_t *desc;
	uint64_t limit;  /* UINT64_MAX: every row */
	int keys_only;   /* entries of keys alone (the first rows found first) */
	uint64_t budget; /* bytes of entries held at once, over all workers */
	int collected;
	cs_ordw *w;
	uint32_t nw;
	pthread_mutex_t mu;
	cs_spill sp;
	int sp_open;
	uint64_t (*runs)[2]; /* [at, end) of each run in the file */
	size_t nruns, runs_cap;
	/* the result: sorted entries in memory, or runs merged from the file */
	cs_ents mem;
	uint64_t pos;        /* the next of mem to deliver */
	int merging;         /* the result comes from the runs in the file */
	struct cs_rrun *rr;  /* each run's reader */
	uint32_t *heap, nheap;
	uint8_t *barena;     /* merging: a batch's entries, copied out of the readers */
	size_t bcap;
	uint64_t *boffs;
	uint64_t delivered;
	colstore_values *vals;
	const uint8_t **batch; /* the entries of a batch being delivered */
};

/* A run's reader: its entries read from the file into a buffer of its
 * own (so that merging many runs under a small memory limit reads each
 * byte about once, where a mapping's pages would be read ahead and
 * evicted again and again); head: the next entry, in the buffer */
typedef struct cs_rrun {
	uint64_t cur, end;
	uint8_t *buf;
	size_t cap, len;
	uint64_t boff; /* the buffer holds [boff, boff + len) of the file */
	const uint8_t *head;
} cs_rrun;

static inline void cs_ents_free(cs_ents *e)
{
	free(e->arena);
	free(e->offs);
	memset(e, 0, sizeof(*e));
}

static inline uint32_t cs_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline size_t cs_width(uint8_t t)
{
	switch (t) {
	case COLSTORE_TYPE_INT8:
	case COLSTORE_TYPE_BOOL: return 1;
	case COLSTORE_TYPE_INT16: return 2;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE:
	case COLSTORE_TYPE_FLOAT32: return 4;
	default: return 8;
	}
}

/* the scan run on its workers, each matching row's entry kept (with a
 * limit, the first `limit`), runs written out past the memory budget */
CS_HIDDEN int cs_order_collect(colstore_scan *s, colstore_error *err);
/* every run's reader at its first entry, the heap of them made */
CS_HIDDEN int cs_order_start_merge(cs_order *o, colstore_error *err);
/* the next entry in order (NULL at the end): in memory, a pointer into
 * the sorted entries; merging, copied into the batch's arena (*off) */
CS_HIDDEN int cs_order_take(cs_order *o, const uint8_t **p, uint64_t *off, size_t *used,
                            colstore_error *err);

#endif
