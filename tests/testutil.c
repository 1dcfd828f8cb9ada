/*
 * testutil.c -- see testutil.h.
 */
#include <CUnit/CUnit.h>

#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tu_dirbuf[256];

const char *tu_dir(void)
{
	if (!tu_dirbuf[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tu_dirbuf, sizeof(tu_dirbuf), "%s/colstore-test-XXXXXX",
		         base && *base ? base : "/tmp");
		if (!mkdtemp(tu_dirbuf)) {
			perror("mkdtemp");
			exit(1);
		}
	}
	return tu_dirbuf;
}

const char *tu_path(const char *name)
{
	static char buf[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tu_dir(), name);
	return buf[k];
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t key(const tu_col *c, uint64_t row)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = c->name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return mix(h ^ mix(row));
}

int tu_is_null(const tu_col *c, uint64_t row)
{
	return c->null_every && row % c->null_every == c->null_every - 1;
}

int64_t tu_int(const tu_col *c, uint64_t row)
{
	uint64_t k = key(c, row);
	if (c->card && c->type != COLSTORE_TYPE_BOOL) { /* a narrow range: packs well */
		int64_t v = (int64_t)(k % c->card) - (int64_t)(c->card / 3);
		for (unsigned i = 0; i < c->pow10; i++)
			v *= 10;
		return v;
	}
	/* include the extremes of each type now and then */
	switch (c->type) {
	case COLSTORE_TYPE_INT8: return row % 97 == 5 ? INT8_MIN : row % 97 == 6 ? INT8_MAX : (int8_t)k;
	case COLSTORE_TYPE_INT16: return row % 97 == 5 ? INT16_MIN : (int16_t)k;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: return row % 97 == 5 ? INT32_MIN : row % 97 == 6 ? INT32_MAX : (int32_t)k;
	case COLSTORE_TYPE_BOOL: return (int64_t)(k & 1);
	default: return row % 97 == 5 ? INT64_MIN : row % 97 == 6 ? INT64_MAX : (int64_t)k;
	}
}

double tu_dbl(const tu_col *c, uint64_t row)
{
	uint64_t k = key(c, row);
	if (c->card) { /* prices: two decimals, DECIMAL-codec friendly */
		double v = (double)(int64_t)(k % c->card) / 100.0;
		return c->type == COLSTORE_TYPE_FLOAT32 ? (double)(float)v : v;
	}
	double v = ((double)(int64_t)(k >> 11) / 9007199254740992.0) * 1e6;
	if (row % 101 == 7)
		v = -0.0;
	if (row % 101 == 8)
		v = 1e300;
	if (row % 101 == 9)
		v = NAN;
	if (c->type == COLSTORE_TYPE_FLOAT32)
		v = (double)(float)(row % 101 == 8 ? 3e38 : v);
	return v;
}

size_t tu_str(const tu_col *c, uint64_t row, char *buf)
{
	uint64_t k = c->card ? key(c, row) % c->card : row;
	switch (k) {
	case 0: return 0; /* the empty string is a value, not a null */
	case 1: memcpy(buf, "quote\" comma, \nnew\\line", 23); return 23;
	case 2: memcpy(buf, "\x01\xff\x00 bin", 7); return 7;
	default: return (size_t)snprintf(buf, 64, "value-%llu%s", (unsigned long long)k,
	                                 k % 3 ? "" : "-longer-text-for-variety");
	}
}

colstore_writer *tu_writer(const char *path, uint32_t rgs, uint32_t compression)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = rgs;
	o.compression = compression;
	colstore_writer *w;
	return colstore_writer_create(path, &o, &w, NULL) == COLSTORE_OK ? w : NULL;
}

int tu_put_rows(colstore_writer *w, const tu_col *cols, unsigned ncols, uint64_t from,
                uint64_t to, colstore_error *err)
{
	char s[64];
	int rc = COLSTORE_OK;
	for (uint64_t r = from; r < to && !rc; r++) {
		for (unsigned i = 0; i < ncols && !rc; i++) {
			const tu_col *c = &cols[i];
			if (tu_is_null(c, r))
				rc = colstore_writer_put_null(w, i, err);
			else if (c->type == COLSTORE_TYPE_FLOAT32 || c->type == COLSTORE_TYPE_FLOAT64)
				rc = colstore_writer_put_double(w, i, tu_dbl(c, r), err);
			else if (c->type == COLSTORE_TYPE_STRING)
				rc = colstore_writer_put_string(w, i, s, tu_str(c, r, s), err);
			else
				rc = colstore_writer_put_int(w, i, tu_int(c, r), err);
		}
		if (!rc)
			rc = colstore_writer_end_row(w, err);
	}
	return rc;
}

