#!/usr/bin/env bash
# Redis Sentinel: a master, its replica and three sentinels on private
# ports. The alert sink, given "sentinel:NAME@SENTINELS", asks them for the
# master; when the master is killed mid-run the sentinels promote the
# replica, the sink asks again, and every alert arrives once. A sensor and a
# scorer find the master the same way.
. "$(dirname "$0")/lib.bash"

cleanup() {
	for f in "$T"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
	[ -n "${run_pid:-}" ] && kill -9 "$run_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

base=$((22000 + RANDOM % 2000))
master=$base replica=$((base + 1))
server() { # PORT [ARGS...]: a redis-server in the background, its pid in $T/PORT.pid
	local p=$1; shift
	redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" \
		--logfile "$T/$p.log" --daemonize yes --pidfile "$T/$p.pid" "$@"
	for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && return; sleep 0.1; done
}
server "$master"
server "$replica" --replicaof 127.0.0.1 "$master"
sentinels=
for i in 2 3 4; do
	p=$((base + i))
	printf 'port %d\nbind 127.0.0.1\nsentinel monitor alerts 127.0.0.1 %d 2\n' "$p" "$master" >"$T/s$p.conf"
	printf 'sentinel down-after-milliseconds alerts 1000\nsentinel failover-timeout alerts 4000\n' \
		>>"$T/s$p.conf"
	redis-server "$T/s$p.conf" --sentinel --daemonize yes --pidfile "$T/$p.pid" --logfile "$T/$p.log" \
		--dir "$T"
	sentinels+="127.0.0.1:$p,"
done
sentinels=${sentinels%,}
ready() { # the replica synced, and every sentinel knows it and the two others
	redis-cli -p "$replica" info replication | grep -q 'master_link_status:up' || return 1
	for i in 2 3 4; do
		redis-cli -p $((base + i)) sentinel master alerts 2>/dev/null |
			awk 'p {print; exit} $0 == "num-other-sentinels" {p = 1}' | grep -qx 2 || return 1
		redis-cli -p $((base + i)) sentinel replicas alerts 2>/dev/null | grep -q "$replica" ||
			return 1
	done
}
for _ in $(seq 150); do ready && break; sleep 0.1; done
if ! ready; then
	not_ok "a master, a replica and three sentinels cannot be set up"
	exit 0
fi
ok "a master, its replica and three sentinels are up"

"$FLOWSAD" train --window 1m --seed 1 --quiet --alert-quantile 0.5 -o "$T/model" \
	"$DATA/sample.pcap" 2>/dev/null
printf '[alerts]\nsuppress = 0\nmin_score = -100\n' >"$T/all.conf"
"$FLOWSAD" run -c "$T/all.conf" -r "$DATA/sample.pcap" --replay-pps 4000 -m "$T/model" \
	--redis "sentinel:alerts@$sentinels" --spool "$T/spool" --jsonl "$T/a.jsonl" 2>"$T/run.log" &
run_pid=$!
for _ in $(seq 150); do redis-cli -p "$master" XLEN flowsad:alerts | grep -qv '^0$' && break; sleep 0.1; done
kill -9 "$(cat "$T/$master.pid")"
wait "$run_pid"
check_eq "a replay survives its master killed mid-run" 0 $?
run_pid=
check "the sentinels named the master first" grep -q "master alerts is 127.0.0.1:$master" "$T/run.log"
check "and the promoted replica after the kill" grep -q "master alerts is 127.0.0.1:$replica" "$T/run.log"
ids() { redis-cli -p "$replica" --raw XRANGE flowsad:alerts - + | grep -o '"id":"flowsad-[^"]*"' | sort; }
n=$(grep -o '"id":"flowsad-[^"]*"' "$T/a.jsonl" | sort -u | wc -l)
check "alerts were made before and after the kill ($n)" test "$n" -ge 15
check_eq "no alert lost through the failover" 0 \
	"$(comm -23 <(grep -o '"id":"flowsad-[^"]*"' "$T/a.jsonl" | sort -u) <(ids | uniq) | wc -l)"
check_eq "none delivered twice" "$(ids | wc -l)" "$(ids | uniq | wc -l)"
printf '[redis]\naddress = sentinel:alerts@127.0.0.1:1\n[spool]\ndir = %s/spool2\n' "$T" >"$T/s.conf"
check "check-config takes sentinel:NAME@ADDRESSES" "$FLOWSAD" check-config -c "$T/s.conf"

# a sensor and a scorer find the master (the promoted replica now) through the sentinels
for role in sensor scorer; do
	printf '[window]\nlength = 1m\n[redis]\naddress = sentinel:alerts@%s\nstream = fleet:alerts\n' \
		"$sentinels" >"$T/$role.conf"
	printf '[spool]\ndir = %s/spool-%s\n[role]\nmode = %s\nname = %s-1\n' "$T" "$role" "$role" \
		"$role" >>"$T/$role.conf"
done
check "a sensor sends its windows to the master the sentinels name" \
	"$FLOWSAD" run -c "$T/sensor.conf" -r "$DATA/sample.pcap" --samples "$T/sensor.csv"
"$FLOWSAD" run -c "$T/scorer.conf" -m "$T/model" --samples "$T/scorer.csv" --jsonl /dev/null \
	2>"$T/scorer.log" &
run_pid=$!
for _ in $(seq 300); do [ "$(grep -c '^flowsad: window' "$T/scorer.log")" -ge 7 ] && break; sleep 0.1; done
kill -TERM "$run_pid"
wait "$run_pid"
run_pid=
check_eq "a scorer reads and merges them there: the sensor's samples" \
	"$(sort "$T/sensor.csv" | md5sum)" "$(sort "$T/scorer.csv" | md5sum)"
