/*
 * agg_spill.c -- colstore_agg's groups that do not fit: unlinked temporary
 * files written through a buffer and mapped at the end; K_HASH runs of
 * sorted entries, merged in key order through a heap into one entry a key.
 */
#define _GNU_SOURCE /* fallocate */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"

/* ---- groups that do not fit: temporary files ------------------------------------- */

int cs_spill_open(cs_spill *sp, colstore_error *err)
{
	memset(sp, 0, sizeof(*sp));
	sp->fd = cs_tmp_unlinked("colstore-groups", sp->path, sizeof(sp->path));
	if (sp->fd < 0)
		return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
		              "cannot create a temporary file %s for the groups: %s", sp->path,
		              strerror(errno));
	sp->cap = (size_t)1 << 20;
	if (!(sp->buf = malloc(sp->cap))) {
		close(sp->fd);
		sp->fd = -1;
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	return COLSTORE_OK;
}

int cs_spill_flush(cs_spill *sp, colstore_error *err)
{
	int rc = cs_write_all(sp->fd, sp->buf, sp->used, sp->path, err);
	sp->off += sp->used;
	sp->used = 0;
	return rc;
}

int cs_spill_put(cs_spill *sp, const void *p, size_t n, colstore_error *err)
{
	const uint8_t *b = p;
	while (n) {
		int rc;
		if (sp->used == sp->cap && (rc = cs_spill_flush(sp, err)))
			return rc;
		size_t k = n < sp->cap - sp->used ? n : sp->cap - sp->used;
		memcpy(sp->buf + sp->used, b, k);
		sp->used += k;
		b += k;
		n -= k;
	}
	return COLSTORE_OK;
}

/* maps n bytes from off (a multiple of the page size), after a flush */
int cs_spill_map(cs_spill *sp, uint64_t off, size_t n, void **out, colstore_error *err)
{
	int rc = cs_spill_flush(sp, err);
	if (rc)
		return rc;
	return cs_map_fd(sp->fd, sp->path, off, n, out, err);
}

void cs_spill_close(cs_spill *sp)
{
	free(sp->buf);
	if (sp->fd >= 0)
		close(sp->fd);
}

/* A K_HASH group in a run: the entry's size and the key's length (u32
 * each), the record, the key bytes, then the strings of its string
 * min/max (whose offsets in the record are made relative to the entry);
 * padded to 8 bytes. */
int cs_put_entry(const colstore_agg *a, cs_spill *sp, const uint8_t *r, const uint8_t *key,
                 uint32_t klen, const char *strs, uint8_t **tmp, size_t *cap, colstore_error *err)
{
	size_t n = 8 + (size_t)a->rec_size + klen;
	for (uint32_t k = 0; k < a->nagg; k++)
		if (a->aggs[k].kind == AK_SMM)
			n += ((const cs_amm *)(const void *)(r + a->aggs[k].off))->v.s.len;
	n = (n + 7) & ~(size_t)7;
	if (n > UINT32_MAX)
		return cs_err(err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET, "a group's key is too long");
	if (cs_grow_bytes((void **)tmp, cap, n))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint8_t *e = *tmp, *rec = e + 8;
	uint32_t n32 = (uint32_t)n;
	memset(e, 0, n);
	memcpy(e, &n32, 4);
	memcpy(e + 4, &klen, 4);
	memcpy(rec, r, a->rec_size);
	if (klen)
		memcpy(rec + a->rec_size, key, klen);
	size_t at = 8 + (size_t)a->rec_size + klen;
	for (uint32_t k = 0; k < a->nagg; k++)
		if (a->aggs[k].kind == AK_SMM) {
			cs_amm *m = (cs_amm *)(void *)(rec + a->aggs[k].off);
			if (m->v.s.len)
				memcpy(e + at, strs + m->v.s.off, m->v.s.len);
			m->v.s.off = (uint32_t)at;
			at += m->v.s.len;
		}
	return cs_spill_put(sp, e, n, err);
}

