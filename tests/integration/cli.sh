#!/usr/bin/env bash
# The binary's surface: --version, --help, sysexits codes.
. "$(dirname "$0")/lib.bash"

check "--version prints the version" bash -c "$FLOWSAD --version | grep -Eq '^flowsad [0-9]+\.[0-9]+\.[0-9]+$'"
check "--help lists every subcommand" bash -c \
	"out=\$($FLOWSAD --help); for c in run train score detect aggregate model check-config; do grep -q \"  \$c \" <<<\"\$out\" || exit 1; done"
check_exit "no command is a usage error (64)" 64 "$FLOWSAD"
check_exit "unknown command is a usage error (64)" 64 "$FLOWSAD" frobnicate
for c in run train score detect aggregate model check-config; do
	check_exit "$c --help exits 0" 0 "$FLOWSAD" "$c" --help
done
check "train --help lists its own options" bash -c \
	"'$FLOWSAD' train --help | grep -q -- '--alert-quantile' && '$FLOWSAD' train --help | grep -q -- '--hidden'"
# help_has COMMAND PATTERN...: each pattern (a regular expression) is a line of COMMAND --help
help_has() {
	local c=$1 p out; shift
	out=$("$FLOWSAD" "$c" --help)
	for p in "$@"; do grep -Eq -- "$p" <<<"$out" || { echo "no '$p' in $c --help"; return 1; }; done
}
check "run --help lists its own options with defaults" help_has run '--interface IFACE' \
	'--read FILE' '--redis ADDRESS .*port 6379' '--stream KEY .*flowsad:alerts' '--jsonl' \
	'--spool DIR' '--samples' '--replay-pps N .*\(as fast as it reads\)'
check "score --help lists its own options with defaults" help_has score '--model MODEL' \
	'--format csv\|jsonl .*\(csv\)'
check "detect --help lists its own options with defaults" help_has detect '--top N .*\(5\)' \
	'--shap-top-k K .*\(5\)' '--output-dir DIR .*\(\.\)' '--min-score S .*run.s alert threshold' \
	'--nsamples N .*\(200\)' '--no-zero-correction' '--no-shift'
check "aggregate --help lists its own options with defaults" help_has aggregate \
	'--lateness D .*0 is none' '--max-samples N .*\(1000000\)'
check "model --help lists its own option" help_has model '--json .*\(human text\)'
check "check-config --help lists its own option" help_has check-config '--config FILE'
check "training's options are not in score's or detect's help" bash -c \
	"! '$FLOWSAD' score --help | grep -Eq -- '--(hidden|alert-quantile|vocabulary|locations)' &&
	 ! '$FLOWSAD' detect --help | grep -Eq -- '--(hidden|alert-quantile|vocabulary|locations)'"
for c in run train score detect aggregate; do
	check "$c --help names every input format" help_has "$c" \
		'auto' 'pcap, ids-csv, flow-csv, netflow-pcap, matrix-csv, zeek, eve, eve-alerts'
done
# a model of a handful of samples would be noise: refused, saying why
head -4 "$DATA/sample-ids-alerts.csv" >"$T/tiny.csv"
check_exit "train refuses fewer than 8 samples (65)" 65 "$FLOWSAD" train -o "$T/tiny.model" "$T/tiny.csv"
check "... saying how many it needs" grep -q "at least 8 are needed" "$T/exit.out"
check "redis test server answers" redis-cli -s "$FLOWSAD_TEST_REDIS" ping
# -c CONF: the offline commands take [window], [features], [capture] filter from it
printf '[window]\nlength = 5m\n' >"$T/five.conf"
"$FLOWSAD" aggregate -c "$T/five.conf" "$DATA/sample.pcap" 2>/dev/null | cut -d, -f1 | sort -u >"$T/w"
check_eq "aggregate -c: the file's window length applies (7 minutes in 5-minute windows)" \
	"2026-11-29T11:05:00Z 2026-11-29T11:10:00Z" "$(tail -n +1 "$T/w" | grep -v window_start | tr '\n' ' ' | sed 's/ $//')"
"$FLOWSAD" aggregate -c "$T/five.conf" --window 1m "$DATA/sample.pcap" 2>/dev/null | cut -d, -f1 | sort -u >"$T/w1"
check_eq "the command line overrides the file" 8 "$(wc -l <"$T/w1")"
printf '[window]\nlength = forever\n' >"$T/bad.conf"
check_exit "train -c with a bad file is a configuration error (78)" 78 "$FLOWSAD" train \
	-c "$T/bad.conf" -o "$T/m" "$DATA/sample.pcap"
for c in score detect; do
	check_exit "$c -c with a bad file is a configuration error (78)" 78 "$FLOWSAD" "$c" \
		-c "$T/bad.conf" -m x "$DATA/sample.pcap"
done
check_exit "aggregate -c with a bad file is a configuration error (78)" 78 "$FLOWSAD" aggregate \
	-c "$T/bad.conf" "$DATA/sample.pcap"
check "the error names file and line" grep -q "bad.conf:2: length: expected" "$T/exit.out"
# --lateness 0 (or 0s) means no lateness, as flowsad(8) says; a window of 0 is no window
for l in 0 0s; do
	check_exit "aggregate --lateness $l is accepted" 0 "$FLOWSAD" aggregate --window 1m --lateness "$l" \
		"$DATA/sample.pcap"
done
check_exit "--window 0 is a usage error (64)" 64 "$FLOWSAD" aggregate --window 0 "$DATA/sample.pcap"
# configuration errors say the range, take a comment after a value, suggest a misspelt key
printf '[alerts]\ntop_n = 0\nexplain_k = 3 # three\n[redis]\nadress = localhost\n' >"$T/typo.conf"
check_exit "check-config: errors are a configuration error (78)" 78 "$FLOWSAD" check-config \
	-c "$T/typo.conf"
check "... a number out of range gives the range" \
	grep -q "typo.conf:2: top_n: expected a whole number from 1 to 1000000" "$T/exit.out"
check "... a comment after a value is no error" bash -c "! grep -q 'typo.conf:3' '$T/exit.out'"
check "... a misspelt key is answered with the nearest one" \
	grep -q "typo.conf:5: unknown key 'adress' in \[redis\] (did you mean 'address'?)" "$T/exit.out"
# exit codes of flowsad(8): an input or model that is not there is 66
printf 'x' >"$T/not-a-model"
check_exit "score -m with no such model is 66 (EX_NOINPUT)" 66 "$FLOWSAD" score -m "$T/none.model" \
	"$DATA/sample.pcap"
check_exit "detect -m with no such model is 66" 66 "$FLOWSAD" detect -m "$T/none.model" \
	-o "$T/d" "$DATA/sample.pcap"
check_exit "model with no such file is 66" 66 "$FLOWSAD" model "$T/none.model"
check_exit "a file that is no model stays 65 (EX_DATAERR)" 65 "$FLOWSAD" model "$T/not-a-model"
check_exit "run -m with no such model is 66" 66 "$FLOWSAD" run -r "$DATA/sample.pcap" \
	-m "$T/none.model" --jsonl /dev/null
"$FLOWSAD" train --window 1m --epochs 2 --epochs-pretrain 1 --quiet -o "$T/m.model" \
	"$DATA/sample.pcap" 2>/dev/null
check_exit "run -r with no such file is 66" 66 "$FLOWSAD" run -r "$T/none.pcap" -m "$T/m.model" \
	--jsonl /dev/null
