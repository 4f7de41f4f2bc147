#!/usr/bin/env bash
# flowsad aggregate on the bundled capture: decoding checked against tshark,
# every link type giving the same samples, window boundaries, the episodes'
# signatures, and malformed input.
. "$(dirname "$0")/lib.bash"
tools=$(cd "$(dirname "$0")/../tools" && pwd)
pcap=$DATA/sample.pcap

"$FLOWSAD" aggregate --window 1m "$pcap" >"$T/agg.csv" 2>"$T/agg.log"
check "aggregate reads the capture" test -s "$T/agg.csv"
check_eq "header" "window_start,src_ip,packets,bytes,flows,dst_ips,dst_ports,dst_pairs" \
	"$(head -1 "$T/agg.csv" | cut -d, -f1-8)"
check "the summary counts frames, non-IP and malformed" \
	grep -q "frames 40352: IP 39267 (0 out of tunnels), not IP 1085, malformed 0" "$T/agg.log"

# per IPv4 source: TCP, UDP, ICMP packets and bytes (IP lengths, as NetFlow counts them), as
# tshark counts them
tshark -r "$pcap" -Y ip -T fields -E occurrence=f -e ip.src -e ip.proto -e ip.len 2>/dev/null |
	awk '{p[$1]; if ($2 == 6) t[$1]++; else if ($2 == 17) u[$1]++; else if ($2 == 1) i[$1]++; b[$1] += $3}
	     END {for (s in p) printf "%s %d %d %d %d\n", s, t[s], u[s], i[s], b[s]}' | sort >"$T/tshark.txt"
awk -F, 'NR > 1 && $2 !~ /:/ {t[$2] += $9; u[$2] += $10; i[$2] += $11; b[$2] += $4; p[$2]}
	 END {for (s in p) printf "%s %d %d %d %d\n", s, t[s], u[s], i[s], b[s]}' "$T/agg.csv" | sort >"$T/ours.txt"
check "per-source TCP/UDP/ICMP packets and bytes equal tshark's ($(wc -l <"$T/ours.txt") sources)" \
	diff "$T/tshark.txt" "$T/ours.txt"
v6=$(tshark -r "$pcap" -Y ipv6 2>/dev/null | wc -l)
check_eq "IPv6 packets counted as tshark sees them" "$v6" \
	"$(awk -F, 'NR > 1 && $2 ~ /:/ {s += $3} END {print s}' "$T/agg.csv")"

# under other link headers or inside tunnels, the same packets make the same samples
# (bytes too: they are IP lengths); a tunnel's endpoints are never a source
for kind in raw sll sll2 null qinq mpls pppoe pppoe-pfc gre vxlan erspan; do
	python3 "$tools/relink.py" "$pcap" "$T/$kind.pcap" "$kind"
	"$FLOWSAD" aggregate --window 1m "$T/$kind.pcap" >"$T/$kind.csv" 2>"$T/$kind.log"
	check "$kind gives the same samples" diff "$T/agg.csv" "$T/$kind.csv"
done
check "the packets taken out of tunnels are counted" \
	grep -q "IP 39267 (39267 out of tunnels)" "$T/vxlan.log"
check "tshark agrees that the VXLAN capture holds the inner hosts" bash -c \
	"tshark -r '$T/vxlan.pcap' -Y 'vxlan && ip.src == 10.200.0.1' 2>/dev/null | head -1 | grep -q ."
check "... and its outer header is counted per tunnel" \
	grep -q "tunnel vxlan 10.200.0.1 -> 10.200.0.2: 39267 packets taken out" "$T/vxlan.log"
"$FLOWSAD" aggregate --window 1m --decapsulate gre,erspan "$T/vxlan.pcap" >"$T/outer.csv" 2>/dev/null
check_eq "a tunnel left on (--decapsulate without vxlan) counts its endpoint, the only source" \
	"10.200.0.1" "$(tail -n +2 "$T/outer.csv" | cut -d, -f2 | sort -u | tr '\n' ' ' | sed 's/ $//')"
