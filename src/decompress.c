/*
 * decompress.c -- a compressed CSV input (gzip, zstd or LZ4 frame, known by
 * its magic bytes whatever its name), decompressed once into an unlinked
 * temporary file that the import then maps and reads twice, as it would
 * the input itself.  Memory stays two buffers; the disk holds the
 * decompressed text while the import runs (in $TMPDIR).  Concatenated gzip
 * members, zstd frames and LZ4 frames are read one after another; the
 * compressed pages read leave memory in steps (cs_release_behind), or the
 * whole mapped input would stay resident.
 *
 * A large input is decompressed on a thread of its own (cs_dz_start) while
 * pass 1 reads the text written so far: the temporary file is mapped once
 * over a span of address space far larger than it will be, and the thread
 * says how many of its bytes are written (cs_dz_wait).  No byte past that
 * count is read; when the thread is done the file is mapped again only in
 * the rare case that it outgrew the span.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "import.h"

struct cs_dz {
	const uint8_t *in; /* the compressed input, mapped */
	size_t n;
	const char *what;
	int fd;
	char tpath[4096];
	char *buf;
	uint64_t total; /* bytes written (the thread's) */
	/* streamed: shared under mu */
	int streamed;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t avail; /* bytes written and readable through view */
	int done, cancel, rc;
	colstore_error err;
	const uint8_t *view; /* the span */
	size_t view_len;
	/* an input of independent frames of known sizes, decoded in parallel
	 * (cs_dz_frames): the next to take, done flags, the next to publish */
	struct cs_zframe *frames;
	size_t nframes, next, pub;
	uint8_t *fdone;
	uint32_t workers;
	size_t bad;  /* the first frame that failed (nframes: none) */
};

/* at most this many frames are decoded in parallel (32 MiB of cs_zframe:
 * BGZF members hold 64 KiB of text each, so 64 GiB of it) */
#define CS_ZFRAMES_MAX ((size_t)1 << 20)
/* and with this much of decoders' windows at most (pzstd's frames need a
 * few MiB each; one written with --long=27 needs 128 MiB, and is decoded
 * in order) */
#define CS_ZFRAMES_MEM ((uint64_t)64 << 20)

/* one frame: where it lies in the input, and where its text goes */
typedef struct cs_zframe {
	uint64_t in, in_len, out, out_len;
} cs_zframe;

const char *cs_compressed(const uint8_t *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "gzip";
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return "zstd";
	/* a zstd skippable frame first, as pzstd writes (0x184D2A50 to 5F) */
	if (n >= 8 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
		return "zstd";
	if (n >= 4 && p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4d && p[3] == 0x18)
		return "lz4";
	return NULL;
}

static int cs_dz_bad(colstore_error *err, const char *what, uint64_t at, const char *why)
{
	return cs_imp_at(err, COLSTORE_EPARSE, 0, 0, "the %s data is damaged near byte %llu: %s",
	                 what, (unsigned long long)at, why);
}

/* n decompressed bytes out: into the file, and told to the readers */
static int cs_dz_put(cs_dz *z, size_t n, colstore_error *err)
{
	if (!n)
		return COLSTORE_OK;
	int rc = cs_write_all(z->fd, z->buf, n, z->tpath, err);
	if (rc)
		return rc;
	z->total += n;
	if (z->streamed) {
		pthread_mutex_lock(&z->mu);
		z->avail = z->total;
		rc = z->cancel ? COLSTORE_EINVAL : COLSTORE_OK;
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
		if (rc)
			return cs_err(err, rc, COLSTORE_NO_OFFSET, "import cancelled");
	}
	return COLSTORE_OK;
}

static int cs_gunzip(cs_dz *z, colstore_error *err)
{
	const uint8_t *in = z->in;
	size_t n = z->n;
	z_stream s;
	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 15 + 16) != Z_OK)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	size_t at = 0;
	uint64_t released = 0;
	int rc = COLSTORE_OK;
	while (!rc) {
		size_t chunk = n - at > (1u << 30) ? (1u << 30) : n - at;
		s.next_in = (Bytef *)(in + at);
		s.avail_in = (uInt)chunk;
		s.next_out = (Bytef *)z->buf;
		s.avail_out = (uInt)cs_stream.out;
		int zr = inflate(&s, Z_NO_FLUSH);
		at += chunk - s.avail_in;
		size_t got = cs_stream.out - s.avail_out;
		if ((rc = cs_dz_put(z, got, err)))
			break;
		cs_release_behind(in, &released, at);
		if (zr == Z_STREAM_END) {
			/* another member may follow (cat a.gz b.gz); padding zeros end it */
			while (at < n && in[at] == 0)
				at++;
			if (at >= n)
				break;
			if (inflateReset(&s) != Z_OK)
				rc = cs_dz_bad(err, "gzip", at, "a member cannot start");
			continue;
		}
		if (zr == Z_BUF_ERROR && at >= n && got == 0) {
			rc = cs_dz_bad(err, "gzip", at, "it ends before its last member does");
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			rc = cs_dz_bad(err, "gzip", at, s.msg ? s.msg : "not gzip data");
	}
	inflateEnd(&s);
	return rc;
}

