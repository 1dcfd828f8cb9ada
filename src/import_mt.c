/*
 * import_mt.c -- the CSV import's first pass on several threads, and work
 * on many inputs at once (the second pass: import_p2.c).
 *
 * Pass 1 cuts the input into parts, each starting just after a line break
 * (one a thread, or up to 8 a thread on a large input: cs_p1_nparts()),
 * and infers types on each part in parallel, the threads taking the parts
 * in turn.  A cut may fall
 * inside a quoted field that holds a line break; so afterwards each part is
 * accepted only if it starts exactly where the previous part's last record
 * ended, and a part that does not is parsed again, from the right place, on
 * the calling thread.  The parts' inferences are then merged.  Pass 1 also
 * records where pass 2's work units start (cs_imp_unit_full(): 4,096
 * records or 1 MiB of text each).
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
	uint32_t want; /* the parts: signalled when the last is done */
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
	int *cancel;    /* atomic */
	struct cs_waiter *waiter; /* told when the part is done (NULL: run in place) */
	int rc;
	colstore_error err;
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
	if (p->rc) {
		p->rc = cs_err(&p->err, p->rc, COLSTORE_NO_OFFSET, "out of memory");
		return NULL;
	}
	if ((p->rc = cs_csv_init(&peek, im->data, p->view, &im->dialect))) {
		p->rc = cs_err(&p->err, p->rc, COLSTORE_NO_OFFSET, "out of memory");
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
	uint64_t released = p->start, populated = p->start;
	for (;;) {
		cs_csv_skip_blank(&c);
		uint64_t at = (uint64_t)(c.pos - c.start);
		if (at >= p->bound || c.pos >= c.end)
			break;
		cs_populate_ahead(im->data, &populated, at, (uint64_t)(c.end - c.start));
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
	return NULL;
}

/* the parts of a round, taken in order by whichever thread is free */
typedef struct cs_claim {
	cs_part *parts;
	uint32_t n;
	uint32_t next; /* atomic */
} cs_claim;

static void *cs_claim_run(void *arg)
{
	cs_claim *q = arg;
	for (;;) {
		uint32_t k = __atomic_fetch_add(&q->next, 1, __ATOMIC_RELAXED);
		if (k >= q->n)
			return NULL;
		cs_part *p = &q->parts[k];
		if (!__atomic_load_n(p->cancel, __ATOMIC_RELAXED))
			cs_part_run(p);
		if (p->waiter) { /* (also when it failed before it began) */
			pthread_mutex_lock(&p->waiter->mu);
			/* the waiter wakes for the last part only: a wake restarts
			 * its 100 ms to the next progress report */
			if (++p->waiter->finished == p->waiter->want)
				pthread_cond_signal(&p->waiter->cv);
			pthread_mutex_unlock(&p->waiter->mu);
		}
	}
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

/* How many parts a round of t threads cuts len bytes into.  One part a
 * thread left a core idle at the end whenever one thread started later or
 * ran slower than the other (7-12 ms of a 100 ms pass 1 of flights-3m at 2
 * threads, on this VM); up to CS_P1_PARTS a thread of cs_p1_part_min bytes
 * or more, taken in turn, leave at most a small part's time.  Their
 * inference states (a column's is a cs_icol, and a string's sketch) all
 * live until the round merges them: CS_P1_STATE bytes at most, or t
 * parts' worth when that is more. */
#define CS_P1_PARTS 8
#define CS_P1_STATE ((uint64_t)32 << 20)
uint64_t cs_p1_part_min = (uint64_t)4 << 20; /* (tests make it small) */
static uint32_t cs_p1_nparts(uint32_t t, uint64_t len, uint32_t ncols)
{
	if (t <= 1)
		return 1;
	uint64_t n = len / cs_p1_part_min;
	uint64_t state = (uint64_t)(ncols ? ncols : 1) * (sizeof(cs_icol) + CS_HLL_M);
	if (n > CS_P1_STATE / state)
		n = CS_P1_STATE / state;
	if (n > (uint64_t)t * CS_P1_PARTS)
		n = (uint64_t)t * CS_P1_PARTS;
	return n > t ? (uint32_t)n : t;
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
	/* threads: t; parts: n */
	uint64_t prev = s->from, len = bound - s->from;
	const uint32_t n = cs_p1_nparts(t, len, im->ncols);
	memset(parts, 0, n * sizeof(*parts));
	/* cut just after a line break near each 1/n of the range */
	for (uint32_t k = 0; k < n; k++) {
		uint64_t cut = k + 1 == n ? bound : s->from + len / n * (k + 1);
		if (cut < prev)
			cut = prev;
		if (k + 1 < n && cut < bound) {
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
	cs_claim q = { parts, n, 0 };
	for (uint32_t k = 0; t > 1 && k < n; k++)
		parts[k].waiter = &wt;
	wt.want = n;
	pthread_t th[64];
	uint32_t started = 0; /* threads; any of them may run any part */
	for (; t > 1 && started < t && started < 64; started++)
		if (cs_thread_start(&th[started], cs_claim_run, &q))
			break;
	const uint32_t waited = started ? n : 0;
	/* report progress every 100 ms while they run (a small input is done
	 * before the first report) */
	pthread_mutex_lock(&wt.mu);
	while (wt.finished < waited) {
		if (cs_wait_100ms(&wt.cv, &wt.mu) == 0 || wt.finished == waited)
			continue;
		pthread_mutex_unlock(&wt.mu);
		uint64_t done = 0, rows = 0;
		for (uint32_t k = 0; k < n; k++) {
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
		pthread_join(th[k], NULL);
	for (uint32_t k = 0; k < n; k++)
		parts[k].waiter = NULL; /* its mutex is destroyed: parts run in place below */
	pthread_mutex_destroy(&wt.mu);
	pthread_cond_destroy(&wt.cv);
	if (s->cancel) {
		rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "import cancelled");
		goto out;
	}
	if (!started)
		cs_claim_run(&q); /* one thread, or no thread could be started */
	/* accept the parts in order; parse again the ones cut in a bad place */
	for (uint32_t k = 0; k < n; k++) {
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
	for (uint32_t k = 0; k < n; k++)
		cs_part_free(&parts[k], im->ncols);
	return rc;
}

static int cs_p1_init(cs_p1 *s, cs_import *im, uint64_t data_start, uint64_t first_line,
                      colstore_error *err)
{
	memset(s, 0, sizeof(*s));
	s->im = im;
	s->t = im->threads ? im->threads : 1;
	s->parts = calloc((size_t)s->t * CS_P1_PARTS, sizeof(cs_part));
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
		if (cs_thread_start(&th[started], cs_pool_run, &m))
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
