#!/bin/sh
# test.sh -- install what is missing, build with warnings as errors, run the
# whole test suite, the CUnit suite and the oracle's short pass once more on
# the plain C decode kernels (COLSTORE_SIMD=scalar), then build again with
# AddressSanitizer and UndefinedBehaviorSanitizer and run it again.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0
total_fail=0

# run_check BUILDDIR LABEL: make check, show each test's log, count results
run_check() {
	bdir=$1
	echo "== make check ($2)"
	status=0
	make -C "$1" -j"$jobs" check >"$1/check.out" 2>&1 || status=$?
	grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' "$1/check.out" || true
	for log in "$1"/tests/test_colstore.log "$1"/tests/cli.sh.log "$1"/tests/messy.sh.log "$1"/tests/exports.sh.log \
		"$1"/tests/crash.sh.log "$1"/tests/man.sh.log "$1"/tests/installed.sh.log \
		"$1"/tests/interop.sh.log "$1"/tests/snippets.sh.log "$1"/tests/memcap.sh.log "$1"/tests/oracle.sh.log; do
		[ -f "$log" ] && { echo "-- $log"; cat "$log"; }
	done
	if [ "$status" -ne 0 ]; then
		tail -40 "$1/check.out"
		echo "== make check ($2) FAILED"
		exit 1
	fi
	# CUnit's "tests  Total Ran Passed Failed Inactive" row and cli.sh's tally
	set -- $(awk '$1 == "tests" && NF >= 5 { print $4, $5 }' "$bdir/tests/test_colstore.log")
	total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2))
	for log in "$bdir/tests/cli.sh.log" "$bdir/tests/messy.sh.log" "$bdir/tests/crash.sh.log" "$bdir/tests/man.sh.log" "$bdir/tests/installed.sh.log" \
		"$bdir/tests/interop.sh.log" "$bdir/tests/snippets.sh.log" "$bdir/tests/memcap.sh.log" "$bdir/tests/oracle.sh.log"; do
		set -- $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" 2>/dev/null || true)
		[ $# -eq 2 ] && { total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); }
	done
	return 0
}

"$src/tools/deps.sh" --test
"$src/tools/build.sh" "$src/build"
run_check "$src/build" "gcc, -Werror"

# the decode kernels are chosen by the CPU (src/simd.c): the CUnit suite once
# more on the plain C ones, so that both paths are tested on any machine
echo "== the CUnit suite with COLSTORE_SIMD=scalar"
if ! COLSTORE_SIMD=scalar "$src/build/tests/test_colstore" >"$src/build/scalar.log" 2>&1; then
	grep -E 'FAILED|ASSERT' "$src/build/scalar.log" | head -40 || true
	tail -12 "$src/build/scalar.log"
	echo "== the CUnit suite with COLSTORE_SIMD=scalar FAILED"
	exit 1
fi
tail -8 "$src/build/scalar.log"
set -- $(awk '$1 == "tests" && NF >= 5 { print $4, $5 }' "$src/build/scalar.log")
[ $# -eq 2 ] || set -- 0 1
total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2))
echo "== the differential oracle's short pass with COLSTORE_SIMD=scalar"
if ! COLSTORE_SIMD=scalar top_builddir="$src/build" sh "$src/tests/oracle.sh" >"$src/build/scalar-oracle.log" 2>&1; then
	tail -20 "$src/build/scalar-oracle.log"
	echo "== the oracle with COLSTORE_SIMD=scalar FAILED"
	exit 1
fi
tail -2 "$src/build/scalar-oracle.log"
set -- $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$src/build/scalar-oracle.log")
[ $# -eq 2 ] || set -- 0 1
total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2))

echo "== the command line under valgrind memcheck"
top_builddir="$src/build" sh "$src/tests/valgrind.sh" | tee "$src/build/valgrind.log"
set -- $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$src/build/valgrind.log")
[ $# -eq 2 ] || set -- 0 1
total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2))
[ "$2" -eq 0 ] || { echo "== valgrind FAILED"; exit 1; }

SAN="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
"$src/tools/build.sh" "$src/build-asan" --disable-shared CFLAGS="$SAN" LDFLAGS="-fsanitize=address,undefined"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	run_check "$src/build-asan" "ASan + UBSan"

echo "== all tests passed in the plain and the sanitized build"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