int tu_append(const char *path, const tu_col *cols, unsigned ncols, uint64_t from, uint64_t to,
              const colstore_writer_options *opts, colstore_error *err)
{
	colstore_writer *w;
	int rc = colstore_writer_open_append(path, opts, &w, err);
	if (rc)
		return rc;
	rc = tu_put_rows(w, cols, ncols, from, to, err);
	if (rc) {
		colstore_writer_abort(w);
		return rc;
	}
	return colstore_writer_finish(w, err);
}

int tu_write(const char *path, const tu_col *cols, unsigned ncols, uint64_t rows,
             const colstore_writer_options *opts, int use_batch, colstore_error *err)
{
	colstore_writer *w;
	int rc = colstore_writer_create(path, opts, &w, err);
	if (rc)
		return rc;
	for (unsigned i = 0; i < ncols && !rc; i++)
		rc = colstore_writer_add_column(w, cols[i].name, cols[i].type, cols[i].flags, err);
	char s[64];
	if (!use_batch) {
		if (!rc)
			rc = tu_put_rows(w, cols, ncols, 0, rows, err);
	} else {
		/* in uneven slices, to cross row-group boundaries mid-batch */
		uint64_t done = 0, slice = 1000;
		while (!rc && done < rows) {
			uint64_t n = rows - done < slice ? rows - done : slice;
			colstore_array *a = calloc(ncols, sizeof(*a));
			void **bufs = calloc(ncols * 3, sizeof(void *));
			for (unsigned i = 0; i < ncols; i++) {
				const tu_col *c = &cols[i];
				uint8_t *val = calloc(n ? n : 1, 8 * 8);
				uint64_t *off = calloc(n + 1, 8);
				uint8_t *vb = calloc(n / 8 + 1, 1);
				unsigned wd = colstore_type_width(c->type);
				for (uint64_t j = 0; j < n; j++) {
					uint64_t r = done + j;
					if (!tu_is_null(c, r))
						vb[j / 8] |= (uint8_t)(1u << (j % 8));
					int64_t iv = tu_int(c, r);
					double dv = tu_dbl(c, r);
					float fv = (float)dv;
					if (tu_is_null(c, r)) {
						off[j + 1] = off[j];
						continue;
					}
					switch (c->type) {
					case COLSTORE_TYPE_FLOAT32: memcpy(val + j * 4, &fv, 4); break;
					case COLSTORE_TYPE_FLOAT64: memcpy(val + j * 8, &dv, 8); break;
					case COLSTORE_TYPE_BOOL: val[j] = (uint8_t)iv; break;
					case COLSTORE_TYPE_STRING: {
						size_t l = tu_str(c, r, s);
						memcpy(val + off[j], s, l);
						off[j + 1] = off[j] + l;
						break;
					}
					default: memcpy(val + j * wd, &iv, wd); break; /* little-endian host */
					}
				}
				a[i].values = val;
				a[i].offsets = off;
				a[i].validity = c->null_every ? vb : NULL;
				bufs[i * 3] = val;
				bufs[i * 3 + 1] = off;
				bufs[i * 3 + 2] = vb;
			}
			rc = colstore_writer_append_batch(w, a, (size_t)n, err);
			for (unsigned i = 0; i < ncols * 3; i++)
				free(bufs[i]);
			free(bufs);
			free(a);
			done += n;
			slice = slice * 3 + 17;
		}
	}
	if (rc) {
		colstore_writer_abort(w);
		return rc;
	}
	return colstore_writer_finish(w, err);
}

/* ---- text ------------------------------------------------------------------ */

void tu_printf(tu_buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		b->cap = cap;
	}
}

void tu_quote(tu_buf *b, const char *s, size_t len)
{
	tu_printf(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\\')
			tu_printf(b, "\\\\");
		else if (ch == '"')
			tu_printf(b, "\\\"");
		else if (ch == '\n')
			tu_printf(b, "\\n");
		else if (ch < 0x20 || ch >= 0x7f)
			tu_printf(b, "\\x%02x", ch);
		else
			tu_printf(b, "%c", ch);
	}
	tu_printf(b, "\"");
}

static void tu_value_int(tu_buf *b, colstore_type t, int64_t v)
{
	if (t == COLSTORE_TYPE_BOOL)
		tu_printf(b, "%s", v ? "true" : "false");
	else
		tu_printf(b, "%lld", (long long)v);
}

