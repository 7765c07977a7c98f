"""ONNX backend node tests through edgepack + edgerun: the per-op conformance table.

For every node test case (onnx 1.17.0's generated data: one model, inputs and expected
outputs) whose op type is in OP_TYPES, the case's model is packed with `edgepack pack` and run
with `edgerun run` on each data set, and the outputs are compared (float: |got - want| <=
atol + rtol * |want| with rtol 1e-3, atol 1e-5; integers exact).

Inputs that are parameters in deployed models (weights, biases, shapes, pads, axes, scales)
are frozen into initializers with the case's own values, since edgepack compiles them at pack
time; data inputs stay graph inputs and are fed at run time (DATA_INPUTS).

Outcomes: pass; rejected (edgepack refused the case at pack time with a message: an
unsupported attribute, dtype or rank; never a wrong answer); wrong (numbers differ: a bug);
error (a crash or a run-time failure: a bug).
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from typing import Dict, List

import numpy as np
import onnx
from onnx import numpy_helper

OP_TYPES = """Conv Gemm MatMul BatchNormalization Relu Clip HardSwish HardSigmoid Sigmoid Tanh
LeakyRelu PRelu MaxPool AveragePool GlobalAveragePool GlobalMaxPool Add Sub Mul Div Concat
Reshape Flatten Squeeze Unsqueeze Transpose Slice Pad Softmax ReduceMean Resize Identity
Dropout QuantizeLinear DequantizeLinear""".split()

# Inputs fed at run time, by op type (others are frozen); default: input 0 only.
DATA_INPUTS = {"Add": "all", "Sub": "all", "Mul": "all", "Div": "all", "Concat": "all"}

RTOL, ATOL = 1e-3, 1e-5

# Cases left out of the pass-rate denominator, each with its reason. They still run and their
# outcome is listed; nothing else is excluded.
EXCLUDED = {
    "test_training_dropout": "training_mode = 1 with ratio 0.75: the output is a random sample (a Bernoulli mask drawn per run); no deterministic runtime reproduces the stored one",
    "test_training_dropout_default": "training_mode = 1 with ratio 0.5: random output, as above",
    "test_training_dropout_default_mask": "training_mode = 1 with ratio 0.5: random output and mask, as above",
    "test_training_dropout_mask": "training_mode = 1 with ratio 0.75: random output and mask, as above",
    "test_identity_opt": "the input is an optional(sequence(tensor)), not a tensor: model.bin values are tensors only",
    "test_identity_sequence": "the input is a sequence of tensors, not a tensor: model.bin values are tensors only",
}


def node_dir() -> str:
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


def load_protos(folder: str, prefix: str) -> List[onnx.TensorProto]:
    out = []
    j = 0
    while os.path.exists(os.path.join(folder, f"{prefix}_{j}.pb")):
        t = onnx.TensorProto()
        with open(os.path.join(folder, f"{prefix}_{j}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        out.append(t)
        j += 1
    return out


FLOAT8 = (onnx.TensorProto.FLOAT8E4M3FN, onnx.TensorProto.FLOAT8E4M3FNUZ, onnx.TensorProto.FLOAT8E5M2,
          onnx.TensorProto.FLOAT8E5M2FNUZ)


def to_array(t: onnx.TensorProto) -> np.ndarray:
    """numpy_helper.to_array, except int4/uint4 (onnx 1.17 refuses odd element counts): the
    packed bytes (element 2i in the low nibble of byte i, 2i + 1 in the high nibble) unpacked
    to int8/uint8 values; and float8, which .npy has no type for: its bit patterns as uint8
    (what edgerun reads and writes for float8 tensors)."""
    if t.data_type in FLOAT8:
        return np.ascontiguousarray(numpy_helper.to_array(t)).view(np.uint8)
    if t.data_type not in (onnx.TensorProto.INT4, onnx.TensorProto.UINT4):
        return numpy_helper.to_array(t)
    signed = t.data_type == onnx.TensorProto.INT4
    count = int(np.prod(t.dims, dtype=np.int64))
    if t.raw_data:
        packed = np.frombuffer(t.raw_data, dtype=np.uint8)
    else:  # int32_data holds one packed byte per entry
        packed = np.asarray(t.int32_data, dtype=np.int64).astype(np.uint8)
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(-1)[:count].astype(np.int16)
    if signed:
        nibbles = np.where(nibbles >= 8, nibbles - 16, nibbles)
    return nibbles.astype(np.int8 if signed else np.uint8).reshape(tuple(t.dims))


def load_tensors(folder: str, prefix: str) -> List[np.ndarray]:
    return [to_array(t) for t in load_protos(folder, prefix)]


def freeze(model: onnx.ModelProto, op_type: str, inputs: List[onnx.TensorProto]) -> List[int]:
    """Turns parameter inputs into initializers (the case's own tensors, element type
    included); returns the indices of the data inputs."""
    graph = model.graph
    names = [i.name for i in graph.input]
    rule = DATA_INPUTS.get(op_type, [0])
    data = list(range(len(names))) if rule == "all" else rule
    keep = []
    for j, name in enumerate(names):
        if j in data:
            keep.append(graph.input[j])
        else:
            tensor = onnx.TensorProto()
            tensor.CopyFrom(inputs[j])
            tensor.name = name
            graph.initializer.append(tensor)
    del graph.input[:]
    graph.input.extend(keep)
    return data


def first_line(text: str) -> str:
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    return lines[0][:160] if lines else "(no message)"


def close(got: np.ndarray, want: np.ndarray) -> bool:
    if got.shape != want.shape:
        return False
    if np.issubdtype(want.dtype, np.floating):
        got, want = got.astype(np.float64), want.astype(np.float64)
        both_nan = np.isnan(got) & np.isnan(want)
        ok = np.abs(got - want) <= ATOL + RTOL * np.abs(want)
        return bool(np.all(ok | both_nan))
    return got.dtype == want.dtype and np.array_equal(got, want)


def run_case(args, name: str, op_type: str, work: str) -> tuple[str, str]:
    try:
        return run_case_unchecked(args, name, op_type, work)
    except ValueError as error:  # inputs numpy cannot hold (int4, sequences, optionals)
        return "rejected", f"case data not expressible as numpy tensors: {str(error)[:100]}"


def run_case_unchecked(args, name: str, op_type: str, work: str) -> tuple[str, str]:
    folder = os.path.join(node_dir(), name)
    model = onnx.load(os.path.join(folder, "model.onnx"))
    sets = sorted(d for d in os.listdir(folder) if d.startswith("test_data_set"))
    first = load_protos(os.path.join(folder, sets[0]), "input")
    if len(first) != len(model.graph.input):
        return "rejected", "case feeds optional or sequence inputs this harness does not map"
    data = freeze(model, op_type, first)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    binary = os.path.join(work, name + ".bin")
    packed = subprocess.run([args.edgepack, "pack", path, "-o", binary], capture_output=True, text=True)
    if packed.returncode != 0:
        return ("rejected" if packed.returncode in (1, 2, 3, 4, 5, 6) and packed.stderr else "error",
                first_line((packed.stderr or packed.stdout).replace(work + "/", "")))
    for s in sets:
        inputs = load_tensors(os.path.join(folder, s), "input")
        expected = load_tensors(os.path.join(folder, s), "output")
        cmd = [args.edgerun, "run", binary]
        for j in data:
            p = os.path.join(work, f"{name}.in{j}.npy")
            np.save(p, inputs[j])
            cmd += ["--input", p]
        outs = [os.path.join(work, f"{name}.out{k}.npy") for k in range(len(expected))]
        for p in outs:
            cmd += ["--output", p]
        ran = subprocess.run(cmd, capture_output=True, text=True)
        if ran.returncode != 0:
            return "error", first_line(ran.stderr.replace(work + "/", ""))
        for k, p in enumerate(outs):
            got = np.load(p)
            if not close(got, expected[k]):
                detail = f"output {k}: shape {got.shape} {got.dtype} vs {expected[k].shape} {expected[k].dtype}"
                if got.shape == expected[k].shape:
                    detail += f", max |diff| {np.abs(got.astype(np.float64) - expected[k].astype(np.float64)).max():.3g}"
                return "wrong", detail
    return "pass", ""


def cases() -> Dict[str, List[str]]:
    by_op: Dict[str, List[str]] = collections.defaultdict(list)
    for name in sorted(os.listdir(node_dir())):
        if "_expanded" in name:
            continue  # function-body expansions test other ops
        model = onnx.load(os.path.join(node_dir(), name, "model.onnx"), load_external_data=False)
        ops = {n.op_type for n in model.graph.node}
        if len(ops) == 1 and next(iter(ops)) in OP_TYPES:
            by_op[next(iter(ops))].append(name)
    return by_op


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edgepack", required=True)
    parser.add_argument("--edgerun", required=True)
    parser.add_argument("--table", help="write the Markdown table here")
    parser.add_argument("--only", help="only op types in this comma-separated list")
    parser.add_argument("--verbose", action="store_true", help="print every non-passing case")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    rows, details, excluded = [], [], []
    totals = collections.Counter()
    with tempfile.TemporaryDirectory() as work:
        for op_type, names in sorted(cases().items()):
            if only and op_type not in only:
                continue
            count = collections.Counter()
            for name in names:
                outcome, why = run_case(args, name, op_type, work)
                if name in EXCLUDED:
                    excluded.append(f"| {op_type} | `{name}` | {outcome} | {EXCLUDED[name]} |")
                    count["excluded"] += 1
                    continue
                count[outcome] += 1
                if outcome != "pass":
                    details.append(f"| {op_type} | `{name}` | {outcome} | {why.replace('|', '/')} |")
                    if args.verbose:
                        print(f"{outcome:8} {name}: {why}", file=sys.stderr)
            totals.update(count)
            n = len(names) - count["excluded"]
            rows.append(f"| {op_type} | {len(names)} | {count['excluded']} | {count['pass']} | {count['rejected']} | "
                        f"{count['wrong']} | {count['error']} | {100 * count['pass'] / max(n, 1):.0f} % |")
    n = sum(totals.values()) - totals["excluded"]
    rows.append(f"| **all** | {n + totals['excluded']} | {totals['excluded']} | {totals['pass']} | {totals['rejected']} | "
                f"{totals['wrong']} | {totals['error']} | {100 * totals['pass'] / max(n, 1):.1f} % |")
    table = "\n".join(["| op type | cases | excluded | pass | rejected at pack | wrong | error | pass rate |",
                       "|---|---:|---:|---:|---:|---:|---:|---:|"] + rows)
    print(table)
    if args.table:
        with open(args.table + ".tmp", "w") as f:
            f.write(HEADER.format(onnx=onnx.__version__))
            f.write(table + "\n\n## Cases that do not pass\n\n")
            if details:
                f.write("| op type | case | outcome | reason |\n|---|---|---|---|\n" + "\n".join(details) + "\n")
            else:
                f.write("None: every case counted in the pass rate passes.\n")
            f.write("\n## Cases excluded from the pass rate\n\nThey run like the others (outcome as listed), "
                    "but no runtime could pass them, for the reason given.\n\n"
                    "| op type | case | outcome | reason |\n|---|---|---|---|\n")
            f.write("\n".join(excluded) + "\n")
        os.replace(args.table + ".tmp", args.table)
    return 1 if totals["wrong"] or totals["error"] else 0


HEADER = """# ONNX backend node tests: conformance of edgepack + edgerun

Regenerate with `make onnx-conformance` (tools/onnx-conformance/run.py; onnx {onnx} test data).
Each case is packed with `edgepack pack` and run with `edgerun run`; parameter inputs (weights,
shapes, pads, axes, scales) are frozen into initializers with the case's values, data inputs are
fed at run time. Float outputs match within rtol 1e-3 + atol 1e-5, integers exactly.
*rejected* = refused at pack time with a message (unsupported attribute, dtype or rank), never a
wrong answer; *wrong* and *error* are bugs and make the target fail. *excluded* cases (random
training-mode outputs, non-tensor types) are listed at the end with their reasons and are not
in the pass rate's denominator. Parameter initializers keep the case's element type (int4,
float8 included); int4/uint4 test data is unpacked from the raw TensorProto bytes by the harness
and float8 data travels as its bit patterns in uint8 .npy arrays (.npy has no float8 type), as
edgerun reads and writes float8 tensors.

"""

if __name__ == "__main__":
    sys.exit(main())
