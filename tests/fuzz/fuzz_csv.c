/*
 * fuzz_csv.c -- libFuzzer target: the input is a CSV file.
 *
 * Writes it into a temporary directory (on /dev/shm when there
 * is one, so the writer's fsync is cheap), imports it with the default
 * options (one thread for a small input) and again with threads = 2 and
 * LZ4 + PACK compression, and opens, reads and verifies each result.  The
 * two imports must agree on success, rows, columns, delimiter and header.
 *
 * Then it imports the input in lenient mode with a rejects file, on one
 * thread and on two (an explicit thread count: the input is cut in two
 * parts however small it is), with short row groups, and checks lenient
 * mode's contract: every record after the header lands either in the
 * table or in the rejects file, never both, never neither.
 *   - The import succeeds unless the input is not text (or not the UTF-16
 *     its byte-order mark claims), a record has more than 65535 fields, or
 *     the first row (the header, or what gives the table its width) holds
 *     a NUL byte.
 *   - The file holds res.rows rows and verifies; the rejects file is CSV
 *     (file,line,reason,text, quoted, "" for a quote) with res.rejected
 *     records whose lines go up strictly.
 *   - The records the tokenizer reads on its own, one after another from
 *     the top, are res.rows + res.rejected, and each rejected one is a
 *     record of theirs at its line with its text; that text also starts
 *     that line of the input (line breaks counted here, not by csv.c).
 *   - One and two threads write the same bytes, to both files.
 *   - When the strict import succeeds, every record had the table's
 *     width, so nothing is padded or trimmed and the only rows rejected
 *     are ones that repeat the header row.
 *
 * The tokenizer's stop-byte kernels (simd_csv.c) are compared too: the
 * input tokenized with plain C's masks, the CPU's best and byte by byte,
 * in four dialects, strict and lenient, must give the same records, fields
 * and errors; and the two-thread import run again with the plain C table must
 * give the same bytes, or the same error.  (run.sh lets inputs reach 64 KiB,
 * many 64-byte blocks and a two-thread split.)
 *
 * Last, the input compressed with gzip is imported on two threads as it is
 * decompressed (the streamed pass 1, its sizes made tiny so that a small
 * input takes many rounds), and must give the plain import's file byte for
 * byte, or its error, message and line.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "colstore/colstore.h"
#include "import.h" /* (csv.h, and cs_stream) */
#include "internal.h"
#include "../toktrace.h"

static char dir[256];
static char in_path[300], out_path[300];
static char lout_path[2][300], rej_path[2][300];
static volatile uint64_t sink;

static void rm_dir(void)
{
	if (!dir[0])
		return;
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char p[600];
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	rmdir(dir);
	dir[0] = '\0';
}

/* a fresh directory for every input, removed afterwards: libFuzzer's
 * -fork jobs and -max_total_time end without running atexit handlers */
static int setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/colstore-fuzz-csv-XXXXXX", base);
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return -1;
	}
	snprintf(in_path, sizeof(in_path), "%s/in.csv", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.colstore", dir);
	for (int k = 0; k < 2; k++) {
		snprintf(lout_path[k], sizeof(lout_path[k]), "%s/lenient%d.colstore", dir, k + 1);
		snprintf(rej_path[k], sizeof(rej_path[k]), "%s/rejects%d.csv", dir, k + 1);
	}
	return 0;
}

static void on_warning(void *ctx, const char *message)
{
	(void)ctx;
	sink += strlen(message);
}

static int check_output(const char *path, const colstore_import_result *res)
{
	colstore_reader *r = NULL;
	colstore_error err;
	if (colstore_reader_open(path, NULL, &r, &err) != COLSTORE_OK)
		abort(); /* the importer wrote a file the reader refuses */
	if (colstore_reader_num_rows(r) != res->rows ||
	    colstore_reader_num_columns(r) != res->columns)
		abort();
	colstore_buffers *b = colstore_buffers_create();
	uint32_t nrg = colstore_reader_num_row_groups(r);
	uint32_t nc = colstore_reader_num_columns(r);
	for (uint32_t g = 0; b && g < nrg; g++)
		for (uint32_t c = 0; c < nc; c++) {
			colstore_values v;
			if (colstore_reader_values(r, g, c, b, &v, &err) != COLSTORE_OK)
				abort();
			sink += v.rows;
		}
	colstore_buffers_free(b);
	if (colstore_reader_verify(r, &err) != COLSTORE_OK)
		abort(); /* the importer wrote a file that does not verify */
	colstore_reader_close(r);
	return 0;
}

