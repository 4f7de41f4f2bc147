#!/usr/bin/env bash
# make reliability: faults, hostile input and kills, measured; prints a table and writes
# docs/reliability.md. SHORT=1 runs the quick version CI runs.
#   FUZZ_SECONDS   per libFuzzer target (default 60; the campaign: 1800)
#   FUZZ_RUNS      or this many executions, whichever comes first (the campaign: 10000000)
#   FUZZ_JOBS      targets fuzzed at once (default 1)
#   FUZZ_MINIMIZE=1  merge what the fuzzers found into fuzz/corpus, minimized
#   KILLS          SIGKILLs of the daemon in the kill storm (default 50)
#   RKILLS         SIGKILLs of redis-server in the alert storm (default 20)
#   SOAK_SECONDS   the live soak (default 1800; short: 60), sampled every 10 s (short: 2 s)
#   TAP=1          also ok / not ok lines (tests/integration/reliability.sh)
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FLOWSAD=$PWD/$BUILD/flowsad
DATA=$PWD/tests/data
short=${SHORT:-}
fuzz_seconds=${FUZZ_SECONDS:-$([ -n "$short" ] && echo 5 || echo 60)}
kills=${KILLS:-$([ -n "$short" ] && echo 4 || echo 50)}
T=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
rows=()
# row SCENARIO MEASURED VERDICT: a table row; with TAP=1 (the CI suite) an ok/not ok line too
row() {
	rows+=("| $1 | $2 | $3 |")
	[ "$3" = FAIL ] && failed=$((failed + 1))
	printf '%-28s %-60s %s\n' "$1" "$2" "$3"
	[ -n "${TAP:-}" ] && [ "$3" != - ] && echo "$([ "$3" = pass ] || echo 'not ')ok - $1: $2"
	return 0
}
failed=0
verdict() { if [ "$1" = 0 ]; then echo pass; else echo FAIL; fi; }

# --- the soak runs beside everything else (it is light: 2000 packets/s) --------------------------
soak_seconds=${SOAK_SECONDS:-$([ -n "$short" ] && echo 60 || echo 1800)}
BUILD=$BUILD bash tests/reliability/soak.sh "$T" "$soak_seconds" "$([ -n "$short" ] && echo 2 || echo 10)" \
	"$([ -n "$short" ] && echo "$T/soak.svg" || echo docs/soak.svg)" >"$T/soak.out" &
soak_pid=$!
pids+=("$soak_pid")

# --- fuzzing: every target, its corpus kept in fuzz/corpus ----------------------------------
# FUZZ_JOBS targets at once; each stops after FUZZ_SECONDS or FUZZ_RUNS executions, whichever
# comes first. FUZZ_MINIMIZE=1 merges what it found into fuzz/corpus, minimized (the campaign).
# A crash's input is kept as $BUILD/fuzz/NAME-crash-*.
fuzz_one() {
	local name=$1 rc
	mkdir -p "$T/corpus/$name"
	"$BUILD/fuzz/$name" -max_total_time="$fuzz_seconds" -runs="${FUZZ_RUNS:--1}" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$BUILD/fuzz/$name-" "$T/corpus/$name" \
		"fuzz/corpus/$name" >"$T/$name.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && [ -n "${FUZZ_MINIMIZE:-}" ]; then
		mkdir -p "$T/min/$name"
		"$BUILD/fuzz/$name" -merge=1 "$T/min/$name" "fuzz/corpus/$name" "$T/corpus/$name" \
			>"$T/$name.merge.log" 2>&1 &&
			rm -rf "fuzz/corpus/$name" && cp -r "$T/min/$name" "fuzz/corpus/$name"
	fi
	echo "$rc" >"$T/$name.rc"
}
fuzz_running() {
	local n=0 p
	for p in "${fuzz_pids[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
	echo "$n"
}
fuzz_pids=()
for src in fuzz/fuzz_*.c; do
	while [ "$(fuzz_running)" -ge "${FUZZ_JOBS:-1}" ]; do sleep 1; done
	fuzz_one "$(basename "$src" .c)" &
	fuzz_pids+=($!)
done
wait "${fuzz_pids[@]}" 2>/dev/null # some were reaped while polling
for src in fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	last=$(grep -E '^#[0-9]+' "$T/$name.log" | tail -1)
	runs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$T/$name.log")
	row "fuzz $name" "${took:-?} s, ${runs:-0} runs, coverage ${cov:-?} edges, corpus $(ls "fuzz/corpus/$name" | wc -l) files" \
		"$(verdict "$(cat "$T/$name.rc")")"
done

