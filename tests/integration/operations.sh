#!/usr/bin/env bash
# Operations: cold start, retraining with hot swap, a failed training,
# analysts' feedback, systemd notification, SIGKILL and restart, metrics,
# dropping root, and the unit's hardening.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
unit=$(cd "$(dirname "$0")/../../systemd" && pwd)/flowsad.service
pcap=$DATA/sample.pcap

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	local end=$((SECONDS + $1)); shift
	until "$@" 2>/dev/null; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done
}
# window,model_id of every alert of a JSON-lines file, in order
alert_models() { # the alerts' window and model (an incident's end names no model)
	python3 -c 'import json, sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    if a["event"]["kind"] == "alert":
        print(a["event"]["start"] + "," + a["flowsad"]["model_id"])' "$1"
}
model_id() { "$FLOWSAD" model "$1" | awk '$1 == "id" {print $2}'; }
port() { echo $((20000 + RANDOM % 30000)); }

mkdir -p "$T/redis"
redis-server --port 0 --unixsocket "$T/redis/sock" --dir "$T/redis" --save '' --appendonly no \
	--logfile "$T/redis/log" &
pids+=($!)
wait_for 5 redis-cli -s "$T/redis/sock" ping >/dev/null
# These tests follow models through many alerts: thresholds at the median of
# the training scores (the retrainings' too), no floor, no suppression.
"$FLOWSAD" train --window 1m --seed 1 --quiet --alert-quantile 0.5 -o "$T/m0" "$pcap" 2>/dev/null
m0=$(model_id "$T/m0")
printf '[alerts]\nsuppress = 0\nmin_score = -100\n' >"$T/all.conf"

# --- cold start: learning, then a first model, then alerts -------------------------------------
cat >"$T/cold.conf" <<EOF
[window]
length = 1m
[model]
path = $T/cold.model
[alerts]
suppress = 0
min_score = -100
[retrain]
history_dir = $T/history
min_windows = 3
alert_quantile = 0.5
EOF
python3 "$tools/notify-listener.py" "$T/cold.notify" "$T/cold.msgs" 30 &
pids+=($!)
wait_for 5 test -S "$T/cold.notify"
# (paced to about 20 s: a window closes every 3 s, time for the trainings in between)
NOTIFY_SOCKET=$T/cold.notify "$FLOWSAD" run -c "$T/cold.conf" -r "$pcap" --replay-pps 2000 \
	--jsonl "$T/cold.jsonl" 2>"$T/cold.log" &
run_pid=$!
pids+=("$run_pid")
wait "$run_pid"
check_eq "cold start: the replay ends normally" 0 $?
check "it reports learning progress" grep -q "learning (2 of 3 windows)" "$T/cold.log"
check "the first model is trained once the history holds 3 windows" \
	grep -q "retrained in .* on 75 samples" "$T/cold.log"
check "the young model is trained again once the history has doubled" \
	grep -q "the history has grown to 6 windows since the first model" "$T/cold.log"
check "the model was written" test -s "$T/cold.model"
first=$(head -1 "$T/cold.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event"]["start"])')
check "alerts follow, from the first window after the model ($first)" \
	test "$first" '>' "2026-11-29T11:09:00Z"
check "STATUS told systemd it was learning" grep -Eq "^STATUS=.*learning [0-2]/3 windows" "$T/cold.msgs"
check "and later the model in use" grep -q "^STATUS=.*model $(model_id "$T/cold.model") age" "$T/cold.msgs"

# --- a history beside a model: the windows are the model's; a cold start alone needs a length ----
cat >"$T/warm.conf" <<EOF
[netflow]
listen = 127.0.0.1:$(port)
[model]
path = $T/m0
[retrain]
history_dir = $T/warm-history
EOF
check "check-config: a model file and a history need no [window] length" \
	"$FLOWSAD" check-config -c "$T/warm.conf"
"$FLOWSAD" run -c "$T/warm.conf" --jsonl /dev/null 2>"$T/warm.log" &
warm_pid=$!
pids+=("$warm_pid")
wait_for 10 grep -q "in use:" "$T/warm.log"
check "run starts with them, in the model's windows" \
	grep -q "model $m0 in use: .* windows of 60 s" "$T/warm.log"
