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
# the 15:00 hour holds two attacks: the port scan of a host never seen before,
# and an SSH brute force (signature 2003068) by a host that guessed once before.
# Fifteen samples make a network's training a matter of its seed: the claim is
# made over eight seeds (2026-12-07: the scanner in the top two in 8 of 8, the
# brute force in the top three in 7 of 8).
scanner=0 guesser=0 first_found=
for seed in 1 2 3 4 5 6 7 8; do
	"$FLOWSAD" train --seed "$seed" -o "$T/m$seed" "$csv" 2>/dev/null
	"$FLOWSAD" score -m "$T/m$seed" "$csv" 2>/dev/null | tail -n +2 | sort -t, -k4 -g -r |
		cut -d, -f1,2 >"$T/rank$seed"
	head -2 "$T/rank$seed" | grep -qx "2026-03-01T15:00:00Z,10.77.0.18" && scanner=$((scanner + 1))
	if head -3 "$T/rank$seed" | grep -qx "2026-03-01T15:00:00Z,10.77.0.15"; then
		guesser=$((guesser + 1))
		first_found=${first_found:-$seed}
	fi
done
check "the scanner is among the two top anomalies ($scanner of 8 seeds)" test "$scanner" -ge 7
check "the SSH brute force is among the three top anomalies ($guesser of 8 seeds)" \
	test "$guesser" -ge 6
"$FLOWSAD" detect --min-score 0 -m "$T/m${first_found:-1}" -o "$T/det" "$csv" 2>/dev/null
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

# --- psykoda's own file layouts --------------------------------------------------------------
# Its IDS logs write months as names; its label list has a header, a datetime_rounded with a
# space and a comment column; its location table has a header and names with spaces. The
# files here are written for this test in those layouts.
mkdir -p "$T/psykoda"
python3 - "$T/psykoda" <<'PY'
import random, sys
out = sys.argv[1]
r = random.Random(3)
months = ["march", "Apr"]  # a whole name and an abbreviation
for day in range(6):
    month, mday = (months[0], 27 + day) if day < 5 else (months[1], 1)
    with open(f"{out}/log_{day}.csv", "w") as f:
        f.write("date_year,date_month,date_mday,date_hour,date_minute,date_second,src_ip,"
                "src_port,dest_ip,dest_port,sid,host,PRIORITY,event_name\n")
        for hour in range(0, 24, 2):
            for host in range(1, 7):
                for _ in range(r.randrange(1, 4)):
                    port = r.choice([445, 445, 3389, 80])
                    f.write(f"2021,{month},{mday},{hour},{r.randrange(60)},{r.randrange(60)},"
                            f"10.30.1.{host},{r.randrange(40000, 60000)},10.30.2.10,{port},"
                            f"{2200000 + port},ids-a,3,event {port}\n")
with open(f"{out}/labeled_src_ip.csv", "w") as f:
    f.write("datetime_rounded,src_ip,comments\n2021-03-28 08:00:00,10.30.1.4, a backup job\n"
            "2021-03-29 10:00:00,10.30.1.5,\n")
with open(f"{out}/ip_to_location.csv", "w") as f:
    f.write("cidr,location\n10.30.1.0/24,Head office\n10.30.2.0/24,Data centre east\n")
PY
"$FLOWSAD" aggregate "$T"/psykoda/log_*.csv >"$T/pk.csv" 2>"$T/pk.log"
check "psykoda's logs: months by name are read, no row refused" \
	bash -c "! grep -q '[1-9][0-9]* malformed' '$T/pk.log' && grep -q 'log_5.csv: [0-9]* alerts' '$T/pk.log'"
check "... the abbreviated month lands in April" grep -q '^2021-04-01T' "$T/pk.csv"
"$FLOWSAD" train --seed 1 --epochs-pretrain 2 --epochs 2 --locations "$T/psykoda/ip_to_location.csv" \
	--known-normal "$T/psykoda/labeled_src_ip.csv" -o "$T/pk.model" "$T"/psykoda/log_*.csv \
	>/dev/null 2>"$T/pkt.log"
