#!/bin/sh
# demo.sh -- install what is missing, build, write the sample data set and
# show what colstore makes of it.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/tools/build.sh"
b="$src/build"
run() { echo "\$ $*"; "$@"; echo; }
run "$b/tools/mksample" -n 1000000 "$src/sample.colstore"
run "$b/colstore" info "$src/sample.colstore"
run "$b/colstore" verify "$src/sample.colstore"
