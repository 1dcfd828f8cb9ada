/*
 * import_p2.c -- the CSV import's second pass: the work units pass 1 found
 * (import_mt.c), converted into column batches and appended to the writer.
 *
 * threads - 1 workers convert units into a ring of slots (8 a thread, 4
 * or 2 for a wider table); the calling thread appends them to the writer in
 * order, and converts the next unit itself while the one it needs is not
 * ready, so the file is the same byte for byte whatever the thread count.
 * In strict mode a unit's records are tokenized a batch at a time and
 * converted column by column; the strings the writer will intern are
 * hashed here, off the writer's thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "import.h"

/* ---- pass 2 ------------------------------------------------------------- */

/* one column of the table in a slot: every input's values of it go here */
typedef struct cs_colbuf {
	uint8_t *vals;   /* values of the column's C type, or string bytes */
	size_t vals_cap, vals_len;
	uint64_t *offs;  /* strings: rows + 1 offsets */
	uint64_t *hash;  /* strings the writer interns: each one's cs_dict_hash() */
	uint8_t *valid;
	cs_date_memo memo; /* dates and timestamps: the last date read */
} cs_colbuf;

typedef struct cs_slot {
	int ready;
	size_t unit;     /* of the whole sequence (cs_p2.seq) */
	uint64_t rows;
	cs_colbuf *cols; /* the table's columns */
	colstore_array *arrays;
	const uint64_t **hashes; /* each column's cs_colbuf.hash */
	cs_tally tally; /* lenient mode: the unit's padded, trimmed and rejected rows */
	uint64_t *lines; /* each row's line */
	int rc;
	colstore_error err;
} cs_slot;

/* the units of every input, in order: input in, its unit u */
typedef struct cs_seq {
	uint32_t in;
	size_t u;
} cs_seq;

typedef struct cs_p2 {
	cs_import *ims;
	const cs_shared *sh;
	cs_seq *seq;
	size_t nseq;
	uint32_t unit_rows; /* the most of any input */
	cs_slot *slots;
	size_t nslots;
	size_t next;     /* next unit to claim */
	size_t consumed; /* units appended so far */
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cs_p2w *self; /* the writer thread's own converter */
	const colstore_writer *w;
} cs_p2;

static int cs_grow_vals(cs_colbuf *b, size_t need)
{
	if (need <= b->vals_cap)
		return COLSTORE_OK;
	size_t cap = b->vals_cap ? b->vals_cap : 4096;
	while (cap < need)
		cap *= 2;
	uint8_t *v = realloc(b->vals, cap);
	if (!v)
		return COLSTORE_ENOMEM;
	b->vals = v;
	b->vals_cap = cap;
	return COLSTORE_OK;
}

/* how a column's fields become values: the common types straight, the
 * rest (forced types, date formats) through cs_imp_parse_value() */
enum { CV_STR, CV_I8, CV_I16, CV_I32, CV_I64, CV_F64, CV_BOOL, CV_DATE, CV_TS, CV_ANY };

static uint8_t cs_conv_kind(const cs_icol *col)
{
	if (col->type == COLSTORE_TYPE_STRING)
		return CV_STR;
	if (col->forced)
		return CV_ANY; /* lenient parsers */
	switch (col->type) {
	case COLSTORE_TYPE_INT8: return CV_I8;
	case COLSTORE_TYPE_INT16: return CV_I16;
	case COLSTORE_TYPE_INT32: return CV_I32;
	case COLSTORE_TYPE_INT64: return CV_I64;
	case COLSTORE_TYPE_FLOAT64: return CV_F64;
	case COLSTORE_TYPE_BOOL: return CV_BOOL;
	case COLSTORE_TYPE_DATE: return col->fmt ? CV_ANY : CV_DATE;
	case COLSTORE_TYPE_TIMESTAMP: return col->fmt || col->fmt2 ? CV_ANY : CV_TS;
	default: return CV_ANY;
	}
}

/* one field into row r of its column's batch (the same rules as the
 * single-threaded pass 2 in import.c); kind: cs_conv_kind(&im->cols[i]) */
