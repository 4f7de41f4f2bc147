#!/usr/bin/env bash
# flowsad run and check-config: replay into a real redis-server, Redis
# outages and the spool, signals, the NetFlow/IPFIX listener and live
# capture on a veth pair in a network namespace of the test's own.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)
conf_dir=$(cd "$(dirname "$0")/../../conf" && pwd)

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${ns:-}" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# A private redis-server on a socket in DIR (its data persisted there on
# shutdown), its PID in REDIS_PID.
start_redis() {
	redis-server --port 0 --unixsocket "$1/redis.sock" --dir "$1" --save '' --appendonly no \
		--logfile "$1/redis.log" &
	REDIS_PID=$!
	pids+=("$REDIS_PID")
	for _ in $(seq 50); do redis-cli -s "$1/redis.sock" ping >/dev/null 2>&1 && return; sleep 0.1; done
}
stop_redis() { # saves the data first, as a restart would need
	redis-cli -s "$1/redis.sock" shutdown save >/dev/null 2>&1
	wait "$REDIS_PID" 2>/dev/null
}
# window_start,src_ip of every entry of stream KEY, in stream order
# the alerts of a stream (not the ends of incidents), as window_start,src_ip
stream_ids() {
	redis-cli -s "$1" --raw XRANGE "$2" - + | awk 'k == "src_ip" {s = $0} k == "window_start" {w = $0}
		k == "alert" && /"kind":"alert"/ {print w "," s} {k = $0}'
}
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	local end=$((SECONDS + $1)); shift
	until "$@" 2>/dev/null; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done
}

# The delivery tests want many alerts: a threshold at the median of the
# training scores, no floor, no suppression.
"$FLOWSAD" train --window 1m --seed 1 --quiet --alert-quantile 0.5 -o "$T/model" \
	"$DATA/sample.pcap" 2>/dev/null
printf '[alerts]\nsuppress = 0\nmin_score = -100\n' >"$T/all.conf"
pcap=$DATA/sample.pcap

# --- configuration --------------------------------------------------------------------------
check "the shipped conf/flowsad.conf is valid" "$FLOWSAD" check-config -c "$conf_dir/flowsad.conf"
printf '[window]\nlength = 5m\n\n[alerts]\ntop_n = -3\ncolour = blue\n[nonsense]\nx = 1\n' >"$T/bad.conf"
check_exit "check-config: errors exit 78 (EX_CONFIG)" 78 "$FLOWSAD" check-config -c "$T/bad.conf"
check "a bad value is reported with file and line" grep -q "bad.conf:5: top_n: expected" "$T/exit.out"
check "an unknown key is reported with file and line" grep -q "bad.conf:6: unknown key 'colour' in \[alerts\]" "$T/exit.out"
check "an unknown section is reported with file and line" grep -q "bad.conf:8: unknown section \[nonsense\]" "$T/exit.out"
printf '[redis]\naddress = /x.sock\n[spool]\ndir = %s/none/spool\n' "$T" >"$T/nodir.conf"
check_exit "check-config: a spool folder that cannot be made is an error" 78 "$FLOWSAD" check-config \
	-c "$T/nodir.conf"
check "... named with its key" grep -q "\[spool\] dir = $T/none/spool: No such file" "$T/exit.out"
# a paced replay below 100 frames a second keeps its pace (it went at 100)
editcap -r "$pcap" "$T/small.pcap" 1-100
began=$(date +%s%N)
"$FLOWSAD" run -r "$T/small.pcap" -m "$T/model" --replay-pps 40 --jsonl /dev/null 2>/dev/null
took=$((($(date +%s%N) - began) / 1000000))
check "--replay-pps 40 takes 100 frames in at least 2 s ($took ms)" test "$took" -ge 2000
check_exit "run refuses a bad configuration (78)" 78 "$FLOWSAD" run -c "$T/bad.conf" -r "$pcap" -m "$T/model"
check_exit "run without a source is a configuration error" 78 "$FLOWSAD" run -m "$T/model"

# --- replay into Redis ----------------------------------------------------------------------
mkdir -p "$T/r1"
start_redis "$T/r1"
sock=$T/r1/redis.sock
check "run -r replays the sample capture into a Redis stream" \
	"$FLOWSAD" run -c "$T/all.conf" -r "$pcap" -m "$T/model" --redis "$sock" --spool "$T/spool1" \
	--jsonl "$T/all.jsonl"
