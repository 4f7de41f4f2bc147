#!/usr/bin/env bash
# flowsad detect: report, stats and pictures on a matrix with planted anomalies.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)

# anomalies: normal rows with feature f7 raised; "zero" is a feature always 0
# training data without the planted rows
python3 "$tools/planted-matrix.py" 1000 24 7 --spike 7 --zero-column | grep -v ',10\.9\.' >"$T/train.csv"
python3 "$tools/planted-matrix.py" 1000 24 8 --spike 7 --zero-column >"$T/test.csv"
"$FLOWSAD" train --quiet --hidden 32,16,8 --epochs 20 --seed 2 -o "$T/m" "$T/train.csv" 2>/dev/null

check "detect writes its files" "$FLOWSAD" detect -m "$T/m" -o "$T/out" "$T/test.csv"
for f in report.csv stats.json scores.svg timeline.svg explanations.svg loss.svg report.html; do
	check "$f is there and not empty" test -s "$T/out/$f"
done
check "no embedding picture any more" test ! -e "$T/out/embedding.svg"
report=$T/out/report.csv
check_eq "report header as the seed's detection_report, plus values" \
	"window_start,src_ip,anomaly_score,shap_top_1,top_1_shap_value,top_1_value,shap_top_2" \
	"$(head -1 "$report" | cut -d, -f1-7)"
check_eq "k = 5 features per row by default, then the alert mark" 19 \
	"$(head -1 "$report" | tr , '\n' | wc -l)"
check_eq "the last column marks the rows over the alert threshold" over_threshold \
	"$(head -1 "$report" | cut -d, -f19)"
