#!/usr/bin/env bash
# Builds a small virtual LAN out of network namespaces, runs real servers and
# real clients on it for about seven minutes, plays four anomalous episodes
# with real tools, and writes the shared test fixtures into tests/data/:
#
#   sample.pcap               the bridge capture (snaplen 128)
#   sample-labels.csv         src_ip,start_epoch,end_epoch,kind of each episode
#   sample-netflow-v5.pcap    softflowd's NetFlow v5 export of sample.pcap
#   sample-netflow-v9.pcap    ... NetFlow v9
#   sample-ipfix.pcap         ... IPFIX
#   sample-flows.csv          nfdump -o csv of what nfcapd collected (v9 run)
#
# Every address lives only inside the namespaces this script creates; a trap
# removes them and stops every process it started. Needs root.
# Topology and episodes: tests/lab/README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/../data}
warmup=${WARMUP:-60}      # seconds of normal traffic before the first episode
cooldown=${COOLDOWN:-60}  # seconds of normal traffic after the last one
prefix=fsl
work=$(mktemp -d)
pids=()

need() { command -v "$1" >/dev/null 2>&1; }
log() { printf 'make-sample: %s\n' "$*" >&2; }

exports_only=
[ "${1:-}" = --exports-only ] && exports_only=1 # remake the flow files from sample.pcap
[ "$(id -u)" = 0 ] || { log "needs root (network namespaces)"; exit 77; }
missing=()
for t in ip tcpdump nginx dnsmasq nmap hping3 dig curl softflowd nfcapd nfdump python3; do
	need "$t" || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing lab tools (missing: ${missing[*]})"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 tcpdump nginx-light \
		dnsmasq-base nmap hping3 bind9-dnsutils curl softflowd nfdump python3 >/dev/null
fi

ns() { local n=$1; shift; ip netns exec "$prefix-$n" "$@"; }
# bg HOST CMD...: ip netns exec execs CMD, so the recorded PID is CMD's own
bg() { local n=$1; shift; ip netns exec "$prefix-$n" "$@" & pids+=($!); }

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	sleep 1
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in $(ip netns list | awk '{print $1}' | grep "^$prefix-"); do ip netns del "$n"; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

