/*
 * agg_state.c -- colstore_agg's states: a worker's (or the result's)
 * records, the hash table of K_HASH keys, the arena of string min/max, and
 * the merge of one state's groups into another's.
 */
#include <stdlib.h>
#include <string.h>

#include "agg.h"

/* ---- states: records, hash table, string arena --------------------------------- */

void cs_state_free(cs_state *st)
{
	if (st->recs_mapped)
		cs_unmap(st->recs, st->recs_mapped);
	else
		free(st->recs);
	free(st->key_off);
	free(st->key_len);
	free(st->keys);
	free(st->slots);
	free(st->strs);
	memset(st, 0, sizeof(*st));
}

int cs_state_init(const colstore_agg *a, cs_state *st)
{
	memset(st, 0, sizeof(*st));
	uint64_t n = 0;
	switch (a->key) {
	case K_NONE: n = 1; break;
	case K_DICT: n = (uint64_t)a->r->columns[a->gb[0]].dict_count + 1; break; /* + null */
	case K_INT: n = a->key_slots; break;
	default: return 0;
	}
	if (a->parts > 1)
		n = a->part_n;
	size_t bytes = (size_t)n * a->rec_size;
	if (bytes >= ((size_t)4 << 20)) {
		/* a large dense array: its own mapping, in huge pages where the
		 * kernel has them (first touches fault 2 MiB at a time, not 4 KiB;
		 * a fault is dear on a VM) */
		void *m = cs_map_anon(bytes);
		if (!m)
			return -1;
		st->recs = m;
		st->recs_mapped = bytes;
	} else if (!(st->recs = calloc(n, a->rec_size))) {
		return -1;
	}
	st->nrec = st->cap = n;
	return 0;
}

/* bytes a K_HASH state's groups use (its arrays may hold up to twice as
 * many, having doubled) */
uint64_t cs_state_bytes(const colstore_agg *a, const cs_state *st)
{
	return st->nrec * ((uint64_t)a->rec_size + 12 + 2 * sizeof(cs_slot)) + st->keys_len +
	       st->strs_len;
}

/* no groups; the memory is kept for the next ones */
void cs_state_reset(cs_state *st)
{
	st->nrec = 0;
	st->keys_len = 0;
	st->strs_len = 0;
	if (st->slots)
		memset(st->slots, 0, st->nslots * sizeof(*st->slots));
}

/* the group of these key bytes (h: their cs_key_hash), added when new; -1
 * when out of memory */
int64_t cs_group(const colstore_agg *a, cs_state *st, const uint8_t *key, size_t len, uint32_t h)
{
	if (st->nrec * 2 >= st->nslots) {
		size_t n = st->nslots ? st->nslots * 2 : 1024;
		cs_slot *sl = cs_calloc_big(n, sizeof(*sl));
		if (!sl)
			return -1;
		for (size_t k = 0; k < st->nslots; k++)
			if (st->slots[k].g1) {
				size_t i = st->slots[k].h & (n - 1);
				while (sl[i].g1)
					i = (i + 1) & (n - 1);
				sl[i] = st->slots[k];
			}
		free(st->slots);
		st->slots = sl;
		st->nslots = n;
	}
	const uint64_t klen = len < CS_KLEN_BIG ? len : CS_KLEN_BIG;
	size_t mask = st->nslots - 1, i = h & mask;
	for (const cs_slot *sl; (sl = &st->slots[i])->g1 != 0; i = (i + 1) & mask) {
		if (sl->h != h || (sl->kpos & CS_KLEN_BIG) != klen)
			continue;
		if (klen == CS_KLEN_BIG && st->key_len[sl->g1 - 1] != len)
			continue;
		if (memcmp(st->keys + (sl->kpos >> 24), key, len) == 0)
			return (int64_t)sl->g1 - 1;
	}
	if (st->nrec >= UINT32_MAX - 1)
		return -1;
	if (st->nrec == st->cap) {
		uint64_t cap = st->cap ? st->cap * 2 : 256;
		uint64_t *ko = cs_realloc_big(st->key_off, st->cap * sizeof(*ko), cap * sizeof(*ko));
		if (ko)
			st->key_off = ko;
		uint32_t *kl = cs_realloc_big(st->key_len, st->cap * sizeof(*kl), cap * sizeof(*kl));
		if (kl)
			st->key_len = kl;
		uint8_t *rc = cs_realloc_big(st->recs, st->cap * a->rec_size, cap * a->rec_size);
		if (rc)
			st->recs = rc;
		if (!ko || !kl || !rc)
			return -1;
		st->cap = cap;
	}
	if (st->keys_len + len >= (uint64_t)1 << 40 ||
	    cs_grow_bytes((void **)&st->keys, &st->keys_cap, st->keys_len + len + 1))
		return -1;
	uint64_t g = st->nrec++;
	if (len)
		memcpy(st->keys + st->keys_len, key, len);
	st->key_off[g] = st->keys_len;
	st->key_len[g] = (uint32_t)len;
	st->keys_len += len;
	memset(cs_rec(a, st, g), 0, a->rec_size);
	st->slots[i] = (cs_slot){ h, (uint32_t)(g + 1), st->key_off[g] << 24 | klen };
	return (int64_t)g;
}

