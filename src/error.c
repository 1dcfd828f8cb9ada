/*
 * error.c -- colstore_strerror() and the helpers that fill a colstore_error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Indexed by code; the values are pinned (colstore.h). */
static const char *const cs_errstr[] = {
	"success",
	"I/O error",
	"out of memory",
	"invalid argument or call out of order",
	"file is corrupt",
	"checksum mismatch",
	"file is truncated or incomplete",
	"unsupported format version",
	"parse error",
	"not found",
	"out of range",
	"limit exceeded",
	"not a colstore file",
};

const char *colstore_strerror(int code)
{
	if (code < 0 || (size_t)code >= sizeof(cs_errstr) / sizeof(cs_errstr[0]))
		return "unknown error";
	return cs_errstr[code];
}

int cs_err(colstore_error *err, int code, uint64_t offset, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		err->offset = offset;
		err->line = 0;
		err->column = 0;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

int cs_err_errno(colstore_error *err, int errnum, const char *what, const char *path)
{
	int code = COLSTORE_EIO;
	if (errnum == ENOMEM)
		code = COLSTORE_ENOMEM;
	else if (errnum == ENOENT)
		code = COLSTORE_ENOTFOUND;
	else if (errnum == EFAULT) /* write(2) from a mapping whose file was cut short */
		return cs_err(err, code, COLSTORE_NO_OFFSET,
		              "%s %s: the file being read changed while being read (truncated or "
		              "replaced by another program)", what, path ? path : "");
	return cs_err(err, code, COLSTORE_NO_OFFSET, "%s %s: %s", what,
	              path ? path : "", strerror(errnum));
}

unsigned colstore_version_number(void) { return COLSTORE_VERSION_NUMBER; }

#define CS_STR2(x) #x
#define CS_STR(x) CS_STR2(x)
const char *colstore_version_string(void)
{
	return CS_STR(COLSTORE_VERSION_MAJOR) "." CS_STR(COLSTORE_VERSION_MINOR) "." CS_STR(
	        COLSTORE_VERSION_PATCH);
}

static const char *const cs_type_names[] = {
	NULL, "int8", "int16", "int32", "int64", "float32", "float64",
	"bool", "string", "date", "timestamp",
};
static const unsigned cs_type_widths[] = { 0, 1, 2, 4, 8, 4, 8, 0, 0, 4, 8 };

const char *colstore_type_name(int type)
{
	if (type < COLSTORE_TYPE_INT8 || type > COLSTORE_TYPE_TIMESTAMP)
		return NULL;
	return cs_type_names[type];
}

unsigned colstore_type_width(int type)
{
	if (type < COLSTORE_TYPE_INT8 || type > COLSTORE_TYPE_TIMESTAMP)
		return 0;
	return cs_type_widths[type];
}

int colstore_type_from_name(const char *name, colstore_type *out)
{
	for (int t = COLSTORE_TYPE_INT8; name && t <= COLSTORE_TYPE_TIMESTAMP; t++) {
		if (strcmp(name, cs_type_names[t]) == 0) {
			*out = (colstore_type)t;
			return COLSTORE_OK;
		}
	}
	return COLSTORE_ENOTFOUND;
}
