/* arrow.c -- placeholder */
#include "export.h"
int colstore_reader_export_stream(colstore_reader *r, const char *columns, const char *where,
                                  struct ArrowArrayStream *out, colstore_error *err)
{
	(void)r; (void)columns; (void)where;
	if (out)
		out->release = NULL;
	return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "not built yet");
}