/* variant 0: the default options; 1: two threads, LZ4 + PACK, the file
 * kept at out_path for same_as_scalar() */
static int import(int variant, colstore_import_result *res, colstore_error *err)
{
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.on_warning = on_warning;
	if (variant == 1) {
		o.threads = 2;
		o.writer.compression = COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK;
	}
	memset(res, 0, sizeof(*res));
	int rc = colstore_import_csv(in_path, out_path, &o, res, err);
	if (rc == COLSTORE_OK) {
		check_output(out_path, res);
		if (variant == 0)
			unlink(out_path);
	} else if (access(out_path, F_OK) == 0) {
		abort(); /* "on any failure nothing is left at out_path" */
	}
	return rc;
}

/* ---- the kernel tables: plain C against the CPU's best ---------------------- */

/* The tokenizer's run over the input with the stop masks of plain C and of
 * the table in use (AVX2 or AVX-512 where the CPU has them), and with no
 * masks (each field's end found byte by byte): the same records, fields,
 * verdicts and errors, in four dialects, strict and lenient. */
static void same_tokens(const uint8_t *data, size_t size)
{
	const cs_simd_ops *best = cs_simd(), *plain = cs_simd_get("scalar");
	if (size == 0)
		return; /* (no input: no pointer to tokenize from) */
	cs_dialect ds[4];
	tok_dialects(ds);
	for (int k = 0; k < 8; k++) {
		cs_dialect d = ds[k / 2];
		d.lenient = k % 2;
		char *a = tok_trace(data, size, &d, NULL); /* byte by byte */
		char *b = tok_trace(data, size, &d, best->stops);
		char *c = tok_trace(data, size, &d, plain->stops);
		if (!a || !b || !c || strcmp(a, b) || strcmp(a, c)) {
			fprintf(stderr, "the stop masks tokenize differently from the byte-by-byte "
			        "scan (dialect %d): %s %s, %s %s\n", k, best->name,
			        b && a && !strcmp(a, b) ? "same" : "differs", plain->name,
			        c && a && !strcmp(a, c) ? "same" : "differs");
			abort();
		}
		free(a);
		free(b);
		free(c);
	}
}

static int same_bytes(const char *a, const char *b);

/* The two-thread import again with the plain C table: the same result and
 * the same bytes as with the table in use (its file is at out_path). */
static void same_as_scalar(int rc1, const colstore_error *e1)
{
	const cs_simd_ops *best = cs_simd(), *plain = cs_simd_get("scalar");
	if (best == plain) {
		unlink(out_path);
		return;
	}
	char kept[320];
	snprintf(kept, sizeof(kept), "%s.simd", out_path);
	if (rc1 == COLSTORE_OK && rename(out_path, kept))
		abort();
	cs_simd_set(plain);
	colstore_import_result r;
	colstore_error e;
	int rc = import(1, &r, &e);
	cs_simd_set(best);
	if (rc != rc1 || (rc && strcmp(e.message, e1->message)) ||
	    (rc == COLSTORE_OK && !same_bytes(kept, out_path))) {
		fprintf(stderr, "the import differs with the %s table: rc %d (%s) against %d (%s)\n",
		        plain->name, rc, rc ? e.message : "ok", rc1, rc1 ? e1->message : "ok");
		abort();
	}
	unlink(kept);
	unlink(out_path);
}

/* ---- lenient mode --------------------------------------------------------- */

/* the whole of a file, malloc'd (NULL when it cannot be read) */
static char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	while (p) {
		n += fread(p + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *q = realloc(p, cap * 2);
		if (!q)
			free(p);
		p = q;
		cap *= 2;
	}
	if (p && ferror(f)) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*size = n;
	return p;
}

/* Lenient mode may refuse input that is not text (what strict mode says
 * too), a UTF-16 byte-order mark over bytes that are not UTF-16, and a
 * record of more than 65535 fields (a limit of the format that no row
 * can be cut to fit).  Any other failure breaks the contract: lenient
 * mode is there so that a messy file imports. */
