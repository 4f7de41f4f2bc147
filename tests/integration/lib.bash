# Helpers for integration scripts: each check prints "ok - NAME" or
# "not ok - NAME" (with the reason on the next lines); tests/run.sh counts them.
# FLOWSAD is the binary under test, DATA the bundled fixtures.
set -u
: "${FLOWSAD:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/flowsad}"
DATA=$(cd "$(dirname "${BASH_SOURCE[0]}")/../data" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; return 0; }

# check NAME CMD...: ok when CMD exits 0
check() {
	local name=$1; shift
	if "$@" >"$T/check.out" 2>&1; then ok "$name"; else not_ok "$name" "$(tail -5 "$T/check.out")"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3"; fi
}

# check_exit NAME CODE CMD...: ok when CMD exits with CODE; its output stays
# in $T/exit.out for the checks that follow
check_exit() {
	local name=$1 want=$2 rc; shift 2
	"$@" >"$T/exit.out" 2>&1; rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else not_ok "$name" "exit $rc, expected $want" "$(tail -3 "$T/exit.out")"; fi
}