static int cs_unzstd(cs_dz *z, colstore_error *err)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	if (!d)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	ZSTD_inBuffer ib = { z->in, z->n, 0 };
	uint64_t released = 0;
	int rc = COLSTORE_OK;
	size_t last = 1;
	while (!rc && (ib.pos < ib.size || last)) {
		ZSTD_outBuffer ob = { z->buf, cs_stream.out, 0 };
		size_t before = ib.pos;
		last = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(last)) {
			rc = cs_dz_bad(err, "zstd", ib.pos, ZSTD_getErrorName(last));
			break;
		}
		if ((rc = cs_dz_put(z, ob.pos, err)))
			break;
		cs_release_behind(z->in, &released, ib.pos);
		if (ib.pos >= ib.size && last && ob.pos == 0 && ib.pos == before) {
			rc = cs_dz_bad(err, "zstd", ib.pos, "it ends inside a frame");
			break;
		}
	}
	ZSTD_freeDStream(d);
	return rc;
}

static int cs_unlz4(cs_dz *z, colstore_error *err)
{
	LZ4F_dctx *d;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	size_t at = 0, hint = 1, n = z->n;
	uint64_t released = 0;
	int rc = COLSTORE_OK;
	while (!rc && (at < n || hint)) {
		size_t src = n - at, dst = cs_stream.out;
		hint = LZ4F_decompress(d, z->buf, &dst, z->in + at, &src, NULL);
		if (LZ4F_isError(hint)) {
			rc = cs_dz_bad(err, "LZ4", at, LZ4F_getErrorName(hint));
			break;
		}
		at += src;
		if ((rc = cs_dz_put(z, dst, err)))
			break;
		cs_release_behind(z->in, &released, at);
		if (at >= n && hint && dst == 0) {
			rc = cs_dz_bad(err, "LZ4", at, "it ends inside a frame");
			break;
		}
	}
	LZ4F_freeDecompressionContext(d);
	return rc;
}

static int cs_dz_run(cs_dz *z, colstore_error *err)
{
	return z->what[0] == 'g' ? cs_gunzip(z, err)
	       : z->what[0] == 'z' ? cs_unzstd(z, err)
	                           : cs_unlz4(z, err);
}

static cs_dz *cs_dz_new(const void *data, size_t size, const char *what, colstore_error *err)
{
	cs_dz *z = calloc(1, sizeof(*z));
	if (!z || !(z->buf = malloc(cs_stream.out))) {
		free(z);
		cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		return NULL;
	}
	z->in = data;
	z->n = size;
	z->what = what;
	z->fd = cs_tmp_unlinked("colstore-unpacked", z->tpath, sizeof(z->tpath));
	if (z->fd < 0) {
		cs_err_errno(err, errno, "cannot create a temporary file", z->tpath);
		free(z->buf);
		free(z);
		return NULL;
	}
	return z;
}

static void cs_dz_close(cs_dz *z)
{
	if (z->fd >= 0)
		close(z->fd);
	free(z->frames);
	free(z->fdone);
	free(z->buf);
	free(z);
}

int cs_decompress(const void *data, size_t size, const void **out, size_t *out_size,
                  const char **what, colstore_error *err)
{
	*out = NULL;
	*out_size = 0;
	*what = cs_compressed(data, size);
	if (!*what)
		return COLSTORE_OK;
	cs_dz *z = cs_dz_new(data, size, *what, err);
	if (!z)
		return err ? err->code : COLSTORE_ENOMEM;
	int rc = cs_dz_run(z, err);
	rc = cs_map_spool(z->fd, z->tpath, rc, z->total, out, out_size, err);
	z->fd = -1; /* (closed) */
	cs_dz_close(z);
	return rc;
}

