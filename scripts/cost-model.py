#!/usr/bin/env python3
"""Derive and calibrate the latency model of `edgepack check` (boards/COST_MODEL.md).

  cost-model.py derive [--write]   count the instructions the static edgerun executes per
                                   inference, per kernel, under qemu (aarch64 as cortex-a72 and
                                   cortex-a76, x86_64 as -cpu max with avx2), and turn them into
                                   instructions per MAC / per byte / per op; --write stores them
                                   in boards/*.json and boards/calibration/*.json
  cost-model.py calibrate          on this x86 host: estimate (edgepack check with the host
                                   profile) against measured latency (edgerun bench), per model

Instruction counts come from qemu's execution log with one instruction per translation block
(`-singlestep -d exec,nochain`): every executed instruction logs one line with the name of the
function it belongs to (the binaries are unstripped). Two runs, with 1 and 1 + EXTRA
inferences, are subtracted so loading and validation cancel out.
"""
import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["digits_mlp", "digits_cnn"]
DTYPES = ["f32", "int8"]
EXTRA = 4
HOST_PROFILE_DIR = os.path.join(ROOT, "boards", "calibration")
HOST_BOARD = "x86_64-host"


def run(cmd, env=None, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, **kw).stdout


def pack_models(edgepack, out):
    """Packs every firmware model as float32 and int8 (like scripts/bench.sh)."""
    os.makedirs(out, exist_ok=True)
    models = []
    for model in MODELS:
        src = os.path.join(ROOT, "firmware-models", model)
        for dtype in DTYPES:
            path = os.path.join(out, f"{model}-{dtype}.bin")
            extra = ["--quantize", "int8", "--calibration", f"{src}/calibration.npy"] if dtype == "int8" else []
            run([edgepack, "pack", f"{src}/model.onnx", "-o", path, "--labels", f"{src}/labels.txt", "-q"] + extra)
            models.append((f"{model}-{dtype}", path, f"{src}/sample_0.npy"))
    return models


def check(edgepack, path, board, boards_dir=None):
    cmd = [edgepack, "check", path, "--board", board, "--json"] + (["--boards-dir", boards_dir] if boards_dir else [])
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"cost-model.py: {' '.join(cmd)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def trace(qemu, binary, path, sample, runs, env):
    """Instructions executed per function name for `edgerun bench` with `runs` inferences."""
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        subprocess.run(qemu + ["-singlestep", "-d", "exec,nochain", "-D", log.name, binary, "bench", path,
                               "--runs", str(runs), "--warmup", "0", "--input", sample],
                       check=True, capture_output=True, env=env)
        counts = collections.Counter()
        with open(log.name, errors="replace") as f:
            for line in f:
                if line.startswith("Trace "):
                    counts[line.rsplit(" ", 1)[-1].strip()] += 1
        return counts


def per_inference(qemu, binary, path, sample, kernels):
    env = dict(os.environ, EDGE_KERNELS=kernels)
    one = trace(qemu, binary, path, sample, 1, env)
    more = trace(qemu, binary, path, sample, 1 + EXTRA, env)
    return {name: (more[name] - one[name]) / EXTRA for name in more if more[name] > one[name]}


def attribute(counts, ops):
    """Splits one inference's instructions into MAC kernel classes and the rest (interpreter,
    kernels without MACs and the C library code they call). With LTO, small kernels are inlined
    into their Swift callers, so the rest is split into per-byte and per-op parts by a fit
    across models (`fit_rest`), not by function names."""
    mac_kernels = {op["kernel"]: mac_class(op["kernel"]) for op in ops if op["macs"] > 0}
    buckets = collections.Counter()
    for name, n in counts.items():
        buckets[mac_kernels.get(name, "rest")] += n
    return buckets


