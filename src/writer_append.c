/*
 * writer_append.c -- colstore_writer_open_append(): rows added to an
 * existing file without rewriting it (format-spec.md §14).
 *
 * The file as it is stays untouched until the end: the header first says
 * where it ends (committed_size), the new row groups, the dictionaries and
 * a footer describing the whole table go after that end, and the new
 * trailer, written last, makes them the file.  A crash before leaves bytes
 * after the old end that readers skip (the header says where it was); a
 * reader that opened the file before keeps reading what it mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "writer.h"

static int cs_pwrite_header(int fd, uint64_t committed, uint32_t appends, const uint8_t *raw)
{
	uint8_t h[CS_HEADER_SIZE];
	if (raw)
		memcpy(h, raw, sizeof(h));
	else
		cs_header_encode(h, committed, appends);
	return pwrite(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) && fdatasync(fd) == 0 ? 0 : -1;
}

/* the string column's dictionary, code for code, into the writer's */
static int cs_load_dict(colstore_reader *r, uint32_t c, cs_wcol *wc, colstore_error *err)
{
	uint32_t n = r->columns[c].dict_count;
	if (!n)
		return COLSTORE_OK;
	int rc = cs_dict_ready(r, c, err);
	if (rc)
		return rc;
	const uint8_t *off = r->columns[c].dict_off_p;
	const char *bytes = (const char *)r->columns[c].dict_bytes_p;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t a = cs_le32(off + 4 * (size_t)k), b = cs_le32(off + 4 * (size_t)k + 4), code;
		if ((rc = cs_dict_intern(&wc->dict, bytes + a, b - a, &code)))
			return cs_err(err, rc, COLSTORE_NO_OFFSET, "column '%s': dictionary: %s", wc->name,
			              rc == COLSTORE_ENOMEM ? "out of memory" : "too large");
		if (code != k)
			return cs_err(err, COLSTORE_ECORRUPT, r->columns[c].dict_bytes.offset,
			              "column '%s': dictionary entries %u and %u are the same (R9.6.2)",
			              wc->name, code, k);
	}
	return COLSTORE_OK;
}

/* the rows of the last row group, when it is not full, put again: they go
 * into the first new row group (R5.2.2: only the last one may be short) */
static int cs_put_last(colstore_writer *w, colstore_reader *r, uint32_t g, uint32_t n,
                       colstore_error *err)
{
	colstore_buffers *b = colstore_buffers_create();
	colstore_values *v = calloc(w->ncols, sizeof(*v));
	int rc = b && v ? COLSTORE_OK
	                : cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t c = 0; c < w->ncols && !rc; c++)
		rc = colstore_reader_values(r, g, c, b, &v[c], err);
	for (uint32_t i = 0; i < n && !rc; i++) {
		for (uint32_t c = 0; c < w->ncols && !rc; c++) {
			const colstore_values *x = &v[c];
			const cs_wcol *wc = &w->cols[c];
			if (x->validity && !cs_bit_get(x->validity, i)) {
				rc = colstore_writer_put_null(w, c, err);
				continue;
			}
			const uint8_t *d = x->data;
			switch (x->type) {
			case COLSTORE_TYPE_INT8: rc = colstore_writer_put_int(w, c, (int8_t)d[i], err); break;
			case COLSTORE_TYPE_INT16:
				rc = colstore_writer_put_int(w, c, (int16_t)cs_le16(d + 2 * (size_t)i), err);
				break;
			case COLSTORE_TYPE_INT32:
			case COLSTORE_TYPE_DATE:
				rc = colstore_writer_put_int(w, c, (int32_t)cs_le32(d + 4 * (size_t)i), err);
				break;
			case COLSTORE_TYPE_INT64:
			case COLSTORE_TYPE_TIMESTAMP:
				rc = colstore_writer_put_int(w, c, (int64_t)cs_le64(d + 8 * (size_t)i), err);
				break;
			case COLSTORE_TYPE_BOOL:
				rc = colstore_writer_put_int(w, c, cs_bit_get(d, i), err);
				break;
			case COLSTORE_TYPE_FLOAT32:
				rc = cs_writer_put_f32(w, c, d + 4 * (size_t)i, err);
				break;
			case COLSTORE_TYPE_FLOAT64: {
				double f;
				memcpy(&f, d + 8 * (size_t)i, 8);
				rc = colstore_writer_put_double(w, c, f, err);
				break;
			}
			default: /* string */
				if (x->encoding == COLSTORE_ENCODING_DICT) {
					uint32_t code = x->code_width == 1   ? d[i]
					                : x->code_width == 2 ? cs_le16(d + 2 * (size_t)i)
					                                     : cs_le32(d + 4 * (size_t)i);
					if (code >= wc->dict.count) { /* the reader checked it: cannot be */
						rc = cs_err(err, COLSTORE_ECORRUPT, COLSTORE_NO_OFFSET,
						            "column '%s': code %u past its dictionary", wc->name, code);
						break;
					}
					const uint32_t *o = wc->dict.offsets;
					rc = colstore_writer_put_string(w, c, wc->dict.bytes + o[code],
					                                o[code + 1] - o[code], err);
				} else {
					uint32_t a = cs_le32(d + 4 * (size_t)i), e = cs_le32(d + 4 * (size_t)i + 4);
					rc = colstore_writer_put_string(w, c, x->bytes + a, e - a, err);
				}
			}
		}
		if (!rc)
			rc = colstore_writer_end_row(w, err);
	}
	free(v);
	colstore_buffers_free(b);
	return rc;
}

