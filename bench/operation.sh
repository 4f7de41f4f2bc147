#!/usr/bin/env bash
# BENCH=operation: what a SOC gets from flowsad in operation, on a family of
# labs: the long lab (tests/lab/make-operation.sh: a benign period, then
# twelve attack episodes; bench/data/operation*, shown as lab "long") and
# each lab drawn from a seed, bench/data/labs/SEED/ (capture.pcap.xz,
# netflow-v9.pcap.xz, labels.csv). On each lab:
#
#   (a) trained on the benign period (flowsad train --window 10s), then
#       `flowsad run -r` over the whole capture with the shipped defaults;
#   (b) a cold start: `flowsad run -r` with a history and min_windows, no
#       model: it learns from the first windows, then scores;
#   (c) attacks in training: trained on the whole capture (one pass, or the
#       default robust two), then as (a);
# each from the packet capture and from NetFlow v9 of the same traffic
# (softflowd; for the cold start, sent in time order as a live exporter
# sends it: live_v9 below), beside an Isolation Forest peer ("if": scikit-learn, 200
# trees, on the per-(window, source) counters of `flowsad aggregate`,
# trained on the same benign period; its threshold the highest training
# score, the top 5 a window above it, as protocol (a) asks of flowsad).
# Figures after the training period: tests/tools/alert-eval.py; tables:
# bench/operation_report.py (each lab's, then per run the worst lab and the
# mean over the labs).
#
#   OPERATION_LABS=DIR    the family's folder (bench/data/labs)
#   OPERATION_DATA=DIR    the long lab's folder, laid out as bench/data is;
#                         set without OPERATION_LABS: that lab alone
#   OPERATION_ONLY="1 3"  these labs only (folder names; "long")
#   OPERATION_PROTOCOLS="a b c if"  these protocols only (default all)
#   OPERATION_THREADS=N   BLAS threads of each training (default 1: a run
#                         then gives the same figures every time; more threads
#                         sum in another order, and a model near a tie moves
#                         a threshold and an alert or two)
#   OPERATION_JOBS=N      runs of a lab at once (default: the cores). The
#                         cold starts (b), paced on the wall clock, run beside
#                         each other only, never beside a training.
# Each lab's files go to $BUILD/bench/operation/LAB/; a line a run on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
flowsad=$BUILD/flowsad
root=$BUILD/bench/operation
w=10
jobs=${OPERATION_JOBS:-$(nproc)}
threads=${OPERATION_THREADS:-1}
protocols=" ${OPERATION_PROTOCOLS:-a b c if} "
only=${OPERATION_ONLY:-}
report=bench/operation_report.py

say() { echo "operation: $*" >&2; }
want() { [[ $protocols == *" $1 "* ]]; }
for p in $protocols; do
	case $p in a | b | c | if) ;; *) say "no protocol $p (a b c if)"; exit 2 ;; esac
done

# --- the labs: a name, its labels, its capture and NetFlow v9 capture (.xz or plain) ----------
declare -A lab_labels=() lab_pcap=() lab_v9=()
add_lab() { # NAME LABELS CAPTURE V9
	if [ -n "${lab_labels[$1]:-}" ]; then
		say "lab $1: ${lab_labels[$1]%/*} is used, not ${2%/*}"
		return
	fi
	local f
	for f in "$3" "$4"; do
		if [ ! -f "$f.xz" ] && [ ! -f "$f" ]; then
			say "lab $1 left out: no $f.xz"
			return
		fi
	done
	lab_labels[$1]=$2 lab_pcap[$1]=$3 lab_v9[$1]=$4
}
if [ -z "${OPERATION_DATA:-}" ] || [ -n "${OPERATION_LABS:-}" ]; then
	for d in "${OPERATION_LABS:-bench/data/labs}"/*/; do
		d=${d%/}
		if [ -f "$d/labels.csv" ]; then
			add_lab "${d##*/}" "$d/labels.csv" "$d/capture.pcap" "$d/netflow-v9.pcap"
		fi
	done
fi
data=${OPERATION_DATA:-bench/data}
[ ! -f "$data/operation-labels.csv" ] ||
	add_lab long "$data/operation-labels.csv" "$data/operation.pcap" "$data/operation-netflow-v9.pcap"