static inline __attribute__((always_inline)) int
cs_convert(const cs_import *im, cs_colbuf *b, uint32_t i, unsigned kind,
                             uint64_t r, const cs_csv_field *f, cs_scratch *sc, uint64_t line,
                             colstore_error *err)
{
	if (!f || cs_imp_is_null(im, f)) {
		if (kind == CV_STR)
			b->offs[r + 1] = b->vals_len;
		return COLSTORE_OK; /* validity bit stays 0 */
	}
	const char *p;
	uint32_t n;
	if (cs_imp_text(sc, f, &p, &n))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	/* the buffer the text is in: the input, or the scratch of an unescaped
	 * field (whose own bytes are then all that can be read) */
	const void *base = f->flags & CS_CSV_ESCAPED ? (const void *)p : (const void *)im->data;
	int64_t iv = 0;
	double dv = 0;
	int ok = 1;
	switch (kind) {
	case CV_STR:
		if (cs_grow_vals(b, b->vals_len + n))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		cs_copy((char *)b->vals + b->vals_len, p, n);
		b->vals_len += n;
		b->offs[r + 1] = b->vals_len;
		break;
	case CV_I8:
		if ((ok = cs_parse_int_in(p, n, base, &iv) && iv >= INT8_MIN && iv <= INT8_MAX))
			b->vals[r] = (uint8_t)iv;
		break;
	case CV_I16:
		if ((ok = cs_parse_int_in(p, n, base, &iv) && iv >= INT16_MIN && iv <= INT16_MAX)) {
			int16_t v = (int16_t)iv;
			memcpy(b->vals + r * 2, &v, 2);
		}
		break;
	case CV_I32:
		if ((ok = cs_parse_int_in(p, n, base, &iv) && iv >= INT32_MIN && iv <= INT32_MAX)) {
			int32_t v = (int32_t)iv;
			memcpy(b->vals + r * 4, &v, 4);
		}
		break;
	case CV_I64:
		if ((ok = cs_parse_int_in(p, n, base, &iv)))
			memcpy(b->vals + r * 8, &iv, 8);
		break;
	case CV_F64:
		if ((ok = cs_parse_double_in(p, n, base, &dv)))
			memcpy(b->vals + r * 8, &dv, 8);
		break;
	case CV_BOOL: {
		int bv;
		if ((ok = cs_parse_bool(p, n, &bv)))
			b->vals[r] = (uint8_t)bv;
		break;
	}
	case CV_DATE:
		if ((ok = (cs_parse_date_m(p, n, &iv, &b->memo) || cs_parse_date_any(p, n, &iv)) &&
		          iv >= INT32_MIN && iv <= INT32_MAX)) {
			int32_t v = (int32_t)iv;
			memcpy(b->vals + r * 4, &v, 4);
		}
		break;
	case CV_TS:
		if ((ok = cs_parse_timestamp_m(p, n, &iv, &b->memo) || cs_parse_timestamp_any(p, n, &iv)))
			memcpy(b->vals + r * 8, &iv, 8);
		break;
	default: {
		const cs_icol *col = &im->cols[i];
		if ((ok = cs_imp_parse_value(col, p, n, &iv, &dv))) {
			if (col->type == COLSTORE_TYPE_FLOAT32) {
				float fv = (float)dv;
				memcpy(b->vals + r * 4, &fv, 4);
			} else if (col->type == COLSTORE_TYPE_FLOAT64) {
				memcpy(b->vals + r * 8, &dv, 8);
			} else if (col->type == COLSTORE_TYPE_BOOL) {
				b->vals[r] = (uint8_t)iv;
			} else {
				unsigned w = colstore_type_width(col->type);
				memcpy(b->vals + r * w, &iv, w); /* little-endian host */
			}
		}
	}
	}
	if (!ok)
		return cs_imp_bad_value(err, line, i, &im->cols[i], p, n);
	cs_bit_set(b->valid, r);
	return COLSTORE_OK;
}

/* the hashes of the unit's strings the writer interns, made here, on a
 * converting thread, rather than on the writer's (its critical path) */
static void cs_hash_unit(cs_slot *slot, uint32_t ncols)
{
	for (uint32_t j = 0; j < ncols; j++) {
		const cs_colbuf *b = &slot->cols[j];
		if (!b->hash)
			continue;
		for (uint64_t r = 0; r < slot->rows; r++)
			b->hash[r] = cs_bit_get(b->valid, r)
			                     ? cs_dict_hash((const char *)b->vals + b->offs[r],
			                                    (uint32_t)(b->offs[r + 1] - b->offs[r]))
			                     : 0;
	}
}

