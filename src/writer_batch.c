/*
 * writer_batch.c -- rows added a batch of columns at a time:
 * colstore_writer_append_batch() and the import's cs_writer_append_rows(),
 * each column's values copied whole into the row group being built, with
 * the same results as putting them one at a time (writer.c).
 */
#include <stdlib.h>

#include "writer.h"

static int cs_batch_check(const colstore_writer *w, const colstore_array *cols,
                          size_t nrows, colstore_error *err)
{
	for (uint32_t ci = 0; ci < w->ncols; ci++) {
		const cs_wcol *c = &w->cols[ci];
		const colstore_array *a = &cols[ci];
		int all_null = a->validity != NULL;
		for (size_t i = 0; all_null && i < nrows; i++)
			all_null = !cs_bit_get(a->validity, i);
		if (nrows && !a->values && c->type != COLSTORE_TYPE_STRING && !all_null)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "column '%s': values is NULL", c->name);
		if (c->type == COLSTORE_TYPE_BOOL && !all_null) {
			const uint8_t *v = a->values;
			for (size_t i = 0; i < nrows; i++)
				if (v[i] > 1 && !(a->validity && !cs_bit_get(a->validity, i)))
					return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET,
					              "column '%s' row %zu: bool byte %u is not 0 or 1",
					              c->name, i, v[i]);
		} else if (c->type == COLSTORE_TYPE_STRING) {
			if (nrows && !a->offsets)
				return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
				              "column '%s': offsets is NULL", c->name);
			for (size_t i = 0; i < nrows; i++)
				if (a->offsets[i + 1] < a->offsets[i] ||
				    a->offsets[i + 1] - a->offsets[i] > CS_MAX_STRING_BYTES ||
				    (!a->values && a->offsets[i + 1] != a->offsets[i]))
					return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
					              "column '%s' row %zu: bad string offsets",
					              c->name, i);
		}
	}
	return COLSTORE_OK;
}

/* the next row from j (< k) of a's validity from row done on that may be
 * null: eight rows at a time while their byte is all ones */
static inline uint32_t cs_next_null(const uint8_t *valid, size_t done, uint32_t j, uint32_t k)
{
	while (j < k && ((done + j) & 7) == 0 && k - j >= 8 && valid[(done + j) >> 3] == 0xff)
		j += 8;
	return j;
}

/* k fixed-width values from row done of a: copied whole, then each null's
 * slot zeroed and its bit cleared, as cs_put_null_raw() does */

static void cs_append_fixed(cs_wcol *c, const colstore_array *a, size_t done, uint32_t k)
{
	memcpy(c->values + (size_t)c->n * c->width, (const uint8_t *)a->values + done * c->width,
	       (size_t)k * c->width);
	for (uint32_t j = 0; a->validity && (j = cs_next_null(a->validity, done, j, k)) < k; j++)
		if (!cs_bit_get(a->validity, done + j)) {
			cs_mark_null(c, c->n + j);
			memset(c->values + (size_t)(c->n + j) * c->width, 0, c->width);
		}
	c->n += k;
}

/* the bytes of the strings of a's rows [done, done + k) that are not null */
static uint64_t cs_strs_span(const colstore_array *a, size_t done, uint32_t k)
{
	uint64_t span = 0;
	if (!a->validity)
		return a->offsets[done + k] - a->offsets[done];
	for (uint32_t j = 0; j < k; j++)
		if (cs_bit_get(a->validity, done + j))
			span += a->offsets[done + j + 1] - a->offsets[done + j];
	return span;
}

static int cs_strs_limit(const cs_wcol *c, colstore_error *err)
{
	return cs_err(err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
	              "column '%s': the strings of one row group exceed 2 GiB "
	              "(use a smaller row group size)",
	              c->name);
}

/* the first of a's rows [done, done + k) whose string would take c's row
 * group past CS_MAX_STRING_BYTES (k when none does) */
static uint32_t cs_strs_over(const cs_wcol *c, const colstore_array *a, size_t done, uint32_t k)
{
	uint64_t have = c->sbytes_len;
	for (uint32_t j = 0; j < k; j++) {
		if (a->validity && !cs_bit_get(a->validity, done + j))
			continue;
		have += a->offsets[done + j + 1] - a->offsets[done + j];
		if (have > CS_MAX_STRING_BYTES)
			return j;
	}
	return k;
}

/* the hashes of k strings from row done of a, into c->hash from row c->n:
 * copied from h when the caller made them, else made */
static void cs_append_hashes(cs_wcol *c, const colstore_array *a, const uint64_t *h,
                             size_t done, uint32_t k)
{
	uint64_t *to = c->hash + c->n;
	if (h) {
		memcpy(to, h + done, (size_t)k * sizeof(*to));
		return;
	}
	for (uint32_t j = 0; j < k; j++) {
		size_t i = done + j;
		uint32_t len = (uint32_t)(a->offsets[i + 1] - a->offsets[i]);
		/* (values may be NULL when every string is empty) */
		to[j] = a->validity && !cs_bit_get(a->validity, i) ? 0
		        : cs_dict_hash(len ? (const char *)a->values + a->offsets[i] : "", len);
	}
}

/* k strings from row done of a (span: cs_strs_span(), checked to fit): room
 * for all their bytes made once, each string then copied (a null: an empty
 * slot, as cs_put_null_raw() makes); h: their hashes, or NULL */
