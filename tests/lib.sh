# lib.sh -- sourced by the shell tests after they set `name`: a scratch
# directory $T removed on exit, the pass/fail counters with ok and no, and
# `tally`, the closing "N passed, M failed" line that tools/test.sh adds up
# (its status is the script's).
#   name=cli; . "$(dirname "$0")/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/colstore-$name-XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "FAIL - $1"; }
tally() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
