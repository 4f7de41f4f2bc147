#!/usr/bin/env bash
# Redis Cluster: a local cluster of 3 masters and 3 replicas on private
# ports (redis-server --cluster-enabled yes, redis-cli --cluster create).
# The alert sink, given seeds of which the first does not hold the
# stream's slot, follows MOVED to the master that does; a master killed
# mid-run is replaced by its replica and every alert still arrives once.
. "$(dirname "$0")/lib.bash"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for f in "$T"/n*/pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# client and cluster-bus ports (+10000) below the kernel's ephemeral range
base=$((20000 + RANDOM % 2000))
ports=()
for i in 0 1 2 3 4 5; do
	p=$((base + i))
	ports+=("$p")
	mkdir -p "$T/n$p"
	redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
		--cluster-config-file "$T/n$p/nodes.conf" --cluster-node-timeout 1000 \
		--cluster-replica-validity-factor 0 \
		--save '' --appendonly no --dir "$T/n$p" --logfile "$T/n$p/log" \
		--daemonize yes --pidfile "$T/n$p/pid"
done
for p in "${ports[@]}"; do
	for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas 1 \
	--cluster-yes >"$T/create.log" 2>&1
up() { redis-cli -p "$1" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }
for _ in $(seq 100); do up "${ports[0]}" && break; sleep 0.1; done
if ! up "${ports[0]}"; then
	not_ok "a local Redis Cluster (3 masters, 3 replicas) cannot be created" "$(tail -3 "$T/create.log")"
	exit 0
fi
synced() { # every replica has its master's data
	for p in "${ports[@]}"; do
		redis-cli -p "$p" info replication | grep -q 'role:slave' || continue
		redis-cli -p "$p" info replication | grep -q 'master_link_status:up' || return 1
	done
}
for _ in $(seq 100); do synced && break; sleep 0.1; done
ok "a local Redis Cluster of 3 masters and 3 replicas is up"

# the master serving KEY's slot, as seen from node PORT
owner() {
	local slot
	slot=$(redis-cli -p "$2" cluster keyslot "$1")
	redis-cli -p "$2" cluster nodes | awk -v s="$slot" '$3 ~ /master/ && $3 !~ /fail/ {
		for (i = 9; i <= NF; i++) { n = split($i, r, "-"); lo = r[1]; hi = n > 1 ? r[2] : r[1]
			if (s >= lo && s <= hi) { split($2, a, "@"); split(a[1], h, ":"); print h[2] } } }'
}
# seeds that start with a master not serving KEY: the first answer is a MOVED
seeds_for() {
	local own list=
	own=$(owner "$1" "${ports[0]}")
	for p in "${ports[@]}"; do [ "$p" = "$own" ] || list+="127.0.0.1:$p,"; done
	echo "${list}127.0.0.1:$own"
}
ids() { # the event ids in stream KEY (read through any live node)
	redis-cli -c -p "$2" --raw XRANGE "$1" - + | grep -o '"id":"flowsad-[^"]*"' | sort
}

"$FLOWSAD" train --window 1m --seed 1 --quiet --alert-quantile 0.5 -o "$T/model" \
	"$DATA/sample.pcap" 2>/dev/null
printf '[alerts]\nsuppress = 0\nmin_score = -100\n' >"$T/all.conf"

seeds=$(seeds_for flowsad:alerts)
check "a replay delivers its alerts through cluster seeds" \
	"$FLOWSAD" run -c "$T/all.conf" -r "$DATA/sample.pcap" -m "$T/model" --redis "$seeds" \
	--spool "$T/spool1" --jsonl "$T/a.jsonl"
cp "$T/check.out" "$T/run1.log"
check "its first seed answered MOVED, and the sink followed it" \
	grep -q "the stream's slot is served by 127.0.0.1:$(owner flowsad:alerts "${ports[0]}")" \
	"$T/run1.log"
n=$(wc -l <"$T/a.jsonl")
check_eq "every alert is in the stream, on the master of its slot" "$n" \
	"$(redis-cli -p "$(owner flowsad:alerts "${ports[0]}")" XLEN flowsad:alerts)"
check_eq "none twice" "$n" "$(ids flowsad:alerts "${ports[0]}" | uniq | wc -l)"

# a master killed mid-run: its replica takes over, the sink finds it
key=flowsad:failover
seeds=$(seeds_for $key)
victim=$(owner $key "${ports[0]}")
"$FLOWSAD" run -c "$T/all.conf" -r "$DATA/sample.pcap" --replay-pps 4000 -m "$T/model" \
	--redis "$seeds" --stream $key --spool "$T/spool2" --jsonl "$T/b.jsonl" 2>"$T/run2.log" &
run_pid=$!
pids+=("$run_pid")
for _ in $(seq 100); do redis-cli -p "$victim" XLEN $key 2>/dev/null | grep -qv '^0$' && break; sleep 0.1; done
kill -9 "$(cat "$T/n$victim/pid")"
wait "$run_pid"
check_eq "a replay survives its stream's master killed mid-run" 0 $?
alive=${ports[0]}
[ "$alive" != "$victim" ] || alive=${ports[1]}
promoted=$(owner $key "$alive")
check "the replica took over the slot" test -n "$promoted" -a "$promoted" != "$victim"
check "the sink saw its master go (and found the new one: no alert lost, below)" \
	grep -q "redis 127.0.0.1:$victim: connection lost" "$T/run2.log"
n=$(grep -o '"id":"flowsad-[^"]*"' "$T/b.jsonl" | sort -u | wc -l)
check "alerts were made before and after the kill ($n)" test "$n" -ge 15
check_eq "no alert lost through the failover" 0 \
	"$(comm -23 <(grep -o '"id":"flowsad-[^"]*"' "$T/b.jsonl" | sort -u) <(ids $key "$alive" | uniq) | wc -l)"
check_eq "none delivered twice" "$(ids $key "$alive" | wc -l)" "$(ids $key "$alive" | uniq | wc -l)"

printf '[redis]\naddress = 127.0.0.1:1,[::1]:2, /run/r.sock\n[spool]\ndir = %s/spool3\n' "$T" \
	>"$T/seeds.conf"
check "check-config takes a list of cluster seeds" "$FLOWSAD" check-config -c "$T/seeds.conf"
printf '[redis]\naddress = 127.0.0.1:1,,127.0.0.1:2\n' >"$T/bad.conf"
check_exit "and names a bad one" 78 "$FLOWSAD" check-config -c "$T/bad.conf"