def fit_rest(samples):
    """rest ~ per_byte x bytes + per_op x ops over (rest, bytes, ops) samples, least squares in
    relative error (so the small models count as much as the large ones), both coefficients
    >= 0 (one is refitted alone when the joint fit makes the other negative)."""
    rows = [(b / r, o / r) for r, b, o in samples if r > 0]
    sbb = sum(b * b for b, _ in rows); soo = sum(o * o for _, o in rows); sbo = sum(b * o for b, o in rows)
    sb = sum(b for b, _ in rows); so = sum(o for _, o in rows)
    det = sbb * soo - sbo * sbo
    if det > 0:
        per_byte, per_op = (sb * soo - so * sbo) / det, (so * sbb - sb * sbo) / det
        if per_byte >= 0 and per_op >= 0:
            return per_byte, per_op
    error = lambda pb, po: sum((1 - pb * b - po * o) ** 2 for b, o in rows)
    alone_byte, alone_op = sb / sbb, so / soo
    return (alone_byte, 0.0) if error(alone_byte, 0) <= error(0, alone_op) else (0.0, alone_op)


def mac_class(kernel):
    """Mirror of CostModel.macClass: ek_qs8_fc_minmax_1x4c16__neondot -> qs8_fc_neondot."""
    head, isa = kernel.split("__")
    parts = head.split("_")
    return f"{parts[1]}_{parts[2]}_{isa}"


def bootstrap_profiles(directory):
    """Copies of the profiles check needs with every coefficient 1: derive reads only the ops'
    work and kernels from `edgepack check`, which must not depend on the coefficients it derives."""
    sources = [os.path.join(ROOT, "boards", b + ".json") for b in ("rpi4", "rpi5")]
    sources.append(os.path.join(HOST_PROFILE_DIR, HOST_BOARD + ".json"))
    for path in sources:
        with open(path) as f:
            board = json.load(f)
        model = board["latency_model"]
        model["instructions_per_mac"] = {f"{d}_{op}_{isa}": 1 for d in ("f32", "qs8") for op in ("conv2d", "dwconv2d", "fc")
                                         for isa in ("ref", "neon", "neondot", "avx2", "avx512vnni")}
        model.update(instructions_per_byte=1, instructions_per_op=1, instructions_source="bootstrap")
        with open(os.path.join(directory, os.path.basename(path)), "w") as f:
            json.dump(board, f)


def derive(args):
    edgepack = os.path.join(ROOT, args.bin, "edgepack")
    with tempfile.TemporaryDirectory() as out:
        models = pack_models(edgepack, out)
        bootstrap_profiles(out)
        targets = [
            # (name, qemu command, unstripped binary, EDGE_KERNELS, board whose isa picks the kernels)
            ("aarch64 neon", ["qemu-aarch64", "-cpu", "cortex-a72"], args.aarch64, "auto", "rpi4", out),
            ("aarch64 neondot", ["qemu-aarch64", "-cpu", "cortex-a76"], args.aarch64, "auto", "rpi5", out),
            ("x86_64 avx2", ["qemu-x86_64", "-cpu", "max"], args.x86, "avx2", HOST_BOARD, out),
        ]
        results = {}
        for name, qemu, binary, kernels, board, boards_dir in targets:
            totals, work, rest = collections.Counter(), collections.Counter(), []
            for label, path, sample in models:
                ops = check(edgepack, path, board, boards_dir)["ops"]
                buckets = attribute(per_inference(qemu, os.path.join(ROOT, binary), path, sample, kernels), ops)
                totals.update(buckets)
                for op in ops:
                    if op["macs"] > 0:
                        work[mac_class(op["kernel"])] += op["macs"]
                rest.append((buckets["rest"], sum(op["bytes"] for op in ops if op["macs"] == 0), len(ops)))
                print(f"{name:16} {label:16} " + "  ".join(f"{k} {v:.0f}" for k, v in sorted(buckets.items())))
            results[name] = {key: totals[key] / work[key] for key in totals if work[key] > 0}
            results[name]["per_byte"], results[name]["per_op"] = fit_rest(rest)
    print("\ninstructions per MAC (by kernel class), per byte (ops without MACs) and per op (fitted):")
    for name, coefficients in results.items():
        print(f"  {name:16} " + "  ".join(f"{k} {v:.3f}" for k, v in sorted(coefficients.items())))
    if args.write:
        arm = dict(results["aarch64 neon"])
        arm.update({k: v for k, v in results["aarch64 neondot"].items() if k.endswith("_neondot")})
        for path in sorted(glob.glob(os.path.join(ROOT, "boards", "*.json"))):
            write_coefficients(path, arm, "aarch64")
        write_coefficients(os.path.join(HOST_PROFILE_DIR, HOST_BOARD + ".json"), results["x86_64 avx2"], "x86_64")


