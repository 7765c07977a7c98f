"""edgepack's own int8 against the official MLPerf Tiny int8 models, both judged by the float model.

For each MLPerf Tiny task, the float .tflite is packed twice by edgepack: as float32, and as
int8 calibrated on `--calibration-count` synthetic inputs. The official int8 .tflite (quantized
by the TFLite converter on the real dataset) is imported as is. All three run through edgerun
on the same `--count` synthetic test inputs (a different seed from calibration), and the table
gives, for each int8 model, how often its top-1 class agrees with the float model's (for the
anomaly-detection autoencoder, which has no classes: the output SQNR against float), and the
model.bin size (int8 inputs and outputs for both, as the official models have).

The datasets of the benchmark are not available offline, so inputs are synthetic: smooth
random fields (white noise blurred along every spatial axis, plus a little fresh noise) spread
over the real input range the official int8 model's input quantization covers. Agreement on
such inputs is a harsher test than on real data, and the same test for both int8 models.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

TASKS = [  # (name, float model, official int8 model)
    ("kws (DS-CNN)", "kws_ref_model_float32", "kws_ref_model"),
    ("vww (MobileNetV1 0.25)", "vww_96_float", "vww_96_int8"),
    ("ic (ResNet-8)", "pretrainedResnet", "pretrainedResnet_quant"),
    ("ad (FC autoencoder)", "ad01_fp32", "ad01_int8"),
]


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def info(args, model_bin):
    return json.loads(run([args.edgerun, "info", model_bin, "--json"]))


def real_range(q):
    return (-128 - q["zero_point"]) * q["scale"], (127 - q["zero_point"]) * q["scale"]


def blur(x, axis):
    k = np.array([1, 4, 6, 4, 1], dtype=np.float64) / 16
    return np.apply_along_axis(lambda v: np.convolve(np.pad(v, 2, mode="edge"), k, mode="valid"), axis, x)


def synthetic(shape, lo, hi, count, seed):
    rng = np.random.default_rng(seed)
    out = []
    spatial = range(1, len(shape) - 1) if len(shape) > 2 else [1]
    for _ in range(count):
        x = rng.standard_normal(shape)
        for _ in range(3):
            for axis in spatial:
                x = blur(x, axis)
        x = x / (x.std() + 1e-12) + 0.15 * rng.standard_normal(shape)
        u = 1 / (1 + np.exp(-1.5 * x))                     # into (0, 1), mostly mid-range
        out.append((lo + (hi - lo) * u).astype(np.float32))
    return out


def quantize(x, q):
    return np.clip(np.round(x / q["scale"]) + q["zero_point"], -128, 127).astype(np.int8)


def dequantize(y, q):
    return (y.astype(np.float32) - q["zero_point"]) * q["scale"]


def outputs(args, model_bin, inputs, work):
    meta = info(args, model_bin)
    qin, qout = meta["inputs"][0], meta["outputs"][0]
    results = []
    for i, x in enumerate(inputs):
        path, out = os.path.join(work, f"in{i}.npy"), os.path.join(work, "out.npy")
        np.save(path, quantize(x, qin) if qin["dtype"] == "int8" else x.astype(np.float32))
        run([args.edgerun, "run", model_bin, "--input", path, "--output", out])
        y = np.load(out)
        results.append(dequantize(y, qout) if qout["dtype"] == "int8" else y.astype(np.float32))
    return results


def agreement(reference, candidate, classes: bool) -> str:
    if classes:
        same = sum(int(np.argmax(r) == np.argmax(c)) for r, c in zip(reference, candidate))
        return f"{100 * same / len(reference):.1f} %"
    r, c = np.concatenate([x.ravel() for x in reference]), np.concatenate([x.ravel() for x in candidate])
    return f"{10 * np.log10((r * r).sum() / max(((r - c) ** 2).sum(), 1e-30)):.1f} dB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edgepack", required=True)
    parser.add_argument("--edgerun", required=True)
    parser.add_argument("--models", required=True, help="folder of the MLPerf Tiny .tflite files")
    parser.add_argument("--count", type=int, default=200, help="test inputs per task")
    parser.add_argument("--calibration-count", type=int, default=100)
    parser.add_argument("--method", default="minmax", help="edgepack --calibration-method")
    parser.add_argument("--extra", default="--bias-correction", help="more edgepack options (default: --bias-correction)")
    args = parser.parse_args()
    print(f"{'task':<24} {'official int8':>14} {'edgepack int8':>14} {'official B':>11} {'edgepack B':>11}   "
          f"(top-1 agreement with float, or output SQNR; {args.count} synthetic inputs; "
          f"edgepack: {args.method} {args.extra})")
    worse = 0
    with tempfile.TemporaryDirectory() as work:
        for task, float_name, int8_name in TASKS:
            official = os.path.join(work, int8_name + ".bin")
            float_bin = os.path.join(work, float_name + ".bin")
            run([args.edgepack, "pack", os.path.join(args.models, int8_name + ".tflite"), "-o", official, "-q"])
            run([args.edgepack, "pack", os.path.join(args.models, float_name + ".tflite"), "-o", float_bin, "-q"])
            meta = info(args, official)
            lo, hi = real_range(meta["inputs"][0])
            shape = meta["inputs"][0]["shape"]
            calibration = os.path.join(work, float_name + ".calibration.npy")
            np.save(calibration, np.stack(synthetic(shape, lo, hi, args.calibration_count, seed=1)))
            ours = {}
            for io in ("float", "int8"):
                ours[io] = os.path.join(work, f"{float_name}.int8-{io}.bin")
                run([args.edgepack, "pack", os.path.join(args.models, float_name + ".tflite"), "-o", ours[io], "-q",
                     "--quantize", "int8", "--calibration", calibration, "--calibration-method", args.method,
                     "--io", io] + args.extra.split())
            tests = synthetic(shape, lo, hi, args.count, seed=2)
            reference = outputs(args, float_bin, tests, work)
            classes = int(np.prod(meta["outputs"][0]["shape"])) <= 64
            a_official = agreement(reference, outputs(args, official, tests, work), classes)
            a_ours = agreement(reference, outputs(args, ours["float"], tests, work), classes)
            size_official, size_ours = os.path.getsize(official), os.path.getsize(ours["int8"])
            if float(a_ours.split()[0]) < float(a_official.split()[0]) or size_ours > size_official:
                worse += 1
            print(f"{task:<24} {a_official:>14} {a_ours:>14} {size_official:>11,} {size_ours:>11,}")
    print(f"\nreproduce: make mlperf-ptq   (tools/mlperf-ptq/compare.py --count {args.count} "
          f"--calibration-count {args.calibration_count} --method {args.method})")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
