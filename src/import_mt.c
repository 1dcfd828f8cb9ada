/*
 * import_mt.c -- the CSV import's two passes on several threads.
 *
 * Pass 1 cuts the input into one part per thread, each starting just after
 * a line break, and infers types on each part in parallel.  A cut may fall
 * inside a quoted field that holds a line break; so afterwards each part is
 * accepted only if it starts exactly where the previous part's last record
 * ended, and a part that does not is parsed again, from the right place, on
 * the calling thread.  The parts' inferences are then merged.  Pass 1 also
 * records where every 65536th record starts: pass 2's work units.
 *
 * Pass 2 parses units on worker threads into column batches, in a ring of
 * 2 x threads slots; the calling thread appends them to the writer in
 * order, so the file is the same byte for byte whatever the thread count.
 */
#define _GNU_SOURCE /* memrchr */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "import.h"


/* ---- pass 1 ------------------------------------------------------------- */

/* wait on cv (mu held) for at most 100 ms: 0 when signalled, a time to
 * report progress otherwise */
static int cs_wait_100ms(pthread_cond_t *cv, pthread_mutex_t *mu)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_cond_timedwait(cv, mu, &ts);
}

/* the calling thread waits for the parts here, waking to report progress */
typedef struct cs_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint32_t finished;
} cs_waiter;

typedef struct cs_part {
	const cs_import *im;
	uint64_t start, bound; /* parse the records that start in [start, bound) */
	uint64_t view;         /* and read no byte at or past this one */
	uint64_t end;          /* where the last record ended */
	uint64_t lines;        /* line breaks consumed */
	uint64_t rows;
	cs_icol *cols;         /* private inference state */
	cs_unit *units;        /* unit starts, lines relative to the part (1 = first) */
	size_t nunits, cap;
	uint64_t t_at, t_line; /* lenient: where a second table starts (line relative) */
	uint64_t done;  /* progress (atomic), read by the calling thread */
	uint64_t rows_seen; /* the same, in rows (atomic) */
	int finished;   /* atomic */
	int *cancel;    /* atomic */
	struct cs_waiter *waiter; /* told when the part is done (NULL: run in place) */
	int rc;
	colstore_error err;
	pthread_t th;
} cs_part;

static void cs_part_free(cs_part *p, uint32_t ncols)
{
	for (uint32_t i = 0; p->cols && i < ncols; i++)
		free(p->cols[i].hll);
	free(p->cols);
	free(p->units);
	p->cols = NULL;
	p->units = NULL;
}

/* a part's inference starts from tmpl: the columns as before pass 1 (not
 * im->cols, which holds the parts merged so far when a part is run again) */
static int cs_part_init(cs_part *p, const cs_import *im, const cs_icol *tmpl)
{
	/* whole cache lines of its own: the thread writes its columns' state at
	 * every value, and a line shared with memory another thread writes
	 * (the parts' other allocations) made pass 1 half as fast again */
	size_t bytes = (im->ncols * sizeof(cs_icol) + 63) / 64 * 64;
	p->cols = aligned_alloc(64, bytes);
	if (p->cols)
		memset(p->cols, 0, bytes);
	if (!p->cols)
		return COLSTORE_ENOMEM;
	for (uint32_t i = 0; i < im->ncols; i++) {
		p->cols[i] = tmpl[i];
		p->cols[i].hll = NULL;
		if (tmpl[i].hll && !(p->cols[i].hll = calloc(1, CS_HLL_M)))
			return COLSTORE_ENOMEM;
	}
	return COLSTORE_OK;
}