/* the writer's state as the file left it: columns, dictionaries, the
 * descriptors of its full row groups, the statistics heap */
static int cs_take_file(colstore_writer *w, colstore_reader *r, uint32_t *keep,
                        colstore_error *err)
{
	int rc = COLSTORE_OK;
	for (uint32_t c = 0; c < r->num_columns && !rc; c++) {
		const cs_column *col = &r->columns[c];
		uint32_t flags = 0;
		if (col->type == COLSTORE_TYPE_STRING) {
			flags = COLSTORE_COLUMN_DICT;
			for (uint32_t g = 0; g < r->num_row_groups; g++)
				if (cs_chunk_at(r, g, c)->encoding == COLSTORE_ENCODING_PLAIN &&
				    cs_chunk_at(r, g, c)->row_count > cs_chunk_at(r, g, c)->null_count)
					flags = COLSTORE_COLUMN_PLAIN;
		}
		rc = colstore_writer_add_column(w, col->name, (colstore_type)col->type, flags, err);
		if (!rc && flags == COLSTORE_COLUMN_DICT)
			w->cols[c].budgeted = 1;
		if (!rc && col->type == COLSTORE_TYPE_STRING)
			rc = cs_load_dict(r, c, &w->cols[c], err);
	}
	if (rc)
		return rc;
	/* the full row groups stay as they are: their descriptors, as written */
	*keep = r->num_row_groups - (r->num_rows % r->row_group_size != 0);
	const uint8_t *f = r->data + r->trailer.footer_offset;
	size_t at = CS_FOOTER_FIXED;
	for (uint32_t c = 0; c < r->num_columns; c++)
		at += cs_column_entry_size(strlen(r->columns[c].name));
	size_t descs = (size_t)*keep * r->num_columns * CS_CHUNK_DESC_SIZE;
	const uint8_t *heap = f + at + (size_t)r->num_row_groups * r->num_columns * CS_CHUNK_DESC_SIZE;
	w->desc = malloc(descs ? descs : 1);
	if (!w->desc)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	memcpy(w->desc, f + at, descs);
	w->desc_len = w->desc_cap = descs;
	/* the kept chunks' string statistics into a new heap (not the old heap
	 * whole: the short row group written again left its statistics there,
	 * and a heap carried over append after append would only grow); the
	 * reader checked every reference against the old heap's size */
	for (size_t d = 0; d < descs; d += CS_CHUNK_DESC_SIZE) {
		uint8_t *e = w->desc + d;
		if (r->columns[(d / CS_CHUNK_DESC_SIZE) % r->num_columns].type != COLSTORE_TYPE_STRING ||
		    !(e[CS_CD_STATS_FLAGS] & CS_STATS_MINMAX))
			continue;
		uint64_t lo = cs_le64(e + CS_CD_MIN), hi = cs_le64(e + CS_CD_MAX), nlo, nhi;
		if (!cs_heap_add(w, (const char *)heap + (uint32_t)lo, (uint32_t)(lo >> 32), &nlo) ||
		    !cs_heap_add(w, (const char *)heap + (uint32_t)hi, (uint32_t)(hi >> 32), &nhi))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		cs_st64(e + CS_CD_MIN, nlo);
		cs_st64(e + CS_CD_MAX, nhi);
	}
	w->groups = *keep;
	w->rows = (uint64_t)*keep * r->row_group_size;
	for (uint32_t c = 0; c < w->ncols; c++)
		w->cols[c].chunks_written = (int)*keep;
	return COLSTORE_OK;
}