kill -TERM "$warm_pid"
wait "$warm_pid"
check_eq "... and stops cleanly" 0 $?
sed "s|^path = .*|path = $T/none.model|" "$T/warm.conf" >"$T/cold-nolength.conf"
check_exit "without the model file (a cold start) run wants [window] length" 78 \
	"$FLOWSAD" run -c "$T/cold-nolength.conf" --jsonl /dev/null
check "... and says why" grep -q "a cold start (no model at $T/none.model yet.*needs \[window\] length" \
	"$T/exit.out"
check_exit "check-config says the same" 78 "$FLOWSAD" check-config -c "$T/cold-nolength.conf"
check "... naming the key" grep -q "\[window\] length: a cold start" "$T/exit.out"
printf '[window]\nlength = 1m\n' >>"$T/cold-nolength.conf"
check_exit "with a length check-config takes the cold start (no model file yet)" 0 \
	"$FLOWSAD" check-config -c "$T/cold-nolength.conf"
check "... and says it is one" grep -q "a cold start: no model yet" "$T/exit.out"

# --- retraining during a replay: swapped between windows --------------------------------------
cp "$T/m0" "$T/swap.model"
cat >"$T/swap.conf" <<EOF
[model]
path = $T/swap.model
[alerts]
suppress = 0
min_score = -100
[retrain]
history_dir = $T/history
min_windows = 1
interval = 1s
alert_quantile = 0.5
EOF
check "a replay with retraining every second" "$FLOWSAD" run -c "$T/swap.conf" -r "$pcap" \
	--replay-pps 6000 --jsonl "$T/swap.jsonl"
cp "$T/check.out" "$T/swap.log"
check_eq "every window is scored once" 7 \
	"$(grep -o '^flowsad: window [^:]*:[0-9:]*Z: [0-9]* samples, ' "$T/swap.log" | sort -u | wc -l)"
check_eq "no window twice" 7 "$(grep -c '^flowsad: window .* alerts' "$T/swap.log")"
alert_models "$T/swap.jsonl" >"$T/swap.models"
check "it retrained" grep -q "retrained in" "$T/swap.log"
check_eq "the first alerts carry the starting model" "$m0" "$(head -1 "$T/swap.models" | cut -d, -f2)"
# (a retraining that ends as the replay does may write its model unused)
new=$(grep -v ",$m0\$" "$T/swap.models" | head -1 | cut -d, -f2)
check "later alerts carry a new model (${new:-none})" test -n "$new"
check "the model file holds a retrained model" test "$(model_id "$T/swap.model")" != "$m0"
check "a window's alerts all come from one model" \
	test "$(sort -u "$T/swap.models" | cut -d, -f1 | uniq -d | wc -l)" -eq 0
check "once swapped the old model never comes back" python3 - "$T/swap.models" "$m0" <<'PY'
import sys
ids = [l.strip().split(",")[1] for l in open(sys.argv[1])]
first_new = next(i for i, m in enumerate(ids) if m != sys.argv[2])
assert sys.argv[2] not in ids[first_new:]
PY

# --- a training that fails keeps the running model -------------------------------------------
cp "$T/m0" "$T/fail.model"
sed -e "s|$T/swap.model|$T/fail.model|" "$T/swap.conf" >"$T/fail.conf"
printf 'lr = 1e30\n' >>"$T/fail.conf"
check_exit "a replay whose retraining diverges" 0 "$FLOWSAD" run -c "$T/fail.conf" -r "$pcap" \
	--replay-pps 8000 --jsonl "$T/fail.jsonl"
check "the failure is reported" grep -q "retraining failed .*not finite; the running model stays" \
	"$T/exit.out"
check "every alert carries the old model" \
	test "$(alert_models "$T/fail.jsonl" | cut -d, -f2 | sort -u)" = "$m0"
check "the model file is unchanged" cmp "$T/m0" "$T/fail.model"

