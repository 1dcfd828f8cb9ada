/*
 * thrift.c -- growable byte buffers and the Thrift compact protocol
 * encoder of thrift.h.
 */
#include <stdlib.h>
#include <string.h>

#include "thrift.h"

/* ---- growable byte buffers ------------------------------------------- */

/* room for n more bytes: 0, or -1 when out of memory */
int cs_buf_reserve(cs_buf *b, size_t n)
{
	if (n <= b->cap - b->len)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

size_t cs_uleb(uint8_t *d, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		d[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	d[n++] = (uint8_t)v;
	return n;
}

uint64_t cs_uleb_len(uint64_t v)
{
	uint64_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* ---- a Thrift compact protocol encoder -------------------------------- */

void cs_tw_init(cs_tw *t, cs_buf *b)
{
	memset(t, 0, sizeof(*t));
	t->b = b;
}

void cs_tw_raw(cs_tw *t, const void *p, size_t n)
{
	if (t->oom || !n)
		return;
	if (cs_buf_reserve(t->b, n)) {
		t->oom = 1;
		return;
	}
	memcpy(t->b->p + t->b->len, p, n);
	t->b->len += n;
}

void cs_tw_byte(cs_tw *t, uint8_t v)
{
	cs_tw_raw(t, &v, 1);
}

void cs_tw_varint(cs_tw *t, uint64_t v)
{
	uint8_t tmp[10];
	cs_tw_raw(t, tmp, cs_uleb(tmp, v));
}

uint64_t cs_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void cs_tw_field(cs_tw *t, int id, int type)
{
	int delta = id - t->last[t->depth];
	if (delta > 0 && delta <= 15) {
		cs_tw_byte(t, (uint8_t)(delta << 4 | type));
	} else {
		cs_tw_byte(t, (uint8_t)type);
		cs_tw_varint(t, cs_zigzag(id));
	}
	t->last[t->depth] = (int16_t)id;
}

/* a struct begins (a list element, or after cs_tw_struct's field header) */
void cs_tw_push(cs_tw *t)
{
	if (t->depth + 1 >= CS_TW_DEPTH) {
		t->oom = 1; /* cannot happen: our structures nest 7 deep */
		return;
	}
	t->last[++t->depth] = 0;
}

void cs_tw_end(cs_tw *t)
{
	cs_tw_byte(t, 0);
	if (t->depth > 0)
		t->depth--;
}

void cs_tw_struct(cs_tw *t, int id)
{
	cs_tw_field(t, id, TC_STRUCT);
	cs_tw_push(t);
}

/* a field holding an empty struct (StringType, DateType, TypeDefinedOrder) */
void cs_tw_empty(cs_tw *t, int id)
{
	cs_tw_struct(t, id);
	cs_tw_end(t);
}

void cs_tw_i32(cs_tw *t, int id, int32_t v)
{
	cs_tw_field(t, id, TC_I32);
	cs_tw_varint(t, cs_zigzag(v));
}

void cs_tw_i64(cs_tw *t, int id, int64_t v)
{
	cs_tw_field(t, id, TC_I64);
	cs_tw_varint(t, cs_zigzag(v));
}

void cs_tw_bool(cs_tw *t, int id, int v)
{
	cs_tw_field(t, id, v ? TC_TRUE : TC_FALSE);
}

void cs_tw_bin(cs_tw *t, int id, const void *p, size_t n)
{
	cs_tw_field(t, id, TC_BINARY);
	cs_tw_varint(t, n);
	cs_tw_raw(t, p, n);
}

/* list header; the n elements follow (structs: cs_tw_push .. cs_tw_end) */
void cs_tw_list(cs_tw *t, int id, int elem, uint64_t n)
{
	cs_tw_field(t, id, TC_LIST);
	if (n < 15) {
		cs_tw_byte(t, (uint8_t)(n << 4 | (unsigned)elem));
	} else {
		cs_tw_byte(t, (uint8_t)(0xf0 | elem));
		cs_tw_varint(t, n);
	}
}
