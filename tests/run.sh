#!/usr/bin/env bash
# Runs every suite: the cmocka unit suites (build/tests/test_*) and the
# integration scripts (tests/integration/*.sh), with a private redis-server on
# a unix socket for the ones that need it. Ends with "N passed, N failed".
#
#   tests/run.sh            everything
#   tests/run.sh unit       unit suites only
#   VALGRIND=1 tests/run.sh unit   unit suites under valgrind memcheck
#   tests/run.sh memcheck  the daemon under valgrind (tests/memcheck/*.sh)
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export FLOWSAD=$PWD/$BUILD/flowsad
which=${1:-all}
passed=0 failed=0 failed_suites=()
tmp=$(mktemp -d)
redis_pid=

cleanup() {
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

start_redis() {
	export FLOWSAD_TEST_REDIS=$tmp/redis.sock
	redis-server --port 0 --unixsocket "$FLOWSAD_TEST_REDIS" --save '' --appendonly no \
		--dir "$tmp" --logfile "$tmp/redis.log" &
	redis_pid=$!
	for _ in $(seq 1 50); do
		redis-cli -s "$FLOWSAD_TEST_REDIS" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "run.sh: redis-server did not start" >&2
	return 1
}

# count SUITE OUTPUT-FILE RC: adds the suite's pass/fail counts to the totals.
# cmocka prints "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)..."; the
# integration scripts print "ok"/"not ok" lines (TAP-like).
count() {
	local name=$1 out=$2 rc=$3 p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END{print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END{print s+0}')
	p=$((p + $(grep -c '^ok ' "$out")))
	f=$((f + $(grep -c '^not ok ' "$out")))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1 # crashed or exited non-zero without saying which test
		echo "not ok $name exited with status $rc" >>"$out"
	fi
	passed=$((passed + p)) failed=$((failed + f))
	[ "$f" -gt 0 ] && failed_suites+=("$name")
	printf '%-32s %4d passed %4d failed\n' "$name" "$p" "$f"
	[ "$f" -gt 0 ] && grep -E '^(not ok|\[  ERROR|\[  FAILED  \] [a-z_])|error:|Assertion|ERROR SUMMARY: [1-9]' "$out" | head -20 | sed 's/^/    /'
	return 0
}

run_unit() {
	local t out rc
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		out=$tmp/$(basename "$t").out
		if [ -n "${VALGRIND:-}" ]; then
			valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
				"$t" >"$out" 2>&1
		else
			CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$out" 2>&1
		fi
		rc=$?
		count "unit/$(basename "$t")" "$out" "$rc"
	done
}

run_scripts() {
	local t out rc
	start_redis || { failed=$((failed + 1)); return; }
	for t in tests/$1/*.sh; do
		out=$tmp/$(basename "$t").out
		timeout 600 bash "$t" >"$out" 2>&1
		rc=$?
		count "$1/$(basename "$t" .sh)" "$out" "$rc"
	done
}

case $which in
unit) run_unit ;;
integration) run_scripts integration ;;
memcheck) run_scripts memcheck ;;
*) run_unit; run_scripts integration ;;
esac
[ ${#failed_suites[@]} -gt 0 ] && echo "failing suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
