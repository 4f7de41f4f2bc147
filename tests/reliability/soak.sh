#!/usr/bin/env bash
# The soak of make reliability: `flowsad run -i` on a veth pair between two namespaces this script
# makes and removes, fed by tcpreplay in a loop at a steady rate (many sources, 10-second windows)
# for SECONDS, with a Redis sink, retraining every two minutes, analysts' verdicts and metrics
# scrapes all along. The daemon's RSS, open descriptors and threads are sampled every STEP seconds.
#   soak.sh WORKDIR SECONDS STEP SVG
# Prints one line: "MEASURED|VERDICT"; writes the samples to WORKDIR/soak/soak.csv and a chart to
# SVG. Runs of ten minutes or more retrain every two minutes and are judged on RSS growth too
# (the last third's peak within 2 % of the middle third's; the training set is bounded at 20000
# samples so that it is full by then); shorter ones retrain every 15 s and report RSS only.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FLOWSAD=$PWD/$BUILD/flowsad
T=$1 seconds=$2 step=$3 svg=$4
S=$T/soak
mkdir -p "$S"
if [ "$(id -u)" != 0 ] || ! command -v tcpreplay >/dev/null; then
	echo "skipped: needs root (network namespaces) and tcpreplay|-"
	exit 0
fi

a=fss-a$$ b=fss-b$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
}
trap cleanup EXIT
ip netns add "$a" && ip netns add "$b" || { echo "skipped: no network namespaces|-"; exit 0; }
ip link add fsa$$ type veth peer name fsb$$
ip link set fsa$$ netns "$a"
ip link set fsb$$ netns "$b"
ip -n "$a" link set fsa$$ up
ip -n "$b" link set fsb$$ up promisc on

# traffic: 5000 Zipf-distributed sources, 100 s of it, looped at 2000 packets/s
"$BUILD/bench/gen_pcap" "$S/traffic.pcap" 200000 5000 zipf 2000 >/dev/null
"$FLOWSAD" train --window 10s --seed 1 --epochs-pretrain 2 --epochs 2 -o "$S/model" \
	"$S/traffic.pcap" >/dev/null 2>&1
redis-server --port 0 --unixsocket "$S/redis.sock" --dir "$S" --save '' --appendonly no \
	--logfile "$S/redis.log" &
pids+=($!)
for _ in $(seq 50); do redis-cli -s "$S/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
mport=$((20000 + RANDOM % 30000))
cat >"$S/soak.conf" <<EOF
[window]
length = 10s
[alerts]
explain_nsamples = 50
[redis]
address = $S/redis.sock
[spool]
dir = $S/spool
[model]
path = $S/model
[retrain]
history_dir = $S/history
min_windows = 3
interval = $([ "$seconds" -ge 600 ] && echo 2m || echo 15s)
samples = 20000
[metrics]
listen = 127.0.0.1:$mport
EOF
ip netns exec "$b" "$FLOWSAD" run -c "$S/soak.conf" -i fsb$$ --jsonl /dev/null 2>"$S/run.log" &
run_pid=$!
pids+=("$run_pid")
sleep 1
ip netns exec "$a" tcpreplay -q -i fsa$$ --loop=0 --duration="$seconds" --pps=2000 --timer=nano \
	"$S/traffic.pcap" >/dev/null 2>&1 &
pids+=($!)

# the analysts and the scraper, all along
(
	n=0
	while sleep 5; do
		n=$((n + 1))
		curl -s -o /dev/null "http://127.0.0.1:$mport/metrics"
		[ $((n % 4)) = 0 ] && redis-cli -s "$S/redis.sock" XADD flowsad:feedback '*' \
			src_ip "10.$((n % 200)).0.1" verdict normal >/dev/null
	done
) &
pids+=($!)

echo "seconds,rss_kib,fds,threads,spool_bytes" >"$S/soak.csv"
for ((t = 0; t <= seconds; t += step)); do
	[ -d "/proc/$run_pid" ] || break
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$run_pid/status")
	threads=$(awk '/^Threads/ {print $2}' "/proc/$run_pid/status")
	fds=$(ls "/proc/$run_pid/fd" | wc -l)
	spool=$(du -sb "$S/spool" 2>/dev/null | cut -f1)
	echo "$t,$rss,$fds,$threads,${spool:-0}" >>"$S/soak.csv"
	sleep "$step"
