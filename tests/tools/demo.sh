#!/usr/bin/env bash
# `make run`: the most complete pipeline this version has, on bundled data.
#
# The capture, flow and Redis stages are not built yet, so this runs the
# detector and explanation stages: it trains Deep SAD on a generated feature
# matrix (normal rows near a 3-dimensional subspace), scores a held-out
# matrix from the same generator in which every 20th row has feature f7
# raised, prints the ten highest-scoring rows, then `flowsad detect` explains
# the top anomalies of each window. Planted rows have src_ip 10.9.x.y.
set -euo pipefail
cd "$(dirname "$0")/../.."
flowsad=${FLOWSAD:-${BUILD:-build}/flowsad}
out=${OUT:-build/demo}
mkdir -p "$out"

echo "== flowsad $("$flowsad" --version | cut -d' ' -f2): detector stage on a planted feature matrix"
echo "   (packet/flow input, the daemon and the Redis feed are not built yet)"
python3 tests/tools/planted-matrix.py 4000 48 1 --spike 7 | grep -v ',10\.9\.' >"$out/train.csv"
python3 tests/tools/planted-matrix.py 2000 48 2 --spike 7 >"$out/test.csv"
echo "== training on $out/train.csv ($(($(wc -l <"$out/train.csv") - 1)) rows x 48 features)"
"$flowsad" train --seed 1 --epochs-pretrain 10 --epochs 20 -o "$out/model.safetensors" "$out/train.csv"
echo "== model"
"$flowsad" model "$out/model.safetensors"
echo "== scoring $out/test.csv: the ten highest scores (planted rows are 10.9.x.y)"
"$flowsad" score -m "$out/model.safetensors" "$out/test.csv" >"$out/scores.csv"
tail -n +2 "$out/scores.csv" | sort -t, -k3 -g -r >"$out/ranked.csv"
{ head -1 "$out/scores.csv"; sed -n 1,10p "$out/ranked.csv"; } | column -t -s,
planted=$(grep -c ',10\.9\.' "$out/scores.csv")
top=$(sed -n "1,${planted}p" "$out/ranked.csv" | grep -c ',10\.9\.' || true)
echo "== $top of the $planted planted rows are among the $planted highest scores; all scores: $out/scores.csv"
echo "== detect: top anomalies per window, explained (feature f7 was raised in the planted rows)"
"$flowsad" detect -m "$out/model.safetensors" -o "$out/detect" "$out/test.csv"
cut -d, -f1-6 "$out/detect/report.csv" | column -t -s,
echo "== pictures: $out/detect/loss.svg, $out/detect/embedding.svg"
