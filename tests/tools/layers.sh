#!/usr/bin/env bash
# The layering of lib/: each stage folder includes project headers only from
# itself and from the folders before it in LAYERS, always as "folder/name.h",
# and never a daemon/ header. Prints one line per violation
# ("file:line: what is wrong") and exits 1 if there was any.
#
#   tests/tools/layers.sh [LIBDIR]     (default: lib)
set -u
lib=${1:-lib}
LAYERS=(base ingest features detector alerting store report)

rank() {
	local i
	for i in "${!LAYERS[@]}"; do
		[ "${LAYERS[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}

bad=0
for dir in "$lib"/*/; do
	folder=$(basename "$dir")
	own=$(rank "$folder")
	if [ "$own" -lt 0 ]; then
		echo "$dir: a folder that is not a stage (${LAYERS[*]})"
		bad=1
		continue
	fi
	for file in "$dir"*.[ch]; do
		[ -e "$file" ] || continue
		while IFS=: read -r line inc; do
			inc=${inc#*\"}
			inc=${inc%%\"*}
			target=${inc%%/*}
			if [ "$target" = "$inc" ]; then
				echo "$file:$line: \"$inc\" is not named by its folder (\"folder/$inc\")"
				bad=1
			elif [ "$(rank "$target")" -lt 0 ]; then
				echo "$file:$line: \"$inc\" is outside lib/'s stages"
				bad=1
			elif [ "$(rank "$target")" -gt "$own" ]; then
				echo "$file:$line: $folder/ includes \"$inc\" from a later stage"
				bad=1
			elif [ ! -e "$lib/$inc" ]; then
				echo "$file:$line: \"$inc\" does not exist"
				bad=1
			fi
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file")
	done
done
for file in "$lib"/*.[ch]; do
	[ -e "$file" ] && { echo "$file: outside every stage folder"; bad=1; }
done
exit $bad