static int lenient_may_fail(const colstore_error *e)
{
	if (e->code == COLSTORE_EPARSE)
		return strstr(e->message, ", not CSV text") != NULL ||
		       strstr(e->message, "not UTF-16 text") != NULL ||
		       strstr(e->message, "the first row holds a NUL byte") != NULL ||
		       strstr(e->message, " data is damaged near byte ") != NULL;
	return e->code == COLSTORE_ELIMIT && strstr(e->message, "more than 65535 fields") != NULL;
}

static int import_lenient(int k, colstore_import_result *res, colstore_error *err,
                          uint32_t rgs)
{
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.on_warning = on_warning;
	o.lenient = 1;
	o.rejects_path = rej_path[k];
	/* explicit: the import keeps both threads however small the input */
	o.threads = (uint32_t)k + 1;
	/* short row groups, so that batches of the threaded pass 2 straddle
	 * them; compression on, as it takes other paths in the writer */
	o.writer.row_group_size = rgs;
	o.writer.compression = COLSTORE_WRITE_PACK;
	memset(res, 0, sizeof(*res));
	int rc = colstore_import_csv(in_path, lout_path[k], &o, res, err);
	if (rc != COLSTORE_OK) {
		if (access(lout_path[k], F_OK) == 0 || access(rej_path[k], F_OK) == 0)
			abort(); /* a failed import leaves neither file behind */
		if (!lenient_may_fail(err)) {
			fprintf(stderr, "lenient import (%d threads) failed: rc=%d line %llu: %s\n",
			        k + 1, rc, (unsigned long long)err->line, err->message);
			abort();
		}
	}
	return rc;
}

/* one record of the input as the tokenizer reads it on its own */
typedef struct rec {
	uint64_t line, at, len;
	uint32_t nfields;
	int rejected; /* in the rejects file (check_rejects) */
} rec;

/* The records after the header, read one after another from the top with
 * the dialect the import reports (the import cuts the input in parts on
 * several threads, and classifies and counts the records as it goes).
 * Returns their number, their lines and texts in *out (malloc'd). */
static size_t records(const uint8_t *data, size_t size, const colstore_import_result *res,
                      rec **out)
{
	*out = NULL;
	if (!size)
		return 0;
	cs_dialect d;
	memset(&d, 0, sizeof(d));
	cs_dialect_delim(&d, res->delimiter_string, strlen(res->delimiter_string));
	d.quote = res->quote;
	d.esc = res->escape;
	d.comment = -1;
	d.lenient = 1;
	cs_csv c;
	if (cs_csv_init(&c, data, size, &d))
		abort();
	c.pos = c.start + cs_csv_skip_lines(data, size, res->skipped_lines);
	c.line = 1 + res->skipped_lines;
	c.expect = res->columns;
	size_t n = 0, cap = 0;
	rec *r = NULL;
	colstore_error e;
	int more, first = 1;
	while ((more = cs_csv_next(&c, &e)) == 1) {
		if (first && res->had_header) {
			first = 0;
			continue;
		}
		first = 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			r = realloc(r, cap * sizeof(*r));
			if (!r)
				abort();
		}
		r[n].line = c.rec_line;
		r[n].at = (uint64_t)(c.rec_start - c.start);
		r[n].len = (uint64_t)(c.rec_end - c.rec_start);
		r[n].nfields = c.nfields;
		r[n].rejected = 0;
		n++;
	}
	if (more != 0) {
		/* the import read the same records and succeeded */
		fprintf(stderr, "the tokenizer fails where the import did not: %s\n", e.message);
		abort();
	}
	cs_csv_free(&c);
	*out = r;
	return n;
}

/* where each line of the input starts (a line break is LF, CRLF or a lone
 * CR, as README.md says), counted here without the tokenizer; lines[0]
 * is line 1, after a UTF-8 byte-order mark */
static size_t line_starts(const uint8_t *data, size_t size, uint64_t **out)
{
	size_t n = 1;
	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n' || (data[i] == '\r' && (i + 1 >= size || data[i + 1] != '\n'));
	uint64_t *s = malloc(n * sizeof(*s));
	if (!s)
		abort();
	size_t k = 0;
	s[k++] = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n' || (data[i] == '\r' && (i + 1 >= size || data[i + 1] != '\n')))
			s[k++] = i + 1;
	*out = s;
	return n;
}

/* a quoted field at *pp, "" read as one quote, into out (room for as many
 * bytes as are left); *pp is left after the closing quote.  -1 when it
 * is not a quoted field */
