#!/usr/bin/env bash
# flowsad train / score / model on matrix CSV input, end to end.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)

python3 "$tools/planted-matrix.py" 1000 24 7 >"$T/train.csv"
python3 "$tools/planted-matrix.py" 1000 24 8 >"$T/test.csv"
opts=(--hidden 32,16,8 --epochs-pretrain 10 --epochs 20 --seed 3 --threads 1)
export SOURCE_DATE_EPOCH=1772370000

check "train writes a model" "$FLOWSAD" train "${opts[@]}" -o "$T/m1" "$T/train.csv"
"$FLOWSAD" train "${opts[@]}" -o "$T/m1" "$T/train.csv" 2>"$T/train.log"
check_eq "train prints a progress line per epoch" 30 "$(grep -cE '(pretrain|train): epoch [0-9]+/[0-9]+ loss [0-9.e+-]+ \([0-9.]+ s\)' "$T/train.log")"
"$FLOWSAD" train "${opts[@]}" -o "$T/m2" "$T/train.csv" 2>/dev/null
check "same seed, data and threads give a byte-identical model" cmp "$T/m1" "$T/m2"
"$FLOWSAD" train "${opts[@]}" --seed 4 -o "$T/m3" "$T/train.csv" 2>/dev/null
check "another seed gives another model" bash -c "! cmp -s '$T/m1' '$T/m3'"

# the robust pass leaves out the rows far above the bulk's scores: more of
# data that holds the planted anomalies than of the same data without them,
# and --trim is a ceiling, not the share taken
left_out() {
	"$FLOWSAD" train "${opts[@]}" --trim 0.2 -o "$T/robust" "$1" 2>&1 |
		sed -n 's/.*robust pass: \([0-9]*\) of [0-9]* rows left out.*/\1/p'
}
grep -v ',10\.9\.' "$T/train.csv" >"$T/train-clean.csv"
with=$(left_out "$T/train.csv") without=$(left_out "$T/train-clean.csv")
check "the robust pass leaves out more with anomalies ($with) than without ($without)" \
	test "${with:-0}" -gt "${without:-0}"
check "and far less than the --trim ceiling of 200 rows ($with)" test "${with:-999}" -lt 100

"$FLOWSAD" score -m "$T/m1" "$T/test.csv" >"$T/scores.csv"
check_eq "score prints the documented header" "window_start,src_ip,score,raw_score" "$(head -1 "$T/scores.csv")"
check_eq "score prints one row per sample" 1001 "$(wc -l <"$T/scores.csv")"
auc=$(python3 "$tools/auc.py" 10.9. <"$T/scores.csv")
check "planted anomalies rank high on held-out data (AUC $auc >= 0.95)" awk -v a="$auc" 'BEGIN{exit !(a >= 0.95)}'
check "window_start is ISO 8601 UTC" grep -q '^2026-03-01T13:00:00Z,10.1.0.1,' "$T/scores.csv"
median=$(cut -d, -f3 "$T/scores.csv" | tail -n +2 | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
check "scaled scores centre near 0 on data like the training data ($median)" awk -v m="$median" 'BEGIN{exit !(m > -1 && m < 1)}'

"$FLOWSAD" score --format jsonl -m "$T/m1" "$T/test.csv" >"$T/scores.jsonl"
check "jsonl rows parse and carry the ids" python3 -c "
import json,sys
rows=[json.loads(l) for l in open('$T/scores.jsonl')]
assert len(rows)==1000 and rows[1]['src_ip']=='10.1.0.1' and rows[1]['window_start']=='2026-03-01T13:00:00Z'
assert all(isinstance(r['score'],float) for r in rows)"

"$FLOWSAD" model "$T/m1" >"$T/model.txt"
check "model prints id, network and training" bash -c "grep -q '^id  ' '$T/model.txt' && grep -q '24-32-16-8' '$T/model.txt' && grep -q 'best epoch' '$T/model.txt'"
check "model --json has features and loss history" python3 -c "
import json,subprocess
m=json.loads(subprocess.check_output(['$FLOWSAD','model','--json','$T/m1']))
assert m['features'][0]=='f0' and len(m['features'])==24
assert len(m['training']['loss_train'])==20 and m['layers']==[24,32,16,8]"

python3 "$tools/planted-matrix.py" 600 24 9 --label-anomalies 25 >"$T/labelled.csv"
"$FLOWSAD" train "${opts[@]}" -o "$T/ml" "$T/labelled.csv" 2>/dev/null
check "labels are counted into the model" bash -c "'$FLOWSAD' model '$T/ml' | grep -q '(0 known normal, 25 known anomaly)'"

# errors: sysexits codes and messages that say where
check_exit "missing input is EX_NOINPUT (66)" 66 "$FLOWSAD" train -o "$T/x" "$T/absent.csv"
printf 'a,b\n1,2\n3,x\n' >"$T/bad.csv"
check_exit "malformed CSV is EX_DATAERR (65)" 65 "$FLOWSAD" train -o "$T/x" "$T/bad.csv"
check "the error names file and line" grep -q "bad.csv:3: column 'b'" "$T/exit.out"
check_exit "bad option value is EX_USAGE (64)" 64 "$FLOWSAD" train --hidden 32,zero -o "$T/x" "$T/train.csv"
check_exit "train without -o is EX_USAGE (64)" 64 "$FLOWSAD" train "$T/train.csv"
printf 'x1,x2\n1,2\n' >"$T/other.csv"
check_exit "scoring input without the model's columns is EX_DATAERR (65)" 65 "$FLOWSAD" score -m "$T/m1" "$T/other.csv"
check "the error names the missing feature" grep -q "no column 'f0'" "$T/exit.out"
head -c 300 "$T/m1" >"$T/broken"
check_exit "a truncated model is refused (65)" 65 "$FLOWSAD" score -m "$T/broken" "$T/test.csv"
check "the error says what is wrong" grep -q "not a valid flowsad model" "$T/exit.out"
check "no partial model is left behind on a failed write" bash -c \
	"! '$FLOWSAD' train ${opts[*]} -o '$T/nodir/m' '$T/train.csv' 2>/dev/null && ! ls '$T/nodir' 2>/dev/null"
