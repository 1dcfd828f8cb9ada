/*
 * output.h -- the command-line tool's output (output.c): values as text, and
 * the aligned table, CSV and JSON lines writers of scan and agg.
 * The commands (cli_*.c) parse their options and run; whatever a
 * command prints row by row or value by value goes through here.
 */
#ifndef COLSTORE_TOOLS_OUTPUT_H
#define COLSTORE_TOOLS_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "colstore/colstore.h"

/* the program's name, that messages start with (colstore_cli.c) */
extern const char *const prog;

/* ---- value formatting ----------------------------------------------------- */

/* "9999 B", "12.3 KiB", "4.5 MiB", "1.25 GiB" */
void fmt_bytes(char *buf, size_t n, uint64_t b);

/* ---- info's column statistics ------------------------------------------------ */

/* one column's minimum and maximum over its row groups */
typedef struct colstat {
	int have;     /* some chunk had min/max */
	int unknown;  /* a chunk with values but no min/max */
	int64_t imin, imax;
	double fmin, fmax;
	const char *smin, *smax;
	uint32_t sminl, smaxl;
} colstat;

void merge_stats(colstat *s, colstore_type t, const colstore_chunk_info *ci);
/* the minimum (max 0) or maximum (max 1) as info shows it; "-" when unknown */
void fmt_stat(char *buf, size_t n, colstore_type t, const colstat *s, int max);

/* ---- cells as text (scan, agg) ------------------------------------------------ */

/* text that grows; p is NUL-terminated; { 0 } is empty, free(p) frees it.
 * A view (agg_cell_view: cap 0) is text held elsewhere: read p[0, len)
 * only, neither NUL-terminated nor to be freed or grown */
typedef struct strbuf {
	char *p;
	size_t len, cap;
} strbuf;

/* an aggregation's result cell as text: a view of buf (64 bytes) or of the
 * cell's own string, for ow_cell */
strbuf agg_cell_view(const colstore_cell *c, char *buf, int *is_str);

/* ---- the table, CSV and JSON lines writers ---------------------------------- */

/* --format */
enum { FMT_TABLE, FMT_CSV, FMT_JSONL };

/* the table: its columns' widths, from the first rows, held back until then */
typedef struct table_state {
	uint32_t ncols;
	size_t *width;
	char **pending; /* rows held back to size the columns */
	size_t npending, cap;
	int flushed;
} table_state;

/* One output writer for scan and agg: CSV, JSONL or an aligned table. */
typedef struct out_writer {
	FILE *o;
	int fmt;
	char **names;
	uint32_t n, k; /* columns; the next cell's column */
	uint64_t rows;
	table_state ts;
	strbuf row;    /* table: the current row's cells, NUL-separated */
	char *ob;      /* CSV: text held back, written OW_HOLD bytes at a time */
	size_t olen;
} out_writer;

/* a writer of fmt (FMT_*) to o, of n columns named names (kept, not copied) */
void ow_init(out_writer *w, FILE *o, int fmt, char **names, uint32_t n);
void ow_header(out_writer *w);
/* the next cell of the row; quoted: as a JSON string (json_quoted) */
void ow_cell(out_writer *w, const strbuf *text, int is_null, int is_str, int quoted);
/* a scan's row: row i of vals, the values of the columns cols of r, as the
 * row's cells (one per column of w) */
void ow_values(out_writer *w, colstore_reader *r, const uint32_t *cols,
               const colstore_values *vals, uint32_t i);
void ow_end_row(out_writer *w);
/* the dictionary strings of row i of vals (as ow_values takes them) fetched
 * into the cache ahead of ow_values; where: only where they lie (their
 * offsets), for a row further ahead */
void ow_prefetch(const out_writer *w, colstore_reader *r, const uint32_t *cols,
                 const colstore_values *vals, uint32_t i, int where);
/* the text held back written to the stream (before its text is read) */
void ow_flush(out_writer *w);
/* unless failed, a table's held rows and its row count; then flushes and
 * frees; 1 after a message (none when failed) if the output could not be
 * written */
int ow_finish(out_writer *w, const char *cmd, int failed);

/* a JSON value that is not a number: strings, dates, timestamps, NaN, infinities */
static inline int json_quoted(colstore_type t, int is_str, double d)
{
	return is_str || t == COLSTORE_TYPE_DATE || t == COLSTORE_TYPE_TIMESTAMP ||
	       ((t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64) && d - d != 0);
}

#endif
