/*
 * arrow.c -- colstore_reader_export_stream(): row groups as Arrow arrays,
 * through the Arrow C Stream Interface.
 *
 * Format v1 keeps Arrow's physical layouts (format-spec.md §9): LSB-first
 * validity and bool bitmaps, little-endian fixed-width values, u32 string
 * offsets below 2^31, 64-byte aligned blocks.  So a block stored
 * uncompressed becomes an Arrow buffer as it is, a pointer into the mapping.
 * Only three things are copied: blocks stored compressed (decoded into a
 * colstore_buffers that the batch owns), the rows of a row group that a
 * filter keeps in part, and dictionary codes whose width differs from the
 * column's index width (or DICT chunks of a column exported as plain utf8).
 *
 * Ownership.  Each batch is one cs_xbatch holding every ArrowArray of the
 * batch, their buffer lists, the copies and a reference to the reader.  Its
 * count starts at the number of arrays (the struct, its children, their
 * dictionaries); each array's release drops one, so a consumer may move
 * children out and release them in any order.  The stream holds a reader
 * reference of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "export.h"

typedef struct cs_xcol {
	uint32_t col;       /* reader column */
	uint8_t type;
	uint8_t dict;       /* exported dictionary-encoded */
	uint8_t iw;         /* index width of a dict column: 1, 2 or 4 */
	uint32_t dcount;    /* dictionary entries */
	const uint8_t *doff; /* dictionary: dcount + 1 u32 offsets, then bytes */
	const char *dbytes;
} cs_xcol;

typedef struct cs_xstream {
	colstore_reader *r;
	colstore_scan *scan;
	cs_xcol *cols;
	uint32_t ncols;
	char msg[sizeof(((colstore_error *)0)->message)];
} cs_xstream;

typedef struct cs_xbatch {
	int refs; /* atomic: arrays not yet released */
	colstore_reader *r;
	colstore_buffers *b; /* decoded blocks */
	struct ArrowArray *arrays;
	struct ArrowArray **kids;
	const void **bufs;
	void **owned; /* malloc'd copies */
	size_t nowned;
} cs_xbatch;

static const uint32_t cs_zero_offsets[1];

/* ---- strings ----------------------------------------------------------- */

static int cs_utf8_ok(const uint8_t *p, size_t n)
{
	return cs_utf8_prefix(p, n) == n;
}

/* the first entry of an offsets + bytes string array that is not UTF-8, or
 * n when all are; entries whose bit in valid (when given) is 0 are null and
 * not looked at */
static uint32_t cs_utf8_first_bad(const uint8_t *off, const char *bytes, uint32_t n,
                                  const uint8_t *valid)
{
	uint32_t end = cs_le32(off + 4 * (size_t)n);
	const uint8_t *b = (const uint8_t *)bytes;
	if (cs_utf8_ok(b, end)) {
		/* valid as a whole: only a string cut inside a sequence can be bad,
		 * and then it starts with a continuation byte or the next byte is one */
		for (uint32_t i = 0; i < n; i++) {
			uint32_t lo = cs_le32(off + 4 * (size_t)i), hi = cs_le32(off + 4 * (size_t)i + 4);
			if (lo < hi && (!valid || cs_bit_get(valid, i)) &&
			    ((b[lo] & 0xc0) == 0x80 || (hi < end && (b[hi] & 0xc0) == 0x80)))
				return i;
		}
		return n;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t lo = cs_le32(off + 4 * (size_t)i), hi = cs_le32(off + 4 * (size_t)i + 4);
		if ((!valid || cs_bit_get(valid, i)) && !cs_utf8_ok(b + lo, hi - lo))
			return i;
	}
	return n;
}

/* ---- the batch --------------------------------------------------------- */

static void cs_xbatch_free(cs_xbatch *bt)
{
	for (size_t i = 0; i < bt->nowned; i++)
		free(bt->owned[i]);
	free(bt->owned);
	colstore_buffers_free(bt->b);
	colstore_reader *r = bt->r;
	free(bt->arrays);
	free(bt->kids);
	free(bt->bufs);
	free(bt);
	colstore_reader_close(r); /* drops the batch's reference */
}

