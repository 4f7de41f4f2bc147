#!/usr/bin/env bash
# make boot-check: the Debian package as a new user meets it, under a real
# systemd. A minimal Debian of this machine's release (debootstrap, kept as
# a cache) is copied and booted with systemd-nspawn, systemd as its PID 1 and
# a network of its own. There, following the README and docs/packaging.md,
# docs/deployment.md: `apt install ./flowsad_VERSION_ARCH.deb`, a model
# trained on the benign minutes of the bundled lab capture, a configuration
# in /etc/flowsad (a mirror port: a veth pair), `systemctl enable --now
# flowsad`, and one more daemon, flowsad@lab (Redis over its unix socket, a
# JSON-lines file). The lab's attacks are replayed onto the mirror port in
# real time (tcpreplay, 90 s), and the alerts looked for in the Redis
# streams; then `systemctl status` (its sd_notify STATUS), reload, a refused
# reload, the journal's priorities, stop, and the container's power-off.
#
#   tests/boot/boot.sh          the check ("ok"/"not ok" lines, then "N passed, N failed")
#   tests/boot/boot.sh --cache  make or refresh the cache (debootstrap: the network, minutes)
#
# BOOT_CACHE is the cache's folder (build/boot/RELEASE), DEB the package
# (build/flowsad_VERSION_ARCH.deb), BOOT_MIRROR a Debian mirror for
# debootstrap (its default otherwise). Skipped, with the reason, when not
# root, without systemd-nspawn, without the cache, or when the container
# does not boot. Not in `make test`: the cache takes minutes to download and
# the check a few minutes to run.
. "$(dirname "$0")/../integration/lib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^VERSION := //p' "$root/Makefile")
release=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
cache=${BOOT_CACHE:-$root/build/boot/$release}
deb=${DEB:-$root/build/flowsad_${version}_$(dpkg --print-architecture 2>/dev/null).deb}
# what the check needs in the container besides the package's dependencies
extra_pkgs="redis-server redis-tools tcpreplay iproute2"
first_attack=$(sed -n 2p "$DATA/sample-labels.csv" | cut -d, -f2)
# lib.bash's ok and not_ok, counted for the last line
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
	failed=$((failed + 1)); echo "not ok - $1"; shift
	[ $# -gt 0 ] && printf '    %s\n' "$@"; return 0
}

skip() {
	echo "ok - boot check skipped: $1 # SKIP"
	echo "1 passed, 0 failed"
	exit 0
}

# the package's dependencies, the first of each alternative, without versions
deb_depends() {
	dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/^ *//; s/ *$//' | grep .
}

# nspawn RUN...: a command in the tree, not booted (the machine's network)
nspawn() {
	systemd-nspawn -q -D "$1" --register=no --keep-unit --pipe "${@:2}"
}

if [ "${1:-}" = --cache ]; then
	[ "$(id -u)" = 0 ] || { echo "boot.sh --cache: run as root"; exit 1; }
	[ -f "$deb" ] || { echo "boot.sh --cache: no $deb (make deb)"; exit 1; }
	if [ ! -x "$cache/lib/systemd/systemd" ]; then
		echo "boot.sh: debootstrap $release into $cache"
		rm -rf "$cache.new" && mkdir -p "$(dirname "$cache")"
		debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus "$release" \
			"$cache.new" ${BOOT_MIRROR:+"$BOOT_MIRROR"} >"$cache.log" 2>&1 ||
			{ tail -5 "$cache.log"; exit 1; }
		# the installer writes these; debootstrap does not
		printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
			>"$cache.new/etc/hosts"
		echo flowsad-boot >"$cache.new/etc/hostname"
		mv "$cache.new" "$cache"
	fi
	# shellcheck disable=SC2046
	echo "boot.sh: installing $extra_pkgs $(deb_depends | xargs)"
	nspawn "$cache" env DEBIAN_FRONTEND=noninteractive sh -c \
		"apt-get update -qq && apt-get install -y -qq --no-install-recommends $extra_pkgs \
		$(deb_depends | xargs) >/dev/null && apt-get clean" || exit 1
	echo "boot.sh: $cache is ready"
	exit 0
fi

