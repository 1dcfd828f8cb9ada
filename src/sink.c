/*
 * sink.c -- what the export writers share: buffered output (one buffer
 * allocated once, written out with cs_write_all when full) and the error of
 * a stream callback.
 */
#include <errno.h>
#include <stdlib.h>

#include "export.h"

#define CS_OUT_CAP (1u << 20)

int cs_out_init(cs_out *o, int fd, const char *path, colstore_error *err)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->path = path;
	o->err = err;
	o->buf = malloc(CS_OUT_CAP);
	if (!o->buf)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	o->cap = CS_OUT_CAP;
	return COLSTORE_OK;
}

int cs_out_flush(cs_out *o)
{
	if (!o->len)
		return COLSTORE_OK;
	int rc = cs_write_all(o->fd, o->buf, o->len, o->path, o->err);
	o->len = 0;
	return rc;
}

int cs_out_write(cs_out *o, const void *p, size_t n)
{
	o->pos += n;
	if (n > o->cap - o->len) {
		int rc = cs_out_flush(o);
		if (rc)
			return rc;
		if (n >= o->cap) /* large: straight through */
			return cs_write_all(o->fd, p, n, o->path, o->err);
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
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
	o->len = o->cap = 0;
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
