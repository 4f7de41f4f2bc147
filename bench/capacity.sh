#!/usr/bin/env bash
# BENCH=capacity: how many packets a second live capture takes with nothing lost, per core,
# flowsad beside tcpdump, softflowd -i and nfpcapd in the same run; and the memory a tracked
# source costs each of them (issue 28). Needs root (network namespaces) and trafgen (netsniff-ng).
#
# trafgen, pinned to CPU 0, sends over a veth pair between two namespaces this script makes and
# removes; the capture runs in the far one, unpinned. Shapes (SHAPES, default all three), 54-byte
# frames to 10.99.0.0/24:
#   flood  TCP SYNs from 2^20 sources drawn at random in 10.128.0.0/12, random source ports
#   zipf   sources drawn by a Zipf law of exponent 1 over 2^21 ranks (the many short-lived sources
#          of BENCH=replay): 21 doubling buckets of ranks, each given an equal share of the
#          packets (what the law gives a bucket), uniform within; ports and protocols mixed
#   long   20,000 sources, each with the same four flows all along
# Per shape: the sender's own ceiling with nothing capturing; each capture's highest rate with
# 0 loss (kernel drops, and for flowsad packets counted late), by bisection between 0 and the
# rate the sender reaches beside it, STEPS halvings of RATE_SECONDS of traffic each; and its
# CPU-seconds per million packets at COMMON_PPS for CPU_SECONDS (the capture process's user +
# system time from /proc, from the send's start until the packets are drained; flowsad's until
# the window is scored, its capture and score threads apart). Every send is bounded in packets
# and in time.
#
# Memory (MEMORY=0 skips it): capture files of N SYNs from N sources (bench/gen_flood) read by
# each tool, peak RSS; N = 100 k, 1 M, 4 M (MEM_SOURCES), less that of 1,000 sources.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/bench/capacity
secs=${RATE_SECONDS:-4} steps=${STEPS:-4} common=${COMMON_PPS:-200000} cpu_secs=${CPU_SECONDS:-10}
hz=$(getconf CLK_TCK)
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "(BENCH=capacity needs root: network namespaces)"; exit 0; }
command -v trafgen >/dev/null || { echo "(BENCH=capacity needs trafgen: netsniff-ng)"; exit 0; }

a=fcap-a$$ b=fcap-b$$ ta=fcpa$$ tb=fcpb$$
cap_pid=
cleanup() {
	[ -z "$cap_pid" ] || kill -TERM "$cap_pid" 2>/dev/null || true
	ip netns del "$a" 2>/dev/null || true
	ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add "$ta" type veth peer name "$tb"
ip link set "$ta" netns "$a"
ip link set "$tb" netns "$b"
ip netns exec "$a" sysctl -qw "net.ipv6.conf.$ta.disable_ipv6=1"
ip netns exec "$b" sysctl -qw "net.ipv6.conf.$tb.disable_ipv6=1"
ip -n "$a" link set "$ta" up
ip -n "$b" link set lo up
ip -n "$b" link set "$tb" up promisc on
ip -n "$b" addr add 10.99.0.1/8 dev "$tb"

# packet IPV4 L4: one trafgen packet (proto syntax: checksums follow the dynamic fields)
packet() {
	printf '{ eth(da=02:00:00:00:00:01, sa=02:00:00:00:00:02), ipv4(%s, ttl=64), %s }\n' "$1" "$2"
}
# shape_cfg SHAPE: the trafgen configuration of a shape, on stdout
shape_cfg() {
	local ports=(443 443 443 80 80 53 53 22 25 993 3306 8080 123) base=167772160 j p
	case $1 in
	flood)
		packet 'sa=10.128.0.0, sa[1]=drnd(128, 143), sa[2:2]=drnd(), da=10.99.0.1' \
			'tcp(sp=drnd(1024, 65000), dp=80, syn, window=64240)' ;;
	zipf)
		packet 'sa=10.0.0.1, da=10.99.0.0, da[3]=drnd(1, 254)' "$(l4 443 'drnd(1024, 1039)')"
		for j in $(seq 1 20); do
			p=${ports[j % ${#ports[@]}]}
			packet "sa=10.0.0.0, sa[0:4]=drnd($((base + (1 << j))), $((base + (2 << j) - 1))), da=10.99.0.0, da[3]=drnd(1, 254)" \
				"$(l4 "$p" 'drnd(1024, 1039)')"
		done ;;
	long)
		for j in 0 1 2 3; do
			p=${ports[j * 2]}
			packet "sa=10.1.0.0, sa[0:4]=drnd(167837696, 167857695), da=10.99.0.$((j + 1))" \
				"$(l4 "$p" $((40001 + j)))"
		done ;;
	esac
}
l4() { # DPORT SPORT: UDP for DNS and NTP, a TCP ACK otherwise
	case $1 in
	53 | 123) echo "udp(sp=$2, dp=$1)" ;;
	*) echo "tcp(sp=$2, dp=$1, ack, window=64240)" ;;
	esac
}