static int cs_append_strs(cs_wcol *c, const colstore_array *a, const uint64_t *h,
                          size_t done, uint32_t k, uint64_t span, colstore_error *err)
{
	if (cs_grow((void **)&c->sbytes, &c->sbytes_cap, c->sbytes_len + (size_t)span, 1))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (cs_wants_hash(c))
		cs_append_hashes(c, a, h, done, k);
	uint32_t *off = (uint32_t *)c->values;
	if (c->n == 0)
		off[0] = 0;
	uint64_t first = a->offsets[done];
	if (span && span == a->offsets[done + k] - first) {
		/* the strings lie back to back (nulls empty): their bytes in one
		 * copy, then each end offset */
		memcpy(c->sbytes + c->sbytes_len, (const char *)a->values + first, (size_t)span);
		uint32_t base = (uint32_t)c->sbytes_len;
		uint32_t *to = off + c->n + 1;
		const uint64_t *from = a->offsets + done + 1;
		for (uint32_t j = 0; j < k; j++)
			to[j] = base + (uint32_t)(from[j] - first);
		for (uint32_t j = 0; a->validity && (j = cs_next_null(a->validity, done, j, k)) < k; j++)
			if (!cs_bit_get(a->validity, done + j))
				cs_mark_null(c, c->n + j);
		c->sbytes_len += (size_t)span;
		c->n += k;
		return COLSTORE_OK;
	}
	for (uint32_t j = 0; j < k; j++) {
		size_t i = done + j;
		uint32_t n = c->n + j;
		if (a->validity && !cs_bit_get(a->validity, i)) {
			cs_mark_null(c, n);
		} else {
			size_t len = (size_t)(a->offsets[i + 1] - a->offsets[i]);
			if (len) /* (values may be NULL when every string is empty) */
				cs_copy(c->sbytes + c->sbytes_len, (const char *)a->values + a->offsets[i],
				        len);
			c->sbytes_len += len;
		}
		off[n + 1] = (uint32_t)c->sbytes_len;
	}
	c->n += k;
	return COLSTORE_OK;
}

int cs_writer_hashed(const colstore_writer *w, uint32_t col)
{
	return col < w->ncols && w->cols[col].hash != NULL;
}

uint32_t cs_writer_room(const colstore_writer *w)
{
	return w->rgs - w->group_rows;
}

int cs_writer_append_rows(colstore_writer *w, const colstore_array *cols,
                          const uint64_t *const *hashes, size_t start, size_t nrows,
                          size_t *at, uint32_t *col, colstore_error *err)
{
	int rc = COLSTORE_OK;
	size_t done = start, end = start + nrows;
	*at = start;
	*col = 0;
	if (cs_grow((void **)&w->spans, &w->spans_cap, (size_t)w->ncols * 8, 1))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	w->started = 1;
	while (done < end) {
		uint32_t k = w->rgs - w->group_rows;
		if ((size_t)k > end - done)
			k = (uint32_t)(end - done);
		/* strings past the row group's limit: the first such value in
		 * row order fails, before anything of these rows is added */
		uint32_t over = k, over_col = 0;
		for (uint32_t ci = 0; ci < w->ncols; ci++) {
			const cs_wcol *c = &w->cols[ci];
			if (c->type != COLSTORE_TYPE_STRING ||
			    (w->spans[ci] = cs_strs_span(&cols[ci], done, k)) <=
			            CS_MAX_STRING_BYTES - c->sbytes_len)
				continue;
			uint32_t j = cs_strs_over(c, &cols[ci], done, k);
			if (j < over) {
				over = j;
				over_col = ci;
			}
		}
		if (over < k) {
			*at = done + over;
			*col = over_col + 1;
			w->failed = 1;
			return cs_strs_limit(&w->cols[over_col], err);
		}
		for (uint32_t ci = 0; ci < w->ncols; ci++) {
			cs_wcol *c = &w->cols[ci];
			const colstore_array *a = &cols[ci];
			if (c->type != COLSTORE_TYPE_BOOL && c->type != COLSTORE_TYPE_STRING && a->values) {
				cs_append_fixed(c, a, done, k);
				continue;
			}
			if (c->type == COLSTORE_TYPE_STRING) {
				if ((rc = cs_append_strs(c, a, hashes ? hashes[ci] : NULL, done, k,
				                         w->spans[ci], err))) {
					*at = done;
					*col = ci + 1;
					w->failed = 1;
					return rc;
				}
				continue;
			}
			/* bools, and columns whose rows are all null (values NULL) */
			for (uint32_t j = 0; j < k; j++) {
				size_t i = done + j;
				if (a->validity && !cs_bit_get(a->validity, i)) {
					cs_put_null_raw(c);
					continue;
				}
				if (((const uint8_t *)a->values)[i])
					cs_bit_set(c->values, c->n);
				c->n++;
			}
		}
		done += k;
		*at = done - 1;
		if ((rc = cs_row_done(w, k, err)))
			return rc;
	}
	return COLSTORE_OK;
}

int colstore_writer_append_batch(colstore_writer *w, const colstore_array *cols,
                                 size_t nrows, colstore_error *err)
{
	if (!w || (!cols && nrows))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "writer and cols are required");
	if (w->failed)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "writer failed earlier; abort it");
	if (w->ncols == 0)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "no columns declared");
	if (w->puts)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "append_batch in the middle of a row");
	int rc = cs_batch_check(w, cols, nrows, err);
	size_t at;
	uint32_t col;
	return rc ? rc : cs_writer_append_rows(w, cols, NULL, 0, nrows, &at, &col, err);
}

