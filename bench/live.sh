#!/usr/bin/env bash
# BENCH=live: live capture under a flood from many sources. tcpreplay sends a
# SYN flood (bench/gen_flood: PACKETS packets from SOURCES addresses, to an
# address of the test's own namespace) at PPS over a veth pair between two
# namespaces this script makes and removes; on the far end, `flowsad run -i`
# (5-second windows, a model of the bundled capture, alerts to /dev/null)
# and, in the same run, tcpdump -w /dev/null. Lost = dropped by the kernel
# (the capture's own count) + counted late by flowsad (packets that waited
# past their window's close). FLOWSAD_OLD=path adds another flowsad binary
# (an earlier build) to the table. Needs root.
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
	ip netns exec "$a" timeout 120 tcpreplay -q -i fsva$$ --pps "$pps" "$flood" >/dev/null 2>&1 || true
	sleep 12 # the last windows close (5 s + 5 s lateness) and are scored
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

flowsad_row() { # NAME LABEL BINARY: each binary with a model of its own making
	printf '[window]\nlength = 5s\n[alerts]\nexplain_nsamples = 50\n' >"$out/live.conf"
	"$3" train --window 5s --seed 1 --quiet -o "$out/$1.model" tests/data/sample.pcap 2>/dev/null
	run_capture "$1" "$3" run -c "$out/live.conf" -i fsvb$$ -m "$out/$1.model" --jsonl /dev/null
	local got drop late
	got=$(sed -n "s/.*fsvb$$: \([0-9]*\) packets received, \([0-9]*\) dropped.*/\1 \2/p" "$out/$1.log" | tail -1)
	late=$(sed -n 's/.*late \([0-9]*\), evicted.*/\1/p' "$out/$1.log" | tail -1)
	read -r got drop <<<"${got:-0 0}"
	printf '| %-34s | %10s | %10s | %10s | %7.2f %% |\n' "$2" "$got" "$drop" "${late:-?}" \
		"$(echo "100 * ($drop + ${late:-0}) / $packets" | bc -l)"
	memory+="$2: peak RSS $(sed -n 's/.*peak memory (RSS) \([0-9]*\) MiB.*/\1/p' "$out/$1.log") MiB, "
	memory+="samples of the open windows at most $(( $(sed -n 's/.*peak sample memory \([0-9]*\) KiB.*/\1/p' "$out/$1.log" | tail -1) / 1024 )) MiB; "
}

memory=
echo "## Live capture under a flood: $packets SYNs from $sources sources at $pps pps, 5-second windows"
echo
printf '| %-34s | %10s | %10s | %10s | %9s |\n' capture received "kernel drop" late lost
printf '|%s|%s|%s|%s|%s|\n' ------------------------------------ ------------ ------------ ------------ -----------
run_capture tcpdump tcpdump -i fsvb$$ -w /dev/null -B 65536
got=$(sed -n 's/^\([0-9]*\) packets captured/\1/p' "$out/tcpdump.log")
drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' "$out/tcpdump.log")
printf '| %-34s | %10s | %10s | %10s | %7.2f %% |\n' "tcpdump -w /dev/null (-B 64 MiB)" "$got" "$drop" - \
	"$(echo "100 * $drop / $packets" | bc -l)"
flowsad_row flowsad "flowsad run -i (score thread)" "$BUILD/flowsad"
[ -z "${FLOWSAD_OLD:-}" ] || flowsad_row old "flowsad run -i ($FLOWSAD_OLD)" "$FLOWSAD_OLD"
echo
echo "(windows of about $((pps * 5)) samples; both captures with a 64 MiB kernel buffer; flowsad's"
echo "explanations with 50 draws; $(nproc) cores shared with tcpreplay;"
echo "${memory% }"
echo "(an earlier build does not log its peak RSS))"
echo
