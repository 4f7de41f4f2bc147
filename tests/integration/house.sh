#!/usr/bin/env bash
# The shape of the code: lib/'s stage folders include only from earlier
# stages (tests/tools/layers.sh), every C file follows the format rule
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

check "every C file keeps the format rule (100 columns, tabs, no trailing space)" \
	"$root/tests/tools/format-check.sh"
printf 'int x;\t\n    int y;\n%0120d\n' 0 >"$T/bad.c"
check_exit "a badly formatted file is refused" 1 "$root/tests/tools/format-check.sh" "$T/bad.c"
check "... each fault with file and line" test "$(grep -c "bad.c:[123]: " "$T/exit.out")" = 3