[ "$(id -u)" = 0 ] || skip "not root (systemd-nspawn boots containers as root)"
command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn (Debian's systemd-container)"
[ -x "$cache/lib/systemd/systemd" ] ||
	skip "no debootstrap cache at $cache: make boot-cache makes it (minutes, the network)"
[ -f "$deb" ] || skip "no package at $deb: make deb"
lacking=
for p in $(deb_depends) $extra_pkgs; do
	chroot "$cache" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
		lacking+="$p "
done
[ -z "$lacking" ] || skip "the cache lacks ${lacking% }: make boot-cache refreshes it"

machine=flowsad-boot-$$
r=$T/root
nspawn_pid=
cleanup() {
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill -TERM "$nspawn_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$nspawn_pid" 2>/dev/null
	fi
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# --- the container ---------------------------------------------------------------------------
cp -a --reflink=auto "$cache" "$r" || { not_ok "the cache is copied" "cp failed"; exit 1; }
mkdir -p "$r/root/lab"
cp "$deb" "$r/root/lab/" && cp "$DATA/sample.pcap" "$r/root/lab/"
editcap -B "$first_attack" "$DATA/sample.pcap" "$r/root/lab/benign.pcap" >/dev/null 2>&1 ||
	skip "editcap (wireshark-common) cuts the capture: not found"
# the replay: from 10 s before the first attack (a SYN scan) to past the
# second (a ping sweep), in real time
editcap -A "$((first_attack - 10))" -B "$((first_attack + 80))" "$DATA/sample.pcap" \
	"$r/root/lab/attacks.pcap" >/dev/null 2>&1
systemd-nspawn -q -D "$r" --register=no --keep-unit --private-network --machine="$machine" \
	--console=read-only -b >"$T/console.log" 2>&1 </dev/null &
nspawn_pid=$!
pid1=
for _ in $(seq 100); do
	pid1=$(pgrep -P "$nspawn_pid" | head -1)
	[ -n "$pid1" ] && [ "$(cat "/proc/$pid1/comm" 2>/dev/null)" = systemd ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.1
done
if ! kill -0 "$nspawn_pid" 2>/dev/null || [ -z "$pid1" ]; then
	echo "ok - boot check skipped: the container does not boot here # SKIP"
	sed 's/^/    /' "$T/console.log" | grep -v '^ *$' | tail -8
	echo "1 passed, 0 failed"
	exit 0
fi

# ct CMD...: a command in the booted container, as root at a login would run it
ct() { nsenter -t "$pid1" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
insh() { ct sh -c "$1"; }

# systemctl answers once PID 1's private socket is there; then the boot's end
for _ in $(seq 300); do
	state=$(ct systemctl is-system-running 2>&1) && break
	case $state in *"connect to bus"*) sleep 0.2 ;; *) break ;; esac
done
state=$(timeout 60 nsenter -t "$pid1" -a systemctl is-system-running --wait 2>&1)
check_eq "systemd boots the container as its PID 1" "systemd" "$(ct cat /proc/1/comm)"
case $state in
running) ok "... and the system is running" ;;
*) not_ok "... and the system is running" "is-system-running: $state" \
	"$(ct systemctl --failed --no-legend --plain 2>&1 | head -5)" ;;
esac
check_eq "Redis runs there (Debian's redis-server, as installed)" PONG "$(ct redis-cli ping 2>&1)"

# --- installing, as the README says ------------------------------------------------------------
check_exit "apt install ./$(basename "$deb")" 0 \
	insh "cd /root/lab && DEBIAN_FRONTEND=noninteractive apt-get install -y ./$(basename "$deb")"
check_eq "nothing of flowsad is enabled or started at installation" \
	"disabled inactive" \
	"$(ct systemctl is-enabled flowsad 2>&1) $(ct systemctl is-active flowsad 2>&1)"

# a model of the lab before its attacks (10-second windows), where the unit
# looks for it; a mirror port (a veth pair: the replay goes in one end)
check_exit "flowsad train writes a model to /var/lib/flowsad/model.safetensors" 0 \
	insh "flowsad train --window 10s --seed 1 --quiet -o /var/lib/flowsad/model.safetensors \
		/root/lab/benign.pcap && chown flowsad:flowsad /var/lib/flowsad/model.safetensors"
model=$(ct flowsad model /var/lib/flowsad/model.safetensors 2>/dev/null | awk '$1 == "id" {print $2}')
insh "ip link add replay0 type veth peer name mirror0 && ip link set replay0 up &&
	ip link set mirror0 up"

