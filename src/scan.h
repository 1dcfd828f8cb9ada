/*
 * scan.h -- the scan's private types, shared by scan.c (the cursor, the
 * worker pool, list scans) and scan_order.c (ordered scans).  Nothing here
 * is API; every symbol is cs_-prefixed and hidden.
 */
#ifndef CS_SCAN_H
#define CS_SCAN_H

#include "calc.h"

/* a worker's (or the cursor's) scratch for one row group at a time */
typedef struct cs_scanw {
	uint8_t *sel;
	uint32_t *idx;
	colstore_values *vals;
	colstore_buffers *b;
	/* a list scan: the items' values, and each expression's scratch */
	colstore_values *ivals;
	cs_calc_run **xr;
} cs_scanw;

typedef struct cs_order cs_order;

struct colstore_scan {
	colstore_reader *r;
	const colstore_filter *f;
	uint32_t *cols, ncols;
	uint32_t threads;   /* workers a run may use */
	uint32_t max_rows;  /* rows of the longest row group */
	uint32_t batch;     /* rows a batch holds at most */
	uint64_t *rg_lo;    /* where each row group's bytes begin, nondecreasing */
	/* the cursor (colstore_scan_next) */
	uint32_t rg, s0;
	int rg_open;        /* the filter has run over row group rg */
	uint64_t rg_matches;
	cs_scanw cw;        /* the cursor's scratch; cw.sel NULL until it starts */
	colstore_buffers *fb; /* the cursor's filter buffers */
	/* a list scan (colstore_scan_create_list): item k is column cols[isrc[k]]
	 * (isrc[k] >= 0) or expression xs[-1 - isrc[k]]; colpos: a column's
	 * place in cols */
	uint32_t nitems, nx;
	uint32_t nvisible;  /* items delivered; the rest are --order-by keys */
	int64_t *isrc;
	char **inames;
	uint8_t *itypes;
	cs_calc **xs;
	uint32_t *colpos;
	cs_order *ord;      /* an ordered scan (colstore_scan_set_order), or NULL */
	/* set while an ordered scan finds its first rows by their keys alone:
	 * the columns (by place in cols) and items not decoded */
	const uint8_t *skip_col, *skip_item;
	uint64_t released, map_reads;
	/* counts of the last run, or of the cursor so far */
	uint32_t rg_read, rg_skipped, used;
};

/* batches of at most rows rows (a multiple of 64, at most CS_BATCH_ROWS;
 * before the scan starts) */
CS_HIDDEN void cs_scan_set_batch(colstore_scan *s, uint32_t rows);
CS_HIDDEN int cs_scanw_init(const colstore_scan *s, cs_scanw *w);
/* the list items of a batch whose columns are in w->vals (scan.c) */
CS_HIDDEN int cs_scan_items(const colstore_scan *s, cs_scanw *w, colstore_batch *out,
                            colstore_error *err);
CS_HIDDEN void cs_scanw_free(const colstore_scan *s, cs_scanw *w);
/* colstore_scan_run without the order: every matching row's batch */
CS_HIDDEN int cs_scan_run_base(colstore_scan *s, colstore_scan_fn on_batch, colstore_scan_fn in_order,
                               void *ctx, colstore_error *err);

/* scan_order.c */
CS_HIDDEN int cs_order_next(colstore_scan *s, colstore_buffers *b, colstore_batch *out,
                            colstore_error *err);
CS_HIDDEN int cs_order_run(colstore_scan *s, colstore_scan_fn on_batch, colstore_scan_fn in_order,
                           void *ctx, colstore_error *err);
CS_HIDDEN void cs_order_rewind(colstore_scan *s);
CS_HIDDEN void cs_order_free(colstore_scan *s);

#endif /* CS_SCAN_H */
