/* spec_reader.c - an independent colstore reader written only from format-spec.md.
 *
 * Validation follows the order of §12: size, header, trailer, footer, dictionaries,
 * blocks (with the whole-file checks of R4.2/R4.3 that verify does). Only when the
 * whole file is valid is anything printed, so a bad file produces no output.
 * All integers are read byte by byte (§2, little-endian); every bounds check is in
 * the subtraction form so that no value in the file can make us read outside it (R3.2).
 */
#include "spec_reader.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <xxhash.h>

#define HEADER_SIZE   64u
#define TRAILER_SIZE  40u
#define FOOTER_FIXED  32u
#define COLUMN_FIXED  88u
#define CHUNK_SIZE    152u
#define MAX_RAW       UINT64_C(0x7fffffff) /* 2^31 - 1 */
#define MAX_RGS       (UINT32_C(1) << 24)

#define PACK_HEADER   16u                    /* §10.2, §10.3 */
#define MAX_SCALE     19u
#define MAX_EXPONENT  22u

enum { COMP_NONE = 0, COMP_LZ4 = 1, COMP_BITPACK = 2, COMP_DECIMAL = 3 }; /* §5.5, §10 */

#define HAS_MINMAX 1u
#define HAS_NAN    2u

enum {
    T_INT8 = 1, T_INT16, T_INT32, T_INT64, T_FLOAT32, T_FLOAT64,
    T_BOOL, T_STRING, T_DATE, T_TIMESTAMP
};

static const char *const TYPE_NAMES[11] = {
    "?", "int8", "int16", "int32", "int64", "float32", "float64",
    "bool", "string", "date", "timestamp"
};

/* §6 */
static const unsigned char MAGIC[8] = { 0x89, 0x43, 0x4F, 0x4C, 0x53, 0x0D, 0x0A, 0x1A };

/* ---- little-endian helpers (§2) ---------------------------------------------- */

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

