#!/usr/bin/env bash
# flowsad detect: report, stats and pictures on a matrix with planted anomalies.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)

# anomalies: normal rows with feature f7 raised; "zero" is a feature always 0
# training data without the planted rows
python3 "$tools/planted-matrix.py" 1000 24 7 --spike 7 --zero-column | grep -v ',10\.9\.' >"$T/train.csv"
python3 "$tools/planted-matrix.py" 1000 24 8 --spike 7 --zero-column >"$T/test.csv"
"$FLOWSAD" train --quiet --hidden 32,16,8 --epochs 20 --seed 2 -o "$T/m" "$T/train.csv" 2>/dev/null

check "detect writes its four files" "$FLOWSAD" detect -m "$T/m" -o "$T/out" "$T/test.csv"
for f in report.csv stats.json loss.svg embedding.svg; do
	check "$f is there and not empty" test -s "$T/out/$f"
done
report=$T/out/report.csv
check_eq "report header as the seed's detection_report, plus values" \
	"window_start,src_ip,anomaly_score,shap_top_1,top_1_shap_value,top_1_value,shap_top_2" \
	"$(head -1 "$report" | cut -d, -f1-7)"
check_eq "k = 5 features per row by default" 18 "$(head -1 "$report" | tr , '\n' | wc -l)"
rows=$(tail -n +2 "$report" | wc -l)
check "some anomalies are reported ($rows)" test "$rows" -ge 5
check "at most 5 rows per window" bash -c "tail -n +2 '$report' | cut -d, -f1 | sort | uniq -c | awk '\$1 > 5 {exit 1}'"
check "rows are sorted by score, highest first" bash -c "tail -n +2 '$report' | cut -d, -f3 | sort -g -r -c"
check "every reported score is above --min-score 10" bash -c "tail -n +2 '$report' | awk -F, '\$3 <= 10 {exit 1}'"
planted=$(grep -c ',10\.9\.' "$report")
on_f7=$(grep ',10\.9\.' "$report" | awk -F, '$4 == "f7"' | wc -l)
check_eq "every reported planted row names the spiked feature f7 first ($on_f7 of $planted)" "$planted" "$on_f7"
check "planted rows are reported ($planted)" test "$planted" -ge 5
check "the seed's presentation: top Shapley values are >= 1 (shifted)" bash -c \
	"tail -n +2 '$report' | awk -F, '\$5 < 1 {exit 1}'"

"$FLOWSAD" detect -k 25 -m "$T/m" -o "$T/all" "$T/test.csv" 2>/dev/null
check "a zero-valued feature gets Shapley value 0 and is named '0'" bash -c \
	"tail -n +2 '$T/all/report.csv' | awk -F, '{for (i = 4; i <= NF; i += 3) if (\$(i+2) == 0 && !(\$i == \"0\" && \$(i+1) == 0)) exit 1}' && grep -q ',0,0,0' '$T/all/report.csv'"
"$FLOWSAD" detect --no-zero-correction --no-shift -m "$T/m" -o "$T/raw" "$T/test.csv" 2>/dev/null
check "--no-shift gives the raw values (some below 1)" bash -c \
	"tail -n +2 '$T/raw/report.csv' | awk -F, '{for (i = 5; i <= NF; i += 3) if (\$i < 1) f = 1} END {exit !f}'"

"$FLOWSAD" detect -m "$T/m" -o "$T/again" "$T/test.csv" 2>/dev/null
check "the same seed gives the same report" cmp "$report" "$T/again/report.csv"
"$FLOWSAD" detect --seed 99 -m "$T/m" -o "$T/other" "$T/test.csv" 2>/dev/null
check "another seed draws other samples" bash -c "! cmp -s '$report' '$T/other/report.csv'"
"$FLOWSAD" detect -n 1 --min-score 0 -m "$T/m" -o "$T/n1" "$T/test.csv" 2>/dev/null
check_eq "-n 1 --min-score 0: one row per window" 5 "$(tail -n +2 "$T/n1/report.csv" | wc -l)"

check "stats.json has the counts, the anomalies and the model id" python3 -c "
import json, subprocess
s = json.load(open('$T/out/stats.json'))
m = json.loads(subprocess.check_output(['$FLOWSAD', 'model', '--json', '$T/m']))
assert s['samples'] == 1000 and s['windows'] == 5, s
assert s['anomaly_count'] == $rows == len(s['anomalies'])
assert s['model_id'] == m['model_id']
assert s['time_range'] == {'first_window': '2026-03-01T13:00:00Z', 'last_window': '2026-03-01T17:00:00Z'}
assert s['labelled'] == {'normal': 0, 'anomaly': 0}"
check "the pictures are well-formed SVG with data in them" python3 -c "
import xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
loss = ET.parse('$T/out/loss.svg').getroot()
assert loss.tag == ns + 'svg' and len(loss.findall(ns + 'polyline')) == 2
emb = ET.parse('$T/out/embedding.svg').getroot()
assert len(emb.findall(ns + 'circle')) >= 1000"

"$FLOWSAD" train --quiet --hidden 8,4 --epochs 2 --background 0 -o "$T/nobg" "$T/train.csv" 2>/dev/null
check_exit "a model without background rows cannot explain: 65" 65 "$FLOWSAD" detect -m "$T/nobg" -o "$T/x" "$T/test.csv"
check "... and says why" grep -q "no background rows" "$T/exit.out"
check_exit "an output folder that cannot be made: 73" 73 "$FLOWSAD" detect -m "$T/m" -o /proc/flowsad "$T/test.csv"

# one scoring path: the daemon's alert and detect's report give the same sample the same
# score and the same Shapley values (detect without the seed's presentation)
pcap=$DATA/sample.pcap
"$FLOWSAD" train --window 1m --seed 3 --epochs-pretrain 3 --epochs 3 --alert-quantile 0.5 \
	-o "$T/net.model" "$pcap" \
	>/dev/null 2>&1
printf "[alerts]\nmin_score = -100\ntop_n = 3\nsuppress = 0\n" >"$T/alerts.conf"
"$FLOWSAD" run -c "$T/alerts.conf" -r "$pcap" -m "$T/net.model" --jsonl "$T/alerts.jsonl" \
	--spool "$T/spool" 2>/dev/null
"$FLOWSAD" detect --min-score 3 -n 3 --no-zero-correction --no-shift -m "$T/net.model" \
	-o "$T/net" "$pcap" 2>/dev/null
python3 - "$T/alerts.jsonl" "$T/net/report.csv" >"$T/same.txt" <<'PY'
import csv, json, sys
alerts = [a for a in map(json.loads, open(sys.argv[1])) if a["event"]["kind"] == "alert"]
rows = {(r["window_start"], r["src_ip"]): r for r in csv.DictReader(open(sys.argv[2]))}
same = differ = 0
for a in alerts:
    key = (a["event"]["start"], a["source"]["ip"])
    r = rows.get(key)
    if r is None:
        continue
    e = a["flowsad"]["explanation"][0]
    ok = (abs(float(r["anomaly_score"]) - a["flowsad"]["score"]) < 1e-3 * max(1, a["flowsad"]["score"])
          and r["shap_top_1"] == e["feature"]
          and abs(float(r["top_1_shap_value"]) - e["shap"]) < 1e-3 * max(1, abs(e["shap"])))
    same += ok
    differ += not ok
print(same, differ)
PY
read -r same differ <"$T/same.txt"
check "samples alerted by the daemon and reported by detect: same score and Shapley values ($same same, $differ differ)" \
	test "${same:-0}" -ge 3 -a "${differ:-1}" = 0
