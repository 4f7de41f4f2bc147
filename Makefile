# flowsad — GNU make build.
#
#   make            build/flowsad, build/libflowsad.a (lib/) and build/libflowsad-daemon.a (daemon/
#                   but main.c) (installs missing build packages)
#   make test       unit + integration suites; last line "N passed, N failed"
#   make check      the same suites built with ASan + UBSan
#   make valgrind   the unit suites and the daemon under valgrind (memcheck, errors are failures)
#   make tsan       the daemon's threads under ThreadSanitizer (races are failures)
#   make bench      benchmark tables (installs its own extra packages)
#   make fuzz       each libFuzzer target for a short run
#   make format-check, make layers   the format rule, and lib/'s and daemon/'s layering
#   make reliability   fuzzing, a kill storm, a template flood, a full disk: a table
#   make install    PREFIX=/usr/local DESTDIR= UNITDIR=   (never installs packages)
#   make deb        build/flowsad_VERSION_ARCH.deb, with the Debian tools, checked by lintian
#   make boot-check the package under a booted systemd (a container), as a new user sets it up;
#                   make boot-cache first downloads its minimal Debian (debootstrap)
#   make deps       install the Debian packages for build and tests
#
# CPPFLAGS, CFLAGS and LDFLAGS are honoured and come after the project's own
# flags, so that a distribution's choices win; the build is hardened by default
# (fortified sources, stack protector, PIE, full RELRO).

VERSION := 0.1.0
PREFIX ?= /usr/local
# systemd units; Debian 12 packages keep theirs in /lib/systemd/system.
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
BUILD ?= build
CC ?= cc
# V=1 shows the full compiler command lines.
Q := $(if $(V),,@)

# Debian packages: what the build needs, what the tests add, what benchmarks add.
BUILD_PKGS := gcc make pkg-config libpcap-dev libev-dev libopenblas-dev libhiredis-dev \
	libsystemd-dev libinih-dev libjansson-dev libmicrohttpd-dev
# prometheus for its promtool, which checks a scrape of the metrics; chromium renders
# report.html in a real browser (tests/integration/report.sh).
TEST_PKGS := libcmocka-dev redis-server redis-tools softflowd nfdump tcpdump tshark \
	tcpreplay iproute2 valgrind clang libclang-rt-14-dev python3 curl systemd procps prometheus \
	chromium
# netsniff-ng for trafgen, BENCH=capacity's sender.
BENCH_PKGS := python3-torch python3-numpy python3-sklearn bc time xz-utils netsniff-ng
# `make deb`: the Debian tools (tests/integration/package.sh adds logrotate, to rotate a file).
DEB_PKGS := debhelper dpkg-dev fakeroot lintian logrotate
# `make run` (tests/tools/demo.sh): Redis, editcap to cut the capture, python3 to print.
DEMO_PKGS := redis-server redis-tools wireshark-common python3
# `make boot-check` and `make boot-cache` (tests/boot/boot.sh): a container booted by
# systemd-nspawn from a debootstrap tree; editcap cuts the capture, python3 reads alerts.
BOOT_PKGS := systemd-container debootstrap wireshark-common python3

LIBS_PC := openblas libpcap hiredis jansson inih libsystemd libmicrohttpd
# libev ships no pkg-config file on Debian: plain -lev.
PC_CFLAGS = $(shell pkg-config --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS = $(shell pkg-config --libs $(LIBS_PC) 2>/dev/null) -lev -lm -lpthread

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
OPT ?= -O2 -g
# Hardening. _FORTIFY_SOURCE needs optimization (the last -O counts) and is
# left to CPPFLAGS or CFLAGS when they set it (a second, different definition
# would be an error under -Werror); -U first, as some compilers predefine it.
LAST_O = $(lastword $(filter -O%,$(OPT) $(CFLAGS)))
FORTIFY = $(if $(filter-out -O0,$(LAST_O)),$(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) \
	$(CFLAGS)),,-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2))
