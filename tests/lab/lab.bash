# Shared pieces of the lab scripts (make-sample.sh, make-operation.sh,
# make-family.sh): hosts as network namespaces on one bridge, servers, client
# profiles, and the flow export of a finished capture. Sourced; the caller
# sets `prefix` (namespace name prefix), `work` (a scratch folder) and `lab`
# (its name, for logs).
# Every address lives only inside the namespaces; lab_cleanup (installed as
# the EXIT trap) removes them and stops every process the script started.

pids=()
need() { command -v "$1" >/dev/null 2>&1; }
log() { printf '%s: %s\n' "$lab" "$*" >&2; }

lab_require() {
	[ "$(id -u)" = 0 ] || { log "needs root (network namespaces)"; exit 77; }
	local missing=() t
	for t in ip tcpdump nginx dnsmasq nmap hping3 dig curl softflowd nfcapd nfdump python3; do
		need "$t" || missing+=("$t")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing lab tools (missing: ${missing[*]})"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 tcpdump nginx-light \
			dnsmasq-base nmap hping3 bind9-dnsutils curl softflowd nfdump python3 >/dev/null
	fi
}

ns() { local n=$1; shift; ip netns exec "$prefix-$n" "$@"; }
# bg HOST CMD...: ip netns exec execs CMD, so the recorded PID is CMD's own
bg() { local n=$1; shift; ip netns exec "$prefix-$n" "$@" & pids+=($!); }

lab_cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	sleep 1
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	local n
	for n in $(ip netns list | awk '{print $1}' | grep "^$prefix-"); do
		# what still runs in our namespaces is ours too (started by episodes)
		ip netns pids "$n" | xargs -r kill -9 2>/dev/null
		ip netns del "$n"
	done
	rm -rf "$work"
}

# lab_stop: ends every process started so far (the capture is complete)
lab_stop() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	pids=()
}

lab_switch() {
	ip netns add "$prefix-sw"
	ns sw ip link add br0 type bridge
	ns sw ip link set br0 up
	ns sw ip link set lo up
}

# lab_host NAME ADDR/LEN [ROUTE]: a namespace with a veth into the bridge;
# ROUTE is a prefix made on-link as well (the "internet" segment and back).
# The pair is made inside the switch namespace, so that its names never meet
# another lab's in the root namespace (labs may run side by side).
lab_host() {
	local h=$1 a=$2 route=${3:-}
	ip netns add "$prefix-$h"
	ip -n "$prefix-sw" link add "v-$h" type veth peer name eth0 netns "$prefix-$h"
	ns sw ip link set "v-$h" master br0 up
	ns "$h" ip link set lo up
	ns "$h" ip addr add "$a" dev eth0
	ns "$h" ip link set eth0 up
	[ -z "$route" ] || ns "$h" ip route add "$route" dev eth0
}

lab_www() {
	mkdir -p "$work/www"
	head -c 20000 /dev/urandom | base64 >"$work/www/big.txt"
	head -c 3000000 /dev/urandom >"$work/www/dump.bin"
	echo "flowsad lab" >"$work/www/index.html"
	chmod 755 "$work" "$work/www"
}

# lab_nginx HOST PORT...: plain HTTP on each port, serving $work/www
lab_nginx() {
	local h=$1 listen='' p; shift
	for p in "$@"; do listen+="listen $p; "; done
	cat >"$work/nginx-$h.conf" <<-EOF
	daemon off; worker_processes 1; pid $work/nginx-$h.pid; user nobody nogroup;
	error_log $work/nginx-$h.err;
	events { worker_connections 256; }
	http { access_log off; server { $listen root $work/www; } }
	EOF
	bg "$h" nginx -c "$work/nginx-$h.conf"
}

# lab_dns HOST ADDR [OPTION...]: dnsmasq, authoritative for the lab's names;
# OPTIONs are more dnsmasq options (names, forwarded domains)
lab_dns() {
	local h=$1 a=$2; shift 2
	bg "$h" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
		--listen-address="$a" --bind-interfaces --pid-file="$work/dnsmasq-$h.pid" \
		--address=/lab.example/"$WEB" --address=/ext.example/"$EXT" \
		--address=/db.lab.example/"$SSH" "$@"
}

