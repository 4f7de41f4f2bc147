#!/usr/bin/env bash
# The layering of lib/ and of daemon/. Prints one line per violation
# ("file:line: what is wrong") and exits 1 if there was any.
#
# lib/: each stage folder includes project headers only from itself and from
# the folders before it in LAYERS, always as "folder/name.h", and never a
# daemon/ header.
#
# daemon/: each part folder includes project headers only from itself, from
# the parts before it in DAEMON_LAYERS, and from lib/'s stages, always as
# "folder/name.h". So a sink never includes the windows, the windows never
# include the fleet, and nothing but run/ and main.c sees the whole daemon.
# daemon/main.c, the subcommand table, is the one file above every part.
#
#   tests/tools/layers.sh                     both trees of the checkout
#   tests/tools/layers.sh LIBDIR              lib/ (or a copy) alone
#   tests/tools/layers.sh --daemon DAEMONDIR  daemon/ (or a copy) alone, its
#                                             lib/ headers looked up in LIB
#                                             (default: the checkout's lib/)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
LAYERS=(base ingest features detector alerting store report)
DAEMON_LAYERS=(common redis capture sinks retrain windows fleet cmd run)

# rank NAME LIST...: NAME's index in LIST, or -1
rank() {
	local name=$1 i=0 each
	shift
	for each in "$@"; do
		[ "$each" = "$name" ] && { echo "$i"; return; }
		i=$((i + 1))
	done
	echo -1
}

bad=0
# includes FILE: "line:header" for each project include of FILE
includes() {
	local line inc
	while IFS=: read -r line inc; do
		inc=${inc#*\"}
		echo "$line:${inc%%\"*}"
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$1")
}

check_lib() {
	local lib=$1 dir folder own file line inc target
	for dir in "$lib"/*/; do
		folder=$(basename "$dir")
		own=$(rank "$folder" "${LAYERS[@]}")
		if [ "$own" -lt 0 ]; then
			echo "$dir: a folder that is not a stage (${LAYERS[*]})"
			bad=1
			continue
		fi
		for file in "$dir"*.[ch]; do
			[ -e "$file" ] || continue
			while IFS=: read -r line inc; do
				target=${inc%%/*}
				if [ "$target" = "$inc" ]; then
					echo "$file:$line: \"$inc\" is not named by its folder (\"folder/$inc\")"
					bad=1
				elif [ "$(rank "$target" "${LAYERS[@]}")" -lt 0 ]; then
					echo "$file:$line: \"$inc\" is outside lib/'s stages"
					bad=1
				elif [ "$(rank "$target" "${LAYERS[@]}")" -gt "$own" ]; then
					echo "$file:$line: $folder/ includes \"$inc\" from a later stage"
					bad=1
				elif [ ! -e "$lib/$inc" ]; then
					echo "$file:$line: \"$inc\" does not exist"
					bad=1
				fi
			done < <(includes "$file")
		done
	done
	for file in "$lib"/*.[ch]; do
		[ -e "$file" ] && { echo "$file: outside every stage folder"; bad=1; }
	done
}

# check_daemon_file FILE FOLDER OWN: OWN is FOLDER's rank (main.c: the top)
check_daemon_file() {
	local daemon=$1 file=$2 folder=$3 own=$4 line inc target r
	while IFS=: read -r line inc; do
		target=${inc%%/*}
		r=$(rank "$target" "${DAEMON_LAYERS[@]}")
		if [ "$target" = "$inc" ]; then
			echo "$file:$line: \"$inc\" is not named by its folder (\"folder/$inc\")"
			bad=1
		elif [ "$(rank "$target" "${LAYERS[@]}")" -ge 0 ]; then
			if [ ! -e "$LIB/$inc" ]; then
				echo "$file:$line: \"$inc\" does not exist"
				bad=1
			fi
		elif [ "$r" -lt 0 ]; then
			echo "$file:$line: \"$inc\" is outside daemon/'s parts and lib/'s stages"
			bad=1
		elif [ "$r" -gt "$own" ]; then
			echo "$file:$line: $folder/ includes \"$inc\" from a part above it"
			bad=1
		elif [ ! -e "$daemon/$inc" ]; then
			echo "$file:$line: \"$inc\" does not exist"
			bad=1
		fi
	done < <(includes "$file")
}

check_daemon() {
	local daemon=$1 dir folder own file
	for dir in "$daemon"/*/; do
		folder=$(basename "$dir")
		own=$(rank "$folder" "${DAEMON_LAYERS[@]}")
		if [ "$own" -lt 0 ]; then
			echo "$dir: a folder that is not a part (${DAEMON_LAYERS[*]})"
			bad=1
			continue
		fi
		for file in "$dir"*.[ch]; do
			[ -e "$file" ] && check_daemon_file "$daemon" "$file" "$folder" "$own"
		done
	done
	for file in "$daemon"/*.[ch]; do
		[ -e "$file" ] || continue
		if [ "$(basename "$file")" = main.c ]; then
			check_daemon_file "$daemon" "$file" main.c "${#DAEMON_LAYERS[@]}"
		else
			echo "$file: outside every part folder"
			bad=1
		fi
	done
}

LIB=${LIB:-$root/lib}
if [ "${1:-}" = --daemon ]; then
	check_daemon "${2:-$root/daemon}"
elif [ $# -gt 0 ]; then
	check_lib "$1"
else
	check_lib "$root/lib"
	check_daemon "$root/daemon"
fi
exit $bad