static void cs_xarray_release(struct ArrowArray *a)
{
	cs_xbatch *bt = a->private_data;
	for (int64_t i = 0; i < a->n_children; i++)
		if (a->children[i]->release)
			a->children[i]->release(a->children[i]);
	if (a->dictionary && a->dictionary->release)
		a->dictionary->release(a->dictionary);
	a->release = NULL;
	if (__atomic_sub_fetch(&bt->refs, 1, __ATOMIC_ACQ_REL) == 0)
		cs_xbatch_free(bt);
}

static void *cs_xalloc(cs_xbatch *bt, size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p)
		bt->owned[bt->nowned++] = p;
	return p;
}

/* ---- one column of one row group --------------------------------------- */

/* rows idx[0..m) of bitmap src into a new bitmap; returns its zero bits */
static uint64_t cs_take_bits(const uint8_t *src, const uint32_t *idx, uint32_t m, uint8_t *dst)
{
	memset(dst, 0, cs_bitmap_bytes(m));
	uint64_t zeros = 0;
	for (uint32_t j = 0; j < m; j++) {
		if (cs_bit_get(src, idx[j]))
			cs_bit_set(dst, j);
		else
			zeros++;
	}
	return zeros;
}

static void cs_code_put(uint8_t *codes, unsigned w, uint32_t i, uint32_t c)
{
	if (w == 1)
		codes[i] = (uint8_t)c;
	else if (w == 2)
		cs_st16(codes + 2 * (size_t)i, (uint16_t)c);
	else
		cs_st32(codes + 4 * (size_t)i, c);
}

/* fill child a (its buffer list at bufs, its dictionary at dict) with
 * column x of a row group read as v; rows idx[0..m) when idx is set */
