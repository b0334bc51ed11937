# cowlink: make builds the library and the command; make check runs every
# test (installing what they need when run as root); make demo runs the
# crane example.  SANITIZE=1 builds with ASan and UBSan (gcc), and make
# check then runs the unit, command-line and integration tests only.
VERSION = 0.1.0
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror
# glibc's dlsym is in libdl.so.2 (linked by name: no dev package needed);
# musl has it in libc: make LIBDL= there.
LIBDL = -Wl,--no-as-needed -l:libdl.so.2
LIBCFLAGS = -std=gnu11 $(WARN) -fPIC -fvisibility=hidden -D_GNU_SOURCE
CHECKS = unit cli symbols integration store-test programs hardening nix-test crane-matrix crane-matrix-nightly
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
BUILD ?= build-sanitize
# The cowlink command puts the ASan runtime first in LD_PRELOAD, as ASan
# requires; the other checks preload the library by hand, so they are left out.
ASAN_RUNTIME := $(realpath $(shell $(CC) -print-file-name=libasan.so))
WRAPPER_FLAGS = -DCOWLINK_ASAN_RUNTIME='"$(ASAN_RUNTIME)"'
CHECKS = unit cli integration store-test
# Debian's cargo hangs at exit under the ASan runtime (in p11-kit's
# destructor, with or without cowlink): every integration case but cargo's.
INTEGRATION_CASES = $(filter-out cargo_rebuild,$(shell sed -n '/^CASES="/,/"$$/p; /^SPECIAL="/p' \
	tests/integration/cases.sh | tr -d '"\\' | sed 's/^[A-Z]*=//'))
endif
BUILD ?= build

CORE = config classify place copy lock materialize log hooks views children handles outputs signals temps
CORE_OBJ = $(CORE:%=$(BUILD)/obj/%.o)
HEADERS = preload/cowlink.h preload/sys.h
UNIT = config classify place lock materialize copy inherit dedup views outputs children temps
UNIT_BIN = $(UNIT:%=$(BUILD)/test_%)

# The names the loader gives this machine's platform ($PLATFORM, which the
# Nix hook's LD_PRELOAD holds: some glibc versions say haswell or xeon_phi
# on some x86_64 processors), and on x86_64 those of the 32-bit programs
# it runs, which get an empty library (preload/stub.c).
ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
ifeq ($(ARCH),x86_64)
PLATFORMS = x86_64 haswell xeon_phi
PLATFORMS_32 = i386 i486 i586 i686
PLATFORM_STUB = $(BUILD)/libcowlink-i686.so
else
PLATFORMS = $(ARCH)
endif

all: $(BUILD)/libcowlink.so $(BUILD)/cowlink $(PLATFORM_STUB)

$(BUILD)/obj/%.o: preload/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBCFLAGS) -c $< -o $@

$(BUILD)/libcowlink.so: $(CORE_OBJ) $(BUILD)/obj/entries.o
	$(CC) $(CFLAGS) -shared -o $@ $^ $(LIBDL) -Wl,-z,defs

$(BUILD)/libcowlink-i686.so: preload/stub.c
	$(CC) -m32 -nostdlib -shared -o $@ $<

$(BUILD)/cowlink: preload/wrapper.c preload/inherit.c preload/inherit.h preload/dedup.c preload/dedup.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -D_GNU_SOURCE -DCOWLINK_VERSION='"$(VERSION)"' \
		$(WRAPPER_FLAGS) -o $@ preload/wrapper.c preload/inherit.c preload/dedup.c

$(BUILD)/test_%: tests/unit/test_%.c tests/unit/fixture.h $(CORE_OBJ) preload/inherit.c preload/dedup.c
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -D_GNU_SOURCE -Ipreload -o $@ $< $(CORE_OBJ) preload/inherit.c preload/dedup.c -lcmocka -lpthread

setup:
	@bash tests/setup.sh

unit: $(UNIT_BIN)
	@for t in $(abspath $(UNIT_BIN)); do $$t || exit 1; done

# The command line: help, version, exit codes, man page, install/uninstall.
cli: all
	@bash tests/cli.sh $(BUILD)

symbols: all
	@bash tests/symbols.sh $(BUILD)

integration: all
	bash tests/integration/run.sh $(BUILD) $(INTEGRATION_CASES)

# The store is never written: every way around the ordinary path, one call
# each, and writes racing fork, posix_spawn, signal handlers.
store-test: all
	@bash tests/setup.sh attr sqlite3
	bash tests/store/run.sh $(BUILD)
	bash tests/store/races.sh $(BUILD)

# Real programs through store links (sed, cp, tar, strip, SQLite, rustc,
# cargo, crane's hooks...), each against the same program on private files,
# as root on a writable store and as nobody; known failures are XFAIL.
programs: all
	@bash tests/setup.sh attr gawk rsync cpio patchelf sqlite3 cmake git make perl
	bash tests/programs/run.sh $(BUILD)

# -k: a failing check does not hide the ones after it (make still fails).
check: setup
	@$(MAKE) -k --no-print-directory $(CHECKS)

# crane's quick-start flake with cowlink (examples/nix), sandboxed, with crane's own mkLib and nixpkgs' setup.sh and hooks on
# a real Nix store (Debian's nix-bin, nixbld builders); 11 to 18 minutes on
# a 2-core VM shared with other builds (8 minutes of CPU).
nix-test: all
	bash tests/nix/run.sh $(BUILD)

