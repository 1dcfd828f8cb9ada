#!/bin/sh
# crash.sh -- crash safety of the commands that write files.
#  1. `colstore import` onto a path that holds a valid older file, killed
#     with SIGKILL at random moments: the path then holds the old file
#     (verify passes, same cells) or the new one complete, never a mix;
#     the killed runs' temporary files are removed by the next import.
#  2. `colstore export` killed the same way: the path keeps the older export
#     or holds a whole new one; the next export sweeps the temporary files.
#  3. A full file system (a small tmpfs; skipped when it cannot be mounted):
#     import, export and a spilling agg fail with "No space left on device",
#     exit 1, and leave nothing behind; an old file on it stays intact.
#  4. A file truncated while it is read: scan, export and import stop with
#     "FILE changed while being read", exit 1, and leave no temporary file.
#  5. `colstore import --append` killed with SIGKILL at random moments: the
#     file verifies and holds the old rows, or the old and the new ones,
#     never a mix; the next append succeeds on it.
# Run by `make check` (top_builddir is set by the harness) or by hand.
set -u
top_builddir=${top_builddir:-.}
CS="$top_builddir/colstore"
GEN="$top_builddir/bench/gen"
name=crash; . "$(dirname "$0")/lib.sh"
mnt=""
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
# the cells of a file, as one checksum
cells() { "$CS" scan -f csv "$1" 2>/dev/null | cksum; }
stray() { ls -A "$1" | grep -c '\.tmp-' ; }

# ---- 1. SIGKILL during import
"$GEN" -n 20000 -o "$T/old.csv" >/dev/null
"$GEN" -n 1000000 -o "$T/new.csv" >/dev/null
mkdir -p "$T/db"
"$CS" import -q "$T/old.csv" -o "$T/db/x.colstore"
old=$(cells "$T/db/x.colstore")
"$CS" import -q --threads 1 "$T/new.csv" -o "$T/ref.colstore"
new=$(cells "$T/ref.colstore")
rm -f "$T/ref.colstore"
[ "$old" != "$new" ] && [ "$new" != "$(printf '' | cksum)" ] && ok "the old and the new data differ" || no "the old and new data differ"
# how long one import takes, in ms, to spread the kills over it
t0=$(date +%s%N)
"$CS" import -q --threads 1 "$T/new.csv" -o "$T/timing.colstore"
ms=$((($(date +%s%N) - t0) / 1000000))
rm -f "$T/timing.colstore"
seed=${CRASH_SEED:-$$}
echo "# one import takes $ms ms; kill seed $seed"
kills=0 olds=0 news=0
for k in 1 2 3 4 5 6 7 8; do
	# a moment in the first 95 % of the run (awk's rand, seeded per kill)
	d=$(awk -v s="$seed" -v k="$k" -v ms="$ms" 'BEGIN { srand(s * 31 + k); printf "%.3f", rand() * ms * 0.95 / 1000 }')
	"$CS" import -q --threads 1 "$T/new.csv" -o "$T/db/x.colstore" &
	pid=$!
	sleep "$d"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	if ! "$CS" verify "$T/db/x.colstore" >/dev/null 2>&1; then
		no "kill $k after $d s: the file no longer verifies"
		continue
	fi
	c=$(cells "$T/db/x.colstore")
	if [ "$c" = "$old" ]; then
		olds=$((olds + 1))
	elif [ "$c" = "$new" ]; then
		news=$((news + 1))
		"$CS" import -q "$T/old.csv" -o "$T/db/x.colstore" # back to the old one
	else
		no "kill $k after $d s: the cells are neither the old nor the new ones"
	fi