static int cs_xcolumn(cs_xstream *s, cs_xbatch *bt, const cs_xcol *x, const colstore_values *v,
                      uint32_t nulls, const uint32_t *idx, uint32_t m, struct ArrowArray *a,
                      const void **bufs, struct ArrowArray *dict, uint64_t first_row)
{
	colstore_reader *r = s->r;
	uint32_t n = idx ? m : v->rows;
	a->length = n;
	a->offset = 0;
	a->n_children = 0;
	a->children = NULL;
	a->dictionary = NULL;
	a->buffers = bufs;
	a->private_data = bt;
	a->release = cs_xarray_release;
	a->n_buffers = 2;
	bufs[0] = bufs[1] = bufs[2] = NULL;

	/* validity */
	if (v->validity && idx) {
		uint8_t *vb = cs_xalloc(bt, cs_bitmap_bytes(n));
		if (!vb)
			return ENOMEM;
		nulls = (uint32_t)cs_take_bits(v->validity, idx, m, vb);
		bufs[0] = nulls ? vb : NULL;
	} else if (v->validity) {
		bufs[0] = v->validity;
	} else
		nulls = 0;
	a->null_count = nulls;

	switch (x->type) {
	case COLSTORE_TYPE_BOOL:
		if (idx) {
			uint8_t *d = cs_xalloc(bt, cs_bitmap_bytes(n));
			if (!d)
				return ENOMEM;
			cs_take_bits(v->data, idx, m, d);
			bufs[1] = d;
		} else
			bufs[1] = v->data;
		return 0;
	case COLSTORE_TYPE_STRING:
		break;
	default: {
		unsigned w = colstore_type_width(x->type);
		if (!idx) {
			bufs[1] = v->data;
			return 0;
		}
		uint8_t *d = cs_xalloc(bt, (size_t)n * w);
		if (!d)
			return ENOMEM;
		const uint8_t *src = v->data;
		for (uint32_t j = 0; j < m; j++)
			memcpy(d + (size_t)j * w, src + (size_t)idx[j] * w, w);
		bufs[1] = d;
		return 0;
	}
	}

	const char *colname = r->columns[x->col].name;
	if (x->dict) { /* dictionary-encoded: indices, and the dictionary */
		dict->length = x->dcount;
		dict->null_count = 0;
		dict->offset = 0;
		dict->n_buffers = 3;
		dict->n_children = 0;
		dict->children = NULL;
		dict->dictionary = NULL;
		dict->buffers = bufs + 3;
		bufs[3] = NULL;
		bufs[4] = x->dcount ? (const void *)x->doff : (const void *)cs_zero_offsets;
		bufs[5] = x->dcount ? x->dbytes : (const char *)cs_zero_offsets;
		dict->private_data = bt;
		dict->release = cs_xarray_release;
		a->dictionary = dict;
		unsigned cw = v->encoding == COLSTORE_ENCODING_DICT ? v->code_width : 0;
		if (cw == x->iw && !idx) {
			bufs[1] = v->data;
			return 0;
		}
		uint8_t *d = cs_xalloc(bt, (size_t)n * x->iw);
		if (!d)
			return ENOMEM;
		for (uint32_t j = 0; j < n; j++) /* every chunk of the column is DICT */
			cs_code_put(d, x->iw, j, cs_code_at(v->data, cw, idx ? idx[j] : j));
		bufs[1] = d;
		return 0;
	}

	/* plain utf8 */
	a->n_buffers = 3;
	const uint8_t *off;
	const char *bytes;
	if (v->encoding == COLSTORE_ENCODING_PLAIN && !idx) {
		off = v->data;
		bytes = v->bytes;
		uint32_t bad = cs_utf8_first_bad(off, bytes, n, v->validity);
		if (bad < n) {
			snprintf(s->msg, sizeof(s->msg),
			         "column '%.200s', row %llu: not valid UTF-8, which Arrow's utf8 "
			         "type requires", colname, (unsigned long long)(first_row + bad));
			return EINVAL;
		}
	} else {
		/* gather rows (from the chunk's own strings or the dictionary) */
		const uint8_t *soff = v->encoding == COLSTORE_ENCODING_PLAIN ? v->data : x->doff;
		const char *sbytes = v->encoding == COLSTORE_ENCODING_PLAIN ? v->bytes : x->dbytes;
		uint64_t total = 0;
		for (uint32_t j = 0; j < n; j++) {
			uint32_t i = idx ? idx[j] : j;
			if (v->validity && !cs_bit_get(v->validity, i))
				continue;
			uint32_t k = v->encoding == COLSTORE_ENCODING_PLAIN ? i
			                                                    : cs_code_at(v->data, v->code_width, i);
			total += cs_le32(soff + 4 * (size_t)k + 4) - cs_le32(soff + 4 * (size_t)k);
		}
		if (total > CS_MAX_STRING_BYTES) {
			snprintf(s->msg, sizeof(s->msg),
			         "column '%.200s': a row group's strings exceed 2^31 - 1 bytes",
			         colname);
			return EINVAL;
		}
		uint8_t *o = cs_xalloc(bt, 4 * ((size_t)n + 1));
		char *b = o ? cs_xalloc(bt, (size_t)total) : NULL;
		if (!b)
			return ENOMEM;
		uint32_t pos = 0;
		cs_st32(o, 0);
		for (uint32_t j = 0; j < n; j++) {
			uint32_t i = idx ? idx[j] : j;
			if (!v->validity || cs_bit_get(v->validity, i)) {
				uint32_t k = v->encoding == COLSTORE_ENCODING_PLAIN
				                     ? i : cs_code_at(v->data, v->code_width, i);
				uint32_t sa = cs_le32(soff + 4 * (size_t)k);
				uint32_t len = cs_le32(soff + 4 * (size_t)k + 4) - sa;
				memcpy(b + pos, sbytes + sa, len);
				pos += len;
			}
			cs_st32(o + 4 * ((size_t)j + 1), pos);
		}
		if (v->encoding == COLSTORE_ENCODING_PLAIN) { /* dictionaries were checked */
			uint32_t bad = cs_utf8_first_bad(o, b, n, NULL); /* nulls are empty here */
			if (bad < n) {
				snprintf(s->msg, sizeof(s->msg),
				         "column '%.200s', row %llu: not valid UTF-8, which Arrow's utf8 "
				         "type requires", colname,
				         (unsigned long long)(first_row + (idx ? idx[bad] : bad)));
				return EINVAL;
			}
		}
		off = o;
		bytes = b;
	}
	bufs[1] = off;
	bufs[2] = bytes ? bytes : (const char *)cs_zero_offsets;
	return 0;
}