static long quoted(const char **pp, const char *end, char *out)
{
	const char *p = *pp;
	long n = 0;
	if (p >= end || *p != '"')
		return -1;
	for (p++;; p++) {
		if (p >= end)
			return -1;
		if (*p == '"') {
			if (p + 1 < end && p[1] == '"')
				p++;
			else
				break;
		}
		out[n++] = *p;
	}
	*pp = p + 1;
	return n;
}

static const char header_repeat[] = "repeats the header row";
static const char table_end[] = "after the end of the table (another table starts at line ";
static const char nul_byte[] = "a NUL byte";
static const char quoted_differently[] = "fewer fields than the header, and a quoted field";

/* what a reason says of the record, checked on its text (len bytes at t) */
static void check_reason(const char *why, const char *t, size_t len,
                         const colstore_import_result *res)
{
	unsigned nf, want;
	char extra;
	int bad = 0;
	if (!strcmp(why, nul_byte))
		bad = !memchr(t, 0, len);
	else if (!strncmp(why, quoted_differently, strlen(quoted_differently)))
		bad = !memchr(t, res->quote, len) || !memchr(t, res->delimiter_string[0], len);
	else if (sscanf(why, "%u fields, expected %u%c", &nf, &want, &extra) == 2)
		bad = want != res->columns || nf <= want; /* a short row is padded */
	if (bad) {
		fprintf(stderr, "a row rejected as '%s' is not: '%.*s'\n", why,
		        len > 200 ? 200 : (int)len, t);
		abort();
	}
}

/* Check the rejects file against the import's result and the input
 * (recs: the tokenizer's records; NULL when the import read the input
 * transcoded, so that its lines and texts are not the input's bytes); marks
 * the records rejected.  Returns how many repeat the header row. */
static uint64_t check_rejects(const char *path, const colstore_import_result *res,
                              const uint8_t *data, size_t size, rec *recs, size_t nrecs)
{
	size_t n;
	char *f = slurp(path, &n);
	if (!f)
		abort(); /* asked for, so written even when nothing is rejected */
	static const char head[] = "file,line,reason,text\n";
	if (n < sizeof(head) - 1 || memcmp(f, head, sizeof(head) - 1))
		abort();
	char *buf = malloc(n + 1);
	if (!buf)
		abort();
	uint64_t *ls = NULL;
	size_t nls = recs ? line_starts(data, size, &ls) : 0;
	const char *p = f + sizeof(head) - 1, *end = f + n;
	uint64_t count = 0, prev = 0, repeats = 0;
	uint64_t table = 0; /* the line where a second table starts (0: none) */
	size_t j = 0; /* the next of recs that may be this reject */
	while (p < end) {
		/* file: the input's path, as given */
		long len = quoted(&p, end, buf);
		if (len < 0 || (size_t)len != strlen(in_path) || memcmp(buf, in_path, (size_t)len))
			abort();
		/* line: digits, going up strictly (records never share a line) */
		if (p >= end || *p++ != ',' || p >= end || *p < '1' || *p > '9')
			abort();
		uint64_t line = 0;
		while (p < end && *p >= '0' && *p <= '9')
			line = line * 10 + (uint64_t)(*p++ - '0');
		if (line <= prev)
			abort();
		prev = line;
		if (p >= end || *p++ != ',')
			abort();
		/* reason: said in words, the first one also in the result */
		len = quoted(&p, end, buf);
		if (len <= 0)
			abort();
		buf[len] = '\0';
		if (count == 0) {
			size_t k = sizeof(res->first_reject) - 1;
			k = (size_t)len < k ? (size_t)len : k;
			if (strlen(res->first_reject) != k || memcmp(res->first_reject, buf, k))
				abort();
		}
		if (!strcmp(buf, header_repeat))
			repeats++;
		/* the records of a second table: the first is at the line named */
		if (!strncmp(buf, table_end, strlen(table_end))) {
			uint64_t t = strtoull(buf + strlen(table_end), NULL, 10);
			if (!table && t != line) {
				fprintf(stderr, "the second table starts at line %llu, but "
				        "its first rejected record is at line %llu\n",
				        (unsigned long long)t, (unsigned long long)line);
				abort();
			}
			if (table && t != table)
				abort();
			table = t;
		}
		if (count < COLSTORE_REJECT_LINES && res->rejected_lines[count] != line)
			abort();
		/* text: the record as it is in the input */
		if (p >= end || *p++ != ',')
			abort();
		char *why = strdup(buf);
		if (!why)
			abort();
		len = quoted(&p, end, buf);
		if (len < 0 || p >= end || *p++ != '\n')
			abort();
		if (recs)
			check_reason(why, buf, (size_t)len, res);
		free(why);
		if (recs) {
			while (j < nrecs && recs[j].line < line)
				j++;
			if (j == nrecs || recs[j].line != line || recs[j].len != (uint64_t)len ||
			    (len && memcmp(data + recs[j].at, buf, (size_t)len))) {
				fprintf(stderr, "reject at line %llu is no record of the input\n",
				        (unsigned long long)line);
				abort();
			}
			recs[j++].rejected = 1;
			/* a record starts a line and ends at a line break or the end */
			uint64_t at = line <= nls ? ls[line - 1] : UINT64_MAX;
			if (at > size || (uint64_t)len > size - at ||
			    (len && memcmp(data + at, buf, (size_t)len)) ||
			    (at + (uint64_t)len < size && data[at + (uint64_t)len] != '\n' &&
			     data[at + (uint64_t)len] != '\r')) {
				fprintf(stderr, "reject at line %llu: its text is not the "
				        "line's\n", (unsigned long long)line);
				abort();
			}
		}
		count++;
	}
	if (count != res->rejected) {
		fprintf(stderr, "rejects file has %llu rows, the result says %llu\n",
		        (unsigned long long)count, (unsigned long long)res->rejected);
		abort();
	}
	for (uint64_t k = count; k < COLSTORE_REJECT_LINES; k++)
		if (res->rejected_lines[k])
			abort();
	/* and every record from there on is the other table's: rejected */
	for (size_t k = 0; recs && table && k < nrecs; k++)
		if (recs[k].line >= table && !recs[k].rejected) {
			fprintf(stderr, "line %llu, after the second table's start (%llu), "
			        "is stored\n", (unsigned long long)recs[k].line,
			        (unsigned long long)table);
			abort();
		}
	free(ls);
	free(buf);
	free(f);
	return repeats;
}