int colstore_writer_open_append(const char *path, const colstore_writer_options *opts,
                                colstore_writer **out, colstore_error *err)
{
	colstore_writer_options def = COLSTORE_WRITER_OPTIONS_INIT;
	if (!opts)
		opts = &def;
	int rc = cs_writer_args(path, opts, out, err);
	if (rc)
		return rc;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cs_err_errno(err, errno, "cannot open", path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
		              "%s: another append to this file is running", path);
	}
	/* the file read through the descriptor locked, whatever is renamed to
	 * its path meanwhile */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	colstore_reader *r = NULL;
	rc = colstore_reader_open(access(self, R_OK) == 0 ? self : path, NULL, &r, err);
	if (rc) {
		close(fd);
		if (err && rc != COLSTORE_EIO && !strstr(err->message, path)) {
			char m[sizeof(err->message) + 256];
			snprintf(m, sizeof(m), "%.200s: %s", path, err->message);
			memcpy(err->message, m, sizeof(err->message) - 1);
			err->message[sizeof(err->message) - 1] = '\0';
		}
		return rc;
	}
	if (r->header.minor > COLSTORE_FORMAT_MINOR) {
		/* its descriptors may hold fields this library does not know */
		unsigned major = r->header.major, minor = r->header.minor;
		colstore_reader_close(r);
		close(fd);
		return cs_err(err, COLSTORE_EVERSION, 10,
		              "%s is format %u.%u, newer than this library writes: cannot append",
		              path, major, minor);
	}
	colstore_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		colstore_reader_close(r);
		close(fd);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	w->fd = -1; /* until the file is marked (then abort undoes) */
	w->rgs = r->row_group_size;
	w->compression = opts->compression;
	w->dict_budget = opts->dict_budget ? opts->dict_budget : (64u << 20);
	w->path = strdup(path);
	w->shown = w->path;
	w->base_end = r->end;
	memcpy(w->base_header, r->data, CS_HEADER_SIZE);
	w->appends = r->header.appends + 1;
	uint32_t keep = 0;
	if (!w->path)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	else if (opts->row_group_size && opts->row_group_size != r->row_group_size)
		rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		            "%s has row groups of %u rows; an append keeps them", path,
		            r->row_group_size);
	else if (w->appends == 0)
		rc = cs_err(err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET, "%s: too many appends", path);
	if (!rc)
		rc = cs_take_file(w, r, &keep, err);
	/* the header says where the file ends, durably, before a byte is
	 * written past that end (R14.2); what an append that did not finish
	 * left there goes */
	if (!rc && (cs_pwrite_header(fd, w->base_end, w->appends, NULL) != 0 ||
	            ftruncate(fd, (off_t)w->base_end) != 0 ||
	            lseek(fd, (off_t)w->base_end, SEEK_SET) < 0))
		rc = cs_err_errno(err, errno, "cannot write", path);
	if (!rc) {
		w->fd = fd;
		w->append = 1;
		rc = cs_out_init(&w->out, fd, w->base_end, w->shown, err);
		uint32_t last = (uint32_t)(r->num_rows - (uint64_t)keep * r->row_group_size);
		if (!rc && last)
			rc = cs_put_last(w, r, keep, last, err);
	} else {
		close(fd);
	}
	colstore_reader_close(r);
	if (rc) {
		colstore_writer_abort(w);
		return rc;
	}
	*out = w;
	return COLSTORE_OK;
}

int cs_append_commit(colstore_writer *w, colstore_error *err)
{
	/* the new trailer is the commit: durable before the header forgets the
	 * old end */
	if (fdatasync(w->fd) != 0)
		return cs_err_errno(err, errno, "cannot fsync", w->path);
	cs_pwrite_header(w->fd, 0, w->appends, NULL); /* committed already: best effort */
	close(w->fd);
	w->fd = -1;
	return COLSTORE_OK;
}

void cs_append_undo(colstore_writer *w)
{
	if (ftruncate(w->fd, (off_t)w->base_end) == 0 && fdatasync(w->fd) == 0)
		cs_pwrite_header(w->fd, 0, 0, w->base_header);
}
