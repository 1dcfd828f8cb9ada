/*
 * ipc.c -- the Arrow IPC *file* format (Feather v2) from an Arrow C stream.
 *
 * What it writes (Arrow Columnar.rst "IPC File Format", metadata V5):
 *
 *   "ARROW1\0\0"
 *   Schema message
 *   one DictionaryBatch per dictionary-encoded column (id = column index),
 *       taken from the first batch of the stream; isDelta false
 *   one RecordBatch message per non-empty batch
 *   end-of-stream marker  FF FF FF FF 00 00 00 00
 *   Footer flatbuffer, its size (int32 LE), "ARROW1"
 *
 * Every message is encapsulated: FF FF FF FF, int32 LE metadata size, the
 * Message flatbuffer padded so that the body starts 64-byte aligned in the
 * file, then the body, in which every buffer starts 64-byte aligned.
 *
 * The subset: a "+s" schema of flat columns, int8..int64 (c s i l),
 * float32/64 (f g), bool (b), utf8 (u), date32 days (tdD), timestamp
 * microseconds without zone (tsu:), and utf8 dictionary-encoded with
 * uint8/16/32 indices (C S I with a "u" dictionary).  No custom metadata,
 * no nested types, no replacement or delta dictionaries: the file format
 * allows one dictionary per id, so every batch must carry the same one.
 *
 * With COLSTORE_EXPORT_LZ4 each non-empty body buffer is an int64 LE raw
 * length and an LZ4 frame, or -1 and the raw bytes when the frame is not
 * smaller (Message.fbs BodyCompression, codec LZ4_FRAME, method BUFFER).
 *
 * The flatbuffers are built by the small builder below, back to front as
 * the flatbuffers library does, so that every uoffset points forward.
 * Every scalar field is written even when it equals the schema's default.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>

#include "export.h"

/* ---- flatbuffers builder ------------------------------------------------ */

/*
 * The buffer grows downward: the bytes built so far are buf[cap - len, cap).
 * An object is named by its "ref", the value of len just after it was
 * written (its distance from the end).  Alignment is taken relative to the
 * end; fb_finish pads the total to the largest alignment used, which makes
 * it hold relative to the start as well.
 */
#define CS_FB_SLOTS 8
#define CS_FB_MAX 0x7fffffffu

typedef struct cs_fb {
	uint8_t *buf;
	size_t cap, len, minalign;
	size_t tstart;               /* len when the open table started */
	uint32_t slot[CS_FB_SLOTS];  /* ref of each field of the open table, 0: absent */
	unsigned nslots;
	int fail;                    /* 0, COLSTORE_ENOMEM or COLSTORE_ELIMIT */
} cs_fb;

static void cs_fb_reset(cs_fb *b)
{
	b->len = 0;
	b->minalign = 1;
	b->fail = 0;
}

/* room for n more bytes; on failure b->fail is set and writes are skipped */
static int cs_fb_reserve(cs_fb *b, size_t n)
{
	if (b->fail)
		return -1;
	if (n > CS_FB_MAX - b->len) {
		b->fail = COLSTORE_ELIMIT;
		return -1;
	}
	if (n <= b->cap - b->len)
		return 0;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap - b->len < n)
		cap *= 2;
	uint8_t *p = realloc(b->buf, cap);
	if (!p) {
		b->fail = COLSTORE_ENOMEM;
		return -1;
	}
	/* the built bytes move from the end of the old size to the new end */
	memmove(p + cap - b->len, p + b->cap - b->len, b->len);
	b->buf = p;
	b->cap = cap;
	return 0;
}

static void cs_fb_push(cs_fb *b, const void *p, size_t n)
{
	if (cs_fb_reserve(b, n))
		return;
	b->len += n;
	if (p)
		memcpy(b->buf + b->cap - b->len, p, n);
	else
		memset(b->buf + b->cap - b->len, 0, n);
}

/* pad so that, once extra more bytes are written, len is a multiple of align */
static void cs_fb_prep(cs_fb *b, size_t align, size_t extra)
{
	if (align > b->minalign)
		b->minalign = align;
	size_t pad = (align - ((b->len + extra) & (align - 1))) & (align - 1);
	if (pad)
		cs_fb_push(b, NULL, pad);
}

/* a little-endian scalar of size bytes (1, 2, 4 or 8), aligned to its size */
static void cs_fb_scalar(cs_fb *b, uint64_t v, size_t size)
{
	uint8_t t[8];
	cs_st64(t, v);
	cs_fb_prep(b, size, 0);
	cs_fb_push(b, t, size);
}

/* a uoffset to the object ref: relative to where the offset itself lies */
static void cs_fb_uoffset(cs_fb *b, uint32_t ref)
{
	cs_fb_prep(b, 4, 0);
	cs_fb_scalar(b, b->len + 4 - ref, 4);
}

