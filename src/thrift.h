/*
 * thrift.h -- growable byte buffers and an encoder of the Thrift compact
 * protocol (enough of it for Parquet's metadata: structs, lists, i16-i64
 * varints, binaries and bools), for the Parquet writer (parquet.c).
 */
#ifndef CS_THRIFT_H
#define CS_THRIFT_H

#include "internal.h"

/* Thrift compact protocol type ids */
enum { TC_TRUE = 1, TC_FALSE = 2, TC_BYTE = 3, TC_I16 = 4, TC_I32 = 5, TC_I64 = 6,
       TC_BINARY = 8, TC_LIST = 9, TC_STRUCT = 12 };

#define CS_TW_DEPTH 16

typedef struct cs_buf {
	uint8_t *p;
	size_t len, cap;
} cs_buf;

/* Field headers carry the id as a delta from the previous field of the
 * same struct, hence the stack; a failed allocation sets oom, checked once
 * when the structure is complete. */
typedef struct cs_tw {
	cs_buf *b;
	int oom, depth;
	int16_t last[CS_TW_DEPTH];
} cs_tw;

/* room for n more bytes: 0, or -1 when out of memory */
CS_HIDDEN int cs_buf_reserve(cs_buf *b, size_t n);
/* v as an unsigned LEB128 varint at d; its length */
CS_HIDDEN size_t cs_uleb(uint8_t *d, uint64_t v);
/* the length of v as an unsigned LEB128 varint */
CS_HIDDEN uint64_t cs_uleb_len(uint64_t v);
/* an encoder appending to b; raw bytes, a byte, a varint, a zigzag varint */
CS_HIDDEN void cs_tw_init(cs_tw *t, cs_buf *b);
CS_HIDDEN void cs_tw_raw(cs_tw *t, const void *p, size_t n);
CS_HIDDEN void cs_tw_byte(cs_tw *t, uint8_t v);
CS_HIDDEN void cs_tw_varint(cs_tw *t, uint64_t v);
CS_HIDDEN uint64_t cs_zigzag(int64_t v);
/* a field header: the id (as a delta when it can be) and the type */
CS_HIDDEN void cs_tw_field(cs_tw *t, int id, int type);
/* a struct begins (a list element, or after cs_tw_struct's field header) */
CS_HIDDEN void cs_tw_push(cs_tw *t);
/* the struct ends (its stop byte); a struct field begins */
CS_HIDDEN void cs_tw_end(cs_tw *t);
CS_HIDDEN void cs_tw_struct(cs_tw *t, int id);
/* a field holding an empty struct (StringType, DateType, TypeDefinedOrder) */
CS_HIDDEN void cs_tw_empty(cs_tw *t, int id);
/* fields of one value each */
CS_HIDDEN void cs_tw_i32(cs_tw *t, int id, int32_t v);
CS_HIDDEN void cs_tw_i64(cs_tw *t, int id, int64_t v);
CS_HIDDEN void cs_tw_bool(cs_tw *t, int id, int v);
CS_HIDDEN void cs_tw_bin(cs_tw *t, int id, const void *p, size_t n);
/* list header; the n elements follow (structs: cs_tw_push .. cs_tw_end) */
CS_HIDDEN void cs_tw_list(cs_tw *t, int id, int elem, uint64_t n);

#endif
