"""`make bench`, part 2: edgerun against LiteRT and ONNX Runtime, measured in one run.

For every model: single-thread steady-state latency (median of timed inferences after
warm-up), process start to first result (a fresh process loads the model, reads the input,
runs once and exits; median of several starts) and that process's peak RSS. Peers run with one
thread: LiteRT with its default XNNPACK delegate, ONNX Runtime with the CPU provider. Ratios
are edgerun / peer, so < 1.0 means edgerun is faster or smaller.

Peer latencies are taken through their Python bindings (the way they are deployed on boards),
so they include the binding's per-call cost, printed once as "python call floor".

Latency is measured in `--rounds` interleaved rounds (edgerun, LiteRT, ONNX Runtime, then again),
each runtime timing a window of about the same length per round; a runtime's latency is the
median of its rounds and e/L, e/O the median of the ratios within each round. On a shared host
the core's other hardware thread (outside this machine when it is a VM) comes and goes on a
scale of milliseconds to seconds and slows everything on this core 1.5-2x while it runs, so
runtimes timed in different windows would compare different machines; side by side in each
round they see the same one.

edgerun's models are packed for the machine the benchmark runs on (`edgepack pack --board host`:
the weight layouts this CPU's kernels read, FORMAT.md "Packed int8 Conv2D weights"), since the
peers run on it too; `--board NAME` packs for a board profile instead, `--board canonical` packs
without one. The table header names the target.

Models: the firmware models (edgerun and LiteRT run the same model, converted to TFLite by
to_tflite.py from a canonical model.bin with identical weights and quantization; ONNX Runtime runs model.onnx, and for int8
its own QDQ model from `quantize_static` on the same calibration data), and the MLPerf Tiny
models when edgepack can import TFLite (LiteRT runs the original file).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import to_tflite  # noqa: E402
from rounds import Rounds, interleaved, runs_for_window  # noqa: E402
import modelbin  # noqa: E402


@dataclass
class Case:
    name: str
    edgerun_model: Optional[str]
    input_path: str
    litert_model: Optional[str]
    ort_model: Optional[str]
    note: str = ""


@dataclass
class Figures:
    p50_ms: Optional[float] = None
    start_ms: Optional[float] = None
    rss_mb: Optional[float] = None


def run(cmd: List[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def cold_start(args, cmd: List[str]) -> tuple[float, float]:
    """Median wall time from spawn to exit over `--starts` runs, and peak RSS (MB).

    spawn_stats (a small C program) forks the command: spawning it from this Python process
    would make Linux report Python's own memory high-water mark as the child's peak RSS."""
    times, rss = [], []
    for _ in range(args.starts):
        ms, kib, status = run([args.spawn_stats] + cmd, check=True).stdout.split()
        if int(status) != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited with status {status}")
        times.append(float(ms))
        rss.append(int(kib) / 1024)
    return statistics.median(times), max(rss)


def timed_loop(invoke, seconds: float) -> float:
    """Median latency (ms) of `invoke` over about `seconds` after a short warm-up."""
    for _ in range(20):
        invoke()
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 50:
        t0 = time.perf_counter_ns()
        invoke()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1e6


def edgerun_p50(args, case: Case, runs: int) -> float:
    out = run([args.edgerun, "bench", case.edgerun_model, "--input", case.input_path, "--json",
               "--runs", str(runs)], check=True).stdout
    return json.loads(out)["p50_ms"]


def litert_invoke(case: Case) -> Callable[[], None]:
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=case.litert_model, num_threads=1)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    x = np.load(case.input_path)
    interpreter.set_tensor(detail["index"], x.reshape(detail["shape"]).astype(detail["dtype"]))
    return interpreter.invoke


def ort_invoke(case: Case) -> Callable[[], object]:
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(case.ort_model, options, providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0]
    x = np.load(case.input_path).reshape([d if isinstance(d, int) else 1 for d in feed.shape])
    return lambda: session.run(None, {feed.name: x})


def latency_rounds(args, case: Case) -> Rounds:
    """Steady-state latency of each runtime, interleaved in `--rounds` windows of about
    `--seconds / --rounds` each (edgerun: one `edgerun bench` process per window)."""
    window = args.seconds / args.rounds
    timers: Dict[str, Callable[[], float]] = {}
    if case.edgerun_model:
        runs = args.runs or runs_for_window(edgerun_p50(args, case, 50), window)
        timers["edgerun"] = lambda: edgerun_p50(args, case, runs)
    if case.litert_model:
        invoke = litert_invoke(case)
        timers["LiteRT"] = lambda: timed_loop(invoke, window)
    if case.ort_model:
        invoke_ort = ort_invoke(case)
        timers["ORT"] = lambda: timed_loop(invoke_ort, window)
    return interleaved(timers, args.rounds)


def edgerun_start(args, case: Case) -> Figures:
    start, rss = cold_start(args, [args.edgerun, "run", case.edgerun_model, "--input", case.input_path])
    return Figures(None, start, rss)


def litert_start(args, case: Case) -> Figures:
    start, rss = cold_start(args, [sys.executable, os.path.join(HERE, "peer_once.py"), "litert",
                             case.litert_model, case.input_path])
    return Figures(None, start, rss)


def ort_start(args, case: Case) -> Figures:
    start, rss = cold_start(args, [sys.executable, os.path.join(HERE, "peer_once.py"), "onnxruntime",
                             case.ort_model, case.input_path])
    return Figures(None, start, rss)


def python_call_floor(args) -> float:
    """Median cost of an empty Python call through a C binding: the floor under peer latencies."""
    return timed_loop(lambda: np.empty(0), args.seconds / 4)


def ort_int8_model(onnx_path: str, calibration: str, out_path: str) -> str:
    """ONNX Runtime's own static int8 model (QDQ, per-channel weights) from our calibration set."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    import onnxruntime as ort

    name = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"]).get_inputs()[0].name
    samples = np.load(calibration).astype(np.float32)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.rows = iter(samples)

        def get_next(self):
            row = next(self.rows, None)
            return None if row is None else {name: row[None]}

    prepared = out_path + ".pre.onnx"
    quant_pre_process(onnx_path, prepared, skip_symbolic_shape=True)
    quantize_static(prepared, out_path, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    os.remove(prepared)
    return out_path


def check_bit_exact(args, case: Case) -> str:
    """Compares edgerun's output with LiteRT's reference kernels on the same TFLite model."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    interpreter = Interpreter(model_path=case.litert_model, num_threads=1,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    x = np.load(case.input_path)
    interpreter.set_tensor(detail["index"], x.reshape(detail["shape"]).astype(detail["dtype"]))
    interpreter.invoke()
    expected = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    out = os.path.join(args.out, case.name + ".out.npy")
    run([args.edgerun, "run", case.edgerun_model, "--input", case.input_path, "--output", out], check=True)
    got = np.load(out)
    if got.shape != expected.reshape(got.shape).shape:
        return "shape differs"
    diff = np.abs(got.astype(np.float64) - expected.reshape(got.shape).astype(np.float64)).max()
    return "bit-exact" if diff == 0 else f"max |diff| {diff:.3g}"


def wanted(args, name: str) -> bool:
    return not args.only or any(word in name for word in args.only)


def pack(args, cmd: List[str], canonical: bool = False, check: bool = True) -> subprocess.CompletedProcess:
    """`edgepack pack` with the benchmark's target (`--board`), or canonical layouts."""
    if not canonical and args.board != "canonical":
        cmd = cmd + ["--board", args.board]
    return run(cmd, check=check)


def pack_target(args, binary: str) -> str:
    """What `edgepack inspect` says the file's weight layouts are packed for."""
    for line in run([args.edgepack, "inspect", binary], check=True).stdout.splitlines():
        if line.strip().startswith("weight layouts:"):
            return line.split(":", 1)[1].strip()
    return "canonical"


def firmware_cases(args) -> List[Case]:
    cases = []
    for model in ("digits_mlp", "digits_cnn"):
        src = os.path.join(args.root, "firmware-models", model)
        sample = os.path.join(src, "sample_0.npy")
        for dtype in ("f32", "int8"):
            name = f"{model}-{dtype}"
            if not wanted(args, name):
                continue
            binary = os.path.join(args.out, name + ".bin")
            # The TFLite twin is converted from canonical weights (modelbin reads those).
            canonical = os.path.join(args.out, name + ".canonical.bin")
            cmd = [args.edgepack, "pack", os.path.join(src, "model.onnx"),
                   "--labels", os.path.join(src, "labels.txt")]
            if dtype == "int8":
                cmd += ["--quantize", "int8", "--calibration", os.path.join(src, "calibration.npy")]
            pack(args, cmd + ["-o", binary])
            pack(args, cmd + ["-o", canonical], canonical=True)
            tflite = os.path.join(args.out, name + ".tflite")
            with open(tflite, "wb") as f:
                f.write(to_tflite.convert(modelbin.read(canonical)))
            onnx = os.path.join(src, "model.onnx")
            if dtype == "int8":
                onnx = ort_int8_model(onnx, os.path.join(src, "calibration.npy"),
                                      os.path.join(args.out, name + ".qdq.onnx"))
            cases.append(Case(name, binary, sample, tflite, onnx))
    return cases


def mlperf_cases(args) -> List[Case]:
    if not args.mlperf or not os.path.isdir(args.mlperf):
        return []
    manifest = json.load(open(os.path.join(args.mlperf, "goldens", "manifest.json")))
    cases = []
    for model in sorted(manifest):
        if not model.endswith("int8") and model not in ("kws_ref_model", "pretrainedResnet_quant",
                                                        "str_ww_ref_model"):
            continue
        if not wanted(args, model):
            continue
        tflite = os.path.join(args.mlperf, model + ".tflite")
        binary = os.path.join(args.out, model + ".bin")
        sample = os.path.join(args.mlperf, "goldens", model, "input_0.npy")
        packed = pack(args, [args.edgepack, "pack", tflite, "-o", binary], check=False)
        if packed.returncode != 0:
            reason = (packed.stderr.strip().splitlines() or ["edgepack failed"])[0]
            cases.append(Case(model, None, sample, tflite, None, f"edgerun: not packed ({reason[:90]})"))
        else:
            cases.append(Case(model, binary, sample, tflite, None, "ONNX Runtime: no ONNX form of this model"))
    return cases


def fmt(value: Optional[float], digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="repository root")
    parser.add_argument("--edgerun", required=True)
    parser.add_argument("--edgepack", required=True)
    parser.add_argument("--out", required=True, help="work directory for packed models")
    parser.add_argument("--spawn-stats", required=True, help="the compiled spawn_stats.c")
    parser.add_argument("--mlperf", help="folder of the MLPerf Tiny .tflite models")
    parser.add_argument("--runs", type=int, default=None,
                        help="edgerun bench runs per round (default: as many as fill the round's window)")
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="latency timing budget per runtime and model, split over the rounds")
    parser.add_argument("--rounds", type=int, default=10,
                        help="interleaved latency rounds per model (edgerun, LiteRT, ORT in turn)")
    parser.add_argument("--starts", type=int, default=5, help="cold starts per runtime and model")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only the models whose name contains NAME (repeatable)")
    parser.add_argument("--board", default="host",
                        help="edgepack pack --board for edgerun's models: host (this CPU, default), "
                             "a board profile name, or canonical")
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds <= 0:
        parser.error(f"--rounds {args.rounds} --seconds {args.seconds}: need at least 1 round and a "
                     "positive time budget (defaults: --rounds 10 --seconds 1)")
    os.makedirs(args.out, exist_ok=True)

    import ai_edge_litert
    import onnxruntime
    from importlib.metadata import version
    print(f"peers: ai-edge-litert {version('ai-edge-litert')} (XNNPACK, 1 thread), "
          f"onnxruntime {onnxruntime.__version__} (CPU, 1 thread); python call floor "
          f"{python_call_floor(args) * 1e3:.2f} us")
    print("ratios are edgerun / peer (< 1.00: edgerun faster or smaller)")
    cases = firmware_cases(args) + mlperf_cases(args)
    targets = sorted({pack_target(args, case.edgerun_model) for case in cases if case.edgerun_model})
    print(f"edgerun models: edgepack pack --board {args.board} -> weight layouts "
          f"{', '.join(targets) or '-'}\n")
    head = (f"{'model':<24} {'edgerun':>9} {'LiteRT':>9} {'ORT':>9} {'e/L':>5} {'e/O':>5} {'e/L rounds':>11} | "
            f"{'start ms e / L / O':>22} | {'RSS MB e / L / O':>20} | check")
    print(f"latency p50 ms: median of {args.rounds} interleaved rounds; e/L, e/O: median of the "
          f"per-round ratios, 'e/L rounds' their range\n" + head)
    print("-" * len(head))
    failures = 0
    for case in cases:
        rounds = latency_rounds(args, case)
        e = edgerun_start(args, case) if case.edgerun_model else Figures()
        lite = litert_start(args, case) if case.litert_model else Figures()
        ort = ort_start(args, case) if case.ort_model else Figures()
        e.p50_ms, lite.p50_ms, ort.p50_ms = (rounds.median(n) for n in ("edgerun", "LiteRT", "ORT"))
        spread = rounds.ratios("edgerun", "LiteRT")
        spread_text = f"{min(spread):.2f}-{max(spread):.2f}" if spread else "-"
        check = case.note
        if case.edgerun_model and case.litert_model:
            exact = check_bit_exact(args, case)
            if "int8" in case.name and exact != "bit-exact" and case.name.startswith("digits"):
                failures += 1
            check = exact + ("; " + case.note if case.note else "")
        print(f"{case.name:<24} {fmt(e.p50_ms, 4):>9} {fmt(lite.p50_ms, 4):>9} {fmt(ort.p50_ms, 4):>9} "
              f"{fmt(rounds.ratio('edgerun', 'LiteRT'), 2):>5} {fmt(rounds.ratio('edgerun', 'ORT'), 2):>5} "
              f"{spread_text:>11} | "
              f"{fmt(e.start_ms, 1):>6} / {fmt(lite.start_ms, 0):>5} / {fmt(ort.start_ms, 0):>5} | "
              f"{fmt(e.rss_mb, 1):>5} / {fmt(lite.rss_mb, 0):>4} / {fmt(ort.rss_mb, 0):>4} | {check}")
    print(f"\nreproduce: scripts/bench-peers.sh   (edgerun rows: {args.edgerun} bench {args.out}/<model>.bin "
          f"--input <input.npy> --runs {args.runs or 'N'}, once per round)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
