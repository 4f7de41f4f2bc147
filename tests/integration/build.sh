#!/usr/bin/env bash
# The build as a distribution uses it: the binary is hardened (fortified
# sources, stack protector, PIE, RELRO, BIND_NOW), CPPFLAGS, CFLAGS and
# LDFLAGS come after the project's own flags, `make install` never installs
# packages and `make run` installs only what the demo needs.
. "$(dirname "$0")/lib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)

check_eq "the binary is hardened (PIE, RELRO, BIND_NOW, stack protector, fortified)" "" \
	"$(hardening_missing "$FLOWSAD" | tr '\n' ' ')"

# the checker sees each feature missing in a program built without them
cat >"$T/plain.c" <<'EOF'
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
	char buf[64];
	strcpy(buf, argv[argc - 1]);
	return puts(buf) < 0;
}
EOF
cc -O2 -U_FORTIFY_SOURCE -fno-stack-protector -fno-pie -no-pie -Wl,-z,norelro,-z,lazy \
	-o "$T/plain" "$T/plain.c"
check_eq "a program built without hardening lacks all five" "pie relro bindnow stack-protector fortify" \
	"$(hardening_missing "$T/plain" | tr '\n' ' ' | sed 's/ $//')"

# dry runs of make in a build folder of their own: what would be compiled,
# linked and installed (as a distribution's make runs, not with the variables
# of the make that runs this suite: `make check` passes OPT=-O1 and the
# sanitizers down, in MAKEFLAGS and in the environment)
unset MAKEFLAGS MFLAGS MAKELEVEL OPT EXTRA_CFLAGS EXTRA_LDFLAGS CFLAGS CPPFLAGS LDFLAGS
dry() { make -s -n -C "$root" BUILD="$T/b" "$@" 2>&1; }
dry CPPFLAGS=-DDISTRO_CPP CFLAGS=-DDISTRO_C LDFLAGS=-Wl,--distro-ld >"$T/make.out"
compile=$(grep -m1 -- '-c daemon/main.c' "$T/make.out")
check "CPPFLAGS and CFLAGS reach the compiler" grep -q -- '-DDISTRO_CPP.*-DDISTRO_C' <<<"$compile"
check "... after the project's flags, so that theirs win" \
	grep -Eq -- '-O2 .*-fstack-protector-strong.*-DDISTRO_C' <<<"$compile"
check "LDFLAGS reach the linker, after the hardening" \
	grep -q -- '-Wl,-z,relro,-z,now -Wl,--distro-ld .*-o .*/flowsad ' "$T/make.out"
check "a distribution's _FORTIFY_SOURCE replaces the project's" bash -c \
	"make -s -n -C '$root' BUILD='$T/b2' CPPFLAGS=-D_FORTIFY_SOURCE=3 | grep -- '-c daemon/main.c' |
	grep -q -- '-D_FORTIFY_SOURCE=3' && ! make -s -n -C '$root' BUILD='$T/b2' \
	CPPFLAGS=-D_FORTIFY_SOURCE=3 | grep -q -- '-D_FORTIFY_SOURCE=2'"
check "no fortification without optimization (glibc would warn, -Werror refuse)" bash -c \
	"! make -s -n -C '$root' BUILD='$T/b3' OPT=-O0 | grep -q _FORTIFY_SOURCE"

check_exit "make install works in a new build folder" 0 \
	make -s -n -C "$root" BUILD="$T/fresh" DESTDIR="$T/dest" install
cp "$T/exit.out" "$T/install.out"
check "make install never runs apt-get" bash -c "! grep -q apt-get '$T/install.out'"
check "... nor asks dpkg" bash -c "! grep -q dpkg-query '$T/install.out'"
dry run >"$T/run.out"
check "make run installs what the demo needs (redis, editcap)" \
	grep -q 'redis-server redis-tools wireshark-common' "$T/run.out"
check "... and nothing of the tests' (valgrind, clang, tshark, softflowd) or the package's" bash -c \
	"! grep -Eq 'valgrind|clang|tshark|softflowd|debhelper|lintian' '$T/run.out'"
check "... waiting for the apt lock rather than failing" grep -q 'DPkg::Lock::Timeout=' "$T/run.out"
dry test >"$T/test.out"
check "make test still installs what the tests need" grep -q 'valgrind clang' "$T/test.out"
check "... and what the package's suite needs (debhelper, lintian)" \
	grep -q 'debhelper dpkg-dev fakeroot lintian' "$T/test.out"
