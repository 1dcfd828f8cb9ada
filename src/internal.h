/*
 * internal.h -- private types and helpers shared by the library's sources.
 * Nothing here is API; every symbol is cs_-prefixed and hidden.
 */
#ifndef CS_INTERNAL_H
#define CS_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "colstore/colstore.h"

#define CS_HIDDEN __attribute__((visibility("hidden")))

/* ---- format constants (format-spec.md) --------------------------------- */

#define CS_MAGIC "\x89" "COLS\r\n\x1a"
#define CS_MAGIC_LEN 8
#define CS_HEADER_SIZE 64u        /* §5.1 */
#define CS_ALIGN 64u              /* §8 */
#define CS_TRAILER_SIZE 40u       /* §5.7 */
#define CS_FOOTER_FIXED 32u       /* §5.2 */
#define CS_COLUMN_ENTRY_FIXED 88u /* §5.3 */
#define CS_CHUNK_DESC_SIZE 152u   /* §5.4 */
#define CS_BLOCK_DESC_SIZE 40u    /* §5.5 */

/* field offsets of the footer's fixed part (§5.2) */
#define CS_FT_NUM_ROWS 0u
#define CS_FT_NUM_COLUMNS 8u
#define CS_FT_NUM_ROW_GROUPS 12u
#define CS_FT_ROW_GROUP_SIZE 16u
#define CS_FT_RESERVED 20u
#define CS_FT_HEAP_SIZE 24u
/* of a column entry (§5.3) */
#define CS_CE_TYPE 0u
#define CS_CE_RESERVED 1u
#define CS_CE_NAME_LEN 2u
#define CS_CE_DICT_COUNT 4u
#define CS_CE_DICT_OFFSETS 8u
#define CS_CE_DICT_BYTES 48u
/* of a column chunk descriptor (§5.4); block k's descriptor (validity,
 * data, aux) at CS_CD_BLOCK(k) */
#define CS_CD_ROW_COUNT 0u
#define CS_CD_NULL_COUNT 4u
#define CS_CD_ENCODING 8u
#define CS_CD_CODE_WIDTH 9u
#define CS_CD_STATS_FLAGS 10u
#define CS_CD_RESERVED 11u
#define CS_CD_MIN 16u
#define CS_CD_MAX 24u
#define CS_CD_BLOCK(k) (32u + CS_BLOCK_DESC_SIZE * (unsigned)(k))
#define CS_MIN_FILE_SIZE (CS_HEADER_SIZE + CS_FOOTER_FIXED + CS_TRAILER_SIZE)

#define CS_MAX_COLUMNS 65535u
#define CS_MAX_NAME_LEN 65535u
#define CS_MAX_STRING_BYTES 0x7fffffffu /* §12: offsets are < 2^31 */
#define CS_LZ4_MAX_RATIO 255u
#define CS_STAT_STR_MAX 256u /* longer min/max strings are not recorded */

#define CS_STATS_MINMAX 1u
#define CS_STATS_NAN 2u

/* ---- little-endian loads and stores ------------------------------------ */

static inline uint16_t cs_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | (b[1] << 8));
}
static inline uint32_t cs_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
	       ((uint32_t)b[3] << 24);
}
static inline uint64_t cs_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)cs_le32(b) | ((uint64_t)cs_le32(b + 4) << 32);
}
static inline void cs_st16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void cs_st32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}
static inline void cs_st64(void *p, uint64_t v)
{
	cs_st32(p, (uint32_t)v);
	cs_st32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t cs_align_up(uint64_t x)
{
	return (x + (CS_ALIGN - 1)) & ~(uint64_t)(CS_ALIGN - 1);
}

/* byte-wise order of two strings, a proper prefix first: -1, 0 or 1 (§5.6) */
static inline int cs_bytes_cmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c)
		return c < 0 ? -1 : 1;
	return (al > bl) - (al < bl);
}

/* the first min(len, 8) bytes of s, zero-padded, byte j in bits 8j..8j+7,
 * read without passing s + len */
static inline uint64_t cs_str_prefix(const char *s, uint32_t len)
{
	uint64_t v = 0;
	if (len >= 8) {
		v = cs_le64(s);
	} else if (len >= 4) { /* two overlapping words */
		v = cs_le32(s) | ((uint64_t)cs_le32(s + len - 4) << ((len - 4) * 8));
	} else if (len) {
		v = (uint64_t)(uint8_t)s[0] | ((uint64_t)(uint8_t)s[len / 2] << (len / 2 * 8)) |
		    ((uint64_t)(uint8_t)s[len - 1] << ((len - 1) * 8));
	}
	return v;
}

/* a key that orders as the string's first 8 bytes do: when two keys
 * differ, the strings differ the same way (a zero pad sorts first, as a
 * string's end does); when they are equal, cs_bytes_cmp decides */
static inline uint64_t cs_str_order_key(const char *s, uint32_t len)
{
	return __builtin_bswap64(cs_str_prefix(s, len));
}

/* does v fit a column of this type (the writer's ERANGE rule)? */
static inline int cs_int_fits(int type, int64_t v)
{
	switch (type) {
	case COLSTORE_TYPE_INT8: return v >= INT8_MIN && v <= INT8_MAX;
	case COLSTORE_TYPE_INT16: return v >= INT16_MIN && v <= INT16_MAX;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: return v >= INT32_MIN && v <= INT32_MAX;
	case COLSTORE_TYPE_BOOL: return v == 0 || v == 1;
	default: return 1;
	}
}

/* memcpy inline for short strings (most are), reading and writing no byte
 * outside the n: two overlapping words cover 4-16 bytes */
