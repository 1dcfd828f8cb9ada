#!/bin/sh
# oracle.sh -- the short pass of the randomized differential test
# (tests/oracle.c): random tables imported and queried, every answer
# compared with SQLite's.  Run by `make check`; SKIP when configure found no
# sqlite3.  ORACLE_SEED, ORACLE_TABLES and ORACLE_QUERIES override the
# fixed seed and the size.
set -u
top_builddir=${top_builddir:-.}
ORACLE="$top_builddir/tests/oracle"
if [ ! -x "$ORACLE" ]; then
	echo "SKIP: tests/oracle was not built (configure found no sqlite3; install libsqlite3-dev)"
	exit 77
fi
exec "$ORACLE" --seed "${ORACLE_SEED:-20261201}" --tables "${ORACLE_TABLES:-40}" \
	--queries "${ORACLE_QUERIES:-2400}" --cli "$top_builddir/colstore"
