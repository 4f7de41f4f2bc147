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

# check_episodes_top5 SCORES_CSV PREFIX: every episode of sample-labels.csv
# must rank in the top 5 of its 1-minute window in `flowsad score` output.
check_episodes_top5() {
	local scores=$1 prefix=$2 src start end kind w rank
	tail -n +2 "$scores" | sort -t, -k1,1 -k3,3gr |
		awk -F, '$1 != w {w = $1; r = 0} {r++; print $1 "," $2 "," r}' >"$T/ranks.csv"
	while IFS=, read -r src start end kind; do
		[ "$src" = src_ip ] && continue
		w=$(date -u -d "@$(( start / 60 * 60 ))" +%Y-%m-%dT%H:%M:%SZ)
		rank=$(grep "^$w,$src," "$T/ranks.csv" | cut -d, -f3)
		check "$prefix$kind from $src ranks in the top 5 of its window (rank ${rank:-none})" \
			test "${rank:-99}" -le 5
	done <"$DATA/sample-labels.csv"
}

# hardening_missing BINARY: prints each hardening feature BINARY lacks, one a
# line (readelf, from binutils, which the compiler needs anyway)
hardening_missing() {
	local dyn
	dyn=$(readelf -dW "$1")
	readelf -hW "$1" | grep -q 'Type: *DYN' && grep -q 'FLAGS_1.*PIE' <<<"$dyn" || echo pie
	readelf -lW "$1" | grep -q GNU_RELRO || echo relro
	grep -Eq 'BIND_NOW|FLAGS_1.* NOW' <<<"$dyn" || echo bindnow
	readelf --dyn-syms -W "$1" | grep -q '__stack_chk_fail' || echo stack-protector
	readelf --dyn-syms -W "$1" | grep -Eq '__[a-z_]+_chk(@| |$)' || echo fortify
}
