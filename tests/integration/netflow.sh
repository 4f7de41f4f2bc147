#!/usr/bin/env bash
# NetFlow v5 / v9 / IPFIX export captures (--input-format netflow-pcap):
# records and bytes as tshark decodes them, and the labelled episodes found
# from flow records alone.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)

# export PORT: tshark's count of flow records and sum of their bytes
tshark_totals() {
	local args=(-r "$DATA/$1.pcap" -d "udp.port==$2,cflow" -T fields)
	echo "$(tshark "${args[@]}" -e cflow.srcaddr -e cflow.srcaddrv6 2>/dev/null | tr ',\t' '\n\n' | grep -c .)" \
		"$(tshark "${args[@]}" -e cflow.octets 2>/dev/null | tr ',' '\n' | awk '{s += $1} END {print s}')"
}
for e in netflow-v5:29995 netflow-v9:29996 ipfix:29997; do
	file=sample-${e%%:*} port=${e##*:}
	"$FLOWSAD" aggregate --input-format netflow-pcap --window 1m "$DATA/$file.pcap" >"$T/$file.csv" 2>"$T/$file.log"
	ours="$(sed -n 's/.*records \([0-9]*\),.*/\1/p' "$T/$file.log") $(awk -F, 'NR > 1 {s += $4} END {print s}' "$T/$file.csv")"
	check_eq "$file: flow records and bytes equal tshark's" "$(tshark_totals "$file" "$port")" "$ours"
	check "$file: no sequence gaps, nothing malformed" grep -q \
		"no_template 0, sequence_gaps 0, bad_version 0, truncated 0, bad_template 0" "$T/$file.log"
done
# nfdump on the same exports: replay each capture's datagrams to a private
# nfcapd on loopback and compare its totals (flows, bytes, packets) with ours
nfdump_totals() { # file port
	local dir=$T/nfcapd-$2
	mkdir -p "$dir"
	nfcapd -p "$2" -b 127.0.0.1 -w "$dir" -t 3600 >"$dir.log" 2>&1 &
	local pid=$!
	for _ in $(seq 1 50); do ss -lun | grep -q "127.0.0.1:$2 " && break; sleep 0.1; done
	python3 "$tools/send-udp-payloads.py" "$DATA/$1.pcap" 127.0.0.1 "$2" >/dev/null
	# nfcapd has read every datagram when its socket's queue is empty (a fixed wait was too
	# short on a loaded machine)
	for _ in $(seq 1 100); do
		[ "$(ss -lunH "sport = :$2" | awk '{print $2}')" = 0 ] && break
		sleep 0.1
	done
	sleep 0.5
	kill "$pid"; wait "$pid" 2>/dev/null
	nfdump -R "$dir" -o csv 2>/dev/null | tail -1 | cut -d, -f1-3
}
for e in netflow-v5:39995 netflow-v9:39996 ipfix:39997; do
	file=sample-${e%%:*}
	ours="$(sed -n 's/.*records \([0-9]*\),.*/\1/p' "$T/$file.log"),$(awk -F, 'NR > 1 {b += $4; p += $3} END {print b "," p}' "$T/$file.csv")"
	check_eq "$file: flows, bytes and packets equal nfdump's on the same datagrams" \
		"$(nfdump_totals "$file" "${e##*:}")" "$ours"
done
check "flow times are the capture's (softflowd's wrapped uptimes read as signed)" bash -c \
	"cut -d, -f1 '$T/sample-netflow-v9.csv' | tail -n +2 | sort -u | head -1 | grep -q '^2026-11-29T11:07:00Z$'"

for file in sample-netflow-v9 sample-ipfix; do
	"$FLOWSAD" train --input-format netflow-pcap --window 1m --seed 1 -o "$T/$file.m" "$DATA/$file.pcap" 2>/dev/null
	"$FLOWSAD" score --input-format netflow-pcap -m "$T/$file.m" "$DATA/$file.pcap" >"$T/scores.csv" 2>/dev/null
	check_episodes_top5 "$T/scores.csv" "$file: "
done
python3 -c "
d = bytearray(open('$DATA/sample-netflow-v9.pcap', 'rb').read())
d[24 + 16 + 42 + 1] = 3            # first datagram: version 3 (none such)
open('$T/badver.pcap', 'wb').write(d)"
"$FLOWSAD" aggregate --input-format netflow-pcap "$T/badver.pcap" >/dev/null 2>"$T/bad.log"
check "a datagram of an unknown version is counted, the rest still read" \
	grep -Eq "bad_version 1,.*" "$T/bad.log"
check "... and its templates missing, later data sets are counted as such" grep -Eq "no_template [1-9]" "$T/bad.log"

python3 -c "
d = bytearray(open('$DATA/sample-netflow-v5.pcap', 'rb').read())
d[24 + 16 + 42 + 8:24 + 16 + 42 + 12] = (1000).to_bytes(4, 'big') # first datagram: unix_secs 1000
open('$T/v5epoch.pcap', 'wb').write(d)"
"$FLOWSAD" aggregate --input-format netflow-pcap "$T/v5epoch.pcap" >/dev/null 2>"$T/epoch.log"
check "an exporter's clock of 1970 is warned of once, the capture's being right" \
	test "$(grep -c 'v5epoch.pcap: a time of 1969-12-31T23:05:36Z (before 2000)' "$T/epoch.log")" = 1