/* two files with the same bytes? */
static int same_bytes(const char *a, const char *b)
{
	size_t na, nb;
	char *pa = slurp(a, &na), *pb = slurp(b, &nb);
	if (!pa || !pb)
		abort();
	int same = na == nb && !memcmp(pa, pb, na);
	free(pa);
	free(pb);
	return same;
}

/* the lenient imports' contract; strict: the strict import's result when it
 * succeeded, else NULL */
static void lenient(const uint8_t *data, size_t size, const colstore_import_result *strict)
{
	/* 2 to 6 rows a row group, varied by the input */
	uint32_t rgs = 2 + (uint32_t)(size % 5);
	colstore_import_result l[2];
	colstore_error e[2];
	int rc[2];
	for (int k = 0; k < 2; k++)
		rc[k] = import_lenient(k, &l[k], &e[k], rgs);
	if (rc[0] != rc[1] || (rc[0] && strcmp(e[0].message, e[1].message))) {
		fprintf(stderr, "lenient import differs: 1 thread rc=%d (%s), "
		        "2 threads rc=%d (%s)\n", rc[0], rc[0] ? e[0].message : "ok", rc[1],
		        rc[1] ? e[1].message : "ok");
		abort();
	}
	if (rc[0]) {
		if (strict)
			abort(); /* strict mode took what lenient mode refuses */
		return;
	}
	const colstore_import_result *r = &l[0];
	check_output(lout_path[0], r);
	rec *recs = NULL;
	size_t nrecs = r->encoding ? 0 : records(data, size, r, &recs);
	if (!r->encoding && r->rows + r->rejected != nrecs) {
		fprintf(stderr, "lenient import: %llu rows + %llu rejected, but %zu records\n",
		        (unsigned long long)r->rows, (unsigned long long)r->rejected, nrecs);
		abort();
	}
	uint64_t repeats = check_rejects(rej_path[0], r, data, size,
	                                 r->encoding ? NULL : recs, nrecs);
	/* a stored record narrower than the table was padded, a wider one
	 * trimmed (its extra fields empty, or it would have been rejected) */
	uint64_t padded = 0, trimmed = 0;
	uint64_t padded_lines[COLSTORE_REJECT_LINES] = { 0 };
	uint64_t trimmed_lines[COLSTORE_REJECT_LINES] = { 0 };
	for (size_t k = 0; !r->encoding && k < nrecs; k++) {
		if (recs[k].rejected || recs[k].nfields == r->columns)
			continue;
		if (recs[k].nfields < r->columns && padded < COLSTORE_REJECT_LINES)
			padded_lines[padded] = recs[k].line;
		if (recs[k].nfields > r->columns && trimmed < COLSTORE_REJECT_LINES)
			trimmed_lines[trimmed] = recs[k].line;
		if (recs[k].nfields < r->columns)
			padded++;
		else
			trimmed++;
	}
	free(recs);
	if (!r->encoding &&
	    (padded != r->padded || trimmed != r->trimmed ||
	     memcmp(padded_lines, r->padded_lines, sizeof(padded_lines)) ||
	     memcmp(trimmed_lines, r->trimmed_lines, sizeof(trimmed_lines)))) {
		fprintf(stderr, "lenient import: %llu padded, %llu trimmed; the records say "
		        "%llu, %llu\n",
		        (unsigned long long)r->padded, (unsigned long long)r->trimmed,
		        (unsigned long long)padded, (unsigned long long)trimmed);
		abort();
	}
	if (r->padded + r->trimmed > r->rows)
		abort(); /* padded and trimmed rows are stored rows */
	/* the thread count changes nothing */
	const colstore_import_result *r2 = &l[1];
	if (r2->rows != r->rows || r2->columns != r->columns || r2->rejected != r->rejected ||
	    r2->padded != r->padded || r2->trimmed != r->trimmed ||
	    r2->had_header != r->had_header || r2->skipped_lines != r->skipped_lines ||
	    strcmp(r2->delimiter_string, r->delimiter_string) || r2->quote != r->quote ||
	    r2->escape != r->escape ||
	    memcmp(r2->padded_lines, r->padded_lines, sizeof(r->padded_lines)) ||
	    memcmp(r2->trimmed_lines, r->trimmed_lines, sizeof(r->trimmed_lines)) ||
	    memcmp(r2->rejected_lines, r->rejected_lines, sizeof(r->rejected_lines)) ||
	    strcmp(r2->first_reject, r->first_reject)) {
		fprintf(stderr, "lenient import: 1 thread %llu rows %llu rejected %llu padded %llu "
		        "trimmed; 2 threads %llu rows %llu rejected %llu padded %llu trimmed\n",
		        (unsigned long long)r->rows, (unsigned long long)r->rejected,
		        (unsigned long long)r->padded, (unsigned long long)r->trimmed,
		        (unsigned long long)r2->rows, (unsigned long long)r2->rejected,
		        (unsigned long long)r2->padded, (unsigned long long)r2->trimmed);
		abort();
	}
	if (!same_bytes(rej_path[0], rej_path[1])) {
		fprintf(stderr, "lenient import: 1 and 2 threads write different rejects files\n");
		abort();
	}
	if (!same_bytes(lout_path[0], lout_path[1])) {
		fprintf(stderr, "lenient import: 1 and 2 threads write different tables\n");
		abort();
	}
	if (!strict)
		return;
	/* Strict mode took every record, so each had the table's width and
	 * well-formed quotes: lenient mode reads the same records, pads and
	 * trims none, and rejects only the ones that repeat the header row
	 * (strict mode keeps those as data).  A second table needs records of
	 * another width, so there is none. */
	if (r->columns != strict->columns || r->had_header != strict->had_header ||
	    r->padded || r->trimmed || r->rejected != repeats ||
	    r->rows + r->rejected != strict->rows) {
		fprintf(stderr, "strict import: %llu rows; lenient: %llu rows, %llu rejected (%llu "
		        "repeat the header; first: %s), %llu padded, %llu trimmed\n",
		        (unsigned long long)strict->rows, (unsigned long long)r->rows,
		        (unsigned long long)r->rejected, (unsigned long long)repeats,
		        r->first_reject,
		        (unsigned long long)r->padded, (unsigned long long)r->trimmed);
		abort();
	}
}