# --- a kill storm: SIGKILLs at random moments of a replay delivering to Redis -----------------
mkdir -p "$T/redis"
redis-server --port 0 --unixsocket "$T/redis/sock" --dir "$T/redis" --save '' --appendonly no \
	--logfile "$T/redis/log" &
pids+=($!)
for _ in $(seq 50); do redis-cli -s "$T/redis/sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
pcap=$DATA/sample.pcap
"$FLOWSAD" train --window 10s --seed 1 --epochs-pretrain 2 --epochs 2 --alert-quantile 0.5 \
	-o "$T/model" "$pcap" >/dev/null 2>&1
cp "$T/model" "$T/model.orig"
# retraining runs between the kills (a new model at any moment), but not in the short version
# CI runs, whose alerts must not depend on when a retraining ends
printf '[alerts]\nsuppress = 0\nmin_score = -100\n[retrain]\nhistory_dir = %s\nmin_windows = 5\ninterval = %s\n' \
	"$T/history" "$([ -n "$short" ] && echo 366d || echo 0)" >"$T/storm.conf"
storm=(-c "$T/storm.conf" -m "$T/model" --redis "$T/redis/sock" --jsonl /dev/null)
"$FLOWSAD" run "${storm[@]}" -r "$pcap" --stream control --spool "$T/spool-control" 2>/dev/null
expected=$(redis-cli -s "$T/redis/sock" --raw XRANGE control - + | grep -o '"id":"flowsad-[^"]*"' |
	sort -u | wc -l)
broken=0
for i in $(seq "$kills"); do
	"$FLOWSAD" run "${storm[@]}" -r "$pcap" --stream storm --spool "$T/spool" \
		--replay-pps 20000 2>>"$T/storm.log" &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	"$FLOWSAD" model "$T/model" >/dev/null 2>&1 || broken=$((broken + 1))
done
"$FLOWSAD" run "${storm[@]}" -r "$pcap" --stream storm --spool "$T/spool" 2>>"$T/storm.log"
final=$?
got=$(redis-cli -s "$T/redis/sock" --raw XRANGE storm - + | grep -o '"id":"flowsad-[^"]*"' | sort -u)
unique=$(echo "$got" | grep -c .)
missing=$(comm -23 <(redis-cli -s "$T/redis/sock" --raw XRANGE control - + |
	grep -o '"id":"flowsad-[^"]*"' | sort -u) <(echo "$got") | wc -l)
entries=$(redis-cli -s "$T/redis/sock" XLEN storm)
row "kill storm ($kills SIGKILLs)" \
	"$unique of $expected alert ids delivered, $missing missing; model unloadable $broken times" \
	"$(verdict $(( final != 0 || missing != 0 || broken != 0 )))"
row "... replays after kills" "$entries stream entries for $unique ids (a replay re-sends: ids dedupe)" "-"

# --- Redis killed again and again during an alert storm -----------------------------------------
# Redis keeps what it acknowledged (appendfsync always); flowsad must lose no alert and, checking
# the stream's tail after each reconnection, add none twice.
rkills=${RKILLS:-$([ -n "$short" ] && echo 4 || echo 20)}
mkdir -p "$T/r2"
start_aof_redis() {
	redis-server --port 0 --unixsocket "$T/r2/sock" --dir "$T/r2" --save '' --appendonly yes \
		--appendfsync always --logfile "$T/r2/log" &
	rpid=$!
	for _ in $(seq 50); do redis-cli -s "$T/r2/sock" ping >/dev/null 2>&1 && return; sleep 0.1; done
}
# thousands of alerts: every sample of a many-source capture (Zipf, 10-second windows) alerts
"$BUILD/bench/gen_pcap" "$T/storm.pcap" "$([ -n "$short" ] && echo 20000 || echo 60000)" 3000 \
	zipf 1000 >/dev/null
printf '[alerts]\nsuppress = 0\nmin_score = -100\ntop_n = 1000\nexplain_nsamples = 20\n' \
	>"$T/alerts.conf"
loud=(-c "$T/alerts.conf" -m "$T/model.orig" --redis "$T/r2/sock" --jsonl /dev/null)
start_aof_redis
"$FLOWSAD" run "${loud[@]}" -r "$T/storm.pcap" --stream rcontrol --spool "$T/spool-r1" 2>/dev/null
rexpected=$(redis-cli -s "$T/r2/sock" XLEN rcontrol)
"$FLOWSAD" run "${loud[@]}" -r "$T/storm.pcap" --stream rstorm --spool "$T/spool-r2" \
	--replay-pps 4000 2>"$T/rstorm.log" &
run_pid=$!
for i in $(seq "$rkills"); do
	sleep "0.$((RANDOM % 4 + 2))"
	kill -KILL "$rpid"; wait "$rpid" 2>/dev/null
	start_aof_redis