done
echo "# $kills imports killed; the path then held the old file $olds times, the new one $news times"
[ $((olds + news)) -eq 8 ] && ok "8 imports killed with SIGKILL: the path holds a whole file each time" || no "a killed import damaged the path"
[ "$kills" -ge 1 ] && [ "$olds" -ge 1 ] && ok "at least one kill landed inside the import" || no "no kill landed inside the import (kills $kills, old $olds)"
left=$(stray "$T/db")
echo "# $left temporary files left by the killed imports"
# beside them: one that a live writer holds (its flock, as an import or
# export holds its temporary file), and one named after this shell's PID
# that nobody holds (a PID reused, or one of another PID namespace)
echo live >"$T/db/.x.colstore.tmp-1-0badf00d"
flock -x "$T/db/.x.colstore.tmp-1-0badf00d" -c "sleep 30" &
holder=$!
# until the holder has its lock (a fixed 0.2 s was too short on a busy machine)
i=0
while flock -n "$T/db/.x.colstore.tmp-1-0badf00d" true 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
echo stale >"$T/db/.x.colstore.tmp-$$-0badf00d"
"$CS" import -q "$T/old.csv" -o "$T/db/x.colstore"
[ -e "$T/db/.x.colstore.tmp-1-0badf00d" ] && ok "a temporary file that a live writer holds is left alone" || no "a held temporary file was removed"
[ ! -e "$T/db/.x.colstore.tmp-$$-0badf00d" ] && ok "one that nobody holds is removed, whatever PID it names" || no "an unheld temporary file named after a live PID was kept"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
rm -f "$T/db/.x.colstore.tmp-1-0badf00d"
[ "$(stray "$T/db")" -eq 0 ] && ok "the next import removed the killed imports' temporary files" || { no "temporary files remain after the next import"; ls -la "$T/db"; }
[ "$(cells "$T/db/x.colstore")" = "$old" ] && ok "and wrote its own file whole" || no "the next import's file differs"

# ---- 2. export, killed: the path keeps the older export; the next one sweeps
"$CS" import -q --threads 1 "$T/new.csv" -o "$T/big.colstore"
"$CS" export -q -f parquet -o "$T/db/x.parquet" "$T/db/x.colstore"
oldp=$(cksum <"$T/db/x.parquet")
t0=$(date +%s%N)
"$CS" export -q -f parquet -o "$T/ref.parquet" "$T/big.colstore"
ms=$((($(date +%s%N) - t0) / 1000000))
rm -f "$T/ref.parquet"
kills=0
for k in 1 2 3 4; do
	d=$(awk -v s="$seed" -v k="$k" -v ms="$ms" 'BEGIN { srand(s + 100 + k); printf "%.3f", rand() * ms * 0.9 / 1000 }')
	"$CS" export -q -f parquet -o "$T/db/x.parquet" "$T/big.colstore" &
	pid=$!
	sleep "$d"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	[ "$(cksum <"$T/db/x.parquet")" = "$oldp" ] || [ "$(tail -c 4 "$T/db/x.parquet")" = PAR1 ] ||
		no "export kill $k after $d s: the path holds neither the old file nor a whole new one"
done
echo "# one export takes $ms ms; $kills of 4 exports killed, $(stray "$T/db") temporary files left"
[ "$kills" -ge 1 ] && ok "exports killed with SIGKILL: the path kept the older export" || no "no export was killed"
"$CS" export -q -f arrow -o "$T/db/x.parquet.arrow" "$T/db/x.colstore"
"$CS" export -q -f parquet -o "$T/db/x.parquet" "$T/db/x.colstore"
[ "$(stray "$T/db")" -eq 0 ] && ok "the next export removed the killed exports' temporary files" || { no "temporary files remain after the next export"; ls -la "$T/db"; }

# ---- 3. a full file system
mnt="$T/full"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2>/dev/null; then
	mnt=""
	echo "# SKIP: cannot mount a small tmpfs (needs root): no full-file-system tests"
