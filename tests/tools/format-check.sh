#!/usr/bin/env bash
# The format rule of the C sources (.clang-format): lines of at most 100
# columns (tabs at 8), indentation by tabs, no trailing white space. Prints
# "file:line: what is wrong" for each line that breaks it; exits 1 if any.
#
#   tests/tools/format-check.sh [FILE...]    (default: every C file of the tree)
set -u
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- $(find lib daemon tests bench fuzz -name '*.[ch]' | sort)
awk '
	{
		line = $0
		gsub(/\t/, "        ", line) # clang-format counts a tab as 8 columns
		if (length(line) > 100) { printf "%s:%d: %d columns, at most 100\n", FILENAME, FNR, length(line); bad = 1 }
		if ($0 ~ /[ \t]+$/) { printf "%s:%d: trailing white space\n", FILENAME, FNR; bad = 1 }
		if ($0 ~ /^ +[^ *]/) { printf "%s:%d: indented by spaces, not tabs\n", FILENAME, FNR; bad = 1 }
	}
	END { exit bad }
' "$@"