/* the entry a run is at, in its buffer */
static inline const uint8_t *cs_hrun_entry(const cs_hrun *h)
{
	return h->buf + (h->at - h->boff);
}

/* makes the next want bytes of a run be in its buffer: reads from h->at,
 * chunk bytes or more; what the buffer held is dropped from the page cache */
static int cs_hrun_load(cs_spill *sp, cs_hrun *h, size_t want, size_t chunk, colstore_error *err)
{
	if (h->at + want <= h->boff + h->len)
		return COLSTORE_OK;
	if (h->len)
		(void)posix_fadvise(sp->fd, (off_t)h->boff, (off_t)h->len, POSIX_FADV_DONTNEED);
	size_t n = want > chunk ? want : chunk;
	if (n > h->end - h->at)
		n = (size_t)(h->end - h->at);
	if (n < want || cs_grow_bytes((void **)&h->buf, &h->cap, n))
		return cs_err(err, n < want ? COLSTORE_EIO : COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
		              n < want ? "a run of groups in %s ends inside an entry" : "out of memory",
		              sp->path);
	for (size_t got = 0; got < n;) {
		ssize_t k = pread(sp->fd, h->buf + got, n - got, (off_t)(h->at + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "cannot read %s: %s", sp->path,
			              k < 0 ? strerror(errno) : "short read");
		got += (size_t)k;
	}
	h->boff = h->at;
	h->len = n;
	return COLSTORE_OK;
}

/* the whole entry a run is at, in its buffer */
static int cs_hrun_ready(cs_spill *sp, cs_hrun *h, size_t chunk, colstore_error *err)
{
	int rc = cs_hrun_load(sp, h, 8, chunk, err);
	uint32_t elen;
	if (rc)
		return rc;
	memcpy(&elen, cs_hrun_entry(h), 4);
	return cs_hrun_load(sp, h, elen < 8 ? 8 : elen, chunk, err);
}

static inline int cs_hrun_less(const colstore_agg *a, const cs_hrun *x, const cs_hrun *y)
{
	return cs_keys_cmp(a, cs_entry_key(a, cs_hrun_entry(x)), cs_entry_key(a, cs_hrun_entry(y))) <
	       0;
}

static void cs_heap_down(const colstore_agg *a, cs_hrun **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && cs_hrun_less(a, h[l], h[m]))
			m = l;
		if (l + 1 < n && cs_hrun_less(a, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		cs_hrun *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* a merged group, written out: its entry, and the entry's offset to the index */
static int cs_emit(colstore_agg *a, cs_spill *sp, cs_spill *ix, const uint8_t *rec,
                   const uint8_t *key, uint32_t klen, const char *strs, uint8_t **tmp, size_t *cap,
                   colstore_error *err)
{
	int rc;
	for (uint32_t k = 0; k < a->nagg; k++) /* integer sums must fit int64 */
		if ((rc = cs_check_sum(&a->aggs[k], rec, err)))
			return rc;
	uint64_t at = cs_spill_pos(sp);
	rc = cs_put_entry(a, sp, rec, key, klen, strs, tmp, cap, err);
	if (!rc)
		rc = cs_spill_put(ix, &at, 8, err);
	a->ngroups++;
	return rc;
}

/* K_HASH runs merged in key order, the entries of one key into one: the
 * merged entries appended to the run file, their offsets to an index file;
 * both mapped, the runs' space given back.  The runs are read through a
 * buffer each (a mapping of hundreds of runs read in turn would have the
 * kernel read ahead more than a memory cap keeps). */
int cs_merge_runs(colstore_agg *a, uint64_t limit, colstore_error *err)
{
	cs_spill *sp = &a->hsp, ix;
	size_t n = a->nhrun;
	a->ngroups = 0;
	int rc = cs_spill_flush(sp, err);
	uint64_t runs_end = cs_spill_pos(sp);
	if (rc || !runs_end)
		return rc; /* no groups */
	if ((rc = cs_spill_open(&ix, err)))
		return rc;
	size_t chunk = (size_t)(limit / 8 / (n ? n : 1));
	chunk = chunk < 16384 ? 16384 : chunk > ((size_t)1 << 20) ? (size_t)1 << 20 : chunk;
	cs_hrun **h = malloc((n ? n : 1) * sizeof(*h));
	uint8_t *acc = malloc(a->rec_size), *tmp = NULL, *akey = NULL;
	size_t tcap = 0, kcap = 0;
	cs_state accst = { 0 }; /* the strings of acc's string min/max */
	uint32_t aklen = 0;
	int have = 0;
	if (!acc || !h)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		h[i] = &a->hrun[i];
		rc = cs_hrun_ready(sp, h[i], chunk, err);
	}
	for (size_t i = n / 2; i-- > 0 && !rc;)
		cs_heap_down(a, h, n, i);
	while (n && !rc) {
		const uint8_t *e = cs_hrun_entry(h[0]);
		uint32_t elen, klen;
		memcpy(&elen, e, 4);
		memcpy(&klen, e + 4, 4);
		const uint8_t *rec = e + 8, *key = cs_entry_key(a, e);
		if ((uint64_t)elen < 8 + (uint64_t)a->rec_size + klen) {
			rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "a bad entry in %s", sp->path);
			break;
		}
		if (have && klen == aklen && memcmp(key, akey, klen) == 0) {
			cs_state src = { .strs = (char *)(uintptr_t)e };
			if (cs_merge_rec(a, &accst, acc, &src, rec))
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		} else {
			if (have)
				rc = cs_emit(a, sp, &ix, acc, akey, aklen, accst.strs, &tmp, &tcap, err);
			memcpy(acc, rec, a->rec_size);
			accst.strs_len = 0;
			for (uint32_t k = 0; k < a->nagg && !rc; k++) {
				cs_amm *m = (cs_amm *)(void *)(acc + a->aggs[k].off);
				if (a->aggs[k].kind == AK_SMM && m->n &&
				    cs_keep_string(&accst, m, (const char *)e + m->v.s.off, m->v.s.len))
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			}
			if (!rc && cs_grow_bytes((void **)&akey, &kcap, (size_t)klen + 1))
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			if (!rc && klen)
				memcpy(akey, key, klen);
			aklen = klen;
			have = 1;
		}
		h[0]->at += elen;
		if (h[0]->at >= h[0]->end)
			h[0] = h[--n];
		else if (!rc)
			rc = cs_hrun_ready(sp, h[0], chunk, err);
		if (!rc)
			cs_heap_down(a, h, n, 0);
	}
	if (have && !rc)
		rc = cs_emit(a, sp, &ix, acc, akey, aklen, accst.strs, &tmp, &tcap, err);
	for (size_t i = 0; i < a->nhrun; i++)
		free(a->hrun[i].buf);
	free(h);
	free(acc);
	free(tmp);
	free(akey);
	cs_state_free(&accst);
	uint64_t end = cs_spill_pos(sp);
	a->spill_bytes += end - runs_end + cs_spill_pos(&ix);
	if (!rc) {
		a->hruns_size = (size_t)end;
		rc = cs_spill_map(sp, 0, a->hruns_size, (void **)&a->hruns, err);
	}
	if (!rc) {
		a->hidx_size = (size_t)cs_spill_pos(&ix);
		rc = cs_spill_map(&ix, 0, a->hidx_size, (void **)&a->hidx, err);
	}
#ifdef FALLOC_FL_PUNCH_HOLE
	if (!rc) /* the runs are read: their blocks back to the file system */
		(void)fallocate(sp->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		                (off_t)(runs_end & ~(uint64_t)4095));
#endif
	cs_spill_close(&ix);
	return rc;
}