# --- client profiles: each loops until $deadline, sleeps jittered ---------
# Servers: WEB, DNS, SSH, EXT (and DB, FILES, RDP, MAIL in the long lab).
# seeded from $RANDOM: srand() alone takes the second, and would pace every
# host that draws within one second alike
jitter() { sleep "$(awk -v a="$1" -v b="$2" -v s="$RANDOM" 'BEGIN{srand(s); printf "%.2f", a+rand()*(b-a)}')"; }
dns() { dig @"$DNS" "$1" +short +tries=1 +time=1 >/dev/null 2>&1 || true; }
tcp_talk() { # host port: banner, one line, close
	timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2; read -t 2 l <&3; echo hello >&3; read -t 2 l <&3" \
		2>/dev/null || true
}
# until_deadline CMD...: a habit, one visit after another until $deadline
until_deadline() { while [ "$EPOCHSECONDS" -lt "$deadline" ]; do "$@"; done; }
web_visit() {
	dns www.lab.example
	curl -s -m 2 -o /dev/null "http://$WEB/" || true
	[ $((RANDOM % 3)) = 0 ] && curl -s -m 2 -o /dev/null "http://$WEB/big.txt"
	if [ $((RANDOM % 2)) = 0 ]; then
		dns www.ext.example
		curl -s -m 2 -o /dev/null "http://$EXT:443/" || true
	fi
	jitter 1 4
}
admin_visit() { dns ssh.lab.example; tcp_talk "$SSH" 22; jitter 3 8; }
db_visit() {
	tcp_talk "${DB:-$SSH}" 3306
	# the long lab's database also serves exports on 5432
	[ -n "${DB:-}" ] && [ $((RANDOM % 8)) = 0 ] && curl -s -m 2 -o /dev/null "http://$DB:5432/index.html"
	jitter 0.5 2
}
file_visit() { dns files.lab.example; curl -s -m 3 -o /dev/null "http://$FILES:8080/big.txt" || true; jitter 4 12; }
web_user() { until_deadline web_visit; }
admin() { until_deadline admin_visit; }
db_client() { until_deadline db_visit; }
file_user() { until_deadline file_visit; }
rdp_user() { until_deadline eval 'tcp_talk "$RDP" 3389; jitter 5 15'; }
mail_user() { until_deadline eval 'tcp_talk "$MAIL" 25; jitter 10 30'; }
export -f web_user admin db_client file_user rdp_user mail_user jitter dns tcp_talk until_deadline \
	web_visit admin_visit db_visit file_visit

# lab_episode AT SRC KIND HOST CMD...: waits until AT, runs CMD in HOST for
# at most $episode_timeout s (60) and appends src,start,end,kind to $labels
lab_episode() {
	local at=$1 src=$2 kind=$3 host=$4; shift 4
	while [ "$(date +%s)" -lt "$at" ]; do sleep 0.2; done
	local s; s=$(date +%s)
	log "episode $kind from $src"
	ns "$host" timeout "${episode_timeout:-60}" "$@" >/dev/null 2>&1 || true
	echo "$src,$s,$(date +%s),$kind" >>"$labels"
}

# lab_export_flows VERSION PORT CAPTURE OUT.pcap: softflowd replays CAPTURE
# (a file in $out) to nfcapd on loopback; tcpdump records the export
# datagrams. -b on softflowd: count bytes as captured.
lab_export_flows() {
	local v=$1 port=$2 capture=$3 dst=$4
	local dir=$work/nf-$v
	mkdir -p "$dir"
	nfcapd -p "$port" -b 127.0.0.1 -B 33554432 -w "$dir" -t 3600 >"$work/nfcapd-$v.log" 2>&1 &
	local nfpid=$!
	tcpdump -n -i lo -s 0 -U -w "$dst" "udp and port $port" 2>/dev/null &
	local tdpid=$!
	sleep 1.5
	# run from the data folder: softflowd exports the file name as the
	# interface name (options record), and only the bare name belongs there
	(cd "$out" && softflowd -r "$capture" -n "127.0.0.1:$port" -v "$v" -d -D >/dev/null 2>&1) || true
	sleep 1.5
	kill "$tdpid"; wait "$tdpid" 2>/dev/null || true
	kill "$nfpid"; wait "$nfpid" 2>/dev/null || true
	log "NetFlow v$v: $(nfdump -R "$dir" -q -o csv 2>/dev/null | grep -c '^20') flows collected by nfcapd"
}