/* two's complement value of the low `bits` bits of u */
static int64_t sext(uint64_t u, unsigned bits)
{
    if (bits == 64) {
        int64_t v;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    uint64_t sign = UINT64_C(1) << (bits - 1);
    u &= (sign << 1) - 1;
    return (int64_t)(u ^ sign) - (int64_t)sign;
}

static double bits_to_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static double bits_to_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return (double)f;
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* ---- parsed structures ------------------------------------------------------- */

typedef struct {                     /* §5.5 */
    uint64_t off, stored, raw, sum;
    unsigned comp;
    int present;
} blk_t;

typedef struct {                     /* §5.3 */
    unsigned type;
    const unsigned char *name;
    size_t name_len;
    uint32_t dict_count;
    blk_t doff, dbytes;
    const unsigned char *dict_off, *dict_bytes;  /* set in step 5 (uncompressed, in place) */
} col_t;

typedef struct {                     /* §5.4 */
    uint32_t rows, nulls;
    unsigned enc, cw, flags;
    uint64_t min, max;
    blk_t val, dat, ext;
} chunk_t;

typedef struct {                     /* a chunk's blocks, checksummed and decompressed */
    const unsigned char *val, *dat, *ext;
    unsigned char *own[3];
} loaded_t;

typedef struct {
    const unsigned char *p;
    size_t len;
} bytes_t;

typedef struct {
    const unsigned char *d;
    size_t size;
    char *err;
    size_t errlen;
    int check_reserved;              /* R7.5: only when format_minor <= 0 */
    uint32_t appends;                /* §14: a 2.0 file's appends (its gaps are not checked) */
    uint64_t fo, fs;                 /* footer_offset, footer_size */
    uint64_t num_rows, heap_size;
    uint32_t C, G, rgs;
    const unsigned char *heap;
    col_t *cols;
    chunk_t *chunks;
} ctx_t;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(ctx_t *x, const char *fmt, ...)
{
    if (x->err && x->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* memcmp order, a proper prefix is smaller (§5.6) */
static int bytes_cmp(const unsigned char *a, size_t al, const unsigned char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int r = n ? memcmp(a, b, n) : 0;
    if (r)
        return r;
    return (al > bl) - (al < bl);
}

static int bytes_qcmp(const void *a, const void *b)
{
    const bytes_t *x = a, *y = b;
    return bytes_cmp(x->p, x->len, y->p, y->len);
}

/* 1 if two of the n byte strings are equal (sorts v) */
static int has_duplicate(bytes_t *v, size_t n)
{
    if (n < 2)
        return 0;
    qsort(v, n, sizeof *v, bytes_qcmp);
    for (size_t i = 1; i < n; i++)
        if (bytes_qcmp(&v[i - 1], &v[i]) == 0)
            return 1;
    return 0;
}

/* ---- block descriptors (§5.5) ------------------------------------------------ */

static int parse_block(ctx_t *x, const unsigned char *p, blk_t *b, const char *what)
{
    b->off = rd64(p);
    b->stored = rd64(p + 8);
    b->raw = rd64(p + 16);
    b->sum = rd64(p + 24);
    b->comp = p[32];
    /* R5.5.1: absent only when all 40 bytes are zero, in every minor (R7.5): a
     * reserved byte a newer minor set still makes the descriptor present */
    b->present = !all_zero(p, 40);
    if (!b->present)
        return 0;
    if (x->check_reserved && !all_zero(p + 33, 7))
        return fail(x, "R7.5: %s block descriptor reserved bytes not zero", what);
    if (b->off % 64 != 0)
        return fail(x, "R5.5.2: %s block offset not aligned", what);
    if (b->off < 64)
        return fail(x, "R5.5.2: %s block offset < 64", what);
    if (!(b->stored <= x->fo && b->off <= x->fo - b->stored))
        return fail(x, "R5.5.2: %s block extends past footer_offset", what);
    if (b->comp == 0) {
        if (b->stored != b->raw)
            return fail(x, "R5.5.3: %s block uncompressed but stored_size != raw_size", what);
    } else if (b->comp == COMP_LZ4) {
        if (b->stored < 1 || b->raw < 1 || b->raw > MAX_RAW)
            return fail(x, "R5.5.3: %s LZ4 block sizes out of range", what);
        if (b->stored < (b->raw + 254) / 255) /* raw <= 255 * stored without overflow */
            return fail(x, "R5.5.3: %s LZ4 block raw_size > 255 * stored_size", what);
    } else if (b->comp == COMP_BITPACK || b->comp == COMP_DECIMAL) {
        /* the rest of §10.2/§10.3 needs the block's own header: checked in step 6 */
        if (b->stored < PACK_HEADER)
            return fail(x, "R5.5.3: %s %s block stored_size < 16", what,
                        b->comp == COMP_BITPACK ? "BITPACK" : "DECIMAL");
    } else {
        return fail(x, "R5.5: %s block has unknown compression %u (§10)", what, b->comp);
    }
    return 0;
}

/* 10^k for k = 0..22: exact as u64 up to 10^19 and exact in binary64 up to 10^22 */
static const uint64_t POW10_U64[MAX_SCALE + 1] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
    UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
    UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
    UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
    UINT64_C(1000000000000000), UINT64_C(10000000000000000),
    UINT64_C(100000000000000000), UINT64_C(1000000000000000000),
    UINT64_C(10000000000000000000)
};
static const double POW10_F64[MAX_EXPONENT + 1] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* ceil(n * b / 8) without overflow (b <= 64) */
static uint64_t packed_bytes(uint64_t n, unsigned b)
{
    return (n / 8) * b + ((n % 8) * b + 7) / 8;
}

/* the b-bit field that starts at bit `pos` of p (§2, LSB first); reads only the bytes
 * that hold its bits: [pos / 8, (pos + b - 1) / 8] */
static uint64_t get_bits(const unsigned char *p, uint64_t pos, unsigned b)
{
    if (b == 0)
        return 0;
    const unsigned char *q = p + (pos >> 3);
    unsigned sh = (unsigned)(pos & 7), nbytes = (sh + b + 7) >> 3; /* 1 ..= 9 */
    uint64_t lo = 0;
    for (unsigned k = 0; k < nbytes && k < 8; k++)
        lo |= (uint64_t)q[k] << (8 * k);
    uint64_t v = lo >> sh;
    if (nbytes == 9)                 /* sh + b > 64, so 1 <= sh and 64 - sh <= 63 */
        v |= (uint64_t)q[8] << (64 - sh);
    if (b < 64)
        v &= (UINT64_C(1) << b) - 1;
    return v;
}

/* BITPACK (§10.2) or DECIMAL (§10.3): src holds the block's stored bytes (stored >= 16,
 * R5.5.3), w the width the block must declare. Decodes into buf[0, raw). */
static int unpack_block(ctx_t *x, const blk_t *b, const unsigned char *src, unsigned w,
                        unsigned char *buf, const char *what)
{
    int dec = b->comp == COMP_DECIMAL;
    const char *codec = dec ? "DECIMAL" : "BITPACK";
    const char *sec = dec ? "§10.3" : "§10.2";
    unsigned vw = src[0], bw = src[1], sc = src[2];
    uint64_t ref = rd64(src + 8);

    if (vw != w)
        return fail(x, "%s: %s %s block value_width %u, expected %u", sec, what, codec, vw, w);
    if (bw > 64)
        return fail(x, "%s: %s %s block bit_width %u > 64", sec, what, codec, bw);
    if (!dec && sc > MAX_SCALE)
        return fail(x, "§10.2: %s BITPACK block scale %u > 19", what, sc);
    if (dec && sc > MAX_EXPONENT)
        return fail(x, "§10.3: %s DECIMAL block exponent %u > 22", what, sc);
    if (x->check_reserved && !all_zero(src + 3, 5))
        return fail(x, "R7.5: %s %s block reserved bytes not zero (%s)", what, codec, sec);
    if (b->raw % w != 0)
        return fail(x, "R10.2.1: %s %s block raw_size not a multiple of %u", what, codec, w);
    uint64_t n = b->raw / w, pbytes = packed_bytes(n, bw);
    if (b->stored - PACK_HEADER != pbytes)
        return fail(x, "%s: %s %s block stored_size != 16 + ceil(n * b / 8)",
                    dec ? "R10.3.1" : "R10.2.1", what, codec);
    const unsigned char *packed = src + PACK_HEADER;
    unsigned tail = (unsigned)((n % 8) * bw % 8);   /* = (n * b) % 8 */
    if (tail && (packed[pbytes - 1] >> tail) != 0)
        return fail(x, "%s: %s %s block bits past n * b not zero", sec, what, codec);

    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = get_bits(packed, i * bw, bw);   /* i * b < n * b <= 8 * pbytes */
        unsigned char *o = buf + i * w;
        if (dec) {
            int64_t m = sext(ref + v, 64);            /* mod 2^64, as two's complement */
            if (m < -(INT64_C(1) << 53) || m > (INT64_C(1) << 53))
                return fail(x, "R10.3.2: %s DECIMAL block mantissa |m| > 2^53", what);
            double d = (double)m / POW10_F64[sc];
            memcpy(&v, &d, sizeof v);
        } else {
            v = ref + v * POW10_U64[sc];              /* mod 2^64 */
        }
        for (unsigned k = 0; k < w; k++)
            o[k] = (unsigned char)(v >> (8 * k));
    }
    return 0;
}

/* checksum (R10.2, §11) then decoding (R10.1, R10.2.1, R10.3.1). Uncompressed blocks
 * are used in place; *own receives any buffer that the caller must free. w is the
 * value width a BITPACK/DECIMAL block must declare (R10.0 was checked in step 4). */
static int load_block(ctx_t *x, const blk_t *b, unsigned w, const unsigned char **out,
                      unsigned char **own, const char *what)
{
    const unsigned char *src = x->d + b->off; /* off <= footer_offset <= size (R5.5.2) */
    size_t stored = (size_t)b->stored;
    *out = NULL;
    *own = NULL;
    if (XXH3_64bits(src, stored) != b->sum)
        return fail(x, "R10.1.2: %s block checksum mismatch (§11)", what);
    if (b->comp == COMP_NONE) {
        *out = src;
        return 0;
    }
    if (b->comp == COMP_BITPACK || b->comp == COMP_DECIMAL) {
        if (w == 0 || b->raw > SIZE_MAX)
            return fail(x, "R10.0: %s block may not use %s", what,
                        b->comp == COMP_BITPACK ? "BITPACK" : "DECIMAL");
        unsigned char *buf = malloc(b->raw ? (size_t)b->raw : 1);
        if (!buf)
            return fail(x, "out of memory decoding %s block", what);
        if (unpack_block(x, b, src, w, buf, what)) {
            free(buf);
            return -1;
        }
        *out = buf;
        *own = buf;
        return 0;
    }
    if (b->stored > (uint64_t)INT_MAX)
        return fail(x, "R10.1.1: %s LZ4 block too large to decode", what);
    unsigned char *buf = malloc((size_t)b->raw); /* raw <= 2^31-1 and <= 255*stored */
    if (!buf)
        return fail(x, "out of memory decompressing %s block", what);
    int n = LZ4_decompress_safe((const char *)src, (char *)buf, (int)stored, (int)b->raw);
    if (n < 0 || (uint64_t)n != b->raw) {
        free(buf);
        return fail(x, "R10.1.1: %s LZ4 block does not decompress to exactly raw_size bytes", what);
    }
    *out = buf;
    *own = buf;
    return 0;
}

/* ---- steps 1-3: size, header, trailer (§12) ---------------------------------- */

static int check_header_trailer(ctx_t *x)
{
    const unsigned char *d = x->d;
    size_t size = x->size;

    /* step 1 */
    if (size < HEADER_SIZE + FOOTER_FIXED + TRAILER_SIZE)
        return fail(x, "§12.1: file truncated (smaller than 136 bytes)");

    /* step 2: header (§5.1) */
    if (memcmp(d, MAGIC, 8) != 0)
        return fail(x, "§6: bad header magic");
    if (XXH3_64bits(d, 56) != rd64(d + 56))
        return fail(x, "§5.1: header checksum mismatch");
    unsigned major = rd16(d + 8);
    if (major != 1 && major != 2)
        return fail(x, "R7.1: unsupported format_major %u", major);
    x->check_reserved = rd16(d + 10) == 0;     /* R7.2, R7.5: we implement minor 0 */
    if (rd32(d + 16) != 0)
        return fail(x, "R7.3: unknown required_flags set");
    /* optional_flags (offset 20) are ignored: R7.4 */
    if (rd32(d + 12) != HEADER_SIZE)
        return fail(x, "R7.6: header_size is not 64");
    if (rd32(d + 24) != 64)
        return fail(x, "R7.6: alignment is not 64");
    if (x->check_reserved && !all_zero(d + (major == 1 ? 28 : 40), major == 1 ? 28 : 16))
        return fail(x, "R7.5: header reserved bytes not zero");
    uint64_t committed = major == 2 ? rd64(d + 28) : 0;
    x->appends = major == 2 ? rd32(d + 36) : 0;
    if (major == 2 && x->appends == 0)
        return fail(x, "R14.1: a 2.0 header with appends 0");

    /* step 3: trailer (§5.7) */
    const unsigned char *t = d + size - TRAILER_SIZE;
    /* R14.3: a valid trailer passes every check of §12 step 3 */
    int ok = memcmp(t, MAGIC, 8) == 0 && XXH3_64bits(t, 32) == rd64(t + 32) &&
             rd64(t + 8) % 64 == 0 && rd64(t + 8) >= 64 && rd64(t + 16) >= FOOTER_FIXED &&
             rd64(t + 16) <= size - TRAILER_SIZE &&
             rd64(t + 8) == size - TRAILER_SIZE - rd64(t + 16);
    if (!ok && committed >= HEADER_SIZE + FOOTER_FIXED + TRAILER_SIZE && committed < size) {
        /* R14.3: an append that did not finish: the file as it was */
        const unsigned char *u = d + committed - TRAILER_SIZE;
        if (memcmp(u, MAGIC, 8) == 0 && XXH3_64bits(u, 32) == rd64(u + 32)) {
            size = x->size = (size_t)committed;
            t = u;
        }
    }
    if (memcmp(t, MAGIC, 8) != 0)
        return fail(x, "R4.4: trailer magic missing (file incomplete)");
    if (XXH3_64bits(t, 32) != rd64(t + 32))
        return fail(x, "R4.4: trailer checksum mismatch");
    x->fo = rd64(t + 8);
    x->fs = rd64(t + 16);
    if (x->fo % 64 != 0)
        return fail(x, "R8.1: footer_offset not a multiple of 64");
    if (x->fo < 64)
        return fail(x, "§5.7: footer_offset < 64");
    if (x->fs < FOOTER_FIXED)
        return fail(x, "§5.7: footer_size < 32");
    if (!(x->fs <= size - TRAILER_SIZE && x->fo == size - TRAILER_SIZE - x->fs))
        return fail(x, "R4.1: footer_offset + footer_size + 40 != file size");
    /* step 4 begins with the footer checksum */
    if (XXH3_64bits(d + x->fo, (size_t)x->fs) != rd64(t + 24))
        return fail(x, "R4.4: footer checksum mismatch");
    return 0;
}

/* ---- step 4: footer (§5.2-§5.6) ---------------------------------------------- */

static int is_float(unsigned t) { return t == T_FLOAT32 || t == T_FLOAT64; }

static unsigned fixed_width(unsigned t)
{
    switch (t) {
    case T_INT8: return 1;
    case T_INT16: return 2;
    case T_INT32: case T_FLOAT32: case T_DATE: return 4;
    case T_INT64: case T_FLOAT64: case T_TIMESTAMP: return 8;
    default: return 0;
    }
}

static int parse_columns(ctx_t *x, uint64_t *pos)
{
    const unsigned char *f = x->d + x->fo;
    uint64_t fs = x->fs;
    char what[64];

    /* every entry is at least 96 bytes: bound the allocation by the footer size */
    if ((fs - FOOTER_FIXED) / 96 < x->C)
        return fail(x, "R5.2.1: footer too small for %u column entries", (unsigned)x->C);
    x->cols = calloc(x->C, sizeof *x->cols);
    bytes_t *names = calloc(x->C, sizeof *names);
    if (!x->cols || !names) {
        free(names);
        return fail(x, "out of memory");
    }
    for (uint32_t c = 0; c < x->C; c++) {
        col_t *col = &x->cols[c];
        if (fs - *pos < COLUMN_FIXED) {
            free(names);
            return fail(x, "R5.2.1: footer too small for column entry %u", (unsigned)c);
        }
        const unsigned char *p = f + *pos;
        col->type = p[0];
        unsigned nl = rd16(p + 2);
        col->dict_count = rd32(p + 4);
        int r = 0;
        if (col->type < 1 || col->type > 10)
            r = fail(x, "R5.3.1: column %u has unknown type tag %u", (unsigned)c, col->type);
        else if (x->check_reserved && p[1] != 0)
            r = fail(x, "R7.5: column %u entry reserved byte not zero", (unsigned)c);
        else if (nl == 0)
            r = fail(x, "§5.3: column %u name_length is 0", (unsigned)c);
        if (r) {
            free(names);
            return r;
        }
        uint64_t esize = (COLUMN_FIXED + nl + 7) & ~(uint64_t)7;
        if (fs - *pos < esize) {
            free(names);
            return fail(x, "R5.2.1: footer too small for column entry %u", (unsigned)c);
        }
        col->name = p + COLUMN_FIXED;
        col->name_len = nl;
        names[c].p = col->name;
        names[c].len = nl;
        if (memchr(col->name, 0, nl))
            r = fail(x, "R5.3.4: column %u name contains a NUL byte", (unsigned)c);
        else if (!all_zero(p + COLUMN_FIXED + nl, (size_t)(esize - COLUMN_FIXED - nl)))
            r = fail(x, "R3.1: column %u entry padding not zero", (unsigned)c);
        if (!r) {
            snprintf(what, sizeof what, "column %u dict_offsets", (unsigned)c);
            r = parse_block(x, p + 8, &col->doff, what);
        }
        if (!r) {
            snprintf(what, sizeof what, "column %u dict_bytes", (unsigned)c);
            r = parse_block(x, p + 48, &col->dbytes, what);
        }
        if (r) {
            free(names);
            return r;
        }
        if (col->type != T_STRING) {
            if (col->dict_count != 0 || col->doff.present || col->dbytes.present)
                r = fail(x, "R5.3.2: non-string column %u has a dictionary", (unsigned)c);
        } else if (col->dict_count == 0) {
            if (col->doff.present || col->dbytes.present)
                r = fail(x, "R5.3.3: column %u has dict_count 0 but a dictionary block", (unsigned)c);
        } else {
            if (!col->doff.present || !col->dbytes.present)
                r = fail(x, "R5.3.3: column %u dictionary block absent", (unsigned)c);
            else if (col->doff.comp != COMP_NONE || col->dbytes.comp != COMP_NONE)
                r = fail(x, "R10.0: column %u dictionary block compressed (R5.3.3)", (unsigned)c);
            else if (col->doff.raw != 4 * ((uint64_t)col->dict_count + 1))
                r = fail(x, "R9.6.1: column %u dict_offsets raw_size != 4 * (dict_count + 1)", (unsigned)c);
            else if (col->dbytes.raw > MAX_RAW)
                r = fail(x, "R9.6.1: column %u dict_bytes raw_size > 2^31 - 1", (unsigned)c);
        }
        if (r) {
            free(names);
            return r;
        }
        *pos += esize;
    }
    int dup = has_duplicate(names, x->C);
    free(names);
    if (dup)
        return fail(x, "R5.3.4: column names not unique");
    return 0;
}

/* R10.0: the W of a data block that may use BITPACK (§10.2), else 0 */
static unsigned pack_width(unsigned t, const chunk_t *k)
{
    switch (t) {
    case T_INT8: case T_INT16: case T_INT32: case T_INT64: case T_DATE: case T_TIMESTAMP:
        return fixed_width(t);
    case T_STRING:
        return k->enc == 1 ? k->cw : 0;
    default:
        return 0;
    }
}

/* the value width a data block using codec comp must declare (0: not allowed) */
static unsigned data_codec_width(unsigned t, const chunk_t *k)
{
    if (k->dat.comp == COMP_BITPACK)
        return pack_width(t, k);
    if (k->dat.comp == COMP_DECIMAL)
        return t == T_FLOAT64 ? 8 : 0;
    return 0;
}

static int parse_chunk(ctx_t *x, uint32_t g, uint32_t c, const unsigned char *p)
{
    chunk_t *k = &x->chunks[(size_t)g * x->C + c];
    const col_t *col = &x->cols[c];
    unsigned t = col->type;
    int str = t == T_STRING;
    char what[64];

    /* R5.2.2 */
    uint64_t expect = (g + 1 < x->G) ? x->rgs : x->num_rows - (uint64_t)(x->G - 1) * x->rgs;
    k->rows = rd32(p);
    k->nulls = rd32(p + 4);
    k->enc = p[8];
    k->cw = p[9];
    k->flags = p[10];
    k->min = rd64(p + 16);
    k->max = rd64(p + 24);
    if (k->rows != expect)
        return fail(x, "R5.4.1: chunk g%u c%u row_count %u, expected %llu", (unsigned)g,
                    (unsigned)c, (unsigned)k->rows, (unsigned long long)expect);
    if (k->nulls > k->rows)
        return fail(x, "§5.4: chunk g%u c%u null_count > row_count", (unsigned)g, (unsigned)c);
    if (x->check_reserved && !all_zero(p + 11, 5))
        return fail(x, "R7.5: chunk g%u c%u reserved bytes not zero", (unsigned)g, (unsigned)c);
    if (x->check_reserved && (k->flags & ~(HAS_MINMAX | HAS_NAN)))
        return fail(x, "R7.5: chunk g%u c%u unknown stats_flags bits set (§5.4)", (unsigned)g, (unsigned)c);
    if (!str) {
        if (k->enc != 0 || k->cw != 0)
            return fail(x, "R5.4.2: chunk g%u c%u non-string with encoding/code_width", (unsigned)g, (unsigned)c);
    } else if (k->enc == 0) {
        if (k->cw != 0)
            return fail(x, "§5.4: chunk g%u c%u PLAIN with code_width != 0", (unsigned)g, (unsigned)c);
    } else if (k->enc == 1) {
        if (k->cw != 1 && k->cw != 2 && k->cw != 4)
            return fail(x, "§5.4: chunk g%u c%u DICT code_width not 1, 2 or 4", (unsigned)g, (unsigned)c);
    } else {
        return fail(x, "§5.4: chunk g%u c%u unknown encoding %u", (unsigned)g, (unsigned)c, k->enc);
    }

    snprintf(what, sizeof what, "chunk g%u c%u validity", (unsigned)g, (unsigned)c);
    if (parse_block(x, p + 32, &k->val, what))
        return -1;
    snprintf(what, sizeof what, "chunk g%u c%u data", (unsigned)g, (unsigned)c);
    if (parse_block(x, p + 72, &k->dat, what))
        return -1;
    snprintf(what, sizeof what, "chunk g%u c%u extra", (unsigned)g, (unsigned)c);
    if (parse_block(x, p + 112, &k->ext, what))
        return -1;

    /* R10.0: which blocks may use which codec (§10 table) */
    if (k->val.present && k->val.comp > COMP_LZ4)
        return fail(x, "R10.0: chunk g%u c%u validity block may not use codec %u", (unsigned)g, (unsigned)c, k->val.comp);
    if (k->ext.present && k->ext.comp > COMP_LZ4)
        return fail(x, "R10.0: chunk g%u c%u extra block may not use codec %u", (unsigned)g, (unsigned)c, k->ext.comp);
    if (k->dat.present && k->dat.comp == COMP_BITPACK && pack_width(t, k) == 0)
        return fail(x, "R10.0: chunk g%u c%u data block of a %s%s column may not use BITPACK", (unsigned)g,
                    (unsigned)c, str ? "PLAIN " : "", TYPE_NAMES[t]);
    if (k->dat.present && k->dat.comp == COMP_DECIMAL && t != T_FLOAT64)
        return fail(x, "R10.0: chunk g%u c%u data block of a %s column may not use DECIMAL", (unsigned)g,
                    (unsigned)c, TYPE_NAMES[t]);

    uint64_t n = k->rows, bitmap = (n + 7) / 8, want;
    /* §5.4, R9.1.1: validity present iff null_count > 0 */
    if (k->val.present != (k->nulls > 0))
        return fail(x, "R9.1.1: chunk g%u c%u validity present iff null_count > 0", (unsigned)g, (unsigned)c);
    if (k->val.present && k->val.raw != bitmap)
        return fail(x, "R5.5.4: chunk g%u c%u validity raw_size != ceil(n/8)", (unsigned)g, (unsigned)c);
    if (!k->dat.present)
        return fail(x, "§5.4: chunk g%u c%u data block absent", (unsigned)g, (unsigned)c);
    if (t == T_BOOL)
        want = bitmap;                        /* §9.3 */
    else if (str && k->enc == 1)
        want = n * k->cw;                     /* §9.4 */
    else if (str)
        want = 4 * (n + 1);                   /* §9.5 */
    else
        want = n * fixed_width(t);            /* §9.2 */
    if (k->dat.raw != want)
        return fail(x, "R5.5.4: chunk g%u c%u data raw_size %llu, expected %llu", (unsigned)g,
                    (unsigned)c, (unsigned long long)k->dat.raw, (unsigned long long)want);
    if (str && k->enc == 0) {
        if (!k->ext.present)
            return fail(x, "R9.5.3: chunk g%u c%u PLAIN string without extra block", (unsigned)g, (unsigned)c);
        if (k->ext.raw > MAX_RAW)
            return fail(x, "R9.5.1: chunk g%u c%u string bytes raw_size > 2^31 - 1", (unsigned)g, (unsigned)c);
    } else if (k->ext.present) {
        return fail(x, "R9.5.3: chunk g%u c%u extra block present", (unsigned)g, (unsigned)c);
    }
    if (str && k->enc == 1 && col->dict_count == 0 && k->nulls != k->rows)
        return fail(x, "R5.4.3: chunk g%u c%u DICT without dictionary has valid rows", (unsigned)g, (unsigned)c);

    /* statistics (§5.6) */
    if ((k->flags & HAS_NAN) && !is_float(t))
        return fail(x, "R5.6.2: chunk g%u c%u HAS_NAN on a non-float column", (unsigned)g, (unsigned)c);
    if (!(k->flags & HAS_MINMAX)) {
        if (k->min != 0 || k->max != 0)
            return fail(x, "§5.6: chunk g%u c%u min/max not zero without HAS_MINMAX", (unsigned)g, (unsigned)c);
    } else {
        if (k->nulls == k->rows)
            return fail(x, "§5.6: chunk g%u c%u HAS_MINMAX set but no valid value", (unsigned)g, (unsigned)c);
        if (str) {
            uint64_t v[2] = { k->min, k->max };
            for (int i = 0; i < 2; i++) {
                uint64_t off = v[i] & 0xffffffffu, len = v[i] >> 32;
                if (!(len <= x->heap_size && off <= x->heap_size - len))
                    return fail(x, "R5.6.1: chunk g%u c%u statistic outside the heap", (unsigned)g, (unsigned)c);
            }
        } else if (t == T_BOOL && (k->min > 1 || k->max > 1)) {
            return fail(x, "§5.6: chunk g%u c%u bool min/max not 0 or 1", (unsigned)g, (unsigned)c);
        }
    }
    return 0;
}

static int parse_footer(ctx_t *x)
{
    const unsigned char *f = x->d + x->fo;
    x->num_rows = rd64(f);
    x->C = rd32(f + 8);
    x->G = rd32(f + 12);
    x->rgs = rd32(f + 16);
    x->heap_size = rd64(f + 24);
    if (x->C < 1 || x->C > 65535)
        return fail(x, "§5.2: num_columns %u not in 1..65535", (unsigned)x->C);
    if (x->rgs < 1 || x->rgs > MAX_RGS)
        return fail(x, "§5.2: row_group_size %u not in 1..2^24", (unsigned)x->rgs);
    uint64_t groups = x->num_rows / x->rgs + (x->num_rows % x->rgs != 0);
    if (groups != x->G)
        return fail(x, "§5.2: num_row_groups != ceil(num_rows / row_group_size)");
    if (x->check_reserved && rd32(f + 20) != 0)
        return fail(x, "R7.5: footer reserved field not zero");

    uint64_t pos = FOOTER_FIXED;
    if (parse_columns(x, &pos))
        return -1;

    /* R5.2.1: footer_size = 32 + entries + 152*G*C + heap_size, exactly */
    uint64_t rem = x->fs - pos;
    if (x->G != 0 && (rem / CHUNK_SIZE) / x->C < x->G)
        return fail(x, "R5.2.1: footer too small for %u x %u chunk descriptors",
                    (unsigned)x->G, (unsigned)x->C);
    uint64_t nchunks = (uint64_t)x->G * x->C;
    uint64_t cbytes = nchunks * CHUNK_SIZE;
    if (rem - cbytes != x->heap_size)
        return fail(x, "R5.2.1: footer_size does not match its contents");
    x->heap = f + pos + cbytes;
    if (nchunks) {
        x->chunks = calloc((size_t)nchunks, sizeof *x->chunks);
        if (!x->chunks)
            return fail(x, "out of memory");
    }
    for (uint32_t g = 0; g < x->G; g++)
        for (uint32_t c = 0; c < x->C; c++)
            if (parse_chunk(x, g, c, f + pos + ((uint64_t)g * x->C + c) * CHUNK_SIZE))
                return -1;
    return 0;
}

/* ---- step 5: dictionaries (§9.6) --------------------------------------------- */

static int check_dictionaries(ctx_t *x)
{
    char what[64];
    for (uint32_t c = 0; c < x->C; c++) {
        col_t *col = &x->cols[c];
        if (col->type != T_STRING || col->dict_count == 0)
            continue;
        unsigned char *own;
        snprintf(what, sizeof what, "column %u dict_offsets", (unsigned)c);
        if (load_block(x, &col->doff, 0, &col->dict_off, &own, what))
            return -1;
        snprintf(what, sizeof what, "column %u dict_bytes", (unsigned)c);
        if (load_block(x, &col->dbytes, 0, &col->dict_bytes, &own, what))
            return -1;
        /* R9.6.1 (raw sizes were checked in step 4) */
        const unsigned char *o = col->dict_off;
        size_t dc = col->dict_count;
        if (rd32(o) != 0)
            return fail(x, "R9.6.1: column %u dictionary offsets[0] != 0", (unsigned)c);
        for (size_t k = 0; k < dc; k++)
            if (rd32(o + 4 * (k + 1)) < rd32(o + 4 * k))
                return fail(x, "R9.6.1: column %u dictionary offsets decrease", (unsigned)c);
        if (rd32(o + 4 * dc) != col->dbytes.raw)
            return fail(x, "R9.6.1: column %u offsets[dict_count] != dict_bytes raw_size", (unsigned)c);
        /* R9.6.2: entries distinct */
        bytes_t *v = malloc(dc * sizeof *v);
        if (!v)
            return fail(x, "out of memory");
        for (size_t k = 0; k < dc; k++) {
            uint32_t a = rd32(o + 4 * k), b = rd32(o + 4 * (k + 1));
            v[k].p = col->dict_bytes + a;
            v[k].len = b - a;
        }
        int dup = has_duplicate(v, dc);
        free(v);
        if (dup)
            return fail(x, "R9.6.2: column %u dictionary entries not distinct", (unsigned)c);
    }
    return 0;
}

/* ---- step 6: blocks (§9) ----------------------------------------------------- */

static void free_loaded(loaded_t *L)
{
    for (int i = 0; i < 3; i++)
        free(L->own[i]);
    memset(L, 0, sizeof *L);
}

static int bit(const unsigned char *b, uint64_t i)
{
    return (b[i >> 3] >> (i & 7)) & 1;
}

static int row_valid(const loaded_t *L, uint64_t i)
{
    return !L->val || bit(L->val, i);
}

static int64_t get_int(unsigned t, const unsigned char *dat, uint64_t i)
{
    unsigned w = fixed_width(t);
    const unsigned char *p = dat + i * w;
    switch (w) {
    case 1: return sext(p[0], 8);
    case 2: return sext(rd16(p), 16);
    case 4: return sext(rd32(p), 32);
    default: return sext(rd64(p), 64);
    }
}

static double get_float(unsigned t, const unsigned char *dat, uint64_t i)
{
    if (t == T_FLOAT32)
        return bits_to_f32(rd32(dat + 4 * i));
    return bits_to_f64(rd64(dat + 8 * i));
}

static uint32_t get_code(const chunk_t *k, const unsigned char *dat, uint64_t i)
{
    const unsigned char *p = dat + i * k->cw;
    return k->cw == 1 ? p[0] : k->cw == 2 ? rd16(p) : rd32(p);
}

/* bytes of a valid string row; only after the chunk has been checked */
static bytes_t get_str(const col_t *col, const chunk_t *k, const loaded_t *L, uint64_t i)
{
    bytes_t s;
    if (k->enc == 1) {
        uint32_t code = get_code(k, L->dat, i);
        uint32_t a = rd32(col->dict_off + 4 * (uint64_t)code);
        uint32_t b = rd32(col->dict_off + 4 * ((uint64_t)code + 1));
        s.p = col->dict_bytes + a;
        s.len = b - a;
    } else {
        uint32_t a = rd32(L->dat + 4 * i), b = rd32(L->dat + 4 * (i + 1));
        s.p = L->ext + a;
        s.len = b - a;
    }
    return s;
}

/* §5.6: the statistics must describe the chunk's valid values */
static int check_stats(ctx_t *x, uint32_t g, uint32_t c, const loaded_t *L)
{
    const col_t *col = &x->cols[c];
    const chunk_t *k = &x->chunks[(size_t)g * x->C + c];
    unsigned t = col->type;
    uint64_t n = k->rows;
    int has = 0, has_nan = 0, mm = (k->flags & HAS_MINMAX) != 0, ok = 1;

    if (is_float(t)) {
        double mn = 0, mx = 0;
        for (uint64_t i = 0; i < n; i++) {
            if (!row_valid(L, i))
                continue;
            double v = get_float(t, L->dat, i);
            if (v != v) {
                has_nan = 1;
                continue;
            }
            if (!has || v < mn) mn = v;
            if (!has || v > mx) mx = v;
            has = 1;
        }
        if (has_nan != ((k->flags & HAS_NAN) != 0))
            return fail(x, "§5.6: chunk g%u c%u HAS_NAN does not match the values", (unsigned)g, (unsigned)c);
        if (mm)  /* -0.0 == +0.0, a stored NaN never matches */
            ok = has && bits_to_f64(k->min) == mn && bits_to_f64(k->max) == mx;
    } else if (t == T_STRING) {
        bytes_t mn = { NULL, 0 }, mx = { NULL, 0 };
        for (uint64_t i = 0; i < n; i++) {
            if (!row_valid(L, i))
                continue;
            bytes_t s = get_str(col, k, L, i);
            if (!has || bytes_qcmp(&s, &mn) < 0) mn = s;
            if (!has || bytes_qcmp(&s, &mx) > 0) mx = s;
            has = 1;
        }
        if (mm) {
            uint64_t v[2] = { k->min, k->max };
            bytes_t want[2] = { mn, mx };
            for (int j = 0; j < 2 && ok; j++) {
                bytes_t h = { x->heap + (v[j] & 0xffffffffu), (size_t)(v[j] >> 32) };
                ok = has && bytes_qcmp(&h, &want[j]) == 0;
            }
        }
        /* R5.6.1: a writer MAY leave HAS_MINMAX clear for a string chunk */
        has = 0;
    } else {
        int64_t mn = 0, mx = 0;
        for (uint64_t i = 0; i < n; i++) {
            if (!row_valid(L, i))
                continue;
            int64_t v = t == T_BOOL ? bit(L->dat, i) : get_int(t, L->dat, i);
            if (!has || v < mn) mn = v;
            if (!has || v > mx) mx = v;
            has = 1;
        }
        if (mm)
            ok = has && sext(k->min, 64) == mn && sext(k->max, 64) == mx;
    }
    if (!ok)
        return fail(x, "§5.6: chunk g%u c%u min/max are not the least/greatest valid value", (unsigned)g, (unsigned)c);
    if (has && !mm)
        return fail(x, "§5.6: chunk g%u c%u HAS_MINMAX clear but the chunk has valid values", (unsigned)g, (unsigned)c);
    return 0;
}

/* load a chunk's blocks and check the content rules of §9 and §5.6 */
static int load_chunk(ctx_t *x, uint32_t g, uint32_t c, loaded_t *L)
{
    const col_t *col = &x->cols[c];
    const chunk_t *k = &x->chunks[(size_t)g * x->C + c];
    unsigned t = col->type;
    uint64_t n = k->rows;
    char what[64];
    int r = 0;

    memset(L, 0, sizeof *L);
    if (k->val.present) {
        snprintf(what, sizeof what, "chunk g%u c%u validity", (unsigned)g, (unsigned)c);
        r = load_block(x, &k->val, 0, &L->val, &L->own[0], what);
    }
    if (!r) {
        snprintf(what, sizeof what, "chunk g%u c%u data", (unsigned)g, (unsigned)c);
        r = load_block(x, &k->dat, data_codec_width(t, k), &L->dat, &L->own[1], what);
    }
    if (!r && k->ext.present) {
        snprintf(what, sizeof what, "chunk g%u c%u extra", (unsigned)g, (unsigned)c);
        r = load_block(x, &k->ext, 0, &L->ext, &L->own[2], what);
    }
    if (r)
        goto out;

    /* R9.1.1, R9.1.2 */
    if (L->val) {
        uint64_t zeros = 0;
        for (uint64_t i = 0; i < n; i++)
            zeros += !bit(L->val, i);
        if (zeros != k->nulls) {
            r = fail(x, "R9.1.1: chunk g%u c%u validity zero bits != null_count", (unsigned)g, (unsigned)c);
            goto out;
        }
        if ((n % 8) && (L->val[n / 8] >> (n % 8)) != 0) {
            r = fail(x, "R9.1.2: chunk g%u c%u validity bits past row_count not zero", (unsigned)g, (unsigned)c);
            goto out;
        }
    }

    if (t == T_BOOL) {
        /* R9.3.1 */
        if ((n % 8) && (L->dat[n / 8] >> (n % 8)) != 0) {
            r = fail(x, "R9.3.1: chunk g%u c%u bool bits past row_count not zero", (unsigned)g, (unsigned)c);
            goto out;
        }
        for (uint64_t i = 0; i < n; i++)
            if (!row_valid(L, i) && bit(L->dat, i)) {
                r = fail(x, "R9.3.1: chunk g%u c%u bool bit of a null row not zero", (unsigned)g, (unsigned)c);
                goto out;
            }
    } else if (t == T_STRING && k->enc == 1) {
        for (uint64_t i = 0; i < n; i++) {
            uint32_t code = get_code(k, L->dat, i);
            if (!row_valid(L, i)) {
                if (code != 0) {
                    r = fail(x, "R9.4.1: chunk g%u c%u code of a null row not 0", (unsigned)g, (unsigned)c);
                    goto out;
                }
            } else if (code >= col->dict_count) {
                r = fail(x, "R9.4.2: chunk g%u c%u code >= dict_count", (unsigned)g, (unsigned)c);
                goto out;
            }
        }
    } else if (t == T_STRING) {
        const unsigned char *o = L->dat;
        if (rd32(o) != 0) {
            r = fail(x, "R9.5.1: chunk g%u c%u offsets[0] != 0", (unsigned)g, (unsigned)c);
            goto out;
        }
        for (uint64_t i = 0; i < n; i++) {
            uint32_t a = rd32(o + 4 * i), b = rd32(o + 4 * (i + 1));
            if (b < a) {
                r = fail(x, "R9.5.1: chunk g%u c%u offsets decrease", (unsigned)g, (unsigned)c);
                goto out;
            }
            if (!row_valid(L, i) && b != a) {
                r = fail(x, "R9.5.2: chunk g%u c%u null row has bytes", (unsigned)g, (unsigned)c);
                goto out;
            }
        }
        if (rd32(o + 4 * n) != k->ext.raw) {
            r = fail(x, "R9.5.1: chunk g%u c%u offsets[n] != extra raw_size", (unsigned)g, (unsigned)c);
            goto out;
        }
    } else {
        unsigned w = fixed_width(t);
        for (uint64_t i = 0; i < n; i++)
            if (!row_valid(L, i) && !all_zero(L->dat + i * w, w)) {
                r = fail(x, "R9.2.1: chunk g%u c%u slot of a null row not zero", (unsigned)g, (unsigned)c);
                goto out;
            }
    }
    r = check_stats(x, g, c, L);
out:
    if (r)
        free_loaded(L);
    return r;
}

/* ---- whole-file checks of verify: R4.2, R4.3 --------------------------------- */

typedef struct {
    uint64_t off, len;
} span_t;

static int span_cmp(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return (x->len > y->len) - (x->len < y->len);
}

static void add_span(span_t *v, size_t *n, const blk_t *b)
{
    if (b->present && b->stored > 0) { /* an empty block has no bytes to overlap */
        v[*n].off = b->off;
        v[*n].len = b->stored;
        (*n)++;
    }
}

static int check_layout(ctx_t *x)
{
    size_t nchunks = (size_t)x->G * x->C;
    size_t cap = 3 * nchunks + 2 * (size_t)x->C, n = 0;
    span_t *v = malloc(cap * sizeof *v);
    if (!v)
        return fail(x, "out of memory");
    for (uint32_t c = 0; c < x->C; c++) {
        add_span(v, &n, &x->cols[c].doff);
        add_span(v, &n, &x->cols[c].dbytes);
    }
    for (size_t i = 0; i < nchunks; i++) {
        add_span(v, &n, &x->chunks[i].val);
        add_span(v, &n, &x->chunks[i].dat);
        add_span(v, &n, &x->chunks[i].ext);
    }
    qsort(v, n, sizeof *v, span_cmp);
    /* header is [0, 64); every block is in [64, footer_offset) by R5.5.2 */
    uint64_t cur = HEADER_SIZE;
    int r = 0;
    for (size_t i = 0; i < n && !r; i++) {
        if (v[i].off < cur)
            r = fail(x, "R4.3: blocks overlap at offset %llu", (unsigned long long)v[i].off);
        else if (!x->appends && !all_zero(x->d + cur, (size_t)(v[i].off - cur)))
            r = fail(x, "R4.2: padding before offset %llu not zero", (unsigned long long)v[i].off);
        else
            cur = v[i].off + v[i].len;
    }
    if (!r && !x->appends && !all_zero(x->d + cur, (size_t)(x->fo - cur)))
        r = fail(x, "R4.2: padding before the footer not zero");
    free(v);
    return r;
}

/* ---- printing ---------------------------------------------------------------- */

static void put_str(FILE *out, const unsigned char *p, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned ch = p[i];
        if (ch == '\\')
            fputs("\\\\", out);
        else if (ch == '"')
            fputs("\\\"", out);
        else if (ch == '\n')
            fputs("\\n", out);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(out, "\\x%02x", ch);
        else
            fputc((int)ch, out);
    }
    fputc('"', out);
}

