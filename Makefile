# pail — build, run and test. `make run` and `make test` are the README's two commands.
PKGS      := libmicrohttpd gnutls libcrypto libxml-2.0 jansson sqlite3 libisal
CC        ?= cc
CSTD      := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

SRCS      := $(shell find src -name '*.c' | sort)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/*_test.c))

REL_DIR   := build/release
ASAN_DIR  := build/asan
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

REL_OBJS  := $(SRCS:%.c=$(REL_DIR)/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:%.c=$(ASAN_DIR)/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(ASAN_DIR)/unit/%)

LISTEN    ?= 127.0.0.1:9000
DATA      ?= ./data

.PHONY: all deps run test unit e2e clean bench bench-quick soak crash-test powerloss-test install \
        fuzz fuzz-build fuzz-ci fuzz-long
all: $(REL_DIR)/pail

deps:
	@scripts/deps.sh

$(REL_DIR)/%.o: %.c $(wildcard src/*/*.h src/*/*.def)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(CSTD) -O2 -g -Isrc $(PKG_CFLAGS) -c $< -o $@

$(REL_DIR)/pail: $(REL_OBJS)
	@echo '  LD      $@'
	@$(CC) -o $@ $^ $(PKG_LIBS)

$(ASAN_DIR)/%.o: %.c $(wildcard src/*/*.h src/*/*.def)
	@mkdir -p $(dir $@)
	@echo '  CC asan $<'
	@$(CC) $(CSTD) -O1 -g $(SANFLAGS) -DPAIL_TESTING -Isrc $(PKG_CFLAGS) -c $< -o $@

$(ASAN_DIR)/pail: $(ASAN_LIB_OBJS) $(ASAN_DIR)/src/main.o
	@echo '  LD asan $@'
	@$(CC) $(SANFLAGS) -o $@ $^ $(PKG_LIBS)

$(ASAN_DIR)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(ASAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O1 -g $(SANFLAGS) -DPAIL_TESTING -Isrc -Itests/unit $(PKG_CFLAGS) \
	  $(shell pkg-config --cflags cmocka 2>/dev/null) -o $@ $< $(ASAN_LIB_OBJS) $(PKG_LIBS) \
	  $(shell pkg-config --libs cmocka 2>/dev/null)

# libFuzzer harnesses (fuzz/README.md), built with Debian's clang into
# build/fuzz/: the library objects with coverage instrumentation, one binary
# per fuzz/<name>.c. A harness that #includes a source file for its statics
# ("s3/website.c") links without that file's object. clang 14 warns where gcc
# does not, on code that is meant as written (a sentinel struct entry, SQL
# split over string literals): those two warnings are off for this build.
FUZZ_CC     ?= clang
FUZZ_DIR    := build/fuzz
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := $(CSTD) -Wno-gnu-variable-sized-type-not-at-end -Wno-string-concatenation \
               -O1 -g $(FUZZ_SAN) -DPAIL_TESTING -Isrc $(PKG_CFLAGS)
FUZZ_OBJS   := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_NAMES  := $(sort $(basename $(notdir $(wildcard fuzz/*.c))))
FUZZ_BINS   := $(FUZZ_NAMES:%=$(FUZZ_DIR)/%)
FUZZ_SECONDS ?= 60
.SECONDARY: $(FUZZ_OBJS)

$(FUZZ_DIR)/obj/%.o: %.c $(wildcard src/*/*.h src/*/*.def)
	@mkdir -p $(dir $@)
	@echo '  CC fuzz $<'
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/%: fuzz/%.c fuzz/fuzz.h $(FUZZ_OBJS)
	@echo '  LD fuzz $@'
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ifuzz -o $@ $< \
	  $(filter-out $(patsubst %.c,$(FUZZ_DIR)/obj/src/%.o,$(shell sed -n 's/^#include "\(.*\.c\)"/\1/p' $<)),$(FUZZ_OBJS)) \
	  $(PKG_LIBS)

fuzz-build:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# Each harness for FUZZ_SECONDS, one after the other, over its committed
# seeds; what it finds goes to build/fuzz/corpus-<name>, never into fuzz/.
fuzz: fuzz-build
	@scripts/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_NAMES)

# CI's short pass: every committed seed once, then a few seconds each.
# Each harness until it has had FUZZ_CPU_MINUTES of CPU (issue 14: 30).
FUZZ_CPU_MINUTES ?= 30
fuzz-long: fuzz-build
	@scripts/fuzz.sh cpu $$(( $(FUZZ_CPU_MINUTES) * 60 )) $(FUZZ_NAMES)

fuzz-ci: fuzz-build
	@scripts/fuzz.sh ci 10 $(FUZZ_NAMES)

run: deps $(REL_DIR)/pail
	@$(REL_DIR)/pail serve --listen $(LISTEN) --data $(DATA)

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(UNIT_BINS)

# npm ci writes node_modules/.package-lock.json: it stamps the JS SDK install.
JS_STAMP  := tests/js/node_modules/.package-lock.json
$(JS_STAMP): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund

# The browser tests' playwright-core (it drives Debian's /usr/bin/chromium; no browser
# is ever downloaded) and esbuild (bundles the JS SDK for the page at test time).
BROWSER_STAMP := tests/browser/node_modules/.package-lock.json
$(BROWSER_STAMP): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund

e2e: $(ASAN_DIR)/pail $(JS_STAMP) $(BROWSER_STAMP)
	@ASAN_OPTIONS=detect_stack_use_after_return=1 PAIL_BIN=$(abspath $(ASAN_DIR)/pail) \
	  python3 tests/e2e/run.py tests/e2e

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

# Storage engine proofs and measurements (docs/architecture.md, bench/README.md).
bench: deps
	python3 bench/run.py

bench-quick: deps
	python3 bench/run.py --quick

soak: deps
	python3 bench/soak.py

crash-test: deps $(REL_DIR)/pail
	python3 tests/crash/crash_test.py --bin $(abspath $(REL_DIR)/pail) \
	  --kills 20 --min-kills 20 --max-seconds 280

powerloss-test: deps $(REL_DIR)/pail
	python3 tests/powerloss/powerloss_test.py --pail $(abspath $(REL_DIR)/pail)

# The binary and a hardened systemd unit (dist/pail.service.in). Packagers
# set DESTDIR; then `systemctl daemon-reload && systemctl enable --now pail`.
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
UNITDIR   ?= $(PREFIX)/lib/systemd/system
install: $(REL_DIR)/pail
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(REL_DIR)/pail $(DESTDIR)$(BINDIR)/pail
	sed 's|@BINDIR@|$(BINDIR)|g' dist/pail.service.in > $(DESTDIR)$(UNITDIR)/pail.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/pail.service

clean:
	rm -rf build