/* ---- independent frames, decoded in parallel ---------------------------- */

static int cs_zframe_add(cs_dz *z, size_t *cap, uint64_t in, uint64_t in_len, uint64_t out_len)
{
	if (z->nframes == *cap) {
		if (*cap >= CS_ZFRAMES_MAX)
			return 0; /* (a million frames of 28 bytes: read in order) */
		size_t c = *cap ? *cap * 2 : 256;
		cs_zframe *f = realloc(z->frames, c * sizeof(*f));
		if (!f)
			return 0;
		z->frames = f;
		*cap = c;
	}
	uint64_t out = z->nframes ? z->frames[z->nframes - 1].out + z->frames[z->nframes - 1].out_len : 0;
	if (out + out_len < out)
		return 0;
	z->frames[z->nframes++] = (cs_zframe){ in, in_len, out, out_len };
	return 1;
}

/* the length of the zstd frame at in + at (RFC 8878, 3.1), from its
 * header and its blocks' headers, or 0 when it runs past n or is not one;
 * the pages walked leave memory as it goes (a frame of 300 MB is 2,400
 * blocks: as many pages, and the kernel maps those around them too) */
static uint64_t cs_zstd_frame_len(const uint8_t *in, size_t n, size_t at, uint64_t *released,
                                  uint64_t *window)
{
	const uint8_t *p = in + at;
	size_t left = n - at;
	if (left >= 8 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18) {
		uint64_t size = p[4] | (uint64_t)p[5] << 8 | (uint64_t)p[6] << 16 | (uint64_t)p[7] << 24;
		return size <= left - 8 ? 8 + size : 0; /* a skippable frame */
	}
	if (left < 6 || p[0] != 0x28 || p[1] != 0xb5 || p[2] != 0x2f || p[3] != 0xfd)
		return 0;
	unsigned fhd = p[4], fcs = fhd >> 6, single = (fhd >> 5) & 1;
	static const unsigned did_len[4] = { 0, 1, 2, 4 }, fcs_len[4] = { 0, 2, 4, 8 };
	/* the memory its decoder needs: the window (RFC 8878, 3.1.1.1.2), or
	 * the content size for a single segment (given, or the frame is not
	 * decoded in parallel) */
	if (!single) {
		unsigned e = p[5] >> 3, m = p[5] & 7;
		uint64_t base = (uint64_t)1 << (10 + e);
		*window = base + base / 8 * m;
	} else {
		unsigned long long c = ZSTD_getFrameContentSize(p, left);
		*window = c == ZSTD_CONTENTSIZE_UNKNOWN || c == ZSTD_CONTENTSIZE_ERROR ? UINT64_MAX : c;
	}
	uint64_t k = 5 + !single + did_len[fhd & 3] + (fcs == 0 ? single : fcs_len[fcs]);
	for (;;) {
		if (k + 3 > left)
			return 0;
		unsigned h = p[k] | (unsigned)p[k + 1] << 8 | (unsigned)p[k + 2] << 16;
		unsigned type = (h >> 1) & 3;
		uint64_t size = type == 1 ? 1 : h >> 3;
		if (type == 3 || size > left - k - 3)
			return 0;
		k += 3 + size;
		cs_release_behind(in, released, at + k);
		if (h & 1)
			break;
	}
	k += (fhd & 4) ? 4 : 0; /* the content checksum */
	return k <= left ? k : 0;
}

/* The input as frames that say their own compressed and decompressed
 * sizes, so that each can be decoded on its own into its place: zstd
 * frames that all give their content size (as pzstd and zstd
 * --content-size write them), or gzip members in the BGZF layout (an extra
 * field 'BC' giving the member's size, as bgzip writes them; ISIZE gives
 * its text's).  The sizes are the input's word only: a frame that decodes
 * to another size is damaged data.  1 when it is such an input of two
 * frames or more (z->frames), else 0 (read in order, as any input). */