static void put_value(FILE *out, const col_t *col, const chunk_t *k, const loaded_t *L, uint64_t i)
{
    unsigned t = col->type;
    if (!row_valid(L, i)) {
        fputs("null", out);
    } else if (is_float(t)) {
        fprintf(out, "%.17g", get_float(t, L->dat, i));
    } else if (t == T_BOOL) {
        fputs(bit(L->dat, i) ? "true" : "false", out);
    } else if (t == T_STRING) {
        bytes_t s = get_str(col, k, L, i);
        put_str(out, s.p, s.len);
    } else {
        fprintf(out, "%lld", (long long)get_int(t, L->dat, i));
    }
}

static void put_stat(FILE *out, const ctx_t *x, unsigned t, uint64_t v)
{
    if (is_float(t))
        fprintf(out, "%.17g", bits_to_f64(v));
    else if (t == T_BOOL)
        fputs(v ? "true" : "false", out);
    else if (t == T_STRING)
        put_str(out, x->heap + (v & 0xffffffffu), (size_t)(v >> 32));
    else
        fprintf(out, "%lld", (long long)sext(v, 64));
}

static int print_table(ctx_t *x, FILE *out)
{
    fprintf(out, "rows %llu columns %u row_groups %u row_group_size %u\n",
            (unsigned long long)x->num_rows, (unsigned)x->C, (unsigned)x->G, (unsigned)x->rgs);
    for (uint32_t c = 0; c < x->C; c++) {
        fprintf(out, "column %u ", (unsigned)c);
        fwrite(x->cols[c].name, 1, x->cols[c].name_len, out);
        fprintf(out, " %s\n", TYPE_NAMES[x->cols[c].type]);
    }
    loaded_t *L = calloc(x->C, sizeof *L);
    if (!L)
        return fail(x, "out of memory");
    for (uint32_t g = 0; g < x->G; g++) {
        uint32_t c;
        for (c = 0; c < x->C; c++)
            if (load_chunk(x, g, c, &L[c]))
                break;
        if (c < x->C) {
            while (c--)
                free_loaded(&L[c]);
            free(L);
            return -1;
        }
        uint64_t n = x->chunks[(size_t)g * x->C].rows;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t row = (uint64_t)g * x->rgs + i;
            for (c = 0; c < x->C; c++) {
                fprintf(out, "r%llu c%u ", (unsigned long long)row, (unsigned)c);
                put_value(out, &x->cols[c], &x->chunks[(size_t)g * x->C + c], &L[c], i);
                fputc('\n', out);
            }
        }
        for (c = 0; c < x->C; c++)
            free_loaded(&L[c]);
    }
    free(L);
    for (uint32_t g = 0; g < x->G; g++) {
        for (uint32_t c = 0; c < x->C; c++) {
            const chunk_t *k = &x->chunks[(size_t)g * x->C + c];
            unsigned t = x->cols[c].type;
            fprintf(out, "chunk g%u c%u rows %u nulls %u enc %s", (unsigned)g, (unsigned)c,
                    (unsigned)k->rows, (unsigned)k->nulls, k->enc ? "dict" : "plain");
            if (k->flags & HAS_MINMAX) {
                fputs(" min ", out);
                put_stat(out, x, t, k->min);
                fputs(" max ", out);
                put_stat(out, x, t, k->max);
            }
            if (k->flags & HAS_NAN)
                fputs(" nan", out);
            fputc('\n', out);
        }
    }
    return 0;
}

