#!/usr/bin/env bash
# Connection logs SOCs already keep: Zeek's conn.log (TSV and JSON) and Suricata's EVE
# (flow events), made here from the sample capture by tests/tools/flowlogs.py. The
# per-source packets and IP bytes must equal the capture's; the episodes must stand out;
# malformed records are counted and skipped, never fatal unless the header is.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)
pcap=$DATA/sample.pcap

"$FLOWSAD" aggregate --window 1d "$pcap" 2>/dev/null | awk -F, 'NR > 1 {print $2, $3, $4}' |
	sort >"$T/pcap.txt"
for kind in zeek-tsv zeek-json eve; do
	python3 "$tools/flowlogs.py" "$pcap" "$kind" "$T/$kind.log"
	"$FLOWSAD" aggregate --window 1d "$T/$kind.log" 2>"$T/$kind.err" |
		awk -F, 'NR > 1 {print $2, $3, $4}' | sort >"$T/$kind.txt"
	check "$kind: detected, every connection read" grep -q "$kind.log: [0-9]* connections, 0 malformed" \
		"$T/$kind.err"
	check "$kind: per-source packets and IP bytes equal the capture's ($(wc -l <"$T/pcap.txt") sources, $(grep -c : "$T/pcap.txt") of them IPv6)" \
		diff "$T/pcap.txt" "$T/$kind.txt"
done

"$FLOWSAD" train --window 1m --seed 1 -o "$T/z.model" "$T/zeek-tsv.log" >/dev/null 2>&1
"$FLOWSAD" score -m "$T/z.model" "$T/zeek-json.log" >"$T/z.csv" 2>/dev/null
check_episodes_top5 "$T/z.csv" "Zeek logs: "

# a damaged log: its good records still count
{ sed -n 1,9p "$T/zeek-tsv.log"
  printf 'not-a-time\tC1\t10.1.1.1\t1\t10.1.1.2\t2\ttcp\t-\t-\t-\t-\tOTH\t-\t-\t0\t-\t1\t40\t0\t0\t-\n'
  printf '1795950440.5\tC2\t10.1.1.1\t99999\t10.1.1.2\t2\ttcp\n'
  sed -n 10,20p "$T/zeek-tsv.log"; } >"$T/bad.log"
"$FLOWSAD" aggregate "$T/bad.log" >/dev/null 2>"$T/bad.err"
check "bad Zeek records are counted and skipped, the first one named" \
	grep -q "bad.log: 12 connections, 2 malformed rows skipped; first: $T/bad.log:10: ts: expected" \
	"$T/bad.err"
{ echo '#separator \x09'; printf '#fields\tts\tuid\tid.orig_h\tid.orig_p\tproto\n'
  printf '1\tC\t10.1.1.1\t1\ttcp\n'; } >"$T/nofield.log"
check_exit "a #fields line without a needed field is refused: 65" 65 "$FLOWSAD" aggregate "$T/nofield.log"
check "... naming the field" grep -q "nofield.log:2: #fields has no 'id.resp_h'" "$T/exit.out"
{ head -3 "$T/eve.log"; echo '{"event_type": "flow", "src_ip": "10.1.1.1"}'; echo '[1, 2]'; } >"$T/bad.json"
"$FLOWSAD" aggregate --input-format eve "$T/bad.json" >/dev/null 2>"$T/badeve.err"
check "bad EVE events are counted and skipped" grep -q "bad.json: 2 connections, 2 malformed" \
	"$T/badeve.err"

# a connection longer than a window, written when it ended: each window it covers gets its
# share, the closed ones' counted late
{ sed -n 1,8p "$T/zeek-tsv.log"
  printf '1795950360.0\tCa\t10.9.9.1\t40000\t10.9.9.2\t22\ttcp\t-\t180.0\t-\t-\tSF\t-\t-\t0\tShADadFf\t90\t9000\t90\t9000\t(empty)\n'
} >"$T/long.log"
"$FLOWSAD" aggregate --window 1m "$T/long.log" >"$T/long.csv" 2>"$T/long.err"
check_eq "a 3-minute connection is shared by the three minutes it covers" \
	"10.9.9.1:30:3000 10.9.9.1:30:3000 10.9.9.1:30:3000" \
	"$(awk -F, '$2 == "10.9.9.1" {printf "%s%s:%s:%s", n++ ? " " : "", $2, $3, $4}' "$T/long.csv")"
check "... and aggregate says how many flows were split" \
	grep -q "late 0, evicted 0, flows split over windows 2;" "$T/long.err"
{ cat "$T/long.log"; sed -n 9,12p "$T/zeek-tsv.log" | sed 's/^1795950439/1795954100/'
  printf '1795950400.0\tCb\t10.9.9.3\t40000\t10.9.9.2\t22\ttcp\t-\t3630.0\t-\t-\tSF\t-\t-\t0\tShADadFf\t61\t6100\t0\t0\t(empty)\n'
} >"$T/late.log"
"$FLOWSAD" train --window 1m --seed 1 -o "$T/late.model" "$T/late.log" >/dev/null 2>"$T/late.err"
check "train says what came late and what was split" \
	grep -q "late [1-9][0-9]*, evicted 0, flows split over windows 3;" "$T/late.err"

# the format asked for, or the one detected
check "auto detection says what it picked" grep -q "zeek-tsv.log: read as zeek (detected" \
	"$T/zeek-tsv.err"
check_exit "--input-format eve on a Zeek log reads nothing: 65" 65 \
	"$FLOWSAD" aggregate --input-format eve "$T/zeek-tsv.log"
check "... and says the first error" \
	grep -q "zeek-tsv.log: nothing read as eve (.* malformed rows); first: $T/zeek-tsv.log:1: expected" \
	"$T/exit.out"
check_exit "--input-format zeek on an EVE log reads nothing: 65" 65 \
	"$FLOWSAD" train -o "$T/none.model" --input-format zeek "$T/eve.log"
check_exit "--input-format netflow-pcap on a packet capture reads nothing: 65" 65 \
	"$FLOWSAD" aggregate --input-format netflow-pcap "$pcap"
check "... and says what the decoder counted" \
	grep -q "no NetFlow or IPFIX record in [0-9]* datagrams; counted: bad_version" "$T/exit.out"