/* the input as text and as gzip, each imported on two threads: the same
 * file, or the same error */
static void streamed(const uint8_t *data, size_t size)
{
	if (cs_compressed(data, size))
		return; /* (its gzip would be read as gzip data, not as text) */
	/* (streamed past 64 bytes of text, in rounds of 256; a span of 16 KiB:
	 * a larger text outgrows it and is mapped again; the dialect found in
	 * the first 48 bytes, for both imports) */
	cs_stream_sizes keep = cs_stream;
	size_t keep_sniff = cs_sniff_bytes;
	cs_stream = (cs_stream_sizes){ 32, 64, 256, 64, 16384 };
	cs_sniff_bytes = 48;
	size_t cap = compressBound((uLong)size) + 64;
	uint8_t *gz = malloc(cap);
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (!gz || deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(gz);
		cs_stream = keep;
		cs_sniff_bytes = keep_sniff;
		return;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)size;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	int zr = deflate(&z, Z_FINISH);
	size_t glen = cap - z.avail_out;
	deflateEnd(&z);
	char gz_path[320], gout_path[320];
	snprintf(gz_path, sizeof(gz_path), "%s/in.csv.gz", dir);
	snprintf(gout_path, sizeof(gout_path), "%s/gz.colstore", dir);
	FILE *f = zr == Z_STREAM_END ? fopen(gz_path, "wb") : NULL;
	int ok = f && fwrite(gz, 1, glen, f) == glen;
	if (f)
		fclose(f);
	free(gz);
	if (!ok) {
		cs_stream = keep;
		cs_sniff_bytes = keep_sniff;
		return;
	}
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.on_warning = on_warning;
	o.threads = 2;
	colstore_import_result r0, r1;
	colstore_error e0, e1;
	int rc0 = colstore_import_csv(in_path, out_path, &o, &r0, &e0);
	int rc1 = colstore_import_csv(gz_path, gout_path, &o, &r1, &e1);
	cs_stream = keep;
	cs_sniff_bytes = keep_sniff;
	if (rc0 != rc1 || (rc0 && (e0.line != e1.line || strcmp(e0.message, e1.message)))) {
		fprintf(stderr, "streamed gzip differs: text rc=%d line %llu (%s), gzip rc=%d line %llu (%s)\n",
		        rc0, (unsigned long long)e0.line, rc0 ? e0.message : "ok", rc1,
		        (unsigned long long)e1.line, rc1 ? e1.message : "ok");
		abort();
	}
	if (rc0 == COLSTORE_OK) {
		size_t n0, n1;
		char *a = slurp(out_path, &n0), *b = slurp(gout_path, &n1);
		if (!a || !b || n0 != n1 || memcmp(a, b, n0) != 0) {
			fprintf(stderr, "streamed gzip differs: the files are not the same bytes\n");
			abort();
		}
		free(a);
		free(b);
	}
	unlink(out_path);
	unlink(gout_path);
	unlink(gz_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	if (setup() != 0)
		return 0;
	FILE *f = fopen(in_path, "wb");
	if (!f) {
		rm_dir();
		return 0;
	}
	if (size && fwrite(data, 1, size, f) != size) {
		fclose(f);
		rm_dir();
		return 0;
	}
	fclose(f);

	colstore_import_result r0, r1;
	colstore_error e0, e1;
	int rc0 = import(0, &r0, &e0);
	int rc1 = import(1, &r1, &e1);
	same_as_scalar(rc1, &e1);
	same_tokens(data, size);
	lenient(data, size, rc0 == COLSTORE_OK ? &r0 : NULL);
	streamed(data, size);
	rm_dir();

	/* the threaded import must not change the result */
	if ((rc0 == COLSTORE_OK) != (rc1 == COLSTORE_OK)) {
		fprintf(stderr, "import differs: 1 thread rc=%d (%s), 2 threads rc=%d (%s)\n",
		        rc0, rc0 ? e0.message : "ok", rc1, rc1 ? e1.message : "ok");
		abort();
	}
	if (rc0 == COLSTORE_OK &&
	    (r0.rows != r1.rows || r0.columns != r1.columns ||
	     r0.delimiter != r1.delimiter || r0.had_header != r1.had_header)) {
		fprintf(stderr,
		        "import differs: 1 thread %llu rows %u cols delim %d hdr %d; "
		        "2 threads %llu rows %u cols delim %d hdr %d\n",
		        (unsigned long long)r0.rows, r0.columns, r0.delimiter, r0.had_header,
		        (unsigned long long)r1.rows, r1.columns, r1.delimiter, r1.had_header);
		abort();
	}
	return 0;
}