static int cs_dz_frames(cs_dz *z)
{
	const uint8_t *in = z->in;
	size_t n = z->n, at = 0, cap = 0;
	uint64_t released = 0, window = 64 << 10; /* (a gzip member's: 32 KiB) */
	while (at < n) {
		uint64_t len, out;
		if (z->what[0] == 'z') {
			unsigned long long c = ZSTD_getFrameContentSize(in + at, n - at);
			uint64_t w = 0;
			if (c == ZSTD_CONTENTSIZE_UNKNOWN || c == ZSTD_CONTENTSIZE_ERROR ||
			    !(len = cs_zstd_frame_len(in, n, at, &released, &w)))
				break;
			out = c;
			window = w > window ? w : window;
		} else if (z->what[0] == 'g' && n - at >= 28 && in[at] == 0x1f && in[at + 1] == 0x8b &&
		           in[at + 2] == 8 && (in[at + 3] & 4)) {
			size_t xlen = in[at + 10] | (size_t)in[at + 11] << 8, x = at + 12;
			len = 0;
			while (x + 4 <= at + 12 + xlen && x + 4 <= n) {
				size_t slen = in[x + 2] | (size_t)in[x + 3] << 8;
				if (in[x] == 'B' && in[x + 1] == 'C' && slen == 2 && x + 6 <= n)
					len = (in[x + 4] | (uint64_t)in[x + 5] << 8) + 1;
				x += 4 + slen;
			}
			if (len < 28 || len > n - at)
				break;
			const uint8_t *e = in + at + len - 4;
			out = e[0] | (uint64_t)e[1] << 8 | (uint64_t)e[2] << 16 | (uint64_t)e[3] << 24;
		} else {
			break;
		}
		if (!cs_zframe_add(z, &cap, at, len, out))
			break;
		at += len;
	}
	cs_map_release(in, 0, at < n ? at + 1 : n); /* (the pages the walk mapped) */
	/* a decoder a worker, each holding a window: at most CS_ZFRAMES_MEM */
	uint64_t fit = window ? CS_ZFRAMES_MEM / window : 0;
	if (fit < z->workers)
		z->workers = (uint32_t)(fit ? fit : 1);
	if (at < n || z->nframes < 2 || z->workers < 2) {
		free(z->frames);
		z->frames = NULL;
		z->nframes = 0;
		return 0;
	}
	return 1;
}

/* frame i is to stop: cancelled, or a frame before it failed (the frames
 * before a failed one go on: the error is the first frame's, as in order) */
static int cs_zframes_stop(cs_dz *z, size_t i)
{
	return __atomic_load_n(&z->cancel, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&z->bad, __ATOMIC_RELAXED) < i;
}

/* frame f decoded into its place in the file, through buf */
static int cs_zframe_run(cs_dz *z, const cs_zframe *f, char *buf, colstore_error *err)
{
	const uint8_t *in = z->in + f->in;
	uint64_t wrote = 0, used = 0;
	int rc = COLSTORE_OK, end = 0;
	if (z->what[0] == 'z') {
		ZSTD_DCtx *d = ZSTD_createDCtx();
		if (!d)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		ZSTD_inBuffer ib = { in, (size_t)f->in_len, 0 };
		while (!rc && !end && !cs_zframes_stop(z, (size_t)(f - z->frames))) {
			ZSTD_outBuffer ob = { buf, cs_stream.out, 0 };
			size_t r = ZSTD_decompressStream(d, &ob, &ib);
			if (ZSTD_isError(r)) {
				rc = cs_dz_bad(err, "zstd", f->in + ib.pos, ZSTD_getErrorName(r));
				break;
			}
			end = r == 0;
			if (!end && ob.pos == 0 && ib.pos == ib.size)
				rc = cs_dz_bad(err, "zstd", f->in + ib.pos, "it ends inside a frame");
			if (!rc && wrote + ob.pos > f->out_len)
				rc = cs_dz_bad(err, "zstd", f->in + ib.pos, "a frame is longer than it says");
			if (!rc && ob.pos)
				rc = cs_pwrite_all(z->fd, buf, ob.pos, f->out + wrote, z->tpath, err);
			wrote += ob.pos;
		}
		used = ib.pos;
		ZSTD_freeDCtx(d);
	} else {
		z_stream s;
		memset(&s, 0, sizeof(s));
		if (inflateInit2(&s, 15 + 16) != Z_OK)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		s.next_in = (Bytef *)in;
		s.avail_in = (uInt)f->in_len;
		while (!rc && !end && !cs_zframes_stop(z, (size_t)(f - z->frames))) {
			s.next_out = (Bytef *)buf;
			s.avail_out = (uInt)cs_stream.out;
			int zr = inflate(&s, Z_NO_FLUSH);
			size_t got = cs_stream.out - s.avail_out;
			end = zr == Z_STREAM_END;
			if (!end && zr != Z_OK)
				rc = cs_dz_bad(err, "gzip", f->in + (f->in_len - s.avail_in),
				               zr == Z_BUF_ERROR ? "a member ends before its data does"
				               : s.msg        ? s.msg
				                              : "not gzip data");
			if (!rc && wrote + got > f->out_len)
				rc = cs_dz_bad(err, "gzip", f->in + (f->in_len - s.avail_in),
				               "a member is longer than it says");
			if (!rc && got)
				rc = cs_pwrite_all(z->fd, buf, got, f->out + wrote, z->tpath, err);
			wrote += got;
		}
		used = f->in_len - s.avail_in;
		inflateEnd(&s);
	}
	if (!rc && !end)
		return -1; /* stopped: no error of its own */
	if (!rc && (wrote != f->out_len || used != f->in_len))
		rc = cs_dz_bad(err, z->what[0] == 'z' ? "zstd" : "gzip", f->in + used,
		               wrote != f->out_len ? "a frame is shorter than it says"
		                                   : "a frame is longer than it says");
	cs_map_release(z->in, f->in, f->in + f->in_len);
	return rc;
}