/* a buffer in place that is not 8-byte aligned (colstore_reader_open_memory
 * over memory the caller did not align; a mapping always is) is copied, as
 * Arrow consumers may load its values with aligned instructions */
static int cs_xalign(cs_xbatch *bt, const cs_xcol *x, struct ArrowArray *a)
{
	const void **bufs = (const void **)a->buffers;
	size_t n = (size_t)a->length;
	for (int64_t k = 0; k < a->n_buffers; k++) {
		const void *p = bufs[k];
		if (!p || !((uintptr_t)p & 7))
			continue;
		size_t size;
		if (k == 0 || (k == 1 && x->type == COLSTORE_TYPE_BOOL))
			size = cs_bitmap_bytes(n);
		else if (k == 2)
			size = cs_le32((const uint8_t *)bufs[1] + 4 * n);
		else if (x->dict)
			size = n * x->iw;
		else if (x->type == COLSTORE_TYPE_STRING)
			size = 4 * (n + 1);
		else
			size = n * colstore_type_width(x->type);
		void *c = cs_xalloc(bt, size);
		if (!c)
			return ENOMEM;
		memcpy(c, p, size);
		bufs[k] = c;
	}
	return 0;
}

static int cs_errno_of(int code)
{
	return code == COLSTORE_ENOMEM ? ENOMEM : code == COLSTORE_EINVAL ? EINVAL : EIO;
}

/* ---- stream callbacks --------------------------------------------------- */

static int cs_xnext(struct ArrowArrayStream *st, struct ArrowArray *out)
{
	cs_xstream *s = st->private_data;
	colstore_reader *r = s->r;
	colstore_error e;
	out->release = NULL;
	s->msg[0] = 0;
	cs_xbatch *bt = calloc(1, sizeof(*bt));
	size_t na = 2 * (size_t)s->ncols; /* children and dictionaries */
	if (bt) {
		bt->arrays = calloc(na ? na : 1, sizeof(*bt->arrays));
		bt->kids = calloc(s->ncols ? s->ncols : 1, sizeof(*bt->kids));
		bt->bufs = calloc(6 * (size_t)s->ncols + 1, sizeof(*bt->bufs));
		bt->owned = calloc(6 * (size_t)s->ncols + 1, sizeof(*bt->owned));
		bt->b = colstore_buffers_create();
	}
	if (!bt || !bt->arrays || !bt->kids || !bt->bufs || !bt->owned || !bt->b) {
		if (bt) {
			colstore_buffers_free(bt->b);
			free(bt->arrays);
			free(bt->kids);
			free(bt->bufs);
			free(bt->owned);
			free(bt);
		}
		snprintf(s->msg, sizeof(s->msg), "out of memory");
		return ENOMEM;
	}
	bt->r = r;
	cs_reader_ref(r);
	bt->refs = 1; /* the struct; children are counted as they are made */

	/* one batch of the scan, its values decoded into the batch's own
	 * buffers (the arrays outlive the next call) */
	colstore_batch sb;
	int rc = colstore_scan_next(s->scan, bt->b, &sb, &e);
	if (rc || sb.rows == 0) {
		if (rc)
			snprintf(s->msg, sizeof(s->msg), "%s", e.message);
		cs_xbatch_free(bt);
		return rc ? cs_errno_of(rc) : 0; /* the end: out->release stays NULL */
	}
	const uint32_t rows = sb.rows, m = sb.selected, *idx = sb.sel;
	for (uint32_t k = 0; !rc && k < s->ncols; k++) {
		const cs_xcol *x = &s->cols[k];
		const colstore_values v = sb.values[k];
		uint32_t nulls = v.validity ? rows - (uint32_t)cs_bitmap_popcount(v.validity, rows) : 0;
		struct ArrowArray *a = &bt->arrays[2 * k], *d = &bt->arrays[2 * k + 1];
		rc = cs_xcolumn(s, bt, x, &v, nulls, idx, m, a, bt->bufs + 6 * (size_t)k, d,
		                sb.first_row);
		if (!rc)
			rc = cs_xalign(bt, x, a);
		if (!rc) {
			bt->kids[k] = a;
			bt->refs += 1 + (a->dictionary != NULL);
		} else if (rc == ENOMEM && !s->msg[0])
			snprintf(s->msg, sizeof(s->msg), "out of memory");
	}
	if (rc) {
		cs_xbatch_free(bt);
		return rc;
	}
	bt->bufs[6 * (size_t)s->ncols] = NULL; /* the struct's validity */
	out->length = m;
	out->null_count = 0;
	out->offset = 0;
	out->n_buffers = 1;
	out->buffers = bt->bufs + 6 * (size_t)s->ncols;
	out->n_children = s->ncols;
	out->children = bt->kids;
	out->dictionary = NULL;
	out->private_data = bt;
	out->release = cs_xarray_release;
	return 0;
}

