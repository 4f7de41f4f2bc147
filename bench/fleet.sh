#!/usr/bin/env bash
# BENCH=fleet: what sensors and scorers spend on a window.
#  - in process (bench/fleet, one core): a window of SOURCES sources with a
#    few connections each, seen by two sensors split by flow: bytes per
#    sample on the wire, encoding, decoding and merging; best of 3;
#  - the daemons, over a private redis-server: a sensor replays a SYN flood
#    of SOURCES sources in one window (bench/gen_flood) and sends it; a
#    scorer reads, merges and scores it. The sensor's log says how long the
#    window took to encode and send; the scorer's, how long it decoded and
#    merged.
# No peer merges per-source samples across sensors (Zeek clusters, Suricata
# and nfdump keep each sensor's view to itself), so there is no side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
sources=${SOURCES:-100000}
out=$PWD/$BUILD/bench/fleet-run
mkdir -p "$out"

best=
for _ in 1 2 3; do
	r=$("$BUILD/bench/fleet" "$sources" 16)
	if [ -z "$best" ] || [ "$(echo "$r" | awk '{print $7}')" -gt "$(echo "$best" | awk '{print $7}')" ]; then
		best=$r
	fi
done
read -r samples partial bps enc dec mrg rate <<<"$best"

redis_pid=
cleanup() {
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	return 0
}
trap cleanup EXIT
sock=$out/redis.sock
rm -f "$sock"
redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no --dir "$out" \
	--logfile "$out/redis.log" &
redis_pid=$!
for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -s "$sock" flushall >/dev/null

flood=$out/flood-$((3 * sources))-$sources.pcap
[ -f "$flood" ] || "$BUILD/bench/gen_flood" "$flood" $((3 * sources)) "$sources" >/dev/null
[ -f "$out/model" ] || "$BUILD/flowsad" train --window 1m --seed 1 --quiet -o "$out/model" \
	tests/data/sample.pcap 2>/dev/null
for role in sensor scorer; do
	printf '[window]\nlength = 1m\nmax_samples = %d\n[redis]\naddress = %s\n' \
		$((2 * sources)) "$sock" >"$out/$role.conf"
	printf '[spool]\ndir = %s/spool\n[role]\nmode = %s\nname = bench-%s\npartitions = 16\n' \
		"$out" "$role" "$role" >>"$out/$role.conf"
done
"$BUILD/flowsad" run -c "$out/sensor.conf" -r "$flood" 2>"$out/sensor.log"
"$BUILD/flowsad" run -c "$out/scorer.conf" -m "$out/model" --jsonl /dev/null 2>"$out/scorer.log" &
scorer=$!
for _ in $(seq 600); do
	left=0
	for k in $(seq 0 15); do left=$((left + $(redis-cli -s "$sock" XLEN "flowsad:parts:$k"))); done
	[ "$left" = 0 ] && grep -q '^flowsad: window' "$out/scorer.log" && break
	sleep 0.1
done
kill -TERM "$scorer"
wait "$scorer" || true
send=$(sed -n 's/.*the slowest window in \([0-9.]*\) s.*/\1/p' "$out/sensor.log")
sent=$(sed -n 's/.*sensor: [0-9]* windows sent (\([0-9]*\) samples, [0-9]* entries, \([0-9.]*\) MiB.*/\1 \2/p' \
	"$out/sensor.log")
read -r sent_samples sent_mib <<<"$sent"
merged=$(sed -n 's/.*partitions read (\([0-9]*\) samples).* in \([0-9.]*\) s of decoding and merging.*/\1 \2/p' \
	"$out/scorer.log")
read -r merged_samples merge_s <<<"$merged"

echo "## Fleet: sensors and scorers ($sources sources in a window, 16 partitions)"
echo
printf '| %-58s | %12s | %-10s |\n' measure value target
printf '|%s|%s|%s|\n' ------------------------------------------------------------ -------------- ------------
printf '| %-58s | %12s | %-10s |\n' "in process: partial samples (2 sensors) -> samples" "$partial -> $samples" ""
printf '| %-58s | %12.1f | %-10s |\n' "in process: bytes per partial sample on the wire" "$bps" ""
printf '| %-58s | %12.3f | %-10s |\n' "in process: encode both sensors' windows (s)" "$enc" ""
printf '| %-58s | %12.3f | %-10s |\n' "in process: decode every partition (s)" "$dec" ""
printf '| %-58s | %12.3f | %-10s |\n' "in process: merge the window (s)" "$mrg" ""
printf '| %-58s | %12.0f | %-10s |\n' "in process: partial samples decoded and merged /s, 1 core" "$rate" ">= 500000"
printf '| %-58s | %12s | %-10s |\n' "daemon: sensor window of $sent_samples samples, MiB sent" "$sent_mib" ""
printf '| %-58s | %12s | %-10s |\n' "daemon: sensor encodes and sends that window (s)" "$send" "< 1"
printf '| %-58s | %12.0f | %-10s |\n' "daemon: scorer decodes and merges, partial samples /s" \
	"$(echo "$merged_samples / $merge_s" | bc -l)" ">= 500000"
echo
echo "(Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on a unix socket, one node;" \
	"$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
