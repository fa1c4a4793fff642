# Portcullis — a thin front door over Meson/ninja and the test scripts.
#
# The build itself lives in meson.build; this file only names the jobs a
# person runs: build, run the demo, run every test, fuzz against the reference.
# `make test` runs each stage through scripts/stage.sh, which records its
# counts without stopping, so one failing stage does not hide the others;
# scripts/summarize.sh then prints the total "N passed, N failed" and fails
# the make if anything failed.

SHARED     ?= $(CURDIR)/../shared
CONFORMANCE ?= $(SHARED)/conformance/cedar
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
# Where meson puts the CLI inside a build dir (src/cli/meson.build defines it).
EXE        ?= src/cli/portcullis
RESULTS    ?= test-results
# The short differential run of `make test`: fixed seed, bounded time (90 s
# of cases, shrinking included, plus at most 10 s to finish a shrink).
DIFF_SEED    ?= 1
DIFF_SECONDS ?= 90
# The long one of `make fuzz-diff`: a fresh seed unless one is given.
FUZZ_SECONDS ?= 1800
FUZZ_SEED    ?= $(shell date +%s)

# Sanitizer findings must fail the run, not scroll past.
SAN_ENV = ASAN_OPTIONS=abort_on_error=1:halt_on_error=1 \
          UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

TEST_STAGES = unit conformance unit-asan conformance-asan fuzz-replay-asan \
              e2e-server e2e-audit e2e-pep diff-selftest diff
STAGE = scripts/stage.sh $(RESULTS)
DIFF_DEPS = tests/diff/node_modules/.installed
PEP_DEPS = tests/e2e/pep/node_modules/.installed

.PHONY: all build build-asan deps run test fuzz fuzz-diff bench bench-server clean

all: build

deps:
	bash scripts/install-deps.sh

build:
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	ninja -C $(BUILD) -j $(JOBS)

build-asan:
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(ASAN_BUILD) -j $(JOBS)

# The reference implementation for the differential tester, pinned by
# tests/diff/package-lock.json; reinstalled only when the lock file changes.
$(DIFF_DEPS): tests/diff/package-lock.json
	cd tests/diff && npm ci --no-audit --no-fund
	touch $@

# The real MCP peers (SDK client, filesystem and everything servers) for the PEP tests.
$(PEP_DEPS): tests/e2e/pep/package-lock.json
	cd tests/e2e/pep && npm ci --no-audit --no-fund
	touch $@

run: deps build
	@if [ -f examples/demo.sh ]; then PORTCULLIS=$(abspath $(BUILD)/$(EXE)) bash examples/demo.sh; \
	else echo "run: examples/demo.sh is not written yet"; exit 1; fi

test: deps build build-asan $(DIFF_DEPS) $(PEP_DEPS)
	@rm -rf $(RESULTS)
	@$(STAGE) unit scripts/unit-tests.sh $(BUILD)
	@$(STAGE) conformance $(BUILD)/$(EXE) conformance $(CONFORMANCE)
	@$(STAGE) unit-asan scripts/unit-tests.sh $(ASAN_BUILD)
	@$(STAGE) conformance-asan env $(SAN_ENV) \
		$(ASAN_BUILD)/$(EXE) conformance $(CONFORMANCE)
	@$(STAGE) fuzz-replay-asan env $(SAN_ENV) scripts/fuzz-replay.sh $(ASAN_BUILD)
	@$(STAGE) e2e-server env $(SAN_ENV) node tests/e2e/run.js --bin $(ASAN_BUILD)/$(EXE)
	@$(STAGE) e2e-audit env $(SAN_ENV) tests/e2e/audit/run.sh $(ASAN_BUILD)
	@$(STAGE) e2e-pep env $(SAN_ENV) node tests/e2e/pep/run.js --bin $(ASAN_BUILD)/$(EXE)
	@$(STAGE) diff-selftest node tests/diff/selftest.js
	@$(STAGE) diff env $(SAN_ENV) node tests/diff/run.js \
		--cli $(ASAN_BUILD)/$(EXE) --seed $(DIFF_SEED) --seconds $(DIFF_SECONDS)
	@scripts/summarize.sh $(RESULTS) $(TEST_STAGES)

# Coverage-guided fuzzing of every parser (libFuzzer, clang): FUZZ_TARGET_SECONDS each.
FUZZ_TARGET_SECONDS ?= 60
fuzz:
	bash scripts/fuzz.sh $(FUZZ_TARGET_SECONDS)

fuzz-diff: build $(DIFF_DEPS)
	node tests/diff/run.js --cli $(BUILD)/$(EXE) \
		--seed $(FUZZ_SEED) --seconds $(FUZZ_SECONDS)

bench: build $(PEP_DEPS)
	BUILD=$(BUILD) bash bench/run.sh
	@echo "== MCP proxy: latency a tools/call gains through the proxy (Unix socket to the PDP)"
	node tests/e2e/pep/bench.js --bin $(BUILD)/$(EXE)

# The daemon under wrk: Portcullis vs Cerbos 0.55 vs a bare libmicrohttpd floor (Todo scenario).
bench-server: build
	BUILD=$(BUILD) bash bench/server/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(RESULTS) tests/diff/node_modules
