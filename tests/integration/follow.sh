#!/usr/bin/env bash
# flowsad run following a Zeek conn.log as Zeek writes it: records appended are counted,
# a line still being written waits for its end, a rotation loses nothing (the old file's
# last records, then the new file from its start), and a restart goes on where the last
# run stopped, counting nothing twice.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)

python3 "$tools/flowlogs.py" "$DATA/sample.pcap" zeek-tsv "$T/train.log"
"$FLOWSAD" train --window 2s --seed 1 --epochs-pretrain 1 --epochs 1 -o "$T/model" \
	"$T/train.log" >/dev/null 2>&1
header() { sed -n 1,8p "$T/train.log"; }
# record ORIG_HOST PACKETS: a connection of now from 10.66.0.HOST, unanswered
record() {
	printf '%s\tC%s\t10.66.0.%s\t40000\t10.66.1.1\t443\ttcp\t-\t0.1\t-\t-\tS0\t-\t-\t0\tS\t%s\t%s\t0\t0\t-\n' \
		"$(date +%s.%N)" "$1" "$1" "$2" $(( $2 * 60 ))
}
mkdir -p "$T/logs"
{ header; record 1 100; } >"$T/logs/conn.log" # before the daemon: not read (followed from its end)
cat >"$T/follow.conf" <<CONF
[files]
follow = $T/logs/conn.log
positions = $T/follow.positions
[window]
length = 2s
lateness = 1s
CONF

run_daemon() { # SAMPLES_CSV SAYS: until SIGTERM; returns once the log SAYS it follows
	"$FLOWSAD" run -c "$T/follow.conf" -m "$T/model" --jsonl /dev/null --samples "$1" \
		2>>"$T/run.log" &
	pid=$!
	for _ in $(seq 100); do grep -q "$2" "$T/run.log" && break; sleep 0.1; done
}
packets() { awk -F, 'NR > 1 && $2 ~ /^10\.66\.0\./ {s += $3} END {print s + 0}' "$1"; }

run_daemon "$T/first.csv" "following it from its end"
record 2 3 >>"$T/logs/conn.log"
printf '%s' "$(record 3 4)" >>"$T/logs/conn.log" # no line end yet: still being written
sleep 1.5
printf '\n' >>"$T/logs/conn.log"
mv "$T/logs/conn.log" "$T/logs/conn.log.1"      # rotation ...
record 4 5 >>"$T/logs/conn.log.1"               # ... a last record to the old file
{ header; record 5 6; } >"$T/logs/conn.log"     # ... and the new file
sleep 2.5
kill -TERM "$pid"; wait "$pid"
check_eq "appended, finished, rotated: every record counted once, the old ones not" \
	"$((3 + 4 + 5 + 6))" "$(packets "$T/first.csv")"
check "the daemon says what it followed" grep -q "conn.log: 4 connections, 0 malformed lines, 1 rotations" \
	"$T/run.log"
check "the positions are kept" grep -q "$T/logs/conn.log" "$T/follow.positions"

record 6 7 >>"$T/logs/conn.log" # while it is down
run_daemon "$T/second.csv" "following it from where the last run stopped"
record 7 8 >>"$T/logs/conn.log"
sleep 2.5
kill -TERM "$pid"; wait "$pid"
check_eq "a restart goes on where the last run stopped: nothing twice, nothing lost" \
	"$((7 + 8))" "$(packets "$T/second.csv")"
check "... and says so" grep -q "following it from where the last run stopped" "$T/run.log"
