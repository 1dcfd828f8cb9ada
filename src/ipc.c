/* ipc.c -- placeholder until the writer lands */
#include "export.h"

int cs_ipc_write(struct ArrowArrayStream *s, cs_out *out, cs_export_args *a,
                  colstore_error *err)
{
	(void)s; (void)out; (void)a;
	return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "ipc export is not built yet");
}
