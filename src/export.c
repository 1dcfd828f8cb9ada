/*
 * export.c -- colstore_export(): the Arrow stream of a reader, consumed by
 * the IPC or Parquet writer, into a temporary file renamed over the target
 * (or to standard output).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"

typedef struct cs_progress {
	const colstore_export_options *opts;
	uint64_t done, total;
} cs_progress;

static int cs_export_batch(void *ctx, uint64_t rows)
{
	cs_progress *p = ctx;
	p->done += rows;
	return p->opts->on_progress ? p->opts->on_progress(p->opts->ctx, p->done, p->total) : 0;
}

int colstore_export(colstore_reader *r, const char *path, const colstore_export_options *opts,
                    colstore_export_result *res, colstore_error *err)
{
	if (!r || !path || !opts)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "reader, path and options are required");
	if (opts->format != COLSTORE_EXPORT_ARROW && opts->format != COLSTORE_EXPORT_PARQUET)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "unknown export format %d",
		              opts->format);
	if (opts->compression & ~COLSTORE_EXPORT_LZ4)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "unknown export compression 0x%x", opts->compression);
	for (size_t i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "export options: reserved fields must be zero");
	if (res)
		memset(res, 0, sizeof(*res));

	struct ArrowArrayStream s;
	int rc = colstore_reader_export_stream(r, opts->columns, opts->where, &s, err);
	if (rc)
		return rc;

	int to_stdout = strcmp(path, "-") == 0;
	struct stat in_st;
	if (!to_stdout &&
	    (rc = cs_check_output(path, r->fd >= 0 && fstat(r->fd, &in_st) == 0 ? &in_st : NULL, err))) {
		s.release(&s);
		return rc;
	}
	int fd = STDOUT_FILENO;
	char *tmp = NULL, *target = NULL;
	if (!to_stdout && (rc = cs_tmp_create(path, &fd, &tmp, &target, err)) != 0) {
		s.release(&s);
		return rc;
	}
	const char *shown = to_stdout ? "standard output" : tmp ? tmp : target;
	cs_out out;
	rc = cs_out_init(&out, fd, 0, shown, err);
	if (to_stdout)
		out.behind = UINT64_MAX; /* (not fsynced: nothing to start early) */
	cs_progress prog = { opts, 0, colstore_reader_num_rows(r) };
	cs_export_args a = { opts->compression, cs_export_batch, &prog, 0, 0 };
	if (!rc)
		rc = opts->format == COLSTORE_EXPORT_ARROW ? cs_ipc_write(&s, &out, &a, err)
		                                           : cs_parquet_write(&s, &out, &a, err);
	if (!rc)
		rc = cs_out_flush(&out);
	uint64_t size = out.pos;
	cs_out_free(&out);
	s.release(&s);
	if (!to_stdout) {
		if (!rc) {
			rc = cs_tmp_commit(fd, tmp, target, err); /* closes fd */
			if (rc && tmp)
				unlink(tmp);
		} else {
			close(fd);
			if (tmp)
				unlink(tmp);
		}
		cs_tmp_forget(tmp);
		free(tmp);
		free(target);
	}
	if (!rc && res) {
		res->rows = a.rows;
		res->batches = a.batches;
		res->bytes_out = size;
	}
	return rc;
}