HARDEN_CFLAGS = $(FORTIFY) -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
# The numeric core (matrix and network code) is built hotter: measured 25-30 %
# on the MLP; no errno or trap semantics are relied on there.
HOT := -O3 -fno-math-errno -fno-trapping-math
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -DFLOWSAD_VERSION='"$(VERSION)"' $(WARN) $(OPT) \
	$(HARDEN_CFLAGS) -Ilib -Idaemon $(PC_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS_ALL = $(HARDEN_LDFLAGS) $(LDFLAGS) $(EXTRA_LDFLAGS)

# The flags of the last build, kept in a file that changes only when they do:
# objects and programs depend on it, so that new flags rebuild them. Kept as
# it is by `make install` once there was a build: it installs what was built.
FLAGS_FILE := $(BUILD)/.flags
FLAGS_NOW = $(CC) $(CFLAGS_ALL) $(HOT) $(LDFLAGS_ALL)
ifeq ($(and $(filter install,$(MAKECMDGOALS)),$(wildcard $(FLAGS_FILE))),)
ifneq ($(file <$(FLAGS_FILE)),$(FLAGS_NOW))
$(shell mkdir -p $(BUILD))
$(file >$(FLAGS_FILE),$(FLAGS_NOW))
endif
endif

LIB_SRC := $(wildcard lib/*/*.c)
HOT_SRC := lib/detector/mlp.c lib/detector/deepsad.c lib/detector/explain.c lib/detector/adam.c \
	lib/detector/scaler.c lib/ingest/decode.c lib/features/baseline.c \
	lib/features/window.c lib/features/distinct.c
DAEMON_SRC := $(wildcard daemon/*/*.c)
MAIN_SRC := daemon/main.c
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(MAIN_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

.PHONY: all deb boot-check boot-cache deps deps-build deps-deb deps-bench test check tsan valgrind bench bench-detector fuzz install clean run \
	format-check layers reliability
all: $(BUILD)/flowsad

# --- dependencies -----------------------------------------------------------
# Installs only what is missing, so a machine that has everything pays one
# dpkg-query. Needs root when something is missing; waits for the apt lock
# when another apt holds it. A system without dpkg is left to its own means.
APT_GET := apt-get -o DPkg::Lock::Timeout=600
define install_missing
	@command -v dpkg-query >/dev/null || exit 0; \
	missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "flowsad: missing Debian packages: $$missing"; \
			echo "flowsad: run 'sudo make deps' (or apt-get install them) first"; exit 1; \
		fi; \
		echo "flowsad: installing $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(APT_GET) install -y -qq $$missing >/dev/null 2>&1 || \
		{ $(APT_GET) update -qq && $(APT_GET) install -y -qq $$missing; } || exit 1; \
	fi
endef
# Each set, once checked, leaves a stamp: later builds do not ask dpkg again
# (a new package list in this Makefile asks once more). Objects wait for the
# build packages, so that `make -j` never compiles before they are there;
# `make install` never asks (it may run as root after an unprivileged build).
STAMP := $(BUILD)/.stamp
BUILD_DEPS := $(if $(filter install,$(MAKECMDGOALS)),,$(STAMP)-build-deps)
$(STAMP)-build-deps: Makefile
	$(call install_missing,$(BUILD_PKGS))
	@mkdir -p $(BUILD) && touch $@
$(STAMP)-test-deps: Makefile | $(STAMP)-build-deps
	$(call install_missing,$(TEST_PKGS) $(DEB_PKGS))
	@touch $@
$(STAMP)-deb-deps: Makefile | $(STAMP)-build-deps
	$(call install_missing,$(DEB_PKGS))
	@touch $@
$(STAMP)-bench-deps: Makefile | $(STAMP)-test-deps
	$(call install_missing,$(BENCH_PKGS))
	@touch $@
$(STAMP)-demo-deps: Makefile | $(STAMP)-build-deps
	$(call install_missing,$(DEMO_PKGS))
	@touch $@
$(STAMP)-boot-deps: Makefile | $(STAMP)-deb-deps
	$(call install_missing,$(BOOT_PKGS))
	@touch $@
deps-build: $(STAMP)-build-deps
deps-deb: $(STAMP)-deb-deps
deps: $(STAMP)-test-deps
deps-bench: $(STAMP)-bench-deps

# --- build --------------------------------------------------------------------
$(BUILD)/%.o: %.c $(FLAGS_FILE) | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(if $(filter $<,$(HOT_SRC)),$(HOT)) -MMD -MP -c $< -o $@

$(BUILD)/libflowsad.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

# The daemon's modules (all of daemon/ but main.c) as an archive too, so that
# unit tests, benchmarks and fuzz targets link them as the binary does.
$(BUILD)/libflowsad-daemon.a: $(DAEMON_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

ARCHIVES := $(BUILD)/libflowsad-daemon.a $(BUILD)/libflowsad.a
$(BUILD)/flowsad: $(MAIN_OBJ) $(ARCHIVES) $(FLAGS_FILE)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS_ALL) -o $@ $(MAIN_OBJ) $(ARCHIVES) $(PC_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(ARCHIVES) $(PC_LIBS) -lcmocka

-include $(LIB_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)

# --- tests --------------------------------------------------------------------
# Every benchmark and fuzz program is built too, so that none can rot.
test: deps $(BUILD)/flowsad $(UNIT_BIN) $(BENCH_BIN) $(FUZZ_BIN)
	@BUILD=$(BUILD) bash tests/run.sh

SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check: deps
	@$(MAKE) --no-print-directory BUILD=build-san OPT="-O1 -g" \
		EXTRA_CFLAGS="$(SAN)" EXTRA_LDFLAGS="$(SAN)" test

# The daemon's threads (loop, score thread, retraining worker) under
# ThreadSanitizer, through the checker suite, and the queue they hand over
# through and the window parts the capture workers hand to the loop (their
# unit suites race threads through them): a race fails it.
TSAN_SUITES := test_queue test_window_parts
tsan: deps
	@$(MAKE) --no-print-directory BUILD=build-tsan OPT="-O1 -g" EXTRA_CFLAGS="-fsanitize=thread" \
		EXTRA_LDFLAGS="-fsanitize=thread" build-tsan/flowsad $(TSAN_SUITES:%=build-tsan/tests/%)
	@for t in $(TSAN_SUITES); do \
		TSAN_OPTIONS="exitcode=99" build-tsan/tests/$$t >build-tsan/$$t.out 2>&1 || \
		{ cat build-tsan/$$t.out; echo "make tsan: $$t failed"; exit 1; }; done
	@BUILD=build-tsan TSAN=1 TSAN_OPTIONS="exitcode=99" bash tests/run.sh memcheck

valgrind: deps $(BUILD)/flowsad $(UNIT_BIN)
	@BUILD=$(BUILD) VALGRIND=1 bash tests/run.sh unit
	@BUILD=$(BUILD) bash tests/run.sh memcheck

# The shape of the code (tests/integration/house.sh runs both in `make test`).
format-check:
	@bash tests/tools/format-check.sh
# Faults, hostile input and kills, measured: a table, and docs/reliability.md.
reliability: deps $(BUILD)/flowsad $(FUZZ_BIN) $(BUILD)/bench/gen_pcap
	@BUILD=$(BUILD) bash tests/reliability/run.sh
layers:
	@bash tests/tools/layers.sh

# --- benchmarks and fuzzing -------------------------------------------------------
$(BUILD)/bench/%: bench/%.c $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(ARCHIVES) $(PC_LIBS)

# ODDS data: the shared folder beside the checkout, or ODDS_DIR=...
ODDS_DIR ?= ../shared/data/odds
bench bench-detector: deps-bench $(BUILD)/flowsad $(BENCH_BIN)
	@BUILD=$(BUILD) ODDS_DIR=$(ODDS_DIR) bash bench/run.sh

# Fuzz targets: the library (and the daemon's INI reader) built once with
# coverage instrumentation (fuzzer-no-link), each target linked with
# libFuzzer's main.
FUZZ_SAN := address,undefined -fno-sanitize-recover=all -g -O1
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzzobj/%.o) $(BUILD)/fuzzobj/daemon/common/config.o
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -DFLOWSAD_VERSION='"$(VERSION)"' $(WARN) -Ilib -Idaemon $(PC_CFLAGS)
$(BUILD)/fuzzobj/%.o: %.c | $(STAMP)-test-deps
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c $< -o $@
$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_LIB_OBJ) $(PC_LIBS)
-include $(FUZZ_LIB_OBJ:.o=.d)
.SECONDARY: $(FUZZ_LIB_OBJ)

fuzz: deps $(FUZZ_BIN)
	@set -e; for n in $(FUZZ_SRC:fuzz/%.c=%); do \
		mkdir -p $(BUILD)/fuzz/$$n.corpus; \
		echo "fuzz: $$n ($${FUZZ_SECONDS:-30} s)"; \
		$(BUILD)/fuzz/$$n -max_total_time=$${FUZZ_SECONDS:-30} $(BUILD)/fuzz/$$n.corpus \
			fuzz/corpus/$$n 2>$(BUILD)/fuzz/$$n.log || { tail -40 $(BUILD)/fuzz/$$n.log; exit 1; }; \
		tail -1 $(BUILD)/fuzz/$$n.log; \
	done

# --- run, install ---------------------------------------------------------------
run: $(STAMP)-demo-deps all
	@BUILD=$(BUILD) bash tests/tools/demo.sh

install: all
	install -D -m 0755 $(BUILD)/flowsad $(DESTDIR)$(PREFIX)/bin/flowsad
	install -D -m 0644 docs/flowsad.8 $(DESTDIR)$(PREFIX)/share/man/man8/flowsad.8
	install -D -m 0644 docs/flowsad.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/flowsad.conf.5
	install -D -m 0644 conf/flowsad.conf $(DESTDIR)$(PREFIX)/share/doc/flowsad/flowsad.conf
	install -D -m 0644 docs/alerts.md $(DESTDIR)$(PREFIX)/share/doc/flowsad/alerts.md
	install -D -m 0644 docs/features.md $(DESTDIR)$(PREFIX)/share/doc/flowsad/features.md
	install -D -m 0644 docs/deployment.md $(DESTDIR)$(PREFIX)/share/doc/flowsad/deployment.md
	install -D -m 0644 docs/packaging.md $(DESTDIR)$(PREFIX)/share/doc/flowsad/packaging.md
	install -D -m 0644 docs/grafana/flowsad.json $(DESTDIR)$(PREFIX)/share/doc/flowsad/grafana/flowsad.json
	install -D -m 0644 docs/grafana/provisioning.yaml $(DESTDIR)$(PREFIX)/share/doc/flowsad/grafana/provisioning.yaml
	for u in flowsad.service flowsad@.service; do \
		sed 's|/usr/local/bin/flowsad|$(PREFIX)/bin/flowsad|' systemd/$$u | \
		install -D -m 0644 /dev/stdin $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -D -m 0644 systemd/flowsad.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/flowsad.conf
	install -D -m 0644 systemd/flowsad.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/flowsad.conf
	install -D -m 0644 conf/locations.example $(DESTDIR)$(PREFIX)/share/doc/flowsad/locations.example
	install -D -m 0644 conf/known-normal.example $(DESTDIR)$(PREFIX)/share/doc/flowsad/known-normal.example

# The Debian package (debian/): dpkg-buildpackage writes the .deb beside the
# tree it builds, so it builds a copy of what the package is made of in
# $(BUILD)/deb; the .deb comes out as $(DEB), and lintian's errors fail.
# The package is built with Debian's flags (dpkg-buildflags) in a clean
# environment: this make's variables (a sanitizer build's, under make check)
# would reach debian/rules through MAKEFLAGS and the environment.
DEB_ARCH = $(shell dpkg --print-architecture)
DEB = $(BUILD)/flowsad_$(VERSION)_$(DEB_ARCH).deb
DEB_TREE := Makefile README.md conf daemon debian docs lib systemd
deb: $(STAMP)-deb-deps
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$$v" = $(VERSION) ] || \
		{ echo "make deb: debian/changelog is at $$v, the Makefile at $(VERSION)"; exit 1; }
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/flowsad-$(VERSION)
	@tar -cf - $(DEB_TREE) | tar -xf - -C $(BUILD)/deb/flowsad-$(VERSION)
	cd $(BUILD)/deb/flowsad-$(VERSION) && env -i PATH="$$PATH" HOME="$$HOME" \
		$${DEB_BUILD_OPTIONS:+DEB_BUILD_OPTIONS="$$DEB_BUILD_OPTIONS"} \
		dpkg-buildpackage -b -us -uc >../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	mv $(BUILD)/deb/flowsad_$(VERSION)_$(DEB_ARCH).deb $(DEB)
	lintian --fail-on error --info $(DEB)
	@echo "make deb: $(DEB)"

# The package under a booted systemd (tests/boot/boot.sh): skipped, with the
# reason, without the cache that boot-cache makes (build/boot/RELEASE,
# BOOT_CACHE), or where no container boots. Not in `make test` (minutes).
boot-check: $(STAMP)-boot-deps deb
	@DEB=$(DEB) bash tests/boot/boot.sh
boot-cache: $(STAMP)-boot-deps deb
	@DEB=$(DEB) bash tests/boot/boot.sh --cache

clean:
	rm -rf build build-san build-tsan
