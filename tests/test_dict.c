/*
 * test_dict.c -- string interning (format-spec.md §9.6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "internal.h"
#include "testutil.h"

static void test_intern_basic(void)
{
	cs_dict d;
	cs_dict_init(&d);
	uint32_t a, b, c, e, z;
	CU_ASSERT_EQUAL(cs_dict_intern(&d, "alpha", 5, &a), COLSTORE_OK);
	CU_ASSERT_EQUAL(cs_dict_intern(&d, "beta", 4, &b), COLSTORE_OK);
	CU_ASSERT_EQUAL(cs_dict_intern(&d, "alpha", 5, &c), COLSTORE_OK);
	CU_ASSERT_EQUAL(cs_dict_intern(&d, "", 0, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(cs_dict_intern(&d, "a\0b", 3, &z), COLSTORE_OK);
	/* codes in order of first appearance, duplicates share a code */
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(e, 2);
	CU_ASSERT_EQUAL(z, 3);
	CU_ASSERT_EQUAL(d.count, 4);
	/* the arena is the on-disk layout: offsets + bytes */
	CU_ASSERT_EQUAL(d.offsets[0], 0);
	CU_ASSERT_EQUAL(d.offsets[1], 5);
	CU_ASSERT_EQUAL(d.offsets[2], 9);
	CU_ASSERT_EQUAL(d.offsets[3], 9);
	CU_ASSERT_EQUAL(d.offsets[4], 12);
	CU_ASSERT_EQUAL(memcmp(d.bytes, "alphabetaa\0b", 12), 0);
	cs_dict_free(&d);
}

static void test_intern_many(void)
{
	cs_dict d;
	cs_dict_init(&d);
	char s[32];
	int ok = 1;
	size_t after_first = 0;
	for (uint32_t round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < 200000; i++) {
			int n = snprintf(s, sizeof(s), "k%u", i * 7919u);
			uint32_t code;
			if (cs_dict_intern(&d, s, (uint32_t)n, &code) || code != i)
				ok = 0;
		}
		if (round == 0)
			after_first = cs_dict_memory(&d);
	}
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_EQUAL(d.count, 200000);
	/* memory grows with the distinct strings, not with the interning calls,
	 * and stays under 72 bytes an entry (16-byte slots at load <= 1/2,
	 * offsets, bytes, each grown by doubling) */
	CU_ASSERT_EQUAL(cs_dict_memory(&d), after_first);
	CU_ASSERT_TRUE(cs_dict_memory(&d) < 200000u * 72u);
	cs_dict_free(&d);
}

/* Keys that a slot's 8-byte prefix and length tag cannot tell apart alone,
 * or that differ only there: every length 0-20 over a two-letter alphabet
 * with NUL as one letter (so "a" and "a\0" differ by length only, and
 * long keys share their first 8 bytes), interned twice in two orders:
 * each distinct key gets one code, equal keys the same code.  Then again
 * with every hash equal. */
static void intern_alike(int collide)
{
	enum { MAXLEN = 20, PER = 64 };
	cs_dict d;
	cs_dict_init(&d);
	static char keys[(MAXLEN + 1) * PER][MAXLEN];
	uint32_t lens[(MAXLEN + 1) * PER], nk = 0;
	for (uint32_t len = 0; len <= MAXLEN; len++)
		for (uint32_t v = 0; v < PER; v++) {
			/* bits of v in the last 6 positions, the rest 'x' */
			for (uint32_t b = 0; b < len; b++)
				keys[nk][b] = len - b <= 6 ? ((v >> (len - 1 - b)) & 1 ? 'a' : '\0') : 'x';
			lens[nk++] = len;
		}
	uint32_t *code = calloc(nk, sizeof(*code));
	int ok = 1;
	/* with the hash cleared every key has the same tag bits and first slot:
	 * only prefix, length and the arena's bytes tell them apart */
	cs_dict_hash_keep = collide ? 0 : ~(uint64_t)0;
	for (uint32_t round = 0; round < 2; round++)
		for (uint32_t j = 0; j < nk; j++) {
			uint32_t k = round ? nk - 1 - j : j, c;
			if (cs_dict_intern(&d, keys[k], lens[k], &c)) {
				ok = 0;
				continue;
			}
			if (round == 0) {
				code[k] = c;
			} else if (c != code[k]) {
				ok = 0;
			}
		}
	CU_ASSERT_TRUE(ok);
	/* codes equal exactly when the keys are */
	uint32_t wrong = 0;
	for (uint32_t i = 0; i < nk; i++)
		for (uint32_t j = i + 1; j < nk; j++) {
			int same = lens[i] == lens[j] && memcmp(keys[i], keys[j], lens[i]) == 0;
			wrong += same != (code[i] == code[j]);
		}
	CU_ASSERT_EQUAL(wrong, 0);
	/* the arena holds each distinct key at its code */
	for (uint32_t i = 0; i < nk; i++)
		if (d.offsets[code[i] + 1] - d.offsets[code[i]] != lens[i] ||
		    memcmp(d.bytes + d.offsets[code[i]], keys[i], lens[i]) != 0)
			wrong++;
	CU_ASSERT_EQUAL(wrong, 0);
	cs_dict_hash_keep = ~(uint64_t)0;
	free(code);
	cs_dict_free(&d);
}

