#!/bin/sh
# exports.sh -- the shared library exports colstore_* symbols only.
# Skipped (exit 77) when no shared library was built.
top_builddir=${top_builddir:-.}
so="$top_builddir/.libs/libcolstore.so"
[ -f "$so" ] || { echo "SKIP: no shared library ($so)"; exit 77; }
command -v nm >/dev/null || { echo "SKIP: nm not found"; exit 77; }
all=$(nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }')
bad=$(printf '%s\n' "$all" | grep -v '^colstore_' || true)
n=$(printf '%s\n' "$all" | grep -c '^colstore_')
if [ -n "$bad" ]; then
	echo "FAIL - symbols outside the colstore_ prefix are exported:"
	printf '  %s\n' $bad
	echo "0 passed, 1 failed"
	exit 1
fi
for sym in colstore_reader_open colstore_writer_create colstore_strerror colstore_reader_verify; do
	printf '%s\n' "$all" | grep -qx "$sym" || { echo "FAIL - $sym is not exported"; echo "0 passed, 1 failed"; exit 1; }
done
echo "ok - $n exported symbols, all colstore_*"
echo "1 passed, 0 failed"
