#!/usr/bin/env bash
# Many sensors, one detector, over a local Redis Cluster (3 masters, 3
# replicas): the sample capture split in two by flow, each half replayed
# into a sensor of its own, gives a scorer the same samples and alerts as
# one sensor that sees everything; a master killed while they send loses
# nothing; a scorer killed mid-run has its partitions, its last commit and
# its pending entries taken by the one standing by (XAUTOCLAIM), and the
# stream's alerts are one host's; a scorer that joins takes nothing from
# the one scoring, which hands over at once when it stops: each window
# scored once; a sensor killed mid-run is waited for no longer than the
# deadline, and a quiet live sensor not at all (its clock says how far its
# windows are closed);
# the only seed given, a master, killed: the nodes it named stand in for it;
# every node stopped: SIGTERM still ends a sensor and a scorer within 10 s.
# Without a fault, two sensors and a scorer make the samples, history and
# alerts one host makes of the same traffic, whether the sensors see halves
# of it or both see all of it (site mirrors, each counting its home hosts).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/cluster.bash"
start_cluster || exit 0

seeds=$(printf '127.0.0.1:%s,' "${ports[@]}")
seeds=${seeds%,}
"$FLOWSAD" train --window 1m --seed 1 --quiet --alert-quantile 0.5 -o "$T/model" \
	"$DATA/sample.pcap" 2>/dev/null

# the two halves: both directions of a flow in one (the sum of the ports
# is the same both ways); IPv6 and packets without ports in the first
half='(ip[(ip[0]&0xf)*4:2] + ip[(ip[0]&0xf)*4+2:2]) & 1'
tcpdump -r "$DATA/sample.pcap" -w "$T/a.pcap" "not (ip and (tcp or udp)) or ($half = 0)" 2>/dev/null
tcpdump -r "$DATA/sample.pcap" -w "$T/b.pcap" "ip and (tcp or udp) and ($half = 1)" 2>/dev/null

# conf NAME MODE PREFIX [KEY = VALUE lines]: a sensor's or scorer's file
# (SEEDS=...: other cluster seeds than all of them; STREAM=...: another
# prefix's alert stream; SUPPRESS=...: seconds an incident holds repeats back;
# PARTITIONS=...: other than 8)
conf() {
	local f=$T/$1.conf
	printf '[window]\nlength = 1m\n[alerts]\nsuppress = %s\nmin_score = -100\n' "${SUPPRESS:-0}" >"$f"
	printf '[redis]\naddress = %s\nstream = %s:alerts\n' "${SEEDS:-$seeds}" "${STREAM:-$3}" >>"$f"
	printf '[spool]\ndir = %s/spool-%s\n' "$T" "$1" >>"$f"
	printf '[role]\nmode = %s\nname = %s\nprefix = %s\npartitions = %s\n' "$2" "$1" "$3" \
		"${PARTITIONS:-8}" >>"$f"
	shift 3
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$f"
}
# pending PREFIX: entries left in its partition streams (read, or not yet)
pending() {
	local n=0 k
	for k in 0 1 2 3 4 5 6 7; do
		n=$((n + $(redis-cli -c -p "${ports[0]}" XLEN "$1:$k")))
	done
	echo "$n"
}
# settled PREFIX: waits (at most 60 s) until every entry was acknowledged
settled() {
	for _ in $(seq 600); do [ "$(pending "$1")" = 0 ] && return 0; sleep 0.1; done
	return 1
}
# scorer NAME: runs in the background; its pid in $scorer_pid
scorer() {
	"$FLOWSAD" run -c "$T/$1.conf" -m "$T/model" --samples "$T/$1.csv" --jsonl "$T/$1.jsonl" \
		2>"$T/$1.log" &
	scorer_pid=$!
	pids+=("$scorer_pid")
}
# halves A B PPS_A PPS_B: sensors A and B replay a.pcap and b.pcap in the
# background; their pids in $sa_pid and $sb_pid
halves() {
	"$FLOWSAD" run -c "$T/$1.conf" -r "$T/a.pcap" --replay-pps "$3" 2>"$T/$1.log" &
	sa_pid=$!
	"$FLOWSAD" run -c "$T/$2.conf" -r "$T/b.pcap" --replay-pps "$4" 2>"$T/$2.log" &
	sb_pid=$!
	pids+=("$sa_pid" "$sb_pid")
}
ids() { grep -ho '"id":"flowsad-[^"]*"' "$@" | sort; }
# ended PID SECONDS: waits at most SECONDS for PID to end; its exit status,
# or 124 when it was still running (then killed)
ended() {
	for _ in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$1" 2>/dev/null && { kill -9 "$1"; wait "$1"; return 124; }
	wait "$1"
}
stream_ids() {
	redis-cli -c -p "${ports[0]}" --raw XRANGE "$1:alerts" - + | grep -o '"id":"flowsad-[^"]*"' |
		sort
}

