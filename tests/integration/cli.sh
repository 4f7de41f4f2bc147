#!/usr/bin/env bash
# The binary's surface: --version, --help, sysexits codes.
. "$(dirname "$0")/lib.bash"

check "--version prints the version" bash -c "$FLOWSAD --version | grep -Eq '^flowsad [0-9]+\.[0-9]+\.[0-9]+$'"
check "--help lists every subcommand" bash -c \
	"out=\$($FLOWSAD --help); for c in run train score detect aggregate model check-config; do grep -q \"  \$c \" <<<\"\$out\" || exit 1; done"
check_exit "no command is a usage error (64)" 64 "$FLOWSAD"
check_exit "unknown command is a usage error (64)" 64 "$FLOWSAD" frobnicate
for c in run train score detect aggregate model check-config; do
	check_exit "$c --help exits 0" 0 "$FLOWSAD" "$c" --help
done
check "redis test server answers" redis-cli -s "$FLOWSAD_TEST_REDIS" ping
# commands and inputs not built yet say so with EX_UNAVAILABLE, never pretend
for c in run check-config; do
	check_exit "$c is not built yet: exit 69" 69 "$FLOWSAD" "$c" -c /dev/null
done
check_exit "a configuration file is not read yet: exit 69" 69 "$FLOWSAD" score -c /dev/null -m x y