static uint32_t cs_fb_string(cs_fb *b, const char *s, size_t n)
{
	cs_fb_prep(b, 4, n + 1);
	cs_fb_push(b, NULL, 1); /* the NUL */
	cs_fb_push(b, s, n);
	cs_fb_scalar(b, n, 4);
	return (uint32_t)b->len;
}

/* a vector of n elements of elem bytes: push them last to first, then end */
static void cs_fb_vec_start(cs_fb *b, size_t elem, size_t n, size_t align)
{
	cs_fb_prep(b, 4, elem * n);
	cs_fb_prep(b, align, elem * n);
}

static uint32_t cs_fb_vec_end(cs_fb *b, size_t n)
{
	cs_fb_scalar(b, n, 4);
	return (uint32_t)b->len;
}

static void cs_fb_table_start(cs_fb *b)
{
	memset(b->slot, 0, sizeof(b->slot));
	b->nslots = 0;
	b->tstart = b->len;
}

static void cs_fb_mark(cs_fb *b, unsigned slot)
{
	b->slot[slot] = (uint32_t)b->len;
	if (slot + 1 > b->nslots)
		b->nslots = slot + 1;
}

/* a scalar field of the open table (written even when it is the default) */
static void cs_fb_add(cs_fb *b, unsigned slot, uint64_t v, size_t size)
{
	cs_fb_scalar(b, v, size);
	cs_fb_mark(b, slot);
}

static void cs_fb_add_ref(cs_fb *b, unsigned slot, uint32_t ref)
{
	cs_fb_uoffset(b, ref);
	cs_fb_mark(b, slot);
}

/*
 * Close the open table: its soffset, then its vtable written just before
 * it (u16 vtable size, u16 table size, one u16 per slot: the field's
 * position in the table, 0 when absent).  The soffset is table - vtable.
 */
static uint32_t cs_fb_table_end(cs_fb *b)
{
	cs_fb_scalar(b, 0, 4);
	uint32_t obj = (uint32_t)b->len;
	for (unsigned i = b->nslots; i-- > 0;)
		cs_fb_scalar(b, b->slot[i] ? obj - b->slot[i] : 0, 2);
	cs_fb_scalar(b, obj - b->tstart, 2);
	cs_fb_scalar(b, 4 + 2 * b->nslots, 2);
	if (!b->fail)
		cs_st32(b->buf + b->cap - obj, (uint32_t)(b->len - obj));
	return obj;
}

/* the root uoffset; returns the finished bytes (valid until the next reset) */
static const uint8_t *cs_fb_finish(cs_fb *b, uint32_t root, size_t *size)
{
	cs_fb_prep(b, b->minalign, 4);
	cs_fb_uoffset(b, root);
	*size = b->len;
	return b->fail ? NULL : b->buf + b->cap - b->len;
}

/* ---- Arrow flatbuffer enums (Schema.fbs, Message.fbs, File.fbs) -------- */

enum {
	CS_T_INT = 2, CS_T_FLOAT = 3, CS_T_UTF8 = 5, CS_T_BOOL = 6, CS_T_DATE = 8,
	CS_T_TIMESTAMP = 10 /* union Type */
};
enum { CS_H_SCHEMA = 1, CS_H_DICTIONARY = 2, CS_H_RECORD_BATCH = 3 }; /* MessageHeader */
#define CS_V5 4          /* MetadataVersion */
#define CS_SINGLE 1      /* Precision */
#define CS_DOUBLE 2
#define CS_DAY 0         /* DateUnit */
#define CS_MICROSECOND 2 /* TimeUnit */
#define CS_LZ4_FRAME 0   /* CompressionType */
#define CS_BUFFER 0      /* BodyCompressionMethod */

/* ---- the columns ---------------------------------------------------------- */

enum { CS_L_FIXED, CS_L_BOOL, CS_L_UTF8 }; /* physical layouts */

typedef struct cs_ipc_type {
	const char *format; /* C Data Interface format string */
	uint8_t layout;
	uint8_t width;      /* bytes per value (CS_L_FIXED) */
	uint8_t tag;        /* union Type */
	int16_t param;      /* Int: is_signed; FloatingPoint: precision; Date, Timestamp: unit */
	uint8_t index;      /* unsigned: only as dictionary indices */
} cs_ipc_type;

