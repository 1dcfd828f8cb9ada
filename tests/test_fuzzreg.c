/*
 * test_fuzzreg.c -- the fuzzers' findings and seeds, replayed: every file
 * in tests/fuzz/crashes (named TARGET-what.ext) and in tests/fuzz/corpus/
 * TARGET/ goes through that libFuzzer target's entry point, linked here
 * under another name (Makefile.am: cs_fuzz_open, cs_fuzz_csv, cs_fuzz_where,
 * cs_fuzz_agg).
 * A target checks its own invariants (it aborts when one breaks), and the
 * sanitized build stops on any invalid access: a crash found by fuzzing
 * stays fixed once its reproducer is in tests/fuzz/crashes.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "testutil.h"

int cs_fuzz_open(const uint8_t *data, size_t size);
int cs_fuzz_csv(const uint8_t *data, size_t size);
int cs_fuzz_where(const uint8_t *data, size_t size);
int cs_fuzz_agg(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	int (*run)(const uint8_t *, size_t);
} targets[] = {
	{ "open", cs_fuzz_open },
	{ "csv", cs_fuzz_csv },
	{ "where", cs_fuzz_where },
	{ "agg", cs_fuzz_agg },
};
#define NTARGETS (int)(sizeof(targets) / sizeof(targets[0]))

/* runs every file of dir (whose name starts with prefix) through target t;
 * returns how many ran, -1 when one could not be read */
static int replay(const char *dir, const char *prefix, int t)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		size_t size;
		unsigned char *p = tu_read_file(path, &size);
		if (!p) {
			n = -1;
			break;
		}
		int rc = targets[t].run(p, size);
		if (rc != 0)
			fprintf(stderr, "\n  %s: target %s returned %d\n", path, targets[t].name, rc);
		CU_ASSERT_EQUAL(rc, 0);
		free(p);
		n++;
	}
	closedir(d);
	return n;
}

static void test_crashes(void)
{
	int total = 0;
	for (int t = 0; t < NTARGETS; t++) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "%s-", targets[t].name);
		int n = replay(FUZZ_DIR "/crashes", prefix, t);
		CU_ASSERT_TRUE(n >= 0);
		total += n > 0 ? n : 0;
	}
	CU_ASSERT_TRUE(total >= 1); /* the directory is read, and not empty */
}

static void test_seeds(void)
{
	for (int t = 0; t < NTARGETS; t++) {
		char dir[512];
		snprintf(dir, sizeof(dir), FUZZ_DIR "/corpus/%s", targets[t].name);
		int n = replay(dir, "", t);
		if (n < 5)
			fprintf(stderr, "\n  %s: %d seeds\n", dir, n);
		CU_ASSERT_TRUE(n >= 5);
	}
}

void register_fuzzreg_tests(void)
{
	CU_pSuite s = CU_add_suite("fuzz reproducers", NULL, NULL);
	CU_add_test(s, "every reproducer in tests/fuzz/crashes", test_crashes);
	CU_add_test(s, "every seed of each fuzz target's corpus", test_seeds);
}