check_exit "an unknown tunnel kind is a usage error" 64 "$FLOWSAD" aggregate --decapsulate l2tp \
	"$T/vxlan.pcap"

# VXLAN on another port than 4789 is a tunnel when [decap] vxlan_ports lists it
python3 "$tools/relink.py" "$pcap" "$T/vxlan8472.pcap" vxlan8472
"$FLOWSAD" aggregate --window 1m "$T/vxlan8472.pcap" >"$T/v8472-off.csv" 2>/dev/null
check_eq "VXLAN on UDP 8472 is not taken off by default: its endpoint is the only source" \
	"10.200.0.1" "$(tail -n +2 "$T/v8472-off.csv" | cut -d, -f2 | sort -u)"
printf '[decap]\nvxlan_ports = 4789, 8472\n' >"$T/decap.conf"
"$FLOWSAD" aggregate -c "$T/decap.conf" --window 1m "$T/vxlan8472.pcap" >"$T/v8472.csv" 2>/dev/null
check "... and with vxlan_ports = 4789, 8472 it gives the same samples as the bare capture" \
	diff "$T/agg.csv" "$T/v8472.csv"
"$FLOWSAD" train --window 1m --seed 1 -o "$T/decap.model" "$pcap" >/dev/null 2>&1
printf '[spool]\ndir = %s/spool\n' "$T" >>"$T/decap.conf"
"$FLOWSAD" run -c "$T/decap.conf" -m "$T/decap.model" -r "$T/vxlan8472.pcap" >/dev/null \
	2>"$T/v8472-run.log"
check "... as the daemon does, given the same [decap]" \
	grep -q "IP 39267 (39267 out of tunnels)" "$T/v8472-run.log"
printf '[decap]\nvxlan_ports = 4789, 99999\n' >"$T/bad-decap.conf"
check_exit "a port out of range in [decap] is a configuration error" 78 \
	"$FLOWSAD" aggregate -c "$T/bad-decap.conf" "$T/vxlan8472.pcap"

# a capture whose clock was not set: warned once, with the first such time
python3 -c "
import struct
d = bytearray(open('$pcap', 'rb').read())
d[24:28] = struct.pack('<I', 5)
open('$T/epoch.pcap', 'wb').write(d)"
"$FLOWSAD" aggregate --window 1m "$T/epoch.pcap" >/dev/null 2>"$T/epoch.log"
check "a capture's times before 2000 are warned of, with the first" \
	grep -q "epoch.pcap: a time of 1970-01-01T00:00:05Z (before 2000)" "$T/epoch.log"
check "... and not for the bundled capture" bash -c "! grep -q 'a time of' '$T/agg.log'"

# IPv6 fragments whose fragment header names a Destination Options header: each counts,
# as tshark counts them
python3 "$tools/relink.py" "$pcap" "$T/frag6.pcap" frag6
"$FLOWSAD" aggregate --window 1m "$T/frag6.pcap" >"$T/frag6.csv" 2>"$T/frag6.log"
check_eq "IPv6 fragments counted packet for packet as tshark counts them" \
	"$(tshark -r "$T/frag6.pcap" -Y ipv6 2>/dev/null | wc -l)" \
	"$(awk -F, 'NR > 1 && $2 ~ /:/ {s += $3} END {print s}' "$T/frag6.csv")"
check "... none of them malformed" grep -q "malformed 0" "$T/frag6.log"

"$FLOWSAD" aggregate --window 90s "$pcap" >"$T/agg90.csv" 2>/dev/null
check "90 s windows start at multiples of 90 s since the epoch" bash -c \
	"tail -n +2 '$T/agg90.csv' | cut -d, -f1 | sort -u | while read -r w; do [ \$(( \$(date -u -d \"\$w\" +%s) % 90 )) = 0 ] || exit 1; done"