static const cs_ipc_type cs_ipc_types[] = {
	{ "c", CS_L_FIXED, 1, CS_T_INT, 1, 0 },
	{ "s", CS_L_FIXED, 2, CS_T_INT, 1, 0 },
	{ "i", CS_L_FIXED, 4, CS_T_INT, 1, 0 },
	{ "l", CS_L_FIXED, 8, CS_T_INT, 1, 0 },
	{ "f", CS_L_FIXED, 4, CS_T_FLOAT, CS_SINGLE, 0 },
	{ "g", CS_L_FIXED, 8, CS_T_FLOAT, CS_DOUBLE, 0 },
	{ "b", CS_L_BOOL, 0, CS_T_BOOL, 0, 0 },
	{ "u", CS_L_UTF8, 0, CS_T_UTF8, 0, 0 },
	{ "tdD", CS_L_FIXED, 4, CS_T_DATE, CS_DAY, 0 },
	{ "tsu:", CS_L_FIXED, 8, CS_T_TIMESTAMP, CS_MICROSECOND, 0 },
	{ "C", CS_L_FIXED, 1, CS_T_INT, 0, 1 },
	{ "S", CS_L_FIXED, 2, CS_T_INT, 0, 1 },
	{ "I", CS_L_FIXED, 4, CS_T_INT, 0, 1 },
};

static const cs_ipc_type *const cs_ipc_utf8 = &cs_ipc_types[7];

typedef struct cs_ipc_col {
	const char *name;        /* in the schema, released at the end */
	const cs_ipc_type *type; /* for a dictionary column: the index type */
	int nullable, dict, ordered;
	uint32_t dict_slot;      /* its index in dict_blocks */
	/* the dictionary of the first batch, to compare later ones with */
	int64_t dict_len;
	const void *dict_bufs[3];
} cs_ipc_col;

/* one body buffer of the message being built */
typedef struct cs_ipc_buf {
	const uint8_t *p;
	uint64_t n;        /* bytes at p */
	int64_t prefix;    /* LZ4: raw length, or -1 when p holds the raw bytes */
	int prefixed;      /* stored as 8-byte prefix + n bytes */
	uint64_t off;      /* from the body start */
} cs_ipc_buf;

typedef struct cs_ipc_node { int64_t length, null_count; } cs_ipc_node;
typedef struct cs_ipc_block { uint64_t offset; uint32_t meta_len; uint64_t body_len; } cs_ipc_block;

typedef struct cs_ipc {
	cs_out *out;
	colstore_error *err;
	int lz4;
	uint32_t ncols, ndicts;
	cs_ipc_col *cols;
	uint32_t *refs;           /* scratch: one flatbuffer ref per column */
	cs_fb fb;                 /* reused for every message and the footer */
	cs_ipc_buf *bufs;         /* the message being built: up to 3 per column */
	cs_ipc_node *nodes;
	size_t nbufs, nnodes;
	uint8_t *z;               /* LZ4 frames of the message being built */
	size_t zcap;
	cs_ipc_block *dict_blocks, *batch_blocks;
	size_t nbatches, batches_cap;
} cs_ipc;

static const uint8_t cs_ipc_zero_offset[4]; /* offsets of an empty utf8 array */

/* ---- schema -------------------------------------------------------------- */

static const cs_ipc_type *cs_ipc_find_type(const char *format)
{
	for (size_t i = 0; i < sizeof(cs_ipc_types) / sizeof(cs_ipc_types[0]); i++)
		if (strcmp(cs_ipc_types[i].format, format) == 0)
			return &cs_ipc_types[i];
	return NULL;
}

static int cs_ipc_columns(cs_ipc *w, const struct ArrowSchema *sc)
{
	if (!sc->format || strcmp(sc->format, "+s") != 0)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: schema format \"%s\" is not a struct (+s)",
		              sc->format ? sc->format : "");
	if (sc->n_children < 0 || (uint64_t)sc->n_children > CS_MAX_COLUMNS ||
	    (sc->n_children && !sc->children))
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: bad number of columns %lld", (long long)sc->n_children);
	w->ncols = (uint32_t)sc->n_children;
	size_t n = w->ncols ? w->ncols : 1;
	w->cols = calloc(n, sizeof(*w->cols));
	w->refs = calloc(n, sizeof(*w->refs));
	w->bufs = calloc(3 * n, sizeof(*w->bufs));
	w->nodes = calloc(n, sizeof(*w->nodes));
	w->dict_blocks = calloc(n, sizeof(*w->dict_blocks));
	if (!w->cols || !w->refs || !w->bufs || !w->nodes || !w->dict_blocks)
		return cs_err(w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t i = 0; i < w->ncols; i++) {
		const struct ArrowSchema *f = sc->children[i];
		cs_ipc_col *c = &w->cols[i];
		const char *name = f && f->name ? f->name : "";
		c->name = name;
		c->type = f && f->format ? cs_ipc_find_type(f->format) : NULL;
		if (!c->type || f->n_children != 0)
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "arrow export: column %u (%s): unsupported format \"%s\"", i,
			              name, f && f->format ? f->format : "");
		c->nullable = (f->flags & ARROW_FLAG_NULLABLE) != 0;
		c->ordered = (f->flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0;
		c->dict = f->dictionary != NULL;
		if (c->dict != c->type->index ||
		    (c->dict && (!f->dictionary->format || strcmp(f->dictionary->format, "u") != 0)))
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "arrow export: column %u (%s): only utf8 dictionaries with "
			              "uint8/16/32 indices are supported", i, name);
		if (c->dict)
			c->dict_slot = w->ndicts++;
	}
	return COLSTORE_OK;
}

