/*
 * decompress.c -- a compressed CSV input (gzip, zstd or LZ4 frame, known by
 * its magic bytes whatever its name), decompressed once into an unlinked
 * temporary file that the import then maps and reads twice, as it would
 * the input itself.  Memory stays two buffers; the disk holds the
 * decompressed text while the import runs (in $TMPDIR).  Concatenated gzip
 * members, zstd frames and LZ4 frames are read one after another; the
 * compressed pages read leave memory in steps (cs_release_behind), or the
 * whole mapped input would stay resident.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "import.h"

enum { CS_DZ_OUT = 1 << 20 };

const char *cs_compressed(const uint8_t *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "gzip";
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
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

static int cs_gunzip(const uint8_t *in, size_t n, int fd, char *buf, const char *tpath,
                     uint64_t *total, colstore_error *err)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	size_t at = 0;
	uint64_t released = 0;
	int rc = COLSTORE_OK;
	while (!rc) {
		size_t chunk = n - at > (1u << 30) ? (1u << 30) : n - at;
		z.next_in = (Bytef *)(in + at);
		z.avail_in = (uInt)chunk;
		z.next_out = (Bytef *)buf;
		z.avail_out = CS_DZ_OUT;
		int zr = inflate(&z, Z_NO_FLUSH);
		at += chunk - z.avail_in;
		size_t got = CS_DZ_OUT - z.avail_out;
		if (got && (rc = cs_write_all(fd, buf, got, tpath, err)))
			break;
		*total += got;
		cs_release_behind(in, &released, at);
		if (zr == Z_STREAM_END) {
			/* another member may follow (cat a.gz b.gz); padding zeros end it */
			while (at < n && in[at] == 0)
				at++;
			if (at >= n)
				break;
			if (inflateReset(&z) != Z_OK)
				rc = cs_dz_bad(err, "gzip", at, "a member cannot start");
			continue;
		}
		if (zr == Z_BUF_ERROR && at >= n && got == 0) {
			rc = cs_dz_bad(err, "gzip", at, "it ends before its last member does");
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			rc = cs_dz_bad(err, "gzip", at, z.msg ? z.msg : "not gzip data");
	}
	inflateEnd(&z);
	return rc;
}

static int cs_unzstd(const uint8_t *in, size_t n, int fd, char *buf, const char *tpath,
                     uint64_t *total, colstore_error *err)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	if (!d)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	ZSTD_inBuffer ib = { in, n, 0 };
	uint64_t released = 0;
	int rc = COLSTORE_OK;
	size_t last = 1;
	while (!rc && (ib.pos < ib.size || last)) {
		ZSTD_outBuffer ob = { buf, CS_DZ_OUT, 0 };
		size_t before = ib.pos;
		last = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(last)) {
			rc = cs_dz_bad(err, "zstd", ib.pos, ZSTD_getErrorName(last));
			break;
		}
		if (ob.pos && (rc = cs_write_all(fd, buf, ob.pos, tpath, err)))
			break;
		*total += ob.pos;
		cs_release_behind(in, &released, ib.pos);
		if (ib.pos >= ib.size && last && ob.pos == 0 && ib.pos == before) {
			rc = cs_dz_bad(err, "zstd", ib.pos, "it ends inside a frame");
			break;
		}
	}
	ZSTD_freeDStream(d);
	return rc;
}

static int cs_unlz4(const uint8_t *in, size_t n, int fd, char *buf, const char *tpath,
                    uint64_t *total, colstore_error *err)
{
	LZ4F_dctx *d;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	size_t at = 0, hint = 1;
	uint64_t released = 0;
	int rc = COLSTORE_OK;
	while (!rc && (at < n || hint)) {
		size_t src = n - at, dst = CS_DZ_OUT;
		hint = LZ4F_decompress(d, buf, &dst, in + at, &src, NULL);
		if (LZ4F_isError(hint)) {
			rc = cs_dz_bad(err, "LZ4", at, LZ4F_getErrorName(hint));
			break;
		}
		at += src;
		if (dst && (rc = cs_write_all(fd, buf, dst, tpath, err)))
			break;
		*total += dst;
		cs_release_behind(in, &released, at);
		if (at >= n && hint && dst == 0) {
			rc = cs_dz_bad(err, "LZ4", at, "it ends inside a frame");
			break;
		}
	}
	LZ4F_freeDecompressionContext(d);
	return rc;
}

int cs_decompress(const void *data, size_t size, const void **out, size_t *out_size,
                  const char **what, colstore_error *err)
{
	*out = NULL;
	*out_size = 0;
	*what = cs_compressed(data, size);
	if (!*what)
		return COLSTORE_OK;
	char tpath[4096];
	int fd = cs_tmp_unlinked("colstore-unpacked", tpath, sizeof(tpath));
	if (fd < 0)
		return cs_err_errno(err, errno, "cannot create a temporary file", tpath);
	char *buf = malloc(CS_DZ_OUT);
	uint64_t total = 0;
	int rc = !buf ? cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory")
	         : (*what)[0] == 'g' ? cs_gunzip(data, size, fd, buf, tpath, &total, err)
	         : (*what)[0] == 'z' ? cs_unzstd(data, size, fd, buf, tpath, &total, err)
	                             : cs_unlz4(data, size, fd, buf, tpath, &total, err);
	free(buf);
	return cs_map_spool(fd, tpath, rc, total, out, out_size, err);
}