stream_ids "$sock" flowsad:alerts >"$T/undisturbed"
n=$(wc -l <"$T/undisturbed")
check "alerts arrive in flowsad:alerts ($n; enough to exercise delivery)" test "$n" -ge 15
check_eq "every alert also went to the JSON-lines sink" "$n" "$(grep -c '"kind":"alert"' "$T/all.jsonl")"
check_eq "... and every end of an incident, to both" "$(grep -c '"type":\["end"\]' "$T/all.jsonl")" \
	"$(redis-cli -s "$sock" --raw XRANGE flowsad:alerts - + | grep -c '"type":\["end"\]')"
check_eq "the spool is empty after delivery" 16 "$(stat -c %s "$T/spool1/alerts.spool")"
head -c 24 "$pcap" >"$T/header-only.pcap"
mkdir -p "$T/state" # systemd makes it
STATE_DIRECTORY=$T/state:$T/other check "without --spool, under systemd the spool is in the unit's \
state directory" "$FLOWSAD" run -r "$T/header-only.pcap" -m "$T/model" --redis "$sock" \
	--stream nospool
check "... made there" test -f "$T/state/spool/alerts.spool"
redis-cli -s "$sock" --raw XRANGE flowsad:alerts - + COUNT 1 >"$T/entry"
check_eq "an entry's fields: src_ip window_start score alert" "src_ip window_start score alert" \
	"$(sed -n '2p;4p;6p;8p' "$T/entry" | tr '\n' ' ' | sed 's/ $//')"
sed -n 9p "$T/entry" >"$T/alert.json"
check "the alert document has the documented fields" python3 - "$T/alert.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
assert a["event"]["kind"] == "alert" and a["event"]["module"] == "flowsad"
# event time: the window's end (the capture's date), scored now (event.created)
assert a["@timestamp"] == a["event"]["end"] and a["event"]["start"] < a["event"]["end"]
assert a["event"]["created"] > a["@timestamp"] and a["event"]["created"].endswith("Z")
assert a["event"]["duration"] == 60 * 10**9 and a["related"]["ip"][0] == a["source"]["ip"]
assert a["message"].startswith(a["source"]["ip"] + " ")
assert a["event"]["id"] == "flowsad-%s-%s" % (a["event"]["start"], a["source"]["ip"])
assert isinstance(a["event"]["risk_score"], float) and a["observer"]["name"]
f = a["flowsad"]
assert f["window_seconds"] == 60 and f["rank"] >= 1 and len(f["model_id"]) == 16
assert f["score"] == a["event"]["risk_score"] and isinstance(f["raw_score"], float)
assert len(f["explanation"]) == 5
for e in f["explanation"]:
    assert set(e) == {"feature", "shap", "value"}
PY
# an alert spooled by an earlier flowsad (@timestamp when it was scored, no
# event.created) still goes out, in this contract's terms
mkdir -p "$T/oldspool"
python3 - "$T/alert.json" "$T/oldspool/alerts.spool" <<'PY'
import json, struct, sys, zlib
a = json.load(open(sys.argv[1]))
del a["event"]["created"]
a["@timestamp"] = "2026-12-07T03:09:36Z"
rec = "%s\n%s\n%s\n%s" % (a["source"]["ip"], a["event"]["start"], a["flowsad"]["score"],
                          json.dumps(a, separators=(",", ":")))
rec = rec.encode()
with open(sys.argv[2], "wb") as f:
    f.write(b"FSADSPL1" + struct.pack("<Q", 16))
    f.write(struct.pack("<II", len(rec), zlib.crc32(rec)) + rec)
PY
check "an alert spooled by an earlier version is sent" \
	"$FLOWSAD" run -r "$T/header-only.pcap" -m "$T/model" --redis "$sock" --spool "$T/oldspool" \
	--stream oldspool
redis-cli -s "$sock" --raw XRANGE oldspool - + | sed -n 9p >"$T/old.json"
check "... with its scoring time as event.created and its window's end as @timestamp" \
	python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); e = a["event"]
