#!/bin/sh
# interop.sh -- colstore export read back by independent readers: DuckDB's
# read_parquet (@duckdb/node-api), the Arrow JavaScript implementation
# (apache-arrow, tableFromIPC) and Polars (nodejs-polars, readIPC and
# readParquet).  For every file below, each reader's values, column types and
# null counts must equal colstore scan of the same rows (tests/interop/check.mjs);
# DuckDB also checks the Parquet statistics against the rows.
# Needs node and npm; without them this test is skipped (exit 77) with a
# line that says so.  The readers are installed once, from the committed
# package-lock.json, into $COLSTORE_INTEROP_DIR (default
# ~/.cache/colstore-interop).
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
CS="$top_builddir/colstore"
GEN="$top_builddir/bench/gen"
here="$top_srcdir/tests/interop"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "SKIP: interop: node and npm are not installed (tools/deps.sh --test installs them)"
	exit 77
fi
mods=${COLSTORE_INTEROP_DIR:-$HOME/.cache/colstore-interop}
if ! cmp -s "$here/package-lock.json" "$mods/.installed-lock" || [ ! -d "$mods/node_modules" ]; then
	echo "# installing the readers into $mods (npm install, versions from package-lock.json)"
	mkdir -p "$mods" && cp "$here/package.json" "$here/package-lock.json" "$mods/" &&
		(cd "$mods" && npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1) &&
		cp "$here/package-lock.json" "$mods/.installed-lock" || {
		tail -20 "$mods/npm.log" 2>/dev/null
		if [ "${CI:-}" = true ]; then
			echo "FAIL: interop: npm install failed"
			exit 1
		fi
		echo "SKIP: interop: cannot install the readers with npm (offline?)"
		exit 77
	}
fi
name=interop; . "$(dirname "$0")/lib.sh"
# node resolves packages from the script's directory upwards
cp "$here/check.mjs" "$here/lz4codec.mjs" "$T/"
ln -s "$mods/node_modules" "$T/node_modules"
bad() { no "$1"; [ -f "$T/out" ] && sed 's/^/    /' "$T/out" | head -20; }

# types FILE [COLUMNS]: name:type,... as colstore info lists them
types() {
	"$CS" info "$1" | awk '$1 ~ /^[0-9]+$/ && NF >= 3 { printf "%s%s:%s", sep, $2, $3; sep = "," }' >"$T/types.all"
	if [ -n "${2:-}" ]; then
		tr ',' '\n' <"$T/types.all" >"$T/types.lines"
		echo "$2" | tr ',' '\n' | while read -r c; do grep "^$c:" "$T/types.lines"; done | paste -sd, -
	else
		cat "$T/types.all"
	fi
}

# case LABEL FILE FORMAT COMPRESS COLUMNS WHERE READERS...
case1() {
	label=$1 file=$2 fmt=$3 z=$4 cols=$5 where=$6
	shift 6
	out="$T/x.$fmt"
	set -- "$@"
	sel=""
	[ -n "$cols" ] && sel="--columns=$cols"
	if [ -n "$where" ]; then
		"$CS" scan -f jsonl ${sel:+"$sel"} --where "$where" "$file" >"$T/expected.jsonl" 2>"$T/out" &&
			"$CS" export -q --format "$fmt" --compress "$z" ${sel:+"$sel"} --where "$where" -o "$out" "$file" >"$T/out" 2>&1
	else
		"$CS" scan -f jsonl ${sel:+"$sel"} "$file" >"$T/expected.jsonl" 2>"$T/out" &&
			"$CS" export -q --format "$fmt" --compress "$z" ${sel:+"$sel"} -o "$out" "$file" >"$T/out" 2>&1
	fi || { bad "$label: scan or export failed"; return; }
	ty=$(types "$file" "$cols")
	for rd in "$@"; do
		if (cd "$T" && node check.mjs "$rd" "$out" expected.jsonl "$ty") >"$T/out" 2>&1; then
			ok "$label: $(cat "$T/out")"
		else
			bad "$label: $rd"
		fi
	done
}

