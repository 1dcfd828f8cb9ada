/*
 * test_threads.c -- one reader shared by threads that only read from it, as
 * colstore.h promises: each thread dumps every block, decodes every column
 * with its own colstore_buffers, evaluates one shared filter and runs its own
 * aggregation, all at once on a freshly opened reader (so that the threads
 * race to be first to check each block); every thread's results must equal
 * those of one thread alone.  Run under ASan+UBSan in CI as well.  Also:
 * the library's threads start with the CPUs of the thread that made them.
 */
#define _GNU_SOURCE /* pthread_getaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "internal.h"
#include "testutil.h"

#define NTHREADS 4

static const tu_col tcols[] = {
	{ "i", COLSTORE_TYPE_INT64, 0, 7, 0 },
	{ "q", COLSTORE_TYPE_INT32, 0, 0, 100 },
	{ "p", COLSTORE_TYPE_FLOAT64, 0, 11, 1000 },
	{ "b", COLSTORE_TYPE_BOOL, 0, 5, 0 },
	{ "s", COLSTORE_TYPE_STRING, 0, 9, 40 },
	{ "t", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 0, 0 },
	{ "d", COLSTORE_TYPE_DATE, 0, 13, 400 },
};

typedef struct {
	colstore_reader *r;
	const colstore_filter *f;
	char *dump;       /* tu_lib_dump */
	uint64_t vhash;   /* every decoded value */
	uint64_t matches; /* of the filter, over all row groups */
	char *agg;        /* cells of one aggregation */
	int rc;
} tjob;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static void *job(void *arg)
{
	tjob *j = arg;
	colstore_reader *r = j->r;
	colstore_error e;
	j->dump = tu_lib_dump(r, &j->rc, &e);
	if (j->rc)
		return NULL;
	colstore_buffers *b = colstore_buffers_create();
	uint64_t h = 14695981039346656037ull;
	uint32_t ng = colstore_reader_num_row_groups(r), nc = colstore_reader_num_columns(r);
	uint8_t sel[8192];
	for (uint32_t g = 0; g < ng && !j->rc; g++) {
		for (uint32_t c = 0; c < nc && !j->rc; c++) {
			colstore_values v;
			if ((j->rc = colstore_reader_values(r, g, c, b, &v, &e)))
				break;
			for (uint32_t i = 0; i < v.rows; i++) {
				int valid = !v.validity || (v.validity[i / 8] >> (i % 8) & 1);
				h = fnv(h, &valid, sizeof(valid));
				if (!valid)
					continue;
				if (v.type == COLSTORE_TYPE_STRING) {
					const char *s;
					uint32_t len;
					if (v.encoding == COLSTORE_ENCODING_DICT) {
						uint32_t code = v.code_width == 1   ? ((const uint8_t *)v.data)[i]
						                : v.code_width == 2 ? ((const uint16_t *)v.data)[i]
						                                    : ((const uint32_t *)v.data)[i];
						colstore_reader_dict_lookup(r, c, code, &s, &len, NULL);
					} else {
						const uint32_t *o = v.data;
						s = v.bytes + o[i];
						len = o[i + 1] - o[i];
					}
					h = fnv(h, s, len);
				} else if (v.type == COLSTORE_TYPE_BOOL) {
					int bit = ((const uint8_t *)v.data)[i / 8] >> (i % 8) & 1;
					h = fnv(h, &bit, sizeof(bit));
				} else {
					unsigned w = colstore_type_width(v.type);
					h = fnv(h, (const char *)v.data + (size_t)i * w, w);
				}
			}
		}
		uint64_t m = 0;
		if (!j->rc && colstore_filter_may_match(j->f, g) &&
		    !(j->rc = colstore_filter_eval(j->f, g, b, sel, &m, &e)))
			j->matches += m;
	}
	colstore_buffers_free(b);
	j->vhash = h;
	if (!j->rc && !(j->agg = tu_agg_text(r, "count(*),sum(q),min(s),max(p),avg(i)", "s,b",
	                                     "q > 10 or d is null", 2, 0, NULL, NULL)))
		j->rc = -1;
	return NULL;
}

