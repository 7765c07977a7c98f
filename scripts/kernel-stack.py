#!/usr/bin/env python3
"""Worst-case stack bytes of every C kernel entry point (`ek_*`), per architecture.

  kernel-stack.py            print the table (aarch64 and x86_64)
  kernel-stack.py --write    regenerate Sources/EdgePack/Check/KernelStack.swift
  kernel-stack.py --check    exit 1 when that file differs from a fresh measurement

Method: every file of Sources/CEdgeKernels is compiled as the release build compiles it
(clang -O2, one section per function, no frame pointers; aarch64 with the musl headers of the
board toolset, x86_64 for the host) with `-fstack-usage`, which writes each function's frame
size (locals, spills, saved registers) to a `.su` file. The calls come from the relocations of
`llvm-objdump -dr` (`-ffunction-sections` makes every call, also to a static function,
carry one). An entry point's stack is its frame plus the deepest chain of callee frames.
Calls that leave the kernels (memcpy, memset, libm) are counted as CALLOUT_BYTES each. No
kernel recurses except the hand-offs listed in BOUNDED_CYCLES, whose guards stop them after
one turn; the script fails on any other cycle.

The full-LTO board binary may inline across files; an inlined callee's arrays become part of
the caller's frame and stack colouring can only share slots, so the per-file sum is an upper
bound for that build too.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(ROOT, "Sources", "CEdgeKernels")
OUTPUT = os.path.join(ROOT, "Sources", "EdgePack", "Check", "KernelStack.swift")
# A leaf libc/libm routine (memcpy, memset, expf, ...) on either architecture: musl's and
# glibc's use no arrays; 256 bytes covers their frames with room.
CALLOUT_BYTES = 256
# Mutual calls whose conditions exclude a second turn: the chain counts each function once.
BOUNDED_CYCLES = {
    # 1x8c16 hands batch >= EK_FC_GEMM_MIN_BATCH with K <= EK_C4_MAX_K to 4x16c4, which hands
    # back only K > EK_C4_MAX_K or batch < EK_C2_MR (< EK_FC_GEMM_MIN_BATCH).
    frozenset({"ek_qs8_fc_minmax_1x8c16__avx2", "ek_qs8_fc_minmax_4x16c4__avx2"}),
}
COMMON = ["clang", "-std=c11", "-O2", "-ffunction-sections", "-fomit-frame-pointer", "-fstack-usage",
          "-I", os.path.join(KERNELS, "include"), "-c"]
ARCHES = {
    "aarch64": (["--target=aarch64-linux-musl", "-nostdlibinc", "-isystem", "/usr/include/aarch64-linux-musl",
                 "-idirafter", "/usr/include"], ("R_AARCH64_CALL26", "R_AARCH64_JUMP26"), ("neon", "ref", "cpu")),
    "x86_64": (["--target=x86_64-linux-gnu"], ("R_X86_64_PLT32", "R_X86_64_PC32"), ("x86", "ref", "cpu")),
}


def measure(arch):
    flags, call_relocs, dirs = ARCHES[arch]
    frames, calls = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for d in dirs:
            for name in sorted(os.listdir(os.path.join(KERNELS, d))):
                if not name.endswith(".c"):
                    continue
                obj = os.path.join(tmp, name[:-2] + ".o")
                subprocess.run(COMMON + flags + [os.path.join(KERNELS, d, name), "-o", obj], check=True)
                with open(obj[:-2] + ".su") as f:
                    for line in f:
                        # "<file>:<line>:<col>:<function>\t<bytes>\t<static|dynamic,...>"
                        loc, size, kind = line.rstrip("\n").split("\t")
                        function = loc.rsplit(":", 1)[1]
                        if "dynamic" in kind:
                            sys.exit(f"{name}: {function} has a dynamic stack frame ({kind}); give it a fixed bound")
                        frames[(name, function)] = int(size)
                dump = subprocess.run(["llvm-objdump", "-dr", obj], check=True, capture_output=True, text=True).stdout
                current = None
                for line in dump.splitlines():
                    m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
                    if m:
                        current = (name, m.group(1))
                        calls.setdefault(current, set())
                        continue
                    m = re.search(r"\s(R_\w+)\s+(\.text\.)?([A-Za-z_][\w.]*)", line)
                    if m and current and m.group(1) in call_relocs:
                        calls[current].add(m.group(3))
    return frames, calls


def worst(frames, calls):
    by_name = {}
    for (file, function) in frames:
        by_name.setdefault(function, []).append((file, function))

    def depth(key, path):
        if key in path:
            return None
        below = 0
        for callee in calls.get(key, ()):
            # A static callee of the same file wins over a global of the same name elsewhere.
            targets = [(key[0], callee)] if (key[0], callee) in frames else by_name.get(callee, [])
            if not targets:
                below = max(below, CALLOUT_BYTES)
            for t in targets:
                d = depth(t, path | {key})
                if d is None:
                    if frozenset({key[1], t[1]}) not in BOUNDED_CYCLES:
                        sys.exit(f"{key[1]} calls back into {t[1]} ({key[0]}): the stack has no static bound")
                    continue
                below = max(below, d)
        return frames.get(key, 0) + below

    return {function: depth((file, function), frozenset())
            for (file, function) in frames if function.startswith("ek_")}


def swift_file(tables):
    lines = [
        "// Generated by scripts/kernel-stack.py --write; do not edit. `make kernel-test` runs",
        "// `scripts/kernel-stack.py --check`, which fails when the kernels' stacks change.",
        "",
        "/// Worst-case stack bytes of each C kernel entry point: its frame plus the deepest chain of",
        "/// the frames it calls (clang -O2 `-fstack-usage` and the calls in the object files; method in",
        "/// scripts/kernel-stack.py). `edgepack check` counts the largest over a model's kernels.",
        "public enum KernelStack {",
    ]
    for arch, table in tables.items():
        lines.append(f"    public static let {arch}: [String: Int] = [")
        for name in sorted(table):
            lines.append(f"        \"{name}\": {table[name]},")
        lines.append("    ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    tables = {arch: worst(*measure(arch)) for arch in ARCHES}
    text = swift_file(tables)
    if args.write:
        with open(OUTPUT, "w") as f:
            f.write(text)
        print(f"wrote {os.path.relpath(OUTPUT, ROOT)}")
    elif args.check:
        current = open(OUTPUT).read() if os.path.exists(OUTPUT) else ""
        if current != text:
            sys.exit(f"{os.path.relpath(OUTPUT, ROOT)} is out of date with the kernels' stack frames: "
                     "run scripts/kernel-stack.py --write and commit it")
        print("kernel stack table matches the kernels")
    else:
        for arch, table in tables.items():
            for name in sorted(table, key=lambda n: -table[n]):
                print(f"{arch:8} {table[name]:8} {name}")


if __name__ == "__main__":
    main()
