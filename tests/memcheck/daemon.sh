#!/usr/bin/env bash
# The daemon under a checker: valgrind memcheck (make valgrind) or, with
# TSAN=1, a ThreadSanitizer build (make tsan): a replay into Redis with
# history, a cold start with its score thread and retraining thread, the
# metrics endpoint, a NetFlow listener beside two capture workers on the
# loopback interface (their windows merged) stopped by SIGTERM, a sensor and
# a scorer over Redis, and the offline commands. Exit 99 (a memcheck error
# or definite leak; a data race, with TSAN_OPTIONS=exitcode=99) fails a
# check.
. "$(dirname "$0")/../integration/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)
export FLOWSAD_BIN=$FLOWSAD
[ -n "${TSAN:-}" ] || FLOWSAD=$tools/valgrind-flowsad
pcap=$DATA/sample.pcap

check "train" "$FLOWSAD" train --window 1m --seed 1 --epochs 3 --epochs-pretrain 2 --quiet -o "$T/m" "$pcap"
check "detect" "$FLOWSAD" detect -m "$T/m" -o "$T/detect" "$pcap"
mport=$((20000 + RANDOM % 30000))
cat >"$T/cold.conf" <<CONF
[window]
length = 1m
[model]
path = $T/cold.model
[alerts]
suppress = 0
[redis]
address = ${FLOWSAD_TEST_REDIS:?}
stream = memcheck
[spool]
dir = $T/spool
[retrain]
history_dir = $T/history
min_windows = 3
epochs = 3
[metrics]
listen = 127.0.0.1:$mport
CONF
# paced so that the retraining (two passes: the robust one) ends before the replay
"$FLOWSAD" run -c "$T/cold.conf" -r "$pcap" --replay-pps 2000 --jsonl "$T/a.jsonl" 2>"$T/cold.log" &
run_pid=$!
for _ in $(seq 100); do grep -q "metrics on" "$T/cold.log" && break; sleep 0.1; done
sleep 3
check "metrics answer under memcheck" curl -sf -o /dev/null "http://127.0.0.1:$mport/metrics"
wait "$run_pid"
check_eq "a replay with a cold start, its retraining, Redis and metrics: no checker error" 0 $?
check "it retrained" grep -q "retrained in" "$T/cold.log"
uport=$((20000 + RANDOM % 30000))
printf '[netflow]\nlisten = 127.0.0.1:%d\n[capture]\ninterface = lo\nworkers = 2\n' "$uport" \
	>"$T/udp.conf"
"$FLOWSAD" run -c "$T/udp.conf" -m "$T/m" --jsonl /dev/null 2>"$T/udp.log" &
run_pid=$!
for _ in $(seq 100); do grep -q "collecting" "$T/udp.log" && break; sleep 0.1; done
python3 "$tools/send-udp-payloads.py" "$DATA/sample-ipfix.pcap" 127.0.0.1 "$uport" >/dev/null
sleep 1
kill -TERM "$run_pid"
wait "$run_pid"
check_eq "a NetFlow listener and capture workers stopped by SIGTERM: no checker error" 0 $?
check "the workers captured the datagrams on lo" \
	grep -Eq "lo: [1-9][0-9]* packets received.*frames by worker" "$T/udp.log"
# a sensor and a scorer (their publishing and collecting threads) over Redis
for role in sensor scorer; do
	printf '[window]\nlength = 1m\n[redis]\naddress = %s\nstream = memcheck-fleet\n' \
		"$FLOWSAD_TEST_REDIS" >"$T/$role.conf"
	printf '[spool]\ndir = %s/spool\n[role]\nmode = %s\nname = mc-%s\nprefix = mc%s\n' \
		"$T" "$role" "$role" "$$" >>"$T/$role.conf"
done
check "a sensor: no checker error" "$FLOWSAD" run -c "$T/sensor.conf" -r "$pcap"
"$FLOWSAD" run -c "$T/scorer.conf" -m "$T/m" --jsonl /dev/null 2>"$T/scorer.log" &
run_pid=$!
for _ in $(seq 900); do [ "$(grep -c '^flowsad: window' "$T/scorer.log")" -ge 7 ] && break; sleep 0.1; done
kill -TERM "$run_pid"
wait "$run_pid"
check_eq "a scorer merging the sensor's windows, stopped by SIGTERM: no checker error" 0 $?
check "it scored the sensor's windows" test "$(grep -c '^flowsad: window' "$T/scorer.log")" -eq 7