static void *cs_part_run(void *arg)
{
	cs_part *p = arg;
	const cs_import *im = p->im;
	cs_csv c;
	cs_csv peek;
	p->rc = cs_csv_init(&c, im->data, p->view, &im->dialect);
	if (p->rc)
		return NULL;
	if ((p->rc = cs_csv_init(&peek, im->data, p->view, &im->dialect))) {
		cs_csv_free(&c);
		return NULL;
	}
	c.expect = peek.expect = im->ncols;
	int look = im->tables_ok && !im->table_end_known;
	/* counted here, not in *p: the parts lie side by side in memory, and a
	 * write per record to one would slow the thread reading the next */
	uint64_t rows = 0, urows = 0, ustart = 0;
	c.pos = c.start + p->start;
	c.line = 1;
	uint64_t released = p->start;
	for (;;) {
		cs_csv_skip_blank(&c);
		uint64_t at = (uint64_t)(c.pos - c.start);
		if (at >= p->bound || c.pos >= c.end)
			break;
		if (cs_imp_unit_full(im, p->nunits, urows, at - ustart)) {
			urows = 0;
			ustart = at;
			if (p->nunits == p->cap) {
				size_t cap = p->cap ? p->cap * 2 : 64;
				cs_unit *u = realloc(p->units, cap * sizeof(*u));
				if (!u) {
					p->rc = cs_err(&p->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
					               "out of memory");
					break;
				}
				p->units = u;
				p->cap = cap;
			}
			p->units[p->nunits++] = (cs_unit){ at, 0, c.line };
		}
		int more = cs_csv_next(&c, &p->err);
		if (more == 0)
			break;
		if (more != 1) {
			p->rc = more;
			break;
		}
		if (look && cs_imp_second_table(im, &c, &peek, &p->t_at, &p->t_line))
			look = 0; /* the rows after it are inferred again, without it */
		if ((p->rc = cs_imp_infer_record(im, p->cols, &c, &p->err)))
			break;
		urows++;
		if ((++rows & 0x3fff) == 0) {
			__atomic_store_n(&p->done, (uint64_t)(c.pos - c.start) - p->start,
			                 __ATOMIC_RELAXED);
			__atomic_store_n(&p->rows_seen, rows, __ATOMIC_RELAXED);
			if (__atomic_load_n(p->cancel, __ATOMIC_RELAXED))
				break;
			/* this part's pages only */
			cs_release_behind(im->data, &released, (uint64_t)(c.pos - c.start));
		}
	}
	p->rows = rows;
	p->end = (uint64_t)(c.pos - c.start);
	cs_map_release(im->data, released, p->end); /* (a streamed input has many parts) */
	p->lines = c.line - 1; /* error lines stay relative to the part: 1 = its first */
	__atomic_store_n(&p->done, p->end - p->start, __ATOMIC_RELAXED);
	cs_csv_free(&c);
	cs_csv_free(&peek);
	__atomic_store_n(&p->finished, 1, __ATOMIC_RELEASE);
	if (p->waiter) {
		pthread_mutex_lock(&p->waiter->mu);
		p->waiter->finished++;
		pthread_cond_signal(&p->waiter->cv);
		pthread_mutex_unlock(&p->waiter->mu);
	}
	return NULL;
}

/* the value of part b that ruled out the last of the candidates `keep`
 * (the types the parts before it left): the first of b's values, in order,
 * after which none of them is left; its index among b's drops, or -1 */
static int cs_culprit(const cs_icol *b, unsigned keep)
{
	int best = -1;
	for (int k = 0; k < 5; k++) {
		if (!b->drop_line[k])
			continue;
		unsigned gone = 0; /* every type b had ruled out by that line */
		for (int j = 0; j < 5; j++)
			if (b->drop_line[j] && b->drop_line[j] <= b->drop_line[k])
				gone |= 1u << j;
		if (!(keep & ~gone) && (best < 0 || b->drop_line[k] < b->drop_line[best]))
			best = k;
	}
	return best;
}

void cs_imp_merge_sketch(cs_icol *a, const cs_icol *b)
{
	if (!b->hll)
		return;
	if (!a->hll)
		a->hll = calloc(1, CS_HLL_M);
	for (unsigned k = 0; a->hll && k < CS_HLL_M; k++)
		if (b->hll[k] > a->hll[k])
			a->hll[k] = b->hll[k];
	a->counted += b->counted;
	a->bytes += b->bytes;
}