# The crane example: the headline story, and the whole trigger matrix.
# demo installs its packages (a C compiler among them) before building.
demo:
	@bash examples/crane/setup.sh
	@$(MAKE) --no-print-directory all
	@bash examples/crane/demo.sh $(BUILD)

crane-matrix: all
	bash examples/crane/compare-test.sh
	bash examples/crane/matrix.sh $(BUILD)

# The cells of cargo's new build-dir layout on rustup's nightly (one SKIP
# line without it); 9 to 13 minutes on a loaded 2-core VM, deps cached.
crane-matrix-nightly: all
	TOOLCHAIN=nightly bash examples/crane/matrix.sh $(BUILD)

# Every cell on both toolchains with crane's own hooks, then with the model.
crane-matrix-full: all
	bash examples/crane/full.sh $(BUILD)

# Every benchmark, on the crane example's deps build (as root): writes
# tests/bench/results/README.md and bench.png.  Takes about an hour.
bench: all
	@bash tests/setup.sh rsync zstd gnuplot-nox btrfs-progs valgrind
	@bash examples/crane/setup.sh
	@bash tests/bench/report.sh $(BUILD)

# crane's whole flow on a 382-crate workspace under Nix, per strategy and
# scenario (as root; hours; ROUNDS, SCENARIOS...: tests/bench/scale/run.sh):
# writes tests/bench/results/scale.md and scale.data.
bench-scale: all
	bash tests/bench/scale/run.sh

# Inheriting a target dir into a fresh build dir on /var/tmp's file system,
# tmpfs, btrfs, xfs and ext4 (as root; in neither make check nor make
# bench): TARGET=DIR, by default the crane example's deps build, as make
# bench gets it.
bench-inherit-fs: all
	@bash tests/setup.sh rsync zstd btrfs-progs xfsprogs
ifeq ($(TARGET),)
	@bash examples/crane/setup.sh
	@target=$$(BUILD=$(abspath $(BUILD)) bash -c 'source examples/crane/lib.sh; deps_target') && \
		bash tests/bench/inherit-fs.sh $(BUILD) "$$target"
else
	@bash tests/bench/inherit-fs.sh $(BUILD) $(TARGET)
endif

# Load, faults, bad input, and the fuzzer for FUZZ_TIME seconds.
hardening: all
	bash tests/hardening/torture.sh $(BUILD)
	bash tests/hardening/faults.sh $(BUILD)
	bash tests/hardening/badinput.sh $(BUILD)
	bash tests/hardening/valgrind.sh $(BUILD)
	@$(MAKE) --no-print-directory fuzz

# libFuzzer on path classification (clang); FUZZ_TIME seconds, corpus kept.
FUZZ_TIME ?= 30
FUZZ_CC ?= clang-14
fuzz:
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -Ipreload \
		-o $(BUILD)/fuzz/classify tests/fuzz/classify_fuzz.c preload/classify.c preload/config.c preload/log.c \
		preload/outputs.c preload/signals.c preload/place.c
	@bash tests/fuzz/run.sh $(BUILD) $(FUZZ_TIME)

# A new Debian 12 chroot per order, ../shared beside the clone, timed (root):
# the README's two commands, then .ci/run alone first (up to an hour each).
# FRESH_ORDERS=ci runs one.
FRESH_ORDERS ?= readme ci
fresh:
	@bash tests/fresh/run.sh $(FRESH_ORDERS)

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/libcowlink.so $(DESTDIR)$(PREFIX)/lib/libcowlink.so
	install -m 0755 $(BUILD)/cowlink $(DESTDIR)$(PREFIX)/bin/cowlink
	install -m 0644 preload/cowlink.1 $(DESTDIR)$(MANDIR)/man1/cowlink.1
	for p in $(PLATFORMS); do install -d $(DESTDIR)$(PREFIX)/lib/cowlink/$$p && \
		ln -sfn ../../libcowlink.so $(DESTDIR)$(PREFIX)/lib/cowlink/$$p/libcowlink.so || exit 1; done
ifneq ($(PLATFORM_STUB),)
	install -d $(DESTDIR)$(PREFIX)/lib/cowlink/i686
	install -m 0755 $(PLATFORM_STUB) $(DESTDIR)$(PREFIX)/lib/cowlink/i686/libcowlink.so
	for p in $(filter-out i686,$(PLATFORMS_32)); do install -d $(DESTDIR)$(PREFIX)/lib/cowlink/$$p && \
		ln -sfn ../i686/libcowlink.so $(DESTDIR)$(PREFIX)/lib/cowlink/$$p/libcowlink.so || exit 1; done
endif

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libcowlink.so $(DESTDIR)$(PREFIX)/bin/cowlink \
		$(DESTDIR)$(MANDIR)/man1/cowlink.1
	rm -rf $(DESTDIR)$(PREFIX)/lib/cowlink

# The build trees, the crane example's cache and the toolchain copy the tests
# made, and bench-scale's Nix roots (packages, nixbld users and /nix stay,
# its unrooted paths for Nix's next garbage collection: see README.md).
clean:
	rm -rf build build-sanitize /var/tmp/cowlink-crane-cache \
		/var/tmp/cowlink-fresh-cache /var/tmp/cowlink-fresh.logs \
		/nix/var/nix/gcroots/cowlink-bench-scale
	bash tests/toolchain.sh --remove

.PHONY: bench-inherit-fs bench-scale crane-matrix-nightly all setup unit symbols integration store-test programs hardening fuzz nix-test check demo crane-matrix crane-matrix-full bench install uninstall clean cli fresh
