#!/usr/bin/env bash
# The Debian package (make deb): built with debhelper, clean to lintian, then
# installed with dpkg into a throwaway root, an overlay of this machine's root
# in a mount namespace of its own (what dpkg writes goes to a folder here, and
# nothing reaches the machine, which never has the package installed). There
# the files, conffiles, user and folders are checked, the units verified by
# systemd-analyze, the logrotate file run; then the package is purged, and
# what it left is looked for among what the overlay holds.
#
# Skipped (one "# SKIP" line) only when debhelper is missing and cannot be
# installed; the install and purge are skipped when no overlay can be mounted.
. "$(dirname "$0")/lib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^VERSION := //p' "$root/Makefile")

# in_root DEB: run as the first process of a new mount namespace, by this
# script itself; prints the checks of the package installed and purged.
in_root() {
	local deb=$1 r=$T/root base
	base=$(basename "$deb")
	mkdir -p "$T/upper" "$T/work" "$r"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$T/upper,workdir=$T/work" "$r" || exit 3
	mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" || exit 3
	cp "$deb" "$r/tmp/$base"
	inr() { chroot "$r" "$@"; }

	check_eq "the throwaway root starts without the package" "" \
		"$(inr dpkg-query -W -f='${Status}' flowsad 2>/dev/null | grep ' installed$')"
	check_exit "dpkg -i installs it" 0 inr dpkg -i "/tmp/$base"
	check_eq "... at the Makefile's version" "install ok installed $version" \
		"$(inr dpkg-query -W -f='${Status} ${Version}' flowsad)"
	check_eq "the binary runs from /usr/bin" "flowsad $version" "$(inr flowsad --version 2>&1)"
	check_eq "... hardened (PIE, RELRO, BIND_NOW, stack protector, fortified)" "" \
		"$(hardening_missing "$r/usr/bin/flowsad" | xargs)"
	local f missing=
	for f in /usr/bin/flowsad /usr/share/man/man8/flowsad.8.gz \
		/usr/share/man/man5/flowsad.conf.5.gz /lib/systemd/system/flowsad.service \
		/lib/systemd/system/flowsad@.service /usr/lib/sysusers.d/flowsad.conf \
		/usr/lib/tmpfiles.d/flowsad.conf /etc/logrotate.d/flowsad /etc/flowsad/flowsad.conf \
		/usr/share/doc/flowsad/copyright; do
		[ -f "$r$f" ] || missing+="$f "
	done
	check_eq "binary, man pages, units, sysusers, tmpfiles, logrotate, configuration in place" \
		"" "$missing"
	check "/etc/flowsad/flowsad.conf is conf/flowsad.conf" \
		cmp "$root/conf/flowsad.conf" "$r/etc/flowsad/flowsad.conf"
	check_eq "dpkg keeps both /etc files as conffiles" \
		"/etc/flowsad/flowsad.conf /etc/logrotate.d/flowsad" \
		"$(inr dpkg-query -W -f='${Conffiles}\n' flowsad | awk 'NF {print $1}' | sort | xargs)"
	check_exit "the installed configuration passes check-config" 0 \
		inr flowsad check-config -c /etc/flowsad/flowsad.conf

	# the user and the folders the units want (systemd-sysusers and
	# systemd-tmpfiles, run by postinst)
	check_eq "a system user flowsad, without a shell" "/usr/sbin/nologin yes" \
		"$(inr getent passwd flowsad | awk -F: '{print $7, ($3 < 1000 ? "yes" : "no")}')"
	check_eq "folders: configuration, state, spool, history, alert files (mode, owner)" \
		"750 root:flowsad$(printf ' 750 flowsad:flowsad%.0s' 1 2 3 4)" \
		"$(inr stat -c '%a %U:%G' /etc/flowsad /var/lib/flowsad /var/lib/flowsad/spool \
			/var/lib/flowsad/history /var/log/flowsad 2>&1 | xargs)"
	check_eq "nothing is enabled or started on installation" "" \
		"$(find "$r/etc/systemd/system" -name 'flowsad*' 2>/dev/null)"

	# the units, with /usr/bin/flowsad there to be found
	check_eq "the units run /usr/bin/flowsad" \
		"/usr/bin/flowsad /usr/bin/flowsad" \
		"$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$r"/lib/systemd/system/flowsad{,@}.service | xargs)"
	local u
	for u in flowsad.service flowsad@sensor.service; do
		check_exit "systemd-analyze verify $u: no complaint" 0 inr systemd-analyze verify "$u"
		check_eq "... and nothing said" "" "$(cat "$T/exit.out")"
	done
	sed 's|^ExecStart=/usr/bin/flowsad|ExecStart=/usr/bin/flowsad-gone|' \
		"$r/lib/systemd/system/flowsad.service" >"$r/tmp/flowsad-gone.service"
	check_exit "... which fails a unit whose binary is not there" 1 \
		inr systemd-analyze verify /tmp/flowsad-gone.service
	rm -f "$r/tmp/flowsad-gone.service"

	# every document the man pages cite is installed under its name
	local cited absent=
	cited=$(zcat "$r"/usr/share/man/man*/flowsad*.gz | grep -o 'docs/[a-z_-]*\.md' | sort -u)
	for f in $cited; do
		[ -f "$r/usr/share/doc/flowsad/${f#docs/}" ] || absent+="$f "
	done
	check_eq "the documents the man pages cite are installed ($(echo $cited))" "" "$absent"

	# logrotate rotates an alert file the way flowsad writes one
	inr su -s /bin/sh -c 'umask 027; echo "{\"one\":1}" >/var/log/flowsad/alerts.jsonl' flowsad
	check_exit "logrotate rotates /var/log/flowsad/*.jsonl" 0 \
		inr logrotate -f -s /tmp/logrotate.state /etc/logrotate.d/flowsad
	check_eq "... the old lines in alerts.jsonl.1, a new empty file for flowsad" \
		'{"one":1} 640 flowsad:flowsad 0' \
		"$(cat "$r/var/log/flowsad/alerts.jsonl.1" 2>&1) $(inr stat -c '%a %U:%G %s' \
			/var/log/flowsad/alerts.jsonl 2>&1)"
	rm -f "$r/tmp/logrotate.state"

	# an operator's edit survives a reinstall; remove keeps the configuration
	# and the state, purge takes them
	echo '# edited here' >>"$r/etc/flowsad/flowsad.conf"
	inr su -s /bin/sh -c 'echo model >/var/lib/flowsad/model.safetensors' flowsad
	check_exit "dpkg -i again (an upgrade's path)" 0 inr dpkg -i "/tmp/$base"
	check "... keeps the edited configuration" grep -qx '# edited here' "$r/etc/flowsad/flowsad.conf"
	check_exit "dpkg -r removes it" 0 inr dpkg -r flowsad
	check_eq "... the program gone, the configuration and the state kept" \
		"deinstall ok config-files no /etc/flowsad/flowsad.conf /var/lib/flowsad/model.safetensors" \
		"$(inr dpkg-query -W -f='${Status}' flowsad) $([ -e "$r/usr/bin/flowsad" ] && echo yes ||
			echo no) $(inr ls /etc/flowsad/flowsad.conf /var/lib/flowsad/model.safetensors \
			2>&1 | xargs)"

	# purge, then everything the overlay holds is what dpkg, the user
	# database, man-db and systemd-analyze keep: nothing of the package
	check_exit "dpkg --purge removes it" 0 inr dpkg --purge flowsad
	check_eq "... and dpkg forgets it" "" \
		"$(inr dpkg-query -W -f='${Status}' flowsad 2>/dev/null | grep -v '^unknown ok not-installed')"
	rm -f "$r/tmp/$base"
	check_eq "nothing of the package is left (the user flowsad stays, as Debian does)" "" \
		"$(cd "$T/upper" && find . ! -type d | sed 's|^\.||' |
			grep -Ev '^/var/lib/dpkg/|^/var/log/dpkg\.log$|^/etc/(passwd|group|shadow|gshadow)-?$' |
			grep -Ev '^/etc/\.pwd\.lock$|^/var/cache/(man|debconf)/|^/run/systemd/' | xargs)"
	check_eq "... not even an empty folder" "" \
		"$(cd "$r" && ls -d etc/flowsad var/lib/flowsad var/log/flowsad usr/share/doc/flowsad \
			2>/dev/null | xargs)"
}