/* a converting thread's state: a tokenizer over the input it reads */
typedef struct cs_p2w {
	cs_csv c;
	cs_scratch sc;
	uint32_t in;    /* the input c reads (UINT32_MAX: none yet) */
	int init;       /* c could not be made */
	uint8_t *kinds; /* the input's columns' cs_conv_kind() */
	cs_csv_field *fb; /* strict mode: a batch of records' fields, cap * ncols */
	uint32_t *nf;     /* each record's fields in fb */
	uint32_t cap;     /* records in a batch */
} cs_p2w;

#define CS_BATCH_FIELDS 4096 /* fields of the records tokenized before they are converted */

/* rows [r0, r0 + n) of column i from a batch's fields (fb: n records of nc
 * fields, nf: each one's count); returns the row of the batch whose value
 * failed (*rc its error), or n.  Inlined once per kind, so that the loop
 * has one kind of value and no switch. */
static inline __attribute__((always_inline)) uint32_t
cs_convert_col(const cs_import *im, cs_colbuf *b, uint32_t i, unsigned kind, uint64_t r0,
               uint32_t n, const cs_csv_field *fb, const uint32_t *nf, uint32_t nc,
               cs_scratch *sc, const uint64_t *lines, colstore_error *err, int *rc)
{
	for (uint32_t j = 0; j < n; j++) {
		int e = cs_convert(im, b, i, kind, r0 + j, i < nf[j] ? &fb[(size_t)j * nc + i] : NULL,
		                   sc, lines[j], err);
		if (e) {
			*rc = e;
			return j;
		}
	}
	return n;
}

/* strict mode: the unit's records a batch at a time, tokenized and checked,
 * then converted column by column.  Errors come as a row at a time gives
 * them: the batch's first failing value by row, then by column (a column
 * converts only the rows before a failure found so far), before an error
 * of the tokenizer in a later record; slot->rows: the rows before it. */
static int cs_parse_batches(cs_slot *slot, cs_import *im, cs_csv *c, cs_p2w *t, uint64_t end)
{
	uint32_t nc = im->ncols;
	uint64_t r = 0;
	int pend = COLSTORE_OK;
	for (int more = 1; more && !pend;) {
		uint32_t k = 0;
		const uint64_t r0 = r;
		while (k < t->cap) {
			cs_csv_skip_blank(c);
			if ((uint64_t)(c->pos - c->start) >= end || c->pos >= c->end) {
				more = 0;
				break;
			}
			if (r0 + k == im->unit_rows) {
				pend = cs_err(&slot->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
				              "internal error: a work unit holds too many rows");
				break;
			}
			int got = cs_csv_next(c, &slot->err);
			if (got != 1) {
				more = 0;
				pend = got;
				break;
			}
			cs_reject rej;
			int rc = cs_imp_classify(im, c, &rej, &slot->err);
			if (rc < 0) {
				pend = -rc;
				break;
			}
			uint32_t n = c->nfields < nc ? c->nfields : nc;
			memcpy(t->fb + (size_t)k * nc, c->fields, n * sizeof(cs_csv_field));
			t->nf[k] = n;
			slot->lines[r0 + k] = c->rec_line;
			k++;
		}
		uint32_t fail = k;
		int frc = COLSTORE_OK;
		for (uint32_t i = 0; i < nc && fail; i++) {
			cs_colbuf *b = &slot->cols[im->wcol[i]];
			const uint64_t *ln = slot->lines + r0;
#define CS_COL(kind)                                                                     \
	case kind:                                                                       \
		fail = cs_convert_col(im, b, i, kind, r0, fail, t->fb, t->nf, nc, &t->sc, ln, \
		                      &slot->err, &frc);                                 \
		break
			switch (t->kinds[i]) {
				CS_COL(CV_STR);
				CS_COL(CV_I8);
				CS_COL(CV_I16);
				CS_COL(CV_I32);
				CS_COL(CV_I64);
				CS_COL(CV_F64);
				CS_COL(CV_BOOL);
				CS_COL(CV_DATE);
				CS_COL(CV_TS);
			default: CS_COL(CV_ANY);
			}
#undef CS_COL
		}
		if (frc) {
			slot->rows = r0 + fail;
			return frc;
		}
		r = r0 + k;
		slot->rows = r;
	}
	return pend;
}

