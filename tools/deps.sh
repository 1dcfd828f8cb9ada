#!/bin/sh
# deps.sh -- install colstore's build dependencies on Debian/Ubuntu when any
# is missing.  Needs root (or sudo) only when something must be installed.
#   deps.sh          what the build needs
#   deps.sh --test   also what the test suite uses: valgrind (the CLI under
#                    memcheck), clang (libFuzzer targets), libsqlite3-dev
#                    (tests/oracle compares query answers with SQLite's), and
#                    node and npm (tests/interop.sh: DuckDB, Arrow JS and
#                    Polars read the exported files), unless a node and npm
#                    are already there
set -eu
PKGS="gcc make autoconf automake libtool pkg-config liblz4-dev libxxhash-dev zlib1g-dev libzstd-dev libcunit1-dev"
[ "${1:-}" = "--test" ] && PKGS="$PKGS valgrind clang libsqlite3-dev"
missing=""
if [ "${1:-}" = "--test" ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
	missing=" nodejs npm"
fi
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else
	echo "deps.sh: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
