/*
 * test_main.c -- the CUnit registry: one suite per module.
 */
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "internal.h"
#include "testutil.h"

int main(void)
{
	/* several workers even on the suite's small files, so that merging
	 * is exercised (the library's default: one per 4 MiB read) */
	cs_agg_worker_bytes = 0;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	register_format_tests();
	register_bitpack_tests();
	register_dict_tests();
	register_roundtrip_tests();
	register_corrupt_tests();
	register_spec_tests();
	register_append_tests();
	register_golden_tests();
	register_import_tests();
	register_pack_tests();
	register_simd_tests();
	register_filter_tests();
	register_calc_tests();
	register_agg_tests();
	register_engine_tests();
	register_fuzzreg_tests();
	register_thread_tests();
	register_arrow_tests();
	register_scan_tests();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	/* CS_SUITE=NAME runs that suite alone (while working on it) */
	const char *only = getenv("CS_SUITE");
	CU_pSuite one = only ? CU_get_suite(only) : NULL;
	if (only && !one) {
		fprintf(stderr, "no suite '%s'\n", only);
		CU_cleanup_registry();
		return 1;
	}
	if (one)
		CU_basic_run_suite(one);
	else
		CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	unsigned tests = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	printf("\n%u tests run\n", tests);
	/* remove the scratch directory's files (tests remove their own) */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tu_dir());
	if (failed == 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tu_dir());
	return failed ? 1 : 0;
}