# --- one sensor sees everything ---------------------------------------------
mport=$((24000 + RANDOM % 2000))
conf whole sensor f1
conf x1 scorer f1 '[metrics]' "listen = 127.0.0.1:$mport"
check "a sensor sends every window of a replay to the cluster" \
	"$FLOWSAD" run -c "$T/whole.conf" -r "$DATA/sample.pcap" --samples "$T/whole.csv"
cp "$T/check.out" "$T/whole.log"
check "it says how much it sent" grep -q "sensor: 7 windows sent" "$T/whole.log"
waits=0
for p in "${ports[@]}"; do
	n=$(redis-cli -p "$p" info commandstats | sed -n 's/^cmdstat_wait:calls=\([0-9]*\).*/\1/p')
	waits=$((waits + ${n:-0}))
done
check "each entry waited for a replica of its master ($waits WAITs)" test "$waits" -ge 56
scorer x1
check "the scorer merges and scores them all, then acknowledges them" settled f1
curl -sf "http://127.0.0.1:$mport/metrics" >"$T/x1.metrics"
check "its metrics: it holds every partition" grep -qx "flowsad_scorer_partitions 8" "$T/x1.metrics"
check "... read one part a window a partition" grep -qx "flowsad_scorer_parts_total 56" "$T/x1.metrics"
check "... none late, none at the deadline" bash -c "grep -qx 'flowsad_scorer_parts_dropped_total{why=\"late\"} 0' '$T/x1.metrics' && grep -qx 'flowsad_scorer_windows_incomplete_total 0' '$T/x1.metrics'"
check_eq "... each family together, named by the guide, documented" "" "$(python3 \
	"$(dirname "$0")/../tools/metrics-check.py" "$T/x1.metrics" "$(dirname "$0")/../../docs/flowsad.8")"
kill -TERM "$scorer_pid"
wait "$scorer_pid"
check_eq "the scorer's samples are the sensor's" "$(sort "$T/whole.csv" | md5sum)" \
	"$(sort "$T/x1.csv" | md5sum)"
n=$(ids "$T/x1.jsonl" | wc -l)
check "it alerted ($n)" test "$n" -ge 10
check_eq "its alerts are in the cluster's stream, once each" "$(ids "$T/x1.jsonl")" \
	"$(stream_ids f1)"

check "the scorer published its model" grep -q "model in use published to f1:model" "$T/x1.log"
conf x1b scorer f1
"$FLOWSAD" run -c "$T/x1b.conf" -m "$T/fetched.model" --jsonl /dev/null 2>"$T/x1b.log" &
x1b_pid=$!
pids+=("$x1b_pid")
for _ in $(seq 100); do grep -q "in use" "$T/x1b.log" && break; sleep 0.1; done
kill -TERM "$x1b_pid"
wait "$x1b_pid"
check_eq "a scorer without a model takes the one the fleet published" \
	"$(md5sum <"$T/model")" "$(md5sum <"$T/fetched.model")"

# --- two sensors, each half of the flows; a master killed meanwhile ---------
# one sensor and the scorer are given one seed (another node than the
# master killed), as redis-cli -c is: they go back to it, and it names the
# promoted replica; the other sensor is given every node
victim=$(owner f2:0 "${ports[0]}")
one=${ports[0]}
[ "$one" != "$victim" ] || one=${ports[1]}
SEEDS=127.0.0.1:$one conf sa sensor f2
conf sb sensor f2
SEEDS=127.0.0.1:$one conf x2 scorer f2
scorer x2
x2_pid=$scorer_pid
halves sa sb 8000 4000
for _ in $(seq 100); do [ "$(redis-cli -p "$victim" XLEN f2:0)" != 0 ] && break; sleep 0.1; done
kill -9 "$(cat "$T/n$victim/pid")"
wait "$sa_pid"
a=$?
wait "$sb_pid"
check_eq "both sensors finish though a master was killed while they sent (one with one seed)" \
	"0 0" "$a $?"
