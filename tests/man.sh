#!/bin/sh
# man.sh -- colstore(1) and the --help texts name the same options: every
# option of `colstore [COMMAND] --help` is in the man page, and every option
# in the man page is in some --help.  Also: the man pages carry the version.
set -u
top_builddir=${top_builddir:-.}
CS="$top_builddir/colstore"
MAN="$top_builddir/man/colstore.1"
name=man; . "$(dirname "$0")/lib.sh"
# options in a text: --long and -s
opts() { grep -o -E -- '(^|[^a-zA-Z0-9-])--?[a-zA-Z][a-zA-Z-]*' | sed -E 's/^[^-]*//' | grep -v -E -- '^-[a-zA-Z][a-zA-Z]' | sort -u; }
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$MAN" | opts >"$T/man"
: >"$T/help"
for cmd in "" import scan agg info verify export; do
	# shellcheck disable=SC2086
	"$CS" $cmd --help | opts >"$T/h"
	cat "$T/h" >>"$T/help"
	missing=$(comm -23 "$T/h" "$T/man" | tr '\n' ' ')
	if [ -z "$missing" ]; then
		ok "colstore ${cmd:-(no command)} --help: every option is in colstore(1)"
	else
		no "colstore $cmd --help: not in colstore(1): $missing"
	fi
done
sort -u "$T/help" -o "$T/help"
extra=$(comm -13 "$T/help" "$T/man" | tr '\n' ' ')
[ -z "$extra" ] && { ok "every option in colstore(1) is in a --help"; } ||
	{ no "in colstore(1) but in no --help: $extra"; }
# bash completion offers each command's long options, as --help lists them
COMPL="${top_srcdir:-.}/completion/colstore"
if command -v bash >/dev/null && [ -f "$COMPL" ]; then
	for cmd in import scan agg info verify export; do
		got=$(bash -c '. "$1"; COMP_WORDS=(colstore "$2" --); COMP_CWORD=2; _colstore; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPL" "$cmd" | sort -u)
		want=$("$CS" "$cmd" --help | opts | grep -- '^--' | sort -u)
		[ "$got" = "$want" ] && { ok "bash completion of 'colstore $cmd --' offers its --help options"; } ||
			{ no "bash completion of 'colstore $cmd --': got [$got] wanted [$want]"; }
	done
	got=$(bash -c '. "$1"; COMP_WORDS=(colstore ag); COMP_CWORD=1; _colstore; echo "${COMPREPLY[*]}"' _ "$COMPL")
	[ "$got" = "agg" ] && { ok "bash completion of 'colstore ag' is agg"; } || { no "'colstore ag' completes to [$got]"; }
	got=$(bash -c '. "$1"; COMP_WORDS=(colstore scan x -f j); COMP_CWORD=4; _colstore; echo "${COMPREPLY[*]}"' _ "$COMPL")
	[ "$got" = "jsonl" ] && { ok "bash completion of a --format value"; } || { no "'scan -f j' completes to [$got]"; }
fi
v=$("$CS" --version | sed -n 's/^colstore \([0-9.]*\).*/\1/p')
for m in "$MAN" "$top_builddir/man/libcolstore.3"; do
	grep -q "^\.TH .*\"colstore $v\"" "$m" && { ok "$(basename "$m") is of version $v"; } ||
		{ no "$(basename "$m") does not name version $v"; }
done
tally