# /etc/flowsad/flowsad.conf: the shipped file, with docs/deployment.md's
# "One host" (Debian's redis-server listens on localhost:6379) and a history
cat >>"$r/etc/flowsad/flowsad.conf" <<EOF

# --- this host (docs/deployment.md, One host) ---
[capture]
interface = mirror0
[model]
path = /var/lib/flowsad/model.safetensors
[redis]
address = localhost
[retrain]
history_dir = /var/lib/flowsad/history
EOF
check_exit "check-config takes it" 0 ct flowsad check-config -c /etc/flowsad/flowsad.conf
# unit_started NAME UNIT: a check that UNIT's start worked, with its journal's end if not
unit_started() {
	if [ "$(ct systemctl is-active "$2")" = active ]; then ok "$1"; else
		not_ok "$1" "$(ct systemctl is-active "$2")" \
			"$(ct journalctl -u "$2" --no-pager -o cat -n 4 2>&1)"
	fi
}
ct systemctl enable --now flowsad >/dev/null 2>&1
unit_started "systemctl enable --now flowsad" flowsad
check_eq "... active, its sd_notify status saying the model" "active model $model" \
	"$(ct systemctl is-active flowsad) $(ct systemctl show -p StatusText --value flowsad |
		grep -o 'model [0-9a-f]*')"

# flowsad@lab: its own file, model and history under its state folder, Redis
# over the unix socket (docs/packaging.md: enabled in redis.conf, flowsad in
# the group redis), a JSON-lines file under /var/log/flowsad
insh "sed -i 's|^# *unixsocket /|unixsocket /|; s|^# *unixsocketperm .*|unixsocketperm 770|' \
	/etc/redis/redis.conf && usermod -a -G redis flowsad && systemctl restart redis-server &&
	install -d -o flowsad -g flowsad -m 0750 /var/lib/flowsad/lab &&
	install -o flowsad -g flowsad -m 0640 /var/lib/flowsad/model.safetensors /var/lib/flowsad/lab/"
check_exit "flowsad, reconnected to the restarted Redis, stays active" 0 \
	ct systemctl is-active flowsad
cat >"$r/etc/flowsad/lab.conf" <<EOF
[capture]
interface = mirror0
[model]
path = /var/lib/flowsad/lab/model.safetensors
[redis]
address = /run/redis/redis-server.sock
stream = flowsad:lab
[jsonl]
path = /var/log/flowsad/lab.jsonl
[retrain]
history_dir = /var/lib/flowsad/lab/history
EOF
ct systemctl start flowsad@lab >/dev/null 2>&1
unit_started "systemctl start flowsad@lab" flowsad@lab
check "flowsad connects to Redis over TCP" \
	grep -q 'redis localhost:6379: connected' <(ct journalctl -u flowsad --no-pager -o cat)
check "flowsad@lab over the unix socket" \
	grep -q 'redis /run/redis/redis-server.sock: connected' <(ct journalctl -u flowsad@lab \
		--no-pager -o cat)

# --- the lab's attacks on the mirror port --------------------------------------------------------
check_exit "tcpreplay replays the attacks onto the mirror port (90 s)" 0 \
	ct tcpreplay -q -i replay0 /root/lab/attacks.pcap
# the last window closes 10 s + 5 s (lateness) after its start, by the wall clock
sleep 16
for _ in $(seq 20); do
	[ "$(ct redis-cli XLEN flowsad:lab)" -gt 0 ] 2>/dev/null && break
	sleep 1
done
# sources of a stream's alerts (not the ends of incidents), sorted
alert_sources() {
	ct redis-cli --raw XRANGE "$1" - + | grep '^{' | python3 -c '
import json, sys
for l in sys.stdin:
    a = json.loads(l)
    if a["event"]["kind"] == "alert" and a.get("message") and a.get("@timestamp"):
        print(a["source"]["ip"])' | sort -u | xargs
}
got=$(alert_sources flowsad:alerts)
check "alerts arrive in the Redis stream flowsad:alerts ($got)" test -n "$got"
check "... for the SYN scan (10.77.0.18) and the ping sweep (10.77.0.17)" \
	bash -c "grep -Fqw 10.77.0.18 <<<'$got' && grep -Fqw 10.77.0.17 <<<'$got'"