# every type, with nulls, UTF-8 of 1 to 4 bytes, empty strings, extremes;
# several row groups (the last one short); one string column dictionary-
# encoded (few values), one plain (all distinct)
awk 'BEGIN {
	print "i8,i16,i32,i64,f32,f64,b,d,ts,region,note"
	split("north,s\303\274d,\346\235\261,\360\237\220\230 west,,east", reg, ",")
	for (i = 0; i < 2500; i++) {
		n = i % 11 == 3
		i8 = n ? "" : (i % 97 == 1 ? -128 : (i * 7) % 256 - 128)
		i16 = i % 13 == 4 ? "" : (i % 89 == 2 ? 32767 : (i * 131) % 65536 - 32768)
		i32 = i % 17 == 5 ? "" : (i % 83 == 3 ? "-2147483648" : sprintf("%.0f", (i * 2654435) % 2000000000 - 1000000000))
		i64 = i % 19 == 6 ? "" : (i % 79 == 4 ? "9223372036854775807" : (i % 79 == 5 ? "-9223372036854775808" : sprintf("%.0f00", i * 1234567)))
		f32 = i % 23 == 7 ? "" : (i % 71 == 1 ? "nan" : (i % 71 == 2 ? "-0" : sprintf("%.2f", (i * 37) % 10000 / 8 - 600)))
		f64 = i % 29 == 8 ? "" : (i % 67 == 1 ? "nan" : (i % 67 == 2 ? "-0" : (i % 67 == 3 ? "1e300" : sprintf("%.6f", i / 7 - 100))))
		b = i % 7 == 2 ? "" : (i % 3 == 0 ? "true" : "false")
		d = i % 31 == 9 ? "" : sprintf("%04d-%02d-%02d", 1900 + i % 300, 1 + i % 12, 1 + i % 28)
		ts = i % 37 == 10 ? "" : sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06d", 1960 + i % 80, 1 + i % 12, 1 + i % 28, i % 24, i % 60, (i * 7) % 60, (i * 7919) % 1000000)
		r = i % 9 == 5 ? "" : "\"" reg[1 + i % 6] "\""
		note = i % 10 == 9 ? "" : "\"" reg[1 + i % 6] " n\303\270te " i (i % 4 ? "" : " \"\"q\"\",c") "\""
		print i8 "," i16 "," i32 "," i64 "," f32 "," f64 "," b "," d "," ts "," r "," note
	}
}' >"$T/types.csv"
schema=i8:int8,i16:int16,i32:int32,i64:int64,f32:float32,f64:float64,b:bool,d:date,ts:timestamp,region:string,note:string
"$CS" import -q --schema "$schema" --row-group-size 600 --compression none \
	-o "$T/types.colstore" "$T/types.csv" && ok "import every type (in place)" || bad "import every type"
"$CS" import -q --schema "$schema" --row-group-size 600 --compression all \
	-o "$T/typesz.colstore" "$T/types.csv" && ok "import every type (packed and LZ4)" || bad "import every type z"

for f in types typesz; do
	for z in none lz4; do
		case1 "$f arrow $z" "$T/$f.colstore" arrow "$z" "" "" arrow polars-ipc
		case1 "$f parquet $z" "$T/$f.colstore" parquet "$z" "" "" duckdb polars-parquet
	done
done
w="region = 'north' or (i32 > 0 and b = true)"
case1 "types arrow --columns --where" "$T/types.colstore" arrow lz4 "ts,region,f64,i8,note" "$w" arrow polars-ipc
case1 "typesz parquet --columns --where" "$T/typesz.colstore" parquet none "note,d,i64,region,b" "$w" duckdb polars-parquet

# the benchmark's sales table, as bench/run makes it
if "$GEN" -n 200000 -o "$T/sales.csv" && "$CS" import -q -o "$T/sales.colstore" "$T/sales.csv"; then
	ok "import sales (200,000 rows)"
	case1 "sales arrow" "$T/sales.colstore" arrow none "" "" arrow polars-ipc
	case1 "sales arrow lz4" "$T/sales.colstore" arrow lz4 "" "" arrow polars-ipc
	case1 "sales parquet" "$T/sales.colstore" parquet none "" "" duckdb polars-parquet
	case1 "sales parquet lz4" "$T/sales.colstore" parquet lz4 "" "" duckdb
else
	bad "generate and import sales"
fi

tally