assert a["@timestamp"] == e["end"] and e["created"] == "2026-12-07T03:09:36Z", a' "$T/old.json"
for ep in "2026-11-29T11:09:00Z,10.77.0.18 syn scan" "2026-11-29T11:10:00Z,10.77.0.17 ping sweep" \
	"2026-11-29T11:11:00Z,10.77.0.13 hping3 burst" "2026-11-29T11:12:00Z,10.77.0.15 short connections"; do
	check "the ${ep#* } is alerted in its window" grep -qx "${ep%% *}" "$T/undisturbed"
done
printf '[alerts]\nmin_score = -100\n' >"$T/suppress.conf"
# the capture, then its first benign minute again a quarter of an hour later: the
# incidents of the capture end after their five quiet minutes
editcap -B "2026-11-29 11:08:00" "$pcap" "$T/first-minute.pcap"
editcap -t 900 "$T/first-minute.pcap" "$T/later.pcap"
"$FLOWSAD" run -c "$T/suppress.conf" -r "$pcap" -r "$T/later.pcap" -m "$T/model" \
	--jsonl "$T/suppressed.jsonl" 2>/dev/null
check "alerts of a source in consecutive windows are one incident, told when it ends" \
	python3 - "$T/suppressed.jsonl" <<'PY'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
alerts = [d for d in docs if d["event"]["kind"] == "alert"]
ends = {d["flowsad"]["incident"]["id"]: d for d in docs if d["event"]["kind"] == "event"}
in_capture = [a for a in alerts if a["event"]["start"] < "2026-11-29T11:15"]
assert 0 < len(in_capture) < 22 and len(ends) >= 2, (len(in_capture), len(ends))
told = {}
for a in alerts:
    inc = a["flowsad"]["incident"]
    assert inc["id"] == "incident-%s-%s" % (inc["start"], a["source"]["ip"]), inc
    assert inc["start"] <= a["event"]["start"] and inc["end"] >= a["event"]["end"], inc
    told[inc["id"]] = told.get(inc["id"], 0) + 1
for i, e in ends.items():
    assert e["event"]["type"] == ["end"] and e["flowsad"]["incident"]["alerts"] == told[i], e
PY

# --- Redis over TCP on IPv6 loopback: [::1]:PORT -------------------------------------------------
v6port=$((30000 + RANDOM % 20000))
redis-server --port "$v6port" --bind ::1 --save '' --appendonly no --logfile "$T/v6.log" &
v6pid=$!
pids+=("$v6pid")
wait_for 5 redis-cli -h ::1 -p "$v6port" ping >/dev/null
check "run delivers to Redis at [::1]:PORT" "$FLOWSAD" run -c "$T/all.conf" -r "$pcap" -m "$T/model" \
	--redis "[::1]:$v6port" --spool "$T/spool-v6" --jsonl /dev/null
check_eq "... every alert" "$(wc -l <"$T/undisturbed")" \
	"$(redis-cli -h ::1 -p "$v6port" --raw XRANGE flowsad:alerts - + | grep -c '"kind":"alert"')"
kill "$v6pid"
# --- localhost:PORT is Redis over TCP, not a unix socket named so --------------------------------
lport=$((30000 + RANDOM % 20000))
redis-server --port "$lport" --bind 127.0.0.1 --save '' --appendonly no --logfile "$T/lh.log" &
lpid=$!
pids+=("$lpid")
wait_for 5 redis-cli -p "$lport" ping >/dev/null
{ cat "$T/all.conf"; printf '[redis]\naddress = localhost:%d\n' "$lport"; } >"$T/lh.conf"
check "run delivers to Redis at address = localhost:PORT (TCP)" "$FLOWSAD" run -c "$T/lh.conf" \
	-r "$pcap" -m "$T/model" --spool "$T/spool-lh" --jsonl /dev/null
check_eq "... every alert" "$(wc -l <"$T/undisturbed")" \
	"$(redis-cli -p "$lport" --raw XRANGE flowsad:alerts - + | grep -c '"kind":"alert"')"
kill "$lpid"
head -c 24 "$pcap" >"$T/empty.pcap" # no alerts: nothing is sent wherever it connects
"$FLOWSAD" run -r "$T/empty.pcap" -m "$T/model" --redis localhost --spool "$T/spool-lh2" \
	--jsonl /dev/null 2>"$T/lh.log"
