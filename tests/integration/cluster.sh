#!/usr/bin/env bash
# Redis Cluster: a local cluster of 3 masters and 3 replicas on private
# ports (redis-server --cluster-enabled yes, redis-cli --cluster create).
# The alert sink, given seeds of which the first does not hold the
# stream's slot, follows MOVED to the master that does, and given one seed
# it still waits for the master's replica, but not for one that hangs; a
# master killed mid-run is replaced by its replica and every alert still
# arrives once.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/cluster.bash"
start_cluster || exit 0

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
check_eq "none twice" "$(grep -c '"kind":"alert"' "$T/a.jsonl")" \
	"$(ids flowsad:alerts "${ports[0]}" | uniq | wc -l)"

# one seed that does not serve the stream: the sink still learns that the
# stream's master has a replica (INFO at each connection), and each alert
# waits for it (WAIT) before it leaves the spool
waits() { # the WAITs node PORT was sent so far
	local n
	n=$(redis-cli -p "$1" info commandstats | sed -n 's/^cmdstat_wait:calls=\([0-9]*\).*/\1/p')
	echo "${n:-0}"
}
key=flowsad:oneseed-wait
own=$(owner $key "${ports[0]}")
seed=${ports[0]}
[ "$seed" != "$own" ] || seed=${ports[1]}
before=$(waits "$own")
check "one seed: a replay delivers its alerts" \
	"$FLOWSAD" run -c "$T/all.conf" -r "$DATA/sample.pcap" -m "$T/model" \
	--redis "127.0.0.1:$seed" --stream $key --spool "$T/spool5" --jsonl /dev/null
check_eq "... each waited for a replica of the stream's master" \
	"$(redis-cli -p "$own" XLEN $key)" "$(($(waits "$own") - before))"

# a replica that hangs (SIGSTOPped: its master counts it connected until
# repl-timeout): one WAIT runs out, then INFO says the replica is not in step
# and no alert waits for it; the replay's alerts all reach the stream before
# it ends (when each waited out the command timeout, 21 of 30 stayed in the
# spool)
key=flowsad:hung-replica
own=$(owner $key "${ports[0]}")
hung=$(replica_of "$own")
"$FLOWSAD" run -c "$T/all.conf" -r "$DATA/sample.pcap" --replay-pps 4000 -m "$T/model" \
	--redis "127.0.0.1:$own" --stream $key --spool "$T/spool6" --jsonl "$T/d.jsonl" \
	2>"$T/run6.log" &
run_pid=$!
pids+=("$run_pid")
for _ in $(seq 100); do redis-cli -p "$own" XLEN $key | grep -qv '^0$' && break; sleep 0.1; done
kill -STOP "$(cat "$T/n$hung/pid")"
t0=$(date +%s)
wait "$run_pid"
rc=$?
took=$(($(date +%s) - t0))
kill -CONT "$(cat "$T/n$hung/pid")"
check_eq "a replay goes on while the replica of its stream's master hangs" 0 "$rc"
check "... in time: not a command timeout an alert ($took s)" test "$took" -lt 16
check "... nothing left in the spool" bash -c "! grep -q 'stay in the spool' '$T/run6.log'"
check_eq "... every alert in the stream, once" \
	"$(grep -o '"id":"flowsad-[^"]*"' "$T/d.jsonl" | sort -u)" "$(ids $key "$own")"
for _ in $(seq 100); do synced && break; sleep 0.1; done

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

# one seed, as redis-cli -c is given one node: the sink follows MOVED to
# the stream's master; when that master is killed, the sink goes back to
# its seed, which names the promoted replica, and every alert arrives once
# before the run ends (none left in the spool)
key=
for i in $(seq 50); do
	victim=$(owner "flowsad:oneseed:$i" "$alive")
	has_replica "$victim" && { key=flowsad:oneseed:$i; break; }
done
seed=
for p in "${ports[@]}"; do
	[ "$p" != "$victim" ] && redis-cli -p "$p" ping >/dev/null 2>&1 && { seed=$p; break; }
done
check "a stream whose master has a replica, and one other node as the seed" \
	test -n "$key" -a -n "$seed"
"$FLOWSAD" run -c "$T/all.conf" -r "$DATA/sample.pcap" --replay-pps 4000 -m "$T/model" \
	--redis "127.0.0.1:$seed" --stream "$key" --spool "$T/spool4" --jsonl "$T/c.jsonl" \
	2>"$T/run3.log" &
run_pid=$!
pids+=("$run_pid")
for _ in $(seq 100); do redis-cli -p "$victim" XLEN "$key" 2>/dev/null | grep -qv '^0$' && break; sleep 0.1; done
kill -9 "$(cat "$T/n$victim/pid")"
wait "$run_pid"
check_eq "one seed: the replay survives its stream's master killed mid-run" 0 $?
check "... the sink followed MOVED from its seed to the master" \
	grep -q "the stream's slot is served by 127.0.0.1:$victim" "$T/run3.log"
check "... and saw it go" grep -q "redis 127.0.0.1:$victim: connection lost" "$T/run3.log"
check "... no alert was left in the spool for the next start" \
	bash -c "! grep -q 'stay in the spool' '$T/run3.log'"
n=$(grep -o '"id":"flowsad-[^"]*"' "$T/c.jsonl" | sort -u | wc -l)
check "... alerts were made before and after the kill ($n)" test "$n" -ge 15
check_eq "... every alert is in the stream" 0 \
	"$(comm -23 <(grep -o '"id":"flowsad-[^"]*"' "$T/c.jsonl" | sort -u) <(ids "$key" "$seed" | uniq) |
		wc -l)"
check_eq "... once" "$(ids "$key" "$seed" | wc -l)" "$(ids "$key" "$seed" | uniq | wc -l)"

printf '[redis]\naddress = 127.0.0.1:1,[::1]:2, /run/r.sock\n[spool]\ndir = %s/spool3\n' "$T" \
	>"$T/seeds.conf"
check "check-config takes a list of cluster seeds" "$FLOWSAD" check-config -c "$T/seeds.conf"
printf '[redis]\naddress = 127.0.0.1:1,,127.0.0.1:2\n' >"$T/bad.conf"
check_exit "and names a bad one" 78 "$FLOWSAD" check-config -c "$T/bad.conf"