void cs_imp_merge(cs_icol *into, const cs_icol *from, uint32_t ncols, uint64_t off,
                  const uint8_t *data, const uint32_t *map, uint32_t in, int sketch)
{
	if (!map && !into[0].hdr_line && from[0].hdr_line)
		into[0].hdr_line = from[0].hdr_line + off;
	for (uint32_t i = 0; i < ncols; i++) {
		cs_icol *a = &into[map ? map[i] : i];
		const cs_icol *b = &from[i];
		/* the value that ended the types a's values had: exactly the one a
		 * single pass in order would name */
		if (!a->why_line && a->seen && a->cand && b->seen && !(a->cand & b->cand)) {
			int k = cs_culprit(b, a->cand);
			if (k >= 0) {
				a->why_line = b->drop_line[k] + off;
				a->why_len = b->drop_len[k] < 40 ? b->drop_len[k] : 40;
				memcpy(a->why, data + b->drop_at[k], a->why_len);
				a->why_in = in;
			}
		} else if (!a->why_line && !a->seen && b->why_line) {
			a->why_line = b->why_line + off;
			a->why_len = b->why_len;
			memcpy(a->why, b->why, b->why_len);
			a->why_in = in;
		}
		a->cand &= b->cand;
		if (!a->dmy_ex[0])
			memcpy(a->dmy_ex, b->dmy_ex, sizeof(a->dmy_ex));
		a->dmy &= b->dmy;
		a->nonnull += b->nonnull;
		a->seen |= b->seen;
		if (b->imin < a->imin)
			a->imin = b->imin;
		if (b->imax > a->imax)
			a->imax = b->imax;
		if (sketch)
			cs_imp_merge_sketch(a, b);
	}
}

/* pass 1 on several threads, in rounds: the state between them */
typedef struct cs_p1 {
	cs_import *im;
	uint32_t t;
	cs_part *parts;
	cs_icol *tmpl;     /* the columns as before pass 1 */
	int cancel;
	uint64_t from;     /* where the records not yet accepted start */
	uint64_t line;     /* and its line */
	uint64_t rows;     /* the records before it */
	size_t ucap;       /* units im->units has room for */
} cs_p1;

/* room in im->units for need units */
static int cs_p1_room(cs_p1 *s, size_t need, colstore_error *err)
{
	if (need <= s->ucap)
		return COLSTORE_OK;
	size_t cap = need > s->ucap * 2 ? need : s->ucap * 2;
	cs_unit *u = realloc(s->im->units, cap * sizeof(cs_unit));
	if (!u)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	memset(u + s->ucap, 0, (cap - s->ucap) * sizeof(cs_unit));
	s->im->units = u;
	s->ucap = cap;
	return COLSTORE_OK;
}

/* Parts of the records that start in [s->from, bound) on t threads, each
 * reading no byte at or past view, accepted in order into im->cols and
 * im->units.  The last round (final: view is the input's end) parses again
 * a part cut in a bad place and fails on a part's error; an earlier one
 * (view: the text decompressed so far) stops at the first part that failed
 * or read up to view, since the text it lacked may change either, and the
 * next round parses from there again. */