static void test_intern_alike(void)
{
	intern_alike(0);
	intern_alike(1);
}

/* slots reserved ahead (a distinct-count hint) give the same codes, and the
 * same cs_dict_memory() at every step, as a table grown by doubling: the
 * memory the writer's DICT/PLAIN fallback compares never moves with a hint;
 * a reserve past its cap, or smaller than the table, makes nothing */
static void test_reserve(void)
{
	cs_dict a, b, c;
	cs_dict_init(&a);
	cs_dict_init(&b);
	cs_dict_init(&c);
	CU_ASSERT_EQUAL(cs_dict_reserve(&b, 150000, (size_t)64 << 20), COLSTORE_OK);
	CU_ASSERT_EQUAL(b.nslots, 524288); /* doubling's size at 150,000 entries */
	CU_ASSERT_EQUAL(cs_dict_memory(&b), 0);
	CU_ASSERT_EQUAL(cs_dict_reserve(&c, 150000, (size_t)4 << 20), COLSTORE_OK);
	CU_ASSERT_EQUAL(c.nslots, 0); /* 8 MiB of slots: past the cap */
	char s[32];
	int same = 1, grew = 0;
	size_t was = b.nslots;
	for (uint32_t i = 0; i < 200000; i++) {
		int n = snprintf(s, sizeof(s), "key-%u", (i * 7919u) % 160000);
		uint32_t ca, cb;
		same &= cs_dict_intern(&a, s, (uint32_t)n, &ca) == COLSTORE_OK &&
		        cs_dict_intern(&b, s, (uint32_t)n, &cb) == COLSTORE_OK && ca == cb &&
		        cs_dict_memory(&a) == cs_dict_memory(&b);
		grew += b.nslots != was;
		was = b.nslots;
	}
	CU_ASSERT_TRUE(same);
	CU_ASSERT_EQUAL(a.count, 160000);
	CU_ASSERT_EQUAL(grew, 0); /* 160,000 entries fit the reserve */
	CU_ASSERT_EQUAL(a.nslots, b.nslots);
	CU_ASSERT_EQUAL(cs_dict_reserve(&b, 10, (size_t)64 << 20), COLSTORE_OK);
	CU_ASSERT_EQUAL(b.nslots, 524288); /* never smaller */
	cs_dict_free(&a);
	cs_dict_free(&b);
	cs_dict_free(&c);
}

/* A column import chose DICT for (from a distinct-count estimate that a
 * crafted input can fool) still turns PLAIN once its dictionary outgrows
 * the budget: the dictionary stays near the budget, every value is kept. */
static void test_budgeted_dict(void)
{
	const char *path = tu_path("budget.colstore");
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 1000;
	o.dict_budget = 64 << 10;
	colstore_writer *w;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, &o, &w, NULL), COLSTORE_OK);
	colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
	cs_writer_budget_dict(w, 0);
	for (unsigned i = 0; i < 100000; i++) {
		char t[32];
		int n = snprintf(t, sizeof(t), "distinct-value-%u", i);
		colstore_writer_put_string(w, 0, t, (size_t)n, NULL);
		colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	colstore_column_info ci;
	CU_ASSERT_EQUAL(colstore_reader_column_info(r, 0, &ci, NULL), COLSTORE_OK);
	CU_ASSERT(ci.dict_bytes < (128u << 10)); /* the budget and one chunk's worth */
	CU_ASSERT(ci.dict_chunks > 0 && ci.plain_chunks > 90);
	CU_ASSERT_EQUAL(colstore_reader_verify(r, NULL), COLSTORE_OK);
	/* the last value is there, as written */
	char *cell = tu_agg_text(r, "max(s),count(s)", NULL, "s = 'distinct-value-99999'", 1, 0, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(cell);
	CU_ASSERT_PTR_NOT_NULL(cell ? strstr(cell, "distinct-value-99999") : NULL);
	free(cell);
	colstore_reader_close(r);
	unlink(path);
}

void register_dict_tests(void)
{
	CU_pSuite s = CU_add_suite("dict", NULL, NULL);
	CU_add_test(s, "codes by first appearance, arena layout", test_intern_basic);
	CU_add_test(s, "200k distinct strings interned twice", test_intern_many);
	CU_add_test(s, "keys alike but for a byte or a length", test_intern_alike);
	CU_add_test(s, "slots reserved ahead: the same codes and memory as doubling", test_reserve);
	CU_add_test(s, "a DICT column chosen by import keeps the dictionary budget", test_budgeted_dict);
}