check "--redis localhost is TCP on Redis's port 6379" grep -q "redis localhost:6379: " "$T/lh.log"
printf '[redis]\naddress = ::1:6379\n[metrics]\nlisten = [::]:9187\n' >"$T/v6.conf"
check_exit "check-config refuses a bare IPv6 address with a port (ambiguous)" 78 \
	"$FLOWSAD" check-config -c "$T/v6.conf"
check "... saying which forms it takes" grep -q "\[redis\] address = '::1:6379': expected HOST:PORT, \[IPV6\]:PORT" \
	"$T/exit.out"
check "... and accepts [::]:PORT for the metrics" bash -c "! grep -q 'metrics' '$T/exit.out'"
mport=$((30000 + RANDOM % 20000))
printf '[netflow]\nlisten = 127.0.0.1:%d\n[metrics]\nlisten = [::]:%d\n' $((mport + 1)) "$mport" >"$T/m6.conf"
"$FLOWSAD" run -c "$T/m6.conf" -m "$T/model" --jsonl /dev/null 2>"$T/m6.log" &
m6pid=$!
pids+=("$m6pid")
wait_for 5 grep -q "metrics on" "$T/m6.log"
check "metrics on [::]:PORT answer over IPv6" curl -sf -o /dev/null "http://[::1]:$mport/metrics"
check "... and over IPv4" curl -sf -o /dev/null "http://127.0.0.1:$mport/metrics"
kill -TERM "$m6pid"
wait "$m6pid" 2>/dev/null

# --- Redis stopped mid-run and started again ------------------------------------------------
"$FLOWSAD" run -c "$T/all.conf" -r "$pcap" -m "$T/model" --redis "$sock" --spool "$T/spool2" \
	--stream outage --replay-pps 20000 2>"$T/outage.log" &
run_pid=$!
pids+=("$run_pid")
sleep 0.7
stop_redis "$T/r1"
sleep 1
start_redis "$T/r1"
wait "$run_pid"
check_eq "Redis stopped and restarted mid-run: the run still exits 0" 0 $?
check "the outage was noticed" grep -q "connection lost" "$T/outage.log"
stream_ids "$sock" outage >"$T/outage"
check "every alert of the undisturbed run arrived once, in order" diff "$T/undisturbed" "$T/outage"

# --- Redis never reachable: the spool holds the alerts for a later start --------------------
check_exit "with Redis unreachable the run ends (exit 0)" 0 "$FLOWSAD" run -c "$T/all.conf" \
	-r "$pcap" -m "$T/model" --redis "$T/nowhere.sock" --spool "$T/spool3" --stream later
check "it says the alerts wait in the spool" grep -q "alerts stay in the spool" "$T/exit.out"
check "the spool holds them" test "$(stat -c %s "$T/spool3/alerts.spool")" -gt 1000
head -c 24 "$pcap" >"$T/empty.pcap"
sleep 1 # the delivery's second is after every scoring time
delivered=$(date -u +%Y-%m-%dT%H:%M:%SZ)
check "a later start with Redis delivers the spool" "$FLOWSAD" run -r "$T/empty.pcap" \
	-m "$T/model" --redis "$sock" --spool "$T/spool3" --stream later
stream_ids "$sock" later >"$T/later"
check "the spooled alerts arrive complete and in order" diff "$T/undisturbed" "$T/later"
check "... keeping their times: the window's end, and when they were scored, not sent" \
	python3 - "$delivered" <<PY
import json, subprocess
out = subprocess.run(["redis-cli", "-s", "$sock", "--raw", "XRANGE", "later", "-", "+"],
                     capture_output=True, text=True, check=True).stdout.split("\n")
docs = [json.loads(out[i + 1]) for i, k in enumerate(out) if k == "alert"]
assert docs
for d in docs:
    assert d["@timestamp"] == d["event"]["end"] < "$delivered", d
    assert d["event"]["created"] < "$delivered", d
PY
check_eq "and leave the spool empty" 16 "$(stat -c %s "$T/spool3/alerts.spool")"

