#!/usr/bin/env bash
# make bench: every benchmark table, peers measured in the same run.
#   SEEDS=N      ODDS seeds (default 10)
#   ROWS, DIM, EPOCHS   size of the speed run (default 20000 x 1000, 3 epochs)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ODDS_DIR=${ODDS_DIR:-../shared/data/odds}
rows=${ROWS:-20000} dim=${DIM:-1000} epochs=${EPOCHS:-3} threads=2
mkdir -p "$BUILD/bench"

echo "## Detector speed: [128,128,64,64,32], $dim inputs, $rows rows, batch 64, $threads threads"
echo
data=$BUILD/bench/speed-${rows}x${dim}.f32
c=$(OPENBLAS_NUM_THREADS=$threads "$BUILD/bench/speed" "$data" "$rows" "$dim" "$epochs")
t=$(OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_deepsad.py "$data" "$rows" "$dim" "$epochs" "$threads")
read -r _ c_pre c_train c_score <<<"$c"
read -r _ t_pre t_train t_score <<<"$t"
c=$(OPENBLAS_NUM_THREADS=$threads "$BUILD/bench/explain" "$data" "$rows" "$dim")
t=$(OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_explain.py "$data" "$rows" "$dim" "$threads")
read -r _ c_ex <<<"$c"
read -r _ t_ex <<<"$t"

row() { # name flowsad pytorch target
	printf '| %-22s | %10.6g | %10.6g | %7.2fx | %-18s |\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)" "$4"
}
printf '| %-22s | %10s | %10s | %8s | %-18s |\n' measure flowsad PyTorch ratio target
printf '|%s|%s|%s|%s|%s|\n' ------------------------ ------------ ------------ ---------- --------------------
row "pre-train s/epoch" "$c_pre" "$t_pre" "<= 0.5x"
row "train s/epoch" "$c_train" "$t_train" "<= 0.5x"
row "scoring rows/s" "$c_score" "$t_score" ">= 2x"
row "explain ms per row" "$(echo "$c_ex * 200" | bc -l)" "$(echo "$t_ex * 200" | bc -l)" "<= 20 ms, <= 0.5x"
echo
echo "(explain: 200 samples, 100 background rows, 5 rows, best of 5 repetitions;"
echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), $(nproc) cores;" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
echo

if [ -d "$ODDS_DIR" ]; then
	echo "## Detection quality"
	echo
	OPENBLAS_NUM_THREADS=1 "$BUILD/bench/odds" "$ODDS_DIR" "${SEEDS:-10}"
else
	echo "(ODDS data not found in $ODDS_DIR: set ODDS_DIR to the folder of the six CSV files)"
fi
