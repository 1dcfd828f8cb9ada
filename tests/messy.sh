#!/bin/sh
# messy.sh -- lenient import of polluted CSV, scored against the clean file.
#
# A clean table (sales-like rows, with notes that hold commas, quotes and
# accented letters) is written once as RFC 4180 and
# imported strictly.  Then it is polluted, one way at a time: a bad row at
# several places (an extra delimiter, stray quotes, text after a closing
# quote, a missing delimiter, a row quoted whole, a NUL byte, a line of
# text), or the whole file in another dialect (', ' or ';' delimiters, '
# quotes, backslash escapes, a preamble, two header lines, CRLF, latin1,
# UTF-16, a second table after it).  Each variant is imported with
# --lenient (and the option the dialect needs, when it cannot be detected)
# and must give every clean row, cell for cell, in order; the polluted row
# may be stored (padded, or with its quote as text) or rejected, and the
# rejects file must hold exactly the rows the summary counts.
set -u
top_builddir=${top_builddir:-.}
CS="$top_builddir/colstore"
name=messy; . "$(dirname "$0")/lib.sh"

N=3000
# the clean table's fields, tab-separated: ids, timestamps, words, numbers,
# booleans and notes that hold commas, quotes and an accented letter
awk -v n=$N 'BEGIN {
	split("north south east west highlands metro coast lakes", reg, " ")
	split("gift fast fragile call wrap box", word, " ")
	print "id\tts\tregion\tcity\tcustomer\tqty\tprice\tdiscount\treturned\tnote"
	s = 12345
	for (i = 1; i <= n; i++) {
		s = (s * 1103515245 + 12345) % 2147483648
		note = word[int(s / 1024) % 6 + 1] " " word[int(s / 8192) % 6 + 1]
		if (i % 5 == 0) note = "say \"hi\", " note
		else if (i % 7 == 0) note = "caf\303\251 " note
		else if (i % 3 == 0) note = note ", again"
		else if (i % 11 == 0) note = ""
		# numbers written as they print back (605.25, 0.5): a column that a
		# bad row turns into text prints the same
		printf "%d\t2025-01-%02dT%02d:%02d:00\t%s\tcity-%d\tC%d\t%d\t%d.%d5\t0.%d\t%s\t%s\n",
		       i, i % 28 + 1, i % 24, i % 60, reg[int(s / 16) % 8 + 1], int(s / 8) % 9000,
		       1000000 + int(s / 32) % 900000, int(s / 64) % 100 + 1, int(s / 128) % 1000,
		       int(s / 4) % 10, int(s / 256) % 9 + 1, (int(s / 512) % 3 ? "false" : "true"), note
	}
}' >"$T/fields.tsv"

# write fields.tsv in a dialect: DELIM QUOTE ESC(\ or "") EOL
write() {
	awk -v D="$1" -v Q="$2" -v E="$3" -v EOL="$4" -F '\t' '{
		for (i = 1; i <= NF; i++) {
			f = $i
			if (index(f, Q) || index(f, substr(D, 1, 1)) || index(f, "\\")) {
				if (E != "") { gsub(/\\/, "\\\\", f); gsub(Q, "\\" Q, f) }
				else { gsub(Q, Q Q, f) }
				f = Q f Q
			}
			printf "%s%s", (i > 1 ? D : ""), f
		}
		printf "%s", EOL
	}' "$T/fields.tsv"
}
write ',' '"' '' '\n' >"$T/clean.csv"
"$CS" import -q "$T/clean.csv" -o "$T/clean.colstore" || { echo "FAIL - clean import"; exit 1; }
"$CS" scan -f csv "$T/clean.colstore" | tail -n +2 >"$T/clean.out"
[ "$(wc -l <"$T/clean.out")" -eq $N ] && ok "the clean table has $N rows" || no "the clean table"

loaded=0 variants=0 strict=0
# score VARIANT BADROW [IMPORT OPTIONS...]: import $T/v.csv leniently; every
# clean row but BADROW (1-based, 0: none) must come out, in order
score() {
	what=$1 bad=$2
	shift 2
	variants=$((variants + 1))
	# for the record: what the strict default makes of it
	rm -f "$T/v.colstore" "$T/rej.csv"
	if "$CS" import -q "$T/v.csv" -o "$T/v.colstore" "$@" >/dev/null 2>&1; then
		"$CS" scan -f csv "$T/v.colstore" | tail -n +2 | cmp -s - "$T/clean.out" &&
			strict=$((strict + 1))
		rm -f "$T/v.colstore"
	fi
	if ! "$CS" import -q --lenient --rejects "$T/rej.csv" "$T/v.csv" -o "$T/v.colstore" "$@" >"$T/log" 2>&1; then
		no "$what: the import failed"
		sed 's/^/    /' "$T/log" | head -5
		return
	fi
	"$CS" scan -f csv "$T/v.colstore" | tail -n +2 >"$T/v.out"
	# the polluted row may be there or not: drop it from both sides
	if [ "$bad" -gt 0 ]; then
		awk -v b="$bad" 'NR != b' "$T/clean.out" >"$T/want"
		# where it is stored, it is the row at the same place
		if [ "$(wc -l <"$T/v.out")" -gt $((N - 1)) ]; then
			awk -v b="$bad" 'NR != b' "$T/v.out" >"$T/got"
		else
			cp "$T/v.out" "$T/got"
		fi
	else
		cp "$T/clean.out" "$T/want"
		cp "$T/v.out" "$T/got"
	fi
	# the rejects file holds as many rows as the summary says (its CSV
	# records: quoted text may span lines, so count the records by line number)
	said=$(sed -n 's/^  \([0-9]*\) rows* rejected.*/\1/p' "$T/log")
	said=${said:-0}
	inrej=$(grep -c "^\"$T/v.csv\",[0-9]*," "$T/rej.csv")
	if cmp -s "$T/want" "$T/got" && [ "$said" -eq "$inrej" ]; then
		loaded=$((loaded + 1))
		ok "$what"
	else
		no "$what (rejected: said $said, in the file $inrej)"
		diff "$T/want" "$T/got" | head -6 | sed 's/^/    /'
	fi
}