/* the type table of union Type */
static uint32_t cs_fb_type(cs_fb *b, const cs_ipc_type *t)
{
	cs_fb_table_start(b);
	switch (t->tag) {
	case CS_T_INT:
		cs_fb_add(b, 0, t->width * 8u, 4); /* bitWidth */
		cs_fb_add(b, 1, t->param != 0, 1); /* is_signed */
		break;
	case CS_T_FLOAT:     /* precision */
	case CS_T_DATE:      /* unit (the default is MILLISECOND) */
	case CS_T_TIMESTAMP: /* unit; timezone absent */
		cs_fb_add(b, 0, (uint16_t)t->param, 2);
		break;
	default: /* Utf8, Bool: no fields */
		break;
	}
	return cs_fb_table_end(b);
}

static uint32_t cs_fb_field(cs_fb *b, const cs_ipc_col *c, int64_t dict_id)
{
	uint32_t name = cs_fb_string(b, c->name, strlen(c->name));
	const cs_ipc_type *vt = c->dict ? cs_ipc_utf8 : c->type;
	uint32_t type = cs_fb_type(b, vt);
	uint32_t enc = 0;
	if (c->dict) {
		uint32_t index = cs_fb_type(b, c->type); /* Int, unsigned */
		cs_fb_table_start(b);
		cs_fb_add(b, 0, (uint64_t)dict_id, 8);
		cs_fb_add_ref(b, 1, index);
		cs_fb_add(b, 2, (uint64_t)c->ordered, 1);
		cs_fb_add(b, 3, 0, 2); /* dictionaryKind DenseArray */
		enc = cs_fb_table_end(b);
	}
	cs_fb_vec_start(b, 4, 0, 4);
	uint32_t children = cs_fb_vec_end(b, 0);
	cs_fb_table_start(b);
	cs_fb_add_ref(b, 0, name);
	cs_fb_add(b, 1, (uint64_t)c->nullable, 1);
	cs_fb_add(b, 2, vt->tag, 1); /* type_type */
	cs_fb_add_ref(b, 3, type);
	if (c->dict)
		cs_fb_add_ref(b, 4, enc);
	cs_fb_add_ref(b, 5, children);
	return cs_fb_table_end(b);
}

static uint32_t cs_fb_schema(cs_ipc *w)
{
	cs_fb *b = &w->fb;
	for (uint32_t i = 0; i < w->ncols; i++)
		w->refs[i] = cs_fb_field(b, &w->cols[i], i);
	cs_fb_vec_start(b, 4, w->ncols, 4);
	for (uint32_t i = w->ncols; i-- > 0;)
		cs_fb_uoffset(b, w->refs[i]);
	uint32_t fields = cs_fb_vec_end(b, w->ncols);
	cs_fb_table_start(b);
	cs_fb_add(b, 0, 0, 2); /* endianness Little */
	cs_fb_add_ref(b, 1, fields);
	return cs_fb_table_end(b);
}

static uint32_t cs_fb_message(cs_fb *b, uint8_t header_type, uint32_t header, uint64_t body_len)
{
	cs_fb_table_start(b);
	cs_fb_add(b, 0, CS_V5, 2);
	cs_fb_add(b, 1, header_type, 1);
	cs_fb_add_ref(b, 2, header);
	cs_fb_add(b, 3, body_len, 8);
	return cs_fb_table_end(b);
}

static int cs_ipc_fb_error(cs_ipc *w)
{
	return cs_err(w->err, w->fb.fail, COLSTORE_NO_OFFSET,
	              w->fb.fail == COLSTORE_ENOMEM ? "out of memory"
	                                             : "arrow export: metadata exceeds 2 GiB");
}

/* ---- messages ------------------------------------------------------------ */

/*
 * Write one encapsulated message: continuation, metadata size, the
 * flatbuffer padded so that the body starts 64-byte aligned in the file,
 * then the body buffers of w->bufs at their offsets, zero padding between.
 */
