# OpenRSP: the two commands of the README, and the builds behind them.
#   make        build the release binary (build/rsp)
#   make test   install what is missing, build, then every test under ASan/UBSan (with each fuzz target's seeds)
#   make demo   install what is missing, build, run `rsp demo` (100 cards switched from operator A to B)
#   make fuzz   longer fuzzing of every target (FUZZ_SECONDS each, default 60)
#   make deb    the Debian package build/openrsp_<version>_<arch>.deb (scripts/mkdeb; docs/OPERATING.md)
JOBS ?= $(shell nproc)
# ctest runs one suite more than there are cores: most suites spend their time waiting on the daemons
# they started (polls, SMS round trips), so a third suite fills the idle core time (docs/OPERATING.md).
CTEST_JOBS ?= $(shell echo $$(( $(JOBS) + 1 )))
FUZZ_SECONDS ?= 60

.PHONY: all build setup test demo fuzz fuzz-build asan clean deb

all: build

setup:
	@scripts/setup

build:
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRSP_TESTS=OFF >/dev/null
	@cmake --build build -j $(JOBS)

asan:
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRSP_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

fuzz-build:
	@if command -v clang >/dev/null; then \
	  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRSP_FUZZ=ON -DRSP_TESTS=OFF \
	    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null && \
	  cmake --build build-fuzz -j $(JOBS) --target fuzz_all; \
	else echo "fuzz: clang not found, skipping"; fi

# The fuzz targets' seeds run inside ctest (replay_fuzz_*, fuzz/replay_main.c) under ASan/UBSan; fuzzing
# itself, with clang's libFuzzer, is `make fuzz`.
test: setup build asan
	@scripts/with-pg bash -c 'cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(CTEST_JOBS)'

fuzz: setup fuzz-build
	@scripts/fuzz-run $(FUZZ_SECONDS)

deb: build
	@scripts/mkdeb --strip --out build build/rsp

demo: setup build
	@build/rsp demo --euiccs 100

clean:
	rm -rf build build-asan build-fuzz
