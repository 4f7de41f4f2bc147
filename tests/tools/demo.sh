#!/usr/bin/env bash
# `make run`: the main job end to end on bundled data.
#
# Starts a private redis-server (a unix socket in the output folder), trains
# a model on the benign minutes of the bundled lab capture if there is none
# yet (tests/data/sample.pcap: seven minutes of a small LAN with four
# attacks; no labels used, the first attack's time cuts the capture),
# replays the capture through the daemon (`flowsad run -r`, the same
# pipeline as live capture) into the Redis stream with the shipped alert
# settings, and prints the alerts it finds there beside the lab's own
# record of the attacks.
set -euo pipefail
cd "$(dirname "$0")/../.."
flowsad=${FLOWSAD:-${BUILD:-build}/flowsad}
out=$(mkdir -p "${OUT:-build/demo}" && cd "${OUT:-build/demo}" && pwd)
pcap=tests/data/sample.pcap
model=$out/model.safetensors
sock=$out/redis.sock

redis_pid=
trap '[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; wait 2>/dev/null' EXIT
redis-server --port 0 --unixsocket "$sock" --dir "$out" --save '' --appendonly no \
	--logfile "$out/redis.log" &
redis_pid=$!
for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -s "$sock" del flowsad:alerts >/dev/null

echo "== flowsad $("$flowsad" --version | cut -d' ' -f2); Redis on $sock (pid $redis_pid)"
if [ ! -f "$model" ]; then
	# as an operator would: a model of the traffic before the attacks
	first=$(sed -n 2p tests/data/sample-labels.csv | cut -d, -f2)
	editcap -B "$first" "$pcap" "$out/benign.pcap"
	echo "== no model yet: training on the benign minutes of $pcap before the first attack" \
		"(10-second windows, no labels)"
	"$flowsad" train --window 10s --seed 1 --quiet -o "$model" "$out/benign.pcap"
	"$flowsad" model "$model" | grep '^calibration'
fi
cat >"$out/flowsad.conf" <<EOF
# the demo's configuration: every key is in conf/flowsad.conf; the alert
# settings are the shipped ones
[alerts]
observer = flowsad-demo
[redis]
address = $sock
[spool]
dir = $out/spool
EOF
echo "== flowsad run -c $out/flowsad.conf -r $pcap -m $model"
"$flowsad" run -c "$out/flowsad.conf" -r "$pcap" -m "$model"
echo "== the alerts in the Redis stream flowsad:alerts (XLEN $(redis-cli -s "$sock" XLEN flowsad:alerts))"
redis-cli -s "$sock" --raw XRANGE flowsad:alerts - + | python3 -c '
import json, sys
lines = sys.stdin.read().split("\n")
print("   window               source            score  explained by (Shapley value)")
for i, line in enumerate(lines):
    if line != "alert":
        continue
    a = json.loads(lines[i + 1])
    f = a["flowsad"]
    if a["event"]["kind"] != "alert":  # the end of an incident
        inc = f["incident"]
        print("   %s %-15s  ended: incident of %d alert(s), %d repeat(s) held back" % (
            inc["end"], a["source"]["ip"], inc["alerts"], inc["repeats"]))
        continue
    why = ", ".join("%s (%.2f)" % (e["feature"], e["shap"]) for e in f["explanation"][:2])
    print("   %s %-15s %7.2f  %s" % (a["event"]["start"], a["source"]["ip"], f["score"], why))
    print("      %s" % a["message"])
'
echo "== what the lab did (tests/data/sample-labels.csv)"
tail -n +2 tests/data/sample-labels.csv | while IFS=, read -r src start end kind; do
	printf '   %s  %-15s %s\n' "$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ)" "$src" "$kind"
done
echo "== a consumer reads the same stream with: redis-cli -s $sock XREAD STREAMS flowsad:alerts 0"