now() { date +%s.%N; }
rx() { ip netns exec "$b" cat "/sys/class/net/$tb/statistics/rx_packets"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system, every thread
# send PPS COUNT SECONDS: COUNT packets of $cfg at PPS (0: the TX ring, as fast as it goes); sets sent
# (what reached the capture's interface) and rate (its packets a second)
send() {
	local r0 t0 t1 r1 opt=()
	[ "$1" = 0 ] || opt=(-b "$1pps")
	r0=$(rx) t0=$(now)
	ip netns exec "$a" timeout $(($3 * 4 + 10)) taskset -c 0 trafgen -P 1 -C -i "$cfg" \
		-o "$ta" -n "$2" "${opt[@]}" >"$out/trafgen.log" 2>&1 || true
	t1=$(now) r1=$(rx)
	sent=$((r1 - r0))
	rate=$(echo "$sent / ($t1 - $t0)" | bc)
}

# The captures, KIND CMD...: tcpdump, softflowd and nfpcapd in their documented capture tuning
# (a 64 MiB kernel buffer, flow tables sized for every flow of a trial), flowsad with the
# defaults (64 MiB, snaplen 256), one-minute windows, a model of the bundled capture.
capture_cmd() { # KIND: the command line in cmd[]
	case $1 in
	tcpdump) cmd=(tcpdump -n -i "$tb" -B 65536 -s 256 -w /dev/null) ;;
	softflowd) cmd=(softflowd -d -i "$tb" -B 67108864 -m 4194304 -n 127.0.0.1:9
		-c "$out/softflowd.ctl" -p "$out/softflowd.pid") ;;
	nfpcapd) rm -rf "$out/nf" && mkdir -p "$out/nf"
		cmd=(nfpcapd -i "$tb" -b 64 -B 4194304 -w "$out/nf" -t 60) ;;
	flowsad*) cmd=("$BUILD/flowsad" run -c "$out/live-${1#flowsad}.conf" -i "$tb"
		-m "$model" --jsonl /dev/null) ;;
	esac
}
model=$out/1m.model
[ -f "$model" ] || "$BUILD/flowsad" train --window 1m --seed 1 --quiet -o "$model" \
	tests/data/sample.pcap 2>/dev/null
for w in 1 2; do
	printf '[capture]\nworkers = %s\n[window]\nlength = 1m\n[alerts]\nexplain_nsamples = 50\n' \
		"$w" >"$out/live-$w.conf"
done

# lost KIND: what the capture just stopped lost (its own counts, in $out/cap.log)
lost() {
	local f=$out/cap.log
	case $1 in
	tcpdump) sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' "$f" ;;
	softflowd) awk '/dropped by (libpcap|interface)/ { n += $NF } END { print n + 0 }' "$f" ;;
	nfpcapd) sed -n 's/.*dropped by OS\/Buffer: \([0-9]*\).*/\1/p' "$f" | tail -1 ;;
	flowsad*)
		local d l
		d=$(sed -n "s/.*$tb: [0-9]* packets received, \([0-9]*\) dropped.*/\1/p" "$f" | tail -1)
		l=$(sed -n 's/.*late \([0-9]*\), evicted.*/\1/p' "$f" | tail -1)
		echo $((${d:-1} + ${l:-1})) ;;
	esac
}