def write_coefficients(path, coefficients, arch):
    with open(path) as f:
        board = json.load(f)
    model = board["latency_model"]
    # Classes this run did not measure (the __ref kernels, once SIMD kernels cover an op on every
    # board) keep their earlier measured values: boards/SCHEMA.md requires them.
    merged = dict(model.get("instructions_per_mac", {}))
    merged.update({k: round(v, 3) for k, v in coefficients.items() if k not in ("per_byte", "per_op")})
    model["instructions_per_mac"] = dict(sorted(merged.items()))
    model["instructions_per_byte"] = round(coefficients["per_byte"], 3)
    model["instructions_per_op"] = round(coefficients["per_op"], 1)
    model["instructions_source"] = (f"measured: qemu instruction counts of the static {arch} edgerun on the firmware models "
                                    "(scripts/cost-model.py derive, boards/COST_MODEL.md)")
    with open(path, "w") as f:
        f.write(layout(board) + "\n")
    print(f"wrote {os.path.relpath(path, ROOT)}")


def layout(value, depth=0, in_list=False):
    """JSON in the profiles' hand-written layout: scalar arrays, objects in arrays and other small
    objects on one line."""
    indent = "  " * (depth + 1)
    if isinstance(value, dict):
        flat = json.dumps(value, separators=(", ", ": "))
        if depth >= 1 and all(not isinstance(v, (dict, list)) for v in value.values()) and (in_list or len(flat) < 110):
            return "{ " + flat[1:-1] + " }" if value else "{}"
        items = [f"{indent}{json.dumps(k)}: {layout(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return json.dumps(value, separators=(", ", ": "))
        return "[\n" + ",\n".join(indent + layout(v, depth + 1, in_list=True) for v in value) + "\n" + "  " * depth + "]"
    return json.dumps(value)


def calibrate(args):
    edgepack = os.path.join(ROOT, args.bin, "edgepack")
    edgerun = os.path.join(ROOT, args.x86)
    print(f"{'model':16} {'estimate_ms':>12} {'measured_ms':>12} {'est/meas':>9} {'instructions':>13} {'implied_ipc':>12}")
    with tempfile.TemporaryDirectory() as out:
        for label, path, sample in pack_models(edgepack, out):
            report = check(edgepack, path, HOST_BOARD, HOST_PROFILE_DIR)
            estimate = report["latency_ms"]["need"]
            instructions = sum(op["instructions"] for op in report["ops"])
            bench = json.loads(run([edgerun, "bench", path, "--runs", str(args.runs), "--input", sample, "--json"],
                                   env=dict(os.environ, EDGE_KERNELS="avx2")))
            measured = bench["p50_ms"]
            ipc = instructions / (measured * report["clock_mhz"] * 1000)
            print(f"{label:16} {estimate:12.4f} {measured:12.4f} {estimate / measured:9.2f} {instructions:13.0f} {ipc:12.2f}")
    print(f"\nestimate: edgepack check --board {HOST_BOARD} --boards-dir boards/calibration (instructions / ipc at clock_mhz);"
          f"\nmeasured: p50 of {args.x86} bench --runs {args.runs} (EDGE_KERNELS=avx2)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["derive", "calibrate"])
    parser.add_argument("--write", action="store_true", help="derive: store the coefficients in the board profiles")
    parser.add_argument("--bin", default=".build/release", help="directory of the host edgepack")
    parser.add_argument("--x86", default=".build-embedded/release/edgerun", help="unstripped static x86_64 edgerun")
    parser.add_argument("--aarch64", default=".build-cross-aarch64-linux-musl-embedded/release/edgerun",
                        help="unstripped static aarch64 edgerun")
    parser.add_argument("--runs", type=int, default=2000, help="calibrate: edgerun bench runs per model")
    args = parser.parse_args()
    derive(args) if args.command == "derive" else calibrate(args)


if __name__ == "__main__":
    main()