check "its label list (header, space in the time, comments) labels its samples" \
	grep -q "labeled_src_ip.csv: 2 entries label 2 sample(s) known normal" "$T/pkt.log"
check "its location names with spaces name the service features" bash -c \
	"'$FLOWSAD' model --json '$T/pk.model' | grep -q '\"svc Head office->Data centre east sid/2200445\"'"

# psykoda's detection units: each [unit NAME] its own model and report, in one run
cat >"$T/psykoda/units.conf" <<EOF
[features]
locations = $T/psykoda/ip_to_location.csv
[unit smb]
monitor = 10.30.1.0/24
include_ports = 445
[unit web-rdp]
include_ports = 80,3389
[unit nobody]
monitor = 192.0.2.0/24
EOF
"$FLOWSAD" train -c "$T/psykoda/units.conf" --seed 1 --epochs-pretrain 2 --epochs 2 \
	-o "$T/units" "$T"/psykoda/log_*.csv >/dev/null 2>"$T/units.log"
check_eq "a unit with no samples fails the run (65), said with its name" "65 1" \
	"$? $(grep -c 'unit nobody: not done (exit 65)' "$T/units.log")"
check "... the other units' models are written" test -s "$T/units/smb.model" -a -s "$T/units/web-rdp.model"
check "each unit counts its own services: smb only 445" bash -c \
	"'$FLOWSAD' model --json '$T/units/smb.model' | grep -q 'sid/2200445' &&
	 ! '$FLOWSAD' model --json '$T/units/smb.model' | grep -q 'sid/2203389'"
check "... web-rdp 80 and 3389, not 445" bash -c \
	"'$FLOWSAD' model --json '$T/units/web-rdp.model' | grep -q 'sid/2203389' &&
	 ! '$FLOWSAD' model --json '$T/units/web-rdp.model' | grep -q 'sid/2200445'"
sed -i '/^\[unit nobody\]/,$d' "$T/psykoda/units.conf"
"$FLOWSAD" detect -c "$T/psykoda/units.conf" -m "$T/units" -o "$T/unit-reports" --min-score -100 \
	"$T"/psykoda/log_*.csv >/dev/null 2>&1
check_eq "detect writes a report per unit" 0 $?
check "... in a folder of its name, psykoda's columns" bash -c \
	"head -1 '$T/unit-reports/smb/report.csv' | grep -q '^window_start,src_ip,anomaly_score,shap_top_1' &&
	 test -s '$T/unit-reports/web-rdp/stats.json'"

# --- Suricata's EVE alerts as IDS alerts ---------------------------------------------------------
python3 - "$csv" "$T/eve.json" <<'PY'
import csv, json, sys
with open(sys.argv[2], "w") as out:
    for r in csv.DictReader(open(sys.argv[1])):
        ts = "%s-%02d-%02dT%02d:%02d:%02d.000000+0000" % (r["date_year"], int(r["date_month"]),
             int(r["date_mday"]), int(r["date_hour"]), int(r["date_minute"]), int(r["date_second"]))
        out.write(json.dumps({"timestamp": ts, "event_type": "alert", "src_ip": r["src_ip"],
                              "src_port": int(r["src_port"]), "dest_ip": r["dest_ip"],
                              "dest_port": int(r["dest_port"]), "proto": "TCP",
                              "alert": {"signature_id": int(r["sid"]), "signature": "x"}}) + "\n")
        out.write(json.dumps({"timestamp": ts, "event_type": "dns", "src_ip": r["src_ip"]}) + "\n")
PY
"$FLOWSAD" aggregate --input-format eve-alerts "$T/eve.json" >"$T/eve.csv" 2>"$T/eve.log"
check "EVE alert events are read as IDS alerts, the other events passed over" \
	grep -q "eve.json: 31 alerts, 0 malformed" "$T/eve.log"
check "... and give the samples of the same alerts in psykoda's CSV" diff "$T/agg.csv" "$T/eve.csv"
