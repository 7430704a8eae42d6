# The README's two commands:
#   make run   installs what is missing, builds (Release) and runs examples/quickstart.pipe
#   make test  installs what is missing, builds and runs the whole test suite, then
#              test-sanitize
# make test-sanitize builds the unit tests (the parser and compiler fuzz tests among them) once
# more with AddressSanitizer and UndefinedBehaviorSanitizer, in $(SANITIZE_DIR), and runs them;
# a report aborts the test that triggered it. make test-sanitize-cli also runs the CLI fuzz
# test against a sanitized sluice (about 0.75 CPU-seconds per process, 1000 processes: kept
# out of make test for CI time).
BUILD_DIR ?= build
SANITIZE_DIR ?= build-asan
JOBS ?= $(shell nproc)
SANITIZE_TARGETS = test_runtime test_parser test_compiler test_codegen test_kafka sluice-kafka-mock
SANITIZE_FLAGS = -O1 -g1
# LeakSanitizer stays on: the JIT tests (ORC) and the rest exit without leaks.
SANITIZE_ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=1
SANITIZE_UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1:abort_on_error=1
SANITIZE_CTEST = cd $(SANITIZE_DIR) && ASAN_OPTIONS=$(SANITIZE_ASAN_OPTIONS) \
  UBSAN_OPTIONS=$(SANITIZE_UBSAN_OPTIONS) ctest --output-on-failure -j $(JOBS) --timeout 600

.PHONY: deps configure build run test test-sanitize sanitize-configure test-sanitize-cli bench clean

deps:
	@bash scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/sluice run examples/quickstart.pipe

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600
	@$(MAKE) --no-print-directory test-sanitize

sanitize-configure: deps
	@cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(SANITIZE_FLAGS)" \
	  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$(SANITIZE_FLAGS)" \
	  -DSLUICE_SANITIZE=address,undefined > /dev/null

test-sanitize: sanitize-configure
	@cmake --build $(SANITIZE_DIR) -j $(JOBS) --target $(SANITIZE_TARGETS)
	$(SANITIZE_CTEST) -E '_NOT_BUILT$$|^CliTest\.'

test-sanitize-cli: sanitize-configure
	@cmake --build $(SANITIZE_DIR) -j $(JOBS) --target sluice test_cli
	$(SANITIZE_CTEST) -R '^CliTest\.MutatedScriptsNeverCrashTheProcess$$'

bench: build
	bash bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