/* lenient mode: the unit's records one at a time, each classified (padded,
 * trimmed or rejected, tallied by line) and its fields converted;
 * slot->rows: the rows before a failure */
static int cs_parse_rows(cs_slot *slot, cs_import *im, cs_csv *c, cs_p2w *t, uint64_t end)
{
	uint32_t nc = im->ncols;
	for (uint64_t r = 0;;) {
		cs_csv_skip_blank(c);
		if ((uint64_t)(c->pos - c->start) >= end || c->pos >= c->end)
			return COLSTORE_OK;
		if (r == im->unit_rows)
			return cs_err(&slot->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "internal error: a work unit holds too many rows");
		int more = cs_csv_next(c, &slot->err);
		if (more != 1)
			return more;
		cs_reject rej;
		int rc = cs_imp_classify(im, c, &rej, &slot->err);
		if (rc < 0)
			return -rc;
		if (rc == CS_ROW_OK && im->any_forced && cs_imp_bad_forced(im, c, &t->sc, &rej))
			rc = CS_ROW_REJECT;
		if (rc != CS_ROW_OK && cs_tally_add(&slot->tally, rc, c->rec_line, &rej))
			return cs_err(&slot->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (rc == CS_ROW_REJECT)
			continue;
		for (uint32_t i = 0; i < nc; i++) {
			rc = cs_convert(im, &slot->cols[im->wcol[i]], i, t->kinds[i], r,
			                i < c->nfields ? &c->fields[i] : NULL, &t->sc, c->rec_line,
			                &slot->err);
			if (rc)
				return rc;
		}
		slot->lines[r] = c->rec_line;
		slot->rows = ++r;
	}
}

static int cs_parse_unit(cs_p2 *s, cs_slot *slot, cs_import *im, cs_csv *c, cs_p2w *t)
{
	const cs_unit *u = &im->units[s->seq[slot->unit].u];
	c->pos = c->start + u->start;
	c->line = u->line;
	cs_map_populate(im->data, u->start, u->end);
	const cs_shared *sh = s->sh;
	for (uint32_t j = 0; j < sh->ncols; j++) {
		cs_colbuf *b = &slot->cols[j];
		memset(b->valid, 0, (im->unit_rows + 7) / 8);
		b->vals_len = 0;
		if (b->offs)
			b->offs[0] = 0;
	}
	slot->rows = 0; /* kept current: a failed unit's rows before the failure are put */
	slot->tally.padded = slot->tally.trimmed = slot->tally.rejected = 0;
	slot->tally.nrej = 0;
	int rc = im->o->lenient ? cs_parse_rows(slot, im, c, t, u->end)
	                        : cs_parse_batches(slot, im, c, t, u->end);
	if (rc)
		return rc;
	for (uint32_t k = 0; k < im->nabsent; k++) { /* --union: all null */
		cs_colbuf *b = &slot->cols[im->absent[k]];
		if (b->offs)
			memset(b->offs, 0, (slot->rows + 1) * sizeof(uint64_t));
	}
	return COLSTORE_OK;
}

/* a slot's buffers for s->unit_rows rows, on its first use */
static int cs_slot_buffers(const cs_p2 *s, cs_slot *slot)
{
	const cs_shared *sh = s->sh;
	uint32_t rows = s->unit_rows;
	if (slot->lines)
		return COLSTORE_OK;
	for (uint32_t i = 0; i < sh->ncols; i++) {
		cs_colbuf *b = &slot->cols[i];
		colstore_type t = sh->cols[i].type;
		if (!b->valid && !(b->valid = calloc((rows + 7) / 8, 1)))
			return COLSTORE_ENOMEM;
		if (t == COLSTORE_TYPE_STRING) {
			if (!b->offs && !(b->offs = malloc(((size_t)rows + 1) * sizeof(uint64_t))))
				return COLSTORE_ENOMEM;
			if (cs_grow_vals(b, rows < 4096 ? 256 : 1 << 16))
				return COLSTORE_ENOMEM;
			if (cs_writer_hashed(s->w, i) && !b->hash &&
			    !(b->hash = malloc(((size_t)rows ? rows : 1) * sizeof(uint64_t))))
				return COLSTORE_ENOMEM;
			slot->hashes[i] = b->hash;
		} else if (!b->vals) {
			unsigned w = t == COLSTORE_TYPE_BOOL ? 1 : colstore_type_width(t);
			if (!(b->vals = calloc(rows ? rows : 1, w)))
				return COLSTORE_ENOMEM;
			b->vals_cap = (size_t)rows * w;
		}
	}
	/* made last: it says the slot has all its buffers */
	slot->lines = malloc(((size_t)rows ? rows : 1) * sizeof(uint64_t));
	return slot->lines ? COLSTORE_OK : COLSTORE_ENOMEM;
}

/* unit u of the sequence into slot (slot->rc says how it went) */
static void cs_p2w_unit(cs_p2 *s, cs_p2w *t, size_t u, cs_slot *slot)
{
	slot->unit = u;
	slot->rows = 0;
	cs_import *im = &s->ims[s->seq[u].in];
	if (s->seq[u].in != t->in) { /* the next input: a tokenizer over it */
		if (t->in != UINT32_MAX && !t->init)
			cs_csv_free(&t->c);
		t->in = s->seq[u].in;
		t->init = cs_csv_init(&t->c, im->data, im->size, &im->dialect);
		t->c.expect = im->ncols;
		t->sc.d = &im->dialect;
		free(t->kinds);
		free(t->fb);
		free(t->nf);
		t->kinds = NULL;
		t->cap = im->ncols && CS_BATCH_FIELDS / im->ncols > 1 ? CS_BATCH_FIELDS / im->ncols : 1;
		t->fb = malloc((size_t)t->cap * (im->ncols ? im->ncols : 1) * sizeof(cs_csv_field));
		t->nf = malloc((size_t)t->cap * sizeof(uint32_t));
		if (!t->init && (!(t->kinds = malloc(im->ncols ? im->ncols : 1)) || !t->fb || !t->nf)) {
			cs_csv_free(&t->c);
			t->init = COLSTORE_ENOMEM;
		}
		for (uint32_t i = 0; !t->init && i < im->ncols; i++)
			t->kinds[i] = cs_conv_kind(&im->cols[i]);
	}
	slot->rc = t->init || cs_slot_buffers(s, slot)
	                   ? cs_err(&slot->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory")
	                   : cs_parse_unit(s, slot, im, &t->c, t);
	cs_hash_unit(slot, s->sh->ncols); /* (a failed unit's rows before it are put) */
}

static void cs_p2w_free(cs_p2w *t)
{
	if (t->in != UINT32_MAX && !t->init)
		cs_csv_free(&t->c);
	free(t->kinds);
	free(t->fb);
	free(t->nf);
	free(t->sc.p);
}

/* a unit may be taken: the next not yet taken, whose slot is free */
static inline int cs_p2_claimable(const cs_p2 *s)
{
	return s->next < s->nseq && s->next < s->consumed + s->nslots;
}

/* with s->mu held and cs_p2_claimable(): the next unit taken, converted
 * with the lock released, and its slot marked ready; s->mu held again */
static void cs_p2_convert_next(cs_p2 *s, cs_p2w *t)
{
	size_t u = s->next++;
	cs_slot *slot = &s->slots[u % s->nslots];
	pthread_mutex_unlock(&s->mu);
	cs_p2w_unit(s, t, u, slot);
	pthread_mutex_lock(&s->mu);
	slot->ready = 1;
	pthread_cond_broadcast(&s->cv);
}

static void *cs_p2_worker(void *arg)
{
	cs_p2 *s = arg;
	cs_p2w t = { .in = UINT32_MAX };
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stop && s->next < s->nseq && !cs_p2_claimable(s))
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop || s->next >= s->nseq)
			break;
		cs_p2_convert_next(s, &t);
	}
	pthread_mutex_unlock(&s->mu);
	cs_p2w_free(&t);
	return NULL;
}