else
	"$CS" import -q "$T/old.csv" -o "$mnt/x.colstore"
	small=$(cells "$mnt/x.colstore")
	"$CS" import -q "$T/new.csv" -o "$mnt/x.colstore" >"$T/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "No space left on device" "$T/out" && ok "import onto a full file system: exit 1, 'No space left on device'" || { no "import onto a full file system (exit $rc)"; cat "$T/out"; }
	[ "$(ls -A "$mnt")" = "x.colstore" ] && ok "it left nothing behind" || { no "files left behind on the full file system"; ls -la "$mnt"; }
	[ "$(cells "$mnt/x.colstore")" = "$small" ] && "$CS" verify "$mnt/x.colstore" >/dev/null && ok "the old file on it is intact" || no "the old file was damaged"
	"$CS" export -q -f parquet -o "$mnt/x.parquet" "$T/big.colstore" >"$T/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "No space left on device" "$T/out" && ok "export onto a full file system: exit 1, 'No space left on device'" || { no "export onto a full file system (exit $rc)"; cat "$T/out"; }
	[ "$(ls -A "$mnt")" = "x.colstore" ] && ok "it left nothing behind" || { no "export left files on the full file system"; ls -la "$mnt"; }
	rm -f "$mnt/x.colstore"
	TMPDIR="$mnt" "$CS" agg -f csv -m 1M -a "count(*),sum(qty)" -g customer,returned "$T/big.colstore" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 1 ] && grep -q "No space left on device" "$T/err" && ok "agg spilling to a full TMPDIR: exit 1, 'No space left on device'" || { no "agg spilling to a full TMPDIR (exit $rc)"; cat "$T/err"; }
	[ -z "$(ls -A "$mnt")" ] && ok "it left nothing behind" || { no "agg left files in TMPDIR"; ls -la "$mnt"; }
fi