# --- analysts' feedback: a source marked normal stops alerting --------------------------------
mkdir -p "$T/fb"
printf '[window]\nlength = 1m\n[model]\npath = %s\n[retrain]\nhistory_dir = %s\nmin_windows = 1000\n' \
	"$T/fb/model" "$T/fb/history" >"$T/fb/learn.conf"
"$FLOWSAD" run -c "$T/fb/learn.conf" -r "$pcap" --jsonl /dev/null 2>/dev/null
for variant in without with; do
	rm -f "$T/fb/model"
	redis-cli -s "$T/redis/sock" del flowsad:feedback >/dev/null
	if [ $variant = with ]; then # a damaged entry first: skipped, not the stream after it
		redis-cli -s "$T/redis/sock" XADD flowsad:feedback '*' src_ip not-an-address \
			verdict normal >/dev/null
		redis-cli -s "$T/redis/sock" XADD flowsad:feedback '*' src_ip 10.77.0.17 \
			window_start 2026-11-29T11:10:00Z verdict normal >/dev/null
	fi
	cat >"$T/fb/train.conf" <<EOF
[netflow]
listen = 127.0.0.1:$(port)
[window]
length = 1m
[model]
path = $T/fb/model
[redis]
address = $T/redis/sock
[spool]
dir = $T/fb/spool
[retrain]
history_dir = $T/fb/history
min_windows = 7
eta = 100
alert_quantile = 0.5
EOF
	"$FLOWSAD" run -c "$T/fb/train.conf" 2>"$T/fb/$variant.log" &
	run_pid=$!
	pids+=("$run_pid")
	wait_for 20 test -s "$T/fb/model"
	sleep 0.2
	kill -TERM "$run_pid"
	wait "$run_pid"
	printf '[alerts]\nsuppress = 0\n' >"$T/fb/alerts.conf"
	"$FLOWSAD" run -r "$pcap" -m "$T/fb/model" -c "$T/fb/alerts.conf" --jsonl "$T/fb/$variant.jsonl" \
		2>/dev/null
	"$FLOWSAD" score -m "$T/fb/model" "$pcap" 2>/dev/null |
		sed -n 's/^2026-11-29T11:10:00Z,10.77.0.17,\([^,]*\),.*/\1/p' >"$T/fb/$variant.score"
done
check "the verdict reached the training" grep -q "1 known normal, 0 known anomaly; 1 analyst verdicts" \
	"$T/fb/with.log"
check "the damaged entry before it was skipped and said" \
	grep -q "1 damaged feedback entries skipped (the first: flowsad:feedback .*: expected an address or CIDR, got 'not-an-address')" \
	"$T/fb/with.log"
check "without feedback the ping sweep is alerted" grep -q '"start":"2026-11-29T11:10:00Z".*"ip":"10.77.0.17"' \
	"$T/fb/without.jsonl"
# (the sweep is one window of 136: marked normal, the model moves it near
# the bulk, not always below the floor of 3)
check "with 10.77.0.17 marked normal its score falls a hundredfold ($(cat "$T/fb/without.score") to $(cat "$T/fb/with.score"))" \
	awk -v a="$(cat "$T/fb/without.score")" -v b="$(cat "$T/fb/with.score")" \
	'BEGIN { exit !(a > 0 && b < a / 100) }'
check "other episodes still are" grep -q '"start":"2026-11-29T11:11:00Z".*"ip":"10.77.0.13"' \
	"$T/fb/with.jsonl"

# --- systemd: READY, STATUS, WATCHDOG, RELOADING, STOPPING -------------------------------------
printf '[netflow]\nlisten = 127.0.0.1:%d\n' "$(port)" >"$T/notify.conf"
python3 "$tools/notify-listener.py" "$T/notify.sock" "$T/notify.msgs" 10 &
listener=$!
pids+=("$listener")
wait_for 5 test -S "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 "$FLOWSAD" run -c "$T/notify.conf" -m "$T/m0" \
	--jsonl /dev/null 2>"$T/notify.log" &