static int cs_ipc_emit(cs_ipc *w, const uint8_t *meta, size_t msize, uint64_t body_len,
                       cs_ipc_block *blk)
{
	cs_out *o = w->out;
	uint64_t start = o->pos;
	uint64_t body_at = cs_align_up(start + 8 + msize);
	uint64_t mlen = body_at - start - 8;
	if (mlen > INT32_MAX)
		return cs_err(w->err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
		              "arrow export: message metadata exceeds 2 GiB");
	uint8_t pre[8];
	cs_st32(pre, 0xffffffffu);
	cs_st32(pre + 4, (uint32_t)mlen);
	int rc;
	if ((rc = cs_out_write(o, pre, 8)) || (rc = cs_out_write(o, meta, msize)) ||
	    (rc = cs_out_zeros(o, (size_t)(mlen - msize))))
		return rc;
	uint64_t at = 0;
	for (size_t i = 0; i < w->nbufs; i++) {
		const cs_ipc_buf *bf = &w->bufs[i];
		if (!bf->n)
			continue;
		if ((rc = cs_out_zeros(o, (size_t)(bf->off - at))))
			return rc;
		if (bf->prefixed) {
			cs_st64(pre, (uint64_t)bf->prefix);
			if ((rc = cs_out_write(o, pre, 8)))
				return rc;
		}
		if ((rc = cs_out_write(o, bf->p, (size_t)bf->n)))
			return rc;
		at = bf->off + bf->n + (bf->prefixed ? 8 : 0);
	}
	if ((rc = cs_out_zeros(o, (size_t)(body_len - at))))
		return rc;
	blk->offset = start;
	blk->meta_len = (uint32_t)(8 + mlen);
	blk->body_len = body_len;
	return COLSTORE_OK;
}

/*
 * The body layout of w->bufs: with LZ4, compress each non-empty buffer
 * into w->z first (grown once to the bound of the whole message, so the
 * pointers stay valid); then give each buffer a 64-byte aligned offset.
 */
