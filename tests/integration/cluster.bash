# A local Redis Cluster for the suites that need one (sourced after
# lib.bash): 3 masters and 3 replicas on private ports, stopped at exit.
# start_cluster sets ports[] (the first three start as masters) and says
# whether the cluster is up; owner KEY PORT names the master of KEY's slot,
# has_replica PORT says whether that master has a live replica, replica_of PORT
# names one.

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for f in "$T"/n*/pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

up() { redis-cli -p "$1" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }
synced() { # every replica has its master's data
	for p in "${ports[@]}"; do
		redis-cli -p "$p" info replication | grep -q 'role:slave' || continue
		redis-cli -p "$p" info replication | grep -q 'master_link_status:up' || return 1
	done
}

# start_cluster: ok, or not ok and a non-zero status
start_cluster() {
	# client and cluster-bus ports (+10000) below the kernel's ephemeral range
	local base=$((20000 + RANDOM % 2000)) i p
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
	for _ in $(seq 100); do up "${ports[0]}" && break; sleep 0.1; done
	if ! up "${ports[0]}"; then
		not_ok "a local Redis Cluster (3 masters, 3 replicas) cannot be created" \
			"$(tail -3 "$T/create.log")"
		return 1
	fi
	for _ in $(seq 100); do synced && break; sleep 0.1; done
	ok "a local Redis Cluster of 3 masters and 3 replicas is up"
}

# the master serving KEY's slot, as seen from node PORT
owner() {
	local slot
	slot=$(redis-cli -p "$2" cluster keyslot "$1")
	redis-cli -p "$2" cluster nodes | awk -v s="$slot" '$3 ~ /master/ && $3 !~ /fail/ {
		for (i = 9; i <= NF; i++) { n = split($i, r, "-"); lo = r[1]; hi = n > 1 ? r[2] : r[1]
			if (s >= lo && s <= hi) { split($2, a, "@"); split(a[1], h, ":"); print h[2] } } }'
}

# the port of a live replica of master PORT (nothing when it has none)
replica_of() {
	local id
	id=$(redis-cli -p "$1" cluster myid)
	redis-cli -p "$1" cluster nodes | awk -v id="$id" '$3 ~ /slave/ && $3 !~ /fail/ && $4 == id {
		split($2, a, "@"); n = split(a[1], h, ":"); print h[n]; exit }'
}
# whether node PORT is a master with a live replica
has_replica() { [ -n "$(replica_of "$1")" ]; }
# kill_stream_master PREFIX: once node $victim's stream PREFIX:alerts holds an
# entry (30 s at most), SIGKILLs it and takes it out of ports; sets before
# (the stream's length then) and t_kill (the kill's time, ns): the caller's
# shellcheck disable=SC2034,SC2154
kill_stream_master() {
	for _ in $(seq 300); do
		[ "$(redis-cli -p "$victim" XLEN "$1:alerts" 2>/dev/null)" != 0 ] && break
		sleep 0.1
	done
	before=$(redis-cli -p "$victim" XLEN "$1:alerts")
	kill -9 "$(cat "$T/n$victim/pid")"
	t_kill=$(date +%s%N)
	local live=() p
	for p in "${ports[@]}"; do [ "$p" = "$victim" ] || live+=("$p"); done
	ports=("${live[@]}")
}