/* keep a string for a min/max; -1 when out of memory */
int cs_keep_string(cs_state *st, cs_amm *m, const char *s, uint32_t len)
{
	if (cs_grow_bytes((void **)&st->strs, &st->strs_cap, st->strs_len + len + 1))
		return -1;
	if (len)
		memcpy(st->strs + st->strs_len, s, len);
	m->v.s.off = (uint32_t)st->strs_len; /* the arena only grows: old copies stay */
	m->v.s.len = len;
	st->strs_len += len;
	return 0;
}

/* ---- merging workers ------------------------------------------------------------------ */

int cs_merge_rec(const colstore_agg *a, cs_state *dst, uint8_t *x, const cs_state *src,
                 const uint8_t *y)
{
	*(int64_t *)(void *)x += *(const int64_t *)(const void *)y;
	for (uint32_t k = 0; k < a->nagg; k++) {
		const cs_aggspec *s = &a->aggs[k];
		uint8_t *p = x + s->off;
		const uint8_t *q = y + s->off;
		const int want_min = s->fn == A_MIN;
		switch (s->kind) {
		case AK_ROWS:
		case AK_DISTINCT:
		case AK_QUANT: break;
		case AK_HLL: {
			cs_ahll *u = (cs_ahll *)(void *)p;
			const cs_ahll *t = (const cs_ahll *)(const void *)q;
			for (uint32_t j = 0; j < CS_HLL_M; j++)
				u->r[j] = t->r[j] > u->r[j] ? t->r[j] : u->r[j];
			break;
		}
		case AK_COUNT: ((cs_acount *)(void *)p)->n += ((const cs_acount *)(const void *)q)->n; break;
		case AK_ISUM: {
			cs_aisum *u = (cs_aisum *)(void *)p;
			const cs_aisum *t = (const cs_aisum *)(const void *)q;
			u->n += t->n;
			cs_i128_add128(&u->s, &t->s);
			break;
		}
		case AK_FSUM: {
			cs_afsum *u = (cs_afsum *)(void *)p;
			const cs_afsum *t = (const cs_afsum *)(const void *)q;
			u->n += t->n;
			cs_fsum_merge(&u->f, &t->f);
			break;
		}
		case AK_VAR: cs_var_merge((cs_avar *)(void *)p, (const cs_avar *)(const void *)q); break;
		default: {
			cs_amm *u = (cs_amm *)(void *)p;
			const cs_amm *t = (const cs_amm *)(const void *)q;
			if (!t->n)
				break;
			int take;
			if (!u->n)
				take = 1;
			else if (s->kind == AK_IMM)
				take = want_min ? t->v.i < u->v.i : t->v.i > u->v.i;
			else if (s->kind == AK_FMM)
				take = cs_fbetter(t->v.d, u->v.d, want_min);
			else
				take = (want_min ? 1 : -1) * cs_bytes_cmp(src->strs + t->v.s.off, t->v.s.len,
				                                          dst->strs + u->v.s.off,
				                                          u->v.s.len) < 0;
			if (take) {
				if (s->kind == AK_SMM) {
					if (cs_keep_string(dst, u, src->strs + t->v.s.off, t->v.s.len))
						return -1;
				} else {
					u->v = t->v;
				}
			}
			u->n += t->n;
			break;
		}
		}
	}
	return 0;
}

/* dense groups (K_INT, K_DICT) and no string min/max (whose arena is the
 * destination's, grown by any record): record g meets record g, so parts of
 * the groups merge on threads of their own */
typedef struct cs_merge_par {
	const colstore_agg *a;
	cs_state *dst;
	const cs_state *src;
} cs_merge_par;

static void cs_merge_part(void *ctx, uint32_t t, uint32_t nt)
{
	const cs_merge_par *p = ctx;
	const uint64_t n = p->src->nrec, lo = n * t / nt, hi = n * (t + 1) / nt;
	for (uint64_t g = lo; g < hi; g++) {
		const uint8_t *y = cs_rec(p->a, p->src, g);
		if (*(const int64_t *)(const void *)y)
			(void)cs_merge_rec(p->a, p->dst, cs_rec(p->a, p->dst, g), p->src, y);
	}
}

/* groups at least this many merge on nt threads */
#define CS_MERGE_PAR_MIN 65536u

int cs_merge_state(colstore_agg *a, cs_state *dst, const cs_state *src, uint32_t nt)
{
	int smm = 0;
	for (uint32_t k = 0; k < a->nagg; k++)
		smm |= a->aggs[k].kind == AK_SMM;
	if ((a->key == K_INT || a->key == K_DICT) && !smm && nt > 1 &&
	    src->nrec >= CS_MERGE_PAR_MIN) {
		cs_merge_par p = { a, dst, src };
		cs_par(nt < CS_PAR_MAX ? nt : CS_PAR_MAX, cs_merge_part, &p);
		return 0;
	}
	for (uint64_t g = 0; g < src->nrec; g++) {
		const uint8_t *y = cs_rec(a, src, g);
		if (!*(const int64_t *)(const void *)y && a->key != K_NONE)
			continue;
		uint64_t d = g;
		if (a->key == K_HASH) {
			const uint8_t *key = src->keys + src->key_off[g];
			int64_t t = cs_group(a, dst, key, src->key_len[g],
			                     cs_key_hash(key, src->key_len[g]));
			if (t < 0)
				return -1;
			d = (uint64_t)t;
		}
		if (cs_merge_rec(a, dst, cs_rec(a, dst, d), src, y))
			return -1;
	}
	return 0;
}