# one bad row, at the first data row, in the middle, and at the end
for row in 1 1234 $N; do
	line=$((row + 1))
	pollute() { # an awk program that rewrites line $line of clean.csv
		awk -v L=$line "$1" "$T/clean.csv" >"$T/v.csv"
	}
	pollute 'NR == L { sub(/,/, ",,") } 1'
	score "row $row: an extra delimiter" "$row"
	pollute 'NR == L { $0 = $0 "," } 1'
	score "row $row: an empty trailing field" 0
	pollute 'NR == L { $0 = $0 ",extra" } 1'
	score "row $row: an extra field with text" "$row"
	pollute 'NR == L { sub(/,city-/, ",\"city-") } 1'
	score "row $row: a stray quote opening a field" "$row"
	pollute 'NR == L { sub(/,city-/, ",ci\"ty-") } 1'
	score "row $row: a quote inside a field" "$row"
	pollute 'NR == L { sub(/,city-[0-9]*/, "&\"x") } 1'
	score "row $row: a quote after the text" "$row"
	pollute 'NR == L { sub(/,C[0-9]*,/, ",\"&\"x,") } 1'
	score "row $row: text after a closing quote" "$row"
	pollute 'NR == L { sub(/,city-/, "city-") } 1'
	score "row $row: a missing delimiter" "$row"
	pollute 'NR == L { gsub(/"/, "\"\""); $0 = "\"" $0 "\"" } 1'
	score "row $row: the row quoted whole" "$row"
	pollute 'NR == L { sub(/,city-/, ",city\001-") } 1'
	tr '\001' '\000' <"$T/v.csv" >"$T/v2.csv" && mv "$T/v2.csv" "$T/v.csv"
	score "row $row: a NUL byte" "$row"
done
# a line of text between rows: stored padded (a row of its own) or not
awk 'NR == 100 { print "-- page 2 --" } 1' "$T/clean.csv" >"$T/v.csv"
"$CS" import -q --lenient "$T/v.csv" -o "$T/v.colstore" >"$T/log" 2>&1 &&
	"$CS" scan -f csv "$T/v.colstore" | tail -n +2 | awk 'NR != 99' >"$T/got" &&
	cmp -s "$T/clean.out" "$T/got" && { ok "a line of text between rows"; loaded=$((loaded + 1)); } ||
	no "a line of text between rows"
variants=$((variants + 1))

# the whole file in another dialect
write ', ' '"' '' '\n' >"$T/v.csv"
score "', ' as the delimiter (detected)" 0
write ';' '"' '' '\n' >"$T/v.csv"
score "';' as the delimiter (detected)" 0
write ',' "'" '' '\n' >"$T/v.csv"
score "' as the quote (detected)" 0
write ',' '"' '\' '\n' >"$T/v.csv"
score "backslash escapes (detected)" 0
write ',' '"' '' '\r\n' >"$T/v.csv"
score "CRLF line endings" 0
{ printf 'Sales, exported 2026-12-01\nsource: the generator\n\n'; cat "$T/clean.csv"; } >"$T/v.csv"
score "a preamble (detected)" 0
{ head -1 "$T/clean.csv"; cat "$T/clean.csv"; } >"$T/v.csv"
score "two header lines (--header-lines 2)" 0 --header-lines 2
iconv -f utf-8 -t latin1 "$T/clean.csv" >"$T/v.csv"
score "latin1 (--encoding latin1)" 0 --encoding latin1
iconv -f utf-8 -t utf-16 "$T/clean.csv" >"$T/v.csv"
score "UTF-16 with a byte-order mark (detected)" 0
{ cat "$T/clean.csv"; printf '\nregion,total\nnorth,1\nsouth,2\n'; } >"$T/v.csv"
score "a second table after the first" 0
grep -q "another table starts at line $((N + 3))" "$T/rej.csv" && ok "the second table's rows are rejected as such" ||
	no "the second table's rejects"
: >"$T/v.csv"
"$CS" import -q "$T/v.csv" -o "$T/v.colstore" 2>/dev/null && [ "$("$CS" scan -f csv "$T/v.colstore" | wc -l)" -eq 1 ] &&
	ok "an empty input is an empty table" || no "an empty input"

echo "# $loaded of $variants polluted variants load with every clean row intact ($strict with the strict default)"
[ "$loaded" -eq "$variants" ] && ok "every polluted variant loads" || no "$((variants - loaded)) variants do not load"
tally
