#!/usr/bin/env bash
# IDS alert CSV (psykoda's columns): counting, the scanner found, signature
# terms in the explanation, malformed rows.
. "$(dirname "$0")/lib.bash"
csv=$DATA/sample-ids-alerts.csv

"$FLOWSAD" aggregate "$csv" >"$T/agg.csv" 2>"$T/agg.log"
check "every alert is read" grep -q "sample-ids-alerts.csv: 31 alerts, 0 malformed rows skipped" "$T/agg.log"
check_eq "alerts counted per (hour, source)" 31 "$(awk -F, 'NR > 1 {s += $3} END {print s}' "$T/agg.csv")"
check_eq "the scanner's hour: 12 alerts on 12 ports of 3 hosts" "12,3,12" \
	"$(grep '^2026-03-01T15:00:00Z,10.77.0.18,' "$T/agg.csv" | cut -d, -f3,6,7)"

"$FLOWSAD" train --seed 1 -o "$T/m" "$csv" 2>/dev/null
check "signatures become service terms of the model" bash -c \
	"'$FLOWSAD' model --json '$T/m' | grep -q '\"svc private->private sid/2001219\"'"
"$FLOWSAD" detect --min-score 3 -m "$T/m" -o "$T/det" "$csv" 2>/dev/null
# the 15:00 hour holds two attacks: the port scan of a host never seen before,
# and an SSH brute force (signature 2003068) by a host that guessed once before
check_eq "the scanner and the SSH brute force are the two top anomalies" \
	"2026-03-01T15:00:00Z,10.77.0.15 2026-03-01T15:00:00Z,10.77.0.18" \
	"$(sed -n 2,3p "$T/det/report.csv" | cut -d, -f1,2 | sort | tr '\n' ' ' | sed 's/ $//')"
check "the SSH scanner is explained by its signature or port" bash -c \
	"grep '^2026-03-01T15:00:00Z,10.77.0.15,' '$T/det/report.csv' | grep -Eq ',svc private->private (sid/2001219|port/22),'"

{ head -2 "$csv"
  echo '2026,13,1,14,2,11,10.77.0.11,51022,10.77.1.10,80,2013028,ids1,3,x'
  echo '2026,3,1,14,2,11,10.77.0.11,51022,not-an-ip,80,2013028,ids1,3,x'
  echo '2026,3,1,14,2,12,10.77.0.11,51023,10.77.1.10,80,2013028,ids1,3,"ET POLICY curl, quoted"'
} >"$T/bad.csv"
"$FLOWSAD" aggregate "$T/bad.csv" >/dev/null 2>"$T/bad.log"
check "malformed alerts are counted and skipped; quoted commas are one field" \
	grep -q "bad.csv: 2 alerts, 2 malformed rows skipped; first: .*bad.csv:3: date fields" "$T/bad.log"
printf 'date_year,date_month,src_ip\n' >"$T/short.csv"
check_exit "a header without psykoda's columns: 65" 65 "$FLOWSAD" aggregate "$T/short.csv"
check "... names the missing column" grep -q "short.csv:1: the header has no column 'date_mday'" "$T/exit.out"
