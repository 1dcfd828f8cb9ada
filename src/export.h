/*
 * export.h -- private interface between the Arrow stream export (arrow.c),
 * the file writers that consume such a stream (ipc.c, parquet.c) and the
 * driver that writes files (export.c).  Nothing here is API.
 */
#ifndef CS_EXPORT_H
#define CS_EXPORT_H

#include "internal.h"

/* ---- the file writers ---------------------------------------------------- */

/* a callback of stream s returned errno value e: the COLSTORE_E* code for
 * it (ENOMEM, EINVAL, else EIO) in err, with s's last error message */
CS_HIDDEN int cs_stream_error(struct ArrowArrayStream *s, int e, const char *what,
                              colstore_error *err);

/*
 * What a writer receives.  The stream is the one colstore_reader_export_stream
 * makes: a "+s" schema whose children are flat columns of the formats that
 * function documents (c s i l f g b u tdD tsu:, and dictionary-encoded "u"
 * with "C"/"S"/"I" indices), every array with offset 0; each dictionary
 * column's dictionary array is the same in every batch.  A writer consumes
 * the stream to its end, releases every array it got (not the stream), and
 * writes the whole file through out; it does not flush, fsync or close.
 */
typedef struct cs_export_args {
	uint32_t compression; /* 0 or COLSTORE_EXPORT_LZ4 */
	/* called after each batch is written with the rows it held;
	 * nonzero: stop with COLSTORE_EINVAL "cancelled" */
	int (*on_batch)(void *ctx, uint64_t rows);
	void *ctx;
	/* filled by the writer */
	uint64_t rows, batches;
} cs_export_args;

/* Arrow IPC file format (Columnar.rst "IPC File Format"), metadata V5 */
CS_HIDDEN int cs_ipc_write(struct ArrowArrayStream *s, cs_out *out, cs_export_args *a,
                           colstore_error *err);
/* Parquet (parquet-format), one row group per batch */
CS_HIDDEN int cs_parquet_write(struct ArrowArrayStream *s, cs_out *out, cs_export_args *a,
                               colstore_error *err);

#endif /* CS_EXPORT_H */
