#!/usr/bin/env bash
# `make run`: the most complete pipeline this version has, on bundled data.
#
# The daemon and its Redis feed are not built yet, so this runs the offline
# pipeline on the bundled lab capture (tests/data/sample.pcap, seven minutes
# of a small LAN with four attacks): packets -> per-(minute, source) samples
# -> features -> Deep SAD trained on the capture itself, no labels -> the
# top anomalies of each minute explained by Shapley values. It then shows
# the lab's own record of the attacks to compare with.
set -euo pipefail
cd "$(dirname "$0")/../.."
flowsad=${FLOWSAD:-${BUILD:-build}/flowsad}
out=${OUT:-build/demo}
pcap=tests/data/sample.pcap
mkdir -p "$out"

echo "== flowsad $("$flowsad" --version | cut -d' ' -f2): offline pipeline on $pcap"
echo "   (the daemon and the Redis alert feed are not built yet)"
echo "== samples: one per (1-minute window, source); the busiest ten"
"$flowsad" aggregate --window 1m "$pcap" >"$out/samples.csv"
{ head -1 "$out/samples.csv"; tail -n +2 "$out/samples.csv" | sort -t, -k3 -g -r | sed -n 1,10p; } |
	cut -d, -f1-8,13,15 | column -t -s,
echo "== training on the capture, no labels"
"$flowsad" train --window 1m --seed 1 --quiet -o "$out/model.safetensors" "$pcap"
echo "== detect: at most 5 anomalies per window with score above 10, explained"
"$flowsad" detect -m "$out/model.safetensors" -o "$out/detect" "$pcap"
cut -d, -f1-6 "$out/detect/report.csv" | column -t -s,
echo "== what the lab did (tests/data/sample-labels.csv)"
tail -n +2 tests/data/sample-labels.csv | while IFS=, read -r src start end kind; do
	printf '   %s  %-15s %s\n' "$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ)" "$src" "$kind"
done
echo "== files: $out/detect/report.csv, stats.json, loss.svg, embedding.svg"
