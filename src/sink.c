/*
 * sink.c -- buffered output, for the writer's file and the exports' (cs_out,
 * internal.h), and the error of an Arrow stream's callback.
 */
#define _GNU_SOURCE /* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "export.h"

/* The output goes out in pieces of CS_OUT_PIECE bytes that begin at its
 * multiples of the file.  A kernel that caches files in large folios (Linux
 * 6.16 and later on ext4) then keeps a file just written in 64 KiB folios,
 * which are read back a third faster than the mix of sizes that a write per
 * block and per pad leaves (bench/bw.c on the 1 GB bench file just imported:
 * 16.7 against 12.4 GB/s by pread at one thread, 32.9 against 22.5 at two).
 * Larger pieces read a little faster still but made the import slower, the
 * kernel's copy into larger folios being dearer: 256 KiB ones by 3%, 2 MiB
 * ones by 7% (the 1 GB import at 2 threads). */
#define CS_OUT_PIECE ((size_t)64 << 10)

/* Every CS_OUT_BEHIND bytes, the writeback of what was written is started
 * (sync_file_range, SYNC_FILE_RANGE_WRITE: it does not wait for it), so the
 * fsync that commits the file waits for its last few MiB, not all of it:
 * nothing else writes a fresh file back before that fsync on a machine with
 * memory to spare.  flights-3m's import at 2 threads: the fsync 13.4-14.3 ->
 * 3.2-3.4 ms, for 4 calls of 0.3 ms each; the 1 GB bench file's fsync took
 * 108 ms. */
#define CS_OUT_BEHIND ((uint64_t)4 << 20)

size_t cs_test_wb, cs_test_wb_odd; /* (internal.h) */

int cs_out_init(cs_out *o, int fd, uint64_t pos, const char *path, colstore_error *err)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->pos = o->behind = pos;
	o->path = path;
	o->err = err;
	o->piece = cs_test_wb && cs_test_wb < CS_OUT_PIECE ? cs_test_wb : CS_OUT_PIECE;
	o->buf = malloc(o->piece);
	if (!o->buf)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	return COLSTORE_OK;
}

/* n bytes that end at the file's o->pos */
static int cs_out_put(cs_out *o, const void *p, size_t n)
{
	if (o->pos % o->piece) /* (only the last write of a file should) */
		__atomic_fetch_add(&cs_test_wb_odd, 1, __ATOMIC_RELAXED);
	int rc = cs_write_all(o->fd, p, n, o->path, o->err);
#ifdef SYNC_FILE_RANGE_WRITE
	if (!rc && o->behind != UINT64_MAX && o->pos - o->behind >= CS_OUT_BEHIND) {
		/* (all of [behind, pos) is written: nothing is held back) */
		if (sync_file_range(o->fd, (off_t)o->behind, (off_t)(o->pos - o->behind),
		                    SYNC_FILE_RANGE_WRITE) == 0)
			o->behind = o->pos;
		else
			o->behind = UINT64_MAX; /* a pipe, say: not again */
	}
#endif
	return rc;
}

int cs_out_flush(cs_out *o)
{
	if (!o->len)
		return COLSTORE_OK;
	size_t n = o->len;
	o->len = 0;
	return cs_out_put(o, o->buf, n);
}

/* held back until the bytes reach a multiple of the piece; a whole piece
 * from such a multiple is written from p as it is */
int cs_out_write(cs_out *o, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		size_t room = o->piece - (size_t)(o->pos % o->piece);
		size_t k = n < room ? n : room;
		int rc;
		o->pos += k; /* (before the write it ends: cs_out_put reads it) */
		if (o->len == 0 && k == o->piece) {
			rc = cs_out_put(o, b, k);
		} else {
			memcpy(o->buf + o->len, b, k);
			o->len += k;
			rc = k == room ? cs_out_flush(o) : COLSTORE_OK;
		}
		if (rc)
			return rc; /* (the caller fails or aborts after it) */
		b += k;
		n -= k;
	}
	return COLSTORE_OK;
}

int cs_out_zeros(cs_out *o, size_t n)
{
	static const uint8_t zeros[64];
	while (n) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
		int rc = cs_out_write(o, zeros, k);
		if (rc)
			return rc;
		n -= k;
	}
	return COLSTORE_OK;
}

void cs_out_free(cs_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = 0;
}

int cs_stream_error(struct ArrowArrayStream *s, int e, const char *what, colstore_error *err)
{
	const char *m = s->get_last_error ? s->get_last_error(s) : NULL;
	int code = e == ENOMEM ? COLSTORE_ENOMEM : e == EINVAL ? COLSTORE_EINVAL : COLSTORE_EIO;
	if (m && *m)
		return cs_err(err, code, COLSTORE_NO_OFFSET, "arrow stream %s: %s", what, m);
	return cs_err(err, code, COLSTORE_NO_OFFSET, "arrow stream %s failed: %s", what,
	              strerror(e));
}