char *tu_expected(const tu_col *cols, unsigned ncols, uint64_t rows, uint32_t rgs)
{
	tu_buf b = { 0 };
	if (rgs == 0)
		rgs = COLSTORE_DEFAULT_ROW_GROUP_SIZE;
	uint64_t groups = rows ? (rows - 1) / rgs + 1 : 0;
	tu_printf(&b, "rows %llu columns %u row_groups %llu row_group_size %u\n",
	          (unsigned long long)rows, ncols, (unsigned long long)groups, rgs);
	for (unsigned i = 0; i < ncols; i++)
		tu_printf(&b, "column %u %s %s\n", i, cols[i].name, colstore_type_name(cols[i].type));
	char s[64];
	for (uint64_t r = 0; r < rows; r++)
		for (unsigned i = 0; i < ncols; i++) {
			const tu_col *c = &cols[i];
			tu_printf(&b, "r%llu c%u ", (unsigned long long)r, i);
			if (tu_is_null(c, r))
				tu_printf(&b, "null");
			else if (c->type == COLSTORE_TYPE_FLOAT32 || c->type == COLSTORE_TYPE_FLOAT64)
				tu_printf(&b, "%.17g", tu_dbl(c, r));
			else if (c->type == COLSTORE_TYPE_STRING)
				tu_quote(&b, s, tu_str(c, r, s));
			else
				tu_value_int(&b, c->type, tu_int(c, r));
			tu_printf(&b, "\n");
		}
	if (!b.p)
		tu_printf(&b, "%s", "");
	return b.p;
}

static int64_t load_int(const uint8_t *p, colstore_type t, uint64_t i)
{
	switch (t) {
	case COLSTORE_TYPE_INT8: return ((const int8_t *)p)[i];
	case COLSTORE_TYPE_INT16: return ((const int16_t *)p)[i];
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: return ((const int32_t *)p)[i];
	default: return ((const int64_t *)p)[i];
	}
}

char *tu_lib_dump(colstore_reader *r, int *rc, colstore_error *err)
{
	tu_buf b = { 0 };
	uint32_t nc = colstore_reader_num_columns(r), ng = colstore_reader_num_row_groups(r);
	*rc = 0;
	tu_printf(&b, "rows %llu columns %u row_groups %u row_group_size %u\n",
	          (unsigned long long)colstore_reader_num_rows(r), nc, ng,
	          colstore_reader_row_group_size(r));
	colstore_column_info *ci = calloc(nc, sizeof(*ci));
	for (uint32_t c = 0; c < nc; c++) {
		colstore_reader_column_info(r, c, &ci[c], NULL);
		tu_printf(&b, "column %u %s %s\n", c, ci[c].name, colstore_type_name(ci[c].type));
	}
	colstore_block *blk = calloc((size_t)nc * 3, sizeof(*blk));
	void **bufs = calloc((size_t)nc * 3, sizeof(void *));
	for (uint32_t g = 0; g < ng && !*rc; g++) {
		colstore_chunk_info ch;
		uint32_t n = 0;
		for (uint32_t c = 0; c < nc && !*rc; c++) {
			*rc = colstore_reader_chunk_info(r, g, c, &ch, err);
			n = ch.row_count;
			for (int k = 0; k < 3 && !*rc; k++) {
				free(bufs[c * 3 + k]);
				bufs[c * 3 + k] = malloc(ch.blocks[k].raw_size + 1);
				*rc = colstore_reader_block(r, g, c, k, bufs[c * 3 + k],
				                            ch.blocks[k].raw_size, &blk[c * 3 + k], err);
			}
		}
		for (uint32_t i = 0; i < n && !*rc; i++)
			for (uint32_t c = 0; c < nc && !*rc; c++) {
				const uint8_t *valid = blk[c * 3].data, *data = blk[c * 3 + 1].data;
				colstore_type t = ci[c].type;
				tu_printf(&b, "r%llu c%u ",
				          (unsigned long long)((uint64_t)g * colstore_reader_row_group_size(r) + i), c);
				colstore_chunk_info cc;
				colstore_reader_chunk_info(r, g, c, &cc, NULL);
				if (valid && !((valid[i / 8] >> (i % 8)) & 1)) {
					tu_printf(&b, "null\n");
					continue;
				}
				if (t == COLSTORE_TYPE_FLOAT32) {
					tu_printf(&b, "%.17g", (double)((const float *)data)[i]);
				} else if (t == COLSTORE_TYPE_FLOAT64) {
					tu_printf(&b, "%.17g", ((const double *)data)[i]);
				} else if (t == COLSTORE_TYPE_BOOL) {
					tu_value_int(&b, t, (data[i / 8] >> (i % 8)) & 1);
				} else if (t == COLSTORE_TYPE_STRING && cc.encoding == COLSTORE_ENCODING_DICT) {
					uint32_t code = cc.code_width == 1   ? data[i]
					                : cc.code_width == 2 ? ((const uint16_t *)data)[i]
					                                     : ((const uint32_t *)data)[i];
					const char *s;
					uint32_t len;
					*rc = colstore_reader_dict_lookup(r, c, code, &s, &len, err);
					if (!*rc)
						tu_quote(&b, s, len);
				} else if (t == COLSTORE_TYPE_STRING) {
					const uint32_t *off = (const uint32_t *)data;
					tu_quote(&b, (const char *)blk[c * 3 + 2].data + off[i], off[i + 1] - off[i]);
				} else {
					tu_value_int(&b, t, load_int(data, t, i));
				}
				tu_printf(&b, "\n");
			}
	}
	for (uint32_t g = 0; g < ng && !*rc; g++)
		for (uint32_t c = 0; c < nc; c++) {
			colstore_chunk_info ch;
			colstore_reader_chunk_info(r, g, c, &ch, NULL);
			colstore_type t = ci[c].type;
			tu_printf(&b, "chunk g%u c%u rows %u nulls %u enc %s", g, c, ch.row_count,
			          ch.null_count, ch.encoding == COLSTORE_ENCODING_DICT ? "dict" : "plain");
			if (ch.has_minmax) {
				if (t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64) {
					tu_printf(&b, " min %.17g max %.17g", ch.min_double, ch.max_double);
				} else if (t == COLSTORE_TYPE_STRING) {
					tu_printf(&b, " min ");
					tu_quote(&b, ch.min_str, ch.min_str_len);
					tu_printf(&b, " max ");
					tu_quote(&b, ch.max_str, ch.max_str_len);
				} else {
					tu_printf(&b, " min ");
					tu_value_int(&b, t, ch.min_int);
					tu_printf(&b, " max ");
					tu_value_int(&b, t, ch.max_int);
				}
			}
			if (ch.has_nan)
				tu_printf(&b, " nan");
			tu_printf(&b, "\n");
		}
	for (uint32_t i = 0; i < nc * 3; i++)
		free(bufs[i]);
	free(bufs);
	free(blk);
	free(ci);
	if (*rc) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

char *tu_lib_dump_file(const char *path, int *rc, colstore_error *err)
{
	colstore_reader *r;
	*rc = colstore_reader_open(path, NULL, &r, err);
	if (*rc)
		return NULL;
	char *t = tu_lib_dump(r, rc, err);
	colstore_reader_close(r);
	return t;
}

unsigned char *tu_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *p = malloc(n > 0 ? (size_t)n : 1);
	if (n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return p;
}

int tu_write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t got = fwrite(data, 1, size, f);
	return fclose(f) == 0 && got == size ? 0 : -1;
}