# ---- 4. files truncated while they are read (SIGBUS on the mapping)
"$CS" import -q --compression none "$T/new.csv" -o "$T/bus.colstore"
# the consumer takes one byte, so that the command is under way, blocks it,
# cuts the file short, then drains the rest
cp "$T/bus.colstore" "$T/cut.colstore"
"$CS" scan -t 1 -f csv "$T/cut.colstore" 2>"$T/err" | { head -c 1 >/dev/null; truncate -s 100000 "$T/cut.colstore"; cat >/dev/null; }
grep -q "cut.colstore changed while being read (truncated or replaced by another program): stopped; the rows above are incomplete" "$T/err" && ok "scan of a file truncated under it: says so" || { no "scan of a truncated file"; cat "$T/err"; }
cp "$T/bus.colstore" "$T/cut.colstore"
sh -c "\"$CS\" export -q -f arrow -o - \"$T/cut.colstore\"; echo \$? >\"$T/rc\"" 2>"$T/err" | { head -c 1 >/dev/null; truncate -s 100000 "$T/cut.colstore"; cat >/dev/null; }
[ "$(cat "$T/rc")" = 1 ] && grep -q "changed while being read" "$T/err" && ok "export of a file truncated under it: exit 1, says so" || { no "export of a truncated file (exit $(cat "$T/rc"))"; cat "$T/err"; }
# the same in the middle of writing a file: retried with a later cut when
# the command was done before it (a fast machine)
mkdir -p "$T/out4"
cut_while() { # cut_while FILE SIZE COMMAND... : runs it, cuts FILE after a moment
	f=$1 size=$2
	shift 2
	# (cut before the command opened the file, or after it was done: later, or sooner)
	for d in 0.05 0.1 0.2 0.3 0.4 0.6 0.8; do
		cp "$T/src4" "$f"
		"$@" >"$T/err" 2>&1 &
		pid=$!
		sleep $d
		truncate -s "$size" "$f"
		wait $pid
		rc=$?
		grep -q "changed while being read" "$T/err" && return $rc
		rm -rf "$T/out4"/* "$T/out4"/.[!.]*
	done
	return 0
}
cp "$T/bus.colstore" "$T/src4"
cut_while "$T/cut.colstore" 100000 "$CS" export -q -f parquet -o "$T/out4/x.parquet" "$T/cut.colstore"
rc=$?
[ $rc -eq 1 ] && grep -q "cut.colstore changed while being read (truncated or replaced by another program): stopped; nothing was written" "$T/err" && ok "export to a file, input truncated: exit 1, says so" || { no "export to a file, input truncated (exit $rc)"; cat "$T/err"; }
[ -z "$(ls -A "$T/out4")" ] && ok "and leaves no file, temporary or not" || { no "export left files"; ls -la "$T/out4"; }
cp "$T/new.csv" "$T/src4"
cut_while "$T/cut.csv" 100000 "$CS" import -q --threads 1 "$T/cut.csv" -o "$T/out4/x.colstore"
rc=$?
[ $rc -eq 1 ] && grep -q "cut.csv changed while being read (truncated or replaced by another program): stopped; nothing was written" "$T/err" && ok "import of a CSV truncated under it: exit 1, says so" || { no "import of a truncated CSV (exit $rc)"; cat "$T/err"; }
[ -z "$(ls -A "$T/out4")" ] && ok "and leaves no file, temporary or not" || { no "import left files"; ls -la "$T/out4"; }
cp "$T/bus.colstore" "$T/src4"
cut_while "$T/cut.colstore" 100000 "$CS" agg -t 1 -a "count(*),sum(qty)" -g customer "$T/cut.colstore"
rc=$?
[ $rc -eq 1 ] && grep -q "cut.colstore changed while being read" "$T/err" && ok "agg of a file truncated under it: exit 1, says so" || { no "agg of a truncated file (exit $rc)"; cat "$T/err"; }
rm -f "$T/src4" "$T/cut.colstore" "$T/cut.csv" "$T/bus.colstore"

# ---- 5. SIGKILL during import --append
"$CS" import -q "$T/old.csv" -o "$T/base.colstore" --schema id:int32 # (the new ids need 32 bits)
old2=$(cells "$T/base.colstore")
cp "$T/base.colstore" "$T/both.colstore"
"$CS" import -q --append --threads 1 "$T/new.csv" -o "$T/both.colstore"
both=$(cells "$T/both.colstore")
rm -f "$T/both.colstore"
[ "$both" != "$old2" ] && ok "the appended rows change the cells" || no "the append changed nothing"
t0=$(date +%s%N)
cp "$T/base.colstore" "$T/a.colstore"
"$CS" import -q --append --threads 1 "$T/new.csv" -o "$T/a.colstore"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# one append takes $ms ms"
cp "$T/base.colstore" "$T/a.colstore"
kills=0 olds=0 news=0
for k in 1 2 3 4 5 6 7 8 9 10; do
	d=$(awk -v s="$seed" -v k="$k" -v ms="$ms" 'BEGIN { srand(s * 17 + k); printf "%.3f", rand() * ms * 0.98 / 1000 }')
	"$CS" import -q --append --threads 1 "$T/new.csv" -o "$T/a.colstore" &
	pid=$!
	sleep "$d"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	if ! "$CS" verify "$T/a.colstore" >/dev/null 2>&1; then
		no "append killed after $d s: the file no longer verifies"
		"$CS" verify "$T/a.colstore" 2>&1 | sed 's/^/    /'
		cp "$T/base.colstore" "$T/a.colstore"
		continue
	fi
	c=$(cells "$T/a.colstore")
	if [ "$c" = "$old2" ]; then
		olds=$((olds + 1))
	elif [ "$c" = "$both" ]; then
		news=$((news + 1))
		cp "$T/base.colstore" "$T/a.colstore" # back to the old rows
	else
		no "append killed after $d s: the cells are neither the old rows nor the old and new"
		cp "$T/base.colstore" "$T/a.colstore"
	fi
done
echo "# $kills appends killed; the file then held the old rows $olds times, old and new $news times"
[ $((olds + news)) -eq 10 ] && ok "10 appends killed with SIGKILL: the file is whole each time, old or new" || no "a killed append damaged the file"
[ "$kills" -ge 1 ] && [ "$olds" -ge 1 ] && ok "at least one kill landed inside the append" || no "no kill landed inside the append (kills $kills, old $olds)"
# after a killed append, the next one completes over what it left
"$CS" import -q --append --threads 1 "$T/new.csv" -o "$T/a.colstore" &
pid=$!
sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms * 0.6 / 1000 }')"
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
"$CS" import -q --append --threads 1 "$T/new.csv" -o "$T/a.colstore" 2>"$T/err"
"$CS" verify "$T/a.colstore" >/dev/null 2>&1 && n=$("$CS" info "$T/a.colstore" | awk '/^rows:/ { print $2 }') &&
	{ [ "$n" = "$((20000 + 1000000))" ] || [ "$n" = "$((20000 + 2000000))" ]; } &&
	ok "an append after a killed one completes ($n rows)" || { no "the append after a killed one"; cat "$T/err"; }
rm -f "$T/a.colstore" "$T/base.colstore"

tally