static void cs_slots_free(cs_p2 *s)
{
	for (size_t k = 0; s->slots && k < s->nslots; k++) {
		cs_slot *slot = &s->slots[k];
		for (uint32_t i = 0; slot->cols && i < s->sh->ncols; i++) {
			free(slot->cols[i].vals);
			free(slot->cols[i].offs);
			free(slot->cols[i].valid);
			free(slot->cols[i].hash);
		}
		free(slot->cols);
		free(slot->arrays);
		free(slot->hashes);
		free(slot->lines);
		free(slot->tally.rej);
	}
	free(s->slots);
}

/* the slots, without their buffers: those are made by the thread that
 * first converts into the slot (cs_slot_buffers, above), so that their zeroing and
 * first touch (~2.5 MB for 16 slots of 4,096 rows of flights-3m's 5 columns)
 * runs on the converting threads, not on the writer's before they start */
static int cs_slots_alloc(cs_p2 *s)
{
	const cs_shared *sh = s->sh;
	s->slots = calloc(s->nslots, sizeof(cs_slot));
	if (!s->slots)
		return COLSTORE_ENOMEM;
	for (size_t k = 0; k < s->nslots; k++) {
		cs_slot *slot = &s->slots[k];
		slot->cols = calloc(sh->ncols ? sh->ncols : 1, sizeof(cs_colbuf));
		slot->arrays = calloc(sh->ncols ? sh->ncols : 1, sizeof(colstore_array));
		slot->hashes = calloc(sh->ncols ? sh->ncols : 1, sizeof(*slot->hashes));
		if (!slot->cols || !slot->arrays || !slot->hashes)
			return COLSTORE_ENOMEM;
	}
	return COLSTORE_OK;
}

