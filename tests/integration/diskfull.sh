#!/usr/bin/env bash
# A disk that fills under the spool and the history (a small tmpfs): capture and scoring go on, each
# failure is logged once an episode, the alerts wait in memory and reach the spool when space
# returns, the history keeps its windows whole, and in the end Redis receives every alert once.
# Then under the model's folder during retraining: the old model stays, whole, until space returns.
. "$(dirname "$0")/lib.bash"
pcap=$DATA/sample.pcap
sock=${FLOWSAD_TEST_REDIS:-}
full=$T/full
mkdir -p "$full"
if ! mount -t tmpfs -o size=1m tmpfs "$full" 2>/dev/null; then
	echo "ok - disk-full scenario skipped: no tmpfs can be mounted here # SKIP"
	exit 0
fi
trap 'umount "$full" 2>/dev/null; rm -rf "$T"' EXIT

"$FLOWSAD" train --window 10s --seed 1 --epochs-pretrain 2 --epochs 2 --alert-quantile 0.5 \
	-o "$T/model" "$pcap" >/dev/null 2>&1
printf '[alerts]\nmin_score = -100\nsuppress = 0\n[retrain]\nhistory_dir = %s/history\n' "$full" \
	>"$T/full.conf"

# (1 MiB: room for the whole run's spool and history once space returns;
# every alert of this replay is sent, and 256 KiB no longer held them)
# the control: the same replay with room to spare
"$FLOWSAD" run -c "$T/full.conf" -r "$pcap" -m "$T/model" --jsonl "$T/control.jsonl" \
	--spool "$T/spool-control" 2>/dev/null
umount "$full" && mount -t tmpfs -o size=1m tmpfs "$full"
expected=$(wc -l <"$T/control.jsonl")

# the disk fills early in a paced replay, and space comes back two seconds later
mkdir -p "$full/history"
"$FLOWSAD" run -c "$T/full.conf" -r "$pcap" -m "$T/model" --jsonl "$T/full.jsonl" \
	--redis "$T/nowhere.sock" --spool "$full/spool" --replay-pps 8000 2>"$T/full.log" &
pid=$!
for _ in $(seq 100); do grep -q "replaying" "$T/full.log" && break; sleep 0.1; done # spool open
sleep 0.3
dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null
sleep 2
rm -f "$full/filler"
wait "$pid"
rc=$?
check_eq "the run ends normally" 0 "$rc"
check_eq "scoring went on: every alert was made ($expected)" "$expected" "$(wc -l <"$T/full.jsonl")"
check_eq "the spool's failure is logged once" 1 "$(grep -c 'spool: cannot write' "$T/full.log")"
check "... and its end, with the alerts held in memory spooled" \
	grep -q "spool: writable again; [0-9]* alerts held in memory are spooled" "$T/full.log"
check_eq "the history's failure is logged once" 1 "$(grep -c 'history: cannot write' "$T/full.log")"
check "... and its end" grep -q "history: writing again from window" "$T/full.log"

if [ -n "$sock" ]; then
	head -c 24 "$pcap" >"$T/empty.pcap"
	"$FLOWSAD" run -r "$T/empty.pcap" -m "$T/model" --redis "$sock" --stream diskfull \
		--spool "$full/spool" --jsonl /dev/null 2>/dev/null
	check_eq "every alert reaches Redis, once" "$expected" \
		"$(redis-cli -s "$sock" XLEN diskfull)"
	check_eq "... with no id twice" "$(grep -c '"kind":"alert"' "$T/control.jsonl")" \
		"$(redis-cli -s "$sock" --raw XRANGE diskfull - + |
		grep -o '"id":"flowsad-[^"]*"' | sort -u | wc -l)"
fi

# --- the disk is full before the start: the spool cannot be made; the daemon starts all the same,
# holds what Redis cannot take, and makes the spool when space returns
printf '[alerts]\nmin_score = -100\nsuppress = 0\n' >"$T/start.conf"
"$FLOWSAD" run -c "$T/start.conf" -r "$pcap" -m "$T/model" --jsonl "$T/start-control.jsonl" \
	--spool "$T/spool-start-control" 2>/dev/null
umount "$full" && mount -t tmpfs -o size=256k tmpfs "$full"
dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null
"$FLOWSAD" run -c "$T/start.conf" -r "$pcap" -m "$T/model" --jsonl "$T/start.jsonl" \
	--redis "$T/nowhere.sock" --spool "$full/spool" --replay-pps 8000 2>"$T/start.log" &
pid=$!
for _ in $(seq 100); do grep -q "replaying" "$T/start.log" && break; sleep 0.1; done
sleep 1
rm -f "$full/filler"
wait "$pid"
check_eq "a start on a full disk runs to its end" 0 $?
check "the spool that cannot be made is said at the start" grep -q \
	"spool: $full/spool.*: No space left on device; alerts Redis cannot take are held in memory" \
	"$T/start.log"
check_eq "scoring went on: every alert was made" "$(wc -l <"$T/start-control.jsonl")" \
	"$(wc -l <"$T/start.jsonl")"
check "the spool was made once space returned" test -s "$full/spool/alerts.spool"
if [ -n "$sock" ]; then
	"$FLOWSAD" run -r "$T/empty.pcap" -m "$T/model" --redis "$sock" --stream startfull \
		--spool "$full/spool" --jsonl /dev/null 2>/dev/null
	check_eq "... and every alert in it reaches Redis" "$(wc -l <"$T/start-control.jsonl")" \
		"$(redis-cli -s "$sock" XLEN startfull)"
fi

# --- the model's folder fills during retraining: the retraining fails whole (the file on disk is
# the old model, whole), the old model scores on, and with space back the next one is written
umount "$full" && mount -t tmpfs -o size=1m tmpfs "$full"
cp "$T/model" "$full/model"
old_id=$("$FLOWSAD" model "$full/model" | awk '/^id/ {print $2}')
printf '[alerts]\nmin_score = -100\n[model]\npath = %s/model\n' "$full" >"$T/retrain.conf"
printf '[retrain]\nhistory_dir = %s/history2\nmin_windows = 2\ninterval = 1s\n' "$T" >>"$T/retrain.conf"
dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null
"$FLOWSAD" run -c "$T/retrain.conf" -r "$pcap" --jsonl "$T/retrain.jsonl" --spool "$T/spool-r" \
	--replay-pps 2000 2>"$T/retrain.log" &
pid=$!
for _ in $(seq 150); do grep -q "retraining failed" "$T/retrain.log" && break; sleep 0.1; done
check "a retraining into a full folder fails, said so" \
	grep -q "retraining failed after .*No space left on device.*; the running model stays" "$T/retrain.log"
check_eq "the model on disk is still the old one, whole" "$old_id" \
	"$("$FLOWSAD" model "$full/model" 2>/dev/null | awk '/^id/ {print $2}')"
check "no partial file is left beside it" bash -c "! ls '$full' | grep -v '^model\$\|^filler\$' | grep -q ."
rm -f "$full/filler"
wait "$pid"
check_eq "the run ends normally" 0 $?
check "with space back a later retraining is written" grep -q "retrained in" "$T/retrain.log"
new_id=$("$FLOWSAD" model "$full/model" 2>/dev/null | awk '/^id/ {print $2}')
check "... and the model on disk is that one" test -n "$new_id" -a "$new_id" != "$old_id"
check "alerts went on all along" test -s "$T/retrain.jsonl"
