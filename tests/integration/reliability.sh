#!/usr/bin/env bash
# The short version of make reliability (tests/reliability/run.sh): every fuzz target for a
# few seconds from its kept corpus, a storm of SIGKILLs, a template flood, a disk that fills.
. "$(dirname "$0")/lib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
SHORT=1 TAP=1 BUILD=${BUILD:-build} bash "$root/tests/reliability/run.sh" | grep '^\(not \)\?ok - '
