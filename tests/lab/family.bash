# The lab family's habits and episode kinds (make-family.sh sources this
# after lab.bash). Every function is exported: habits run inside a host's
# namespace (`bash -c`), episodes in the root namespace under `timeout`, and
# both need these helpers there. The caller sets and exports `prefix`,
# `work`, `labdir` (this folder) and DNS; run_episode sets `src_addr` (the
# episode's source address). Catalogue: tests/lab/README.md.
# shellcheck disable=SC2154

# --- small clients ------------------------------------------------------
# web_get NAME@ADDR:PORT PATH: resolve the name as a browser would, then fetch
web_get() {
	dns "${1%@*}"
	curl -s -m 5 -o /dev/null "http://${1#*@}$2" || true
}
# svc_get ADDR PORT BYTES: ask a lab-service `send` port for BYTES
svc_get() {
	timeout 60 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit
		read -r -t 3 _ <&3; printf "get %s\nquit\n" "$2" >&3; cat <&3 >/dev/null' \
		"$1" "$2" "$3" 2>/dev/null || true
}
# session ADDR PORT SECONDS: an interactive session, a line every 1-3 s
session() {
	timeout $(($3 + 10)) bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit
		read -r -t 3 _ <&3; end=$((EPOCHSECONDS + $2))
		while [ "$EPOCHSECONDS" -lt "$end" ]; do
			echo "cmd $RANDOM" >&3; read -r -t 3 _ <&3; sleep $((RANDOM % 3 + 1))
		done' "$1" "$2" "$3" 2>/dev/null || true
}
# connect ADDR PORT: a bare TCP connection, closed at once (or refused)
connect() { timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null || true; }
# upload ADDR PORT KB_PER_S SECONDS: a steady upload of random bytes
upload() {
	python3 -c '
import os, socket, sys, time
addr, port, rate, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.create_connection((addr, port), timeout=10)
end = time.time() + secs
while time.time() < end:
    s.sendall(os.urandom(rate * 100))
    time.sleep(0.1)' "$@"
}
# rand_label N: N random hex digits (no fork)
rand_label() {
	local s=''
	while [ ${#s} -lt "$1" ]; do s+=$(printf '%04x' $RANDOM); done
	echo "${s:0:$1}"
}
rand_between() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }

# --- habits: visit_KIND PAUSE_LO PAUSE_HI ARGS... is one visit, then a pause
# habit KIND LO HI ARGS...: a random first delay (hosts do not start in step),
# then visits until $deadline
habit() {
	local v=visit_$1; shift
	jitter 0 "$2"
	until_deadline "$v" "$@"
}
visit_browse() { # NAME@ADDR:PORT...: one to three pages, now and then a big one
	local lo=$1 hi=$2 i; shift 2
	local items=("$@")
	for ((i = RANDOM % 3; i >= 0; i--)); do
		if [ $((RANDOM % 4)) = 0 ]; then
			web_get "${items[RANDOM % ${#items[@]}]}" /big.txt
		else
			web_get "${items[RANDOM % ${#items[@]}]}" /
		fi
	done
	jitter "$lo" "$hi"
}
visit_files() { # smb|http NAME ADDR PORT: a file from the share
	dns "$4"
	if [ "$3" = smb ]; then
		svc_get "$5" "$6" $((20000 * (RANDOM % 25 + 1)))
	else
		curl -s -m 10 -o /dev/null "http://$5:$6/big.txt" || true
	fi
	jitter "$1" "$2"
}
visit_mail() { dns "$3"; tcp_talk "$4" 25; jitter "$1" "$2"; }              # NAME ADDR
visit_db() { tcp_talk "$3" "$4"; jitter "$1" "$2"; }                        # ADDR PORT
visit_appdb() { visit_db "$@"; }                                            # the web tier's queries
visit_rdp() { session "$3" "$4" "$(rand_between "$5" "$6")"; jitter "$1" "$2"; } # ADDR PORT MIN MAX
visit_admin() { visit_rdp "$@"; }                                           # ssh sessions
visit_update() { web_get "$3" "/$4"; jitter "$1" "$2"; }                    # NAME@ADDR:PORT FILE
visit_print() { # ADDR: a print job to port 9100
	timeout 20 bash -c 'head -c $((RANDOM * 8)) /dev/urandom >"/dev/tcp/$0/9100"' "$3" 2>/dev/null || true
	jitter "$1" "$2"
}
visit_monitor() { # ADDR:PORT,...: ping every host, connect to every service
	local lo=$1 hi=$2; shift 2
	python3 "$labdir/monitor.py" "$@"
	jitter "$lo" "$hi"
}
visit_backup() { # ADDR...: 1-3 MB from each server's backup agent, in turn
	local lo=$1 hi=$2 a; shift 2
	for a in "$@"; do
		svc_get "$a" 9102 $((1000000 * (RANDOM % 3 + 1)))
		sleep 2
	done
	jitter "$lo" "$hi"
}

# --- episodes: ep_KIND SRC TARGETS ARGS... (SRC a host name, TARGETS the
# space-separated addresses), run in the root namespace under the bound ------
ep_port_scan() { ns "$1" nmap -sS -n -Pn -T4 --top-ports 1000 $2; }
ep_connect_scan() { ns "$1" nmap -sT -n -Pn -T4 --top-ports 200 $2; }
# one probe at a time (one host at a time, DELAY_MS apart): a scan under the radar
ep_slow_scan() { # PORTS DELAY_MS
	ns "$1" nmap -sS -n -Pn --max-hostgroup 1 --max-retries 0 --scan-delay "$4ms" -p "$3" $2
}
# the range's live hosts are found by ARP first, then probed; they answer
ep_subnet_scan() { ns "$1" nmap -sS -n -T4 -p 22,80,135,139,443,445,3389 "$3"; } # NET
# --send-ip: ICMP echo requests (an on-link sweep would otherwise be ARP only)
ep_ping_sweep() { ns "$1" nmap -sn -n -PE --send-ip "$3"; }                     # NET
ep_udp_scan() { ns "$1" nmap -sU -n -Pn -T4 --top-ports 100 $2; }
ep_telnet_sweep() { ns "$1" nmap -sS -n -Pn -T4 -p 23,2323 $2; }
ep_lateral_smb() { # SMB, then NetBIOS, on each address
	ns "$1" bash -c 'for a; do connect "$a" 445; connect "$a" 139; done' _ $2
}
ep_syn_flood() { # PORT PPS SECONDS
	ns "$1" hping3 -q -S -p "$3" -i "u$((1000000 / $4))" -c $(($4 * $5)) $2
}
ep_udp_flood() { # PORT PPS SECONDS
	ns "$1" hping3 -q --udp -p "$3" -d 120 -i "u$((1000000 / $4))" -c $(($4 * $5)) $2
}
ep_ssh_guess_fast() { # SECONDS: an attempt every 0.1 s
	ns "$1" bash -c 'end=$((EPOCHSECONDS + $1))
		while [ "$EPOCHSECONDS" -lt "$end" ]; do tcp_talk "$0" 22; sleep 0.1; done' "$2" "$3"
}
ep_ssh_guess_slow() { # SECONDS: four tasks, an attempt each every 4-6 s
	ns "$1" bash -c 'end=$((EPOCHSECONDS + $1))
		for _ in 1 2 3 4; do
			(while [ "$EPOCHSECONDS" -lt "$end" ]; do tcp_talk "$0" 22; jitter 4 6; done) &
		done; wait' "$2" "$3"
}
ep_rdp_burst() { # COUNT connections as fast as they go
	ns "$1" bash -c 'for ((i = 0; i < $1; i++)); do connect "$0" 3389; done' "$2" "$3"
}
ep_db_pull() { # PORT COUNT: 3 MB exports, one after another
	ns "$1" bash -c 'for ((i = 0; i < $2; i++)); do svc_get "$0" "$1" 3000000; done' "$2" "$3" "$4"
}
ep_share_pull() { # smb|http PORT COUNT: the share's files, one after another
	ns "$1" bash -c 'for ((i = 0; i < $3; i++)); do
		if [ "$1" = smb ]; then svc_get "$0" "$2" 400000
		else curl -s -m 10 -o /dev/null "http://$0:$2/big.txt"; fi
	done' "$2" "$3" "$4" "$5"
}
ep_exfil_upload() { ns "$1" bash -c 'upload "$@"' _ "$2" "$3" "$4" "$5"; } # PORT KBPS SECONDS
# a server sends MB megabytes in 40 s to a listener it (the attacker) started
# on a workstation's port 4444
ep_reverse_upload() { # WS_NAME MB
	ns "$3" timeout 55 python3 "$labdir/lab-service.py" 4444:sink &
	sleep 1
	ns "$1" bash -c 'upload "$0" 4444 $(($1 * 1024 / 40)) 40' "$2" "$4"
	wait
}
ep_nxdomain_burst() { # COUNT lookups of generated names, as fast as they go
	local names=$work/dga-$1 i
	for ((i = 0; i < $3; i++)); do echo "$(rand_label $((RANDOM % 8 + 8))).com"; done >"$names"
	ns "$1" dig @"$DNS" -f "$names" +tries=1 +time=1 >/dev/null
}
ep_dns_tunnel() { # DOMAIN PER_S SECONDS: long random labels at a steady rate
	ns "$1" bash -c 'end=$((EPOCHSECONDS + $1)); t=(TXT A)
		while [ "$EPOCHSECONDS" -lt "$end" ]; do
			dig @"$DNS" "${t[RANDOM % 2]}" "$(rand_label 60).$(rand_label 40).$0" +tries=1 +time=1 >/dev/null 2>&1
			sleep "$2"
		done' "$3" "$5" "$(awk -v r="$4" 'BEGIN{printf "%.2f", 1/r}')"
}
ep_beaconing() { # NAME EVERY SECONDS: a small HTTP request to C2, jittered by 20%
	ns "$1" bash -c 'end=$((EPOCHSECONDS + $3)); id=$(rand_label 8)
		while [ "$EPOCHSECONDS" -lt "$end" ]; do
			dns "$1"; curl -s -m 5 -o /dev/null "http://$0/index.html?id=$id" || true
			jitter "$(($2 * 8 / 10))" "$(($2 * 12 / 10))"
		done' "$2" "$3" "$4" "$5"
}
# a namespace that did not exist appears (address from the plan), browses and
# probes a few servers
ep_new_device() { # SECONDS NAME@ADDR:PORT...
	local src=$1 targets=$2 secs=$3; shift 3
	lab_host "$src" "$src_addr/8" 198.51.100.0/24
	ns "$src" bash -c 'end=$((EPOCHSECONDS + $0))
		while [ "$EPOCHSECONDS" -lt "$end" ]; do visit_browse 2 6 "$@"; done' "$secs" "$@" &
	sleep 20
	ns "$src" nmap -sS -n -Pn -T4 --top-ports 50 $targets
	wait
}
# a workstation starts serving on a new port; a few others fetch from it
ep_new_service() { # PORT SECONDS CLIENT...
	local src=$1 port=$3 secs=$4 c; shift 4
	ns "$src" timeout $((secs + 5)) python3 "$labdir/lab-service.py" "$port:send" &
	sleep 1
	for c; do
		ns "$c" bash -c 'end=$((EPOCHSECONDS + $2))
			while [ "$EPOCHSECONDS" -lt "$end" ]; do svc_get "$0" "$1" $((RANDOM * 4)); jitter 2 6; done' \
			"$src_addr" "$port" "$secs" &
	done
	wait
}
ep_dir_busting() { # PORT COUNT: four workers, ten guessed paths per connection
	ns "$1" bash -c 'words=(admin backup old test api login config .git wp-admin cgi-bin uploads
			private db dev phpmyadmin server-status .env secret data tmp)
		worker() {
			local b i args
			for ((b = 0; b < $2 / 40; b++)); do
				args=()
				for ((i = 0; i < 10; i++)); do
					args+=(-o /dev/null "http://$0:$1/${words[RANDOM % ${#words[@]}]}$RANDOM")
				done
				curl -s -m 10 "${args[@]}" || true
			done
		}
		for _ in 1 2 3 4; do worker "$@" & done; wait' "$2" "$3" "$4"
}
ep_spam_burst() { # COUNT SMTP connections, five a second
	ns "$1" bash -c 'for ((i = 0; i < $1; i++)); do tcp_talk "$0" 25 & sleep 0.2; done; wait' "$2" "$3"
}
ep_mining() { ns "$1" bash -c 'session "$0" 3333 "$1"' "$2" "$3"; } # SECONDS
ep_icmp_tunnel() { # BYTES PER_S SECONDS: large echo requests at a steady rate
	ns "$1" hping3 -q -1 -d "$3" -i "u$((1000000 / $4))" -c $(($4 * $5)) $2
}

export -f web_get svc_get session connect upload rand_label rand_between habit \
	visit_browse visit_files visit_mail visit_db visit_appdb visit_rdp visit_admin \
	visit_update visit_print visit_monitor visit_backup \
	ep_port_scan ep_connect_scan ep_slow_scan ep_subnet_scan ep_ping_sweep ep_udp_scan \
	ep_telnet_sweep ep_lateral_smb ep_syn_flood ep_udp_flood ep_ssh_guess_fast \
	ep_ssh_guess_slow ep_rdp_burst ep_db_pull ep_share_pull ep_exfil_upload \
	ep_reverse_upload ep_nxdomain_burst ep_dns_tunnel ep_beaconing ep_new_device \
	ep_new_service ep_dir_busting ep_spam_burst ep_mining ep_icmp_tunnel \
	ns lab_host log