static inline void cs_copy(char *d, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t x, y;
	if (n > 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else if (n) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/* in-range test in the subtraction form: [off, off+len) within [0, size) */
static inline int cs_in_range(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* ---- errors (error.c) --------------------------------------------------- */

CS_HIDDEN int cs_err(colstore_error *err, int code, uint64_t offset,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
CS_HIDDEN int cs_err_errno(colstore_error *err, int errnum, const char *what,
                           const char *path);

/* ---- checksum.c, compress.c -------------------------------------------- */

CS_HIDDEN uint64_t cs_xxh3(const void *p, size_t n);
CS_HIDDEN uint64_t cs_xxh3_plain(const void *p, size_t n);
CS_HIDDEN uint64_t cs_xxh3_vector(const void *p, size_t n);
CS_HIDDEN size_t cs_lz4_bound(size_t raw);
/* returns compressed size, or 0 when it would not be smaller than raw */
CS_HIDDEN size_t cs_lz4_compress(const void *src, size_t n, void *dst, size_t cap);
/* returns 0 when exactly raw bytes were produced */
CS_HIDDEN int cs_lz4_decompress(const void *src, size_t n, void *dst, size_t raw);

/* ---- fsum.c: exact float sums, independent of order ------------------ */

typedef struct cs_i128 { /* 8-byte aligned two's complement */
	uint64_t lo;
	int64_t hi;
} cs_i128;

typedef struct cs_fsum {
	cs_i128 dec;        /* sum of DECIMAL mantissas, unit 10^-dec_scale */
	cs_i128 bin;        /* sum of plain doubles, unit 2^bin_exp */
	double spill;       /* what would not fit 127 bits (rare) */
	int16_t bin_exp;
	int8_t dec_scale;
	uint8_t has_dec : 1, has_bin : 1, inexact : 1, nan : 1, pinf : 1, ninf : 1;
} cs_fsum;

static inline __int128 cs_i128_get(const cs_i128 *x)
{
	return (__int128)(((unsigned __int128)(uint64_t)x->hi << 64) | x->lo);
}

static inline void cs_i128_set(cs_i128 *x, __int128 v)
{
	x->lo = (uint64_t)v;
	x->hi = (int64_t)(v >> 64);
}

/* 10^0 .. 10^22, each exact as a double (pack.c) */
CS_HIDDEN extern const double cs_pow10[23];

CS_HIDDEN void cs_fsum_add_decimal(cs_fsum *f, __int128 m, int e);
CS_HIDDEN void cs_fsum_add_double(cs_fsum *f, double x);
CS_HIDDEN void cs_fsum_merge(cs_fsum *f, const cs_fsum *g);
CS_HIDDEN double cs_fsum_value(const cs_fsum *f);
CS_HIDDEN double cs_fsum_mean(const cs_fsum *f, uint64_t n);

/* ---- strsort.c ---------------------------------------------------------- */

typedef struct cs_sort_item {
	uint64_t key; /* set by the sort */
	const char *s;
	uint32_t len;
	uint32_t id;  /* the caller's; breaks ties */
} cs_sort_item;

/* sorts by bytes (a proper prefix first), then id; -1 when out of memory;
 * on up to nt threads (1: this one; the order is the same for any nt) */
CS_HIDDEN int cs_sort_strings(cs_sort_item *it, size_t n, uint32_t nt);

/* ---- par.c: one function on several threads ------------------------------ */

/* pthread_create(th, NULL, fn, arg), but the thread starts on another CPU
 * than the caller's when it may (par.c says why); 0 or an error number */
CS_HIDDEN int cs_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

/* part t of nt of some work */
typedef void (*cs_par_fn)(void *ctx, uint32_t t, uint32_t nt);
#define CS_PAR_MAX 64u
/* fn(ctx, t, nt) for every t < nt (at most CS_PAR_MAX), part 0 on this
 * thread, the others each on a thread of its own (or after part 0 on this
 * one, when a thread cannot be started); returns when all are done */
CS_HIDDEN void cs_par(uint32_t nt, cs_par_fn fn, void *ctx);

/* ---- memlimit.c ------------------------------------------------------- */

/* bytes this process may use: min(RAM, its memory cgroup's limit) */
CS_HIDDEN uint64_t cs_memory_available(void);
CS_HIDDEN uint64_t cs_cgroup_limit_from(const char *proc_cgroup, const char *sysfs);

/* ---- bitpack.c ---------------------------------------------------------- */

static inline size_t cs_bitmap_bytes(uint64_t n) { return (size_t)((n + 7) / 8); }
/* the 64 bits of an n-bit bitmap from bit i0 (a multiple of 64), bit i0 the
 * lowest, those past n cleared; no byte past the bitmap is read */
static inline uint64_t cs_bitmap_word(const uint8_t *bm, uint64_t n, uint64_t i0)
{
	uint64_t word = 0;
	size_t left = cs_bitmap_bytes(n) - i0 / 8;
	memcpy(&word, bm + i0 / 8, left < 8 ? left : 8);
	if (n - i0 < 64)
		word &= ((uint64_t)1 << (n - i0)) - 1;
	return word;
}
static inline int cs_bit_get(const uint8_t *bm, uint64_t i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}
static inline void cs_bit_set(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}
/* number of 1 bits among the first n bits */
CS_HIDDEN uint64_t cs_bitmap_popcount(const uint8_t *bm, uint64_t n);
/* like.c: does s[0 .. n) match the LIKE pattern p[0 .. pn)? (ci: ilike) */
CS_HIDDEN int cs_like(const char *s, uint32_t n, const char *p, uint32_t pn, int ci);
/* names.c: name as a list item (bare, or "quoted" with "" for a quote) into
 * out (cap bytes, cut), its full length; the file's columns so, ", "
 * between; the next item of a name list at *p unquoted into out: 1 (and *p
 * past it), 0 at the end, -1 with err set */
CS_HIDDEN size_t cs_name_text(const char *name, char *out, size_t cap);
CS_HIDDEN void cs_columns_text(const colstore_reader *r, char *out, size_t cap);
CS_HIDDEN int cs_name_next(const char **p, char *out, size_t cap, colstore_error *err);
/* the next item of a list of items that may hold names and parentheses
 * (aggregates, order items), cut in place at a comma outside parentheses,
 * "quotes" and 'strings' within parentheses; NULL after the last (*p is
 * NULL then) */
CS_HIDDEN char *cs_list_cut(char **p);
/* a result column's name as written, or with spaces and ASCII case ignored */
CS_HIDDEN int cs_name_is(const char *name, const char *s, size_t n);
/* an --order-by item cut by cs_list_cut: trimmed, a last word asc or desc
 * taken off (*desc), a "quoted" name unquoted into name (cap bytes); *sp,
 * *np: the item; -1 on a bad quote */
CS_HIDDEN int cs_order_item(char **sp, char *name, size_t cap, size_t *np, int *desc,
                            colstore_error *err);
/* are bits n and above of the last byte zero? */
CS_HIDDEN int cs_bitmap_tail_clear(const uint8_t *bm, uint64_t n);
/* the positions of the 1 bits among the first n, in order, into idx
 * (room for n); returns how many */
CS_HIDDEN uint32_t cs_bitmap_rows(const uint8_t *bm, uint32_t n, uint32_t *idx);
/* dictionary code i of an array of w-byte codes (1, 2 or 4; spec §9.4);
 * any alignment */
static inline uint32_t cs_code_at(const void *codes, unsigned w, size_t i)
{
	const uint8_t *p = (const uint8_t *)codes + i * w;
	if (w == 1)
		return *p;
	if (w == 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* ---- dict.c: interning of strings -------------------------------------- */

/* a slot: the entry's first 8 bytes (zero-padded), its tag (hash bits,
 * length capped at 255 in the low byte) and code + 1 (0: empty) */
typedef struct cs_dict_slot {
	uint64_t prefix;
	uint32_t tag;
	uint32_t code1;
} cs_dict_slot;

typedef struct cs_dict {
	uint32_t count;    /* entries */
	uint32_t *offsets; /* count + 1 entries, offsets[0] = 0 */
	size_t offsets_cap;
	char *bytes; /* the arena: every entry back to back */
	size_t bytes_cap;
	struct cs_dict_slot *slots; /* open addressing, linear probing */
	size_t nslots;              /* a power of two */
	size_t nominal; /* the slots doubling alone would give (cs_dict_reserve() aside):
	                   cs_dict_memory() counts these, so that a reserve changes
	                   no DICT/PLAIN choice */
	uint32_t *mark;  /* per code: the last chunk that used it (writer stats) */
	size_t mark_cap;
} cs_dict;

CS_HIDDEN void cs_dict_init(cs_dict *d);
/* slots made at once for about n entries (a hint, such as a distinct-count
 * estimate: fewer rehashes of a large dictionary), unless they would take
 * more than max bytes; ENOMEM leaves d as it was */
CS_HIDDEN int cs_dict_reserve(cs_dict *d, uint64_t n, size_t max);
CS_HIDDEN void cs_dict_free(cs_dict *d);
/* intern s: *code gets its code; returns COLSTORE_OK, ENOMEM or ELIMIT */
CS_HIDDEN int cs_dict_intern(cs_dict *d, const char *s, uint32_t len, uint32_t *code);
/* the same with h = cs_dict_hash(s, len) made ahead, and cs_dict_prefetch(d, h)
 * some keys before, so that a batch's table misses overlap */
/* the hash bits kept: tests clear them all to make every key collide */
CS_HIDDEN extern uint64_t cs_dict_hash_keep;
CS_HIDDEN uint64_t cs_str_hash_long(const char *s, uint32_t len);
/* cs_str_hash: keys of up to 16 bytes, most of them, mixed inline (their
 * first and last 4 or 8 bytes and the length, by two 64x64->128-bit
 * multiplies folded, as wyhash does); longer keys by XXH3.  It is not part
 * of the format: in the dictionary it only places keys in the table (codes
 * follow first appearance); in the import's distinct-value sketch
 * (import_infer.c) it moves the estimate a little, and so the DICT or
 * PLAIN choice of a column at the edge.  cs_dict_hash is it with the
 * test's mask. */
static inline uint64_t cs_mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
	uint64_t lo = (mid << 32) | (uint32_t)ll, hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	return lo ^ hi;
#endif
}
static inline uint64_t cs_str_hash(const char *s, uint32_t len)
{
	uint64_t a, b;
	if (len > 16)
		return cs_str_hash_long(s, len);
	if (len >= 8) {
		a = cs_le64(s);
		b = cs_le64(s + len - 8);
	} else if (len >= 4) {
		a = cs_le32(s);
		b = cs_le32(s + len - 4);
	} else {
		a = len ? (uint64_t)(uint8_t)s[0] | (uint64_t)(uint8_t)s[len / 2] << 8 |
		                  (uint64_t)(uint8_t)s[len - 1] << 16
		        : 0;
		b = 0;
	}
	uint64_t h = cs_mum(a ^ 0xa0761d6478bd642full, b ^ 0xe7037ed1a0b428dbull ^ len);
	return cs_mum(h ^ 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull ^ len);
}
static inline uint64_t cs_dict_hash(const char *s, uint32_t len)
{
	return cs_str_hash(s, len) & cs_dict_hash_keep;
}
CS_HIDDEN int cs_dict_intern_h(cs_dict *d, const char *s, uint32_t len, uint64_t h,
                               uint32_t *code);
static inline void cs_dict_prefetch(const cs_dict *d, uint64_t h)
{
	if (d->nslots)
		__builtin_prefetch(&d->slots[h & (d->nslots - 1)]);
}
CS_HIDDEN size_t cs_dict_memory(const cs_dict *d);
static inline uint32_t cs_dict_bytes_len(const cs_dict *d)
{
	return d->count ? d->offsets[d->count] : 0;
}

/* ---- mmapio.c ----------------------------------------------------------- */

CS_HIDDEN int cs_map_file(const char *path, const void **data, size_t *size,
                          colstore_error *err);
CS_HIDDEN void cs_unmap(const void *data, size_t size);
/* map any regular file, including an empty one (then *data is NULL) */
CS_HIDDEN int cs_map_input(const char *path, const void **data, size_t *size,
                           colstore_error *err);
/* advice on a mapped range [start, end) of the file: sequential read-ahead,
 * or drop the pages (they fault back in from the file if needed again) */
CS_HIDDEN void cs_map_advise_sequential(const void *data, size_t size);
CS_HIDDEN void cs_map_release(const void *data, uint64_t start, uint64_t end);
CS_HIDDEN void cs_map_populate(const void *data, uint64_t start, uint64_t end);
/* n bytes of an open file from off (a multiple of the page size), mapped
 * read-only and private (cs_unmap); path names the file in the message */
CS_HIDDEN int cs_map_fd(int fd, const char *path, uint64_t off, size_t n, void **out,
                        colstore_error *err);
/* what was written to an unlinked temporary file (fd, n bytes), mapped at
 * *out unless rc already says it failed; fd is closed either way */
CS_HIDDEN int cs_map_spool(int fd, const char *path, int rc, uint64_t n, const void **out,
                           size_t *out_size, colstore_error *err);
/* bytes of zeroed memory in a mapping of their own (cs_unmap), in huge
 * pages where the kernel has them; NULL when it cannot be had */
CS_HIDDEN void *cs_map_anon(size_t bytes);
/* n bytes of heap, freed with free(): from CS_BIG_BYTES (a huge page) up,
 * 2 MiB-aligned and advised into huge pages, so that first writes fault
 * 2 MiB at a time (a 4 KiB fault costs 5-10 us on the benchmark VM: 64 MiB
 * written fresh took 180 ms in 4 KiB pages, 60 ms in huge ones) */
#define CS_BIG_BYTES ((size_t)2 << 20)
CS_HIDDEN void *cs_malloc_big(size_t n);
/* n elements of size bytes, zeroed, as calloc() gives them: below
 * CS_BIG_BYTES calloc() itself, above it cs_malloc_big() cleared; NULL
 * when n * size overflows or memory is short */
CS_HIDDEN void *cs_calloc_big(size_t n, size_t size);
/* calloc(n, size) for an array whose pages are all written soon: from
 * CS_POPULATE_BYTES up they are mapped by one madvise(MADV_POPULATE_WRITE)
 * instead of a fault each (on the benchmark VM a fault on fresh memory
 * costs about 13 us, populating 6 us a page) */
#define CS_POPULATE_BYTES ((size_t)16 << 10)
CS_HIDDEN void *cs_calloc_populated(size_t n, size_t size);
/* realloc(p, n) the same way: for a buffer written whole after it grows */
CS_HIDDEN void *cs_realloc_populated(void *p, size_t n);
/* p (old bytes, or NULL) grown to n bytes as realloc() does, into such
 * memory from CS_BIG_BYTES up (there the contents are copied: cheaper than
 * the faults of fresh 4 KiB pages) */
CS_HIDDEN void *cs_realloc_big(void *p, size_t old, size_t n);
/* a temporary file in $TMPDIR (else /tmp) named PREFIX-XXXXXX, unlinked
 * once created: its descriptor, or -1 with errno set; path (size bytes)
 * gets the name it had, for messages */
CS_HIDDEN int cs_tmp_unlinked(const char *prefix, char *path, size_t size);
/* create a temporary file beside path; *tmp_path is malloc'd */
/* a DICT column that still turns PLAIN once its dictionary outgrows the
 * writer's budget: import's choice from a distinct-count estimate, which a
 * crafted input can fool */
CS_HIDDEN void cs_writer_budget_dict(colstore_writer *w, uint32_t col);
/* column col's dictionary will hold about n entries: its slots made at once
 * when they take at most half the dictionary budget (a hint: no file
 * changes, nor any DICT/PLAIN choice) */
CS_HIDDEN void cs_writer_reserve_dict(colstore_writer *w, uint32_t col, uint64_t n);
CS_HIDDEN void cs_tmp_forget(const char *tmp);
/* before any work: an output that cannot be written (a directory, a missing
 * or read-only folder) or that is the input itself (in: its stat, or NULL) */
struct stat;
CS_HIDDEN int cs_check_output(const char *out, const struct stat *in, colstore_error *err);
/* a temporary file beside path's target (a link followed), whose mode and
 * owner follow an existing target; *tmp = NULL when the target is a device,
 * pipe or socket, then written into directly (fd); *target: what to commit to */
CS_HIDDEN int cs_tmp_create(const char *path, int *fd, char **tmp, char **target,
                            colstore_error *err);
CS_HIDDEN int cs_write_all(int fd, const void *p, size_t n, const char *path,
                           colstore_error *err);
/* the same at offset off */
CS_HIDDEN int cs_pwrite_all(int fd, const void *p, size_t n, uint64_t off, const char *path,
                            colstore_error *err);
/* fsync fd, close it, rename tmp over path, fsync the directory */
CS_HIDDEN int cs_tmp_commit(int fd, const char *tmp_path, const char *path,
                            colstore_error *err);

/* ---- sink.c: buffered output to a file descriptor ----------------------- */

/* What is written goes out in pieces that end at multiples of CS_OUT_PIECE
 * of the file (64 KiB; cs_test_wb in tests), a whole piece from such a
 * multiple straight from the caller's bytes: Linux 6.16 and later cache an
 * ext4 file in folios as large as the writes that made it, and a file kept
 * in 64 KiB folios reads back faster than one written a block and a pad at a
 * time.  The writeback of every 4 MiB written is started as it goes, so that
 * the fsync that commits the file has little left to wait for (sink.c). */
typedef struct cs_out {
	int fd;
	const char *path; /* for messages */
	uint8_t *buf;     /* one piece, allocated by cs_out_init */
	size_t len;       /* held back: the file's [pos - len, pos) */
	size_t piece;
	uint64_t pos;     /* the file offset of the next byte */
	uint64_t behind;  /* written back from here on (UINT64_MAX: not asked) */
	colstore_error *err; /* receives every failure of the calls below */
} cs_out;

/* fd (not owned) is at file offset pos */
CS_HIDDEN int cs_out_init(cs_out *o, int fd, uint64_t pos, const char *path, colstore_error *err);
CS_HIDDEN int cs_out_write(cs_out *o, const void *p, size_t n);
/* n zero bytes (padding) */
CS_HIDDEN int cs_out_zeros(cs_out *o, size_t n);
/* everything held back to fd */
CS_HIDDEN int cs_out_flush(cs_out *o);
CS_HIDDEN void cs_out_free(cs_out *o);

/* ---- format.c: decoded structures (bytes only, no I/O) ---------------- */

typedef struct cs_block_desc {
	uint64_t offset, stored_size, raw_size, checksum;
	uint8_t compression;
	int present;
} cs_block_desc;

typedef struct cs_header {
	uint16_t major, minor;
	uint32_t required_flags, optional_flags;
	uint64_t committed; /* 2.0: the file's size before an append in progress (0: none) */
	uint32_t appends;   /* 2.0: the appends begun on the file */
} cs_header;

typedef struct cs_trailer {
	uint64_t footer_offset, footer_size, footer_checksum;
} cs_trailer;

/* a 1.0 header, or (appends > 0) a 2.0 header with its append fields */
CS_HIDDEN void cs_header_encode(uint8_t out[CS_HEADER_SIZE], uint64_t committed,
                                uint32_t appends);
/* what the first bytes of a file that is not a colstore file say it is; it
 * looks at the first CS_SNIFF_LOOK of them to tell text from binary */
#define CS_SNIFF_LOOK 512u
CS_HIDDEN const char *cs_sniff(const uint8_t *p, size_t n);
/* the length of the longest well-formed UTF-8 prefix of p[0..n) (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF); n when all is */
CS_HIDDEN size_t cs_utf8_prefix(const uint8_t *p, size_t n);
CS_HIDDEN int cs_magic_check(const uint8_t *p, size_t n, colstore_error *err);
CS_HIDDEN int cs_header_decode(const uint8_t *p, size_t file_size, cs_header *h,
                               colstore_error *err);
CS_HIDDEN void cs_trailer_encode(uint8_t out[CS_TRAILER_SIZE], uint64_t footer_offset,
                                 uint64_t footer_size, uint64_t footer_checksum);
CS_HIDDEN int cs_trailer_decode(const uint8_t *file, size_t file_size, cs_trailer *t,
                                colstore_error *err);
CS_HIDDEN void cs_block_encode(uint8_t out[CS_BLOCK_DESC_SIZE], const cs_block_desc *b);
/* decode and check R5.5.1-R5.5.3 against footer_offset; where names the
 * descriptor for messages; at is the descriptor's own file offset; strict:
 * reserved bytes must be zero (R7.5: the file's minor is not newer) */
CS_HIDDEN int cs_block_decode(const uint8_t *p, uint64_t at, uint64_t footer_offset,
                              int strict, cs_block_desc *b, const char *where,
                              colstore_error *err);
CS_HIDDEN size_t cs_column_entry_size(size_t name_len);
/* the footer's fixed part (§5.2), reserved field zero */
CS_HIDDEN void cs_footer_fixed_encode(uint8_t out[CS_FOOTER_FIXED], uint64_t num_rows,
                                      uint32_t num_columns, uint32_t num_row_groups,
                                      uint32_t row_group_size, uint64_t heap_size);
/* a whole column entry (§5.3), padding included: cs_column_entry_size(len) bytes */
CS_HIDDEN void cs_column_entry_encode(uint8_t *out, uint8_t type, const char *name, size_t len,
                                      uint32_t dict_count, const cs_block_desc *dict_offsets,
                                      const cs_block_desc *dict_bytes);
/* a column chunk descriptor (§5.4), reserved bytes zero */
CS_HIDDEN void cs_chunk_desc_encode(uint8_t out[CS_CHUNK_DESC_SIZE], uint32_t row_count,
                                    uint32_t null_count, uint8_t encoding, uint8_t code_width,
                                    uint8_t stats_flags, uint64_t min, uint64_t max,
                                    const cs_block_desc blocks[3]);

/* ---- reader internals shared with verify.c ---------------------------- */

typedef struct cs_column {
	char *name; /* NUL-terminated copy */
	uint8_t type;
	uint32_t dict_count;
	cs_block_desc dict_offsets, dict_bytes;
	const uint8_t *dict_off_p; /* in the mapping; validated on first use */
	const uint8_t *dict_bytes_p;
	int dict_ok;               /* atomic: 1 once cs_dict_ready() passed */
	uint64_t entry_offset;     /* file offset of the column entry */
} cs_column;

typedef struct cs_chunk {
	uint32_t row_count, null_count;
	uint8_t encoding, code_width, stats_flags;
	uint64_t min, max;
	cs_block_desc blocks[3];
} cs_chunk;

/* agg: at most one worker per this many bytes of blocks a run reads (4 MiB;
 * 0: every worker asked for; the tests set 0 to run several on small files) */
CS_HIDDEN extern uint64_t cs_agg_worker_bytes;

/* the reader a filter was compiled for */
CS_HIDDEN const colstore_reader *cs_filter_reader(const colstore_filter *f);
/* rows of row group rg (scan.c) */
CS_HIDDEN uint32_t cs_scan_rows(const colstore_reader *r, uint32_t rg);
/* rows of the longest row group (at least 1): a scan's batches hold at most
 * this many, and at most CS_BATCH_ROWS */
CS_HIDDEN uint32_t cs_scan_max_rows(const colstore_reader *r);

/* sets mark[c] for each column c a filter reads */
CS_HIDDEN void cs_filter_columns(const colstore_filter *f, uint8_t *mark);

/* checks column col's dictionary (checksums, offsets) the first time it is
 * needed; safe to call from several threads */
int cs_dict_ready(const colstore_reader *r, uint32_t col, colstore_error *err);

/* tests: how a read asked of the page cache alone (reader.c) comes back:
 * 0 as the system answers; HIT whole (a blocking read stands in); MISS
 * empty; FIRST_MISS empty once, then as HIT; PARTIAL with half the bytes */
enum { CS_TEST_CACHE_HIT = 1, CS_TEST_CACHE_MISS, CS_TEST_CACHE_FIRST_MISS, CS_TEST_CACHE_PARTIAL };
CS_HIDDEN extern int cs_test_cache;
/* tests: cs_out's pieces (sink.c) are this many bytes; 0, or 64 KiB and
 * more: 64 KiB.  Read by cs_out_init.  cs_test_wb_odd counts the writes that
 * end elsewhere than at a piece's end (a file's last, at most) */
CS_HIDDEN extern size_t cs_test_wb, cs_test_wb_odd;

struct colstore_reader {
	const uint8_t *data;
	size_t size;
	int mapped;
	int fd;          /* the file, for pread of compressed blocks; -1: none */
	uint64_t map_reads; /* atomic: blocks read through the mapping */
	uint32_t ahead_until; /* atomic: data blocks of row groups before it ask
	                       * the kernel for those ahead (cs_block_bytes) */
	uint64_t ahead_calls; /* atomic: such requests made (for the tests) */
	int nowait_off;       /* atomic: the page cache cannot be read alone */
	uint32_t flags;
	cs_header header;
	cs_trailer trailer;
	uint64_t end; /* where the file's committed content ends: its size, or (2.0) the
	              * size before an append that did not finish (format-spec.md §14) */
	uint64_t num_rows;
	uint32_t num_columns, num_row_groups, row_group_size;
	cs_column *columns;
	cs_chunk *chunks;   /* num_row_groups * num_columns */
	uint64_t chunks_at; /* file offset of the first chunk descriptor */
	const uint8_t *heap;
	uint64_t heap_size;
	uint8_t *verified; /* per block: CS_CHECKED_* (atomic byte stores) */
	uint64_t serial;   /* unique in the process: names this reader in caches */
	int refs;          /* atomic: the opener's reference plus one per live
	                    * Arrow stream or exported array batch */
};

/* 1 when every chunk of string column col is DICT-encoded */
CS_HIDDEN int cs_column_all_dict(const colstore_reader *r, uint32_t col);
/* one more reference to r (colstore_reader_close drops one; the last frees) */
CS_HIDDEN void cs_reader_ref(colstore_reader *r);

static inline const cs_chunk *cs_chunk_at(const colstore_reader *r, uint32_t rg,
                                          uint32_t col)
{
	return &r->chunks[(size_t)rg * r->num_columns + col];
}
static inline uint64_t cs_chunk_desc_offset(const colstore_reader *r, uint32_t rg,
                                            uint32_t col)
{
	return r->chunks_at + ((uint64_t)rg * r->num_columns + col) * CS_CHUNK_DESC_SIZE;
}
CS_HIDDEN const char *cs_block_kind_name(int kind);
/* a scratch area of at least n bytes kept in b (reused across calls), or NULL */
CS_HIDDEN void *cs_buffers_scratch(colstore_buffers *b, size_t n);
/* one object kept in b for its owner: the one set with key (a nonzero
 * serial, never reused), or NULL; setting another frees the one before */
CS_HIDDEN void *cs_buffers_aux(colstore_buffers *b, uint64_t key);
CS_HIDDEN void cs_buffers_set_aux(colstore_buffers *b, uint64_t key, void *aux, void (*fr)(void *));
/* [*lo, *hi): the bytes spanned by row group rg's blocks; *lo >= *hi if none */
CS_HIDDEN void cs_row_group_span(const colstore_reader *r, uint32_t rg, uint64_t *lo,
                                 uint64_t *hi);
/* fully check one block (checksum unless skipped, decompression, content) */
/* a block's stored bytes, checksum checked unless *checked comes back 1
 * (done before); read with pread into stage's buffer slot (CS_STAGE_ANY, or
 * a column's own) when stage is given and it is worthwhile */
CS_HIDDEN int cs_block_bytes(colstore_reader *r, uint32_t rg, uint32_t col, int kind,
                             int force_checksum, colstore_buffers *stage, uint32_t slot,
                             const uint8_t **bytes, int *checked, colstore_error *err);
/* records that a block passed every check (its content check included) */
CS_HIDDEN void cs_block_mark_checked(colstore_reader *r, uint32_t rg, uint32_t col, int kind);
CS_HIDDEN int cs_block_check(colstore_reader *r, uint32_t rg, uint32_t col, int kind,
                             int force_checksum, void *buf, size_t buf_size,
                             colstore_block *out, int *mantissa_scale, colstore_buffers *stage,
                             colstore_error *err);
/* colstore_reader_values(); with mantissa_scale non-NULL, a float64 chunk
 * stored DECIMAL comes as int64 mantissas, value = m / 10^*mantissa_scale
 * (*mantissa_scale = -1 when it is not) */
/* a staging area of n bytes for compressed bytes read with pread: the one
 * any block may use (CS_STAGE_ANY), or column slot's, which keeps a packed
 * block for the row group's next ranges (cs_range_bytes in values.c; its
 * buffer is made to exist before) */
#define CS_STAGE_ANY UINT32_MAX
CS_HIDDEN void *cs_buffers_stage(colstore_buffers *b, uint32_t slot, size_t n);
/* the exact sum of a packed numeric chunk without nulls, over rows idx[0..m)
 * (all rows when idx is NULL), read from the packed bits without decoding
 * them (DECIMAL: of the mantissas, *scale their exponent; else *scale -1).
 * *done = 0 when the chunk is not of that kind: read its values instead. */
CS_HIDDEN int cs_chunk_sum(colstore_reader *r, uint32_t rg, uint32_t col, colstore_buffers *b,
                           const uint32_t *idx, uint32_t m, __int128 *sum, int *scale,
                           int *done, colstore_error *err);
/* n dictionary codes of w bytes at p are each < c's dict_count (R9.4.2);
 * else ECORRUPT naming where, at byte at */
/* "row group G column 'NAME' KIND block" into buf, for messages */
CS_HIDDEN const char *cs_block_where(const colstore_reader *r, uint32_t rg, uint32_t col,
                                     int kind, char *buf, size_t size);
CS_HIDDEN int cs_check_codes(const cs_column *c, const uint8_t *p, unsigned w, uint64_t n,
                             const char *where, uint64_t at, colstore_error *err);
/* count + 1 little-endian u32 offsets at p: the first 0, nondecreasing, the
 * last equal to last (R9.5.1, R9.6.1); 1 when they are */
CS_HIDDEN int cs_check_offsets(const uint8_t *p, uint64_t count, uint64_t last);
/* rows [first, first + n) of a chunk (first a multiple of 64), checked:
 * in place, or decoded; a packed block only over those rows */
CS_HIDDEN int cs_values_range(colstore_reader *r, uint32_t rg, uint32_t col, colstore_buffers *b,
                              uint32_t first, uint32_t n, colstore_values *out,
                              int *mantissa_scale, colstore_error *err);
CS_HIDDEN int cs_values(colstore_reader *r, uint32_t rg, uint32_t col, colstore_buffers *b,
                        colstore_values *out, int *mantissa_scale, colstore_error *err);


/* ---- writer.c, for the import --------------------------------------------- */

/* rows [start, start + nrows) of cols (made by the library: not checked as
 * colstore_writer_append_batch checks them); on a failure *at is the row of
 * cols where putting rows one at a time would have failed, *col the column
 * + 1 whose value failed there, or 0 for the row's end (its row group
 * written) */
CS_HIDDEN int cs_writer_append_rows(colstore_writer *w, const colstore_array *cols,
                                    const uint64_t *const *hashes, size_t start,
                                    size_t nrows, size_t *at, uint32_t *col,
                                    colstore_error *err);
/* column col takes its strings' cs_dict_hash() with them: hashes[col] of
 * cs_writer_append_rows() (NULL entries or hashes: it makes them) */
CS_HIDDEN int cs_writer_hashed(const colstore_writer *w, uint32_t col);
/* rows the writer takes before it writes a row group */
CS_HIDDEN uint32_t cs_writer_room(const colstore_writer *w);

/* lo and hi (lvalues of type T) = the min and max of the n > 0 values of
 * type T at p (any alignment, host order): compared in T itself, a loop the
 * compiler vectorizes (the order of equal values cannot matter).  The
 * writer's chunk statistics and the bit-packer's range (pack.c) use it. */
#define CS_MINMAX(T, p, n, lo, hi)                                           \
	do {                                                                 \
		T v_;                                                        \
		memcpy(&(lo), (p), sizeof(T));                               \
		(hi) = (lo);                                                 \
		for (size_t i_ = 1; i_ < (size_t)(n); i_++) {               \
			memcpy(&v_, (const uint8_t *)(p) + i_ * sizeof(T), sizeof(T)); \
			(lo) = v_ < (lo) ? v_ : (lo);                        \
			(hi) = v_ > (hi) ? v_ : (hi);                        \
		}                                                            \
	} while (0)

/* ---- parse.c: text to values (the import's inference rules) ---------------- */

/* -?(0|[1-9][0-9]*) within int64; "-0" and leading zeros refused */
CS_HIDDEN int cs_parse_int(const char *p, size_t n, int64_t *v);
/* the digits in the bytes of w that dk marks (its top bytes, the first
 * digit lowest): 0 when one of them is not 0x30-0x39, else 1 and their
 * value in *t, combined in pairs, fours and eight without a branch */
static inline int cs_swar_digits(uint64_t w, uint64_t dk, uint64_t *t)
{
	w &= dk;
	const uint64_t hi = w & 0xF0F0F0F0F0F0F0F0ull, x = w & 0x0F0F0F0F0F0F0F0Full;
	if (hi != (0x3030303030303030ull & dk) ||
	    ((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull))
		return 0;
	uint64_t u = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFull; /* pairs */
	u = (u * 100 + (u >> 16)) & 0x0000FFFF0000FFFFull;        /* fours */
	*t = (u * 10000 + (u >> 32)) & 0xFFFFFFFFull;             /* eight */
	return 1;
}
/* the 8 bytes up to the end of the text p[0..n) lie in the buffer at base */
static inline int cs_tail_readable(const char *p, size_t n, const void *base)
{
	return (uintptr_t)p >= (uintptr_t)base && (uintptr_t)p - (uintptr_t)base + n >= 8;
}
/* cs_parse_int for text with 8 readable bytes up to its end (p + n - 8
 * within its buffer); cs_parse_int_in picks it when that holds (base: the buffer).
 * A value of one to eight digits is checked and read 8 bytes at a time,
 * without a branch per digit (fields of varying length mispredicted the
 * loop's exit: 7.4 against 4.0 ns a value on ints of 1-4 digits); the
 * bytes before the text are shifted out unread; longer values take
 * cs_parse_int.  Inline: it runs for every integer field of both passes. */
static inline int cs_parse_int_tail(const char *p, size_t n, int64_t *v)
{
	const int neg = n && p[0] == '-';
	const size_t d = n - (size_t)neg; /* digits */
	if (d - 1 >= 8) /* none, or more than 8 */
		return cs_parse_int(p, n, v);
	if (p[neg] == '0' && (d > 1 || neg))
		return 0; /* leading zero, or -0 */
	/* the digits in the top d bytes, the bytes before them masked off */
	uint64_t t;
	if (!cs_swar_digits(cs_le64(p + n - 8), ~0ull << (8 * (8 - d)), &t))
		return 0; /* a byte that is not 0x30-0x39 */
	if (v)
		*v = neg ? -(int64_t)t : (int64_t)t;
	return 1;
}
static inline int cs_parse_int_in(const char *p, size_t n, const void *base, int64_t *v)
{
	return cs_tail_readable(p, n, base) ? cs_parse_int_tail(p, n, v) : cs_parse_int(p, n, v);
}
/* a decimal of at most 15 significant digits (so that the float64 gives the
 * same decimal back), optional fraction and exponent; v may be NULL to
 * check syntax only */
CS_HIDDEN int cs_parse_double(const char *p, size_t n, double *v);
/* the same without its fast path for short decimals (tests compare them) */
CS_HIDDEN int cs_parse_double_full(const char *p, size_t n, double *v);
/* cs_parse_double for text with 8 readable bytes up to its end, as
 * cs_parse_int_tail: [-]digits[.digits] of at most 8 bytes after the sign,
 * checked and read 8 bytes at a time, the dot found and taken out in the
 * word, without a branch per byte (the byte loop's exit mispredicted on
 * values of varying length); the value is the one cs_parse_double gives,
 * by the same expression.  Anything else (an exponent, a leading zero,
 * more bytes) goes to cs_parse_double. */
static inline int cs_parse_double_tail(const char *p, size_t n, double *v)
{
	const size_t neg = n && p[0] == '-', m = n - neg; /* bytes after the sign */
	if (m - 1 >= 8 || (p[neg] == '0' && m > 1 && p[neg + 1] != '.'))
		return cs_parse_double(p, n, v); /* long, empty, or a leading zero */
	uint64_t w = cs_le64(p + n - 8);
	const uint64_t keep = ~0ull << (8 * (8 - m)); /* the top m bytes */
	/* bytes equal to '.', exactly (no borrow between bytes) */
	const uint64_t x = w ^ 0x2E2E2E2E2E2E2E2Eull;
	uint64_t dots = ~(((x & 0x7F7F7F7F7F7F7F7Full) + 0x7F7F7F7F7F7F7F7Full) | x) &
	                0x8080808080808080ull & keep;
	unsigned frac = 0, d = (unsigned)m;
	if (dots) {
		if (dots & (dots - 1))
			return cs_parse_double(p, n, v); /* two dots */
		unsigned j = (unsigned)__builtin_ctzll(dots) / 8; /* the dot's byte */
		frac = 7 - j;
		/* the bytes below the dot move up into its place */
		const uint64_t below = j ? (1ull << (8 * j)) - 1 : 0;
		w = (w & ~(below | (0xFFull << (8 * j)))) | ((w & below) << 8);
		d = (unsigned)m - 1;
		if (!d)
			return cs_parse_double(p, n, v); /* "." or "-." */
	}
	uint64_t t;
	if (!cs_swar_digits(w, ~0ull << (8 * (8 - d)), &t))
		return cs_parse_double(p, n, v); /* a byte that is not a digit: 1e5, say */
	if (v) {
		double r = frac ? (double)t / cs_pow10[frac] : (double)t;
		*v = neg ? -r : r;
	}
	return 1;
}
static inline int cs_parse_double_in(const char *p, size_t n, const void *base, double *v)
{
	return cs_tail_readable(p, n, base) ? cs_parse_double_tail(p, n, v)
	                                    : cs_parse_double(p, n, v);
}
/* true / false in any letter case */
CS_HIDDEN int cs_parse_bool(const char *p, size_t n, int *v);
/* YYYY-MM-DD, a valid proleptic Gregorian date -> days since 1970-01-01 */
CS_HIDDEN int cs_parse_date(const char *p, size_t n, int64_t *days);
/* YYYY-MM-DD[T ]HH:MM[:SS[.f{1,6}]][Z|+HH:MM|-HH:MM|+HHMM|-HHMM], or a bare
 * date (midnight) -> microseconds since the epoch, UTC */
CS_HIDDEN int cs_parse_timestamp(const char *p, size_t n, int64_t *us);
/* The last valid YYYY-MM-DD a column read (its 10 bytes) and its day, so
 * that a run of one date (a sorted column, a log) is checked and counted
 * once; and the same of the last valid timestamp of the common form
 * YYYY-MM-DD HH:MM:SS (or with T), its 19 bytes and its value; zeroed:
 * empty.  The _m forms take one (or NULL) and answer as the plain forms do. */
typedef struct cs_date_memo {
	uint64_t head;  /* bytes 0-7 */
	uint16_t tail;  /* bytes 8-9 */
	uint8_t state;  /* 0: empty, 1: a valid date, 2: and days holds its day */
	uint8_t ts_state; /* the same for the timestamp */
	int64_t days;
	uint64_t ts0, ts8; /* the timestamp's bytes 0-7, 8-15 */
	uint32_t ts15;     /* and 15-18 */
	int64_t us;
} cs_date_memo;
CS_HIDDEN int cs_parse_date_m(const char *p, size_t n, int64_t *days, cs_date_memo *m);
CS_HIDDEN int cs_parse_timestamp_m(const char *p, size_t n, int64_t *us, cs_date_memo *m);
CS_HIDDEN int64_t cs_days_from_civil(int64_t y, unsigned m, unsigned d);
/* datefmt.c: a strptime-like format (%Y %m %d %H %M %S %f %b %B %z %p %I
 * %%; a space matches one or more) -> days (ts 0) or microseconds, UTC */
CS_HIDDEN int cs_parse_datefmt(const char *fmt, const char *p, size_t n, int ts, int64_t *out);
/* is fmt usable for a date (ts 0) or a timestamp?  *why says why not */
CS_HIDDEN int cs_datefmt_check(const char *fmt, int ts, const char **why);
/* cs_parse_date, or a spelling that names the year first or the month by
 * name (2000/01/31, Jan 31 2000, Jan 31, 2000, 31 Jan 2000, January ...) */
CS_HIDDEN int cs_parse_date_any(const char *p, size_t n, int64_t *days);
/* cs_parse_timestamp, RFC 3339's lower-case t and z, 2000/01/31 10:00[:00[.f]],
 * or a date of cs_parse_date_any (midnight) */
CS_HIDDEN int cs_parse_timestamp_any(const char *p, size_t n, int64_t *us);
/* NN/NN/YYYY (or . or - between): day-first or month-first, which a value
 * alone does not say */
CS_HIDDEN int cs_looks_dmy(const char *p, size_t n);
/* more lenient parsing for a type forced by a schema: also accepts a leading
 * '+', leading zeros, "-0", and for floats inf/nan and any digit count */
CS_HIDDEN int cs_parse_int_lenient(const char *p, size_t n, int64_t *v);
CS_HIDDEN int cs_parse_double_lenient(const char *p, size_t n, double *v);

/* ---- pack.c: BITPACK and DECIMAL codecs (format-spec.md §10.2, §10.3) ---- */

#define CS_PACK_HEADER 16u
/* encode n values of width w (1, 2, 4, 8; signed when is_signed) from raw
 * into dst (cap bytes); returns the stored size, or 0 if it would not fit */
CS_HIDDEN size_t cs_bitpack_encode(const void *raw, size_t n, unsigned w, int is_signed,
                                   uint8_t *dst, size_t cap);
/* float64 values as scaled integers: 0 when some value does not round-trip */
CS_HIDDEN size_t cs_decimal_encode(const double *raw, size_t n, uint8_t *dst, size_t cap);
/* the sum of the values of a packed block (of rows idx[0..m), or of all rows
 * when idx is NULL), exact: for DECIMAL the mantissas, *scale = exponent,
 * else *scale = -1.  0: done; 1: some value wraps its width, decode
 * instead; -1: corrupt (*why says how) */
CS_HIDDEN int cs_pack_sum(int codec, const uint8_t *src, size_t stored, unsigned w,
                          size_t raw_size, const uint32_t *idx, size_t m, __int128 *sum,
                          int *scale, const char **why);
/* decode a stored BITPACK (codec 2) or DECIMAL (codec 3) block of raw_size
 * bytes of values of width w; returns 0 or -1 with a reason in *why */
/* decodes a BITPACK or DECIMAL block; with mantissa_scale non-NULL, a
 * DECIMAL block comes out as int64 mantissas and *mantissa_scale = e */
/* the rows of a long row group that filters, aggregation, the Arrow stream
 * and verify take at a time (a multiple of 64, as cs_values_range needs):
 * their memory follows it, not the row group's size or what a block claims
 * to expand to */
#define CS_BATCH_ROWS 65536u

/* per block, in colstore_reader.verified: its checksum was found right;
 * its content rules (§12 step 6) too, over the whole block */
#define CS_CHECKED_SUM 1u
#define CS_CHECKED_CONTENT 2u

/* values [first, first + count) of a packed block (first a multiple of 8)
 * into dst[0 .. count): memory for the rows asked for, whatever the block
 * claims to expand to */
CS_HIDDEN int cs_pack_decode_range(int codec, const uint8_t *src, size_t stored, unsigned w,
                                   void *dst, size_t raw_size, int *mantissa_scale, size_t first,
                                   size_t count, const char **why);
CS_HIDDEN int cs_pack_decode(int codec, const uint8_t *src, size_t stored, unsigned w,
                             void *dst, size_t raw_size, int *mantissa_scale,
                             const char **why);

/* ---- simd.c: the decode kernels, scalar or vectorized, chosen once at run time ----
 * Every table gives the same bytes as the scalar one (tests/test_simd.c
 * compares them over every bit width and value width); only speed differs. */

/* how packed values become column values (§10.2, §10.3): value = ref +
 * packed * unit mod 2^64, cut to w bytes; or, for a DECIMAL block read as
 * float64, (double)(int64_t)(ref + packed) / p10 */
typedef struct cs_frame {
	uint64_t ref, unit;
	double p10;
	unsigned b;    /* bits per packed value, 0..64 */
	unsigned w;    /* bytes per value out: 1, 2, 4 or 8 */
	int as_double; /* DECIMAL to float64 (w = 8, unit = 1) */
} cs_frame;

#define CS_DECODE_MAX 512u /* values per decode call */

typedef struct cs_simd_ops {
	const char *name; /* "scalar", "avx2", "avx512" */
	/* m <= CS_DECODE_MAX values from (m + 7) / 8 groups of 8 b-bit values
	 * at in (NULL when b = 0), with 16 readable bytes past the last group,
	 * into out[0 .. m * w) */
	void (*decode)(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *out);
	/* the sum of the 8 * groups b-bit values at in (1 <= b <= 32), with 16
	 * readable bytes past the last group */
	uint64_t (*psum)(const uint8_t *in, unsigned b, size_t groups);
	/* n dictionary codes of w bytes (1, 2 or 4; any alignment) as uint32 */
	void (*widen)(const void *codes, unsigned w, size_t n, uint32_t *out);
	/* set bits of bitmap bm[0 .. ceil(n / 8)) (bits past n ignored) */
	uint64_t (*popcount)(const uint8_t *bm, uint64_t n);
	/* the indexes of the set bits of bm's first n bits, ascending, into
	 * idx (room for n; nothing is written past the last); their count */
	uint32_t (*rows)(const uint8_t *bm, uint32_t n, uint32_t *idx);
	/* m rows counted by group: hist[g] = the k with gid[k] == g, for
	 * g < G; every gid[k] < G <= CS_SIMD_GROUPS (simd_group.c) */
	void (*ghist)(const uint32_t *gid, uint32_t m, uint32_t G, uint32_t *hist);
	/* int8 values summed by group: sum[g] = the x[k] with gid[k] == g */
	void (*gsum8)(const uint32_t *gid, const int8_t *x, uint32_t m, uint32_t G, int64_t *sum);
	/* int64 values (DECIMAL mantissas) by group: mn[g], mx[g] and sm[g]
	 * the min, max and sum of the x[k] with gid[k] == g (INT64_MAX,
	 * INT64_MIN and 0 for a group without rows); nonzero when a sum may
	 * have passed int64, and then the sums are not to be used */
	int (*gdec)(const uint32_t *gid, const int64_t *x, uint32_t m, uint32_t G, int64_t *mn,
	            int64_t *mx, int64_t *sm);
	/* the least and greatest of x[0 .. m), m >= 1 (simd_group.c) */
	void (*bounds)(const int64_t *x, uint32_t m, int64_t *lo, int64_t *hi);
	/* the bytes of p[0 .. 64) equal to one of set[0 .. 6), as bits
	 * (simd_csv.c) */
	uint64_t (*stops)(const uint8_t *p, const uint8_t *set);
	/* XXH3-64 of p[0 .. n) (checksum.c: libxxhash's plain code, or its
	 * run-time choice of vector code, which may be AVX-512 under the AVX2
	 * table) */
	uint64_t (*hash)(const void *p, size_t n);
} cs_simd_ops;

/* the most groups ghist and gsum8 take (their work grows with the groups) */
#define CS_SIMD_GROUPS 32u

/* the table in use: the best this CPU runs, or the one COLSTORE_SIMD
 * names (scalar, avx2, avx512; one the CPU lacks gives the best below
 * it); chosen on the first call, from any thread */
CS_HIDDEN const cs_simd_ops *cs_simd(void);
/* the table of that name, or NULL when this build or CPU has not it */
CS_HIDDEN const cs_simd_ops *cs_simd_get(const char *name);
/* use ops from now on (tests and benchmarks compare tables in one process) */
CS_HIDDEN void cs_simd_set(const cs_simd_ops *ops);
/* the scalar kernels (pack.c, simd.c): what the others must equal */
CS_HIDDEN uint64_t cs_popcount_scalar(const uint8_t *bm, uint64_t n);
CS_HIDDEN uint32_t cs_rows_scalar(const uint8_t *bm, uint32_t n, uint32_t *idx);
CS_HIDDEN void cs_decode_scalar(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *out);
CS_HIDDEN uint64_t cs_psum_scalar(const uint8_t *in, unsigned b, size_t groups);
CS_HIDDEN void cs_widen_scalar(const void *codes, unsigned w, size_t n, uint32_t *out);
CS_HIDDEN void cs_ghist_scalar(const uint32_t *gid, uint32_t m, uint32_t G, uint32_t *hist);
CS_HIDDEN uint64_t cs_stops_scalar(const uint8_t *p, const uint8_t *set);
CS_HIDDEN uint64_t cs_stops_avx2(const uint8_t *p, const uint8_t *set);
CS_HIDDEN uint64_t cs_stops_avx512(const uint8_t *p, const uint8_t *set);
CS_HIDDEN void cs_gsum8_scalar(const uint32_t *gid, const int8_t *x, uint32_t m, uint32_t G,
                               int64_t *sum);
CS_HIDDEN int cs_gdec_scalar(const uint32_t *gid, const int64_t *x, uint32_t m, uint32_t G,
                             int64_t *mn, int64_t *mx, int64_t *sm);
CS_HIDDEN void cs_bounds_scalar(const int64_t *x, uint32_t m, int64_t *lo, int64_t *hi);
#if defined(__x86_64__) && defined(__GNUC__)
CS_HIDDEN void cs_ghist_avx2(const uint32_t *gid, uint32_t m, uint32_t G, uint32_t *hist);
CS_HIDDEN void cs_gsum8_avx2(const uint32_t *gid, const int8_t *x, uint32_t m, uint32_t G,
                             int64_t *sum);
CS_HIDDEN void cs_ghist_avx512(const uint32_t *gid, uint32_t m, uint32_t G, uint32_t *hist);
CS_HIDDEN void cs_gsum8_avx512(const uint32_t *gid, const int8_t *x, uint32_t m, uint32_t G,
                               int64_t *sum);
CS_HIDDEN int cs_gdec_avx512(const uint32_t *gid, const int64_t *x, uint32_t m, uint32_t G,
                             int64_t *mn, int64_t *mx, int64_t *sm);
CS_HIDDEN void cs_bounds_avx2(const int64_t *x, uint32_t m, int64_t *lo, int64_t *hi);
CS_HIDDEN void cs_bounds_avx512(const int64_t *x, uint32_t m, int64_t *lo, int64_t *hi);
#endif

#endif /* CS_INTERNAL_H */