# flowsad's windows are a minute long: a trial starts early in a minute, so that no window
# closes while it sends
align() { # SECONDS: of traffic to come
	local s=$((10#$(date +%S)))
	[ $((60 - s)) -ge $(($1 + 12)) ] || sleep $((61 - s))
}

# trial KIND PPS SECONDS [score]: the capture KIND while the shape is sent at PPS for SECONDS
# (PPS 0: at full speed, as many packets as SECONDS at 1.5 Mpps); sets sent, rate,
# loss and cpu (CPU ticks of the capture from the send's start); with "score", flowsad's
# window is waited for, its capture and score threads' ticks in cap_ticks and score_ticks
trial() {
	local kind=$1 pps=$2 n c0 i
	capture_cmd "$kind"
	case $kind in flowsad*) align "$3" ;; esac
	ip netns exec "$b" "${cmd[@]}" >"$out/cap.log" 2>&1 &
	cap_pid=$!
	for i in $(seq 50); do
		case $kind in
		flowsad*) grep -q "capturing on" "$out/cap.log" && break ;;
		softflowd) [ -S "$out/softflowd.ctl" ] && break ;;
		*) [ "$i" -lt 10 ] || break ;;
		esac
		sleep 0.1
	done
	sleep 0.5
	n=$(($3 * 1500000))
	[ "$pps" = 0 ] || n=$((pps * $3))
	c0=$(ticks "$cap_pid")
	send "$pps" "$n" "$3"
	sleep 2
	[ "${4:-}" != score ] || wait_scored
	cpu=$(($(ticks "$cap_pid") - c0))
	[ "$kind" != softflowd ] ||
		ip netns exec "$b" softflowctl -c "$out/softflowd.ctl" statistics >>"$out/cap.log" 2>&1 || true
	kill -TERM "$cap_pid" 2>/dev/null || true
	wait "$cap_pid" 2>/dev/null || true
	cap_pid=
	loss=$(lost "$kind")
	loss=${loss:-?}
}
# wait_scored: until flowsad has scored the trial's window (at most 100 s), then its threads' ticks
wait_scored() {
	local i t
	for i in $(seq 200); do
		grep -q "^flowsad: window .*: [0-9]* samples" "$out/cap.log" && break
		sleep 0.5
	done
	sleep 1
	cap_ticks=0 score_ticks=0
	for t in /proc/"$cap_pid"/task/*; do
		if [ "$(cat "$t/comm")" = flowsad-score ]; then
			score_ticks=$(ticks "${t#/proc/}")
		else
			cap_ticks=$((cap_ticks + $(ticks "${t#/proc/}")))
		fi
	done
	samples=$(sed -n 's/^flowsad: window .*: \([0-9]*\) samples.*/\1/p' "$out/cap.log" | head -1)
}

read -ra labels <<<"${CAPTURES:-tcpdump softflowd nfpcapd flowsad1 flowsad2}"
label() {
	case $1 in
	tcpdump) echo "tcpdump -w /dev/null (-B 64 MiB -s 256)" ;;
	softflowd) echo "softflowd -i (-B 64 MiB -m 4 M)" ;;
	nfpcapd) echo "nfpcapd -i (-b 64 MiB -B 4 M)" ;;
	flowsad1) echo "flowsad run -i, 1 capture worker" ;;
	flowsad2) echo "flowsad run -i, 2 capture workers" ;;
	esac
}

# ceiling KIND: a row of the 0-loss table
ceiling() {
	local top top_loss lo=0 hi good=0 fail mid
	trial "$1" 0 "$secs"
	top=$rate top_loss=$loss hi=$rate
	echo "$shape $1: full speed, reached $rate, lost $loss" >>"$out/steps.log"
	if [ "$loss" = 0 ]; then
		printf '| %-40s | %12s | %12s | %12s | %-22s |\n' "$(label "$1")" ">= $top" "$top" 0 "none (sender's limit)"
		return
	fi
	fail="$top ($loss lost)"
	for _ in $(seq "$steps"); do
		mid=$(((lo + hi) / 2))
		trial "$1" "$mid" "$secs"
		echo "$shape $1: asked $mid, reached $rate, lost $loss" >>"$out/steps.log"
		if [ "$loss" = 0 ]; then
			# beside a busy capture the sender may fall short of the rate asked
			lo=$mid good=$((rate > good ? rate : good))
		else
			hi=$mid fail="$rate ($loss lost)"
		fi
	done
	printf '| %-40s | %12s | %12s | %12s | %-22s |\n' "$(label "$1")" "$good" "$top" "$top_loss" "$fail"
}

# cpu_row KIND: CPU-seconds per million packets at COMMON_PPS
cpu_row() {
	local per per_cap per_core note=
	case $1 in
	flowsad*)
		trial "$1" "$common" "$cpu_secs" score
		per=$(echo "($cap_ticks + $score_ticks) / $hz * 1000000 / $sent" | bc -l)
		per_cap=$(echo "$cap_ticks / $hz * 1000000 / $sent" | bc -l)
		note="capture $(printf %.2f "$per_cap"), scoring $(printf %.2f "$(echo "$score_ticks / $hz * 1000000 / $sent" | bc -l)")"
		note+=" ($samples samples, $(echo "$samples * $hz / ($score_ticks + 1)" | bc) a CPU-second)"
		;;
	*)
		trial "$1" "$common" "$cpu_secs"
		per=$(echo "$cpu / $hz * 1000000 / $sent" | bc -l) per_cap=$per
		;;
	esac
	per_core=$(echo "1000000 / $per_cap" | bc)
	printf '| %-40s | %10s | %6s | %8.2f | %12s | %-50s |\n' "$(label "$1")" "$sent" "$loss" "$per" "$per_core" "$note"
}

echo "(BENCH=capacity, $(date -u '+%F %H:%M') UTC, commit $(git rev-parse --short HEAD 2>/dev/null || echo -)," \
	"$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; the sender on CPU 0)"