static void run_shared(uint32_t compression)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 5000;
	o.compression = compression;
	const char *path = tu_path("threads.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, tcols, 7, 60000, &o, 1, NULL), 0);
	/* one thread alone */
	colstore_reader *r;
	colstore_filter *f;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_filter_parse(r, "q > 20 or (p > 5 and b = true)", &f, NULL),
	                      COLSTORE_OK);
	tjob one = { r, f, NULL, 0, 0, NULL, 0 };
	job(&one);
	CU_ASSERT_EQUAL_FATAL(one.rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(one.agg);
	if (!(one.matches > 0 && one.matches < 60000))
		fprintf(stderr, "\n  the filter matched %llu of 60000 rows\n", (unsigned long long)one.matches);
	CU_ASSERT_TRUE(one.matches > 0 && one.matches < 60000);
	colstore_filter_free(f);
	colstore_reader_close(r);
	/* several at once, on a fresh reader, three times */
	for (int round = 0; round < 3; round++) {
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL_FATAL(colstore_filter_parse(r, "q > 20 or (p > 5 and b = true)", &f, NULL),
		                      COLSTORE_OK);
		tjob jobs[NTHREADS];
		pthread_t th[NTHREADS];
		for (int k = 0; k < NTHREADS; k++) {
			jobs[k] = (tjob){ r, f, NULL, 0, 0, NULL, 0 };
			CU_ASSERT_EQUAL_FATAL(pthread_create(&th[k], NULL, job, &jobs[k]), 0);
		}
		for (int k = 0; k < NTHREADS; k++) {
			pthread_join(th[k], NULL);
			CU_ASSERT_EQUAL(jobs[k].rc, 0);
			CU_ASSERT_PTR_NOT_NULL(jobs[k].dump);
			CU_ASSERT_TRUE(jobs[k].dump && one.dump && strcmp(jobs[k].dump, one.dump) == 0);
			CU_ASSERT_EQUAL(jobs[k].vhash, one.vhash);
			CU_ASSERT_EQUAL(jobs[k].matches, one.matches);
			CU_ASSERT_TRUE(jobs[k].agg && strcmp(jobs[k].agg, one.agg) == 0);
			free(jobs[k].dump);
			free(jobs[k].agg);
		}
		colstore_filter_free(f);
		colstore_reader_close(r);
	}
	free(one.dump);
	free(one.agg);
	unlink(path);
}

static void test_shared_plain(void)
{
	run_shared(COLSTORE_COMPRESSION_NONE);
}

static void test_shared_packed_lz4(void)
{
	run_shared(COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4);
}

/* what a thread started by cs_thread_start saw of itself */
typedef struct {
	int ran, got;
	cpu_set_t set;
} probe_res;

static void *probe(void *arg)
{
	probe_res *r = arg;
	r->ran = 1;
	r->got = pthread_getaffinity_np(pthread_self(), sizeof(r->set), &r->set) == 0;
	return r;
}

static int start_probe(probe_res *r)
{
	pthread_t th;
	void *ret = NULL;
	memset(r, 0, sizeof(*r));
	if (cs_thread_start(&th, probe, r))
		return 0;
	pthread_join(th, &ret);
	return ret == r && r->ran && r->got;
}

/* cs_thread_start puts a new thread on another CPU than its maker's, by
 * leaving the maker's CPU out of its first affinity; the thread must then
 * run with every CPU its maker has (or the one it has, when pinned) */
static void test_thread_start(void)
{
	cpu_set_t all, one;
	CU_ASSERT_EQUAL_FATAL(pthread_getaffinity_np(pthread_self(), sizeof(all), &all), 0);
	probe_res r;
	for (int k = 0; k < 20; k++) { /* from whichever CPU this thread is on */
		CU_ASSERT_TRUE_FATAL(start_probe(&r));
		CU_ASSERT_TRUE(CPU_EQUAL(&r.set, &all));
	}
	int first = -1;
	for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
		if (CPU_ISSET(c, &all))
			first = c;
	CU_ASSERT_TRUE_FATAL(first >= 0);
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0) {
		CU_ASSERT_TRUE(start_probe(&r)); /* pinned: started as any thread */
		CU_ASSERT_TRUE(CPU_EQUAL(&r.set, &one));
		CU_ASSERT_EQUAL(pthread_setaffinity_np(pthread_self(), sizeof(all), &all), 0);
	}
}

void register_thread_tests(void)
{
	CU_pSuite s = CU_add_suite("one reader, several threads", NULL, NULL);
	CU_add_test(s, "blocks, values, a filter and aggregations at once: uncompressed",
	            test_shared_plain);
	CU_add_test(s, "the same, packed and LZ4 blocks", test_shared_packed_lz4);
	CU_add_test(s, "a library thread runs on its maker's CPUs", test_thread_start);
}
