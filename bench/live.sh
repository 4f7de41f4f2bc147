#!/usr/bin/env bash
# BENCH=live: live capture under a flood from many sources. tcpreplay sends a
# SYN flood (bench/gen_flood: PACKETS packets from SOURCES addresses, to an
# address of the test's own namespace) at PPS over a veth pair between two
# namespaces this script makes and removes; on the far end, `flowsad run -i`
# (5-second windows, a model of the bundled capture, alerts to /dev/null)
# and, in the same run, tcpdump -w /dev/null. Lost = dropped by the kernel
# (the capture's own count) + counted late by flowsad (packets that waited
# past their window's close). FLOWSAD_OLD=path adds another flowsad binary
# (an earlier build) to the table. LIVE="loss latency rates" picks the tables (default:
# all). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
packets=${PACKETS:-3000000} sources=${SOURCES:-1000000} pps=${PPS:-150000}
out=$BUILD/bench/live
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "(BENCH=live needs root: network namespaces)"; exit 0; }
flood=$out/flood-$packets-$sources.pcap
[ -f "$flood" ] || "$BUILD/bench/gen_flood" "$flood" "$packets" "$sources"

a=fsv-a$$ b=fsv-b$$
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add fsva$$ type veth peer name fsvb$$
ip link set fsva$$ netns "$a"
ip link set fsvb$$ netns "$b"
ip -n "$a" link set fsva$$ up
ip -n "$b" link set fsvb$$ up promisc on
ip -n "$b" addr add 10.99.0.1/8 dev fsvb$$