/* a unit's rows into the writer, and its rejects merged between them by
 * line, so that errors come in the order they do when rows are put one at
 * a time: a row group is written as its last row is put (a write error
 * there comes after the rejects before that row, before those after it),
 * and the rows a unit converted before it failed are put first */
static int cs_p2_put(cs_import *im, cs_slot *slot, colstore_writer *w, colstore_error *err)
{
	for (size_t done = 0; done < slot->rows;) {
		size_t k = cs_writer_room(w), at;
		uint32_t col;
		if (k > slot->rows - done)
			k = (size_t)slot->rows - done;
		int rc = cs_writer_append_rows(w, slot->arrays, slot->hashes, done, k, &at, &col, err);
		if (rc) {
			colstore_error was;
			if (err)
				was = *err;
			int mrc = cs_imp_tally_merge_before(im, &slot->tally, slot->lines[at], err);
			if (mrc)
				return mrc; /* a reject before it: --max-rejects, the rejects file */
			if (err) {
				*err = was;
				if (err->line == 0) { /* say where, as cs_pass2_rows() does */
					err->line = slot->lines[at];
					for (uint32_t i = 0; col && i < im->ncols; i++)
						if (im->wcol[i] == col - 1)
							err->column = i + 1;
				}
			}
			return rc;
		}
		done += k;
		if ((rc = cs_imp_tally_merge_before(im, &slot->tally, slot->lines[done - 1], err)))
			return rc;
	}
	return cs_imp_tally_merge(im, &slot->tally, err);
}