static int cs_ipc_layout(cs_ipc *w, uint64_t *body_len)
{
	if (w->lz4) {
		size_t need = 0;
		for (size_t i = 0; i < w->nbufs; i++)
			if (w->bufs[i].n) {
				size_t bound = LZ4F_compressFrameBound((size_t)w->bufs[i].n, NULL);
				if (bound > SIZE_MAX - need)
					return cs_err(w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
					              "out of memory");
				need += bound;
			}
		if (need > w->zcap) {
			uint8_t *z = realloc(w->z, need);
			if (!z)
				return cs_err(w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			w->z = z;
			w->zcap = need;
		}
		size_t used = 0;
		for (size_t i = 0; i < w->nbufs; i++) {
			cs_ipc_buf *bf = &w->bufs[i];
			if (!bf->n)
				continue;
			size_t got = LZ4F_compressFrame(w->z + used, w->zcap - used, bf->p,
			                                (size_t)bf->n, NULL);
			if (LZ4F_isError(got))
				return cs_err(w->err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
				              "arrow export: LZ4 frame compression failed: %s",
				              LZ4F_getErrorName(got));
			bf->prefixed = 1;
			if (got < bf->n) {
				bf->prefix = (int64_t)bf->n;
				bf->p = w->z + used;
				bf->n = got;
				used += got;
			} else {
				bf->prefix = -1; /* stored raw */
			}
		}
	}
	uint64_t at = 0;
	for (size_t i = 0; i < w->nbufs; i++) {
		cs_ipc_buf *bf = &w->bufs[i];
		bf->off = cs_align_up(at);
		uint64_t stored = bf->n + (bf->prefixed ? 8 : 0);
		at = stored ? bf->off + stored : bf->off;
	}
	*body_len = (at + 7) & ~(uint64_t)7;
	return COLSTORE_OK;
}

/* a Buffer or FieldNode struct: two int64 */
static void cs_fb_pair(cs_fb *b, int64_t x, int64_t y)
{
	uint8_t t[16];
	cs_st64(t, (uint64_t)x);
	cs_st64(t + 8, (uint64_t)y);
	cs_fb_push(b, t, 16);
}

/*
 * Write the buffers and nodes gathered in w as a RecordBatch message, or,
 * with dict_id >= 0, as a DictionaryBatch of that id.
 */
static int cs_ipc_batch(cs_ipc *w, int64_t length, int64_t dict_id, cs_ipc_block *blk)
{
	uint64_t body_len = 0;
	int rc = cs_ipc_layout(w, &body_len);
	if (rc)
		return rc;
	cs_fb *b = &w->fb;
	cs_fb_reset(b);
	cs_fb_vec_start(b, 16, w->nnodes, 8);
	for (size_t i = w->nnodes; i-- > 0;)
		cs_fb_pair(b, w->nodes[i].length, w->nodes[i].null_count);
	uint32_t nodes = cs_fb_vec_end(b, w->nnodes);
	cs_fb_vec_start(b, 16, w->nbufs, 8);
	for (size_t i = w->nbufs; i-- > 0;) {
		const cs_ipc_buf *bf = &w->bufs[i];
		cs_fb_pair(b, (int64_t)bf->off, (int64_t)(bf->n + (bf->prefixed ? 8 : 0)));
	}
	uint32_t buffers = cs_fb_vec_end(b, w->nbufs);
	uint32_t comp = 0;
	if (w->lz4) {
		cs_fb_table_start(b);
		cs_fb_add(b, 0, CS_LZ4_FRAME, 1); /* codec */
		cs_fb_add(b, 1, CS_BUFFER, 1);    /* method */
		comp = cs_fb_table_end(b);
	}
	cs_fb_table_start(b);
	cs_fb_add(b, 0, (uint64_t)length, 8);
	cs_fb_add_ref(b, 1, nodes);
	cs_fb_add_ref(b, 2, buffers);
	if (w->lz4)
		cs_fb_add_ref(b, 3, comp);
	uint32_t header = cs_fb_table_end(b);
	uint8_t type = CS_H_RECORD_BATCH;
	if (dict_id >= 0) {
		cs_fb_table_start(b);
		cs_fb_add(b, 0, (uint64_t)dict_id, 8);
		cs_fb_add_ref(b, 1, header);
		cs_fb_add(b, 2, 0, 1); /* isDelta */
		header = cs_fb_table_end(b);
		type = CS_H_DICTIONARY;
	}
	size_t msize;
	const uint8_t *meta = cs_fb_finish(b, cs_fb_message(b, type, header, body_len), &msize);
	if (!meta)
		return cs_ipc_fb_error(w);
	return cs_ipc_emit(w, meta, msize, body_len, blk);
}

/* ---- arrays -------------------------------------------------------------- */

static int cs_ipc_add_buf(cs_ipc *w, const void *p, uint64_t n, const char *what,
                          const char *name)
{
	if (n && !p)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: column %s: %s buffer is missing", name, what);
	cs_ipc_buf *bf = &w->bufs[w->nbufs++];
	memset(bf, 0, sizeof(*bf));
	bf->p = p;
	bf->n = n;
	return COLSTORE_OK;
}

/*
 * Check one column array (or a dictionary's values) of n rows and append
 * its node and buffers in layout order: validity (empty when there is no
 * null), then data, or offsets and data for utf8.
 */
static int cs_ipc_add_array(cs_ipc *w, const cs_ipc_type *t, const struct ArrowArray *x,
                            int64_t n, const char *name)
{
	int64_t nbuf = t->layout == CS_L_UTF8 ? 3 : 2;
	if (x->offset != 0)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: column %s: array offset %lld is not 0", name,
		              (long long)x->offset);
	if (x->length != n || n < 0 || n > INT64_MAX / 8)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: column %s: length %lld, expected %lld", name,
		              (long long)x->length, (long long)n);
	if (x->n_buffers != nbuf || !x->buffers || x->n_children != 0)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: column %s: %lld buffers and %lld children, expected "
		              "%lld and 0", name, (long long)x->n_buffers,
		              (long long)x->n_children, (long long)nbuf);
	const uint8_t *valid = x->buffers[0];
	int64_t nulls = x->null_count;
	if (nulls < 0) /* unknown: count them */
		nulls = valid ? n - (int64_t)cs_bitmap_popcount(valid, (uint64_t)n) : 0;
	if (nulls > n || (nulls > 0 && !valid))
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: column %s: null count %lld for %lld rows%s", name,
		              (long long)nulls, (long long)n, valid ? "" : " without a validity bitmap");
	w->nodes[w->nnodes].length = n;
	w->nodes[w->nnodes].null_count = nulls;
	w->nnodes++;
	int rc = cs_ipc_add_buf(w, valid, nulls ? cs_bitmap_bytes((uint64_t)n) : 0, "validity",
	                        name);
	if (rc)
		return rc;
	switch (t->layout) {
	case CS_L_FIXED:
		return cs_ipc_add_buf(w, x->buffers[1], (uint64_t)n * t->width, "data", name);
	case CS_L_BOOL:
		return cs_ipc_add_buf(w, x->buffers[1], cs_bitmap_bytes((uint64_t)n), "data", name);
	default:
		break;
	}
	const uint8_t *offsets = x->buffers[1];
	if (n == 0 && !offsets) /* an empty array: one zero offset */
		offsets = cs_ipc_zero_offset;
	if (!offsets)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: column %s: offsets buffer is missing", name);
	int32_t first = (int32_t)cs_le32(offsets), last = (int32_t)cs_le32(offsets + 4 * n);
	if (first < 0 || last < first)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: column %s: bad utf8 offsets %d..%d", name, first, last);
	/* the data from its start: offsets[0] may be past it */
	if ((rc = cs_ipc_add_buf(w, offsets, 4 * ((uint64_t)n + 1), "offsets", name)))
		return rc;
	return cs_ipc_add_buf(w, x->buffers[2], (uint64_t)last, "utf8 data", name);
}

