#!/usr/bin/env bash
# The shape of the code: lib/'s stage folders include only from earlier
# stages, daemon/'s part folders only from lower parts and lib/
# (tests/tools/layers.sh), every C file follows the format rule
# (tests/tools/format-check.sh), and both checkers catch a violation.
. "$(dirname "$0")/lib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
layers=$root/tests/tools/layers.sh

check "lib/ stage folders include only from themselves and earlier stages" "$layers" "$root/lib"

# a copy of lib/ with one upward include must be refused, naming the line
cp -r "$root/lib" "$T/lib"
echo '#include "report/svgplot.h"' >>"$T/lib/base/crc32.c"
check_exit "an upward include is refused" 1 "$layers" "$T/lib"
check "the refusal names the file, the line and the later stage" \
	grep -q 'base/crc32.c:[0-9]*: base/ includes "report/svgplot.h" from a later stage' "$T/exit.out"

# an include without its folder, and a module outside the stage folders
cp -r "$root/lib" "$T/lib2"
sed -i '0,/#include "base\/ip.h"/s//#include "ip.h"/' "$T/lib2/ingest/decode.h"
touch "$T/lib2/loose.c"
check_exit "an include not named by its folder is refused" 1 "$layers" "$T/lib2"
check "both faults are reported" test "$(grep -c 'not named by its folder\|outside every stage folder' "$T/exit.out")" = 2

# daemon/: parts include only from themselves, the parts below them and lib/
check "daemon/ part folders include only from themselves, lower parts and lib/" \
	"$layers" --daemon "$root/daemon"
check "make layers checks both trees" bash -c "cd '$root' && bash tests/tools/layers.sh"

# a sink that includes the windows, and windows that include the fleet
cp -r "$root/daemon" "$T/daemon"
echo '#include "windows/windows.h"' >>"$T/daemon/sinks/jsonl_sink.c"
echo '#include "fleet/part_publisher.h"' >>"$T/daemon/windows/windows.c"
check_exit "an include of a part above is refused" 1 "$layers" --daemon "$T/daemon"
check "... a sink including the windows, named with file and line" \
	grep -q 'sinks/jsonl_sink.c:[0-9]*: sinks/ includes "windows/windows.h" from a part above it' \
	"$T/exit.out"
check "... the windows including the fleet, named with file and line" \
	grep -q 'windows/windows.c:[0-9]*: windows/ includes "fleet/part_publisher.h" from a part above it' \
	"$T/exit.out"

# downwards is allowed; an include without its folder, and a module outside the parts, are not
cp -r "$root/daemon" "$T/daemon2"
echo '#include "common/log.h"' >>"$T/daemon2/fleet/part_publisher.c"
check "an include of a part below is allowed" "$layers" --daemon "$T/daemon2"
sed -i '0,/#include "common\/log.h"/s//#include "log.h"/' "$T/daemon2/sinks/sinks.c"
touch "$T/daemon2/loose.c"
check_exit "an include not named by its folder is refused in daemon/ too" 1 \
	"$layers" --daemon "$T/daemon2"
check "both faults are reported" \
	test "$(grep -c 'not named by its folder\|outside every part folder' "$T/exit.out")" = 2

check "every C file keeps the format rule (100 columns, tabs, no trailing space)" \
	"$root/tests/tools/format-check.sh"
printf 'int x;\t\n    int y;\n%0120d\n' 0 >"$T/bad.c"
check_exit "a badly formatted file is refused" 1 "$root/tests/tools/format-check.sh" "$T/bad.c"
check "... each fault with file and line" test "$(grep -c "bad.c:[123]: " "$T/exit.out")" = 3