if [ "${1:-}" = --in-root ]; then
	rm -rf "$T" # lib.bash's; the caller's folder is used (and removed by the caller)
	T=$2
	trap - EXIT
	in_root "$3"
	exit 0
fi

# make test's own make passes its variables (a sanitizer build's flags) to
# every make below it through MAKEFLAGS: not to these
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! command -v dh >/dev/null; then
	make -s -C "$root" BUILD="$T/build" deps-deb >"$T/deps.out" 2>&1
	if ! command -v dh >/dev/null; then
		echo "ok - package suite skipped: debhelper cannot be installed here # SKIP"
		sed 's/^/    /' "$T/deps.out" | tail -3
		exit 0
	fi
fi
host_status() { dpkg-query -W -f='${Status}' flowsad 2>/dev/null; }
host_before=$(host_status)

# the sources, before any build
check_eq "flowsad@.service differs from flowsad.service in name, file and state folder only" \
	"Description ExecStart StateDirectory" \
	"$(diff <(grep -v '^#' "$root/systemd/flowsad.service") \
		<(grep -v '^#' "$root/systemd/flowsad@.service") | sed -n 's/^[<>] \([^=]*\)=.*/\1/p' |
		sort -u | xargs)"
# (a folder there whose mode is not the unit's makes systemd warn at every
# start and reload: "ConfigurationDirectory 'flowsad' already exists but the
# mode is different")
unit_modes=$(sed -n 's/^\(State\|Configuration\|Logs\)DirectoryMode=0*//p' \
	"$root/systemd/flowsad.service" | xargs)