# --- SIGHUP with a bad configuration, then a bad model: the old ones stay ------------------
printf '[model]\npath = %s\n[alerts]\nsuppress = 0\nmin_score = -100\n' "$T/model" >"$T/hup.conf"
"$FLOWSAD" run -c "$T/hup.conf" -r "$pcap" --jsonl "$T/hup.jsonl" --replay-pps 10000 \
	2>"$T/hup.log" &
run_pid=$!
pids+=("$run_pid")
sleep 0.8
printf '[model]\npath = %s\n[alerts]\nsupress = 0\n' "$T/model" >"$T/hup.conf"
mv "$T/hup.jsonl" "$T/hup.jsonl.1" # as logrotate does before it sends SIGHUP
kill -HUP "$run_pid"
sleep 0.5
head -c 5000 "$T/model" >"$T/broken-model"
printf '[model]\npath = %s\n[alerts]\nsuppress = 0\nmin_score = -100\n' "$T/broken-model" >"$T/hup.conf"
kill -HUP "$run_pid"
wait "$run_pid"
check_eq "SIGHUP with a bad configuration or model: the run goes on to exit 0" 0 $?
check_eq "both reloads were refused" 2 "$(grep -c 'reload refused' "$T/hup.log")"
check "the bad key was named" grep -q "hup.conf:4: unknown key 'supress'" "$T/hup.log"
check "the JSON-lines file was opened anew at SIGHUP (log rotation)" \
	test -s "$T/hup.jsonl.1" -a -s "$T/hup.jsonl"
cat "$T/hup.jsonl.1" "$T/hup.jsonl" | grep '"kind":"alert"' |
	python3 -c "import json,sys; [print(json.loads(l)['event']['start'] + ',' + json.loads(l)['source']['ip']) for l in sys.stdin]" \
	>"$T/hup"
check "the alerts are those of the undisturbed run" diff "$T/undisturbed" "$T/hup"

# --- SIGTERM mid-replay: the open windows are closed, scored and their alerts sent ---------
"$FLOWSAD" run -c "$T/all.conf" -r "$pcap" -m "$T/model" --redis "$sock" --spool "$T/spool4" \
	--stream term --samples "$T/term.csv" --replay-pps 10000 2>"$T/term.log" &
run_pid=$!
pids+=("$run_pid")
sleep 1.5
kill -TERM "$run_pid"
wait "$run_pid"
check_eq "SIGTERM mid-replay: exit 0" 0 $?
check "it stopped on SIGTERM" grep -q "stopping: SIGTERM" "$T/term.log"
check "the open window was scored after the signal" \
	bash -c "sed -n '/stopping: SIGTERM/,\$p' '$T/term.log' | grep -q '^flowsad: window '"
last=$(tail -1 "$T/term.csv" | cut -d, -f1)
check "the replay was cut short (last window $last)" test "$last" '<' "2026-11-29T11:13:00Z"
stream_ids "$sock" term >"$T/term"
check "its alerts reached the stream" test -s "$T/term"
check "they are the undisturbed run's alerts in the windows before" \
	diff <(awk -F, -v l="$last" '$1 < l' "$T/undisturbed") <(awk -F, -v l="$last" '$1 < l' "$T/term")
check "and those of the window cut short, none later" \
	test "$(grep -c "^$last," "$T/term")" -ge 1 -a "$(awk -F, -v l="$last" '$1 > l' "$T/term" | wc -l)" -eq 0
stop_redis "$T/r1"

# --- AUTH from a password file -------------------------------------------------------------
mkdir -p "$T/r2"
redis-server --port 0 --unixsocket "$T/r2/redis.sock" --dir "$T/r2" --save '' --appendonly no \
	--requirepass 's3cret-pass' --logfile "$T/r2/redis.log" &
auth_pid=$!
pids+=("$auth_pid")
wait_for 5 test -S "$T/r2/redis.sock"
printf 's3cret-pass\n' >"$T/good.pass"
printf 'wrong\n' >"$T/bad.pass"
printf '[redis]\npassword_file = %s\n' "$T/good.pass" >"$T/auth.conf"
check "AUTH with the password file's password: alerts delivered" "$FLOWSAD" run -c "$T/auth.conf" \
	-r "$pcap" -m "$T/model" --redis "$T/r2/redis.sock" --spool "$T/spool5"
check "they are in the stream" test "$(redis-cli -s "$T/r2/redis.sock" -a 's3cret-pass' \
	--no-auth-warning XLEN flowsad:alerts)" -gt 0