rows=$(tail -n +2 "$report" | wc -l)
check "some anomalies are reported ($rows)" test "$rows" -ge 5
check "at most 5 rows per window" bash -c "tail -n +2 '$report' | cut -d, -f1 | sort | uniq -c | awk '\$1 > 5 {exit 1}'"
check "rows are sorted by score, highest first" bash -c "tail -n +2 '$report' | cut -d, -f3 | sort -g -r -c"
threshold=$(python3 -c "import json
print(json.load(open('$T/out/stats.json'))['alert_threshold']['threshold'])")
calibrated=$("$FLOWSAD" model --json "$T/m" |
	python3 -c "import json, sys; print(json.load(sys.stdin)['calibration']['threshold'])")
check_eq "by default the threshold is the model's calibration (above min_score 3)" \
	"$calibrated" "$threshold"
check "every reported score is above it, and marked" bash -c \
	"tail -n +2 '$report' | awk -F, '\$3 <= $threshold || \$19 != 1 {exit 1}'"
planted=$(grep -c ',10\.9\.' "$report")
on_f7=$(grep ',10\.9\.' "$report" | awk -F, '$4 == "f7"' | wc -l)
check_eq "every reported planted row names the spiked feature f7 first ($on_f7 of $planted)" "$planted" "$on_f7"
check "planted rows are reported ($planted)" test "$planted" -ge 5
check "the seed's presentation: top Shapley values are >= 1 (shifted)" bash -c \
	"tail -n +2 '$report' | awk -F, '\$5 < 1 {exit 1}'"

"$FLOWSAD" detect -k 25 -m "$T/m" -o "$T/all" "$T/test.csv" 2>/dev/null
check "a zero-valued feature gets Shapley value 0 and is named '0'" bash -c \
	"tail -n +2 '$T/all/report.csv' | awk -F, '{for (i = 4; i < NF; i += 3) if (\$(i+2) == 0 && !(\$i == \"0\" && \$(i+1) == 0)) exit 1}' && grep -q ',0,0,0' '$T/all/report.csv'"
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
check "the pictures are well-formed SVG with data in them" python3 - "$T/out" <<'PY'
import json, sys, xml.etree.ElementTree as ET
out, ns = sys.argv[1], '{http://www.w3.org/2000/svg}'
svg = lambda name: ET.parse(out + '/' + name).getroot()
stats = json.load(open(out + '/stats.json'))
assert len(svg('loss.svg').findall(ns + 'polyline')) == 2
# the histogram counts every sample once, the threshold marked
scores = svg('scores.svg')
counts = [int(r.find(ns + 'title').text) for r in scores.iter(ns + 'rect') if r.find(ns + 'title') is not None]
assert sum(counts) == stats['samples'], (sum(counts), stats['samples'])
assert any(l.get('stroke-dasharray') for l in scores.iter(ns + 'line'))
# the timeline: a red dot for each sample over the threshold (and one in the legend)
red = [c for c in svg('timeline.svg').iter(ns + 'circle') if c.get('fill') == '#d62728']
assert len(red) == stats['alert_threshold']['over_threshold'] + 1, len(red)
# the explanations: the top 5 anomalies, 5 bars each
panels = svg('explanations.svg').findall(ns + 'g')
assert len(panels) == min(5, stats['anomaly_count']), len(panels)
assert all(len(p.findall('.//' + ns + 'rect')) == 1 + 5 for p in panels)  # background + bars
PY
check "report.html is one page that fetches nothing, with the report's rows" python3 - "$T/out" <<'PY'
import csv, re, sys
out = sys.argv[1]
page = open(out + '/report.html').read()
assert page.startswith('<!DOCTYPE html>') and page.rstrip().endswith('</html>')
for outside in ('<script', '<link', '<img', '<iframe', 'src=', 'href=', 'url(', '@import'):
    assert outside not in page, outside
# the only address is the SVG namespace, which is a name, not a place to fetch
assert set(re.findall(r'https?://[^"\s]*', page)) <= {'http://www.w3.org/2000/svg'}
rows = list(csv.DictReader(open(out + '/report.csv')))
assert page.count('<svg') >= 4 + min(5, len(rows)) - 1
assert page.count('<tr') == len(rows) + 1
assert page.count('<tr class="over"') == sum(r['over_threshold'] == '1' for r in rows)
for r in rows[:5]:
    assert r['src_ip'] in page and r['shap_top_1'] in page
PY

"$FLOWSAD" train --quiet --hidden 8,4 --epochs 2 --background 0 -o "$T/nobg" "$T/train.csv" 2>/dev/null
check_exit "a model without background rows cannot explain: 65" 65 "$FLOWSAD" detect -m "$T/nobg" -o "$T/x" "$T/test.csv"
check "... and says why" grep -q "no background rows" "$T/exit.out"
check_exit "an output folder that cannot be made: 73" 73 "$FLOWSAD" detect -m "$T/m" -o /proc/flowsad "$T/test.csv"

# one notion of an anomaly: run and detect, with the same model, settings (-c) and capture, give
# the same sample the same score and the same leading Shapley values (detect without the seed's
# presentation); every alert of run is a row of detect's report, marked over the threshold, and
# what detect marks but run did not alert is what run's gates held back (its summary line).
# compare_with_run NAME MODEL CONF: the checks, with detect's report in $T/NAME
compare_with_run() {
	local name=$1 model=$2 conf=$3 n='\([0-9]*\)' held alerts marked bad
	"$FLOWSAD" run -c "$conf" -r "$pcap" -m "$model" --jsonl "$T/$name.jsonl" \
		--spool "$T/$name.spool" 2>"$T/$name.err"
	"$FLOWSAD" detect -c "$conf" --no-zero-correction --no-shift -m "$model" -o "$T/$name" \
		"$pcap" 2>/dev/null
	local summary="held back: $n repeats, $n within their usual score, $n only answering"
	held=$(sed -n "s/.*$summary.*/\1+\2+\3/p" "$T/$name.err")
	python3 - "$T/$name.jsonl" "$T/$name/report.csv" "$T/$name/stats.json" "$((${held:-0}))" \
		>"$T/same.txt" <<'PY'
import csv, json, sys
alerts = [a for a in map(json.loads, open(sys.argv[1])) if a["event"]["kind"] == "alert"]
rows = {(r["window_start"], r["src_ip"]): r for r in csv.DictReader(open(sys.argv[2]))}
threshold = json.load(open(sys.argv[3]))["alert_threshold"]["threshold"]
close = lambda a, b: abs(a - b) <= 1e-5 * max(1, abs(b))
bad = []
for a in alerts:
    key = (a["event"]["start"], a["source"]["ip"])
    r, f = rows.get(key), a["flowsad"]
    if r is None:
        bad.append("%s %s: alerted, not reported" % key)
        continue
    if not close(float(r["anomaly_score"]), f["score"]):
        bad.append("%s %s: score %s, alert %s" % (*key, r["anomaly_score"], f["score"]))
    if r["over_threshold"] != "1":
        bad.append("%s %s: alerted, not marked" % key)
    for i, e in enumerate(f["explanation"], 1):
        # the report names a feature of Shapley value 0 "0" (the seed's convention)
        named = r["shap_top_%d" % i] in (e["feature"], "0" if e["shap"] == 0 else None)
        if not named or \
           not close(float(r["top_%d_shap_value" % i]), e["shap"]) or \
           not close(float(r["top_%d_value" % i]), e["value"]):
            bad.append("%s %s: feature %d %s %s, alert %s %s" % (
                *key, i, r["shap_top_%d" % i], r["top_%d_shap_value" % i], e["feature"], e["shap"]))
marked = sum(r["over_threshold"] == "1" for r in rows.values())
if marked != len(alerts) + int(sys.argv[4]):
    bad.append("%d marked, %d alerted + %s held back" % (marked, len(alerts), sys.argv[4]))
if any(float(r["anomaly_score"]) <= threshold for r in rows.values()):
    bad.append("a row at or below the threshold %g" % threshold)
print(len(alerts), marked, "; ".join(bad) or "none")
PY
	read -r alerts marked bad <"$T/same.txt"
	check "$name: run's $alerts alerts are detect's rows: same score, features, Shapley values" \
		test "${alerts:-0}" -ge 3 -a "$bad" = none
	check "$name: detect marks $marked, run's alerts and what its gates held back (bad: $bad)" \
		test "$bad" = none
}
pcap=$DATA/sample.pcap
"$FLOWSAD" train --window 1m --seed 3 --epochs-pretrain 3 --epochs 3 -o "$T/net.model" "$pcap" \
	>/dev/null 2>&1
printf "[alerts]\nsuppress = 0\n" >"$T/alerts.conf"
compare_with_run net "$T/net.model" "$T/alerts.conf"
# the model of `make run` (the benign minutes, 10-second windows) and the shipped settings: its
# calibration is its highest training score, which the replay meets again in that sample; only
# when detect scores as run does (a window's samples in one batch) is it on the same side
first=$(sed -n 2p "$DATA/sample-labels.csv" | cut -d, -f2)
editcap -B "$first" "$pcap" "$T/benign.pcap"
"$FLOWSAD" train --window 10s --seed 1 --quiet -o "$T/demo.model" "$T/benign.pcap" 2>/dev/null
printf "[alerts]\n" >"$T/shipped.conf"
compare_with_run demo "$T/demo.model" "$T/shipped.conf"

"$FLOWSAD" detect -c "$T/alerts.conf" --min-score 0 -m "$T/net.model" -o "$T/below" "$pcap" \
	2>/dev/null
check "--min-score 0 reports below the threshold too, unmarked" python3 -c "
import csv, json
t = json.load(open('$T/below/stats.json'))['alert_threshold']['threshold']
rows = list(csv.DictReader(open('$T/below/report.csv')))
assert any(float(r['anomaly_score']) <= t for r in rows)
assert all((float(r['anomaly_score']) > t) == (r['over_threshold'] == '1') for r in rows)"
check "a capture's scores span decades: the histogram's score axis is logarithmic" python3 -c "
import xml.etree.ElementTree as ET
svg = ET.parse('$T/net/scores.svg').getroot()
texts = [t.text for t in svg.iter('{http://www.w3.org/2000/svg}text')]
assert 'score (logarithmic axis)' in texts and {'1', '10', '100'} <= set(texts), texts"