/* a worker of the frames: takes the next, decodes it, and publishes the
 * text that is now whole from the start */
static void *cs_zframe_worker(void *arg)
{
	cs_dz *z = arg;
	char *buf = malloc(cs_stream.out);
	colstore_error e;
	for (;;) {
		pthread_mutex_lock(&z->mu);
		size_t i = z->next;
		int stop = z->cancel || i >= z->nframes || z->bad < z->nframes;
		if (!stop && !buf) {
			__atomic_store_n(&z->bad, i, __ATOMIC_RELAXED); /* (i stays undone: it fails) */
			z->rc = cs_err(&z->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			stop = 1;
		}
		if (!stop)
			z->next++;
		pthread_mutex_unlock(&z->mu);
		if (stop)
			break;
		memset(&e, 0, sizeof(e));
		int rc = cs_zframe_run(z, &z->frames[i], buf, &e);
		pthread_mutex_lock(&z->mu);
		if (rc > 0 && i < z->bad) {
			__atomic_store_n(&z->bad, i, __ATOMIC_RELAXED);
			z->rc = rc;
			z->err = e;
		}
		z->fdone[i] = rc == 0;
		while (z->pub < z->nframes && z->fdone[z->pub] && z->pub < z->bad)
			z->pub++;
		uint64_t avail = z->pub ? z->frames[z->pub - 1].out + z->frames[z->pub - 1].out_len : 0;
		if (avail > z->avail) {
			z->avail = avail;
			pthread_cond_broadcast(&z->cv);
		}
		pthread_mutex_unlock(&z->mu);
	}
	free(buf);
	return NULL;
}

/* the frames on z->workers threads (this one among them) */
static int cs_zframes_run(cs_dz *z, colstore_error *err)
{
	z->fdone = calloc(z->nframes, 1);
	if (!z->fdone)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	z->bad = z->nframes;
	pthread_t th[64];
	uint32_t started = 0;
	for (; started + 1 < z->workers && started < 64; started++)
		if (cs_thread_start(&th[started], cs_zframe_worker, z))
			break;
	cs_zframe_worker(z);
	for (uint32_t k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	const cs_zframe *last = &z->frames[z->nframes - 1];
	z->total = last->out + last->out_len;
	int rc = z->rc;
	if (!rc && z->cancel)
		rc = cs_err(&z->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "import cancelled");
	if (rc && err)
		*err = z->err;
	return rc;
}

/* ---- streamed: decompression on its own thread ------------------------- */

static void *cs_dz_thread(void *arg)
{
	cs_dz *z = arg;
	colstore_error e;
	memset(&e, 0, sizeof(e));
	int rc = z->frames ? cs_zframes_run(z, &e) : cs_dz_run(z, &e);
	pthread_mutex_lock(&z->mu);
	z->rc = rc;
	z->err = e;
	z->done = 1;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

cs_dz *cs_dz_start(const void *data, size_t size, const char *what, uint32_t threads,
                   colstore_error *err)
{
	cs_dz *z = cs_dz_new(data, size, what, err);
	if (!z)
		return NULL;
	z->workers = threads ? threads : 1;
	if (z->workers > 1 && what[0] != 'l')
		cs_dz_frames(z);
	void *v = mmap(NULL, cs_stream.span, PROT_READ, MAP_SHARED | MAP_NORESERVE, z->fd, 0);
	if (v == MAP_FAILED) { /* (an address-space limit): the caller decompresses in place */
		cs_dz_close(z);
		return NULL;
	}
	z->view = v;
	z->view_len = cs_stream.span;
	z->streamed = 1;
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	if (cs_thread_start(&z->th, cs_dz_thread, z)) {
		pthread_mutex_destroy(&z->mu);
		pthread_cond_destroy(&z->cv);
		munmap(v, cs_stream.span);
		cs_dz_close(z);
		return NULL;
	}
	return z;
}

const uint8_t *cs_dz_view(const cs_dz *z)
{
	return z->view;
}

int cs_dz_wait(cs_dz *z, uint64_t want, int ms, uint64_t *avail)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&z->mu);
	/* (past the span: nothing more to read until it is done) */
	while (!z->done && (z->avail < want || z->avail >= z->view_len))
		if (pthread_cond_timedwait(&z->cv, &z->mu, &ts))
			break;
	int done = z->done;
	*avail = z->avail < z->view_len ? z->avail : z->view_len;
	pthread_mutex_unlock(&z->mu);
	return done;
}

int cs_dz_finish(cs_dz *z, const void **out, size_t *out_len, uint64_t *size,
                 colstore_error *err)
{
	pthread_join(z->th, NULL);
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->cv);
	z->streamed = 0;
	int rc = z->rc;
	if (rc && err)
		*err = z->err;
	if (!rc && z->total > z->view_len) {
		/* larger than the span: mapped again, whole */
		munmap((void *)z->view, z->view_len);
		z->view = NULL;
		void *m;
		if (!(rc = cs_map_fd(z->fd, z->tpath, 0, (size_t)z->total, &m, err))) {
			z->view = m;
			z->view_len = (size_t)z->total;
		}
	}
	if (rc) {
		if (z->view)
			munmap((void *)z->view, z->view_len);
		z->view = NULL;
		z->view_len = 0;
	}
	*out = z->view;
	*out_len = z->view_len;
	*size = rc ? 0 : z->total;
	cs_dz_close(z);
	return rc;
}