/* one schema node: format and name copied into its private block */
typedef struct cs_xschema {
	struct ArrowSchema **kids;
	struct ArrowSchema *kid_structs;
	struct ArrowSchema *dict;
	char text[]; /* format NUL name NUL */
} cs_xschema;

static void cs_xschema_release(struct ArrowSchema *sc)
{
	cs_xschema *p = sc->private_data;
	for (int64_t i = 0; i < sc->n_children; i++)
		if (sc->children[i]->release)
			sc->children[i]->release(sc->children[i]);
	if (sc->dictionary && sc->dictionary->release)
		sc->dictionary->release(sc->dictionary);
	free(p->kid_structs);
	free(p->kids);
	free(p->dict);
	free(p);
	sc->release = NULL;
}

static int cs_xschema_init(struct ArrowSchema *sc, const char *format, const char *name,
                           int64_t flags, int64_t nkids, int dict)
{
	size_t fl = strlen(format), nl = strlen(name);
	cs_xschema *p = calloc(1, sizeof(*p) + fl + nl + 2);
	memset(sc, 0, sizeof(*sc));
	if (!p)
		return ENOMEM;
	memcpy(p->text, format, fl + 1);
	memcpy(p->text + fl + 1, name, nl + 1);
	sc->format = p->text;
	sc->name = p->text + fl + 1;
	sc->flags = flags;
	sc->private_data = p;
	sc->release = cs_xschema_release;
	if (nkids) {
		p->kids = calloc((size_t)nkids, sizeof(*p->kids));
		p->kid_structs = calloc((size_t)nkids, sizeof(*p->kid_structs));
		if (!p->kids || !p->kid_structs)
			return ENOMEM; /* release() frees what there is */
		for (int64_t i = 0; i < nkids; i++)
			p->kids[i] = &p->kid_structs[i];
		sc->children = p->kids;
		sc->n_children = nkids;
	}
	if (dict) {
		p->dict = calloc(1, sizeof(*p->dict));
		if (!p->dict)
			return ENOMEM;
		sc->dictionary = p->dict;
	}
	return 0;
}

static const char *cs_xformat(const cs_xcol *x)
{
	if (x->dict)
		return x->iw == 1 ? "C" : x->iw == 2 ? "S" : "I";
	switch (x->type) {
	case COLSTORE_TYPE_INT8: return "c";
	case COLSTORE_TYPE_INT16: return "s";
	case COLSTORE_TYPE_INT32: return "i";
	case COLSTORE_TYPE_INT64: return "l";
	case COLSTORE_TYPE_FLOAT32: return "f";
	case COLSTORE_TYPE_FLOAT64: return "g";
	case COLSTORE_TYPE_BOOL: return "b";
	case COLSTORE_TYPE_DATE: return "tdD";
	case COLSTORE_TYPE_TIMESTAMP: return "tsu:";
	default: return "u";
	}
}