alive=${ports[0]}
[ "$alive" != "$victim" ] || alive=${ports[1]}
check "its replica took over" test -n "$(owner f2:0 "$alive")" -a "$(owner f2:0 "$alive")" != "$victim"
live=()
for p in "${ports[@]}"; do [ "$p" = "$victim" ] || live+=("$p"); done
ports=("${live[@]}")
check "the scorer merges the halves, then acknowledges them" settled f2
kill -TERM "$x2_pid"
wait "$x2_pid"
check_eq "merged samples equal those of the sensor that saw everything" \
	"$(sort "$T/whole.csv" | md5sum)" "$(sort "$T/x2.csv" | md5sum)"
check_eq "and so do the alerts" "$(ids "$T/x1.jsonl")" "$(ids "$T/x2.jsonl")"
check_eq "none twice in the stream" "$(ids "$T/x1.jsonl")" "$(stream_ids f2)"
check "no window was merged without a part" grep -q " 0 incomplete" "$T/x2.log"

# --- one host or two sensors: the same samples, history and alerts ----------
# (no fault: what the merge makes is what one process counts)
printf '[window]\nlength = 1m\n[alerts]\nsuppress = 0\nmin_score = -100\n[retrain]\n' >"$T/one.conf"
printf 'history_dir = %s/one.history\ninterval = 0\n' "$T" >>"$T/one.conf"
"$FLOWSAD" run -c "$T/one.conf" -m "$T/model" -r "$DATA/sample.pcap" --samples "$T/one.csv" \
	--jsonl "$T/one.jsonl" 2>"$T/one.log"
