#!/bin/sh
# snippets.sh -- every C example in README.md, docs/*.md and the man pages
# is a whole program: each is compiled against this build's libcolstore,
# run on the sample data set (bench/gen -n 200000, imported as
# sample.colstore, as tools/demo.sh does), and what it prints must be what
# the text says it prints.  In Markdown an example is a ```c block and its
# output the next ```text block; in a man page it is the .nf/.fi block
# after .SH EXAMPLE and its output the next .nf/.fi block.
# Run by `make check` (the harness sets top_builddir, top_srcdir, CC, CFLAGS
# and LDFLAGS).
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
name=snippets; . "$(dirname "$0")/lib.sh"

"$top_builddir/bench/gen" -n 200000 -o "$T/sample.csv" >/dev/null &&
	"$top_builddir/colstore" import -q "$T/sample.csv" -o "$T/sample.colstore" ||
	{ no "the sample data set"; tally; exit 1; }

# split FILE into $T/ex-N.c and $T/ex-N.out (N from $n on); prints the count
split_md() {
	awk -v dir="$T" -v n="$2" '
		/^```c$/ { n++; f = dir "/ex-" n ".c"; printf "" >f; state = "c"; next }
		/^```text$/ && want { f = dir "/ex-" n ".out"; printf "" >f; state = "t"; want = 0; next }
		/^```/ && state != "" { if (state == "c") want = 1; state = ""; next }
		state != "" { print >f }
		END { print n }' "$1"
}
split_man() {
	sed -e 's/\\e/\\/g' -e 's/\\-/-/g' "$1" | awk -v dir="$T" -v n="$2" '
		/^\.SH / { ex = ($2 == "EXAMPLE") }
		!ex { next }
		/^\.nf$/ { if (want) { f = dir "/ex-" n ".out"; want = 0 } else { n++; f = dir "/ex-" n ".c"; want = 1 }
		           printf "" >f; inside = 1; next }
		/^\.fi$/ { inside = 0; next }
		inside { print >f }
		END { print n }'
}

n=0
for doc in "$top_srcdir/README.md" "$top_srcdir"/docs/*.md; do
	before=$n
	n=$(split_md "$doc" "$n")
	i=$before
	while [ "$i" -lt "$n" ]; do i=$((i + 1)); echo "${doc#"$top_srcdir"/}" >"$T/ex-$i.from"; done
done
for page in "$top_srcdir"/man/*.in; do
	before=$n
	n=$(split_man "$page" "$n")
	i=$before
	while [ "$i" -lt "$n" ]; do i=$((i + 1)); echo "${page#"$top_srcdir"/}" >"$T/ex-$i.from"; done
done
[ "$n" -ge 3 ] && ok "found $n C examples in the docs" || no "found only $n C examples in the docs"

i=0
while [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	from=$(cat "$T/ex-$i.from")
	if [ ! -s "$T/ex-$i.out" ]; then
		no "$from: C example $i has no output block after it"
		continue
	fi
	# shellcheck disable=SC2086
	if ! (cd "$T" && "$top_builddir/libtool" --mode=link --quiet ${CC:-cc} -std=c11 -Wall -Wextra -Werror \
		${CFLAGS:-} -I"$top_srcdir/include" "ex-$i.c" "$top_builddir/libcolstore.la" ${LDFLAGS:-} \
		-o "ex-$i") >"$T/cc.log" 2>&1; then
		no "$from: C example $i does not compile"
		sed 's/^/    /' "$T/cc.log" | head -20
		continue
	fi
	(cd "$T" && "./ex-$i") >"$T/ex-$i.got" 2>&1
	status=$?
	if [ "$status" -eq 0 ] && cmp -s "$T/ex-$i.got" "$T/ex-$i.out"; then
		ok "$from: C example $i prints what the text says: $(head -1 "$T/ex-$i.out")"
	else
		no "$from: C example $i (exit $status) printed:"
		sed 's/^/    /' "$T/ex-$i.got" | head -10
		echo "  the text says:"
		sed 's/^/    /' "$T/ex-$i.out"
	fi
done

# and the printed sum is the tool's own answer, not only the text's
want=$("$top_builddir/colstore" agg -f csv -a 'sum(qty)' "$T/sample.colstore" | tail -1)
grep -q "^sum(qty) = $want\$" "$T/ex-1.out" && ok "README's sum(qty) = $want is what colstore agg says" ||
	no "README's example output is not colstore agg's sum(qty) = $want"
tally
