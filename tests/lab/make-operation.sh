#!/usr/bin/env bash
# The long lab of the operational benchmark (bench/operation.sh): 24 hosts in
# three sites on one bridge, real servers and clients, a benign period of
# BENIGN seconds (default 22 minutes), then twelve attack episodes from real
# tools, 100 s apart, then a benign cool-down. Writes into OUT (default
# bench/data):
#
#   operation.pcap.xz           the bridge capture (snaplen 128), xz-compressed
#   operation-labels.csv        src_ip,start_epoch,end_epoch,kind of each episode
#   operation-netflow-v9.pcap.xz  softflowd's NetFlow v9 export of the capture
#
# Needs root; about BENIGN + 23 minutes. Topology and episodes:
# tests/lab/README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${OUT:-$here/../../bench/data}" && cd "${OUT:-$here/../../bench/data}" && pwd)
benign=${BENIGN:-1320}
cooldown=${COOLDOWN:-120}
gap=${GAP:-100}   # seconds from one episode start to the next
prefix=fso
lab=make-operation
work=$(mktemp -d)
# shellcheck source=lab.bash
. "$here/lab.bash"
trap lab_cleanup EXIT INT TERM
lab_require

# --- topology: sites hq 10.77/16, branch 10.78/16, dc 10.79/16 -------------
WEB=10.77.1.10 DNS=10.77.1.53 SSH=10.77.1.22 EXT=198.51.100.10
DB=10.79.1.30 FILES=10.78.1.40 RDP=10.79.1.89 MAIL=10.77.1.25
export WEB DNS SSH EXT DB FILES RDP MAIL
declare -A addr=(
	[web]=$WEB [dns]=$DNS [ssh]=$SSH [mail]=$MAIL [db]=$DB [files]=$FILES [rdp]=$RDP
	[c1]=10.77.0.11 [c2]=10.77.0.12 [c3]=10.77.0.13 [c4]=10.77.0.14 [c5]=10.77.0.15
	[c6]=10.77.0.16 [b1]=10.78.0.11 [b2]=10.78.0.12 [b3]=10.78.0.13 [b4]=10.78.0.14
	[b5]=10.78.0.15 [d1]=10.79.0.11 [d2]=10.79.0.12 [d3]=10.79.0.13 [d4]=10.79.0.14
	[d5]=10.79.0.15 [adm]=10.79.0.16
)
lab_switch
for h in "${!addr[@]}"; do lab_host "$h" "${addr[$h]}/8" 198.51.100.0/24; done
lab_host ext "$EXT/24" 10.0.0.0/8

# --- servers ------------------------------------------------------------
lab_www
lab_nginx web 80 443
lab_nginx ext 80 443
lab_nginx files 8080
lab_nginx db 5432
lab_dns dns "$DNS"
bg ssh python3 "$here/tcp-service.py" 22
bg db python3 "$here/tcp-service.py" 3306
bg rdp python3 "$here/tcp-service.py" 3389
bg mail python3 "$here/tcp-service.py" 25
# the upload sink: reads and discards, on an unusual port of the "internet"
bg ext python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9999)); s.listen(8)
def drain(c):
    with c:
        while c.recv(65536): pass
while True: threading.Thread(target=drain, args=(s.accept()[0],), daemon=True).start()'
sleep 2

# --- clients ------------------------------------------------------------
start=$(date +%s)
t0=$(( (start + benign + 9) / 10 * 10 + 2 ))
n_episodes=12
deadline=$(( t0 + n_episodes * gap + cooldown ))
export deadline

bg sw tcpdump -i br0 -s 128 -U -w "$work/operation.pcap" 2>"$work/tcpdump.err"
sleep 1
for h in c1 c2 c3 c4 b2 b3 b4 d2 d3; do bg "$h" bash -c web_user; done
for h in c5 b5 d5; do bg "$h" bash -c file_user; done
bg c6 bash -c mail_user
bg adm bash -c admin
bg b1 bash -c admin
bg d1 bash -c db_client
bg d4 bash -c rdp_user
# some hosts have two habits
bg c3 bash -c mail_user
bg b4 bash -c rdp_user
log "normal traffic from $(date -u -d @"$start" +%H:%M:%S); episodes from $(date -u -d @"$t0" +%H:%M:%S)"

