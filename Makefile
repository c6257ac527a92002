# hookpost: one GNU make file (ARCHITECTURE.md §2, §3).
# The README's two commands: `make run` and `make check`.

VERSION	= 0.1.0
PREFIX	?= $(HOME)/hookpost
CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 \
	  -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -D_GNU_SOURCE -DHOOKPOST_VERSION=\"$(VERSION)\" -Ilib \
	  -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SAN)
LDLIBS	= -lfcgi -lpq -ljansson -lcrypto -lcurl -lyaml -lm
# Each program records only the libraries it calls (issue 13): a handler
# that needs no libcurl or libyaml does not load them and the ~10
# libraries behind libcurl (0.8 MiB more resident in each process).
# Debian's and Ubuntu's gcc do this by default, others do not.
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS)

LIB_SRC	= $(sort $(wildcard lib/*.c))
LIB_OBJ	= $(LIB_SRC:.c=.o)
# A handler is handlers/<group>.c, or a folder handlers/<group>/ of .c files.
HANDLERS = $(patsubst handlers/%.c,bin/%.fcgi,$(wildcard handlers/*.c)) \
	  $(patsubst handlers/%/main.c,bin/%.fcgi,$(wildcard handlers/*/main.c))
CRONS	= $(patsubst cron/%.c,bin/hookpost-%,$(wildcard cron/*.c))
CLI_SRC	= $(sort $(wildcard cli/*.c))
BENCH	= $(patsubst bench/%.c,bin/bench-%,$(wildcard bench/*.c))
UNITS	= $(patsubst tests/unit/%.c,bin/test-%,$(wildcard tests/unit/*.c))
# Tests of lib/ against the integration suite's PostgreSQL (tests/db/).
DBTESTS	= $(patsubst tests/db/%.c,bin/dbtest-%,$(wildcard tests/db/*.c))

.PHONY: all deps run stop check check-full unit integration bench install clean lint asan valgrind \
	fuzz fuzzers faults

all: bin/hookpost $(HANDLERS) $(CRONS) $(BENCH) $(DBTESTS)

V	?= 0
Q	= $(if $(filter 1,$(V)),,@)

lib/%.o: lib/%.c $(wildcard lib/*.h)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

lib/libhookpost.a: $(LIB_OBJ)
	$(Q)$(AR) rcs $@ $^

bin/%.fcgi: handlers/%.c lib/libhookpost.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< lib/libhookpost.a $(LDLIBS)

.SECONDEXPANSION:
bin/%.fcgi: handlers/%/main.c $$(wildcard handlers/%/*.c handlers/%/*.h) \
	    lib/libhookpost.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(wildcard handlers/$*/*.c) \
	    lib/libhookpost.a $(LDLIBS)

bin/hookpost-%: cron/%.c lib/libhookpost.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< lib/libhookpost.a $(LDLIBS)

bin/hookpost: $(CLI_SRC) $(wildcard cli/*.h) lib/libhookpost.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) -Icli $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CLI_SRC) lib/libhookpost.a $(LDLIBS)

bin/bench-%: bench/%.c lib/libhookpost.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< lib/libhookpost.a $(LDLIBS) -lpthread

bin/dbtest-%: tests/db/%.c tests/unit/check.h lib/libhookpost.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< lib/libhookpost.a $(LDLIBS)

bin/test-%: tests/unit/%.c tests/unit/check.h lib/libhookpost.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< lib/libhookpost.a $(LDLIBS)

# The fuzzers (scripts/fuzz.sh, make fuzz): lib/ built once more by clang
# with libFuzzer's coverage, ASan and UBSan into bin/fuzz/obj, and one
# harness bin/fuzz/<name> per fuzz/<name>.c linked against it.  Not part
# of `make all`.
FUZZ_CC	= clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=c11 $(WARN) -Wno-format-nonliteral -g -O1 $(FUZZ_SAN)
FUZZ_OBJ = $(patsubst lib/%.c,bin/fuzz/obj/%.o,$(LIB_SRC))
FUZZERS	= $(patsubst fuzz/%.c,bin/fuzz/%,$(wildcard fuzz/*.c))

fuzzers: $(FUZZERS)

bin/fuzz/obj/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p bin/fuzz/obj
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	    -c -o $@ $<

bin/fuzz/libhookpost.a: $(FUZZ_OBJ)
	$(Q)$(AR) rcs $@ $^

# A harness's further files: code outside lib/ it links, headers of fuzz/.
bin/fuzz/yaml: cli/yaml.c
bin/fuzz/route bin/fuzz/request: fuzz/routes.h

bin/fuzz/%: fuzz/%.c fuzz/fuzz.h bin/fuzz/libhookpost.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Icli $(FUZZ_CFLAGS) -fsanitize=fuzzer \
	    -o $@ $(filter %.c,$^) bin/fuzz/libhookpost.a $(LDLIBS)

deps:
	@scripts/deps.sh

run:
	@scripts/deps.sh --if-missing
	@$(MAKE) -s --no-print-directory all
	@scripts/stack.sh start

stop:
	@scripts/stack.sh stop

# make check: deps, a -Werror build, unit tests, then the HTTP suite behind
# real lighttpd and real Apache (and plain CGI), then the sanitizer pass.
check:
	@scripts/deps.sh --if-missing
	@$(MAKE) -j2 --no-print-directory all $(UNITS)
	@scripts/check.sh

# One section of scripts/check.sh each (its header lists them), with the
# same CHECK_* variables and the same "N passed, N failed" ending:
#   unit         bin/test-* and the CLI cases; no database, no server
#   valgrind     the unit tests and the handlers in CGI mode under valgrind
#   asan         scripts/asan.sh's ASan+UBSan build of the handlers and
#                unit tests, run (the handlers in CGI mode)
#   integration  the HTTP suite behind CHECK_SERVERS (all three by default)
# valgrind, asan and integration start their own PostgreSQL.
# make check-full: make check with every integration file behind every
# server (make check runs the server-facing ones behind Apache).
check-full:
	@scripts/deps.sh --if-missing
	@$(MAKE) -j2 --no-print-directory all $(UNITS)
	@CHECK_FULL=1 scripts/check.sh

unit:
	@scripts/deps.sh --if-missing
	@$(MAKE) -s --no-print-directory bin/hookpost $(UNITS)
	@scripts/check.sh unit

valgrind:
	@scripts/deps.sh --if-missing
	@$(MAKE) -s --no-print-directory all $(UNITS)
	@scripts/check.sh valgrind

asan:
	@scripts/deps.sh --if-missing
	@$(MAKE) -s --no-print-directory all
	@scripts/check.sh asan

integration:
	@scripts/deps.sh --if-missing
	@$(MAKE) -s --no-print-directory all
	@scripts/check.sh http

# make fuzz: every libFuzzer harness in fuzz/ for FUZZ_SECONDS (default
# 60) each; fails on any crash, leak or timeout (make check: 2 s each).
fuzz:
	@scripts/deps.sh --if-missing
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} scripts/check.sh fuzz

# make faults: the fault suite (tests/faults) at full scale against the
# real stack, ending with its table of figures (make check: short form).
faults:
	@scripts/deps.sh --if-missing
	@$(MAKE) -s --no-print-directory all
	@FAULT_SCALE=full scripts/check.sh faults

bench:
	@scripts/deps.sh --if-missing
	@$(MAKE) -s --no-print-directory all
	@scripts/bench.sh

lint:
	@scripts/lint.sh

install: all
	mkdir -p $(PREFIX)/bin $(PREFIX)/share/hookpost/sql/functions $(PREFIX)/share/hookpost/httpd-conf \
		$(PREFIX)/share/hookpost/cron $(PREFIX)/share/man/man1 $(PREFIX)/share/man/man5 \
		$(PREFIX)/share/man/man8
	cp bin/hookpost bin/*.fcgi bin/hookpost-* $(PREFIX)/bin/
	cp sql/*.sql $(PREFIX)/share/hookpost/sql/
	cp sql/functions/*.sql $(PREFIX)/share/hookpost/sql/functions/
	cp sql/postgresql.conf $(PREFIX)/share/hookpost/sql/
	cp -R httpd-conf/. $(PREFIX)/share/hookpost/httpd-conf/
	cp cron/crontab $(PREFIX)/share/hookpost/cron/
	cp docs/openapi.json $(PREFIX)/share/hookpost/
	cp man/*.1 $(PREFIX)/share/man/man1/
	cp man/*.5 $(PREFIX)/share/man/man5/
	cp man/*.8 $(PREFIX)/share/man/man8/
	rm -rf $(PREFIX)/share/hookpost/console
	cp -R console $(PREFIX)/share/hookpost/console

clean:
	rm -rf bin lib/*.o lib/libhookpost.a
