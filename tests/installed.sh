#!/bin/sh
# installed.sh -- `make install DESTDIR=...` installs what a C library should
# (binary, shared and static library with a soname, header, pkg-config file,
# man pages, bash completion), the examples build against the installed copy
# through pkg-config and run, and `make uninstall` removes every file.
# Run by `make check`: the harness sets top_builddir, top_srcdir, prefix,
# libdir, bindir, includedir, mandir, datadir.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
[ -e "$top_builddir/.libs/libcolstore.so" ] || { echo "SKIP: a static-only build (--disable-shared)"; exit 77; }
name=inst; . "$(dirname "$0")/lib.sh"
R="$T/root"
if ! make -C "$top_builddir" install DESTDIR="$R" >"$T/install.log" 2>&1; then
	tail -30 "$T/install.log"
	no "make install DESTDIR"
	tally
	exit 1
fi
ok "make install DESTDIR"
(cd "$R" && find . -type f -o -type l | sort) >"$T/files"
echo "# installed:"
sed 's/^\./# /' "$T/files"
for f in "$bindir/colstore" "$libdir/libcolstore.so" "$libdir/libcolstore.a" \
	"$includedir/colstore/colstore.h" "$libdir/pkgconfig/colstore.pc" \
	"$mandir/man1/colstore.1" "$mandir/man3/libcolstore.3" \
	"$datadir/bash-completion/completions/colstore"; do
	[ -e "$R$f" ] && ok "installs $f" || no "does not install $f"
done
soname=$(objdump -p "$R$libdir/libcolstore.so" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
case $soname in libcolstore.so.[0-9]*) ok "soname $soname" ;; *) no "soname '$soname'" ;; esac
[ -e "$R$libdir/$soname" ] && ok "$soname is installed" || no "$soname is missing"

# the examples, built against the installed copy only
export PKG_CONFIG_PATH="$R$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$R"
cflags=$(pkg-config --cflags colstore) && libs=$(pkg-config --libs colstore) || no "pkg-config colstore"
export LD_LIBRARY_PATH="$R$libdir"
for ex in write_table column_sum; do
	# shellcheck disable=SC2086
	if ${CC:-cc} -std=c11 -Wall -Wextra -Werror $cflags -o "$T/$ex" "$top_srcdir/examples/$ex.c" $libs 2>"$T/cc.log"; then
		ok "examples/$ex.c builds with pkg-config against the installed library"
	else
		no "examples/$ex.c does not build"
		cat "$T/cc.log"
	fi
done
ldd "$T/column_sum" 2>/dev/null | grep -q "$R$libdir/libcolstore.so" && ok "and links the installed libcolstore.so" || no "column_sum does not use the installed library"
"$T/write_table" "$T/t.colstore" 100000 >"$T/out" 2>&1 && grep -q "wrote 100000 rows" "$T/out" && ok "write_table writes 100000 rows" || { no "write_table"; cat "$T/out"; }
"$R$bindir/colstore" verify "$T/t.colstore" >/dev/null 2>&1 && ok "the installed colstore verifies its file" || no "verify of write_table's file"
# id = 0..99999; temp null every 10th row: sums checked against closed forms
"$T/column_sum" "$T/t.colstore" id >"$T/out" 2>&1
grep -q "sum(id) = 4999950000 over 100000 values; 2 of 2 row groups read in place" "$T/out" && ok "column_sum id: 4999950000 over 100000 values, read in place" || { no "column_sum id"; cat "$T/out"; }
want=$(awk 'BEGIN { for (r = 0; r < 100000; r++) if (r % 10) { s += (r % 400) / 10 - 10; n++ } printf "%d over %d", s, n }')
"$T/column_sum" "$T/t.colstore" temp >"$T/out" 2>&1
grep -q "sum(temp) = $want values" "$T/out" && ok "column_sum temp: $want values (nulls skipped)" || { no "column_sum temp (want $want)"; cat "$T/out"; }
"$T/column_sum" "$T/t.colstore" nope >"$T/out" 2>&1
[ $? -eq 1 ] && grep -q "nope" "$T/out" && ok "column_sum names a missing column" || no "column_sum on a missing column"

if make -C "$top_builddir" uninstall DESTDIR="$R" >"$T/uninstall.log" 2>&1; then
	left=$(cd "$R" && find . -type f -o -type l | wc -l)
	[ "$left" -eq 0 ] && ok "make uninstall removes every file" || { no "make uninstall leaves $left files"; (cd "$R" && find . -type f -o -type l); }
else
	no "make uninstall"
fi
tally
