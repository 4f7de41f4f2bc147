#!/usr/bin/env bash
# The alert contract as a SIEM reads it, on real alerts: `flowsad run -r`
# over the bundled capture with models of its benign minutes (10-second and
# 1-minute windows, so that every optional field occurs), then every
# document checked against the Elastic Common Schema 8.11.0 (tests/data/ecs:
# fields, types, arrays, categorization values) and against the index
# template shipped in docs/elasticsearch (every field mapped, with its ECS
# type); event time, scoring time and the message line as docs/alerts.md
# gives them.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)
template=$(cd "$(dirname "$0")/../../docs/elasticsearch" && pwd)/flowsad-template.json
pcap=$DATA/sample.pcap
first=$(sed -n 2p "$DATA/sample-labels.csv" | cut -d, -f2)
ecs_check() { python3 "$tools/ecs-check.py" --ecs "$DATA/ecs" --template "$template" "$@"; }

editcap -B "$first" "$pcap" "$T/benign.pcap"
check "train on the benign minutes" \
	"$FLOWSAD" train --window 10s --seed 1 --quiet -o "$T/m" "$T/benign.pcap"
# the capture, then its benign start again a quarter of an hour later, when
# the capture's incidents have ended (five quiet minutes)
editcap -t 900 "$T/benign.pcap" "$T/later.pcap"
before=$(date -u +%Y-%m-%dT%H:%M:%SZ)
check "run -r over the whole capture" "$FLOWSAD" run -r "$pcap" -r "$T/later.pcap" -m "$T/m" \
	--jsonl "$T/all.jsonl"
after=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# a minute's windows: the SYN scan's refusals give related hosts (answered_by)
check "and with 1-minute windows" bash -c "'$FLOWSAD' train --seed 1 --quiet -o '$T/m60' \
'$T/benign.pcap' && '$FLOWSAD' run -r '$pcap' -m '$T/m60' --jsonl '$T/minute.jsonl'"
check "the runs gave alerts, ends of incidents and every optional field" python3 - \
	"$T/all.jsonl" "$T/minute.jsonl" <<'PY'
import json, sys
docs = [json.loads(l) for path in sys.argv[1:] for l in open(path)]
kinds = [d["event"]["kind"] for d in docs]
assert kinds.count("alert") >= 5 and kinds.count("event") >= 1, kinds
for key in ("usual_score", "answered_by", "incident"):
    assert any(key in d["flowsad"] for d in docs if d["event"]["kind"] == "alert"), key
assert any(len(d["related"]["ip"]) > 1 for d in docs)
PY

check "every field outside flowsad.* is ECS 8.11.0, of its type; categorization values allowed; \
the template maps every field, with its ECS type" ecs_check "$T/all.jsonl" "$T/minute.jsonl"

# the check itself must refuse what breaks the contract
python3 - "$T/all.jsonl" "$T" <<'PY'
import json, sys
a = next(d for d in map(json.loads, open(sys.argv[1])) if d["event"]["kind"] == "alert")
broken = {
    "unknown": lambda d: d["event"].update(risk=1),
    "type": lambda d: d["event"].update(severity="high"),
    "category": lambda d: d["event"].update(type=["end"]),
    "unmapped": lambda d: d["flowsad"].update(extra=1),
}
for name, spoil in broken.items():
    d = json.loads(json.dumps(a))
    spoil(d)
    open("%s/broken-%s.jsonl" % (sys.argv[2], name), "w").write(json.dumps(d) + "\n")
PY
for b in "unknown:a field ECS does not have" "type:a value not of its ECS type" \
	"category:an event.type its category does not expect" "unmapped:a field the template lacks"; do
	check_exit "the check refuses ${b#*:}" 1 ecs_check "$T/broken-${b%%:*}.jsonl"
done

check "@timestamp is the window's end in the capture's time; event.created the time of the run" \
	python3 - "$T/all.jsonl" "$before" "$after" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    e = d["event"]
    assert d["@timestamp"] == e["end"] and d["@timestamp"].startswith("2026-11-29T"), d
    assert sys.argv[2] <= e["created"] <= sys.argv[3], e
    if e["kind"] == "alert":
        assert e["duration"] == 10 * 10**9 and e["dataset"] == "flowsad.alert"
    else:
        assert e["dataset"] == "flowsad.incident"
PY

check "risk_score_norm and severity follow the score over its threshold" \
	python3 - "$T/all.jsonl" <<'PY'
import json, math, sys
for d in map(json.loads, open(sys.argv[1])):
    e, f = d["event"], d["flowsad"]
    if e["kind"] != "alert":
        assert "severity" not in e and "risk_score_norm" not in e
        continue
    norm = min(100.0, max(0.0, 50 * math.log10(f["score"] / f["threshold"])))
    assert abs(e["risk_score_norm"] - norm) < 0.01, (e, f)
    bands = [(21, 1), (47, 2), (73, 3), (100, 4)]
    assert e["severity"] == next(s for top, s in bands if e["risk_score_norm"] <= top), e
PY

check "observer and related.ip name the sensor, flowsad and the hosts involved" \
	python3 - "$T/all.jsonl" <<'PY'
import json, sys
for d in map(json.loads, open(sys.argv[1])):
    o = d["observer"]
    assert o["name"] and o["type"] == "ids" and o["product"] == o["vendor"] == "flowsad", o
    assert o["version"], o
    assert d["related"]["ip"][0] == d["source"]["ip"], d
PY

# the message of each alert: its source, then counts of the sample, in words
check "each alert's message tells its source and the sample's counts in one line" \
	python3 - "$T/all.jsonl" <<'PY'
import json, re, sys
for d in map(json.loads, open(sys.argv[1])):
    m, alert = d["message"], d["event"]["kind"] == "alert"
    assert "\n" not in m and m.startswith(d["source"]["ip"] + (" " if alert else ": ")), m
    assert re.search(r"\d", m), m
    if alert:
        assert d["flowsad"]["behaviour"].split("+")[0] in ("fan-out", "volume", "failures",
            "tcp", "protocol-mix", "new-source", "services", "serving") or \
            d["flowsad"]["behaviour"].startswith("svc ")
PY
sweep='"message":"10\.77\.0\.17 opened [0-9]+ flows to [0-9]+ hosts on [0-9]+ ports?; '
sweep+='it sent [0-9]+ TCP, [0-9]+ UDP, [0-9]+ ICMP'
check "the ping sweep's message counts its hosts and its ICMP" grep -Eq "$sweep" "$T/all.jsonl"