static int cs_xget_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
	cs_xstream *s = st->private_data;
	int rc = cs_xschema_init(out, "+s", "", 0, s->ncols, 0);
	for (uint32_t k = 0; !rc && k < s->ncols; k++) {
		const cs_xcol *x = &s->cols[k];
		rc = cs_xschema_init(out->children[k], cs_xformat(x), s->r->columns[x->col].name,
		                     ARROW_FLAG_NULLABLE, 0, x->dict);
		if (!rc && x->dict)
			rc = cs_xschema_init(out->children[k]->dictionary, "u", "", 0, 0, 0);
	}
	if (rc) {
		if (out->release)
			out->release(out);
		snprintf(s->msg, sizeof(s->msg), "out of memory");
	}
	return rc;
}

static const char *cs_xlast_error(struct ArrowArrayStream *st)
{
	cs_xstream *s = st->private_data;
	return s->msg[0] ? s->msg : NULL;
}

static void cs_xstream_free(cs_xstream *s)
{
	colstore_scan_free(s->scan);
	free(s->cols);
	colstore_reader_close(s->r); /* drops the stream's reference */
	free(s);
}

static void cs_xrelease(struct ArrowArrayStream *st)
{
	cs_xstream_free(st->private_data);
	st->release = NULL;
}

/* ---- creation --------------------------------------------------------- */

static int cs_xcolumns(cs_xstream *s, const char *columns, colstore_error *err)
{
	colstore_reader *r = s->r;
	uint32_t nc = r->num_columns, n = nc, *named = NULL;
	if (columns) {
		int rc = colstore_reader_find_columns(r, columns, &named, &n, err);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < n; k++)
			for (uint32_t j = 0; j < k; j++)
				if (named[j] == named[k]) {
					rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
					            "column '%s' is named twice", r->columns[named[k]].name);
					free(named);
					return rc;
				}
	}
	s->cols = calloc(n ? n : 1, sizeof(*s->cols));
	if (!s->cols) {
		free(named);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t k = 0; k < n; k++) {
		uint32_t c = named ? named[k] : k;
		cs_xcol *x = &s->cols[k];
		const cs_column *cc = &r->columns[c];
		x->col = c;
		x->type = cc->type;
		if (x->type != COLSTORE_TYPE_STRING)
			continue;
		int rc = cs_dict_ready(r, c, err);
		if (rc) {
			free(named);
			return rc;
		}
		x->dcount = cc->dict_count;
		x->doff = r->data + cc->dict_offsets.offset;
		x->dbytes = (const char *)r->data + cc->dict_bytes.offset;
		x->dict = (uint8_t)cs_column_all_dict(r, c);
		x->iw = x->dcount <= 256 ? 1 : x->dcount <= 65536 ? 2 : 4;
		if (x->dcount) {
			uint32_t bad = cs_utf8_first_bad(x->doff, x->dbytes, x->dcount, NULL);
			if (bad < x->dcount) {
				free(named);
				return cs_err(err, COLSTORE_EINVAL, cc->dict_bytes.offset,
				              "column '%s': dictionary entry %u is not valid UTF-8, "
				              "which Arrow's utf8 type requires", cc->name, bad);
			}
		}
	}
	free(named);
	s->ncols = n;
	return COLSTORE_OK;
}

int colstore_reader_export_stream(colstore_reader *r, const char *columns,
                                  const colstore_filter *where, struct ArrowArrayStream *out,
                                  colstore_error *err)
{
	if (out)
		memset(out, 0, sizeof(*out));
	if (!r || !out)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "reader and out are required");
	cs_xstream *s = calloc(1, sizeof(*s));
	if (!s)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	s->r = r;
	cs_reader_ref(r);
	int rc = cs_xcolumns(s, columns, err);
	if (!rc) {
		uint32_t *cols = malloc((s->ncols ? s->ncols : 1) * sizeof(uint32_t));
		if (!cols)
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		for (uint32_t k = 0; !rc && k < s->ncols; k++)
			cols[k] = s->cols[k].col;
		if (!rc)
			rc = colstore_scan_create(r, cols, s->ncols, where, NULL, &s->scan, err);
		free(cols);
	}
	if (rc) {
		cs_xstream_free(s);
		return rc;
	}
	out->get_schema = cs_xget_schema;
	out->get_next = cs_xnext;
	out->get_last_error = cs_xlast_error;
	out->release = cs_xrelease;
	out->private_data = s;
	return COLSTORE_OK;
}
