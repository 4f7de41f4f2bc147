#!/usr/bin/env bash
# BENCH=fleet: what sensors and scorers spend on a window.
#  - in process (bench/fleet, one core): a window of SOURCES sources with a
#    few connections each, seen by two sensors split by flow: bytes per
#    sample on the wire, encoding, decoding and merging; best of 3;
#  - the daemons, over a private redis-server: a sensor replays a SYN flood
#    of SOURCES sources in one window (bench/gen_flood) and sends it; a
#    scorer reads, merges and scores it. The sensor's log says how long the
#    window took to encode and send; the scorer's, how long it decoded and
#    merged;
#  - faults (FAULT_RUNS runs each, 3 by default, the median shown):
#    takeover: two scorers and a sensor over the private redis-server, one
#    scorer SIGKILLed mid-replay: the seconds until the survivor holds the
#    dead one's partitions (its "partition K taken" lines) and until the
#    next alert of those partitions is in the stream; master death: a local
#    Redis Cluster of 3 masters and 3 replicas (tests/integration/
#    cluster.bash), the alert stream's master SIGKILLed while a replay
#    sends: the seconds until its replica is promoted and until the next
#    alert is in the stream. Each is polled every 0.05 s.
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

# the cluster's helpers (start_cluster, owner, has_replica; pids[] and
# its nodes are stopped by its cleanup, which removes $T)
T=$out/cluster
ok() { :; }
not_ok() { echo "bench/fleet.sh: $*" >&2; }
# shellcheck source=tests/integration/cluster.bash
. tests/integration/cluster.bash
redis_pid=
stop_all() {
	set +e # every process is stopped, whichever has ended already
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	cleanup
	return 0
}
trap stop_all EXIT
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
pids+=("$scorer")
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

# --- faults: a scorer SIGKILLed, a cluster master SIGKILLed ---------------
runs=${FAULT_RUNS:-3}
fault_dir=$out/faults
rm -rf "$fault_dir"
mkdir -p "$fault_dir"
# shellcheck source=bench/fleet_faults.bash
. bench/fleet_faults.bash
"$BUILD/flowsad" train --window 1m --seed 1 --quiet --alert-quantile 0.5 -o "$fault_dir/model" \
	tests/data/sample.pcap 2>/dev/null
tk=()
for i in $(seq "$runs"); do
	takeover_run "$i" "$sock"
	tk+=("$result")
done
md=()
rm -rf "$T"
if start_cluster; then
	for i in $(seq "$runs"); do
		master_run "$i"
		md+=("$result")
	done
fi
# column C of the runs' figures (ms): their median in seconds, and each run's
fig() {
	local c=$1
	shift
	local m each
	m=$(printf '%s\n' "$@" | awk -v c="$c" '{ print $c }' | median)
	each=$(printf '%s\n' "$@" | awk -v c="$c" '{ print $c }' | while read -r v; do secs "$v"; done |
		paste -sd/ -)
	echo "$(secs "$m") ${each:-none}"
}
read -r tk_own tk_own_each <<<"$(fig 1 "${tk[@]}")"
read -r tk_alert tk_alert_each <<<"$(fig 2 "${tk[@]}")"
read -r md_prom md_prom_each <<<"$(fig 1 "${md[@]}")"
read -r md_alert md_alert_each <<<"$(fig 2 "${md[@]}")"

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
printf '| %-58s | %12s | %-10s |\n' "takeover: scorer SIGKILLed -> its partitions taken (s)" \
	"$tk_own" "lease 6 s"
printf '| %-58s | %12s | %-10s |\n' "takeover: SIGKILL -> their next alert in the stream (s)" \
	"$tk_alert" ""
printf '| %-58s | %12s | %-10s |\n' "master death: SIGKILL -> replica promoted (s)" \
	"$md_prom" ""
printf '| %-58s | %12s | %-10s |\n' "master death: SIGKILL -> next alert in the stream (s)" "$md_alert" ""
echo
echo "(faults: the median of $runs runs; each run, in s: takeover $tk_own_each and" \
	"$tk_alert_each; master death $md_prom_each and $md_alert_each. Takeover: 2 scorers," \
	"8 partitions, one sensor replaying the sample capture at 3000 packets/s, one redis-server;" \
	"master death: 3 masters and 3 replicas on loopback, cluster-node-timeout 1000 ms," \
	"every node a seed. No peer: nothing else merges and scores per-source windows across sensors.)"
echo "(Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on a unix socket, one node;" \
	"$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
