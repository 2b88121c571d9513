"""`squeezeflow compile`: load -> lower -> recognize -> plan -> emit, written atomically into BUILD/."""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from . import ir
from .backends import emit_hls, emit_rtl, manifest, report
from .boards import BOARDS
from .boards import board
from .boards import board as board_named
from .dataflow import graph
from .datasets import class_names
from .errors import UserError, require_file
from .frontend.load import load_onnx, resolve_preprocess
from .frontend.lower import lower
from .frontend.recognize import recognize
from .planner.estimate import estimate
from .planner.plan import DEFAULT_MAX_UTIL, plan

BACKENDS = ("hls", "rtl", "both")


def add_arguments(parser):
    parser.add_argument("model", help="quantized ONNX model (QONNX, QCDQ or QDQ)")
    parser.add_argument("-o", "--output", required=True, help="build folder to (re)create")
    parser.add_argument("--preprocess", default=None,
                        help="torchvision | caffe | SPEC.json (default: the model's metadata, else torchvision)")
    parser.add_argument("--board", default="ultra96v2", choices=list(BOARDS),
                        help="target board: part, clock and resource budget (default: ultra96v2)")
    parser.add_argument("--clock", type=float, metavar="MHZ", help="PL clock to plan for (default: the board's)")
    goal = parser.add_mutually_exclusive_group()
    goal.add_argument("--target-fps", type=float, metavar="F",
                      help="the cheapest plan that reaches F frames per second (default: the fastest that fits)")
    goal.add_argument("--max-util", type=float, metavar="SHARE",
                      help=f"share of every device resource the plan may use (default: {DEFAULT_MAX_UTIL})")
    parser.add_argument("--config", metavar="FILE.json",
                        help='pins layers: {"layers": {"fire2_expand3x3": {"simd": 16, "pe": 8, "mac": "dsp_packed", '
                             '"weight_storage": "lutram"}}}')
    parser.add_argument("--backend", default="hls", choices=BACKENDS,
                        help="what to generate: hls (BUILD/hls/), rtl (BUILD/rtl/) or both (default: hls)")


def compile_model(model_path, preprocess: str | None = None, warn=print, board: str = "ultra96v2",
                  config: dict | None = None, clock_mhz: float | None = None, max_util: float | None = None,
                  target_fps: float | None = None):
    """The in-memory compiler: -> (Network, arrays), planned for `board` (compiler/planner/plan.py; `config` pins
    layers)."""
    loaded = load_onnx(model_path)
    spec, warning = resolve_preprocess(preprocess, loaded)
    if warning:
        warn(f"warning: {warning}")
    layers, arrays, input_type, output = lower(loaded)
    layers, arrays, output = recognize(layers, arrays, output)
    labels = spec["labels"]
    classes = layers[-1].out_shape[0]
    if labels == "imagenet1k" and classes == 1000:
        labels = class_names() or labels
    elif isinstance(labels, list) and len(labels) != classes:
        raise UserError(f"preprocessing spec lists {len(labels)} labels for {classes} classes", str(model_path))
    target = board_named(board)
    net = ir.Network(name=Path(model_path).stem, model_sha256=loaded.sha256, input_shape=loaded.input_shape,
                     input_type=input_type, preprocess=spec, labels=labels, layers=layers, output=output, board=board,
                     clock_mhz=target.clock_mhz if clock_mhz is None else clock_mhz)
    for warning in plan(net, arrays, target, net.clock_mhz, max_util, target_fps, config):
        warn(f"warning: {warning}")
    return net, arrays


def write_build(build_dir, net: ir.Network, arrays, backend: str = "hls", est=None) -> Path:
    """Write every artefact into a fresh temporary folder beside BUILD/, then swap it into place, so a failure
    never leaves a half-written build. `est`: the plan's estimate for report.*, when the caller has it already."""
    build_dir = Path(build_dir)
    parent = build_dir.resolve().parent
    if not parent.is_dir():
        raise UserError("output folder's parent does not exist", str(parent))
    if build_dir.exists() and not (build_dir / "ir.json").exists() and any(build_dir.iterdir()):
        raise UserError("output folder exists and is not a squeezeflow build; refusing to replace it", str(build_dir))
    staging = Path(tempfile.mkdtemp(prefix=f".{build_dir.name}.", dir=parent))
    try:
        ir.save(staging, net, arrays)
        network = graph.build_graph(net, arrays)
        graph.save(staging, network)
        if backend in ("hls", "both"):
            emit_hls.emit(staging / "hls", net, arrays, network)
        if backend in ("rtl", "both"):
            emit_rtl.emit(staging / "rtl", net, arrays, network)
        manifest.write(staging, net, arrays)  # manifest.json (the driver's contract) and sim/ (the simulated board)
        report.write(staging, est or estimate(net, arrays, board(net.board), net.clock_mhz), net.name)
        if build_dir.exists():
            shutil.rmtree(build_dir)
        staging.rename(build_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return build_dir


def read_config(path) -> dict:
    """A --config JSON file as a dict; unreadable or malformed -> UserError."""
    try:
        return json.loads(require_file(path, "planner config").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError("planner config is not valid JSON", str(path), str(exc)) from None


def run(args) -> int:
    config = read_config(args.config) if args.config else None
    net, arrays = compile_model(args.model, args.preprocess, warn=lambda m: print(m, file=sys.stderr),
                                board=args.board, config=config, clock_mhz=args.clock, max_util=args.max_util,
                                target_fps=args.target_fps)
    est = estimate(net, arrays, board(net.board), net.clock_mhz)
    write_build(args.output, net, arrays, args.backend, est)
    report.print_table(est)
    convs = [layer for layer in net.layers if isinstance(layer, ir.Conv)]
    print(f"compiled {net.name}: {len(net.layers)} layers ({len(convs)} convolutions), input {net.input_shape}, "
          f"{net.num_classes} classes -> {args.output}")
    return 0