done
wait "$run_pid"
head -c 24 "$pcap" >"$T/empty.pcap" # what is still spooled goes now
"$FLOWSAD" run "${loud[@]}" -r "$T/empty.pcap" --stream rstorm --spool "$T/spool-r2" 2>/dev/null
rentries=$(redis-cli -s "$T/r2/sock" XLEN rstorm)
runique=$(redis-cli -s "$T/r2/sock" --raw XRANGE rstorm - + | grep -o '"id":"flowsad-[^"]*"' |
	sort -u | wc -l)
kill "$rpid"; wait "$rpid" 2>/dev/null
row "Redis kill storm ($rkills SIGKILLs, alert storm)" \
	"$runique of $rexpected alerts delivered, $((rentries - runique)) twice" \
	"$(verdict $(( runique != rexpected || rentries != runique )))"

# --- a template flood at a NetFlow/IPFIX listener ------------------------------------------
uport=$((20000 + RANDOM % 30000))
printf '[netflow]\nlisten = 127.0.0.1:%d\n' "$uport" >"$T/flood.conf"
"$FLOWSAD" run -c "$T/flood.conf" -m "$T/model" --jsonl /dev/null 2>"$T/flood.log" &
flood_pid=$!
pids+=("$flood_pid")
sleep 1
python3 - "$uport" "$([ -n "$short" ] && echo 20000 || echo 200000)" <<'PY'
import socket, struct, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    # one template (id 256..65535, 100 fields) in an observation domain of its own
    fields = b"".join(struct.pack(">HH", 1 + (f % 200), 4) for f in range(100))
    tset = struct.pack(">HHHH", 2, 8 + len(fields), 256 + i % 65280, 100) + fields
    msg = struct.pack(">HHIII", 10, 16 + len(tset), 1772373600, i, i) + tset
    s.sendto(msg, ("127.0.0.1", port))
PY
sleep 1
rss=$(awk '/VmHWM/ {print $2}' "/proc/$flood_pid/status" 2>/dev/null)
alive=$(kill -0 "$flood_pid" 2>/dev/null && echo 1 || echo 0)
kill -TERM "$flood_pid"; wait "$flood_pid" 2>/dev/null
templates=$(grep -o 'templates [0-9]*\|template_limit [0-9]*' "$T/flood.log" | tr '\n' ' ')
row "template flood" "alive $alive, peak RSS ${rss:-?} KiB; ${templates:-counters: see log}" \
	"$(verdict $(( alive != 1 || ${rss:-999999} > 262144 )))"

# --- hostile clients of the metrics endpoint ------------------------------------------------
mport=$((20000 + RANDOM % 30000))
printf '[netflow]\nlisten = 127.0.0.1:%d\n[metrics]\nlisten = 127.0.0.1:%d\n' \
	$((mport + 1)) "$mport" >"$T/http.conf"
"$FLOWSAD" run -c "$T/http.conf" -m "$T/model" --jsonl /dev/null 2>"$T/http.log" &
http_pid=$!
pids+=("$http_pid")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$mport/metrics" >/dev/null && break; sleep 0.1; done
python3 - "$mport" >"$T/http.out" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=5)
idle = []
for _ in range(200):  # many connections that say nothing (slow clients)
    try:
        idle.append(conn())
    except OSError:
        break
s = conn()  # a header of a megabyte
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
try:
    big = s.recv(64).split(b" ")[1].decode()
except (OSError, IndexError):
    big = "closed"
s = conn()  # a request line of garbage
s.sendall(b"\x00\xff\x13 / HTTP/9.9\r\n\r\n")
try:
    garbage = s.recv(64).split(b" ")[1].decode()
except (OSError, IndexError):
    garbage = "closed"
s = conn()  # a plain request while the idle ones are still held
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
try:
    held = s.recv(64).split(b" ")[1].decode()
except (OSError, IndexError):
    held = "none"
print(len(idle), big, garbage, held)
PY
read -r idle big garbage held <"$T/http.out"
ok=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/metrics")
alive=$(kill -0 "$http_pid" 2>/dev/null && echo 1 || echo 0)
kill -TERM "$http_pid"; wait "$http_pid" 2>/dev/null
bad=$(( alive != 1 || ok != 200 ))
[ "$held" = 200 ] || bad=1
row "metrics: hostile clients" \
	"$idle idle connections (a GET meanwhile: $held), a 1 MiB header ($big), garbage ($garbage); then GET $ok, alive $alive" \
	"$(verdict "$bad")"