static int cs_p1_round(cs_p1 *s, uint32_t t, uint64_t bound, uint64_t view, int final,
                       colstore_error *err)
{
	cs_import *im = s->im;
	cs_part *parts = s->parts;
	int rc = COLSTORE_OK;
	memset(parts, 0, t * sizeof(*parts));
	/* cut just after a line break near each 1/t of the range */
	uint64_t prev = s->from, len = bound - s->from;
	for (uint32_t k = 0; k < t; k++) {
		uint64_t cut = k + 1 == t ? bound : s->from + len / t * (k + 1);
		if (cut < prev)
			cut = prev;
		if (k + 1 < t && cut < bound) {
			const uint8_t *nl = memchr(im->data + cut, '\n', bound - cut);
			cut = nl ? (uint64_t)(nl - im->data) + 1 : bound;
		}
		parts[k].im = im;
		parts[k].start = prev;
		parts[k].bound = cut;
		parts[k].view = view;
		parts[k].cancel = &s->cancel;
		prev = cut;
		if ((rc = cs_part_init(&parts[k], im, s->tmpl)))
			goto out;
	}
	cs_waiter wt;
	pthread_mutex_init(&wt.mu, NULL);
	pthread_cond_init(&wt.cv, NULL);
	wt.finished = 0;
	uint32_t started = 0;
	for (; t > 1 && started < t; started++) {
		parts[started].waiter = &wt;
		if (pthread_create(&parts[started].th, NULL, cs_part_run, &parts[started]))
			break;
	}
	/* report progress every 100 ms while they run (a small input is done
	 * before the first report) */
	pthread_mutex_lock(&wt.mu);
	while (wt.finished < started) {
		if (cs_wait_100ms(&wt.cv, &wt.mu) == 0 || wt.finished == started)
			continue;
		pthread_mutex_unlock(&wt.mu);
		uint64_t done = 0, rows = 0;
		for (uint32_t k = 0; k < started; k++) {
			done += __atomic_load_n(&parts[k].done, __ATOMIC_RELAXED);
			rows += __atomic_load_n(&parts[k].rows_seen, __ATOMIC_RELAXED);
		}
		if (!__atomic_load_n(&s->cancel, __ATOMIC_RELAXED) &&
		    cs_imp_progress(im, s->from + done, 1, 2, s->rows + rows, err))
			__atomic_store_n(&s->cancel, 1, __ATOMIC_RELAXED);
		pthread_mutex_lock(&wt.mu);
	}
	pthread_mutex_unlock(&wt.mu);
	for (uint32_t k = 0; k < started; k++)
		pthread_join(parts[k].th, NULL);
	for (uint32_t k = started; k < t; k++)
		parts[k].waiter = NULL; /* run below, in place */
	pthread_mutex_destroy(&wt.mu);
	pthread_cond_destroy(&wt.cv);
	if (s->cancel) {
		rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "import cancelled");
		goto out;
	}
	for (uint32_t k = started; k < t; k++)
		cs_part_run(&parts[k]); /* one thread, or a thread could not be started */
	/* accept the parts in order; parse again the ones cut in a bad place */
	for (uint32_t k = 0; k < t; k++) {
		cs_part *p = &parts[k];
		if (p->start != s->from) {
			/* the cut fell inside a record: again, from where it really starts */
			uint64_t pbound = p->bound;
			cs_part_free(p, im->ncols);
			memset(p, 0, sizeof(*p));
			p->im = im;
			p->cancel = &s->cancel;
			p->start = s->from;
			p->bound = pbound > s->from ? pbound : s->from;
			p->view = view;
			if ((rc = cs_part_init(p, im, s->tmpl)))
				goto out;
			cs_part_run(p);
		}
		if (!final && (p->rc || p->end >= view))
			break; /* it may have lacked text still to come: in the next round */
		if (p->rc) {
			rc = p->rc;
			if (err) {
				*err = p->err;
				if (err->line)
					err->line += s->line - 1;
			}
			goto out;
		}
		if ((rc = cs_p1_room(s, im->nunits + p->nunits + 1, err)))
			goto out;
		cs_imp_merge(im->cols, p->cols, im->ncols, s->line - 1, im->data, NULL, 0, 1);
		if (p->t_line && !im->table_end) {
			im->table_end = p->t_at;
			im->table2_line = p->t_line + s->line - 1;
		}
		for (size_t u = 0; u < p->nunits; u++) {
			if (im->nunits)
				im->units[im->nunits - 1].end = p->units[u].start;
			im->units[im->nunits] = p->units[u];
			im->units[im->nunits].line += s->line - 1;
			im->nunits++;
		}
		s->line += p->lines;
		s->rows += p->rows;
		s->from = p->end > s->from ? p->end : s->from;
		if (im->nunits)
			im->units[im->nunits - 1].end = s->from;
	}
out:
	for (uint32_t k = 0; k < t; k++)
		cs_part_free(&parts[k], im->ncols);
	return rc;
}

static int cs_p1_init(cs_p1 *s, cs_import *im, uint64_t data_start, uint64_t first_line,
                      colstore_error *err)
{
	memset(s, 0, sizeof(*s));
	s->im = im;
	s->t = im->threads ? im->threads : 1;
	s->parts = calloc(s->t, sizeof(cs_part));
	s->tmpl = malloc(im->ncols * sizeof(cs_icol) + 1);
	s->from = data_start;
	s->line = first_line;
	s->ucap = 1;
	im->units = calloc(1, sizeof(cs_unit));
	if (!s->parts || !s->tmpl || !im->units)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	memcpy(s->tmpl, im->cols, im->ncols * sizeof(cs_icol)); /* hll: only to say which have one */
	return COLSTORE_OK;
}

