#!/usr/bin/env bash
# BENCH=operation: what a SOC gets from flowsad in operation, on the long lab
# (tests/lab/make-operation.sh: a benign period, then twelve attack episodes).
#
#   (a) trained on the benign period (flowsad train --window 10s), then
#       `flowsad run -r` over the whole capture with the shipped defaults;
#   (b) a cold start: `flowsad run -r` with a history and min_windows, no
#       model: it learns from the first windows, then scores;
# each from the packet capture and from NetFlow v9 of the same traffic
# (softflowd), beside an Isolation Forest peer (scikit-learn, 200 trees, on
# the per-(window, source) counters of `flowsad aggregate`, trained on the
# same benign period; its threshold the highest training score, the top 5 a
# window above it, as protocol (a) asks of flowsad). Figures after the
# training period: tests/tools/alert-eval.py.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
flowsad=$BUILD/flowsad
data=${OPERATION_DATA:-bench/data}
out=$BUILD/bench/operation
mkdir -p "$out"
labels=$data/operation-labels.csv
[ -f "$labels" ] || { echo "(no lab data in $data: run tests/lab/make-operation.sh)"; exit 0; }
for f in operation.pcap operation-netflow-v9.pcap; do
	[ -f "$out/$f" ] || xz -dc "$data/$f.xz" >"$out/$f"
done
pcap=$out/operation.pcap v9=$out/operation-netflow-v9.pcap
benign_end=$(tail -n +2 "$labels" | cut -d, -f2 | sort -n | head -1)
w=10

# the benign period, as a capture and as NetFlow v9 of it (softflowd, as the lab made the full one)
[ -f "$out/benign.pcap" ] || editcap -B "$benign_end" "$pcap" "$out/benign.pcap"
if [ ! -f "$out/benign-v9.pcap" ]; then
	tcpdump -n -i lo -s 0 -U -w "$out/benign-v9.pcap" "udp and port 29986" 2>/dev/null &
	tdpid=$!
	sleep 1
	(cd "$out" && softflowd -r benign.pcap -n 127.0.0.1:29986 -v 9 -d -D >/dev/null 2>&1) || true
	sleep 1
	kill "$tdpid"; wait "$tdpid" 2>/dev/null || true
fi

evaluate() { # NAME ALERTS SCORES FROM
	python3 tests/tools/alert-eval.py --labels "$labels" --alerts "$2" --scores "$3" --window $w \
		--from "$4" --slack 1 --json >"$out/$1.json"
}

protocol_a() { # NAME FORMAT CAPTURE TRAINING [TRAIN OPTIONS]
	local n=$1 fmt=$2 cap=$3 benign=$4
	shift 4
	"$flowsad" train --window ${w}s --seed 1 --quiet --input-format "$fmt" "$@" -o "$out/$n.model" \
		"$benign" 2>/dev/null
	rm -f "$out/$n.jsonl"
	"$flowsad" run -r "$cap" --input-format "$fmt" -m "$out/$n.model" --jsonl "$out/$n.jsonl" 2>"$out/$n.log"
	"$flowsad" score --input-format "$fmt" -m "$out/$n.model" "$cap" >"$out/$n.scores" 2>/dev/null
	evaluate "$n" "$out/$n.jsonl" "$out/$n.scores" "$benign_end"
}

protocol_b() { # NAME FORMAT CAPTURE
	local n=$1 fmt=$2 cap=$3
	# paced to last about two minutes, so that the first training ends mid-replay
	local pps=$(( $(tcpdump -r "$cap" 2>/dev/null | wc -l) / 120 + 10 ))
	rm -rf "$out/$n" && mkdir -p "$out/$n"
	# learns from its first 60 windows (10 minutes), then scores the rest; flow
	# records wait 5 minutes for late ones (not the hour a replay of flows
	# allows by default, which would keep every window open to the end)
	printf '[window]\nlength = %ds\n%b[model]\npath = %s\n[retrain]\nhistory_dir = %s\nmin_windows = 60\n' \
		$w "$([ "$fmt" = pcap ] || echo 'lateness = 5m\n')" "$out/$n/model" "$out/$n/history" \
		>"$out/$n/flowsad.conf"
	"$flowsad" run -c "$out/$n/flowsad.conf" -r "$cap" --input-format "$fmt" --replay-pps "$pps" \
		--jsonl "$out/$n.jsonl" 2>"$out/$n.log"
	# (no model: the cold start did not learn within the capture)
	"$flowsad" score --input-format "$fmt" -m "$out/$n/model" "$cap" >"$out/$n.scores" 2>/dev/null ||
		: >"$out/$n.scores"
	# counted from the first window the model scored
	local from
	from=$(sed -n 's/^flowsad: window \([^ ]*\): [0-9]* samples, [0-9]* alerts.*/\1/p' "$out/$n.log" | head -1)
	evaluate "$n" "$out/$n.jsonl" "$out/$n.scores" "$(date -u -d "${from:-1970-01-01T00:00:00Z}" +%s)"
}