# --- episodes -----------------------------------------------------------
labels=$work/labels.csv
echo "src_ip,start_epoch,end_epoch,kind" >"$labels"
ssh_guessing() { # password guessing shape: a session every 0.1 s for 40 s
	local end=$(( $(date +%s) + 40 ))
	while [ "$(date +%s)" -lt "$end" ]; do tcp_talk "$SSH" 22; sleep 0.1; done
}
rdp_burst() { # 300 RDP connections as fast as they go
	for _ in $(seq 1 300); do timeout 1 bash -c "exec 3<>/dev/tcp/$RDP/3389" 2>/dev/null || true; done
}
db_pull() { # a host that never used the database pulls its exports
	for _ in 1 2 3 4 5 6; do curl -s -m 20 -o /dev/null "http://$DB:5432/dump.bin"; done
}
upload() { # 40 s at about 400 kB/s to an unusual port outside
	python3 -c '
import os, socket, time
s = socket.create_connection(("'"$EXT"'", 9999)); end = time.time() + 40
while time.time() < end: s.sendall(os.urandom(40000)); time.sleep(0.1)'
}
nxdomain_burst() { # DGA-like lookups of names nobody serves
	for i in $(seq 1 400); do
		dig @"$DNS" "q$RANDOM$i.nx-$RANDOM.example" +tries=1 +time=1 >/dev/null 2>&1 || true
	done
}
lateral_sweep() { # SMB, RDP and WinRM on every lab address
	for a in $addr_list; do for p in 445 3389 5985; do
		timeout 1 bash -c "exec 3<>/dev/tcp/$a/$p" 2>/dev/null || true
	done; done
}
addr_list="${addr[*]}"
export addr_list
export -f ssh_guessing rdp_burst db_pull upload nxdomain_burst lateral_sweep
# routed ranges through ext, which does not forward: what an IP sensor sees of
# a sweep (a sweep of the local segment would be ARP)
for h in b3 d2; do ns "$h" ip route add 203.0.113.0/24 via "$EXT"; ns "$h" ip route add 192.0.2.0/24 via "$EXT"; done
at=$t0
ep() { lab_episode "$at" "$@"; at=$((at + gap)); }
ep 10.77.0.12 port-scan c2 nmap -sS -n -Pn -T4 --top-ports 1000 "$FILES"
ep 10.78.0.13 subnet-scan b3 nmap -sS -n -Pn -T4 -p 22,80,443,445,3389 203.0.113.0/24
ep 10.79.0.12 ping-sweep d2 nmap -sn -n -PE --send-ip 192.0.2.0/24
ep 10.77.0.13 syn-flood c3 hping3 -S -p 443 -i u2000 -c 10000 "$WEB"
ep 10.78.0.11 ssh-guessing b1 bash -c ssh_guessing
ep 10.79.0.14 rdp-burst d4 bash -c rdp_burst
ep 10.77.0.15 slow-scan c5 nmap -sS -n -Pn -T2 --top-ports 100 "$DB"
ep 10.78.0.14 db-pull b4 bash -c db_pull
ep 10.79.0.11 upload d1 bash -c upload
ep 10.77.0.16 nxdomain-burst c6 bash -c nxdomain_burst
ep 10.78.0.12 lateral-sweep b2 bash -c lateral_sweep
ep 10.79.0.13 udp-scan d3 nmap -sU -n -Pn -T4 --top-ports 100 "$DNS"

while [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
sleep 3
lab_stop

cp "$labels" "$out/operation-labels.csv"
cp "$work/operation.pcap" "$out/operation.pcap"
log "capture: $(tcpdump -n -r "$out/operation.pcap" 2>/dev/null | wc -l) packets"
lab_export_flows 9 29996 operation.pcap "$out/operation-netflow-v9.pcap"
xz -T2 -f "$out/operation.pcap" "$out/operation-netflow-v9.pcap"
log "done: $(ls "$out")"