run_pid=$!
pids+=("$run_pid")
sleep 2.5
kill -HUP "$run_pid"
sleep 0.5
kill -TERM "$run_pid"
wait "$run_pid"
sleep 0.2
kill "$listener"
check "READY reaches the notify socket" grep -q "^READY=1" "$T/notify.msgs"
check "STATUS says packets/s, windows, alerts and the model's age" \
	grep -Eq "^STATUS=[0-9]+ pkt/s, [0-9]+ windows, [0-9]+ alerts, model $m0 age [0-9]+s" "$T/notify.msgs"
check "WATCHDOG pings come from the loop (twice a period)" test "$(grep -c '^WATCHDOG=1' "$T/notify.msgs")" -ge 4
check "RELOADING at SIGHUP" grep -q "^RELOADING=1" "$T/notify.msgs"
check "STOPPING at SIGTERM, after READY" \
	test "$(grep -n '^STOPPING=1' "$T/notify.msgs" | cut -d: -f1)" -gt "$(grep -n '^READY=1' "$T/notify.msgs" | head -1 | cut -d: -f1)"

# --- SIGKILL mid-run, then a restart ---------------------------------------------------------
cp "$T/m0" "$T/kill.model"
cat >"$T/kill.conf" <<EOF
[model]
path = $T/kill.model
[alerts]
suppress = 0
min_score = -100
[redis]
address = $T/nowhere.sock
[spool]
dir = $T/kill.spool
[retrain]
history_dir = $T/kill.history
interval = 0
EOF
"$FLOWSAD" run -c "$T/kill.conf" -r "$pcap" --replay-pps 10000 2>"$T/kill.log" &
run_pid=$!
pids+=("$run_pid")
wait_for 10 grep -q "window 2026-11-29T11:09:00Z" "$T/kill.log"
kill -KILL "$run_pid"
wait "$run_pid" 2>/dev/null
kept=$(grep -c '^flowsad: window' "$T/kill.log")
seg=$(ls "$T/kill.history"/*.hist)
printf 'torn' >>"$seg" # a record cut short by the kill
head -c 24 "$pcap" >"$T/empty.pcap"
sed -e "s|$T/nowhere.sock|$T/redis/sock|" "$T/kill.conf" >"$T/restart.conf"
check_exit "after SIGKILL a restart runs" 0 "$FLOWSAD" run -c "$T/restart.conf" -r "$T/empty.pcap" \
	--stream killed
check "the torn record is cut" grep -q "history: 4 bytes of a torn record cut at the end" "$T/exit.out"
check "the history is read up to the last whole record ($kept windows)" \
	grep -q "history $T/kill.history: [0-9]* samples in $kept windows" "$T/exit.out"
check "the spooled alerts were sent" test "$(redis-cli -s "$T/redis/sock" XLEN killed)" -gt 0
check_eq "the spool is empty" 16 "$(stat -c %s "$T/kill.spool/alerts.spool")"
check "the model is unchanged" cmp "$T/m0" "$T/kill.model"

# --- metrics -----------------------------------------------------------------------------------
mport=$(port)
uport=$(port)
printf '[netflow]\nlisten = 127.0.0.1:%d\n[window]\nlateness = 366d\n[metrics]\nlisten = 127.0.0.1:%d\n' \
	"$uport" "$mport" >"$T/metrics.conf"
"$FLOWSAD" run -c "$T/metrics.conf" -m "$T/m0" --jsonl /dev/null --redis "$T/redis/sock" \
	--stream metrics-test --spool "$T/metrics-spool" 2>"$T/metrics.log" &
run_pid=$!
pids+=("$run_pid")
wait_for 5 grep -q "metrics on" "$T/metrics.log"
python3 "$tools/send-udp-payloads.py" "$DATA/sample-netflow-v9.pcap" 127.0.0.1 "$uport" >/dev/null
sleep 0.5
check "the metrics endpoint answers" curl -sf -o "$T/metrics.txt" -D "$T/metrics.head" \
	"http://127.0.0.1:$mport/metrics"
check "in Prometheus text format" grep -qi "^content-type: text/plain; version=0.0.4" "$T/metrics.head"
check "the build is named" grep -q "^flowsad_build_info{version=\"$("$FLOWSAD" --version | cut -d' ' -f2)\"} 1\$" \
	"$T/metrics.txt"
check "the datagrams sent are counted" grep -q "^flowsad_udp_datagrams_total{source=\"127.0.0.1:$uport\",state=\"taken\"} 508\$" "$T/metrics.txt"
check "so are their flow records" grep -q '^flowsad_netflow_records_total 16002$' "$T/metrics.txt"
check "... and their templates, apart from errors" bash -c \
	"grep -q '^flowsad_netflow_templates_total{event=\"accepted\"} [1-9]' '$T/metrics.txt' &&
	 grep -q '^flowsad_netflow_errors_total{reason=\"no_template\"} 0$' '$T/metrics.txt'"
check "and the windows' events" grep -q '^flowsad_events_total 16002$' "$T/metrics.txt"
check_eq "each family together, named by the guide, documented in flowsad(8)" "" \
	"$(python3 "$tools/metrics-check.py" "$T/metrics.txt" "$root/docs/flowsad.8")"
if command -v promtool >/dev/null; then
	check_eq "promtool check metrics finds nothing to say" "" \
		"$(promtool check metrics <"$T/metrics.txt" 2>&1)"
else
	echo "ok - promtool check metrics # SKIP promtool (Debian package prometheus) not installed"
fi
# the checker sees families apart, a counter without _total, a bare seconds gauge, an
# undocumented name
printf '%s\n' '# HELP flowsad_a_total A.' '# TYPE flowsad_a_total counter' \
	'# HELP flowsad_b_total B.' '# TYPE flowsad_b_total counter' 'flowsad_a_total 1' \
	'flowsad_b_total 1' '# HELP flowsad_sent S.' '# TYPE flowsad_sent counter' 'flowsad_sent 1' \
	'# HELP flowsad_model_age_seconds M.' '# TYPE flowsad_model_age_seconds gauge' \
	'flowsad_model_age_seconds 1' >"$T/bad.metrics"
check_exit "the checker refuses a bad scrape" 1 python3 "$tools/metrics-check.py" "$T/bad.metrics" \
	"$root/docs/flowsad.8"
check "... naming each fault" bash -c "grep -q 'bad.metrics:5: flowsad_a_total: a sample away' '$T/exit.out' &&
	grep -q 'flowsad_sent: a counter.s name ends in _total' '$T/exit.out' &&
	grep -q 'flowsad_model_age_seconds: a gauge in seconds' '$T/exit.out' &&
	grep -q 'flowsad_a_total: not documented' '$T/exit.out'"
# the Grafana dashboard (docs/grafana) reads only metrics this daemon exports: every
# family is in this scrape by its TYPE line, those of a live capture too, without samples
board=$root/docs/grafana/flowsad.json
check_eq "the Grafana dashboard: a dashboard, each metric it reads in the scrape and in flowsad(8)" "" \
	"$(python3 "$tools/dashboard-check.py" "$board" "$T/metrics.txt" "$root/docs/flowsad.8" \
		--rules "$T/dashboard.rules" 2>&1)"
if command -v promtool >/dev/null; then
	check "... its PromQL parses (promtool check rules)" promtool check rules "$T/dashboard.rules"
else
	echo "ok - promtool check rules # SKIP promtool (Debian package prometheus) not installed"
fi
sed 's/flowsad_incidents_ended_total/flowsad_incidents_closed_total/' "$board" >"$T/bad-name.json"
check_exit "the dashboard checker refuses a metric that does not exist" 1 \
	python3 "$tools/dashboard-check.py" "$T/bad-name.json" "$T/metrics.txt" "$root/docs/flowsad.8"
check "... naming it, its panel, and that flowsad(8) lacks it too" bash -c \
	"grep -q 'panel 10 \"Alerts and incidents ended (per hour)\" target B: flowsad_incidents_closed_total: not in the scrape' '$T/exit.out' &&
	grep -q 'flowsad_incidents_closed_total: not documented' '$T/exit.out'"
python3 - "$board" "$T/bad-shape.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
del b["uid"]
b["panels"][0]["targets"] = []
b["panels"][1]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
json.dump(b, open(sys.argv[2], "w"))
PY
check_exit "... and a dashboard without a uid, targets or a datasource that imports anywhere" 1 \
	python3 "$tools/dashboard-check.py" "$T/bad-shape.json" "$T/metrics.txt"
check "... naming each fault" bash -c "grep -q ': no uid' '$T/exit.out' &&
	grep -q 'panel 1 \"Model age\": no targets' '$T/exit.out' &&
	grep -q 'panel 2 \"Learning\": a fixed datasource' '$T/exit.out'"
check "the renamed metrics are gone" bash -c "! grep -Eq \
	'^flowsad_(model_age_seconds|retrain_last_seconds|sensor_window_seconds|capture_packets_total)' \
	'$T/metrics.txt'"
check "the process is described: its start, memory and descriptors" python3 - "$T/metrics.txt" <<'PY'
import sys, time
v = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("process_")}
assert abs(v["process_start_time_seconds"] - time.time()) < 600, v
assert v["process_cpu_seconds_total"] >= 0 and v["process_resident_memory_bytes"] > 1e6, v
assert v["process_virtual_memory_bytes"] >= v["process_resident_memory_bytes"], v
assert 3 <= v["process_open_fds"] <= v["process_max_fds"], v
PY
check_exit "other paths are 404" 22 curl -sf "http://127.0.0.1:$mport/other"
check "HEAD /metrics answers 200 with the headers alone" bash -c \
	"curl -sfI 'http://127.0.0.1:$mport/metrics' | head -1 | grep -q ' 200'"
curl -s -o /dev/null -D "$T/post.head" -X POST "http://127.0.0.1:$mport/metrics"
check "POST is 405" grep -q '^HTTP/1.1 405' "$T/post.head"
check "... with Allow: GET, HEAD" grep -qi '^allow: GET, HEAD' "$T/post.head"
kill -TERM "$run_pid"
wait "$run_pid"

# --- started as root with user=: captures opened, then root given up -------------------------
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	pport=$((600 + RANDOM % 300))
	printf '[capture]\ninterface = lo\n[netflow]\nlisten = 127.0.0.1:%d\n[daemon]\nuser = nobody\n' \
		"$pport" >"$T/user.conf"
	"$FLOWSAD" run -c "$T/user.conf" -m "$T/m0" --jsonl /dev/null 2>"$T/user.log" &
	run_pid=$!
	pids+=("$run_pid")
	wait_for 5 grep -q "running as nobody" "$T/user.log"
	check "the capture and the privileged port were opened first" bash -c \
		"grep -n 'capturing on lo\|collecting NetFlow\|running as' '$T/user.log' | tail -1 | grep -q 'running as'"
	check_eq "then the process runs as nobody" "$(id -u nobody)" \
		"$(awk '/^Uid:/ {print $2 $3 $4 $5 == $2 $2 $2 $2 ? $2 : "mixed"}' /proc/$run_pid/status)"
	python3 "$tools/send-udp-payloads.py" "$DATA/sample-netflow-v9.pcap" 127.0.0.1 "$pport" >/dev/null
	sleep 0.5
	kill -TERM "$run_pid"
	wait "$run_pid"
	check "and still counts what arrives" grep -q "127.0.0.1:$pport: 508 datagrams" "$T/user.log"
	check "including the live capture" grep -Eq "lo: [1-9][0-9]* packets received" "$T/user.log"
else
	not_ok "dropping root: the test needs root and the user nobody"
fi

# --- the unit ----------------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | sed -n 's/.*exposure level for flowsad.service: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security: exposure $exposure is at most 2.0" \
		awk -v e="$exposure" 'BEGIN {exit !(e != "" && e <= 2.0)}'
	check "the unit is Type=notify with a watchdog and only CAP_NET_RAW" bash -c \
		"grep -qx 'Type=notify' '$unit' && grep -q '^WatchdogSec=' '$unit' && grep -qx 'AmbientCapabilities=CAP_NET_RAW' '$unit' && grep -qx 'CapabilityBoundingSet=CAP_NET_RAW' '$unit'"
else
	not_ok "the unit: systemd-analyze is missing"
fi
