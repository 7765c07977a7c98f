# EdgeRun build driver. `make help` lists the targets.

# ---- paths ----
export PATH := /opt/swift/usr/bin:$(PATH)
OUT          := out
HOST_BIN     := .build/release
EMBEDDED_DIR := .build-embedded
EMBEDDED_BIN := $(EMBEDDED_DIR)/release/edgerun
DEMO_MODEL   := firmware-models/digits_cnn

# ---- boards (cross builds) ----
BOARD        ?= rpi4
TEST_BOARD   := rpi4
BOARDS       := $(sort $(basename $(notdir $(wildcard boards/*.json))))
BOARD_FILE   := boards/$(BOARD).json
board_field   = $(shell sed -n 's/^ *"$(1)": *"\([^"]*\)".*/\1/p' $(BOARD_FILE) 2>/dev/null)
CROSS_TRIPLE  = $(call board_field,triple)
CROSS_TOOLSET = $(call board_field,toolset)
CROSS_DIR     = .build-cross-$(basename $(notdir $(CROSS_TOOLSET)))
CROSS_OUT    := $(OUT)/$(BOARD)/edgerun
# 32-bit Arm (armv7-A + NEON, hard float, glibc): Raspberry Pi OS 32-bit on a Pi 2/3/4/Zero 2 W.
ARMV7_TOOLSET := toolchains/armv7-linux-gnueabihf-embedded.json
ARMV7_DIR     := .build-cross-armv7-linux-gnueabihf-embedded
ARMV7_OUT     := $(OUT)/armv7/edgerun
# Size budget of the stripped binary: the board's recorded edgerun.binary_bytes (boards/SCHEMA.md).
board_number  = $(shell sed -n 's/^ *"$(1)": *\([0-9]*\).*/\1/p' $(BOARD_FILE) 2>/dev/null)
CROSS_BUDGET  = $(call board_number,binary_bytes)

# ---- flags ----
SWIFT_RELEASE  := swift build -c release
EMBEDDED_BUILD := $(SWIFT_RELEASE) --product edgerun --toolset toolchains/x86_64-linux-embedded.json --scratch-path $(EMBEDDED_DIR)
# Full LTO lets the linker drop and inline across Swift modules and C: about 60 KB smaller.
CROSS_BUILD     = $(SWIFT_RELEASE) --product edgerun --triple $(CROSS_TRIPLE) --toolset $(CROSS_TOOLSET) --scratch-path $(CROSS_DIR) \
                  --experimental-lto-mode=full
STRIP          := llvm-objcopy --strip-all

# ---- kernel differential tests (plain C, host and aarch64 under qemu) ----
KERNEL_DIR     := Sources/CEdgeKernels
KERNEL_SRCS    := $(wildcard $(KERNEL_DIR)/*/*.c)
# Every header of the kernel library (public include/, private common/, neon/, x86/) and of
# the kernel tests: a kernel test or bench rebuilds when any of them changes.
KERNEL_HDRS    := $(wildcard $(KERNEL_DIR)/*/*.h)
KTEST_HDRS     := $(wildcard Tests/KernelTests/*.inc Tests/KernelTests/*.h)
DIFFTEST_SRC   := Tests/KernelTests/ek_difftest.c
DIFFTEST_HOST  := $(OUT)/kernel-test/ek_difftest
DIFFTEST_A64   := $(OUT)/kernel-test/ek_difftest-aarch64
SPARSETEST_SRC  := Tests/KernelTests/ek_sparse_difftest.c
SPARSETEST_HOST := $(OUT)/kernel-test/ek_sparse_difftest
SPARSETEST_A64  := $(OUT)/kernel-test/ek_sparse_difftest-aarch64
SPARSEBENCH     := $(OUT)/bench/ek_sparse_bench
FORMATTEST_SRC  := Tests/KernelTests/eg_format_test.c
FORMATTEST_HOST := $(OUT)/kernel-test/eg_format_test
MALLOCTEST_SRC  := Tests/KernelTests/ep_malloc_test.c
MALLOCTEST_HOST := $(OUT)/kernel-test/ep_malloc_test
KTEST_CFLAGS   := -std=c11 -O2 -Wall -Wextra -Werror -I$(KERNEL_DIR)/include
A64_CC         := clang --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu -static -fuse-ld=lld \
                  -B/usr/lib/gcc-cross/aarch64-linux-gnu/12 -L/usr/lib/gcc-cross/aarch64-linux-gnu/12

.PHONY: help deps cross-deps cross-armv7-deps board-deps check-board build embedded cross cross-armv7 cross-test kernel-test board-test test demo bench onnx-conformance mlperf-ptq calibrate-cost clean

help:
	@echo "make deps      install Debian packages the build needs"
	@echo "make build     build edgerun and edgepack (host, release)"
	@echo "make embedded  build the static Embedded Swift edgerun for x86_64"
	@echo "make cross BOARD=rpi4"
	@echo "               cross-build the static edgerun for a board into out/BOARD/edgerun"
	@echo "               (boards: $(BOARDS))"
	@echo "make cross-armv7"
	@echo "               cross-build the static 32-bit armv7 edgerun (Pi OS 32-bit) into out/armv7/edgerun"
	@echo "make kernel-test"
	@echo "               differential tests of the SIMD kernels against __ref: host, and aarch64"
	@echo "               under qemu as cortex-a53 (no dotprod), cortex-a76 (dotprod) and max (i8mm)"
	@echo "make kernel-bench"
	@echo "               convolution kernel GOPS, ref vs SIMD (part of make bench)"
	@echo "make board-test"
	@echo "               boot arm64 Linux with gpio-sim in qemu-system-aarch64 and check edgerun watch"
	@echo "make test      run the whole test suite"
	@echo "make demo      pack the bundled digits CNN to int8 and run it with the static edgerun"
	@echo "make bench     benchmark edgerun: latency, against LiteRT and ONNX Runtime, and aarch64"
	@echo "               instructions per inference under qemu (cortex-a53/a72/a76/max)"
	@echo "make onnx-conformance"
	@echo "               ONNX backend node tests through edgepack + edgerun; rewrites"
	@echo "               tools/onnx-conformance/RESULTS.md"
	@echo "make mlperf-ptq"
	@echo "               edgepack's int8 of the MLPerf Tiny float models against the official int8"
	@echo "make calibrate-cost"
	@echo "               edgepack check's latency estimate against measured edgerun latency, per model"
	@echo "make clean     remove build outputs"

deps:
	@echo "== installing dependencies"
	@scripts/install-deps.sh

cross-deps:
	@echo "== installing cross-compilation dependencies"
	@scripts/install-deps.sh --cross

cross-armv7-deps:
	@echo "== installing armv7 cross-compilation dependencies"
	@scripts/install-deps.sh --cross-armv7

board-deps:
	@scripts/install-deps.sh --board

check-board:
	@test -f $(BOARD_FILE) || { echo "make: unknown BOARD '$(BOARD)'; boards: $(BOARDS) (see boards/SCHEMA.md)" >&2; exit 2; }
	@test -n "$(CROSS_TRIPLE)" -a -n "$(CROSS_TOOLSET)" || { echo "make: $(BOARD_FILE) lacks \"triple\" or \"toolset\"" >&2; exit 2; }

build: deps
	@echo "== building edgerun and edgepack (release)"
	@$(SWIFT_RELEASE) --product edgerun
	@$(SWIFT_RELEASE) --product edgepack

embedded: deps
	@echo "== building static edgerun with Embedded Swift"
	@$(EMBEDDED_BUILD)
	@ls -l $(EMBEDDED_BIN)

cross: check-board deps cross-deps
	@echo "== cross-building static edgerun for $(BOARD) ($(CROSS_TRIPLE), $(CROSS_TOOLSET))"
	@$(CROSS_BUILD)
	@mkdir -p $(dir $(CROSS_OUT))
	@echo "== stripping into $(CROSS_OUT)"
	@$(STRIP) $(CROSS_DIR)/release/edgerun $(CROSS_OUT)
	@echo "$(CROSS_OUT): $$(wc -c < $(CROSS_OUT)) bytes (unstripped $$(wc -c < $(CROSS_DIR)/release/edgerun)), budget $(CROSS_BUDGET)"
	@test "$$(wc -c < $(CROSS_OUT))" -le "$(CROSS_BUDGET)" || { echo "make: $(CROSS_OUT) is over the size budget" \
	    "edgerun.binary_bytes = $(CROSS_BUDGET) of $(BOARD_FILE): find what grew" \
	    "(llvm-nm --size-sort -S $(CROSS_DIR)/release/edgerun) or raise the budget knowingly" >&2; exit 1; }

cross-armv7: deps cross-armv7-deps
	@echo "== cross-building static edgerun for armv7 Linux ($(ARMV7_TOOLSET))"
	@# lld warns once per Swift object that its triple (armv7-unknown-linux-gnueabihf) differs from
	@# the C objects' (armv7-none-none-eabihf); the code is the same ABI, so the log hides those lines.
	@mkdir -p $(ARMV7_DIR)
	@$(SWIFT_RELEASE) --product edgerun --triple armv7-none-none-eabi --toolset $(ARMV7_TOOLSET) --scratch-path $(ARMV7_DIR) \
	    --experimental-lto-mode=full > $(ARMV7_DIR)/build.log 2>&1; status=$$?; \
	    grep -v 'Linking two modules of different target triples' $(ARMV7_DIR)/build.log; exit $$status
	@mkdir -p $(dir $(ARMV7_OUT))
	@$(STRIP) $(ARMV7_DIR)/release/edgerun $(ARMV7_OUT)
	@echo "$(ARMV7_OUT): $$(wc -c < $(ARMV7_OUT)) bytes (unstripped $$(wc -c < $(ARMV7_DIR)/release/edgerun))"

cross-test:
	@$(MAKE) --no-print-directory cross BOARD=$(TEST_BOARD)

$(DIFFTEST_HOST): $(DIFFTEST_SRC) $(KERNEL_SRCS) $(KERNEL_HDRS) $(KTEST_HDRS)
	@mkdir -p $(dir $@)
	@echo "== building $@ (host)"
	@clang $(KTEST_CFLAGS) $(DIFFTEST_SRC) $(KERNEL_SRCS) -lm -o $@

$(DIFFTEST_A64): $(DIFFTEST_SRC) $(KERNEL_SRCS) $(KERNEL_HDRS) $(KTEST_HDRS)
	@mkdir -p $(dir $@)
	@echo "== building $@ (aarch64, static)"
	@$(A64_CC) $(KTEST_CFLAGS) $(DIFFTEST_SRC) $(KERNEL_SRCS) -lm -o $@

$(SPARSETEST_HOST): $(SPARSETEST_SRC) $(KERNEL_SRCS) $(KERNEL_HDRS) $(KTEST_HDRS)
	@mkdir -p $(dir $@)
	@echo "== building $@ (host)"
	@clang $(KTEST_CFLAGS) $(SPARSETEST_SRC) $(KERNEL_SRCS) -lm -o $@

$(SPARSETEST_A64): $(SPARSETEST_SRC) $(KERNEL_SRCS) $(KERNEL_HDRS) $(KTEST_HDRS)
	@mkdir -p $(dir $@)
	@echo "== building $@ (aarch64, static)"
	@$(A64_CC) $(KTEST_CFLAGS) $(SPARSETEST_SRC) $(KERNEL_SRCS) -lm -o $@

$(SPARSEBENCH): Tests/KernelTests/ek_sparse_bench.c $(KERNEL_SRCS) $(KERNEL_HDRS) $(KTEST_HDRS)
	@mkdir -p $(dir $@)
	@clang $(KTEST_CFLAGS) Tests/KernelTests/ek_sparse_bench.c $(KERNEL_SRCS) -lm -o $@

# Each run must exit 0: a failed comparison exits 1, a crash (SIGSEGV from a guard page,
# SIGILL from an instruction the CPU lacks) exits 128+signal; make stops on either.
kernel-test: cross-deps $(DIFFTEST_HOST) $(DIFFTEST_A64) $(SPARSETEST_HOST) $(SPARSETEST_A64) $(FORMATTEST_HOST) $(MALLOCTEST_HOST)
	@echo "== kernel differential tests: host"
	@$(DIFFTEST_HOST)
	@echo "== kernel differential tests: aarch64 cortex-a53 (qemu; dotprod and i8mm must be skipped)"
	@qemu-aarch64 -cpu cortex-a53 $(DIFFTEST_A64) --expect-run neon --expect-skip neondot --expect-skip neoni8mm
	@echo "== kernel differential tests: aarch64 cortex-a76 (qemu; dotprod must run, i8mm be skipped)"
	@qemu-aarch64 -cpu cortex-a76 $(DIFFTEST_A64) --expect-run neon --expect-run neondot --expect-skip neoni8mm
	@echo "== kernel differential tests: aarch64 max (qemu; i8mm must run)"
	@qemu-aarch64 -cpu max,pauth-impdef=on $(DIFFTEST_A64) --expect-run neon --expect-run neondot --expect-run neoni8mm
	@echo "== sparse kernel differential tests (against the dense reference): host, a53, a76"
	@$(SPARSETEST_HOST)
	@qemu-aarch64 -cpu cortex-a53 $(SPARSETEST_A64)
	@qemu-aarch64 -cpu cortex-a76 $(SPARSETEST_A64)
	@echo "== the musl build's libgpiod compat functions (eg_glibc_compat.c): formatter, qsort, strtoul, realpath"
	@$(FORMATTEST_HOST)
	@echo "== the musl build's allocator (ep_malloc.c)"
	@$(MALLOCTEST_HOST)
	@echo "== kernel stack table of edgepack check (Sources/EdgePack/Check/KernelStack.swift)"
	@python3 scripts/kernel-stack.py --check

$(FORMATTEST_HOST): $(FORMATTEST_SRC) Sources/CEdgeGPIO/eg_glibc_compat.c Tests/KernelTests/ek_test_support.h
	@mkdir -p $(dir $@)
	@clang $(KTEST_CFLAGS) $(FORMATTEST_SRC) -o $@

$(MALLOCTEST_HOST): $(MALLOCTEST_SRC) Sources/CEdgePlatform/ep_malloc.c Tests/KernelTests/ek_test_support.h
	@mkdir -p $(dir $@)
	@clang $(KTEST_CFLAGS) $(MALLOCTEST_SRC) -o $@

# Convolution kernel throughput (GOPS) on the firmware and MLPerf Tiny shapes, ref vs SIMD.
KBENCH_SRC     := Tests/KernelTests/ek_kbench.c
KBENCH_HOST    := $(OUT)/kernel-test/ek_kbench

$(KBENCH_HOST): $(KBENCH_SRC) $(KERNEL_SRCS) $(KERNEL_HDRS) $(KTEST_HDRS)
	@mkdir -p $(dir $@)
	@echo "== building $@ (host)"
	@clang $(KTEST_CFLAGS) $(KBENCH_SRC) $(KERNEL_SRCS) -lm -o $@

# Per-shape guest instruction counts of the NEON 8x8 tile over layout 4 against the canonical
# kernels (scripts/pconv-neon-insn.sh runs it under qemu-aarch64).
PCONV_INSN_A64 := $(OUT)/bench/qemu/ek_pconv_neon_insn

$(PCONV_INSN_A64): Tests/KernelTests/ek_pconv_neon_insn.c $(KERNEL_SRCS) $(wildcard $(KERNEL_DIR)/include/*.h) $(wildcard $(KERNEL_DIR)/*/*.h)
	@mkdir -p $(dir $@)
	@$(A64_CC) $(KTEST_CFLAGS) Tests/KernelTests/ek_pconv_neon_insn.c $(KERNEL_SRCS) -lm -o $@

# The same for int8 FullyConnected: the 1x4c16 tiles over layout 6 against canonical weights
# (scripts/pfc-neon-insn.sh).
PFC_INSN_A64 := $(OUT)/bench/qemu/ek_pfc_neon_insn

$(PFC_INSN_A64): Tests/KernelTests/ek_pfc_neon_insn.c $(KERNEL_SRCS) $(wildcard $(KERNEL_DIR)/include/*.h) $(wildcard $(KERNEL_DIR)/*/*.h)
	@mkdir -p $(dir $@)
	@$(A64_CC) $(KTEST_CFLAGS) Tests/KernelTests/ek_pfc_neon_insn.c $(KERNEL_SRCS) -lm -o $@

.PHONY: kernel-bench
kernel-bench: $(KBENCH_HOST)
	@echo "== kernel throughput: $(KBENCH_HOST)"
	@$(KBENCH_HOST)

# `edgerun watch` on an emulated board: the rpi4 binary, the int8 digits CNN, gpio-sim edges.
BOARD_TEST_DIR := $(OUT)/board-test
board-test: cross-test board-deps
	@echo "== packing $(DEMO_MODEL) to int8 for the board test"
	@swift build --product edgepack
	@mkdir -p $(BOARD_TEST_DIR)
	@.build/debug/edgepack pack $(DEMO_MODEL)/model.onnx -o $(BOARD_TEST_DIR)/digits_int8.bin --board $(TEST_BOARD) \
	    --quantize int8 --calibration $(DEMO_MODEL)/calibration.npy --labels $(DEMO_MODEL)/labels.txt >/dev/null
	@echo "== edgerun watch on an emulated arm64 board (qemu-system-aarch64, gpio-sim)"
	@scripts/board-test.sh $(OUT)/$(TEST_BOARD)/edgerun $(BOARD_TEST_DIR)/digits_int8.bin $(DEMO_MODEL)

# Builds the two CLIs the tests run and lets `swift test` build the test bundle: only what the
# tests need (`swift build --build-tests` builds every target of the package graph, which can
# include the dependencies' plugin tools, protoc among them).
test: deps embedded cross-test cross-armv7 kernel-test board-test
	@echo "== building tests"
	@swift build --product edgepack
	@swift build --product edgerun
	@echo "== running tests"
	@EDGERUN_EMBEDDED=$(CURDIR)/$(EMBEDDED_BIN) EDGERUN_AARCH64=$(CURDIR)/$(OUT)/$(TEST_BOARD)/edgerun \
	    EDGERUN_ARMV7=$(CURDIR)/$(ARMV7_OUT) swift test --disable-swift-testing
	@echo "== peer bench harness unit tests"
	@python3 -m unittest discover -s tools/peer-bench

demo: build embedded
	@mkdir -p $(OUT)
	@echo "== packing $(DEMO_MODEL)/model.onnx to int8"
	@$(HOST_BIN)/edgepack pack $(DEMO_MODEL)/model.onnx -o $(OUT)/digits_cnn_int8.bin \
	    --quantize int8 --calibration $(DEMO_MODEL)/calibration.npy --labels $(DEMO_MODEL)/labels.txt
	@echo "== running the static edgerun on sample_0.npy (a handwritten $$(cat $(DEMO_MODEL)/sample_0.label))"
	@$(EMBEDDED_BIN) $(OUT)/digits_cnn_int8.bin --input $(DEMO_MODEL)/sample_0.npy

bench: build embedded cross-test $(SPARSEBENCH)
	@scripts/bench.sh
	@echo
	@scripts/bench-peers.sh
	@echo
	@EDGERUN_AARCH64=$(OUT)/$(TEST_BOARD)/edgerun scripts/bench-qemu.sh

onnx-conformance: build
	@scripts/onnx-conformance.sh

mlperf-ptq: build
	@scripts/mlperf-ptq.sh

# Estimate (instruction counts / IPC, boards/calibration/x86_64-host.json) against measured latency
# on this host; boards/COST_MODEL.md. `scripts/cost-model.py derive --write` re-derives coefficients.
calibrate-cost: build embedded
	@echo "== cost model: estimate vs measured edgerun latency on this host"
	@scripts/cost-model.py calibrate

clean:
	rm -rf .build $(EMBEDDED_DIR) .build-cross-* $(OUT)

# MLPerf Tiny TFLite models (from ../shared or EDGERUN_MLPERF_DIR): pack and bench, ref vs auto.
.PHONY: bench-mlperf
bench-mlperf: build
	@scripts/bench-mlperf.sh
