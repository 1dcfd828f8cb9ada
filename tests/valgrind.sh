#!/bin/sh
# valgrind.sh -- the command line's main paths under valgrind memcheck: no
# invalid access, no uninitialised value used, no leak (definite, indirect
# or possible) in the library or the tool.  Each command must also give its
# usual exit status.  Skipped (exit 77) without valgrind.
#   top_builddir=BUILD sh tests/valgrind.sh
set -u
top_builddir=${top_builddir:-.}
command -v valgrind >/dev/null || { echo "SKIP: no valgrind"; exit 77; }
# the real binary, not libtool's wrapper script
CS="$top_builddir/.libs/colstore"
[ -x "$CS" ] || CS="$top_builddir/colstore"
export LD_LIBRARY_PATH="$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
name=vg; . "$(dirname "$0")/lib.sh"
vg() { # vg NAME WANT_STATUS COMMAND_ARGS...
	name=$1 want=$2
	shift 2
	valgrind -q --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible \
		"$CS" "$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$name"
	else
		no "$name (exit $got, wanted $want)"
		head -40 "$T/err" | sed 's/^/    /'
	fi
}

"$top_builddir/bench/gen" -n 30000 -o "$T/s.csv" >/dev/null
vg "import" 0 import -q --row-group-size 4000 "$T/s.csv"
vg "import, 2 threads, lz4" 0 import -q --threads 2 --compression all "$T/s.csv" -o "$T/z.colstore"
vg "import from stdin" 0 import -q - -o "$T/in.colstore" <"$T/s.csv"
vg "info" 0 info "$T/s.colstore"
vg "verify" 0 verify "$T/z.colstore"
vg "scan csv with a filter" 0 scan -f csv -w "region = 'north' and qty > 50 or price is null" "$T/s.colstore"
vg "scan jsonl, 2 threads" 0 scan -f jsonl -t 2 "$T/z.colstore"
vg "scan table, limit" 0 scan -f table --limit 30 -c customer,price "$T/s.colstore"
vg "agg dense key" 0 agg -f csv -a "count(*),sum(qty),min(price),max(region),avg(price)" -g region "$T/s.colstore"
vg "agg hashed key" 0 agg -f csv -a "count(*),sum(qty),min(customer)" -g customer,returned "$T/s.colstore"
vg "agg dense key in passes" 0 agg -f csv -m 1M -a "count(*),sum(qty)" -g qty "$T/s.colstore"
vg "agg hashed key spilled" 0 agg -f csv -m 1M -t 2 -a "count(*),sum(qty),max(customer)" -g customer,returned "$T/s.colstore"
vg "agg, no group" 0 agg -f csv -a "sum(price),count(discount)" -w "ts >= '2025-03-01'" "$T/s.colstore"
vg "export arrow" 0 export -q -f arrow -o "$T/x.arrow" "$T/s.colstore"
vg "export arrow lz4, packed file, filtered" 0 export -q -f arrow -z lz4 -w "qty > 50" -o "$T/x.arrow" "$T/z.colstore"
vg "export parquet" 0 export -q -f parquet -o "$T/x.parquet" "$T/s.colstore"
vg "export parquet lz4, packed file, some columns" 0 export -q -f parquet -z lz4 -c customer,price,region -o "$T/x.parquet" "$T/z.colstore"
vg "bad expression" 2 agg -a "count(*)" -w "qty >" "$T/s.colstore"
vg "unknown column" 2 scan -c nope "$T/s.colstore"
printf 'a,b\n1,"x\n' >"$T/bad.csv"
vg "bad CSV" 1 import -q "$T/bad.csv"
cp "$T/s.colstore" "$T/dam.colstore"
printf '\377' | dd of="$T/dam.colstore" bs=1 seek=100 conv=notrunc 2>/dev/null
vg "damaged file: verify" 1 verify "$T/dam.colstore"
vg "damaged file: scan" 1 scan -f csv "$T/dam.colstore"
head -c 1000 "$T/s.colstore" >"$T/cut.colstore"
vg "truncated file" 1 info "$T/cut.colstore"

tally