static void cs_p1_free(cs_p1 *s)
{
	free(s->parts);
	free(s->tmpl);
}

int cs_imp_pass1_mt(cs_import *im, uint64_t data_start, uint64_t first_line, colstore_error *err)
{
	cs_p1 s;
	int rc = cs_p1_init(&s, im, data_start, first_line, err);
	if (!rc)
		rc = cs_p1_round(&s, s.t, im->size, im->size, 1, err);
	cs_p1_free(&s);
	return rc;
}

/* A streamed input's pass 1: rounds over the text decompressed so far, a
 * few MiB a thread each, as it comes; the last over the rest once it is
 * all there.  The same parts accepted the same way give the inference a
 * single pass gives (cs_imp_merge), whatever the rounds' cuts. */
int cs_imp_pass1_stream(cs_import *im, uint64_t data_start, uint64_t first_line,
                        colstore_error *err)
{
	cs_p1 s;
	int rc = cs_p1_init(&s, im, data_start, first_line, err);
	uint64_t avail = im->size, want = s.from + (uint64_t)s.t * cs_stream.round;
	while (!rc && im->dz) {
		int done = cs_dz_wait(im->dz, want, 100, &avail);
		if (done)
			break;
		if (avail < want) { /* 100 ms without enough text: say where it is */
			rc = cs_imp_progress(im, s.from, 1, 2, s.rows, err);
			continue;
		}
		/* the records that start before a line break some way before the
		 * end of the text so far (so that the last one, should that line
		 * break be in a quoted field, most likely still ends in it) */
		uint64_t bound = s.from, room = (avail - s.from) / 8;
		room = room > (1u << 20) ? (1u << 20) : room ? room : 1;
		if (avail > s.from + room) {
			const uint8_t *nl = memrchr(im->data + s.from, '\n', avail - room - s.from);
			if (nl)
				bound = (uint64_t)(nl - im->data) + 1;
		}
		/* a core left to the decompression, the critical path while it runs */
		if (bound > s.from)
			rc = cs_p1_round(&s, s.t > 1 ? s.t - 1 : 1, bound, avail, 0, err);
		/* the next round: more text than this one had */
		want = (s.from > avail ? s.from : avail) + (uint64_t)s.t * cs_stream.round;
	}
	if (!rc && (rc = cs_input_whole(im, err)) == COLSTORE_OK)
		rc = cs_p1_round(&s, s.t, im->size, im->size, 1, err);
	cs_p1_free(&s);
	return rc;
}

/* ---- work on many inputs at once --------------------------------------- */

/* a pool of threads that each take the next input of a list: to map it
 * (decompress, convert) or to run its pass 1 */
typedef struct cs_pool {
	cs_import *ims;
	const uint32_t *todo;
	uint32_t ntodo, next, finished;
	int pass;       /* 0: map; 1: pass 1 */
	uint64_t done;  /* bytes of the inputs finished */
	int cancel;
	int *rc;        /* per entry of todo */
	colstore_error *err;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} cs_pool;

static void *cs_pool_run(void *arg)
{
	cs_pool *m = arg;
	for (;;) {
		pthread_mutex_lock(&m->mu);
		uint32_t j = m->next;
		if (m->cancel || j >= m->ntodo) {
			pthread_mutex_unlock(&m->mu);
			break;
		}
		m->next++;
		pthread_mutex_unlock(&m->mu);
		cs_import *im = &m->ims[m->todo[j]];
		m->rc[j] = m->pass ? cs_imp_pass1(im, &m->err[j])
		                   : cs_input_map(im, im->file, &m->err[j]);
		pthread_mutex_lock(&m->mu);
		m->done += im->size;
		m->finished++;
		if (m->rc[j])
			m->cancel = 1; /* the inputs after it need not be read */
		pthread_cond_signal(&m->cv);
		pthread_mutex_unlock(&m->mu);
	}
	return NULL;
}

