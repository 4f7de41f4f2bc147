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
lab=make-sample
work=$(mktemp -d)
episode_timeout=40
# shellcheck source=lab.bash
. "$here/lab.bash"

exports_only=
[ "${1:-}" = --exports-only ] && exports_only=1 # remake the flow files from sample.pcap
lab_require
trap lab_cleanup EXIT INT TERM

capture_lab() {
# --- topology -----------------------------------------------------------
# One switch namespace holds the bridge; every host has a veth into it.
WEB=10.77.1.10 DNS=10.77.1.53 SSH=10.77.1.22 EXT=198.51.100.10
export WEB DNS SSH EXT
declare -A addr=(
	[web]=$WEB/16 [dns]=$DNS/16 [ssh]=$SSH/16
	[c1]=10.77.0.11/16 [c2]=10.77.0.12/16 [c3]=10.77.0.13/16 [c4]=10.77.0.14/16
	[c5]=10.77.0.15/16 [c6]=10.77.0.16/16 [c7]=10.77.0.17/16 [c8]=10.77.0.18/16
)
lab_switch
# the "external" server sits on the same segment: on-link routes both ways
for h in "${!addr[@]}"; do lab_host "$h" "${addr[$h]}" 198.51.100.0/24; done
lab_host ext "$EXT/24" 10.77.0.0/16

# --- servers ------------------------------------------------------------
lab_www
lab_nginx web 80 443
lab_nginx ext 80 443
lab_dns dns "$DNS"
bg ssh python3 "$here/tcp-service.py" 22 3306
sleep 2

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
episode() { lab_episode "$@"; }
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
lab_stop

mkdir -p "$out"
cp "$work/sample.pcap" "$out/sample.pcap"
cp "$labels" "$out/sample-labels.csv"
}

[ -n "$exports_only" ] || capture_lab
log "capture: $(tcpdump -n -r "$out/sample.pcap" 2>/dev/null | wc -l) packets"

# --- flow exports -------------------------------------------------------
lab_export_flows 5 29995 sample.pcap "$out/sample-netflow-v5.pcap"
lab_export_flows 9 29996 sample.pcap "$out/sample-netflow-v9.pcap"
lab_export_flows 10 29997 sample.pcap "$out/sample-ipfix.pcap"
# The flow CSV comes from nfdump's own pcap reader (nfpcapd): softflowd's
# offline exports carry times relative to its wall-clock start (README).
mkdir -p "$work/nfp"
nfpcapd -r "$out/sample.pcap" -w "$work/nfp" -t 3600 >"$work/nfpcapd.log" 2>&1
nfdump -R "$work/nfp" -o csv >"$out/sample-flows.csv"
log "flows: $(grep -c '^20' "$out/sample-flows.csv") rows in sample-flows.csv"
log "done: $(ls "$out")"
