/*
 * dict.c -- string interning for dictionary-encoded columns.
 *
 * Entries live back to back in one growable arena (bytes) indexed by an
 * offsets array, which is exactly the on-disk dictionary layout of
 * format-spec.md §9.6, so finishing a column writes the two arrays as they
 * are.  Lookup is open addressing with linear probing over 16-byte slots.
 * A slot holds the entry's first 8 bytes, a tag (32 bits of the hash with
 * the length, capped at 255, in its low byte) and the code: a key of at
 * most 8 bytes is matched by its slot alone, and a longer one reads the
 * arena only when tag and prefix agree.  A million-entry dictionary thus
 * costs one cache miss per lookup, not three (slot, offsets, bytes), and
 * cs_dict_prefetch() lets a caller that hashed ahead hide that one.
 * Growing the table hashes the arena again, in code order.
 */
#include <stdlib.h>

#define XXH_INLINE_ALL /* short keys: inlined, the same hash as the library's */
#include <xxhash.h>

#include "internal.h"

void cs_dict_init(cs_dict *d)
{
	memset(d, 0, sizeof(*d));
}

void cs_dict_free(cs_dict *d)
{
	free(d->offsets);
	free(d->bytes);
	free(d->slots);
	free(d->mark);
	memset(d, 0, sizeof(*d));
}

size_t cs_dict_memory(const cs_dict *d)
{
	return d->offsets_cap * 4 + d->bytes_cap + d->nominal * sizeof(cs_dict_slot) +
	       d->mark_cap * 4;
}

uint64_t cs_dict_hash_keep = ~(uint64_t)0;

uint64_t cs_str_hash_long(const char *s, uint32_t len)
{
	return XXH3_64bits(s, len);
}

static inline uint32_t cs_tag(uint64_t h, uint32_t len)
{
	return ((uint32_t)(h >> 32) & ~0xffu) | (len < 255 ? len : 255);
}

/* n zeroed slots; a table of 2 MiB or more on huge pages where the system
 * gives them on request (a lookup misses the cache, and with 4 KiB pages
 * the TLB too) */
static cs_dict_slot *cs_slots_alloc(size_t n)
{
	return cs_calloc_big(n, sizeof(cs_dict_slot));
}

static int cs_dict_slots_to(cs_dict *d, size_t n)
{
	cs_dict_slot *s = cs_slots_alloc(n);
	if (!s)
		return COLSTORE_ENOMEM;
	for (uint32_t c = 0; c < d->count; c++) {
		const char *k = d->bytes + d->offsets[c];
		uint32_t len = d->offsets[c + 1] - d->offsets[c];
		uint64_t h = cs_dict_hash(k, len);
		size_t i = h & (n - 1);
		while (s[i].code1)
			i = (i + 1) & (n - 1);
		s[i].prefix = cs_str_prefix(k, len);
		s[i].tag = cs_tag(h, len);
		s[i].code1 = c + 1;
	}
	free(d->slots);
	d->slots = s;
	d->nslots = n;
	return COLSTORE_OK;
}

/* entry c against a key of len > 8 bytes whose first 8 it shares */
static inline int cs_dict_rest_eq(const cs_dict *d, uint32_t c, const char *s, uint32_t len)
{
	if (d->offsets[c + 1] - d->offsets[c] != len)
		return 0;
	const char *e = d->bytes + d->offsets[c];
	if (len > 16)
		return memcmp(e + 8, s + 8, len - 8) == 0;
	return cs_le64(e + len - 8) == cs_le64(s + len - 8); /* the last 8 bytes */
}

static __attribute__((noinline)) int cs_dict_add(cs_dict *d, const char *s, uint32_t len,
                                                 uint64_t pfx, uint32_t tag, size_t i,
                                                 uint32_t *code)
{
	uint32_t used = cs_dict_bytes_len(d);
	if (d->count >= UINT32_MAX - 1 || len > CS_MAX_STRING_BYTES - used)
		return COLSTORE_ELIMIT; /* §12: dictionary bytes < 2^31 */
	if ((size_t)d->count + 2 > d->offsets_cap) {
		size_t cap = d->offsets_cap ? d->offsets_cap * 2 : 1024;
		uint32_t *o = realloc(d->offsets, cap * sizeof(*o));
		if (!o)
			return COLSTORE_ENOMEM;
		d->offsets = o;
		d->offsets_cap = cap;
		if (d->count == 0)
			d->offsets[0] = 0;
	}
	if (!d->bytes || (size_t)used + len > d->bytes_cap) {
		size_t cap = d->bytes_cap ? d->bytes_cap : 4096;
		while (cap < (size_t)used + len)
			cap *= 2;
		char *b = realloc(d->bytes, cap);
		if (!b)
			return COLSTORE_ENOMEM;
		d->bytes = b;
		d->bytes_cap = cap;
	}
	if (len)
		memcpy(d->bytes + used, s, len);
	uint32_t c = d->count++;
	d->offsets[c + 1] = used + len;
	d->slots[i].prefix = pfx;
	d->slots[i].tag = tag;
	d->slots[i].code1 = c + 1;
	*code = c;
	return COLSTORE_OK;
}

int cs_dict_reserve(cs_dict *d, uint64_t n, size_t max)
{
	size_t want = 1024;
	while (want <= n * 2 && want <= max / sizeof(cs_dict_slot))
		want *= 2; /* the size doubling reaches at n entries */
	if (want > d->nslots && want <= max / sizeof(cs_dict_slot))
		return cs_dict_slots_to(d, want);
	return COLSTORE_OK;
}

int cs_dict_intern_h(cs_dict *d, const char *s, uint32_t len, uint64_t h, uint32_t *code)
{
	/* keep the load factor under 1/2 */
	if ((size_t)d->count * 2 >= d->nslots &&
	    cs_dict_slots_to(d, d->nslots ? d->nslots * 2 : 1024))
		return COLSTORE_ENOMEM;
	if ((size_t)d->count * 2 >= d->nominal)
		d->nominal = d->nominal ? d->nominal * 2 : 1024;
	uint64_t pfx = cs_str_prefix(s, len);
	uint32_t tag = cs_tag(h, len);
	size_t mask = d->nslots - 1, i = h & mask;
	for (const cs_dict_slot *v; (v = &d->slots[i])->code1 != 0; i = (i + 1) & mask) {
		if (v->tag != tag || v->prefix != pfx)
			continue;
		uint32_t c = v->code1 - 1;
		/* up to 8 bytes, the length (in the tag) and prefix say it all */
		if (len <= 8 || cs_dict_rest_eq(d, c, s, len)) {
			*code = c;
			return COLSTORE_OK;
		}
	}
	return cs_dict_add(d, s, len, pfx, tag, i, code);
}

int cs_dict_intern(cs_dict *d, const char *s, uint32_t len, uint32_t *code)
{
	return cs_dict_intern_h(d, s, len, cs_dict_hash(s, len), code);
}