check_eq "the window length moves packets between samples, never loses them" \
	"$(awk -F, 'NR > 1 {s += $3} END {print s}' "$T/agg.csv")" \
	"$(awk -F, 'NR > 1 {s += $3} END {print s}' "$T/agg90.csv")"

# each episode's sample shows its signature
while IFS=, read -r src start end kind; do
	[ "$src" = src_ip ] && continue
	w=$(date -u -d "@$(( start / 60 * 60 ))" +%Y-%m-%dT%H:%M:%SZ)
	row=$(grep "^$w,$src," "$T/agg.csv")
	case $kind in
	syn-scan) check "syn-scan: $src probes >= 300 ports and gets >= 800 RSTs ($w)" \
		awk -F, -v r="$row" 'BEGIN {split(r, f, ","); exit !(f[7] >= 300 && f[17] >= 800)}' ;;
	ping-sweep) check "ping-sweep: $src reaches >= 250 addresses with ICMP ($w)" \
		awk -F, -v r="$row" 'BEGIN {split(r, f, ","); exit !(f[6] >= 250 && f[11] >= 250)}' ;;
	hping3-burst) check "hping3-burst: $src sends >= 2900 SYNs in >= 2900 flows ($w)" \
		awk -F, -v r="$row" 'BEGIN {split(r, f, ","); exit !(f[13] >= 2900 && f[5] >= 2900)}' ;;
	short-connections) check "short-connections: $src opens >= 400 connections ($w)" \
		awk -F, -v r="$row" 'BEGIN {split(r, f, ","); exit !(f[13] >= 400)}' ;;
	esac
done <"$DATA/sample-labels.csv"

head -c 100000 "$pcap" >"$T/cut.pcap"
check_exit "a capture cut mid-packet is read up to the cut (exit 0)" 0 "$FLOWSAD" aggregate "$T/cut.pcap"
check "... with a warning" grep -q "truncated" "$T/exit.out"
python3 -c "import random; r = random.Random(5); open('$T/noise.pcap', 'wb').write(bytes(r.randrange(256) for _ in range(4096)))"
check_exit "random bytes are refused: 65" 65 "$FLOWSAD" aggregate "$T/noise.pcap"
check_exit "a missing file: 66" 66 "$FLOWSAD" aggregate "$T/absent.pcap"
python3 -c "
import sys; d = bytearray(open('$pcap', 'rb').read(24 + 16 + 60)); d[20] = 105
open('$T/wifi.pcap', 'wb').write(d)"
check_exit "an unsupported link type: 65" 65 "$FLOWSAD" aggregate "$T/wifi.pcap"
check "... named in the message" grep -q "link type IEEE802_11 (105)" "$T/exit.out"
check_exit "a bad BPF filter: 64" 64 "$FLOWSAD" aggregate --filter "port nonsense" "$pcap"
"$FLOWSAD" aggregate --window 1m --filter "src host 10.77.0.18" "$pcap" >"$T/f.csv" 2>/dev/null
check_eq "a BPF filter keeps only what it matches" "10.77.0.18" "$(tail -n +2 "$T/f.csv" | cut -d, -f2 | sort -u | tr '\n' ' ' | xargs)"
"$FLOWSAD" aggregate --window 1m --max-samples 5 "$pcap" >"$T/cap.csv" 2>"$T/cap.log"
check "a per-window cap on sources is enforced and the drops counted" bash -c \
	"tail -n +2 '$T/cap.csv' | cut -d, -f1 | uniq -c | awk '\$1 > 5 {exit 1}' && grep -Eq 'evicted [1-9]' '$T/cap.log'"

# a capture cut inside a record (tcpdump killed, a file still being written):
# every whole frame before the cut counts, as tcpdump reads them, and run -r
# takes the file as aggregate does
size=$(stat -c %s "$DATA/sample.pcap")
head -c $((size * 37 / 100)) "$DATA/sample.pcap" >"$T/cut.pcap"
frames=$(tcpdump -r "$T/cut.pcap" 2>/dev/null | wc -l)
"$FLOWSAD" aggregate --window 1m "$T/cut.pcap" >"$T/cut.csv" 2>"$T/cut.log"
check "a cut capture: aggregate reads every whole frame ($frames, as tcpdump)" \
	grep -q "frames $frames: " "$T/cut.log"