int cs_imp_each(cs_import *ims, const uint32_t *todo, uint32_t ntodo, uint32_t threads, int pass,
                uint32_t *failed, colstore_error *err)
{
	cs_pool m;
	memset(&m, 0, sizeof(m));
	m.ims = ims;
	m.todo = todo;
	m.ntodo = ntodo;
	m.pass = pass;
	m.rc = calloc(ntodo ? ntodo : 1, sizeof(int));
	m.err = calloc(ntodo ? ntodo : 1, sizeof(colstore_error));
	if (!m.rc || !m.err) {
		free(m.rc);
		free(m.err);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cv, NULL);
	pthread_t th[64];
	uint32_t started = 0;
	for (; ntodo > 1 && started < threads && started < 64 && started < ntodo; started++)
		if (pthread_create(&th[started], NULL, cs_pool_run, &m))
			break;
	if (!started)
		cs_pool_run(&m);
	/* pass 1's progress every 100 ms, from this thread */
	cs_import *first = &ims[todo[0]];
	pthread_mutex_lock(&m.mu);
	while (started && m.finished < ntodo && !m.cancel) {
		if (cs_wait_100ms(&m.cv, &m.mu) == 0 || !pass)
			continue;
		uint64_t done = m.done;
		pthread_mutex_unlock(&m.mu);
		first->quiet = 0;
		int stop = cs_imp_progress(first, done, 1, 2, 0, NULL) != COLSTORE_OK;
		first->quiet = 1;
		pthread_mutex_lock(&m.mu);
		if (stop)
			m.cancel = 2;
	}
	int cancelled = m.cancel == 2;
	pthread_mutex_unlock(&m.mu);
	for (uint32_t k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&m.mu);
	pthread_cond_destroy(&m.cv);
	int rc = COLSTORE_OK;
	for (uint32_t j = 0; j < ntodo && !rc; j++) /* the first input that failed */
		if (m.rc[j]) {
			rc = m.rc[j];
			*failed = todo[j];
			if (err)
				*err = m.err[j];
		}
	if (!rc && cancelled)
		rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "import cancelled");
	free(m.rc);
	free(m.err);
	return rc;
}

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
		if ((ok = cs_parse_int(p, n, &iv) && iv >= INT8_MIN && iv <= INT8_MAX))
			b->vals[r] = (uint8_t)iv;
		break;
	case CV_I16:
		if ((ok = cs_parse_int(p, n, &iv) && iv >= INT16_MIN && iv <= INT16_MAX)) {
			int16_t v = (int16_t)iv;
			memcpy(b->vals + r * 2, &v, 2);
		}
		break;
	case CV_I32:
		if ((ok = cs_parse_int(p, n, &iv) && iv >= INT32_MIN && iv <= INT32_MAX)) {
			int32_t v = (int32_t)iv;
			memcpy(b->vals + r * 4, &v, 4);
		}
		break;
	case CV_I64:
		if ((ok = cs_parse_int(p, n, &iv)))
			memcpy(b->vals + r * 8, &iv, 8);
		break;
	case CV_F64:
		if ((ok = cs_parse_double(p, n, &dv)))
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