done
alive=$(kill -0 "$run_pid" 2>/dev/null && echo 1 || echo 0)
kill -TERM "$run_pid" 2>/dev/null
wait "$run_pid" 2>/dev/null
retrained=$(grep -c "retrained in" "$S/run.log")
alerts=$(redis-cli -s "$S/redis.sock" XLEN flowsad:alerts)

python3 - "$S/soak.csv" "$svg" "$alive" "$retrained" "${alerts:-0}" "$seconds" <<'PY'
import csv, sys
path, svg = sys.argv[1], sys.argv[2]
alive, retrained, alerts, seconds = (int(a) for a in sys.argv[3:7])
rows = [dict((k, int(v)) for k, v in r.items()) for r in csv.DictReader(open(path))]
if len(rows) < 6:
    print("too few samples (%d): the daemon stopped early|FAIL" % len(rows))
    sys.exit(0)
# warm-up: the first third (the first windows, the training set filling to its bound). RSS
# rises while a retraining runs and stays near that peak (the allocator keeps what it freed):
# growth is the last third's peak over the middle third's
warm = rows[len(rows) // 3:]
middle, last = warm[: len(warm) // 2], warm[len(warm) // 2:]
peak = lambda rs: max(r["rss_kib"] for r in rs)
growth = (peak(last) - peak(middle)) / peak(middle)
# a retraining adds its thread and a few descriptors while it runs: compare the peaks
half = len(warm) // 2
fd_grew = max(r["fds"] for r in warm[half:]) > max(r["fds"] for r in warm[:half])
th_grew = max(r["threads"] for r in warm[half:]) > max(r["threads"] for r in warm[:half])
spool_end = rows[-1]["spool_bytes"]
ok = alive and not fd_grew and not th_grew and retrained > 0 and alerts > 0
ok = ok and (growth < 0.02 or seconds < 600)
print("%d s: peak RSS %.0f -> %.0f MiB after warm-up (%+.2f %%), fds %d-%d, threads %d-%d, "
      "%d retrainings, %d alerts, spool %d bytes at the end|%s" % (
          rows[-1]["seconds"], peak(middle) / 1024, peak(last) / 1024,
          100 * growth, min(r["fds"] for r in warm), max(r["fds"] for r in warm),
          min(r["threads"] for r in warm), max(r["threads"] for r in warm), retrained, alerts,
          spool_end, "pass" if ok else "FAIL"))

# the chart: one panel a measure, minutes along
W, H, PAD = 720, 150, 44
series = [("RSS (MiB)", lambda r: r["rss_kib"] / 1024), ("open descriptors", lambda r: r["fds"]),
          ("threads", lambda r: r["threads"])]
tmax = max(rows[-1]["seconds"], 1)
out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
       'font-size="11">' % (W, len(series) * H + 20)]
out.append('<rect width="100%" height="100%" fill="white"/>')
for i, (name, f) in enumerate(series):
    y0 = i * H + 10
    vals = [f(r) for r in rows]
    lo, hi = min(vals), max(vals)
    lo, hi = (lo * 0.9, hi * 1.1) if hi > lo else (lo - 1, hi + 1)
    px = lambda t: PAD + (W - 2 * PAD) * t / tmax
    py = lambda v: y0 + H - 30 - (H - 45) * (v - lo) / (hi - lo)
    pts = " ".join("%.1f,%.1f" % (px(r["seconds"]), py(v)) for r, v in zip(rows, vals))
    out.append('<text x="%d" y="%d">%s</text>' % (PAD, y0 + 10, name))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>' %
               (PAD, y0 + H - 30, W - PAD, y0 + H - 30))
    out.append('<text x="4" y="%.1f">%.0f</text>' % (py(hi) + 4, hi))
    out.append('<text x="4" y="%.1f">%.0f</text>' % (py(lo), lo))
    out.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="1.5" points="%s"/>' % pts)
    out.append('<text x="%d" y="%d">0</text><text x="%d" y="%d" text-anchor="end">%.0f min</text>' %
               (PAD, y0 + H - 16, W - PAD, y0 + H - 16, tmax / 60))
out.append("</svg>")
open(svg, "w").write("\n".join(out) + "\n")
PY