# run_capture NAME CMD...: the capture in the far namespace during one replay
# of the flood; its stderr in $out/NAME.log
run_capture() {
	local name=$1; shift
	ip netns exec "$b" "$@" 2>"$out/$name.log" &
	local pid=$!
	sleep 2
	# preloaded (-K) and sent in bursts of 64 with a sleeping timer: tcpreplay's
	# default busy-waits on a core the capture needs; it reaches ~300 kpps here so,
	# ~140 kpps reading the file as it sends
	ip netns exec "$a" timeout 300 tcpreplay -q -K -i fsva$$ --pps "$pps" --pps-multi=64 \
		--timer=nano "$flood" >"$out/$name.replay" 2>&1 || true
	sleep 12 # the last windows close (5 s + 5 s lateness) and are scored
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# live_conf WORKERS: the configuration of flowsad's rows in $out/live-WORKERS.conf (no
# workers key for an earlier build: WORKERS empty)
live_conf() {
	printf '[window]\nlength = 5s\n[alerts]\nexplain_nsamples = 50\n' >"$out/live-$1.conf"
	[ -z "$1" ] || printf '[capture]\nworkers = %s\n' "$1" >>"$out/live-$1.conf"
}

train_model() { # NAME BINARY: $out/NAME.model, of the bundled capture
	"$2" train --window 5s --seed 1 --quiet -o "$out/$1.model" tests/data/sample.pcap 2>/dev/null
}
want_live() { [ -z "${LIVE:-}" ] || [[ " $LIVE " == *" $1 "* ]]; }

flowsad_row() { # NAME LABEL BINARY [WORKERS]: each binary with a model of its own making
	live_conf "${4:-}"
	train_model "$1" "$3"
	run_capture "$1" "$3" run -c "$out/live-${4:-}.conf" -i fsvb$$ -m "$out/$1.model" --jsonl /dev/null
	local got drop late
	got=$(sed -n "s/.*fsvb$$: \([0-9]*\) packets received, \([0-9]*\) dropped.*/\1 \2/p" "$out/$1.log" | tail -1)
	late=$(sed -n 's/.*late \([0-9]*\), evicted.*/\1/p' "$out/$1.log" | tail -1)
	read -r got drop <<<"${got:-0 0}"
	printf '| %-34s | %10s | %10s | %10s | %7.2f %% |\n' "$2" "$got" "$drop" "${late:-?}" \
		"$(echo "100 * ($drop + ${late:-0}) / $packets" | bc -l)"
	local rss alive
	rss=$(sed -n 's/.*peak memory (RSS) \([0-9]*\) MiB.*/\1/p' "$out/$1.log")
	alive=$(sed -n 's/.*samples alive at most \([0-9]*\) MiB.*/\1/p' "$out/$1.log")
	memory+="$2: peak RSS ${rss:-?} MiB, "
	memory+="samples of the open windows at most $(( $(sed -n 's/.*peak sample memory \([0-9]*\) KiB.*/\1/p' "$out/$1.log" | tail -1) / 1024 )) MiB, "
	memory+="samples alive (open windows and those being scored) at most ${alive:-?} MiB"
	[ -z "${alive:-}" ] || [ "$alive" = 0 ] ||
		memory+=" ($(echo "scale=2; $rss / $alive" | bc)x)"
	memory+="; "
}

# latency_row PPS PACKETS: the same flood, alerts into a private redis-server
latency_row() {
	local rate=$1 count=$2 sock=$out/redis.sock
	rm -rf "$out/spool" "$sock"
	redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no --logfile "$out/redis.log" &
	local rpid=$!
	for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
	printf '[window]\nlength = 5s\n[alerts]\nexplain_nsamples = 50\n[redis]\naddress = %s\n[spool]\ndir = %s/spool\n' \
		"$sock" "$out" >"$out/latency.conf"
	head -c $((24 + count * 76)) "$flood" >"$out/latency.pcap"
	local save=$flood pps_save=$pps
	flood=$out/latency.pcap pps=$rate
	run_capture latency "$BUILD/flowsad" run -c "$out/latency.conf" -i fsvb$$ -m "$out/flowsad.model"
	flood=$save pps=$pps_save
	redis-cli -s "$sock" --raw XRANGE flowsad:alerts - + | python3 -c '
import sys, datetime
lines = sys.stdin.read().split("\n")
lat = []
for i, l in enumerate(lines):
    if "-" in l and l.split("-")[0].isdigit() and len(l.split("-")[0]) == 13:
        ms = int(l.split("-")[0])
        ws = lines[i + 4] if lines[i + 3] == "window_start" else None
        if ws:
            t = datetime.datetime.strptime(ws, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
            lat.append(ms / 1000 - (t + 5 + 5))
lat.sort()
print("| %-28s | %10d | %10.2f | %10.2f |" % ("about %d" % (int(sys.argv[1]) * 5), len(lat),
      lat[len(lat) // 2] if lat else float("nan"), lat[-1] if lat else float("nan")))
' "$rate"
	redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true
	wait "$rpid" 2>/dev/null || true
}

# lost NAME KIND: what the capture of run_capture NAME lost (kernel drops, and for flowsad the
# packets counted late too)
lost() {
	if [ "$2" = tcpdump ]; then
		sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' "$out/$1.log"
		return
	fi
	local drop late
	drop=$(sed -n "s/.*fsvb$$: [0-9]* packets received, \([0-9]*\) dropped.*/\1/p" "$out/$1.log" | tail -1)
	late=$(sed -n 's/.*late \([0-9]*\), evicted.*/\1/p' "$out/$1.log" | tail -1)
	echo $(( ${drop:-1} + ${late:-1} ))
}

# zero_loss LABEL KIND CMD...: the highest of RATES at which CMD lost nothing, each rate
# RATE_SECONDS of the flood; the rate tcpreplay reached, beside the one asked
zero_loss() {
	local label=$1 kind=$2 best=none reached=- first_loss=- r n save=$flood pps_save=$pps
	shift 2
	for r in ${RATES:-100000 150000 200000 250000 300000}; do
		n=$((r * ${RATE_SECONDS:-10}))
		[ "$n" -le "$packets" ] || n=$packets
		head -c $((24 + n * 76)) "$save" >"$out/rate.pcap"
		flood=$out/rate.pcap pps=$r
		run_capture rate "$@"
		if [ "$(lost rate "$kind")" != 0 ]; then
			first_loss="$r ($(lost rate "$kind") lost)"
			break
		fi
		best=$r
		reached=$(sed -n 's/.*Mbps, \([0-9]*\)\.[0-9]* pps.*/\1/p' "$out/rate.replay")
	done
	flood=$save pps=$pps_save
	printf '| %-34s | %14s | %14s | %20s |\n' "$label" "$best" "$reached" "$first_loss"
}

memory=
if want_live loss; then
echo "## Live capture under a flood: $packets SYNs from $sources sources at $pps pps, 5-second windows"
echo
printf '| %-34s | %10s | %10s | %10s | %9s |\n' capture received "kernel drop" late lost
printf '|%s|%s|%s|%s|%s|\n' ------------------------------------ ------------ ------------ ------------ -----------
run_capture tcpdump tcpdump -i fsvb$$ -w /dev/null -B 65536
got=$(sed -n 's/^\([0-9]*\) packets captured/\1/p' "$out/tcpdump.log")
drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' "$out/tcpdump.log")
printf '| %-34s | %10s | %10s | %10s | %7.2f %% |\n' "tcpdump -w /dev/null (-B 64 MiB)" "$got" "$drop" - \
	"$(echo "100 * $drop / $packets" | bc -l)"
flowsad_row flowsad "flowsad run -i, 1 capture worker" "$BUILD/flowsad" 1
flowsad_row flowsad2 "flowsad run -i, 2 capture workers" "$BUILD/flowsad" 2
[ -z "${FLOWSAD_OLD:-}" ] || flowsad_row old "flowsad run -i ($FLOWSAD_OLD)" "$FLOWSAD_OLD"
echo
echo "(tcpreplay reached $(sed -n 's/.*Mbps, \([0-9]*\)\.[0-9]* pps.*/\1/p' "$out/tcpdump.replay") pps;"
echo "${memory% })"
echo
fi
[ -f "$out/flowsad.model" ] || train_model flowsad "$BUILD/flowsad"
if want_live latency; then
echo "Alert latency: from a window's close (its end plus the 5 s lateness of live capture) to the"
echo "XADD Redis acknowledged (the entry's id is Redis's clock), every alert of the run:"
echo
printf '| %-28s | %10s | %10s | %10s |\n' "samples a window" alerts "median s" "max s"
printf '|%s|%s|%s|%s|\n' ------------------------------ ------------ ------------ ------------
latency_row 20000 400000
latency_row "$pps" "$packets"
echo
echo "(windows of about $((pps * 5)) samples; both captures with a 64 MiB kernel buffer; flowsad's"
echo "explanations with 50 draws, one capture worker a core; $(nproc) cores shared with tcpreplay)"
echo
fi
if want_live rates; then
live_conf 1
live_conf 2
echo "Highest rate with 0 loss (kernel drops + late), ${RATE_SECONDS:-10} s of the flood at each rate, the"
echo "rates tried in order until the first loss:"
echo
printf '| %-34s | %14s | %14s | %20s |\n' capture "0-loss pps" "pps reached" "first loss at"
printf '|%s|%s|%s|%s|\n' ------------------------------------ ---------------- ---------------- ----------------------
zero_loss "tcpdump -w /dev/null (-B 64 MiB)" tcpdump tcpdump -i fsvb$$ -w /dev/null -B 65536
for w in 1 2; do
	zero_loss "flowsad run -i, $w capture worker$([ $w = 1 ] || echo s)" flowsad "$BUILD/flowsad" run \
		-c "$out/live-$w.conf" -i fsvb$$ -m "$out/flowsad.model" --jsonl /dev/null
done
echo
fi