capture_lab() {
# --- topology -----------------------------------------------------------
# One switch namespace holds the bridge; every host has a veth into it.
declare -A addr=(
	[web]=10.77.1.10/16 [dns]=10.77.1.53/16 [ssh]=10.77.1.22/16 [ext]=198.51.100.10/24
	[c1]=10.77.0.11/16 [c2]=10.77.0.12/16 [c3]=10.77.0.13/16 [c4]=10.77.0.14/16
	[c5]=10.77.0.15/16 [c6]=10.77.0.16/16 [c7]=10.77.0.17/16 [c8]=10.77.0.18/16
)
ip netns add "$prefix-sw"
ns sw ip link add br0 type bridge
ns sw ip link set br0 up
ns sw ip link set lo up
for h in "${!addr[@]}"; do
	ip netns add "$prefix-$h"
	ip link add "v-$h" type veth peer name eth0 netns "$prefix-$h"
	ip link set "v-$h" netns "$prefix-sw"
	ns sw ip link set "v-$h" master br0 up
	ns "$h" ip link set lo up
	ns "$h" ip addr add "${addr[$h]}" dev eth0
	ns "$h" ip link set eth0 up
	# the "external" server sits on the same segment: on-link routes both ways
	if [ "$h" = ext ]; then
		ns "$h" ip route add 10.77.0.0/16 dev eth0
	else
		ns "$h" ip route add 198.51.100.0/24 dev eth0
	fi
done

# --- servers ------------------------------------------------------------
mkdir -p "$work/www"
head -c 20000 /dev/urandom | base64 >"$work/www/big.txt"
echo "flowsad lab" >"$work/www/index.html"
nginx_conf() {
	cat <<-EOF
	daemon off; worker_processes 1; pid $work/nginx-$1.pid; user nobody nogroup;
	error_log $work/nginx-$1.err;
	events { worker_connections 256; }
	http { access_log off; server { listen 80; listen 443; root $work/www; } }
	EOF
}
chmod 755 "$work" "$work/www"
nginx_conf web >"$work/nginx-web.conf"
nginx_conf ext >"$work/nginx-ext.conf"
bg web nginx -c "$work/nginx-web.conf"
bg ext nginx -c "$work/nginx-ext.conf"
bg dns dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
	--listen-address=10.77.1.53 --bind-interfaces --pid-file="$work/dnsmasq.pid" \
	--address=/lab.example/10.77.1.10 --address=/ext.example/198.51.100.10 \
	--address=/db.lab.example/10.77.1.22
bg ssh python3 "$here/tcp-service.py" 22 3306
sleep 2

# --- clients ------------------------------------------------------------
# Each profile loops until its deadline; sleeps are jittered.
jitter() { sleep "$(awk -v a="$1" -v b="$2" 'BEGIN{srand(); printf "%.2f", a+rand()*(b-a)}')"; }
dns() { dig @10.77.1.53 "$1" +short +tries=1 +time=1 >/dev/null 2>&1 || true; }
tcp_talk() { # host port: banner, one line, close
	timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2; read -t 2 l <&3; echo hello >&3; read -t 2 l <&3" \
		2>/dev/null || true
}
web_user() {
	while [ "$(date +%s)" -lt "$deadline" ]; do
		dns www.lab.example
		curl -s -m 2 -o /dev/null http://10.77.1.10/ || true
		[ $((RANDOM % 3)) = 0 ] && curl -s -m 2 -o /dev/null http://10.77.1.10/big.txt
		if [ $((RANDOM % 2)) = 0 ]; then
			dns www.ext.example
			curl -s -m 2 -o /dev/null http://198.51.100.10:443/ || true
		fi
		jitter 1 4
	done
}
admin() {
	while [ "$(date +%s)" -lt "$deadline" ]; do
		dns ssh.lab.example
		tcp_talk 10.77.1.22 22
		jitter 3 8
	done
}
db_client() {
	while [ "$(date +%s)" -lt "$deadline" ]; do
		tcp_talk 10.77.1.22 3306
		jitter 0.5 2
	done
}
export -f web_user admin db_client jitter dns tcp_talk

start=$(date +%s)
# first episode starts 10 s into the first whole minute after the warm-up,
# so that each episode lies inside one 1-minute window
t0=$(( (start + warmup + 59) / 60 * 60 + 10 ))
deadline=$(( t0 + 3 * 60 + 40 + cooldown ))
export deadline

tcpdump_err=$work/tcpdump.err
bg sw tcpdump -i br0 -s 128 -U -w "$work/sample.pcap" 2>"$tcpdump_err"
sleep 1
for h in c1 c2 c3 c4 c7 c8; do bg "$h" bash -c web_user; done
bg c5 bash -c admin
bg c6 bash -c db_client
log "normal traffic from $(date -u -d @"$start" +%H:%M:%S); episodes from $(date -u -d @"$t0" +%H:%M:%S)"

# --- episodes -----------------------------------------------------------
labels=$work/labels.csv
echo "src_ip,start_epoch,end_epoch,kind" >"$labels"
episode() { # at src kind cmd...
	local at=$1 src=$2 kind=$3 host=$4; shift 4
	while [ "$(date +%s)" -lt "$at" ]; do sleep 0.2; done
	local s; s=$(date +%s)
	log "episode $kind from $src"
	ns "$host" timeout 40 "$@" >/dev/null 2>&1 || true
	echo "$src,$s,$(date +%s),$kind" >>"$labels"
}
syn_burst() { # many short connections to one port (brute-force shape)
	for _ in $(seq 1 400); do
		timeout 1 bash -c 'exec 3<>/dev/tcp/10.77.1.22/22' 2>/dev/null || true
	done
}
export -f syn_burst
episode "$t0" 10.77.0.18 syn-scan c8 nmap -sS -n -Pn -T4 --top-ports 300 10.77.1.10 10.77.1.22 10.77.1.53
# A sweep of the local segment shows up as ARP; the sweep of a routed range
# (through the "ext" host as gateway, which does not forward) is what an IP
# sensor sees: ICMP echo requests to 254 addresses.
ns c7 ip route add 203.0.113.0/24 via 198.51.100.10
episode $((t0 + 60)) 10.77.0.17 ping-sweep c7 nmap -sn -n -PE --send-ip 10.77.1.0/24 203.0.113.0/24
episode $((t0 + 120)) 10.77.0.13 hping3-burst c3 hping3 -S -p 80 -i u3000 -c 3000 10.77.1.10
episode $((t0 + 180)) 10.77.0.15 short-connections c5 bash -c syn_burst

while [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
sleep 3
kill "${pids[@]}" 2>/dev/null || true
wait 2>/dev/null || true
pids=()

mkdir -p "$out"
cp "$work/sample.pcap" "$out/sample.pcap"
cp "$labels" "$out/sample-labels.csv"
}

[ -n "$exports_only" ] || capture_lab
log "capture: $(tcpdump -n -r "$out/sample.pcap" 2>/dev/null | wc -l) packets"

# --- flow exports -------------------------------------------------------
# softflowd replays the capture and exports to nfcapd on loopback; tcpdump
# records the export datagrams. -b on softflowd: count bytes as captured.
export_flows() { # version port out.pcap
	local v=$1 port=$2 dst=$3
	local dir=$work/nf-$v
	mkdir -p "$dir"
	nfcapd -p "$port" -b 127.0.0.1 -B 33554432 -w "$dir" -t 3600 >"$work/nfcapd-$v.log" 2>&1 &
	local nfpid=$!
	tcpdump -n -i lo -s 0 -U -w "$dst" "udp and port $port" 2>/dev/null &
	local tdpid=$!
	sleep 1.5
	# run from the data folder: softflowd exports the file name as the
	# interface name (options record), and only the bare name belongs there
	(cd "$out" && softflowd -r sample.pcap -n "127.0.0.1:$port" -v "$v" -d -D >/dev/null 2>&1) || true
	sleep 1.5
	kill "$tdpid"; wait "$tdpid" 2>/dev/null || true
	kill "$nfpid"; wait "$nfpid" 2>/dev/null || true
	log "NetFlow v$v: $(nfdump -R "$dir" -q -o csv 2>/dev/null | grep -c '^20') flows collected by nfcapd"
}
export_flows 5 29995 "$out/sample-netflow-v5.pcap"
export_flows 9 29996 "$out/sample-netflow-v9.pcap"
export_flows 10 29997 "$out/sample-ipfix.pcap"
# The flow CSV comes from nfdump's own pcap reader (nfpcapd): softflowd's
# offline exports carry times relative to its wall-clock start (README).
mkdir -p "$work/nfp"
nfpcapd -r "$out/sample.pcap" -w "$work/nfp" -t 3600 >"$work/nfpcapd.log" 2>&1
nfdump -R "$work/nfp" -o csv >"$out/sample-flows.csv"
log "flows: $(grep -c '^20' "$out/sample-flows.csv") rows in sample-flows.csv"
log "done: $(ls "$out")"
