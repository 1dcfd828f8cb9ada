/*
 * transcode.c -- a CSV input in another encoding (latin1, cp1252, UTF-16,
 * anything iconv knows), converted to UTF-8 into an unlinked temporary file
 * that the import then maps as it would the input.  Memory stays one
 * buffer; the disk holds the converted copy while the import runs.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "import.h"

int cs_transcode(const void *data, size_t size, const char *enc,
                 const void **out, size_t *out_size, const char **used, colstore_error *err)
{
	const uint8_t *in = data;
	*out = NULL;
	*out_size = 0;
	*used = NULL;
	if (!enc) {
		if (size < 2 || !((in[0] == 0xff && in[1] == 0xfe) || (in[0] == 0xfe && in[1] == 0xff)))
			return COLSTORE_OK;
		enc = "UTF-16"; /* the BOM says which byte order */
	} else if (!strcasecmp(enc, "utf-8") || !strcasecmp(enc, "utf8")) {
		return COLSTORE_OK;
	} else if (!strcasecmp(enc, "utf-16le") || !strcasecmp(enc, "utf-16be")) {
		/* a BOM of the order named is dropped, as the UTF-16 one would be */
		int le = enc[7] == 'l' || enc[7] == 'L';
		if (size >= 2 && in[0] == (le ? 0xff : 0xfe) && in[1] == (le ? 0xfe : 0xff)) {
			in += 2;
			size -= 2;
		}
	}
	*used = enc;
	iconv_t cd = iconv_open("UTF-8", enc);
	if (cd == (iconv_t)-1)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "unknown encoding '%s' (latin1, cp1252, utf-16le, utf-16be, or any "
		              "name iconv -l lists)", enc);
	char tpath[4096];
	int fd = cs_tmp_unlinked("colstore-utf8", tpath, sizeof(tpath));
	if (fd < 0) {
		iconv_close(cd);
		return cs_err_errno(err, errno, "cannot create a temporary file", tpath);
	}
	enum { OUT = 1 << 20 };
	char *buf = malloc(OUT);
	int rc = buf ? COLSTORE_OK : cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	char *ip = (char *)in;
	size_t il = size;
	uint64_t total = 0, line = 1;
	while (!rc) {
		char *op = buf;
		size_t ol = OUT;
		size_t r = il ? iconv(cd, &ip, &il, &op, &ol) : iconv(cd, NULL, NULL, &op, &ol);
		int e = errno;
		size_t n = (size_t)(op - buf);
		for (size_t k = 0; k < n; k++)
			line += buf[k] == '\n';
		if (n && (rc = cs_write_all(fd, buf, n, tpath, err)))
			break;
		total += n;
		if (r != (size_t)-1) {
			if (!il)
				break; /* flushed */
			continue;
		}
		if (e == E2BIG)
			continue;
		rc = cs_imp_at(err, COLSTORE_EPARSE, line, 0,
		               "%s at byte %llu (not %s text; --encoding names another)",
		               e == EILSEQ ? "a byte sequence that is not valid"
		                           : "a character cut off at the end",
		               (unsigned long long)(size - il), enc);
	}
	free(buf);
	iconv_close(cd);
	return cs_map_spool(fd, tpath, rc, total, out, out_size, err);
}