/* a DictionaryBatch for column i from its dictionary array x (NULL: empty) */
static int cs_ipc_dictionary(cs_ipc *w, uint32_t i, const struct ArrowArray *x)
{
	const void *empty_bufs[3] = { NULL, cs_ipc_zero_offset, NULL };
	struct ArrowArray empty;
	if (!x) {
		memset(&empty, 0, sizeof(empty));
		empty.n_buffers = 3;
		empty.buffers = empty_bufs;
		x = &empty;
	}
	cs_ipc_col *c = &w->cols[i];
	w->nbufs = w->nnodes = 0;
	int rc = cs_ipc_add_array(w, cs_ipc_utf8, x, x->length, c->name);
	if (rc)
		return rc;
	c->dict_len = x->length;
	for (int k = 0; k < 3; k++)
		c->dict_bufs[k] = x->buffers[k];
	return cs_ipc_batch(w, x->length, i, &w->dict_blocks[c->dict_slot]);
}

/* the dictionaries of a later batch must be the first batch's ones */
static int cs_ipc_same_dicts(cs_ipc *w, const struct ArrowArray *top)
{
	for (uint32_t i = 0; i < w->ncols; i++) {
		const cs_ipc_col *c = &w->cols[i];
		if (!c->dict)
			continue;
		const struct ArrowArray *x = top->children[i]->dictionary;
		if (!x || x->offset != 0 || x->length != c->dict_len || x->n_buffers != 3 ||
		    !x->buffers ||
		    x->buffers[0] != c->dict_bufs[0] || x->buffers[1] != c->dict_bufs[1] ||
		    x->buffers[2] != c->dict_bufs[2])
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "arrow export: column %s: the dictionary changed between "
			              "batches (the IPC file format allows one per column)", c->name);
	}
	return COLSTORE_OK;
}

/* check the struct array of a batch (its children are checked as written) */
static int cs_ipc_check_top(cs_ipc *w, const struct ArrowArray *top)
{
	if (top->offset != 0 || top->length < 0 || top->null_count > 0 ||
	    top->n_children != (int64_t)w->ncols || (w->ncols && !top->children))
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: batch is not a struct array of %u columns with "
		              "offset 0 and no nulls", w->ncols);
	for (uint32_t i = 0; i < w->ncols; i++) {
		const struct ArrowArray *x = top->children[i];
		if (!x || (w->cols[i].dict && !x->dictionary))
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "arrow export: column %s: array or dictionary is missing",
			              w->cols[i].name);
	}
	return COLSTORE_OK;
}

static int cs_ipc_record_batch(cs_ipc *w, const struct ArrowArray *top, cs_ipc_block *blk)
{
	w->nbufs = w->nnodes = 0;
	for (uint32_t i = 0; i < w->ncols; i++) {
		int rc = cs_ipc_add_array(w, w->cols[i].type, top->children[i], top->length,
		                          w->cols[i].name);
		if (rc)
			return rc;
	}
	return cs_ipc_batch(w, top->length, -1, blk);
}

/* ---- file ---------------------------------------------------------------- */

static int cs_ipc_schema_message(cs_ipc *w)
{
	cs_fb_reset(&w->fb);
	uint32_t schema = cs_fb_schema(w);
	size_t msize;
	const uint8_t *meta =
		cs_fb_finish(&w->fb, cs_fb_message(&w->fb, CS_H_SCHEMA, schema, 0), &msize);
	if (!meta)
		return cs_ipc_fb_error(w);
	cs_ipc_block unused;
	w->nbufs = 0;
	return cs_ipc_emit(w, meta, msize, 0, &unused);
}

static uint32_t cs_fb_blocks(cs_fb *b, const cs_ipc_block *blk, size_t n)
{
	cs_fb_vec_start(b, 24, n, 8);
	for (size_t i = n; i-- > 0;) {
		uint8_t t[24];
		cs_st64(t, blk[i].offset);
		cs_st32(t + 8, blk[i].meta_len);
		cs_st32(t + 12, 0); /* struct padding */
		cs_st64(t + 16, blk[i].body_len);
		cs_fb_push(b, t, 24);
	}
	return cs_fb_vec_end(b, n);
}

