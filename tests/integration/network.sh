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
	"grep -Eq '^2026-11-29T11:09:00Z,10.77.0.18,[0-9.]+,(svc|fanout|tcp) ' '$T/det/report.csv'"

cat >"$T/locations.csv" <<'LOC'
# the lab's subnets
10.77.0.0/24, clients
10.77.1.0/24, servers
198.51.100.0/24, ext
LOC
"$FLOWSAD" train --window 1m --epochs 2 --epochs-pretrain 1 --locations "$T/locations.csv" -o "$T/ml" "$pcap" 2>/dev/null
check "a location table names the service terms" bash -c \
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