unit_user=$(sed -n 's/^User=//p' "$root/systemd/flowsad.service")
check_eq "tmpfiles makes the unit's state, configuration and log folders with its modes and user" \
	"$unit_modes $unit_user" \
	"$(awk '$2 == "/var/lib/flowsad" {s = $3 + 0; u = $4} $2 == "/etc/flowsad" {c = $3 + 0}
		$2 == "/var/log/flowsad" {l = $3 + 0} END {print s, c, l, u}' \
		"$root/systemd/flowsad.tmpfiles")"
check_eq "sysusers makes the unit's user" "$unit_user" \
	"$(awk '$1 == "u" {print $2}' "$root/systemd/flowsad.sysusers")"
missing=
for p in $(sed -n '/^BUILD_PKGS :=/,/[^\\]$/p' "$root/Makefile" | grep -o 'lib[a-z0-9.-]*-dev'); do
	grep -q "^ *\(Build-Depends: \)\?$p,\?$" "$root/debian/control" || missing+="$p "
done
check_eq "debian/control builds with every library of the Makefile's BUILD_PKGS" "" "$missing"

# the build
check_exit "make deb builds the package, lintian reporting no error" 0 \
	make -s -C "$root" BUILD="$T/build" deb
cp "$T/exit.out" "$T/deb.out"
deb=$T/build/flowsad_${version}_$(dpkg --print-architecture).deb
check "... as $(basename "$deb")" test -f "$deb"
check_eq "lintian: no error or warning (but those overridden with a reason)" "" \
	"$(grep -E '^[EW]: ' "$T/deb.out")"
check_eq "the package's version is the Makefile's" "$version" "$(dpkg-deb -f "$deb" Version 2>&1)"
# every other program the units run is the package's dependency's (a minimal
# system has no /bin/kill: ExecReload would fail with 203/EXEC)
undeclared=
for b in $(sed -n 's/^Exec[A-Za-z]*=-\{0,1\}\(\/[^ ]*\).*/\1/p' "$root"/systemd/flowsad{,@}.service |
	sort -u | grep -vx /usr/local/bin/flowsad); do
	p=$(dpkg -S "$b" 2>/dev/null | cut -d: -f1)
	dpkg-deb -f "$deb" Depends | tr ',' '\n' | grep -qw "${p:-none}" || undeclared+="$b(${p:-?}) "
done
check_eq "the package depends on what ships the units' other commands (ExecReload's /bin/kill)" \
	"" "$undeclared"
check "make deb refuses a changelog at another version than the Makefile's" bash -c \
	"make -s -C '$root' BUILD='$T/b2' VERSION=9.9.9 deb 2>&1 | grep -q 'changelog is at $version,'"

if unshare -m true 2>/dev/null && command -v chroot >/dev/null; then
	unshare -m bash "$0" --in-root "$T" "$deb"
	rc=$?
	[ $rc = 3 ] && echo "ok - install and purge skipped: no overlay of / can be mounted here # SKIP"
	[ $rc != 0 ] && [ $rc != 3 ] && not_ok "the install in a throwaway root ran to its end" "exit $rc"
else
	echo "ok - install and purge skipped: no mount namespace here (unshare -m) # SKIP"
fi
check_eq "this machine's own dpkg never saw the package" "$host_before" "$(host_status)"
