/*
 * sink.c -- buffered output, for the writer's file and the exports' (cs_out,
 * internal.h), and the error of an Arrow stream's callback.
 */
#include <errno.h>
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

size_t cs_test_wb, cs_test_wb_odd; /* (internal.h) */

int cs_out_init(cs_out *o, int fd, uint64_t pos, const char *path, colstore_error *err)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->pos = pos;
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
	if (o->pos % o->piece)
		cs_test_wb_odd++; /* (only the last write of a file should) */
	return cs_write_all(o->fd, p, n, o->path, o->err);
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
