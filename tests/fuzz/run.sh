#!/bin/sh
# run.sh -- what `make fuzz` runs: build the libFuzzer targets (build.sh),
# replay the reproducers in crashes/ and the seeds, then fuzz each target
# for SECONDS from its seed corpus.  Exits 1 on any finding (crash, leak,
# timeout, out-of-memory); the input that caused it is in
# OUT/findings-TARGET/ -- copy it to crashes/TARGET-what.ext once fixed, and
# the CUnit suite replays it from then on.
#
#   tests/fuzz/run.sh [OUT [SECONDS]]     (default /tmp/colstore-fuzz, 60)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/colstore-fuzz}
secs=${2:-60}
export CC="${CC:-clang}"
command -v "$CC" >/dev/null || {
	echo "run.sh: the fuzz targets need clang (tools/deps.sh --test installs it)" >&2
	exit 1
}
sh "$here/build.sh" "$out" >/dev/null
status=0
for t in open csv where agg; do
	# shellcheck disable=SC2046
	if ! "$out/regress_$t" "$here/corpus/$t" $(ls "$here"/crashes/"$t"-* 2>/dev/null) \
		>"$out/regress-$t.log" 2>&1; then
		tail -60 "$out/regress-$t.log"
		echo "fuzz: a reproducer or seed of $t fails"
		exit 1
	fi
	work="$out/corpus-$t"
	found="$out/findings-$t"
	mkdir -p "$work" "$found"
	cp "$here/corpus/$t"/* "$work"/
	dict=""
	[ "$t" = csv ] || dict="-dict=$here/colstore.dict"
	# csv: inputs of up to 64 KiB (libFuzzer's default is 4 KiB, from the
	# small seeds), so that each part of a two-thread import holds many
	# records; a threaded import costs 10 ms whatever its size
	maxlen=""
	[ "$t" = csv ] && maxlen="-max_len=65536"
	# shellcheck disable=SC2086
	if ! "$out/fuzz_$t" $dict $maxlen -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$found/" "$work" >"$out/fuzz-$t.log" 2>&1; then
		status=1
		tail -60 "$out/fuzz-$t.log"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz-$t.log")
	echo "fuzz_$t: ${execs:-?} executions in $secs s, corpus $(ls "$work" | wc -l) inputs," \
		"findings $(ls "$found" | wc -l)"
done
[ $status -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: FINDINGS in $out/findings-*"
exit $status
