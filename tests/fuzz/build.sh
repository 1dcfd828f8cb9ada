#!/bin/sh
# Build the libFuzzer targets and their plain replayers.
#
#   tests/fuzz/build.sh [OUTDIR]      (default /tmp/colstore-fuzz)
#
# For each target X in tests/fuzz/fuzz_X.c:
#   OUTDIR/fuzz_X    libFuzzer + ASan + UBSan
#   OUTDIR/regress_X ASan + UBSan, main() from regression_main.c: replays
#                    files / directories given on the command line
# The library is compiled from src/*.c with the same flags (the built
# libcolstore_core.a is not instrumented).  Needs clang (14 or later), lz4,
# xxhash.  CC, CFLAGS and LIBS may be overridden from the environment.
#
# Run, e.g.:
#   OUT/fuzz_open -dict=tests/fuzz/colstore.dict OUT/corpus-open tests/fuzz/corpus/open
#   OUT/regress_open tests/fuzz/corpus/open tests/fuzz/crashes
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-/tmp/colstore-fuzz}
CC=${CC:-clang}
CFLAGS=${CFLAGS:--g -O1 -fno-omit-frame-pointer}
LIBS=${LIBS:--llz4 -lxxhash -lz -lzstd -lm -lpthread}
# UBSan must stop on the first report, or libFuzzer never sees it
SAN=address,undefined
UBSAN_FLAGS="-fno-sanitize-recover=undefined"

mkdir -p "$out"
cd "$top"

# Object files for the library, once per sanitizer set, then linked into
# each target: same result as listing src/*.c on every command line.
build_lib() { # $1: name, $2: -fsanitize=...
	dir="$out/obj-$1"
	mkdir -p "$dir"
	for f in src/*.c; do
		o="$dir/$(basename "$f" .c).o"
		# shellcheck disable=SC2086
		$CC $CFLAGS $2 $UBSAN_FLAGS -I include -I src -c "$f" -o "$o"
	done
}
build_lib fuzzer "-fsanitize=fuzzer-no-link,$SAN"
build_lib plain "-fsanitize=$SAN"

for src in "$here"/fuzz_*.c; do
	name=$(basename "$src" .c)
	t=${name#fuzz_}
	# shellcheck disable=SC2086
	$CC $CFLAGS -fsanitize=fuzzer,$SAN $UBSAN_FLAGS -I include -I src \
		"$out"/obj-fuzzer/*.o "$src" -o "$out/fuzz_$t" $LIBS
	# shellcheck disable=SC2086
	$CC $CFLAGS -fsanitize=$SAN $UBSAN_FLAGS -I include -I src \
		"$out"/obj-plain/*.o "$src" "$here/regression_main.c" \
		-o "$out/regress_$t" $LIBS
	echo "built $out/fuzz_$t $out/regress_$t"
done