names=()
[ -z "${lab_labels[long]:-}" ] || names+=(long)
while read -r n; do
	[ -z "$n" ] || [ "$n" = long ] || names+=("$n")
done < <(printf '%s\n' "${!lab_labels[@]}" | sort -V)
if [ -n "$only" ]; then
	picked=()
	for n in $only; do
		if [ -n "${lab_labels[$n]:-}" ]; then picked+=("$n"); else say "no lab $n"; fi
	done
	names=(${picked[@]+"${picked[@]}"})
fi
if [ ${#names[@]} -eq 0 ] && [ -n "$only" ]; then
	echo "(no lab picked by OPERATION_ONLY=\"$only\")"
	exit 0
elif [ ${#names[@]} -eq 0 ]; then
	echo "(no lab data in $data or ${OPERATION_LABS:-bench/data/labs}: run tests/lab/make-operation.sh)"
	exit 0
fi

# --- one lab's inputs -------------------------------------------------------------------------
unpack() { # SOURCE (without .xz) DESTINATION: again when the source is another or has changed
	local src=$1 id
	[ -f "$src.xz" ] && src=$src.xz
	id=$(stat -L -c '%n %s %Y' "$src")
	[ -f "$2" ] && [ "$(cat "$2.source" 2>/dev/null)" = "$id" ] && return
	rm -f "$2.source"
	if [ "$src" != "$1" ]; then xz -dc "$src" >"$2.part"; else cp "$src" "$2.part"; fi
	mv "$2.part" "$2"
	echo "$id" >"$2.source"
}

packets() { capinfos -T -r -c -M "$1" | cut -f2; }

export_v9() { # CAPTURE OUT [SOFTFLOWD OPTIONS]: NetFlow v9 of CAPTURE by softflowd, as received on lo
	local cap=$1 to=$2
	shift 2
	rm -f "$to" "$to.part"
	tcpdump -n -i lo -s 0 -U -w "$to.part" "udp and port 29986" 2>"$to.err" &
	local tdpid=$! _
	for _ in $(seq 50); do
		grep -q 'listening on' "$to.err" && break
		sleep 0.2
	done
	(cd "${cap%/*}" && softflowd -r "${cap##*/}" -n 127.0.0.1:29986 -v 9 -d -D "$@" >/dev/null 2>&1) || true
	sleep 1
	kill "$tdpid"
	wait "$tdpid" 2>/dev/null || true
	if [ "$(packets "$to.part")" -eq 0 ]; then
		echo "softflowd exported nothing from $cap" >&2
		return 1
	fi
	mv "$to.part" "$to"
}

benign() { # LAB: the benign period, as a capture and as NetFlow v9 (softflowd, as the lab made the full one)
	unpack "${lab_pcap[$1]}" "$pcap"
	unpack "${lab_v9[$1]}" "$v9"
	# made again when the capture or the period changed (the export once made is kept:
	# softflowd stamps it with its wall clock, and another differs a little)
	local id
	id="$benign_end $(cat "$pcap.source")"
	[ -f "$out/benign-v9.pcap" ] && [ "$(cat "$out/benign.stamp" 2>/dev/null)" = "$id" ] && return
	rm -f "$out/benign.stamp" "$out/benign.pcap"
	editcap -B "$benign_end" "$pcap" "$out/benign.pcap"
	export_v9 "$out/benign.pcap" "$out/benign-v9.pcap"
	echo "$id" >"$out/benign.stamp"
}

# LAB: NetFlow v9 of the whole capture as a live exporter sends it, for the cold start. The
# lab's own export (softflowd -r) holds every flow to the end of the file and sends its whole
# table at once, in table order: a third of a lab's records then come more than a minute
# after newer ones, and a collector that closes windows (lateness 5m) drops thousands, as it
# would from no live exporter. A table of 256 flows, the oldest sent first when it is full,
# sends them in time order, at most a minute late (as idle and active timeouts of 15 s and
# 60 s do on a router).
live_v9() {
	local id
	id=$(cat "$pcap.source")
	[ -f "$out/live-v9.pcap" ] && [ "$(cat "$out/live-v9.stamp" 2>/dev/null)" = "$id" ] && return
	rm -f "$out/live-v9.stamp"
	export_v9 "$pcap" "$out/live-v9.pcap" -m 256
	echo "$id" >"$out/live-v9.stamp"
}

# --- the runs (each writes $out/RUN.json; what it says, $out/RUN.err) ---------------------------
evaluate() { # NAME ALERTS SCORES FROM
	python3 tests/tools/alert-eval.py --labels "$labels" --alerts "$2" --scores "$3" --window $w \
		--from "$4" --slack 1 --json >"$out/$1.json.part"
	mv "$out/$1.json.part" "$out/$1.json"
}

protocol_a() { # NAME FORMAT CAPTURE TRAINING [TRAIN OPTIONS]
	local n=$1 fmt=$2 cap=$3 benign=$4
	shift 4
	"$flowsad" train --window ${w}s --seed 1 --threads "$threads" --quiet --input-format "$fmt" "$@" \
		-o "$out/$n.model" "$benign"
	rm -f "$out/$n.jsonl"
	"$flowsad" run -r "$cap" --input-format "$fmt" -m "$out/$n.model" --jsonl "$out/$n.jsonl" 2>"$out/$n.log"
	"$flowsad" score --input-format "$fmt" -m "$out/$n.model" "$cap" >"$out/$n.scores"
	evaluate "$n" "$out/$n.jsonl" "$out/$n.scores" "$benign_end"
}

protocol_b() { # NAME FORMAT CAPTURE
	local n=$1 fmt=$2 cap=$3
	# paced to last about two minutes, so that the first training ends mid-replay
	local pps=$(($(packets "$cap") / 120 + 10))
	rm -rf "${out:?}/$n" && mkdir -p "$out/$n"
	# learns from its first 60 windows (10 minutes), then scores the rest; flow
	# records wait 5 minutes for late ones (not the hour a replay of flows
	# allows by default, which would keep every window open to the end)
	printf '[window]\nlength = %ds\n%b[model]\npath = %s\n[retrain]\nhistory_dir = %s\nmin_windows = 60\n' \
		$w "$([ "$fmt" = pcap ] || echo 'lateness = 5m\n')" "$out/$n/model" "$out/$n/history" \
		>"$out/$n/flowsad.conf"
	rm -f "$out/$n.jsonl"
	"$flowsad" run -c "$out/$n/flowsad.conf" -r "$cap" --input-format "$fmt" --replay-pps "$pps" \
		--jsonl "$out/$n.jsonl" 2>"$out/$n.log"
	# (no model: the cold start did not learn within the capture)
	"$flowsad" score --input-format "$fmt" -m "$out/$n/model" "$cap" >"$out/$n.scores" ||
		: >"$out/$n.scores"
	# counted from the first window the model scored (sed stops at it: no pipe to cut short)
	local from
	from=$(sed -n '/^flowsad: window [^ ]*: [0-9]* samples, [0-9]* alerts/{s/^flowsad: window \([^ ]*\): .*/\1/p;q;}' \
		"$out/$n.log")
	evaluate "$n" "$out/$n.jsonl" "$out/$n.scores" "$(date -u -d "${from:-1970-01-01T00:00:00Z}" +%s)"
}

iforest() { # NAME FORMAT CAPTURE BENIGN
	local n=$1 fmt=$2
	"$flowsad" aggregate --window ${w}s --input-format "$fmt" "$4" >"$out/$n.train.csv"
	"$flowsad" aggregate --window ${w}s --input-format "$fmt" "$3" >"$out/$n.all.csv"
	/usr/bin/python3 bench/iforest_peer.py "$out/$n.train.csv" "$out/$n.all.csv" $w "$out/$n.jsonl" "$out/$n.scores"
	evaluate "$n" "$out/$n.jsonl" "$out/$n.scores" "$benign_end"
}

# --- at most $jobs runs at once ---------------------------------------------------------------------
declare -A running=() began=()
done_runs=0 total_runs=0 failures=0
reap() { # waits for one run
	local pid rc=0
	wait -n -p pid "${!running[@]}" || rc=$?
	local run=${running[$pid]}
	unset "running[$pid]"
	done_runs=$((done_runs + 1))
	if [ "$rc" -eq 0 ] && [ -f "$out/$run.json" ]; then
		say "lab $lab: $run done in $((SECONDS - began[$pid])) s ($done_runs of $total_runs)"
	else
		failures=$((failures + 1))
		say "lab $lab: $run FAILED (exit $rc) after $((SECONDS - began[$pid])) s ($done_runs of $total_runs):"
		tail -n 5 "$out/$run.err" "$out/$run.log" 2>/dev/null | sed 's/^/  /' >&2 || true
	fi
}
start() { # RUN FUNCTION ARGS...
	local run=$1
	shift
	while [ ${#running[@]} -ge "$jobs" ]; do reap; done
	rm -f "$out/$run.json"
	"$@" 2>"$out/$run.err" &
	running[$!]=$run began[$!]=$SECONDS
}
drain() { while [ ${#running[@]} -gt 0 ]; do reap; done; }

# --- each lab, then the summary ---------------------------------------------------------------------
runs=""
want a && runs+=" a-pcap a-v9"
want c && runs+=" c-pcap-once c-pcap-robust"
want if && runs+=" if-pcap if-v9"
want b && runs+=" b-pcap b-v9"
echo "## Operation: alerts on ${#names[@]} lab(s): ${names[*]} (trained on the benign period, then run over all of it)"
echo
done_labs=()
for lab in "${names[@]}"; do
	t0=$SECONDS
	say "lab $lab: preparing (${lab_labels[$lab]%/*})"
	out=$root/$lab labels=${lab_labels[$lab]} pcap=$root/$lab/capture.pcap v9=$root/$lab/netflow-v9.pcap
	mkdir -p "$out"
	rc=0
	benign_end=$(python3 "$report" first "$labels") || rc=$?
	# (in the background: a function called as a condition would not stop at its first error)
	if [ "$rc" -eq 0 ]; then
		{
			benign "$lab"
			if want b; then live_v9; fi
		} 2>"$out/benign.err" &
		wait $! || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		say "lab $lab: FAILED to prepare (exit $rc):"
		sed 's/^/  /' "$out/benign.err" >&2 || true
		failures=$((failures + 1))
		continue
	fi
	done_labs+=("$lab")
	done_runs=0 total_runs=$(wc -w <<<"$runs")
	# the trainings, side by side; their results do not hang on the clock
	if want a; then
		start a-pcap protocol_a a-pcap pcap "$pcap" "$out/benign.pcap"
		start a-v9 protocol_a a-v9 netflow-pcap "$v9" "$out/benign-v9.pcap"
	fi
	if want c; then
		# a baseline that holds the attacks: trained on the whole capture, one pass or the robust two
		start c-pcap-once protocol_a c-pcap-once pcap "$pcap" "$pcap" --trim 0
		start c-pcap-robust protocol_a c-pcap-robust pcap "$pcap" "$pcap"
	fi
	if want if; then
		start if-pcap iforest if-pcap pcap "$pcap" "$out/benign.pcap"
		start if-v9 iforest if-v9 netflow-pcap "$v9" "$out/benign-v9.pcap"
	fi
	drain
	# the cold starts, paced on the wall clock: beside each other only
	if want b; then
		say "lab $lab: the cold starts, about two minutes each"
		start b-pcap protocol_b b-pcap pcap "$pcap"
		start b-v9 protocol_b b-v9 netflow-pcap "$out/live-v9.pcap"
		drain
	fi
	say "lab $lab: done in $((SECONDS - t0)) s"
	python3 "$report" lab "$lab" "$out" "$labels" "$(capinfos -T -r -a -S "$pcap" | cut -f2 | cut -d. -f1)" "$runs"
done

if [ ${#done_labs[@]} -gt 1 ]; then
	python3 "$report" summary "$root" "$runs" "${done_labs[@]}"
fi
echo "(10-second windows; delay: episode start to the end of its first alerted window, median/max;"
echo "false alerts per 10 benign host-hours (samples of sources not attacking x 10 s); answering: false"
echo "alerts on a host an episode aimed at, while it ran; attacks in training: trained on the whole"
echo "capture (--trim 0, or the default robust pass), then as (a); late: first alerted over 300 s after"
echo "the start; slow episodes: a kind naming slow, beaconing, dns-tunnel, or over two minutes)"
echo
[ "$failures" -eq 0 ] || { say "$failures failure(s): see above"; exit 1; }