# alerts of the JSON lines FILE...: id, score, raw score, rank, and its
# incident: id, alerts, repeats held back
scores() { python3 -c 'import json, sys
for f in sys.argv[1:]:
    for line in open(f):
        e = json.loads(line)
        a, i = e["flowsad"], e["flowsad"].get("incident", {})
        if e["event"]["kind"] == "alert":
            print(e["event"]["id"], a["score"], a["raw_score"], a["rank"], i.get("id"),
                  i.get("alerts"), i.get("repeats"))' "$@" | sort; }
# as_one_host N CAPTURE_A CAPTURE_B WHAT [HOME_A HOME_B]: sensors sN{a,b} replay
# the captures into scorer xN (prefix fN), which is stopped once it has
# scored every window; its samples, history and alerts are the one host's
as_one_host() {
	local n=$1
	conf "s${n}a" sensor "f$n" ${5:+"home = $5"}
	conf "s${n}b" sensor "f$n" ${6:+"home = $6"}
	# the sensors named: the merge waits for both, whichever starts first
	conf "x$n" scorer "f$n" "sensors = s${n}a, s${n}b" '[retrain]' \
		"history_dir = $T/x$n.history" 'interval = 0'
	scorer "x$n"
	"$FLOWSAD" run -c "$T/s${n}a.conf" -r "$2" 2>"$T/s${n}a.log" &
	local a_pid=$!
	pids+=("$a_pid")
	"$FLOWSAD" run -c "$T/s${n}b.conf" -r "$3" 2>"$T/s${n}b.log"
	wait "$a_pid"
	check "$4 are merged" settled "f$n"
	# every window scored before the stop: as many sample rows as the one host wrote
	for _ in $(seq 300); do
		[ "$(wc -l <"$T/x$n.csv")" -ge "$(wc -l <"$T/one.csv")" ] && break
		sleep 0.1
	done
	kill -TERM "$scorer_pid"
	wait "$scorer_pid"
	check_eq "... their samples are the one host's, row for row, never doubled" \
		"$(sort "$T/one.csv" | md5sum)" "$(sort "$T/x$n.csv" | md5sum)"
	check_eq "... and so is the history, byte for byte" "$(cat "$T"/one.history/*.hist | md5sum)" \
		"$(cat "$T"/x$n.history/*.hist | md5sum)"
	check_eq "... and the alerts, scores too" "$(scores "$T/one.jsonl")" "$(scores "$T/x$n.jsonl")"
}
as_one_host 8 "$T/a.pcap" "$T/b.pcap" "two sensors' halves"
check "... the history is not empty" bash -c "find '$T/one.history' -name '*.hist' -size +1k | grep -q ."
# two site mirrors, both seeing every packet: each counts the hosts at home
# with it ([role] home), the workstations' site, or the servers' with the uplink
as_one_host 9 "$DATA/sample.pcap" "$DATA/sample.pcap" "two mirrors' overlapping views" \
	"10.77.0.0/24, fe80::/10" "10.77.1.0/24,198.51.100.0/24"
# as the mirrors of two sites see it: the workstations' site its own hosts'
# packets, the servers' site (with the uplink) every packet but those
# between two workstations; the packets between the sites and the
# workstations' to the internet in both views
tcpdump -r "$DATA/sample.pcap" -w "$T/site-a.pcap" \
	"net 10.77.0.0/24 or ip6 or (not ip and not ip6)" 2>/dev/null
tcpdump -r "$DATA/sample.pcap" -w "$T/site-b.pcap" \
	"ip and not (src net 10.77.0.0/24 and dst net 10.77.0.0/24)" 2>/dev/null
as_one_host 10 "$T/site-a.pcap" "$T/site-b.pcap" "two site mirrors' views, crossing traffic in both," \
	"10.77.0.0/24, fe80::/10" "10.77.1.0/24,198.51.100.0/24"

# --- one seed, the alert stream's master SIGKILLed ---------------------------
# one_seed NAME SEED: sensors and a scorer given one node, as redis-cli -c is:
# SEED "master" (the alert stream's master itself: the nodes it named at the
# first connection, CLUSTER SLOTS, stand in for it when it dies) or "alive"
# (another node, which survives: the scorer's alert sink follows MOVED to the
# master, then, without a restart, to the replica promoted in its place).
# Either way the fleet's alerts are those of the run without a fault, once
# each, none left in a spool, the next one delivered within seconds of the
# kill; the messages say which nodes answered
one_seed() {
	local name=$1 prefix= victim= seed= i p
	for i in $(seq 50); do
		victim=$(owner "$name$i:alerts" "${ports[0]}")
		has_replica "$victim" && { prefix=$name$i; break; }
	done
	check "$2 seed: a stream of alerts whose master has a replica" test -n "$prefix"
	seed=$victim
	if [ "$2" = alive ]; then
		for p in "${ports[@]}"; do [ "$p" != "$victim" ] && { seed=$p; break; }; done
	fi
	for i in a:sensor b:sensor x:scorer; do
		SEEDS=127.0.0.1:$seed conf "$name${i%:*}" "${i#*:}" "$prefix"
	done
	scorer "${name}x"
	local x_pid=$scorer_pid
	halves "${name}a" "${name}b" 3000 3000
	local before t_kill delay=none promoted=none now
	kill_stream_master "$prefix"
	for _ in $(seq 300); do
		now=$((($(date +%s%N) - t_kill) / 1000000))
		[ "$promoted" = none ] && [ -n "$(owner "$prefix:alerts" "${ports[0]}")" ] &&
			[ "$(owner "$prefix:alerts" "${ports[0]}")" != "$victim" ] && promoted=$now
		[ "$(redis-cli -c -p "${ports[0]}" XLEN "$prefix:alerts" 2>/dev/null)" -gt "$before" ] \
			2>/dev/null && { delay=$now; break; }
		sleep 0.1
	done
	check "$2 seed: the alert after the master's death is delivered within 15 s ($delay ms; the replica promoted after $promoted ms)" \
		test "$delay" != none -a "${delay/none/99999}" -lt 15000
	ended "$sa_pid" 60
	local a=$?
	ended "$sb_pid" 60
	check_eq "... both sensors finish" "0 0" "$a $?"
	check "... the scorer merges every window, then acknowledges them" settled "$prefix"
	kill -TERM "$x_pid"
	ended "$x_pid" 20
	check_eq "... the samples of the sensor that saw everything" \
		"$(sort "$T/whole.csv" | md5sum)" "$(sort "$T/${name}x.csv" | md5sum)"
	check_eq "... its alerts those of the run without a fault" "$(ids "$T/x1.jsonl")" \
		"$(ids "$T/${name}x.jsonl")"
	check_eq "... each in the stream once" "$(ids "$T/x1.jsonl")" "$(stream_ids "$prefix")"
	check "... the alert sink lost the master and went on without a restart, none left in its spool" \
		bash -c "grep -q 'redis 127.0.0.1:$victim: connection lost' '$T/${name}x.log' &&
		! grep -q 'stay in the spool' '$T/${name}x.log'"
	check "... no window merged without a part" grep -q " 0 incomplete" "$T/${name}x.log"
	local logs=("$T/${name}a.log" "$T/${name}b.log" "$T/${name}x.log")
	check "... a client that found no node to take a command names the dead one and those that answered" \
		grep -Eq "no redis node takes the command on $prefix:[a-z0-9:]+ \([0-9]+ nodes tried, [1-9][0-9]* answered, .*127\.0\.0\.1:$victim Connection refused" \
		"${logs[@]}"
	check "... and never says that no node answers" bash -c "! grep -q 'no redis node answers' ${logs[*]}"
	check "... a lone scorer never says a partition goes to another" \
		bash -c "! grep -q 'goes to' '$T/${name}x.log'"
}
one_seed f6x master
one_seed f6y alive

# --- every node stopped (SIGSTOP): SIGTERM ends a sensor and a scorer ---------
conf x7 scorer f7
conf s7 sensor f7
scorer x7
x7_pid=$scorer_pid
"$FLOWSAD" run -c "$T/s7.conf" -r "$T/a.pcap" --replay-pps 1000 2>"$T/s7.log" &
s7_pid=$!
pids+=("$s7_pid")
for _ in $(seq 300); do grep -q "^flowsad: window" "$T/x7.log" && break; sleep 0.1; done
for p in "${ports[@]}"; do kill -STOP "$(cat "$T/n$p/pid")"; done
# and a sensor that reads fast: its queue of windows fills, its loop waits
conf s7f sensor f7
"$FLOWSAD" run -c "$T/s7f.conf" -r "$DATA/sample.pcap" 2>"$T/s7f.log" &
s7f_pid=$!
pids+=("$s7f_pid")
sleep 3
t0=$(date +%s%N)
kill -TERM "$s7_pid" "$x7_pid" "$s7f_pid"
for _ in $(seq 200); do
	kill -0 "$s7_pid" 2>/dev/null || kill -0 "$x7_pid" 2>/dev/null ||
		kill -0 "$s7f_pid" 2>/dev/null || break
	sleep 0.1
done
took=$((($(date +%s%N) - t0) / 1000000))
kill -9 "$s7_pid" "$x7_pid" "$s7f_pid" 2>/dev/null
for p in "${ports[@]}"; do kill -CONT "$(cat "$T/n$p/pid")"; done
check "two sensors (one with its queue of windows full) and a scorer stop within 10 s of SIGTERM, no Redis node answering ($took ms)" \
	test "$took" -lt 10000
check "... the full one says which windows it could not send" \
	grep -q "not sent (.*): asked to stop while Redis takes no windows" "$T/s7f.log"
check "... the sensor says which nodes it tried, and that it gave up to stop" grep -Eq \
	"no redis node answers \([0-9]+ nodes? tried, .*127\.0\.0\.1:[0-9]+ .*no answer in time.*given up: stopping" \
	"$T/s7.log"
cp "$T/x7.conf" "$T/x7b.conf"
sed -i "s|spool-x7b|spool-x7|" "$T/x7b.conf"
scorer x7b
for _ in $(seq 300); do [ -z "$(ls -A "$T/spool-x7" 2>/dev/null | grep -v '^alerts.spool$')" ] &&
	[ "$(comm -23 <(ids "$T/x7.jsonl" | sort -u) <(stream_ids f7 | sort -u) | wc -l)" = 0 ] && break
	sleep 0.1; done
kill -TERM "$scorer_pid"
ended "$scorer_pid" 20
n=$(ids "$T/x7.jsonl" | wc -l)
check_eq "... the scorer's alerts ($n) all reach the stream once Redis is back: kept in its spool" 0 \
	"$(comm -23 <(ids "$T/x7.jsonl" | sort -u) <(stream_ids f7 | sort -u) | wc -l)"
check_eq "... once each" "$(stream_ids f7 | uniq | wc -l)" "$(stream_ids f7 | wc -l)"

# --- a scorer killed mid-run ------------------------------------------------
# one scorer scores every window, whole; the other stands by. Killed once
# it has scored a few windows, the other goes on from its last commit (the
# sources' memory, the calibration, the open incidents, which hold repeats
# back here) and scores the windows after it again, whole: the stream's
# alerts are one host's, id for id and score for score
printf '[window]\nlength = 1m\n[alerts]\nsuppress = 3600\nmin_score = -100\n' >"$T/held.conf"
# takeover A B PREFIX CAPTURE: scorer A, which takes every partition, and B,
# which stands by, score what a sensor replays of CAPTURE; A is SIGKILLed
# once it has scored 3 windows, B stopped once every entry is acknowledged;
# the stream's alerts in $T/PREFIX.stream (PARTITIONS as conf's)
takeover() {
	local a_pid b_pid s_pid
	SUPPRESS=3600 conf "$1" scorer "$3"
	SUPPRESS=3600 conf "$2" scorer "$3"
	conf "$3s" sensor "$3"
	scorer "$1"
	a_pid=$scorer_pid
	for _ in $(seq 100); do
		grep -q "partition $((${PARTITIONS:-8} - 1)) taken" "$T/$1.log" && break
		sleep 0.1
	done
	scorer "$2"
	b_pid=$scorer_pid
	for _ in $(seq 100); do grep -q "stands by" "$T/$2.log" && break; sleep 0.1; done
	check "a second scorer stands by while the first holds every partition" \
		grep -q "scorer $1 scores the fleet's windows; this one stands by" "$T/$2.log"
	"$FLOWSAD" run -c "$T/$3s.conf" -r "$4" --replay-pps 5000 2>"$T/$3s.log" &
	s_pid=$!
	pids+=("$s_pid")
	for _ in $(seq 300); do [ "$(grep -c '^flowsad: window' "$T/$1.log")" -ge 3 ] && break; sleep 0.1; done
	kill -9 "$a_pid"
	wait "$s_pid"
	check "after a scorer is killed, the other takes its partitions and scores everything" \
		settled "$3"
	kill -TERM "$b_pid"
	wait "$b_pid"
	redis-cli -c -p "${ports[0]}" --raw XRANGE "$3:alerts" - + | grep '^{' >"$T/$3.stream"
}
"$FLOWSAD" run -c "$T/held.conf" -m "$T/model" -r "$DATA/sample.pcap" --jsonl "$T/held.jsonl" \
	2>/dev/null
takeover y1 y2 f3 "$DATA/sample.pcap"
check "the scorer that took the partitions over took its sources' memory" \
	grep -Eq "partition [0-9]+: the memory of [0-9]+ sources taken over" "$T/y2.log"
check "... and its calibration and open incidents" \
	grep -q "the calibration and open incidents after window .* taken over" "$T/y2.log"
n=$(scores "$T/held.jsonl" | wc -l)
check_eq "the stream's alerts are one host's ($n): ids, scores, ranks, incidents" \
	"$(scores "$T/held.jsonl")" "$(scores "$T/f3.stream")"
# (an alert the killed one wrote to its JSON lines, but whose XADD it did
# not live to send, is in both scorers' lines: the same)
check_eq "... and so are the scorers' JSON lines" "$(scores "$T/held.jsonl")" \
	"$(scores "$T/y1.jsonl" "$T/y2.jsonl" | uniq)"
# a source is new (host first_seen) in its first window only, as for one
# scorer: none of the alerts after it calls it new
new_later() { python3 -c 'import csv, json, sys
first = {}
for r in csv.DictReader(open(sys.argv[1])):
    t = r["window_start"]
    first[r["src_ip"]] = min(first.get(r["src_ip"], t), t)
for f in sys.argv[2:]:
    for line in open(f):
        a = json.loads(line)
        if a["event"]["kind"] == "alert" and first[a["source"]["ip"]] < a["event"]["start"] and \
                any(e["feature"] == "host first_seen" and e["value"] > 0
                    for e in a["flowsad"]["explanation"]):
            print(a["event"]["start"], a["source"]["ip"])' "$@"; }
check_eq "... and went on with it: no source is new to it after its first window" "" \
	"$(new_later "$T/whole.csv" "$T/y1.jsonl" "$T/y2.jsonl")"
check "the entries the killed one read and never acknowledged were claimed" \
	grep -q "entries claimed that were read and never acknowledged" "$T/y2.log"
check_eq "every sample was scored (by one or the other)" "$(sort -u "$T/whole.csv" | md5sum)" \
	"$(sort -u "$T/y1.csv" "$T/y2.csv" | md5sum)"
check_eq "no alert twice in the stream" "$(stream_ids f3 | uniq | wc -l)" "$(stream_ids f3 | wc -l)"
# the same windows scored again into that stream, by a scorer that cannot
# know what the others sent (as when a scorer joining or taking over reads
# entries another still works on, or one thought dead sends late): each
# alert is added once, whoever sends it (a window's set beside the stream)
n=$(stream_ids f3 | wc -l)
STREAM=f3 conf y3 scorer f3b
conf whole3b sensor f3b
scorer y3
"$FLOWSAD" run -c "$T/whole3b.conf" -r "$DATA/sample.pcap" 2>"$T/s3b.log"
check "a window scored a second time" settled f3b
kill -TERM "$scorer_pid"
wait "$scorer_pid"
again=$(comm -12 <(ids "$T/y3.jsonl" | sort -u) <(ids "$T/y1.jsonl" "$T/y2.jsonl" | sort -u) | wc -l)
check "... alerts again ($again) what the first scorers alerted" test "$again" -gt 0
check_eq "... none added twice: the stream's $n alerts and the new ones, once each" \
	"$(ids "$T/y1.jsonl" "$T/y2.jsonl" "$T/y3.jsonl" | uniq | wc -l)" "$(stream_ids f3 | wc -l)"
check "... it says so" grep -q "an alert was in the stream already" "$T/y3.log"

# --- a scorer killed mid-run, many sources -----------------------------------
# the same over a synthetic capture of 3,000 sources and 2 partitions: a
# window's memory of a partition takes many HSETs, and the taker reads it all
"$(dirname "$FLOWSAD")/bench/gen_pcap" "$T/many.pcap" 40000 3000 zipf 133 >/dev/null
"$FLOWSAD" run -c "$T/held.conf" -m "$T/model" -r "$T/many.pcap" --jsonl "$T/many.jsonl" 2>/dev/null
PARTITIONS=2 takeover y4 y5 f12 "$T/many.pcap"
check "... with the memory of hundreds of sources a partition" \
	grep -Eq "partition 1: the memory of [0-9]{3,} sources taken over" "$T/y5.log"
n=$(scores "$T/many.jsonl" | wc -l)
check_eq "... and the stream's alerts are one host's ($n)" "$(scores "$T/many.jsonl")" \
	"$(scores "$T/f12.stream")"

# --- a scorer joins, then the one scoring stops: each window scored once -----
# a scorer that joins while windows are on their way takes none from the
# one that scores them (it stands by), and one that stops cleanly hands the
# rest over at once: each window is scored once, whole, by one of them, and
# together their samples, history and alerts are the one host's
for i in h1 h2; do
	conf "$i" scorer f11 '[retrain]' "history_dir = $T/$i.history" 'interval = 0'
done
conf s11 sensor f11
scorer h1
h1_pid=$scorer_pid
for _ in $(seq 100); do grep -q "partition 7 taken" "$T/h1.log" && break; sleep 0.1; done
"$FLOWSAD" run -c "$T/s11.conf" -r "$DATA/sample.pcap" --replay-pps 5000 2>"$T/s11.log" &
s11_pid=$!
pids+=("$s11_pid")
for _ in $(seq 300); do grep -q "^flowsad: window" "$T/h1.log" && break; sleep 0.1; done
scorer h2
h2_pid=$scorer_pid
for _ in $(seq 300); do [ "$(grep -c '^flowsad: window' "$T/h1.log")" -ge 3 ] && break; sleep 0.1; done
kill -TERM "$h1_pid"
wait "$h1_pid"
wait "$s11_pid"
check "a scorer that joins stands by, and takes over from one that stops" settled f11
# both scorers' sample rows, under one header
rows() { cat "$T/h1.csv"; tail -n +2 "$T/h2.csv"; }
for _ in $(seq 300); do [ "$(rows | wc -l)" -ge "$(wc -l <"$T/one.csv")" ] && break; sleep 0.1; done
kill -TERM "$h2_pid"
wait "$h2_pid"
check "... each scored windows ($(grep -c '^flowsad: window' "$T/h1.log") and $(grep -c \
	'^flowsad: window' "$T/h2.log"))" grep -q "^flowsad: window" "$T/h1.log" "$T/h2.log"
check_eq "... each window once: their samples are the one host's, row for row" \
	"$(sort "$T/one.csv" | md5sum)" "$(rows | sort | md5sum)"
check_eq "... and so are their histories, byte for byte" "$(cat "$T"/one.history/*.hist | md5sum)" \
	"$(cat "$T"/h1.history/*.hist "$T"/h2.history/*.hist | md5sum)"
check_eq "... and their JSON lines, each alert in one" "$(scores "$T/one.jsonl")" \
	"$(scores "$T/h1.jsonl" "$T/h2.jsonl")"
redis-cli -c -p "${ports[0]}" --raw XRANGE f11:alerts - + | grep '^{' >"$T/f11.stream"
check_eq "... and the stream's alerts" "$(scores "$T/one.jsonl")" "$(scores "$T/f11.stream")"

# --- a sensor killed mid-run ------------------------------------------------
conf z1 scorer f4 'deadline = 3s'
conf sc sensor f4
conf sd sensor f4
scorer z1
"$FLOWSAD" run -c "$T/sc.conf" -r "$T/a.pcap" --replay-pps 2000 2>"$T/sc.log" &
sc_pid=$!
"$FLOWSAD" run -c "$T/sd.conf" -r "$T/b.pcap" --replay-pps 2000 2>"$T/sd.log" &
sd_pid=$!
pids+=("$sc_pid" "$sd_pid")
for _ in $(seq 200); do grep -q "^flowsad: window" "$T/z1.log" && break; sleep 0.1; done
kill -9 "$sc_pid"
wait "$sd_pid"
check "the scorer goes on with the other sensor" settled f4
sleep 4
kill -TERM "$scorer_pid"
wait "$scorer_pid"
check "and says the killed one went silent" grep -q "sensor sc has said nothing" "$T/z1.log"
check "it scored windows after the kill" test "$(grep -c '^flowsad: window' "$T/z1.log")" -ge 5

# --- a quiet live sensor: its clock closes windows, nobody waits for it ------
conf q1 scorer f5
conf qa sensor f5 '[capture]' 'interface = lo' 'workers = 2' 'filter = udp port 9' '[model]' \
	"path = $T/model"
conf qb sensor f5
"$FLOWSAD" run -c "$T/qa.conf" 2>"$T/qa.log" &
qa_pid=$!
pids+=("$qa_pid")
scorer q1
for _ in $(seq 100); do grep -q "partition 7 taken" "$T/q1.log" && break; sleep 0.1; done
for _ in $(seq 100); do grep -q "sensor qa:" "$T/qa.log" && break; sleep 0.1; done
sleep 1 # its signals are watched once it runs
sed -i 's/^mode = sensor/mode = scorer/' "$T/qa.conf"
kill -HUP "$qa_pid"
sleep 2 # the live sensor has said how far its windows are closed
check "a sensor reloads (SIGHUP) without taking a model or another role" \
	grep -q "mode = scorer takes effect at the next start; this run stays a sensor" "$T/qa.log"
t0=$(date +%s)
"$FLOWSAD" run -c "$T/qb.conf" -r "$DATA/sample.pcap" 2>"$T/qb.log"
check "beside a quiet live sensor (capture workers), a replay's windows are merged" settled f5
waited=$(($(date +%s) - t0))
kill -TERM "$qa_pid" "$scorer_pid"
wait "$qa_pid"
check_eq "... and stops cleanly after it" 0 $?
wait "$scorer_pid"
check "at once: not after the deadline ($waited s)" test "$waited" -lt 20
check_eq "all of them" 7 "$(grep -c '^flowsad: window' "$T/q1.log")"
check "none at the deadline" grep -q " 0 incomplete" "$T/q1.log"

# --- check-config -----------------------------------------------------------
check "check-config names a sensor's role" "$FLOWSAD" check-config -c "$T/sa.conf"
cp "$T/check.out" "$T/sa-check.out"
check "... and its partitions" grep -q "a sensor of 8 partitions (f2:\*)" "$T/sa-check.out"
printf '[role]\nmode = scorer\n' >"$T/alone.conf"
check_exit "a scorer without [redis] address is refused" 78 "$FLOWSAD" check-config -c "$T/alone.conf"
check "... saying why" grep -q "mode = scorer: needs \[redis\] address" "$T/exit.out"
printf '[role]\nmode = detector\n' >"$T/bad.conf"
check_exit "an unknown role is refused" 78 "$FLOWSAD" check-config -c "$T/bad.conf"
check "... naming the roles" grep -q "one of single, sensor, scorer" "$T/exit.out"
