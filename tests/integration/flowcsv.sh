#!/usr/bin/env bash
# nfdump CSV input (sample-flows.csv, made by nfpcapd + nfdump -o csv from the
# bundled capture): totals as nfdump's own summary, episodes found, bad rows.
. "$(dirname "$0")/lib.bash"
csv=$DATA/sample-flows.csv

"$FLOWSAD" aggregate --window 1m "$csv" >"$T/agg.csv" 2>"$T/agg.log"
summary=$(tail -1 "$csv" | cut -d, -f1-3)   # flows,bytes,packets of nfdump's summary
check_eq "records, bytes and packets equal nfdump's summary" "$summary" \
	"$(sed -n 's/.*: \([0-9]*\) flow records.*/\1/p' "$T/agg.log"),$(awk -F, 'NR > 1 {b += $4; p += $3} END {print b "," p}' "$T/agg.csv")"
check_eq "packets from flows equal the IP packets of the capture" 39267 \
	"$(awk -F, 'NR > 1 {p += $3} END {print p}' "$T/agg.csv")"

"$FLOWSAD" train --window 1m --seed 1 -o "$T/m" "$csv" 2>/dev/null
"$FLOWSAD" score -m "$T/m" "$csv" >"$T/scores.csv" 2>/dev/null
check_episodes_top5 "$T/scores.csv" "flow CSV: "

{ head -3 "$csv"; echo "2026-11-29 11:10:10,garbage"; echo "2026-11-29 11:10:10,2026-11-29 11:10:10,0.000,10.0.0.1,10.0.0.2,1,2,XYZ,........,0,0,1,28"; } >"$T/bad.csv"
"$FLOWSAD" aggregate "$T/bad.csv" >"$T/bad.out" 2>"$T/bad.log"
check "malformed rows are counted and skipped, the good ones kept" \
	grep -q "2 flow records, 2 malformed rows skipped; first: .*bad.csv:4: fewer fields than the header" "$T/bad.log"
sed 4d "$T/bad.csv" >"$T/bad2.csv"
check "... the protocol error is named too" bash -c "'$FLOWSAD' aggregate '$T/bad2.csv' 2>&1 >/dev/null | grep -q 'bad2.csv:4: pr: expected a protocol'"
printf 'ts,te,td,sa,da,sp\n' >"$T/short.csv"
check_exit "a header without nfdump's columns: 65" 65 "$FLOWSAD" aggregate --input-format flow-csv "$T/short.csv"
check "... names the missing column" grep -q "short.csv:1: the header has no column 'dp'" "$T/exit.out"

# times a clock got wrong: warned once a file, with the first one
{ head -1 "$csv"; sed -n 2,4p "$csv" | sed 's/^2026-11-29 11:07:20,2026-11-29 11:07:20/1970-01-01 00:00:05,1970-01-01 00:00:05/'
  sed -n 5,6p "$csv"; } >"$T/epoch.csv"
"$FLOWSAD" aggregate "$T/epoch.csv" >/dev/null 2>"$T/epoch.log"
check "times before 2000 are warned of, with the first" \
	grep -q "epoch.csv: a time of 1970-01-01T00:00:05Z (before 2000)" "$T/epoch.log"
check_eq "... once" 1 "$(grep -c "a time of" "$T/epoch.log")"
next=$(date -u -d '+3 days' '+%Y-%m-%d %H:%M:%S')
{ head -1 "$csv"; sed -n 2,3p "$csv" | sed "s/^2026-11-29 11:07:20,2026-11-29 11:07:20/$next,$next/"; } >"$T/ahead.csv"
"$FLOWSAD" aggregate "$T/ahead.csv" >/dev/null 2>"$T/ahead.log"
check "times more than a day ahead are warned of" \
	grep -q "ahead.csv: a time of .* (more than a day after now)" "$T/ahead.log"
check "the bundled capture's times are not" bash -c "! grep -q 'a time of' '$T/agg.log'"