/* ---- entry point -------------------------------------------------------------- */

int spec_dump(const unsigned char *data, size_t size, FILE *out, char *err, size_t errlen)
{
    ctx_t x;
    memset(&x, 0, sizeof x);
    x.d = data;
    x.size = size;
    x.err = err;
    x.errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
    if (!data && size)
        return fail(&x, "no data");

    int r = check_header_trailer(&x);             /* §12 steps 1-3 (+ footer checksum) */
    if (!r)
        r = parse_footer(&x);                     /* step 4 */
    if (!r)
        r = check_dictionaries(&x);               /* step 5 */
    /* R4.2, R4.3 (part of verify in step 6). Done before any block is decompressed:
     * once blocks are known not to overlap, the total LZ4-decompressed size is at most
     * 255 x the file size (R5.5.3), so a hostile file cannot make us decompress one
     * LZ4 block over and over. (BITPACK/DECIMAL blocks are bounded only by raw_size =
     * row_count x width, which R5.5.4 ties to the footer's row counts.) */
    if (!r)
        r = check_layout(&x);
    for (uint32_t g = 0; !r && g < x.G; g++)      /* step 6: every block, as verify */
        for (uint32_t c = 0; !r && c < x.C; c++) {
            loaded_t L;
            r = load_chunk(&x, g, c, &L);
            if (!r)
                free_loaded(&L);
        }
    if (!r)
        r = print_table(&x, out);
    free(x.cols);
    free(x.chunks);
    return r;
}
