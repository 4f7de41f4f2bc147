# BENCH=fleet's faults (sourced by bench/fleet.sh, after
# tests/integration/cluster.bash, with fault_dir set): each run function
# runs one fault and sets result to two figures in milliseconds ("none"
# when one did not come within 60 s). It runs in the bench's shell, so
# that every process started is in pids[] (stopped by cleanup at exit);
# every wait is bounded.
# shellcheck disable=SC2154,SC2034 # fault_dir and T are the bench's; result is its

# fault_conf FILE NAME MODE PREFIX ADDRESS: a sensor's or scorer's file
fault_conf() {
	{
		printf '[window]\nlength = 1m\n[alerts]\nsuppress = 0\nmin_score = -100\n'
		printf '[redis]\naddress = %s\nstream = %s:alerts\n' "$5" "$4"
		printf '[spool]\ndir = %s/spool-%s\n' "$fault_dir" "$2"
		printf '[role]\nmode = %s\nname = %s\nprefix = %s\npartitions = 8\n' "$3" "$2" "$4"
	} >"$1"
}
# ms_since T0_NS: milliseconds since T0_NS (date +%s%N)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
# secs MS|none: MS in seconds, 2 decimals
secs() { [ "$1" = none ] && echo none || printf '%.2f\n' "$(echo "$1 / 1000" | bc -l)"; }
# stop PID SECONDS: SIGTERM, then SIGKILL after SECONDS
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# alert_ips: the source addresses of the alert ids read on stdin, in order
alert_ips() { grep -o '"id":"flowsad-[^"]*"' | sed 's/.*Z-\(.*\)"$/\1/'; }