echo
: >"$out/steps.log" # every step of the bisections
for shape in ${SHAPES-flood zipf long}; do
	cfg=$out/$shape.cfg
	shape_cfg "$shape" >"$cfg"
	send 0 $((secs * 1500000)) "$secs"
	echo "## Capacity, $shape: the sender alone reaches $rate pps ($sent packets, trafgen on one core)"
	echo
	printf '| %-40s | %12s | %12s | %12s | %-22s |\n' capture "0-loss pps" "sender beside" "lost then" "first loss at (pps)"
	printf '|%s|%s|%s|%s|%s|\n' ------------------------------------------ -------------- -------------- -------------- ------------------------
	for k in "${labels[@]}"; do
		ceiling "$k"
	done
	echo
	echo "CPU-seconds per million packets at $common pps asked, $cpu_secs s, and the packets a second one core"
	echo "would take at that cost:"
	echo
	printf '| %-40s | %10s | %6s | %8s | %12s | %-50s |\n' capture packets lost "CPU s/M" "pps a core" "flowsad: capture, scoring (CPU s/M)"
	printf '|%s|%s|%s|%s|%s|%s|\n' ------------------------------------------ ------------ -------- ---------- -------------- ----------------------------------------------------
	for k in "${labels[@]}"; do
		cpu_row "$k"
	done
	echo
done
trap - EXIT
cleanup

[ "${MEMORY:-1}" != 0 ] || exit 0
# mem_rss N CMD...: the peak RSS (KiB) of CMD
mem_rss() {
	shift
	/usr/bin/time -f %M -o "$out/rss" "$@" >/dev/null 2>"$out/mem.log" || true
	cat "$out/rss"
}
mem_conf() { # HOSTS: a configuration for run -r with the sources' memory of HOSTS
	printf '[window]\nlength = 1m\nmax_samples = 8M\n[alerts]\nexplain_nsamples = 50\n[baseline]\nmax_hosts = %s\n' \
		"$1" >"$out/mem-$1.conf"
	echo "$out/mem-$1.conf"
}
mem_cmd() { # KIND FILE N: the command line in cmd[]
	case $1 in
	tcpdump) cmd=(tcpdump -r "$2" -w /dev/null) ;;
	softflowd) cmd=(softflowd -r "$2" -m $(($3 + 1000)) -n 127.0.0.1:9) ;;
	nfpcapd) rm -rf "$out/nf" && mkdir -p "$out/nf"
		cmd=(nfpcapd -r "$2" -B $(($3 + 1000)) -w "$out/nf" -t 60) ;;
	flowsad) cmd=("$BUILD/flowsad" run -r "$2" -c "$(mem_conf 100000)" -m "$model" --jsonl /dev/null) ;;
	flowsad-hosts) cmd=("$BUILD/flowsad" run -r "$2" -c "$(mem_conf "$3")" -m "$model" --jsonl /dev/null) ;;
	esac
}
read -ra sizes <<<"${MEM_SOURCES:-100000 1000000 4000000}"
for n in 1000 "${sizes[@]}"; do
	[ -f "$out/sources-$n.pcap" ] || "$BUILD/bench/gen_flood" "$out/sources-$n.pcap" "$n" "$n"
done
echo "## Capacity: memory per tracked source (one SYN a source, all in one window; peak RSS)"
echo
printf '| %-46s |' reader
for n in "${sizes[@]}"; do printf ' %12s |' "$n MiB"; done
printf ' %14s |\n' "bytes a source"
printf '|%s|' ------------------------------------------------
for _ in "${sizes[@]}"; do printf '%s|' --------------; done
printf '%s|\n' ----------------
for k in tcpdump softflowd nfpcapd flowsad flowsad-hosts; do
	case $k in
	tcpdump) name="tcpdump -r -w /dev/null (no flow table)" ;;
	softflowd) name="softflowd -r (-m sources)" ;;
	nfpcapd) name="nfpcapd -r (-B sources)" ;;
	flowsad) name="flowsad run -r, [baseline] max_hosts 100000" ;;
	flowsad-hosts) name="flowsad run -r, [baseline] max_hosts = sources" ;;
	esac
	mem_cmd "$k" "$out/sources-1000.pcap" 1000
	base=$(mem_rss 1000 "${cmd[@]}")
	printf '| %-46s |' "$name"
	last=
	for n in "${sizes[@]}"; do
		if [ "$k" = flowsad-hosts ] && [ "$n" -gt 1000000 ]; then
			printf ' %12s |' -
			continue
		fi
		mem_cmd "$k" "$out/sources-$n.pcap" "$n"
		kib=$(mem_rss "$n" "${cmd[@]}")
		printf ' %12s |' $((kib / 1024))
		last="$(((kib - base) * 1024 / (n - 1000)))"
	done
	printf ' %14s |\n' "$last"
done
echo
echo "(bytes a source: the peak RSS at the largest count less that at 1,000 sources, over the"
echo "sources between; windows of one minute, every source in one window)"
echo
