#!/usr/bin/env bash
# train / score / detect on the bundled capture: network features end to end.
. "$(dirname "$0")/lib.bash"
pcap=$DATA/sample.pcap
export SOURCE_DATE_EPOCH=1795950000

check "train on the capture (1-minute windows, no labels)" \
	"$FLOWSAD" train --window 1m --seed 1 --threads 1 -o "$T/m" "$pcap"
check "the model records the window and the network features" bash -c \
	"'$FLOWSAD' model '$T/m' | grep -q '^window       1m' && '$FLOWSAD' model --json '$T/m' | grep -q '\"svc private->private tcp/80\"'"

"$FLOWSAD" score -m "$T/m" "$pcap" >"$T/scores.csv" 2>/dev/null
check_eq "one score per (window, source) sample" 137 "$(wc -l <"$T/scores.csv")"
check_episodes_top5 "$T/scores.csv" ""

"$FLOWSAD" detect -m "$T/m" -o "$T/det" "$pcap" 2>/dev/null
check "detect reports the SYN scan, explained by what it touched" bash -c \
	"grep -Eq '^2026-11-29T11:09:00Z,10.77.0.18,[0-9.]+,(svc|fanout|tcp|host) ' '$T/det/report.csv'"

conf=$(cd "$(dirname "$0")/../../conf" && pwd)
"$FLOWSAD" train --window 1m --epochs 2 --epochs-pretrain 1 --locations "$conf/locations.example" \
	--known-normal "$conf/known-normal.example" -o "$T/ml" "$pcap" 2>"$T/ml.log"
check "the example label list reads" grep -q "known-normal.example: 2 entries label 22 sample" "$T/ml.log"
check "the example location table names the service terms" bash -c \
	"'$FLOWSAD' model --json '$T/ml' | grep -q '\"svc clients->servers tcp/80\"'"
"$FLOWSAD" score -m "$T/ml" "$pcap" >"$T/ls.csv" 2>/dev/null
check "a model keeps its locations and window when scoring" test "$(wc -l <"$T/ls.csv")" = 137
printf '10.0.0.0/33,bad\n' >"$T/badloc.csv"
check_exit "a bad location table names file and line: 65" 65 "$FLOWSAD" train --locations "$T/badloc.csv" -o "$T/x" "$pcap"
check "... file:line" grep -q "badloc.csv:1: expected CIDR,name" "$T/exit.out"
check_exit "a network model cannot score a feature matrix: 65" 65 "$FLOWSAD" score -m "$T/m" "$DATA/../tools/planted-matrix.py"
check_exit "a filter that matches nothing gives no samples: 65" 65 \
	"$FLOWSAD" train --filter "host 192.0.2.1" -o "$T/x" "$pcap"
check "... and says so" grep -q "no samples" "$T/exit.out"

# labels: known-normal servers score lower than when unlabelled; known
# anomalies are counted into the model (eta 10, as the daemon's retraining:
# with the paper's 1 a label weighs no more than an unlabelled sample)
printf 'src_ip\n# the lab servers\n10.77.1.0/24\n' >"$T/normal.txt"
printf '2026-11-29T11:10:00Z,10.77.0.17\n10.77.0.18\n' >"$T/anomaly.txt"
"$FLOWSAD" train --window 1m --seed 1 --eta 10 --known-normal "$T/normal.txt" --known-anomaly "$T/anomaly.txt" \
	-o "$T/labelled" "$pcap" 2>"$T/labels.log"
check "label lists label the samples they name" bash -c \
	"grep -q 'normal.txt: 1 entries label 21 sample' '$T/labels.log' && grep -q 'anomaly.txt: 2 entries label 8 sample' '$T/labels.log'"
check "the model counts them" bash -c "'$FLOWSAD' model '$T/labelled' | grep -q '(21 known normal, 8 known anomaly)'"
servers_median() {
	"$FLOWSAD" score -m "$1" "$pcap" 2>/dev/null | awk -F, '$2 ~ /^10\.77\.1\./ {print $3}' | sort -g |
		awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}
before=$(servers_median "$T/m") after=$(servers_median "$T/labelled")
check "servers labelled normal score lower ($before -> $after)" awk -v a="$before" -v b="$after" 'BEGIN {exit !(b < a)}'
printf '10.77.0.1/40\n' >"$T/bad.txt"
check_exit "a bad label list: 65" 65 "$FLOWSAD" train --known-normal "$T/bad.txt" -o "$T/x" "$pcap"
check "... names file and line" grep -q "bad.txt:1: expected an address or CIDR" "$T/exit.out"

# a detection unit: monitored sources, excluded ports; the model keeps its filter
"$FLOWSAD" train --window 1m --epochs 3 --epochs-pretrain 1 --monitor 10.77.0.0/24 \
	--exclude-ports 53,5353 -o "$T/unit" "$pcap" 2>"$T/unit.log"
check "the filter's drops are counted" grep -Eq "filter: [1-9][0-9]* events not counted" "$T/unit.log"
check "excluded ports leave the vocabulary" bash -c "! '$FLOWSAD' model --json '$T/unit' | grep -q 'udp/53'"
check "flowsad model shows the detection unit" bash -c \
	"'$FLOWSAD' model '$T/unit' | grep -q '^filter       monitored networks 1, .*ports: excluded list' &&
	 '$FLOWSAD' model --json '$T/unit' | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"feature_spec\"][\"filter\"][\"exclude_ports\"] == [\"53\", \"5353\"]'"
"$FLOWSAD" score -m "$T/unit" "$pcap" >"$T/unit.csv" 2>/dev/null
check_eq "scoring applies the model's filter: only monitored sources" "" \
	"$(tail -n +2 "$T/unit.csv" | cut -d, -f2 | grep -v '^10\.77\.0\.' | sort -u)"
check_exit "a bad filter option: 64" 64 "$FLOWSAD" train --exclude-ports 80-70 -o "$T/x" "$pcap"
check "... says what it expects" grep -q "exclude-ports: expected ports and ranges" "$T/exit.out"
