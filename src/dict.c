/*
 * dict.c -- string interning for dictionary-encoded columns.
 *
 * Entries live back to back in one growable arena (bytes) indexed by an
 * offsets array, which is exactly the on-disk dictionary layout of
 * format-spec.md §9.6, so finishing a column writes the two arrays as they
 * are.  Lookup is open addressing with linear probing over codes; each
 * code's hash is kept so that growing the table never rehashes the bytes.
 */
#include <stdlib.h>

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
	return d->offsets_cap * 4 + d->bytes_cap + d->nslots * 8 + d->mark_cap * 4;
}

static int cs_dict_grow_slots(cs_dict *d)
{
	size_t n = d->nslots ? d->nslots * 2 : 1024;
	uint64_t *s = calloc(n, sizeof(*s));
	if (!s)
		return COLSTORE_ENOMEM;
	for (size_t k = 0; k < d->nslots; k++) {
		uint64_t v = d->slots[k];
		if (!v)
			continue;
		size_t i = (v >> 32) & (n - 1);
		while (s[i])
			i = (i + 1) & (n - 1);
		s[i] = v;
	}
	free(d->slots);
	d->slots = s;
	d->nslots = n;
	return COLSTORE_OK;
}

int cs_dict_intern(cs_dict *d, const char *s, uint32_t len, uint32_t *code)
{
	/* keep the load factor under 1/2 */
	if ((size_t)d->count * 2 >= d->nslots && cs_dict_grow_slots(d))
		return COLSTORE_ENOMEM;
	uint32_t h = (uint32_t)XXH3_64bits(s, len);
	size_t mask = d->nslots - 1, i = h & mask;
	for (uint64_t v; (v = d->slots[i]) != 0; i = (i + 1) & mask) {
		if ((uint32_t)(v >> 32) != h)
			continue;
		uint32_t c = (uint32_t)v - 1;
		if (d->offsets[c + 1] - d->offsets[c] == len &&
		    memcmp(d->bytes + d->offsets[c], s, len) == 0) {
			*code = c;
			return COLSTORE_OK;
		}
	}
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
	d->slots[i] = ((uint64_t)h << 32) | (c + 1);
	*code = c;
	return COLSTORE_OK;
}