# takeover_run N SOCKET: two scorers (prefix tkN) and a sensor replaying
# the sample capture at 3000 packets/s over the redis-server at SOCKET; the
# scorer that took every partition first (the other stands by) is
# SIGKILLed once it has scored 2 windows. Prints the ms from the kill until the survivor logged every one
# of the dead one's partitions taken, and until the stream held an alert of
# a source of those partitions.
takeover_run() {
	local n=$1 sock=$2 prefix=tk$1 y1 y2 s t0 dead before took=none alert=none i k got
	local l1=$fault_dir/tk$n-y1.log l2=$fault_dir/tk$n-y2.log
	for i in y1:scorer y2:scorer s:sensor; do
		fault_conf "$fault_dir/tk$n-${i%:*}.conf" "tk$n-${i%:*}" "${i#*:}" "$prefix" "$sock"
	done
	"$BUILD/flowsad" run -c "$fault_dir/tk$n-y1.conf" -m "$fault_dir/model" --jsonl /dev/null \
		2>"$l1" &
	y1=$!
	pids+=("$y1")
	for _ in $(seq 100); do [ "$(grep -c 'partition [0-9]* taken' "$l1")" -ge 8 ] && break; sleep 0.1; done
	"$BUILD/flowsad" run -c "$fault_dir/tk$n-y2.conf" -m "$fault_dir/model" --jsonl /dev/null \
		2>"$l2" &
	y2=$!
	pids+=("$y2")
	for _ in $(seq 200); do grep -q 'this one stands by' "$l2" && break; sleep 0.1; done
	"$BUILD/flowsad" run -c "$fault_dir/tk$n-s.conf" -r tests/data/sample.pcap --replay-pps 3000 \
		2>"$fault_dir/tk$n-s.log" &
	s=$!
	pids+=("$s")
	for _ in $(seq 300); do [ "$(grep -c '^flowsad: window' "$l1")" -ge 2 ] && break; sleep 0.1; done
	# the partitions it holds: taken, and not given to the other since
	dead=$(awk '/scorer: partition [0-9]+ taken/ { h[$4] = 1 }
		/scorer: partition [0-9]+ goes to/ { delete h[$4] }
		END { for (k in h) print k }' "$l1" | sort -n | tr '\n' ' ')
	before=$(redis-cli -s "$sock" XLEN "$prefix:alerts")
	local from
	from=$(wc -l <"$l2")
	kill -9 "$y1"
	t0=$(date +%s%N)
	[ -n "$dead" ] || { result="none none"; stop "$s" 30; stop "$y2" 20; return 0; }
	for _ in $(seq 1200); do # at most 60 s
		if [ "$took" = none ]; then
			got=1
			for k in $dead; do
				tail -n +$((from + 1)) "$l2" | grep -q "scorer: partition $k taken" || { got=0; break; }
			done
			[ "$got" = 1 ] && took=$(ms_since "$t0")
		fi
		if [ "$alert" = none ] && [ "$(redis-cli -s "$sock" XLEN "$prefix:alerts")" -gt "$before" ] &&
			redis-cli -s "$sock" --raw XRANGE "$prefix:alerts" - + | alert_ips |
			tail -n +$((before + 1)) | "$BUILD/bench/partition_of" 8 |
				awk -v d=" $dead" '{ if (index(d, " " $2 " ")) f = 1 } END { exit !f }'; then
			alert=$(ms_since "$t0")
		fi
		[ "$took" != none ] && [ "$alert" != none ] && break
		sleep 0.05
	done
	stop "$s" 30
	stop "$y2" 20
	wait "$y1" 2>/dev/null || true
	result="$took $alert"
}

# master_run N: a scorer given every node of the cluster (ports[]) and a
# sensor replaying the sample capture at 3000 packets/s; the master of
# the alert stream (one with a replica) is SIGKILLed once the stream holds
# an alert. Prints the ms from the kill until another node serves the
# stream's slot, and until the stream holds one more alert. The dead node
# leaves ports[].
master_run() {
	local n=$1 prefix='' victim='' seeds x s t0 before promoted=none alert=none i p alive t_kill
	for i in $(seq 50); do
		victim=$(owner "md$n-$i:alerts" "${ports[0]}")
		has_replica "$victim" && { prefix=md$n-$i; break; }
	done
	[ -n "$prefix" ] || { result="none none"; return 0; }
	seeds=$(printf '127.0.0.1:%s,' "${ports[@]}")
	fault_conf "$fault_dir/md$n-x.conf" "md$n-x" scorer "$prefix" "${seeds%,}"
	fault_conf "$fault_dir/md$n-s.conf" "md$n-s" sensor "$prefix" "${seeds%,}"
	"$BUILD/flowsad" run -c "$fault_dir/md$n-x.conf" -m "$fault_dir/model" --jsonl /dev/null \
		2>"$fault_dir/md$n-x.log" &
	x=$!
	pids+=("$x")
	"$BUILD/flowsad" run -c "$fault_dir/md$n-s.conf" -r tests/data/sample.pcap --replay-pps 3000 \
		2>"$fault_dir/md$n-s.log" &
	s=$!
	pids+=("$s")
	kill_stream_master "$prefix"
	t0=$t_kill
	alive=${ports[0]}
	for _ in $(seq 1200); do # at most 60 s
		if [ "$promoted" = none ]; then
			p=$(owner "$prefix:alerts" "$alive")
			[ -n "$p" ] && [ "$p" != "$victim" ] && promoted=$(ms_since "$t0")
		fi
		[ "$alert" = none ] && [ "$(redis-cli -c -p "$alive" XLEN "$prefix:alerts" 2>/dev/null ||
			echo 0)" -gt "$before" ] 2>/dev/null && alert=$(ms_since "$t0")
		[ "$promoted" != none ] && [ "$alert" != none ] && break
		sleep 0.05
	done
	stop "$s" 60
	stop "$x" 20
	result="$promoted $alert"
}

# median of the figures read on stdin ("none" counts as the largest; none
# when there are none)
median() {
	sed 's/^none$/inf/' | sort -g |
		awk '{ v[NR] = $1 } END { m = NR ? v[int((NR + 1) / 2)] : "inf"; print m == "inf" ? "none" : m }'
}