# --- a disk that fills under the spool and the history -----------------------------------
FLOWSAD=$FLOWSAD FLOWSAD_TEST_REDIS=$T/redis/sock bash tests/integration/diskfull.sh >"$T/disk.out" 2>&1
ok=$(grep -c '^ok' "$T/disk.out"); bad=$(grep -c '^not ok' "$T/disk.out")
row "disk full (tmpfs)" "$ok checks passed, $bad failed$(grep -q SKIP "$T/disk.out" && echo ' (skipped: no tmpfs)')" \
	"$(verdict "$bad")"

# --- damaged files at every file interface: refused with the file named, never a crash -------
# Each kind's good file (the shipped configuration and known-normal list without their comments,
# a model) cut, bit-flipped, with random bytes put in, or its lines shuffled; then read by the
# command that reads it. Exit 0 (still valid) or the command's refusal (EX_DATAERR 65, EX_CONFIG 78) naming
# the file; a signal or another code is a failure.
n_damaged=$([ -n "$short" ] && echo 30 || echo 300)
python3 - "$T/damaged" "$n_damaged" conf/flowsad.conf "$T/model.orig" conf/known-normal.example <<'PY'
import os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rnd = random.Random(1)
for kind, path in (("conf", sys.argv[3]), ("model", sys.argv[4]), ("labels", sys.argv[5])):
    good = open(path, "rb").read()
    if kind != "model":  # the content, not the comments, is what a mutation should hit
        good = b"\n".join(l for l in good.split(b"\n") if l.strip() and not l.startswith(b"#"))
    for i in range(n):
        d = bytearray(good)
        how = i % 4
        if how == 0:
            d = d[: rnd.randrange(len(d))]
        elif how == 1:
            for _ in range(rnd.randrange(1, 8)):
                d[rnd.randrange(len(d))] ^= 1 << rnd.randrange(8)
        elif how == 2:
            at = rnd.randrange(len(d))
            d[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 64)))
        else:
            lines = bytes(d).split(b"\n")
            rnd.shuffle(lines)
            d = bytearray(b"\n".join(lines))
        open(os.path.join(out, "%s-%03d" % (kind, i)), "wb").write(d)
PY
# damaged KIND REFUSAL CMD...: every file of the kind through CMD (FILE stands for it)
damaged() {
	local kind=$1 refusal=$2 f rc; shift 2
	local crashed=0 unnamed=0 accepted=0 refused=0
	for f in "$T/damaged/$kind"-*; do
		"${@//FILE/$f}" >/dev/null 2>"$T/damaged.err"
		rc=$?
		if [ "$rc" = 0 ]; then
			accepted=$((accepted + 1))
		elif [ "$rc" = "$refusal" ]; then
			refused=$((refused + 1))
			grep -qF "$f" "$T/damaged.err" || unnamed=$((unnamed + 1))
		else
			crashed=$((crashed + 1))
			echo "$kind: exit $rc on $f: $(head -c 300 "$T/damaged.err")" >>"$T/damaged.log"
		fi
	done
	row "damaged $kind files" "$n_damaged: $refused refused (file named: $((refused - unnamed))), $accepted still valid, $crashed other exits" \
		"$(verdict $(( crashed + unnamed )))"
}
damaged conf 78 "$FLOWSAD" check-config -c FILE
damaged model 65 "$FLOWSAD" model FILE
damaged labels 65 "$FLOWSAD" train --window 10s --epochs-pretrain 1 --epochs 1 --known-normal FILE \
	-o "$T/damaged-out.model" "$pcap"

# --- the soak, started at the top -----------------------------------------------------------
wait "$soak_pid"
IFS='|' read -r measured soak_verdict <"$T/soak.out"
row "soak (live, $soak_seconds s)" "${measured:-no result}" "${soak_verdict:-FAIL}"

if [ -z "$short" ]; then
	{
		echo "# Reliability"
		echo
		echo "\`make reliability\` measured these on $(date -u +%Y-%m-%d), $(nproc) cores;"
		echo "fuzzing $fuzz_seconds s per target${FUZZ_RUNS:+ or $FUZZ_RUNS executions, whichever came first}"
		echo "(the campaign: FUZZ_SECONDS=1800 FUZZ_RUNS=10000000 FUZZ_MINIMIZE=1)."
		echo
		echo "| scenario | measured | verdict |"
		echo "|---|---|---|"
		printf '%s\n' "${rows[@]}"
		echo
		echo "The soak's RSS, open descriptors and threads, sampled every 10 s:"
		echo
		echo "![soak](soak.svg)"
	} >docs/reliability.md
fi
echo "$(( ${#rows[@]} - failed )) passed, $failed failed"
[ "$failed" = 0 ]
