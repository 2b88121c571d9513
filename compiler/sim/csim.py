"""`squeezeflow csim BUILD/`: C-simulate the generated HLS C++ and check it bit for bit against the golden model.

g++ builds BUILD/hls/ (hls4ml's ap_types as system headers) into the C testbench and libsqueezeflow.so, cached in
BUILD/hls/csim/ under a hash of the sources and flags. Images are preprocessed, quantized and packed as `squeezeflow
run` and the host driver do them, run through the testbench, and every frame's logits are compared with the golden
model's. On a difference, a second build with SF_TAPS records every stream of the first differing frame and the
report names the first layer, channel and pixel that differ. The simulation model itself fails on a deadlock at the
declared FIFO depths, a stream read empty or left holding words, and an accumulator outside its width
(hw/hls/sf_stream.h, sf_common.h). Exit status: 0 bit-exact, 1 a difference or a simulation failure, 2 usage.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from squeezeflow.host.codec import output_beats, pack_frames, unpack_logits
from squeezeflow.host.preprocess import PreprocessSpec

from .. import ir
from ..dataflow import graph
from ..datasets import check_limit, label_of, list_images
from ..errors import UserError
from ..golden import Golden, input_quantizer
from ..ir import load_build
from ..kernels.mvau import pixel_groups
from ..quant.evaluate import accuracy, accuracy_text

CXXFLAGS = ["-std=c++17", "-O2", "-fPIC", "-pthread", "-Wall", "-Wextra", "-Wno-unknown-pragmas"]
LIBRARY = "libsqueezeflow.so"


class CsimFailure(Exception):
    """The generated C++ failed to build, or the simulation stopped (deadlock, stream misuse, overflow)."""


def add_arguments(parser):
    parser.add_argument("build", metavar="BUILD", help="folder written by `squeezeflow compile`")
    parser.add_argument("--images", required=True, metavar="DIR", help="images (labelled names give top-1/top-5)")
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N images (sorted by name)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def ap_types_dir() -> Path:
    """hls4ml's copy of Xilinx's ap_types (ap_int.h, hls_stream.h), used in place, never copied."""
    spec = importlib.util.find_spec("hls4ml")
    folder = Path(spec.origin).parent / "templates" / "vivado" / "ap_types" if spec and spec.origin else None
    if folder is None or not (folder / "ap_int.h").is_file():
        raise UserError("hls4ml is not installed", why="C simulation uses its ap_types headers (pip install hls4ml)")
    return folder


def _hls_dir(build) -> Path:
    hls = Path(build) / "hls"
    if not (hls / "top.cpp").is_file():
        raise UserError("the build has no generated HLS C++ (hls/top.cpp)", str(build), "recompile it")
    return hls


def _source_key(hls: Path, command: list[str]) -> str:
    digest = hashlib.sha256(json.dumps(command).encode())
    for path in sorted(p for p in hls.rglob("*") if p.is_file() and "csim" not in p.relative_to(hls).parts):
        digest.update(path.relative_to(hls).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build(build_dir, taps: bool = False) -> dict:
    """Compile (or reuse) the testbench, and without taps the shared library, of BUILD/hls/.

    Returns {"tb", "library" (None with taps), "seconds" (0.0 when cached), "warnings" (compiler output)}."""
    hls = _hls_dir(build_dir)
    out = hls / "csim"
    cxx = os.environ.get("CXX", "g++")
    flags = CXXFLAGS + ["-isystem", str(ap_types_dir())] + (["-DSF_TAPS"] if taps else [])
    variant = "taps" if taps else "main"
    tb, library = out / f"tb_{variant}", None if taps else out / LIBRARY
    stamp = out / f"{variant}.key"
    key = _source_key(hls, [cxx, *flags])
    log = out / f"{variant}.log"
    if stamp.is_file() and stamp.read_text() == key and tb.is_file() and (library is None or library.is_file()):
        return {"tb": tb, "library": library, "seconds": 0.0, "warnings": log.read_text() if log.is_file() else ""}
    objects = out / f"obj_{variant}"
    objects.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    start = time.perf_counter()

    def compile_all(sources):
        """Compile `sources` one after another into the object folder; returns their compiler diagnostics."""
        return [_run([cxx, *flags, "-c", str(hls / src), "-o", str(objects / f"{src}.o")]) for src in sources]

    # top.cpp (every kernel and weight) dominates; the small units compile beside it: two jobs at most
    with ThreadPoolExecutor(max_workers=2) as pool:
        small = ["tb.cpp"] + ([] if taps else ["capi.cpp"])
        jobs = [pool.submit(compile_all, ["top.cpp"]), pool.submit(compile_all, small)]
        warnings = "".join(text for job in jobs for text in job.result())
    top_o = str(objects / "top.cpp.o")
    warnings += _run([cxx, *flags, "-o", str(tb), str(objects / "tb.cpp.o"), top_o])
    if library is not None:
        warnings += _run([cxx, *flags, "-shared", "-o", str(library), str(objects / "capi.cpp.o"), top_o])
    log.write_text(warnings)
    stamp.write_text(key)
    return {"tb": tb, "library": library, "seconds": time.perf_counter() - start, "warnings": warnings}


def _run(command: list[str]) -> str:
    """Run a compiler command; its diagnostics, or CsimFailure with them if it fails."""
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode:
        target = Path(command[command.index("-o") + 1]).name
        raise CsimFailure(f"g++ failed to build {target}:\n{proc.stderr[-4000:]}")
    return proc.stderr


def shared_library(build_dir) -> Path:
    """BUILD/hls/csim/libsqueezeflow.so, built if needed: the C ABI of hls/capi.cpp for the software backend."""
    return build(build_dir)["library"]


def run_frames(tb: Path, frames, out_beats: int, tap_dir: Path | None = None):
    """Run packed input frames (N, input beats) through the testbench -> (N, out_beats) uint64 output beats."""
    with tempfile.TemporaryDirectory(prefix="frames.", dir=tb.parent) as tmp:
        inp, outp = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        np.ascontiguousarray(frames, "<u8").tofile(inp)
        command = [str(tb), str(inp), str(outp)] + ([str(tap_dir)] if tap_dir else [])
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode:
            lines = proc.stderr.strip().splitlines() or [f"the testbench exited with status {proc.returncode}"]
            raise CsimFailure(lines[-1])
        return np.fromfile(outp, "<u8").reshape(len(frames), out_beats)


def decode_stream(raw, stream):
    """Values carried by `stream` (graph.Stream) from its tap file's uint64 limbs, pixel by pixel (channels
    innermost) whatever the stream's order."""

    width = stream.lanes * stream.bits
    words = raw.reshape(-1, -(-width // 64))
    bits = np.unpackbits(words.astype("<u8").view(np.uint8), axis=1, bitorder="little")[:, :width]
    lanes = bits.reshape(len(words), stream.lanes, stream.bits).astype(np.int64)
    values = (lanes << np.arange(stream.bits)).sum(axis=-1)
    if stream.signed:
        values -= (values >> (stream.bits - 1)) << stream.bits
    if stream.channel_major:  # by pixel group, each group's words by channel group
        groups, first = [], 0
        for size in pixel_groups(stream.pixels, stream.group):
            block = values[first * stream.pixel_words:(first + size) * stream.pixel_words]
            groups.append(block.reshape(stream.pixel_words, size, stream.lanes).transpose(1, 0, 2).reshape(-1))
            first += size
        values = np.concatenate(groups)
    return values.reshape(-1)


def first_difference(build_dir, net, arrays, q) -> str | None:
    """Run frame `q` (quantized CHW input) with taps and name the first layer, channel and pixel that differ from
    the golden model; None if every layer's stream matches."""
    tb = build(build_dir, taps=True)["tb"]
    golden = Golden(net, arrays).run(q, taps=True)
    streams = graph.load(build_dir).taps
    with tempfile.TemporaryDirectory(prefix="taps.", dir=tb.parent) as taps:
        run_frames(tb, pack_frames(q), output_beats(net.num_classes), Path(taps))
        for name in [ir.NETWORK_INPUT] + [layer.name for layer in net.layers]:
            c, h, w = net.shape_of(name)
            want = golden[name][0].reshape(c, h, w).transpose(1, 2, 0).reshape(-1)
            got = decode_stream(np.fromfile(Path(taps) / f"{streams[name].name}.bin", "<u8"), streams[name])
            if got.shape != want.shape:
                return f"layer {name}: its stream carries {got.size} values, the golden model {want.size}"
            diff = np.flatnonzero(got != want)
            if diff.size:
                pixel, channel = divmod(int(diff[0]), c)
                y, x = divmod(pixel, w)
                return (f"first difference in layer {name}, channel {channel}, pixel (y={y}, x={x}): csim "
                        f"{got[diff[0]]}, golden {want[diff[0]]} ({diff.size} of {want.size} values differ)")
    return None


def simulate(build_dir, images, limit: int | None = None) -> dict:
    """C-simulate the images of a folder and compare with the golden model (see the module docstring)."""
    check_limit(limit)
    net, arrays = load_build(build_dir)
    files = list_images(images)[:limit]
    labels = [label_of(p) for p in files]
    print(f"csim: building {Path(build_dir) / 'hls'} with g++ unless cached...", file=sys.stderr)
    binaries = build(build_dir)
    if binaries["warnings"]:
        print(binaries["warnings"], file=sys.stderr)
    golden, quantize = Golden(net, arrays), input_quantizer(net)
    state = {"seconds": 0.0, "mismatches": [], "first": None}

    def classify(x):
        """Run a float batch through the testbench -> its logits, noting the simulation time, the frames that differ
        from the golden model and the first of them."""
        q = quantize(x)
        start = time.perf_counter()
        beats = run_frames(binaries["tb"], pack_frames(q), output_beats(net.num_classes))
        state["seconds"] += time.perf_counter() - start
        logits = unpack_logits(beats, net.num_classes)
        differs = np.flatnonzero((logits != golden.run(q)).any(axis=1))
        state["mismatches"] += list(differs)
        if differs.size and state["first"] is None:
            state["first"] = q[differs[0]]
        return logits

    samples = [(p, -1 if label is None else label) for p, label in zip(files, labels)]
    scores = accuracy(classify, samples, PreprocessSpec(**net.preprocess), batch=4, desc="csim")
    result = {"n": scores["n"], "bit_exact": not state["mismatches"], "mismatches": len(state["mismatches"]),
              "seconds_per_image": state["seconds"] / scores["n"], "build_seconds": binaries["seconds"]}
    if None not in labels:
        result.update(top1=scores["top1"], top5=scores["top5"])
    if state["first"] is not None:
        result["first_difference"] = first_difference(build_dir, net, arrays, state["first"]) or \
            "every layer's stream matches the golden model: the difference is in the output converter"
    return result


def run(args) -> int:
    try:
        result = simulate(args.build, args.images, args.limit)
    except CsimFailure as exc:
        if args.json:
            print(json.dumps({"bit_exact": False, "error": str(exc)}))
        print(f"squeezeflow csim: FAILED: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        accuracy = f"{accuracy_text(result)}  " if "top1" in result else ""
        verdict = "bit-exact with the golden model" if result["bit_exact"] else \
            f"{result['mismatches']} image(s) DIFFER from the golden model; {result['first_difference']}"
        print(f"csim: {result['n']} images, {accuracy}{result['seconds_per_image']:.2f} s/image: {verdict}")
    return 0 if result["bit_exact"] else 1