void cs_dz_cancel(cs_dz *z)
{
	if (!z)
		return;
	pthread_mutex_lock(&z->mu);
	__atomic_store_n(&z->cancel, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&z->mu);
	const void *v;
	size_t len;
	uint64_t n;
	cs_dz_finish(z, &v, &len, &n, NULL);
	if (v)
		munmap((void *)v, len);
}

/* the decompressed size, as well as the first bytes of the input tell it
 * (for progress and thread counts while it is decompressed): a zstd
 * frame's content size, a gzip member's ISIZE (the size modulo 2^32), or
 * a guess of four times the compressed size */
uint64_t cs_dz_estimate(const cs_dz *z, const void *data, size_t size, const char *what)
{
	const uint8_t *p = data;
	uint64_t guess = (uint64_t)size * 4;
	if (z && z->nframes) /* (frames decoded in parallel: their sizes add up) */
		return z->frames[z->nframes - 1].out + z->frames[z->nframes - 1].out_len;
	if (what[0] == 'z') {
		size_t at = 0; /* (past skippable frames, as pzstd writes one first) */
		while (size - at >= 8 && (p[at] & 0xf0) == 0x50 && p[at + 1] == 0x2a &&
		       p[at + 2] == 0x4d && p[at + 3] == 0x18) {
			uint64_t n = p[at + 4] | (uint64_t)p[at + 5] << 8 | (uint64_t)p[at + 6] << 16 |
			             (uint64_t)p[at + 7] << 24;
			if (n > size - at - 8)
				return guess;
			at += 8 + n;
		}
		unsigned long long c = ZSTD_getFrameContentSize(p + at, size - at);
		if (c != ZSTD_CONTENTSIZE_UNKNOWN && c != ZSTD_CONTENTSIZE_ERROR)
			return c;
	} else if (what[0] == 'g' && size >= 18) {
		uint64_t isize = (uint64_t)p[size - 4] | (uint64_t)p[size - 3] << 8 |
		                 (uint64_t)p[size - 2] << 16 | (uint64_t)p[size - 1] << 24;
		while (isize < size)
			isize += (uint64_t)1 << 32;
		return isize;
	}
	return guess;
}
