#!/bin/sh
# build.sh [BUILDDIR [CONFIGURE-ARGS...]] -- configure (once) and build
# colstore out of tree; BUILDDIR defaults to build/.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$src/build"}
[ $# -gt 0 ] && shift
"$src/tools/deps.sh"
if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ] ||
	[ "$src/Makefile.am" -nt "$src/Makefile.in" ]; then
	(cd "$src" && autoreconf -fi >/dev/null 2>&1) || (cd "$src" && autoreconf -fi)
fi
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ $# -gt 0 ]; then
	"$src/configure" -q --enable-werror "$@"
fi
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