static int cs_parse_unit(cs_p2 *s, cs_slot *slot, cs_import *im, cs_csv *c, cs_p2w *t)
{
	cs_scratch *sc = &t->sc;
	const uint8_t *kinds = t->kinds;
	const cs_unit *u = &im->units[s->seq[slot->unit].u];
	c->pos = c->start + u->start;
	c->line = u->line;
	const cs_shared *sh = s->sh;
	for (uint32_t j = 0; j < sh->ncols; j++) {
		cs_colbuf *b = &slot->cols[j];
		memset(b->valid, 0, (im->unit_rows + 7) / 8);
		b->vals_len = 0;
		if (b->offs)
			b->offs[0] = 0;
	}
	uint64_t r = 0;
	slot->rows = 0; /* kept current: a failed unit's rows before the failure are put */
	slot->tally.padded = slot->tally.trimmed = slot->tally.rejected = 0;
	slot->tally.nrej = 0;
	uint32_t nc = im->ncols;
	if (!im->o->lenient) {
		int rc = cs_parse_batches(slot, im, c, t, u->end);
		r = slot->rows;
		if (rc)
			return rc;
	}
	for (; im->o->lenient;) {
		cs_csv_skip_blank(c);
		if ((uint64_t)(c->pos - c->start) >= u->end || c->pos >= c->end)
			break;
		if (r == im->unit_rows)
			return cs_err(&slot->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "internal error: a work unit holds too many rows");
		int more = cs_csv_next(c, &slot->err);
		if (more == 0)
			break;
		if (more != 1)
			return more;
		cs_reject rej;
		int rc = cs_imp_classify(im, c, &rej, &slot->err);
		if (rc < 0)
			return -rc;
		if (rc == CS_ROW_OK && im->o->lenient && im->any_forced &&
		    cs_imp_bad_forced(im, c, sc, &rej))
			rc = CS_ROW_REJECT;
		if (rc != CS_ROW_OK && im->o->lenient &&
		    cs_tally_add(&slot->tally, rc, c->rec_line, &rej))
			return cs_err(&slot->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (rc == CS_ROW_REJECT)
			continue;
		for (uint32_t i = 0; i < nc; i++) {
			rc = cs_convert(im, &slot->cols[im->wcol[i]], i, kinds[i], r,
			                i < c->nfields ? &c->fields[i] : NULL, sc, c->rec_line, &slot->err);
			if (rc)
				return rc;
		}
		slot->lines[r] = c->rec_line;
		slot->rows = ++r;
	}
	for (uint32_t k = 0; k < im->nabsent; k++) { /* --union: all null */
		cs_colbuf *b = &slot->cols[im->absent[k]];
		if (b->offs)
			memset(b->offs, 0, (r + 1) * sizeof(uint64_t));
	}
	return COLSTORE_OK;
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
	slot->rc = t->init ? cs_err(&slot->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory")
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

static int cs_slots_alloc(cs_p2 *s)
{
	const cs_shared *sh = s->sh;
	uint32_t rows = s->unit_rows;
	s->slots = calloc(s->nslots, sizeof(cs_slot));
	if (!s->slots)
		return COLSTORE_ENOMEM;
	for (size_t k = 0; k < s->nslots; k++) {
		cs_slot *slot = &s->slots[k];
		slot->cols = calloc(sh->ncols, sizeof(cs_colbuf));
		slot->arrays = calloc(sh->ncols, sizeof(colstore_array));
		slot->hashes = calloc(sh->ncols ? sh->ncols : 1, sizeof(*slot->hashes));
		slot->lines = malloc(((size_t)rows ? rows : 1) * sizeof(uint64_t));
		if (!slot->cols || !slot->arrays || !slot->hashes || !slot->lines)
			return COLSTORE_ENOMEM;
		for (uint32_t i = 0; i < sh->ncols; i++) {
			cs_colbuf *b = &slot->cols[i];
			colstore_type t = sh->cols[i].type;
			b->valid = calloc((rows + 7) / 8, 1);
			if (!b->valid)
				return COLSTORE_ENOMEM;
			if (t == COLSTORE_TYPE_STRING) {
				b->offs = malloc(((size_t)rows + 1) * sizeof(uint64_t));
				if (!b->offs || cs_grow_vals(b, rows < 4096 ? 256 : 1 << 16))
					return COLSTORE_ENOMEM;
				if (cs_writer_hashed(s->w, i) &&
				    !(b->hash = malloc(((size_t)rows ? rows : 1) * sizeof(uint64_t))))
					return COLSTORE_ENOMEM;
				slot->hashes[i] = b->hash;
			} else {
				unsigned w = t == COLSTORE_TYPE_BOOL ? 1 : colstore_type_width(t);
				b->vals = calloc(rows, w);
				b->vals_cap = (size_t)rows * w;
				if (!b->vals)
					return COLSTORE_ENOMEM;
			}
		}
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
	/* units converted ahead: 4 a thread, so that the one worker rarely
	 * waits on the writer's thread while it converts a unit itself; 2 a
	 * thread when a unit's values may be big (a wide table), as memory goes
	 * with the slots */
	const size_t unit_bytes = (size_t)s.unit_rows * s.sh->ncols * 16;
	s.nslots = threads == 1 ? 1 : (size_t)threads * (unit_bytes <= CS_UNIT_BYTES / 4 ? 4 : 2);
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
		if (pthread_create(&th[started], NULL, cs_p2_worker, &s))
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