int tu_starts_with(const char *text, const char *prefix)
{
	return text && strncmp(text, prefix, strlen(prefix)) == 0;
}

int tu_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

char *tu_agg_text(colstore_reader *r, const char *aggs, const char *gb, const char *where,
                  uint32_t threads, uint64_t mem, uint32_t *passes, uint64_t *spill)
{
	colstore_agg *a;
	colstore_filter *f = NULL;
	colstore_error e;
	if ((where && *where && colstore_filter_parse(r, where, &f, &e)) ||
	    colstore_agg_create(r, aggs, gb, f, &a, &e)) {
		fprintf(stderr, "\nagg_text: %s\n", e.message);
		colstore_filter_free(f);
		return NULL;
	}
	colstore_agg_set_threads(a, threads);
	colstore_agg_set_memory_limit(a, mem);
	if (colstore_agg_run(a, &e)) {
		fprintf(stderr, "\nagg_text: %s\n", e.message);
		colstore_agg_free(a);
		colstore_filter_free(f);
		return NULL;
	}
	tu_buf b = { 0 };
	for (uint64_t g = 0; g < colstore_agg_num_groups(a); g++) {
		for (uint32_t k = 0; k < colstore_agg_num_columns(a); k++) {
			colstore_cell c;
			colstore_agg_cell(a, g, k, &c);
			uint64_t bits;
			memcpy(&bits, &c.d, 8);
			tu_printf(&b, "%d:%lld:%016llx:", c.is_null, (long long)c.i, (unsigned long long)bits);
			tu_quote(&b, c.s ? c.s : "", c.len);
			tu_printf(&b, "|");
		}
		tu_printf(&b, "\n");
	}
	if (passes)
		*passes = colstore_agg_passes(a);
	if (spill)
		*spill = colstore_agg_spill_bytes(a);
	colstore_agg_free(a);
	colstore_filter_free(f);
	return b.p ? b.p : calloc(1, 1);
}

static colstore_filter *tu_flts[16];
static int tu_nflt;

const colstore_filter *tu_flt(colstore_reader *r, const char *where)
{
	colstore_filter *f = NULL;
	CU_ASSERT_EQUAL_FATAL(colstore_filter_parse(r, where, &f, NULL), COLSTORE_OK);
	CU_ASSERT_FATAL(tu_nflt < 16);
	tu_flts[tu_nflt++] = f;
	return f;
}

void tu_flt_clear(void)
{
	while (tu_nflt > 0)
		colstore_filter_free(tu_flts[--tu_nflt]);
}