/* the writer's side: unit after unit, in order, into the writer */
static int cs_p2_append(cs_p2 *s, colstore_writer *w, int passes, uint64_t *rows_out,
                        uint32_t *failed, colstore_error *err)
{
	cs_shared *sh = s->ims[0].sh;
	uint64_t rows = 0, released = 0;
	uint32_t in = s->nseq ? s->seq[0].in : 0;
	int rc = COLSTORE_OK;
	for (size_t u = 0; !rc && u < s->nseq; u++) {
		cs_slot *slot = &s->slots[u % s->nslots];
		/* while unit u is not ready, this thread converts the next unit
		 * not yet taken (if its slot is free) rather than wait: it does a
		 * worker's share and no thread is left to wait on the CPU for it
		 * (with one thread, it converts every unit) */
		pthread_mutex_lock(&s->mu);
		while (!(slot->ready && slot->unit == u)) {
			if (cs_p2_claimable(s))
				cs_p2_convert_next(s, s->self);
			else
				pthread_cond_wait(&s->cv, &s->mu);
		}
		pthread_mutex_unlock(&s->mu);
		if (s->seq[u].in != in) {
			/* the last input is read: its pages and temporary files go */
			sh->base += s->ims[in].size;
			cs_input_unmap(&s->ims[in]);
			in = s->seq[u].in;
			released = 0;
		}
		cs_import *im = &s->ims[in];
		const cs_unit *unit = &im->units[s->seq[u].u];
		*failed = in;
		for (uint32_t j = 0; j < sh->ncols; j++) {
			slot->arrays[j].values = slot->cols[j].vals;
			slot->arrays[j].offsets = slot->cols[j].offs;
			/* none null: no bitmap, and the writer copies without looking */
			slot->arrays[j].validity =
			        cs_bitmap_popcount(slot->cols[j].valid, slot->rows) == slot->rows
			                ? NULL
			                : slot->cols[j].valid;
		}
		/* the rows converted (all, or those before the row where the unit
		 * stopped: its rejects are those before that row), then its error */
		if (!(rc = cs_p2_put(im, slot, w, err)) && slot->rc) {
			rc = slot->rc;
			if (err)
				*err = slot->err;
		}
		rows += slot->rows;
		pthread_mutex_lock(&s->mu);
		slot->ready = 0;
		s->consumed++;
		if (rc)
			s->stop = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (!rc)
			cs_release_behind(im->data, &released, unit->end);
		if (!rc)
			rc = cs_imp_progress(im, unit->end, passes, passes, rows, err);
	}
	if (!rc && s->nseq) {
		sh->base += s->ims[in].size;
		cs_input_unmap(&s->ims[in]);
	}
	*rows_out = rows;
	return rc;
}

int cs_imp_pass2_mt(cs_import *ims, uint32_t n, colstore_writer *w, int passes,
                    uint64_t *rows_out, uint32_t *failed, colstore_error *err)
{
	cs_p2 s;
	memset(&s, 0, sizeof(s));
	s.ims = ims;
	s.sh = ims[0].sh;
	s.w = w;
	uint32_t threads = s.sh->threads > 1 ? s.sh->threads : 1;
	for (uint32_t k = 0; k < n; k++) {
		if (ims[k].empty)
			continue;
		s.nseq += ims[k].nunits;
		if (ims[k].unit_rows > s.unit_rows)
			s.unit_rows = ims[k].unit_rows;
	}
	/* units converted ahead: 8 a thread, so that the one worker rarely
	 * waits on the writer's thread while it converts a unit itself or
	 * flushes a row group (16 units of 4,096 rows); 4 or 2 a thread when a
	 * unit's values may be big (a wide table), as memory goes with the
	 * slots: at most 8, 16 or 32 MiB of values a thread (more only past
	 * 16,384 columns, where a unit keeps its least of 64 rows) */
	const size_t unit_bytes = (size_t)s.unit_rows * s.sh->ncols * 16;
	s.nslots = threads == 1 ? 1
	           : (size_t)threads * (unit_bytes <= CS_UNIT_BYTES / 16  ? 8
	                                : unit_bytes <= CS_UNIT_BYTES / 4 ? 4
	                                                                  : 2);
	s.seq = malloc((s.nseq ? s.nseq : 1) * sizeof(cs_seq));
	int rc = s.seq ? cs_slots_alloc(&s) : COLSTORE_ENOMEM;
	if (rc) {
		cs_slots_free(&s);
		free(s.seq);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t k = 0, q = 0; k < n; k++)
		for (size_t u = 0; !ims[k].empty && u < ims[k].nunits; u++)
			s.seq[q++] = (cs_seq){ k, u };
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	pthread_t th[64];
	uint32_t started = 0;
	cs_p2w self = { .in = UINT32_MAX };
	s.self = &self;
	/* threads - 1 workers: this thread converts too (cs_p2_append) */
	for (; started + 1 < threads && started < 64; started++)
		if (cs_thread_start(&th[started], cs_p2_worker, &s))
			break;
	if (threads > 1 && started == 0)
		rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "cannot start a thread");
	else
		rc = cs_p2_append(&s, w, passes, rows_out, failed, err);
	cs_p2w_free(&self);
	pthread_mutex_lock(&s.mu);
	s.stop = 1;
	pthread_cond_broadcast(&s.cv);
	pthread_mutex_unlock(&s.mu);
	for (uint32_t k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	cs_slots_free(&s);
	free(s.seq);
	return rc;
}
