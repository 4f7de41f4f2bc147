#!/usr/bin/env bash
# The bundled fixtures (tests/lab/make-sample.sh) are what their README says:
# the capture decodes with tshark and holds each labelled episode; the flow
# exports decode as NetFlow v5 / v9 / IPFIX; the flow CSV is nfdump's.
. "$(dirname "$0")/lib.bash"

pcap=$DATA/sample.pcap
tshark -r "$pcap" -T fields -E separator=, -e frame.time_epoch -e ip.src -e ip.dst -e ip.proto \
	-e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack -e icmp.type 2>/dev/null >"$T/pkts.csv"
check_eq "tshark reads every packet of sample.pcap" 40352 "$(wc -l <"$T/pkts.csv")"
check_eq "the capture is Ethernet with snaplen 128" "Ethernet 128" \
	"$(capinfos -E -l "$pcap" 2>/dev/null | awk -F': *' '/encapsulation/ {e=$2} /file hdr/ {l=$3+0} END {print e, l}')"
hosts=$(awk -F, '$2 != "" {print $2}' "$T/pkts.csv" | sort -u | wc -l)
check "at least 10 IPv4 hosts talk ($hosts)" test "$hosts" -ge 10

# episode SRC START END: the packets that SRC sent during its labelled interval
episode() {
	awk -F, -v s="$1" -v a="$2" -v b="$3" '$2 == s && $1 >= a && $1 < b + 1' "$T/pkts.csv"
}
while IFS=, read -r src start end kind; do
	[ "$src" = src_ip ] && continue
	episode "$src" "$start" "$end" >"$T/ep.csv"
	case $kind in
	syn-scan)
		n=$(awk -F, '$6 == "1" && $7 == "0" {print $3 ":" $5}' "$T/ep.csv" | sort -u | wc -l)
		check "syn-scan from $src: SYNs to >= 500 distinct (host, port) ($n)" test "$n" -ge 500 ;;
	ping-sweep)
		n=$(awk -F, '$8 == "8" {print $3}' "$T/ep.csv" | sort -u | wc -l)
		check "ping-sweep from $src: echo requests to >= 200 addresses ($n)" test "$n" -ge 200 ;;
	hping3-burst)
		n=$(awk -F, '$5 == "80" && $6 == "1" && $7 == "0"' "$T/ep.csv" | wc -l)
		check "hping3-burst from $src: >= 2500 SYNs to port 80 ($n)" test "$n" -ge 2500 ;;
	short-connections)
		n=$(awk -F, '$5 == "22" && $6 == "1" && $7 == "0"' "$T/ep.csv" | wc -l)
		check "short-connections from $src: >= 350 connections to port 22 ($n)" test "$n" -ge 350 ;;
	*) not_ok "unknown episode kind '$kind' in sample-labels.csv" ;;
	esac
done <"$DATA/sample-labels.csv"
check_eq "four labelled episodes" 4 "$(tail -n +2 "$DATA/sample-labels.csv" | wc -l)"

# export FILE PORT: "version datagrams records" as tshark decodes them
export_counts() {
	tshark -r "$DATA/$1" -d "udp.port==$2,cflow" -T fields -e cflow.version -e cflow.count \
		-e cflow.flowset_id 2>/dev/null |
		awk '{v[$1]++; c += $2} END {for (k in v) printf "%s %d %d\n", k, v[k], c}'
}
check_eq "NetFlow v5 export decodes as CFLOW v5 (datagrams, records)" "5 534 15984" \
	"$(export_counts sample-netflow-v5.pcap 29995)"
check_eq "NetFlow v9 export decodes as CFLOW v9 (datagrams, records)" "9 508 16002" \
	"$(export_counts sample-netflow-v9.pcap 29996)"
ipfix_records=$(tshark -r "$DATA/sample-ipfix.pcap" -d udp.port==29997,cflow -T fields \
	-e cflow.srcaddr -e cflow.srcaddrv6 2>/dev/null | tr ',\t' '\n\n' | grep -c .)
check_eq "IPFIX export decodes as CFLOW v10 with 16002 flow records" "10 508 16002" \
	"$(export_counts sample-ipfix.pcap 29997 | cut -d' ' -f1,2) $ipfix_records"

check_eq "flow CSV has nfdump's csv header" "ts,te,td,sa,da,sp,dp,pr,flg" \
	"$(head -1 "$DATA/sample-flows.csv" | cut -d, -f1-9)"
check_eq "flow CSV holds nfdump's 16345 flows" 16345 "$(grep -c '^20' "$DATA/sample-flows.csv")"
check_eq "IDS alert CSV has the psykoda columns" \
	"date_year,date_month,date_mday,date_hour,date_minute,date_second,src_ip,src_port,dest_ip,dest_port,sid" \
	"$(head -1 "$DATA/sample-ids-alerts.csv" | cut -d, -f1-11)"
