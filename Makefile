# cowlink: make builds the library and the command; make check runs every
# test (installing what they need when run as root); make demo runs the
# crane example.  SANITIZE=1 builds and unit-tests with ASan and UBSan.
PREFIX ?= /usr/local
CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror
LIBCFLAGS = -std=gnu11 $(WARN) -fPIC -fvisibility=hidden -D_GNU_SOURCE
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
BUILD ?= build-sanitize
endif
BUILD ?= build

CORE = config classify copy materialize log hooks
CORE_OBJ = $(CORE:%=$(BUILD)/obj/%.o)
HEADERS = preload/cowlink.h preload/sys.h
UNIT = classify materialize copy inherit
UNIT_BIN = $(UNIT:%=$(BUILD)/test_%)

all: $(BUILD)/libcowlink.so $(BUILD)/cowlink

$(BUILD)/obj/%.o: preload/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIBCFLAGS) -c $< -o $@

$(BUILD)/libcowlink.so: $(CORE_OBJ) $(BUILD)/obj/entries.o
	$(CC) $(CFLAGS) -shared -o $@ $^ -Wl,--no-as-needed -l:libdl.so.2 -Wl,-z,defs

$(BUILD)/cowlink: preload/wrapper.c preload/inherit.c preload/inherit.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -D_GNU_SOURCE -o $@ preload/wrapper.c preload/inherit.c

$(BUILD)/test_%: tests/unit/test_%.c tests/unit/fixture.h $(CORE_OBJ) preload/inherit.c
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -D_GNU_SOURCE -Ipreload -o $@ $< $(CORE_OBJ) preload/inherit.c -lcmocka -lpthread

setup:
	@bash tests/setup.sh

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do ./$$t || exit 1; done

symbols: all
	@bash tests/symbols.sh $(BUILD)

integration: all
	bash tests/integration/run.sh $(BUILD)

check: setup
	@$(MAKE) --no-print-directory unit symbols integration hardening nix-test crane-matrix

# The setup hook on a real Nix store (Debian's nix-bin, nixbld builders).
nix-test: all
	bash tests/nix/run.sh $(BUILD)

# The crane example: the headline story, and the whole trigger matrix.
demo: all
	@bash examples/crane/demo.sh $(BUILD)

crane-matrix: all
	bash examples/crane/compare-test.sh
	bash examples/crane/matrix.sh $(BUILD)

# Every cell on both toolchains with crane's own hooks, then with the model.
crane-matrix-full: all
	bash examples/crane/full.sh $(BUILD)

# Every benchmark, on the crane example's deps build (as root): writes
# tests/bench/results/README.md and bench.png.  Takes about an hour.
bench: all
	@bash tests/setup.sh rsync zstd gnuplot-nox btrfs-progs valgrind
	@bash examples/crane/setup.sh
	@bash tests/bench/report.sh $(BUILD)

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
		-o $(BUILD)/fuzz/classify tests/fuzz/classify_fuzz.c preload/classify.c preload/config.c preload/log.c
	rm -rf $(BUILD)/fuzz/corpus-run && cp -r tests/fuzz/corpus $(BUILD)/fuzz/corpus-run
	$(BUILD)/fuzz/classify -max_total_time=$(FUZZ_TIME) -timeout=5 \
		$(abspath $(BUILD)/fuzz/corpus-run) $(abspath tests/fuzz/corpus)
	@rm -rf $(BUILD)/fuzz/corpus-run

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/libcowlink.so $(DESTDIR)$(PREFIX)/lib/libcowlink.so
	install -m 0755 $(BUILD)/cowlink $(DESTDIR)$(PREFIX)/bin/cowlink

clean:
	rm -rf build build-sanitize

.PHONY: all setup unit symbols integration hardening fuzz nix-test check demo crane-matrix crane-matrix-full bench install clean
