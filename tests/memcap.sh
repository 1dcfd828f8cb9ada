#!/bin/sh
# memcap.sh -- hostile inputs under a memory cap: each command runs in a
# cgroup (v1) limited to 256 MiB, where the page cache of the files it maps
# is reclaimable but its heap is not, and must finish (or refuse, with its
# own error) instead of being OOM-killed:
#   - a CSV of 65,535 columns (row groups sized by bytes);
#   - a 1,000-term and/or filter on one row group of 2^24 rows (filter
#     scratch in fixed batches);
#   - a 500 MB field (refused at the documented --max-field-size limit,
#     nothing written);
#   - 500 MB of 5 KB fields imported on 2 threads.
# SKIP without root or a writable cgroup v1 memory controller, and in a
# sanitized build (AddressSanitizer's shadow memory is not the program's).
# Run by `make check` (top_builddir is set by the harness) or by hand.
set -u
top_builddir=${top_builddir:-.}
CS="$top_builddir/colstore"
case "${CFLAGS:-}" in *-fsanitize=*)
	echo "SKIP: a sanitized build (its shadow memory would count against the cap)"
	exit 77 ;;
esac
CG=/sys/fs/cgroup/memory
if [ "$(id -u)" != 0 ] || [ ! -w "$CG" ]; then
	echo "SKIP: needs root and a writable cgroup v1 memory controller at $CG"
	exit 77
fi
name=memcap; . "$(dirname "$0")/lib.sh"
cap=$CG/colstore-memcap-$$
mkdir "$cap" 2>/dev/null || { echo "SKIP: cannot create a cgroup under $CG"; exit 77; }
cleanup() {
	rmdir "$cap" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
echo $((256 << 20)) >"$cap/memory.limit_in_bytes"
echo 0 >"$cap/memory.swappiness" 2>/dev/null
# capped CMD...: runs it in the cgroup; its output in $T/out; its status
capped() {
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' capped "$cap" "$@" >"$T/out" 2>&1
}
ooms() { awk '$1 == "oom_kill" { print $2 }' "$cap/memory.oom_control" 2>/dev/null || echo 0; }
oom0=$(ooms)

awk 'BEGIN { for (r = 0; r < 4; r++) { for (i = 0; i < 65535; i++) printf "%s%s%d", (i ? "," : ""), (r ? "" : "c"), i + r; print "" } }' >"$T/wide.csv"
capped "$CS" import -q "$T/wide.csv" -o "$T/wide.colstore"
rc=$?
[ $rc -eq 0 ] && ok "65,535 columns x 3 rows import under 256 MiB" || { no "wide import under the cap (exit $rc)"; cat "$T/out"; }
rm -f "$T/wide.csv" "$T/wide.colstore"

awk 'BEGIN { print "x"; for (i = 0; i < 16777216; i++) print i % 100 }' >"$T/tall.csv"
"$CS" import -q --row-group-size 16777216 "$T/tall.csv" -o "$T/tall.colstore"
rm -f "$T/tall.csv"
where=$(awk 'BEGIN { for (k = 0; k < 1000; k++) printf "%sx != %d", (k ? " and " : ""), k % 90 }')
capped "$CS" agg -f csv -a 'count(*)' -w "$where" "$T/tall.colstore"
rc=$?
[ $rc -eq 0 ] && [ "$(tail -1 "$T/out")" = 1677720 ] && ok "a 1,000-term filter over a 2^24-row group under 256 MiB: 1677720 rows" ||
	{ no "the long filter under the cap (exit $rc)"; tail -3 "$T/out"; }
rm -f "$T/tall.colstore"

{ printf 'id,blob\n1,'; head -c 500000000 /dev/zero | tr '\0' 'x'; printf '\n2,y\n'; } >"$T/blob.csv"
capped "$CS" import -q --threads 1 "$T/blob.csv" -o "$T/blob.colstore"
rc=$?
[ $rc -eq 1 ] && grep -q "blob.csv:2:2: a field of 500000000 bytes, over the limit" "$T/out" &&
	ok "a 500 MB field under 256 MiB: refused at the documented limit, exit 1" ||
	{ no "the 500 MB field under the cap (exit $rc)"; cat "$T/out"; }
[ ! -e "$T/blob.colstore" ] && [ "$(ls -A "$T" | grep -c tmp-)" -eq 0 ] && ok "and nothing was written" || no "files left behind"
rm -f "$T/blob.csv"

# long fields on two threads: pass 2's units end by text as well as rows,
# so that the units converted ahead (16 at 2 threads) hold 1 MiB of text
# each, not 4,096 rows of 5 KB strings (20 MB)
awk 'BEGIN { s = sprintf("%5000s", ""); gsub(/ /, "x", s); print "id,txt"
	for (i = 0; i < 100000; i++) print i "," s i }' >"$T/long.csv"
"$CS" import -q --threads 1 "$T/long.csv" -o "$T/long1.colstore"
capped "$CS" import -q --threads 2 "$T/long.csv" -o "$T/long2.colstore"
rc=$?
[ $rc -eq 0 ] && cmp -s "$T/long1.colstore" "$T/long2.colstore" &&
	ok "100,000 fields of 5 KB on 2 threads under 256 MiB: the file of an uncapped 1-thread import" ||
	{ no "long fields on 2 threads under the cap (exit $rc)"; cat "$T/out"; }
rm -f "$T/long.csv" "$T/long1.colstore" "$T/long2.colstore"

[ "$(ooms)" = "$oom0" ] && ok "no OOM kill in the capped group" || no "the kernel OOM-killed a command ($(ooms) kills)"
tally