printf '[redis]\npassword_file = %s\n' "$T/bad.pass" >"$T/auth.conf"
check_exit "a wrong password: the run still ends normally" 0 "$FLOWSAD" run -c "$T/auth.conf" \
	-r "$pcap" -m "$T/model" --redis "$T/r2/redis.sock" --spool "$T/spool6"
check "the refusal is logged and the alerts are spooled" bash -c \
	"grep -q 'AUTH refused' '$T/exit.out' && grep -q 'alerts stay in the spool' '$T/exit.out'"
kill "$auth_pid"

# --- the NetFlow/IPFIX UDP listener --------------------------------------------------------
# collect CONF SAMPLES EXPORT_CAPTURE PORT: a daemon listening as CONF says is
# sent the capture's datagrams, then stopped; its log is $T/udp.log
collect() {
	"$FLOWSAD" run -c "$1" -m "$T/model" --jsonl /dev/null --samples "$2" 2>"$T/udp.log" &
	local pid=$!
	pids+=("$pid")
	wait_for 5 grep -q "collecting NetFlow" "$T/udp.log"
	python3 "$tools/send-udp-payloads.py" "$3" 127.0.0.1 "$4" >/dev/null
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid"
}
for kind in netflow-v9 ipfix; do
	port=$((20000 + RANDOM % 20000))
	printf '[netflow]\nlisten = 127.0.0.1:%d\n[window]\nlateness = 366d\n' "$port" >"$T/udp.conf"
	collect "$T/udp.conf" "$T/udp-$kind.csv" "$DATA/sample-$kind.pcap" "$port"
	"$FLOWSAD" aggregate --input-format netflow-pcap --window 1m "$DATA/sample-$kind.pcap" \
		>"$T/agg-$kind.csv" 2>/dev/null
	check "$kind datagrams to the listener give the samples of --input-format netflow-pcap" \
		diff "$T/agg-$kind.csv" "$T/udp-$kind.csv"
	check "the listener's counts are logged at exit" \
		grep -q "127.0.0.1:$port: 508 datagrams" "$T/udp.log"
done
printf '[netflow]\nlisten = 127.0.0.1:%d\nexporters = 192.0.2.1, 10.9.0.0/16\n' "$port" >"$T/udp.conf"
collect "$T/udp.conf" "$T/refused.csv" "$DATA/sample-netflow-v9.pcap" "$port"
check "datagrams from exporters not on the allowlist are counted and ignored" \
	grep -q "0 datagrams (0 bytes), 508 from exporters not allowed" "$T/udp.log"
check_eq "and make no samples" 1 "$(wc -l <"$T/refused.csv")"

