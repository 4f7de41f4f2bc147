#!/usr/bin/env bash
# A host that starts serving: lab 7 of the family (bench/data/labs/7), where a
# workstation begins serving a port and four others fetch from it every few
# seconds for three minutes. Trained on the lab's benign period, then run over
# all of it: the story is the serving host's, told once on its served side
# with its users listed, not four users each reaching a service they never
# used (daemon/windows/gates.h).
. "$(dirname "$0")/lib.bash"
here=$(cd "$(dirname "$0")/../.." && pwd)
lab=$here/bench/data/labs/7
xz -dc "$lab/capture.pcap.xz" >"$T/capture.pcap"
benign_end=$(python3 "$here/bench/operation_report.py" first "$lab/labels.csv")
editcap -B "$(date -u -d "@$benign_end" '+%Y-%m-%d %H:%M:%S')" "$T/capture.pcap" "$T/benign.pcap"

check "trained on the lab's benign period" "$FLOWSAD" train --window 10s --seed 1 --threads 1 \
	--quiet -o "$T/model" "$T/benign.pcap"
check "run over the whole capture" bash -c "'$FLOWSAD' run -r '$T/capture.pcap' -m '$T/model' \
--jsonl '$T/alerts.jsonl' 2>'$T/run.log'"
users=$(sed -n "s/.* only answering, \([0-9]*\) told as a young service's users;.*/\1/p" "$T/run.log")
check "the run's summary counts the users held back (${users:-none})" test "${users:-0}" -ge 2

check "the serving host is alerted on its served side, its users listed; they are not" \
	python3 - "$lab/labels.csv" "$T/alerts.jsonl" <<'PY'
import csv, json, sys
from datetime import datetime, timezone
ep = next(r for r in csv.DictReader(open(sys.argv[1])) if r["kind"] == "new-service")
start, end, users = int(ep["start_epoch"]), int(ep["end_epoch"]), set(ep["targets"].split())
def during(d):
    t = datetime.strptime(d["event"]["start"], "%Y-%m-%dT%H:%M:%SZ")
    t = t.replace(tzinfo=timezone.utc).timestamp()
    return start - 10 < t <= end
alerts = [d for d in map(json.loads, open(sys.argv[2])) if d["event"]["kind"] == "alert" and during(d)]
server = [d for d in alerts if d["source"]["ip"] == ep["src_ip"] and d["flowsad"]["side"] == "served"]
assert server, "no served alert on %s" % ep["src_ip"]
first = server[0]
listed = set(first["related"]["ip"][1:])
assert len(listed & users) >= 2 and first["flowsad"]["service_users"] >= len(listed), first
assert not listed - users, listed - users
told = [d["source"]["ip"] for d in alerts if d["source"]["ip"] in users]
assert not told, "users alerted on their own: %s" % told
print("served alert at", first["event"]["start"], "users", sorted(listed))
PY