/* end-of-stream marker, Footer, its size, magic */
static int cs_ipc_footer(cs_ipc *w)
{
	static const uint8_t eos[8] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	int rc = cs_out_write(w->out, eos, sizeof(eos));
	if (rc)
		return rc;
	cs_fb *b = &w->fb;
	cs_fb_reset(b);
	uint32_t schema = cs_fb_schema(w);
	uint32_t dicts = cs_fb_blocks(b, w->dict_blocks, w->ndicts);
	uint32_t batches = cs_fb_blocks(b, w->batch_blocks, w->nbatches);
	cs_fb_table_start(b);
	cs_fb_add(b, 0, CS_V5, 2);
	cs_fb_add_ref(b, 1, schema);
	cs_fb_add_ref(b, 2, dicts);
	cs_fb_add_ref(b, 3, batches);
	uint32_t footer = cs_fb_table_end(b);
	size_t size;
	const uint8_t *p = cs_fb_finish(b, footer, &size);
	if (!p)
		return cs_ipc_fb_error(w);
	uint8_t tail[10];
	cs_st32(tail, (uint32_t)size);
	memcpy(tail + 4, "ARROW1", 6);
	if ((rc = cs_out_write(w->out, p, size)))
		return rc;
	return cs_out_write(w->out, tail, sizeof(tail));
}

/* a block slot for the next record batch */
static cs_ipc_block *cs_ipc_next_block(cs_ipc *w)
{
	if (w->nbatches == w->batches_cap) {
		size_t cap = w->batches_cap ? 2 * w->batches_cap : 16;
		cs_ipc_block *p = realloc(w->batch_blocks, cap * sizeof(*p));
		if (!p)
			return NULL;
		w->batch_blocks = p;
		w->batches_cap = cap;
	}
	return &w->batch_blocks[w->nbatches];
}

/* the record batches from the stream; the dictionaries after the first */
static int cs_ipc_batches(cs_ipc *w, struct ArrowArrayStream *s, struct ArrowArray *arr,
                          cs_export_args *a)
{
	int first = 1, rc;
	for (;;) {
		arr->release = NULL;
		if ((rc = s->get_next(s, arr)) != 0) {
			arr->release = NULL; /* nothing was handed over */
			return cs_stream_error(s, rc, "get_next", w->err);
		}
		if (!arr->release)
			break; /* end of stream */
		if ((rc = cs_ipc_check_top(w, arr)))
			return rc;
		if (first) {
			for (uint32_t i = 0; i < w->ncols; i++)
				if (w->cols[i].dict &&
				    (rc = cs_ipc_dictionary(w, i, arr->children[i]->dictionary)))
					return rc;
			first = 0;
		} else if ((rc = cs_ipc_same_dicts(w, arr))) {
			return rc;
		}
		int64_t rows = arr->length;
		if (rows > 0) {
			cs_ipc_block *blk = cs_ipc_next_block(w);
			if (!blk)
				return cs_err(w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
				              "out of memory");
			if ((rc = cs_ipc_record_batch(w, arr, blk)))
				return rc;
			w->nbatches++;
			a->rows += (uint64_t)rows;
			a->batches++;
		}
		arr->release(arr);
		arr->release = NULL;
		if (rows > 0 && a->on_batch && a->on_batch(a->ctx, (uint64_t)rows) != 0)
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "export cancelled");
	}
	if (first) /* no batch: empty dictionaries */
		for (uint32_t i = 0; i < w->ncols; i++)
			if (w->cols[i].dict && (rc = cs_ipc_dictionary(w, i, NULL)))
				return rc;
	return COLSTORE_OK;
}

int cs_ipc_write(struct ArrowArrayStream *s, cs_out *out, cs_export_args *a,
                 colstore_error *err)
{
	if (!s || !s->get_schema || !s->get_next || !out || !a)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow export: stream, output and arguments are required");
	cs_ipc w;
	memset(&w, 0, sizeof(w));
	w.out = out;
	w.err = err;
	w.lz4 = (a->compression & COLSTORE_EXPORT_LZ4) != 0;
	struct ArrowSchema sc;
	struct ArrowArray arr;
	memset(&sc, 0, sizeof(sc));
	memset(&arr, 0, sizeof(arr));

	int rc = s->get_schema(s, &sc);
	if (rc) {
		sc.release = NULL;
		rc = cs_stream_error(s, rc, "get_schema", w.err);
		goto done;
	}
	if ((rc = cs_ipc_columns(&w, &sc)))
		goto done;
	if ((rc = cs_out_write(out, "ARROW1\0\0", 8)) || (rc = cs_ipc_schema_message(&w)) ||
	    (rc = cs_ipc_batches(&w, s, &arr, a)))
		goto done;
	rc = cs_ipc_footer(&w);
done:
	if (arr.release)
		arr.release(&arr);
	if (sc.release)
		sc.release(&sc);
	free(w.fb.buf);
	free(w.cols);
	free(w.refs);
	free(w.bufs);
	free(w.nodes);
	free(w.z);
	free(w.dict_blocks);
	free(w.batch_blocks);
	return rc;
}