check "... and says where it stopped" \
	grep -q "cut short inside its last record (truncated dump file.*$frames frames in all" "$T/cut.log"
"$FLOWSAD" train --window 1m --seed 1 --quiet --epochs 2 --epochs-pretrain 1 -o "$T/cut.model" \
	"$DATA/sample.pcap" 2>/dev/null
check "run -r takes the cut capture (exit 0)" "$FLOWSAD" run -r "$T/cut.pcap" -m "$T/cut.model" \
	--jsonl /dev/null --samples "$T/cut-run.csv"
check_eq "... and counts the same packets" "$(awk -F, 'NR > 1 {s += $3} END {print s}' "$T/cut.csv")" \
	"$(awk -F, 'NR > 1 {s += $3} END {print s}' "$T/cut-run.csv")"

# several capture files are read as one, merged by time: halves taken frame by frame
# (captured side by side) and halves in time given in reverse order give the samples of
# the whole capture, in aggregate as in a replay
python3 - "$pcap" "$T" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
head, frames, off = data[:24], [], 24
while off + 16 <= len(data):
    caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
    frames.append(data[off:off + 16 + caplen])
    off += 16 + caplen
for name, part in (("odd", frames[1::2]), ("even", frames[0::2]),
                   ("late", frames[len(frames) // 2:]), ("early", frames[:len(frames) // 2])):
    open(f"{sys.argv[2]}/{name}.pcap", "wb").write(head + b"".join(part))
PY
"$FLOWSAD" aggregate --window 1m "$T/odd.pcap" "$T/even.pcap" >"$T/sides.csv" 2>"$T/sides.log"
check "two captures side by side read as one" diff "$T/agg.csv" "$T/sides.csv"
check "... and say they were merged" grep -q "2 capture files read as one, merged by time" \
	"$T/sides.log"
"$FLOWSAD" aggregate --window 1m "$T/late.pcap" "$T/early.pcap" >"$T/reversed.csv" 2>/dev/null
check "files given out of time order lose nothing" diff "$T/agg.csv" "$T/reversed.csv"
"$FLOWSAD" train --window 1m --epochs-pretrain 1 --epochs 1 -o "$T/split.model" "$pcap" \
	>/dev/null 2>&1
"$FLOWSAD" run -r "$T/late.pcap" -r "$T/early.pcap" -m "$T/split.model" --jsonl /dev/null \
	--samples "$T/replayed.csv" --spool "$T/spool" 2>"$T/replay.log"
check "a replay of files out of order counts every packet once, late none" \
	diff <(sort "$T/agg.csv") <(sort "$T/replayed.csv")

# a record whose header is impossible (a length beyond any snapshot) is no
# cut: the reading stops there, the message gives the record's byte offset
offset=$(python3 - "$DATA/sample.pcap" "$T/corrupt.pcap" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
off = 24
for _ in range(50):
    off += 16 + struct.unpack_from("<I", data, off + 8)[0]
struct.pack_into("<I", data, off + 8, 0x100000)  # 1 MiB
open(sys.argv[2], "wb").write(data)
print(off)
PY
)
check_exit "a corrupt record stops aggregate: 65" 65 "$FLOWSAD" aggregate --window 1m "$T/corrupt.pcap"
check "... naming its byte offset ($offset)" \
	grep -q "corrupt.pcap: corrupt record at byte offset $offset: invalid packet capture length" \
	"$T/exit.out"
check_exit "... and run -r: 65" 65 "$FLOWSAD" run -r "$T/corrupt.pcap" -m "$T/cut.model" \
	--jsonl /dev/null
check "... with the same message" grep -q "corrupt record at byte offset $offset:" "$T/exit.out"
