#!/usr/bin/env bash
# One lab of the lab family: plan.py draws a LAN from SEED (sites, hosts,
# roles, habits, episodes); this script builds it out of network namespaces,
# runs its servers and habits for BENIGN seconds (default 20 minutes), plays
# the drawn episodes with real tools, lets it cool down, and writes into OUT
# (default bench/data/labs/SEED):
#
#   capture.pcap.xz      the bridge capture (snaplen 128)
#   netflow-v9.pcap.xz   softflowd's NetFlow v9 export of the capture
#   labels.csv           src_ip,start_epoch,end_epoch,kind,targets per episode
#   hosts.csv            name,address,site,role,habits
#   plan.json            the plan as drawn
#
# usage: make-family.sh SEED   (root). Several seeds may run at once: names,
# namespaces and loopback ports are per seed. Test knobs: KINDS=a,b (these
# episode kinds instead of drawn ones), QUICK=1 (short episodes and gaps),
# EPISODES=N (only the first N episodes), COOLDOWN=seconds (120).
# Family, catalogue and what is drawn: tests/lab/README.md.
set -euo pipefail

seed=${1:?usage: make-family.sh SEED}
[[ $seed =~ ^[0-9]+$ ]] || { echo "make-family: SEED is a number" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/../../bench/data/labs/$seed}
mkdir -p "$out" && out=$(cd "$out" && pwd)
benign=${BENIGN:-1200}
cooldown=${COOLDOWN:-120}
prefix=fl$seed
flow_port=$((40000 + seed % 20000)) # softflowd -> nfcapd on loopback, per seed
lab=family-$seed
labdir=$here
work=$(mktemp -d)
size_limit=$((10 * 1024 * 1024)) # the capture and the export together, after xz
# shellcheck source=lab.bash
. "$here/lab.bash"
# shellcheck source=family.bash
. "$here/family.bash"
trap lab_cleanup EXIT INT TERM
lab_require
export prefix lab labdir work

plan_args=("$seed")
[ -z "${KINDS:-}" ] || plan_args+=(--kinds "$KINDS")
[ -z "${QUICK:-}" ] || plan_args+=(--quick)
python3 "$here/plan.py" "${plan_args[@]}" >"$out/plan.json"
python3 "$here/plan.py" --hosts "$out/plan.json" >"$out/hosts.csv"
python3 "$here/plan.py" --lines "$out/plan.json" >"$work/plan.lines"
# records: `records KIND` prints the plan's KIND lines, fields tab-separated
records() { awk -F'\t' -v k="$1" '$1 == k' "$work/plan.lines"; }

# --- topology -----------------------------------------------------------
# internal hosts /8 (every site on-link), the "internet" /24, routes both ways
build_hosts() {
	local _ name addr role
	lab_switch
	while IFS=$'\t' read -r _ name addr _ role; do
		if [ "$role" = internet ]; then
			lab_host "$name" "$addr/24" 10.0.0.0/8
		else
			lab_host "$name" "$addr/8" 198.51.100.0/24
		fi
	done < <(records host)
	log "$(records host | wc -l) hosts"
}

# --- servers ------------------------------------------------------------
# the web root: the sample lab's pages plus the mirror's update files
build_www() {
	local i
	lab_www
	for i in 1 2 3; do head -c $((i * 700000)) /dev/urandom >"$work/www/update-$i.bin"; done
}

host_named() { records host | awk -F'\t' -v a="$1" '$3 == a {print $2}'; }

# the internal resolver knows every lab name, forwards the tunnel domain to
# the C2 host (which answers for it), and says NXDOMAIN to other outside names
start_dns() {
	local _ dns_addr c2_addr tunnel name addr opts=()
	read -r _ dns_addr c2_addr tunnel < <(records dns)
	while IFS=$'\t' read -r _ name addr; do opts+=("--host-record=$name,$addr"); done < <(records record)
	opts+=("--server=/$tunnel/$c2_addr" --local=/example/com/net/org/)
	lab_dns "$(host_named "$dns_addr")" "$dns_addr" "${opts[@]}"
	lab_dns "$(host_named "$c2_addr")" "$c2_addr" "--address=/$tunnel/$c2_addr" "--local=/$tunnel/"
}