check_eq "flowsad@lab sends the same to flowsad:lab" "$got" "$(alert_sources flowsad:lab)"
check_eq "... and to /var/log/flowsad/lab.jsonl (flowsad:flowsad 640)" "$got 640 flowsad:flowsad" \
	"$(python3 -c 'import json, sys
print(" ".join(sorted({json.loads(l)["source"]["ip"] for l in open(sys.argv[1])
    if json.loads(l)["event"]["kind"] == "alert"})))' "$r/var/log/flowsad/lab.jsonl") $(
		ct stat -c '%a %U:%G' /var/log/flowsad/lab.jsonl)"
status=$(ct systemctl status flowsad --no-pager 2>&1)
check "systemctl status shows the sd_notify status with windows and alerts" \
	grep -Eq "Status: \"[0-9]+ pkt/s, [0-9]+ windows, [1-9][0-9]* alerts, model $model age" \
	<<<"$status"

# --- reload ----------------------------------------------------------------------------------------
main_pid=$(ct systemctl show -p MainPID --value flowsad)
check_exit "systemctl reload flowsad" 0 ct systemctl reload flowsad
check_eq "... the same process, active, having reloaded" "$main_pid active 1" \
	"$(ct systemctl show -p MainPID --value flowsad) $(ct systemctl is-active flowsad) $(
		ct journalctl -u flowsad --no-pager -o cat | grep -c '^reloading$')"
cp "$r/etc/flowsad/flowsad.conf" "$T/flowsad.conf"
printf '[alerts]\ntop_n = many\n' >>"$r/etc/flowsad/flowsad.conf"
ct systemctl reload flowsad >/dev/null 2>&1
check_eq "a configuration with an error is refused, and flowsad goes on" "$main_pid active" \
	"$(ct systemctl show -p MainPID --value flowsad) $(ct systemctl is-active flowsad)"
cp "$T/flowsad.conf" "$r/etc/flowsad/flowsad.conf"

# --- the journal -----------------------------------------------------------------------------------
# PRIORITY MESSAGE of flowsad's own lines
ct journalctl -u flowsad -o json --no-pager | python3 -c '
import json, sys
for l in sys.stdin:
    j = json.loads(l)
    if j.get("SYSLOG_IDENTIFIER") == "flowsad":
        print(j.get("PRIORITY"), j.get("MESSAGE"))' >"$T/journal"
check "the journal has the windows at info (6)" grep -Eq '^6 window .* alerts' "$T/journal"
check "... the refused reload at err (3), naming the file and line" \
	grep -Eq '^3 /etc/flowsad/flowsad.conf:[0-9]+: .*top_n' "$T/journal"
check_eq "... no priority prefix left in a message" "" "$(grep -E '^[0-9] <[0-7]>' "$T/journal")"
check_eq "systemd has nothing to warn about in the units (their folders, their commands)" "" \
	"$(ct journalctl -u flowsad -u flowsad@lab -p warning -o json --no-pager | python3 -c '
import json, sys
for l in sys.stdin:
    j = json.loads(l)
    if j.get("SYSLOG_IDENTIFIER") != "flowsad":
        print(j.get("SYSLOG_IDENTIFIER"), j.get("MESSAGE"))' 2>&1 | head -3)"

# --- stop -------------------------------------------------------------------------------------------
check_exit "systemctl stop flowsad flowsad@lab" 0 timeout 40 nsenter -t "$pid1" -a \
	systemctl stop flowsad flowsad@lab
check_eq "... both exit 0 (Result=success)" "success 0 success 0" \
	"$(ct systemctl show -p Result --value flowsad) $(ct systemctl show -p ExecMainStatus \
		--value flowsad) $(ct systemctl show -p Result --value flowsad@lab) $(
		ct systemctl show -p ExecMainStatus --value flowsad@lab)"
check "... having closed and scored their windows" \
	grep -Eq '^6 [0-9]+ frames; [0-9]+ windows scored' <(ct journalctl -u flowsad -o json \
		--no-pager | python3 -c 'import json, sys
for l in sys.stdin:
    j = json.loads(l); print(j.get("PRIORITY"), j.get("MESSAGE"))')

ct systemctl poweroff >/dev/null 2>&1
for _ in $(seq 150); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$nspawn_pid" 2>/dev/null; then
	not_ok "the container powers off" "$(tail -3 "$T/console.log")"
else
	wait "$nspawn_pid"
	check_eq "the container powers off" 0 $?
	nspawn_pid=
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
