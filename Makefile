MAKEFLAGS += --no-print-directory
# Entry points for people and CI. Each target first makes sure the Debian
# packages are there (scripts/bootstrap), then configures and builds.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all bootstrap build build-asan test demo fuzz cross size bench bench-flash powerloss-long mutants clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-asan: bootstrap
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFPY_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# The whole suite twice: a plain build, then everything under ASan+UBSan.
# The plain run cuts power at every point of the boot/FOTA scenarios; the
# sanitized run, there to find memory errors, at every second one.
test: build build-asan
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	@FPY_PL_STRIDE=2 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

demo: build
	@FPY_TOOL=$(BUILD)/fipytool scripts/demo

# Coverage-guided fuzzing with clang's libFuzzer, FUZZ_SECONDS per target.
fuzz: bootstrap
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFPY_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) >$(FUZZ_BUILD).log 2>&1 || { cat $(FUZZ_BUILD).log; exit 1; }
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz

# The power-loss suite with 16 torn variants per cut point (minutes).
powerloss-long: build
	@FPY_PL_SEEDS=16 $(BUILD)/test_powerloss_fota

# Planted bugs in the flash-writing paths, one at a time (tests/mutants/):
# fails if the tests miss one.
mutants: bootstrap
	@scripts/mutants

# Benchmarks (bench/): measured figures with their method, see docs/.
bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; "$$b" || exit 1; done

# The flasher on the virtual board against esptool 5.3.1 (about half an
# hour; BENCH_BAUDS, BENCH_TOOLS, BENCH_CASES pick a part): docs/flasher-bench.md.
bench-flash: build
	@FPY_TOOL=$(BUILD)/fipytool sh bench/flash_bench.sh

# lib/ built for Xtensa (the ESP32's instruction set) with zero warnings;
# the boot path linked against stub ports; sizes held to lib/size-budget
# (docs/porting.md).  Installs the cross compiler on first use.
cross:
	@scripts/bootstrap cross
	@scripts/cross

# The size table is make cross's.
size: cross

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-cross build-cross.log build-mutants