start_services() {
	local name prog specs
	while IFS=$'\t' read -r _ name prog specs; do
		case $prog in
		nginx) lab_nginx "$name" $specs ;;
		tcp) bg "$name" python3 "$here/tcp-service.py" $specs ;;
		lab) bg "$name" python3 "$here/lab-service.py" $specs ;;
		dnsmasq) ;; # start_dns
		*) log "unknown service $prog"; exit 1 ;;
		esac
	done < <(records service)
	start_dns
	sleep 2
}

# --- habits and episodes ----------------------------------------------------
start_habits() {
	local fields
	while IFS=$'\t' read -r -a fields; do
		bg "${fields[1]}" bash -c 'habit "$@"' _ "${fields[@]:2}"
	done < <(records habit)
}

# run_episode ID AT BOUND KIND SRC SRC_ADDR TARGETS ARGS...: waits until AT,
# runs ep_KIND for at most BOUND s, appends the label. Several run at once.
run_episode() {
	local id=$1 at=$2 bound=$3 kind=$4 src=$5 addr=$6 targets=$7 rc=0; shift 7
	while [ "$EPOCHSECONDS" -lt "$at" ]; do sleep 0.5; done
	local s=$EPOCHSECONDS
	log "episode $id $kind from $src ($addr)"
	src_addr=$addr timeout "$bound" bash -c '"$@"' _ "ep_${kind//-/_}" "$src" "$targets" "$@" \
		>"$work/episode-$id.log" 2>&1 || rc=$?
	# 124: the bound ended it, as planned for the open-ended kinds
	[ "$rc" = 0 ] || [ "$rc" = 124 ] || log "episode $id $kind: exit $rc: $(tail -n 3 "$work/episode-$id.log" | tr '\n' ' ')"
	echo "$addr,$s,$EPOCHSECONDS,$kind,$targets" >>"$labels"
}

start_episodes() {
	local fields n=0
	while IFS=$'\t' read -r -a fields; do
		n=$((n + 1))
		[ -z "${EPISODES:-}" ] || [ "$n" -le "$EPISODES" ] || break
		run_episode "${fields[1]}" $((t0 + fields[2])) "${fields[@]:3}" &
		pids+=($!)
	done < <(records episode)
}

# the last planned end (start + bound) of the episodes that run
last_end() {
	records episode | head -n "${EPISODES:-1000}" | awk -F'\t' '$3 + $4 > m {m = $3 + $4} END {print m + 0}'
}

# --- the run ----------------------------------------------------------------
read -r _ DNS _ < <(records dns)
WEB=$(records host | awk -F'\t' '$5 == "web" {print $3; exit}')
EXT=$(records host | awk -F'\t' '$2 == "ext" {print $3}')
SSH=$(records host | awk -F'\t' '$5 == "ssh" {print $3; exit}')
export DNS WEB EXT SSH

build_hosts
build_www
start_services
start=$EPOCHSECONDS
t0=$((start + benign))
deadline=$((t0 + $(last_end) + cooldown))
export deadline
labels=$work/labels.csv
: >"$labels"

bg sw tcpdump -i br0 -s 128 -U -w "$work/capture.pcap" 2>"$work/tcpdump.err"
sleep 1
start_habits
start_episodes
log "habits from $(date -u -d @"$start" +%H:%M:%S), episodes from $(date -u -d @"$t0" +%H:%M:%S), end $(date -u -d @"$deadline" +%H:%M:%S)"

while [ "$EPOCHSECONDS" -lt "$deadline" ]; do sleep 5; done
sleep 3
lab_stop

{ echo "src_ip,start_epoch,end_epoch,kind,targets"; sort -t, -k2,2n "$labels"; } >"$out/labels.csv"
cp "$work/capture.pcap" "$out/capture.pcap"
log "capture: $(tcpdump -n -r "$out/capture.pcap" 2>/dev/null | wc -l) packets"
lab_export_flows 9 "$flow_port" capture.pcap "$out/netflow-v9.pcap"
xz -T1 -f "$out/capture.pcap" "$out/netflow-v9.pcap"
size=$(stat -c %s "$out/capture.pcap.xz" "$out/netflow-v9.pcap.xz" | awk '{s += $1} END {print s}')
[ "$size" -le "$size_limit" ] || log "WARNING: $size bytes after xz, over the 10 MB a lab may take: draw lighter habits"
log "done in $((EPOCHSECONDS - start)) s: $size bytes after xz; $(ls "$out" | tr '\n' ' ')"