# --- live capture on a veth pair in a namespace of our own, fed by tcpreplay ---------------
ns=flowsad-test-$$
if ip netns add "$ns" 2>/dev/null; then
	ip link add "fsa$$" type veth peer name "fsb$$" netns "$ns"
	sysctl -qw "net.ipv6.conf.fsa$$.disable_ipv6=1"
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.fsb$$.disable_ipv6=1"
	ip link set "fsa$$" up
	ip netns exec "$ns" ip link set "fsb$$" up
	# on the loop alone, and spread over three capture workers (fanout by source:
	# their windows merged, answers across workers applied)
	for workers in 1 3; do
		printf '[window]\nlateness = 366d\n[capture]\nworkers = %d\n' $workers >"$T/live.conf"
		ip netns exec "$ns" "$FLOWSAD" run -c "$T/live.conf" -i "fsb$$" -m "$T/model" \
			--jsonl /dev/null --samples "$T/live.csv" 2>"$T/live.log" &
		run_pid=$!
		ip netns exec "$ns" tcpdump -i "fsb$$" -U -w "$T/live.pcap" 2>"$T/tcpdump.log" &
		dump_pid=$!
		pids+=("$run_pid" "$dump_pid")
		wait_for 5 grep -q "capturing on" "$T/live.log"
		wait_for 5 grep -q "listening on" "$T/tcpdump.log"
		check "tcpreplay sends the sample capture over the veth pair ($workers workers)" \
			tcpreplay -q -i "fsa$$" --pps 20000 "$pcap"
		sleep 1
		kill -TERM "$run_pid" "$dump_pid"
		wait "$run_pid" "$dump_pid" 2>/dev/null
		"$FLOWSAD" aggregate --window 1m "$T/live.pcap" >"$T/live-file.csv" 2>/dev/null
		check "live samples equal those of the same packets read from a file ($workers workers)" \
			diff "$T/live-file.csv" "$T/live.csv"
		check "every packet sent was counted live ($workers workers)" \
			test "$(awk -F, 'NR > 1 {s += $3} END {print s}' "$T/live.csv")" -ge 39267
	done
	check "each of the three workers read a share of the frames" \
		grep -Eq "fsb$$: [0-9]+ packets received, 0 dropped; frames by worker: [1-9][0-9]* [1-9][0-9]* [1-9][0-9]*$" \
		"$T/live.log"

	# SIGHUP with a model that counts otherwise (2-minute windows): the workers stop,
	# their windows are closed and scored, and they start again on new tables
	"$FLOWSAD" train --window 2m --seed 1 --quiet -o "$T/model2m" "$pcap" 2>/dev/null
	cp "$T/model" "$T/swap.model"
	printf '[window]\nlateness = 366d\n[capture]\nworkers = 2\ninterface = fsb%s\n[model]\npath = %s\n' \
		"$$" "$T/swap.model" >"$T/swap.conf"
	ip netns exec "$ns" "$FLOWSAD" run -c "$T/swap.conf" --jsonl /dev/null --samples "$T/swap.csv" \
		2>"$T/swap.log" &
	run_pid=$!
	pids+=("$run_pid")
	wait_for 5 grep -q "capturing on" "$T/swap.log"
	tcpreplay -q -i "fsa$$" --pps 20000 "$pcap" >/dev/null 2>&1
	cp "$T/model2m" "$T/swap.model"
	kill -HUP "$run_pid"
	wait_for 5 grep -q "windows of 120 s" "$T/swap.log"
	tcpreplay -q -i "fsa$$" --pps 20000 "$pcap" >/dev/null 2>&1
	sleep 1
	kill -TERM "$run_pid"
	wait "$run_pid"
	check "SIGHUP with a model counting otherwise closes the workers' windows early" \
		grep -q "counts differently: the open windows are closed early" "$T/swap.log"
	check "every packet of the replays before and after it was counted" \
		test "$(awk -F, 'NR > 1 {s += $3} END {print s}' "$T/swap.csv")" -ge $((2 * 39267))
	check "the exit line still names the interface after the reload" \
		grep -q "fsb$$: [0-9]* packets received" "$T/swap.log"

	# an interface that goes away: the other sources go on; with none left, exit 69
	printf '[capture]\ninterface = fsb%s\n[netflow]\nlisten = 127.0.0.1:%d\n' "$$" \
		$((20000 + RANDOM % 20000)) >"$T/gone.conf"
	ip netns exec "$ns" "$FLOWSAD" run -c "$T/gone.conf" -m "$T/model" --jsonl /dev/null \
		2>"$T/gone.log" &
	run_pid=$!
	pids+=("$run_pid")
	wait_for 5 grep -q "collecting NetFlow" "$T/gone.log"
	ip link del "fsa$$"
	wait_for 5 grep -q "closed after the error" "$T/gone.log"
	check "an interface that disappears is closed with its error" grep -q "fsb$$: The interface disappeared" "$T/gone.log"
	check "and the daemon goes on with the listener" kill -0 "$run_pid"
	kill -TERM "$run_pid"
	wait "$run_pid"
	ip link add "fsa$$" type veth peer name "fsb$$" netns "$ns"
	ip netns exec "$ns" ip link set "fsb$$" up
	ip netns exec "$ns" "$FLOWSAD" run -i "fsb$$" -m "$T/model" --jsonl /dev/null 2>"$T/gone.log" &
	run_pid=$!
	pids+=("$run_pid")
	wait_for 5 grep -q "capturing on" "$T/gone.log"
	ip link del "fsa$$"
	wait "$run_pid"
	check_eq "when no source is left it exits 69 (EX_UNAVAILABLE), for systemd to restart it" 69 $?
	ip netns del "$ns"
	ns=
else
	not_ok "live capture: cannot create a network namespace (needs root and ip netns)"
fi