iforest() { # NAME FORMAT CAPTURE BENIGN
	local n=$1 fmt=$2
	"$flowsad" aggregate --window ${w}s --input-format "$fmt" "$4" >"$out/$n.train.csv" 2>/dev/null
	"$flowsad" aggregate --window ${w}s --input-format "$fmt" "$3" >"$out/$n.all.csv" 2>/dev/null
	/usr/bin/python3 bench/iforest_peer.py "$out/$n.train.csv" "$out/$n.all.csv" $w "$out/$n.jsonl" "$out/$n.scores"
	evaluate "$n" "$out/$n.jsonl" "$out/$n.scores" "$benign_end"
}

echo "## Operation: alerts on the long lab (trained on its benign period, then run over all of it)"
echo
protocol_a a-pcap pcap "$pcap" "$out/benign.pcap"
protocol_a a-v9 netflow-pcap "$v9" "$out/benign-v9.pcap"
protocol_b b-pcap pcap "$pcap"
protocol_b b-v9 netflow-pcap "$v9"
# a baseline that holds the attacks: trained on the whole capture, one pass or the robust two
protocol_a c-pcap-once pcap "$pcap" "$pcap" --trim 0
protocol_a c-pcap-robust pcap "$pcap" "$pcap"
iforest if-pcap pcap "$pcap" "$out/benign.pcap"
iforest if-v9 netflow-pcap "$v9" "$out/benign-v9.pcap"

printf '| %-32s | %6s | %9s | %8s | %9s | %12s | %6s |\n' run alerts precision episodes "delay s" "false/10 h·h" AUC
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ---------------------------------- -------- ----------- ---------- ----------- -------------- --------
for r in "a-pcap:flowsad (a) pcap" "a-v9:flowsad (a) NetFlow v9" "b-pcap:flowsad (b) cold start, pcap" \
	"b-v9:flowsad (b) cold start, NetFlow v9" "if-pcap:Isolation Forest (a) pcap" \
	"if-v9:Isolation Forest (a) NetFlow v9" "c-pcap-once:attacks in training, one pass" \
	"c-pcap-robust:attacks in training, robust pass"; do
	python3 - "$out/${r%%:*}.json" "${r#*:}" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print("| %-32s | %6d | %9.2f | %5d/%-2d | %4s/%-4s | %12.1f | %6.3f |" % (
    sys.argv[2], e["alerts"], e["precision"], e["episodes_alerted"], e["episodes"],
    "%.0f" % e["delay_median"], "%.0f" % e["delay_max"], e["false_per_10_host_hours"], e["auc"]))
PY
done
echo
echo "($(tail -n +2 "$labels" | wc -l) episodes: $(tail -n +2 "$labels" | cut -d, -f4 | tr '\n' ' ');"
echo "benign period $(( (benign_end - $(tcpdump -r "$pcap" -c1 -tt 2>/dev/null | cut -d. -f1)) / 60 )) min,"
echo "10-second windows; delay: episode start to the end of its first alerted window, median/max;"
echo "false alerts per 10 benign host-hours (samples of sources not attacking x 10 s);"
echo "attacks in training: trained on the whole capture (--trim 0, or the default robust pass), then as (a);"
echo "missed (a) pcap: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["missed"])' "$out/a-pcap.json"),"
echo "(a) v9: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["missed"])' "$out/a-v9.json"))"
echo
