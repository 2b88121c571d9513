"""Cycle-accurate RTL simulation of SqueezeNet 1.1 (or --arch 1.0) W6A8 at 224x224: frames back to back in Verilator.

Quantizes the trained weights of ../shared (random weights, said so, when they are missing) on 64 calibration photos
of the ImageNet sample, compiles with the RTL back end and the planner's folding for --board (--max-util,
--target-fps as `squeezeflow compile`), and simulates the first --frames photos in one run. Prints cycles per frame
(latency of the first frame, steady-state interval, the busiest kernel's ideal) against the planner's estimate
(BUILD/report.json), the simulator's build and wall time and whether every frame is bit-exact with the golden model.
--per-layer also simulates every layer on its own at full rate and compares its interval with the planner's cycle
model. The quantized model is kept in --work and reused, the build made again each run; record the figures in
docs/rtl.md and docs/planner.md.
    python bench/rtl_sim.py [--shared ../shared] [--frames 4] [--work build/bench_rtl] [--board ultra96v2]
                            [--arch squeezenet1_1 | squeezenet1_0]
                            [--max-util 0.9 | --target-fps F] [--per-layer] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from squeezeflow.compiler import cli
from squeezeflow.compiler.boards import BOARDS
from squeezeflow.compiler.datasets import foolbox_dir, list_images
from squeezeflow.compiler.sim import rtlsim

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    parser.add_argument("--frames", type=int, default=4, help="photos simulated back to back (default 4)")
    parser.add_argument("--work", default=str(ROOT / "build" / "bench_rtl"), help="model and build folder (reused)")
    parser.add_argument("--board", default="ultra96v2", choices=list(BOARDS), help="folding target")
    parser.add_argument("--arch", default="squeezenet1_1", choices=["squeezenet1_1", "squeezenet1_0"],
                        help="network (../shared holds trained weights for 1.1 only: 1.0 gets random ones)")
    plan = parser.add_mutually_exclusive_group()
    plan.add_argument("--max-util", type=float, help="planner budget (default: the planner's)")
    plan.add_argument("--target-fps", type=float, help="planner target")
    parser.add_argument("--per-layer", action="store_true", help="also every layer on its own against the model")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    shared, work = Path(args.shared), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    weights = shared / "models" / f"{args.arch}_imagenet.pth"
    photos = shared / "data" / "imagenet_sample"
    if not photos.is_dir():
        photos = foolbox_dir()
    trained = weights.is_file()
    model = work / f"{args.arch}_w6a8_224_{'trained' if trained else 'random'}.onnx"
    if not model.is_file():
        quantize = ["quantize", "--arch", args.arch, "--calib", str(photos), "--calib-count", "64",
                    "-o", str(model)] + (["--weights", str(weights)] if trained else [])
        if cli.main(quantize):
            return 1
    planning = (["--max-util", str(args.max_util)] if args.max_util else []) + (
        ["--target-fps", str(args.target_fps)] if args.target_fps else [])
    build = work / "_".join(["build", *([] if args.arch == "squeezenet1_1" else [args.arch]), args.board,
                             *[a.lstrip("-") for a in planning]])
    # compiled every time (seconds): a build left from an older compiler or RTL would measure that one; Verilator's
    # model is cached by rtlsim under a hash of the generated sources
    if cli.main(["compile", str(model), "-o", str(build), "--backend", "rtl", "--board", args.board, *planning]):
        return 1
    estimate = json.loads((build / "report.json").read_text())
    with tempfile.TemporaryDirectory() as images:  # the first --frames photos, by name
        for path in list_images(photos)[:args.frames]:
            (Path(images) / path.name).symlink_to(path)
        result = rtlsim.simulate(build, images)
    result.update(model=model.name, trained=trained, board=args.board, estimated_interval_cycles=
                  estimate["interval_cycles"], estimated_latency_cycles=estimate["latency_cycles"],
                  interval_error=round(estimate["interval_cycles"] / result["interval_cycles"] - 1, 4))
    if args.per_layer:
        measured = rtlsim.layer_cycles(build)
        result["layers"] = {row["name"]: {"estimated": row["cycles"],
                                          "measured": measured[row["name"]]["interval_cycles"],
                                          "error": round(row["cycles"] / measured[row["name"]]["interval_cycles"] - 1,
                                                         4)}
                            for row in estimate["layers"]}
    if args.json:
        print(json.dumps(result))
    else:
        clock = 1e6 * estimate["clock_mhz"]
        print(f"SqueezeNet {args.arch[-3:].replace('_', '.')} W6A8 224x224 ({'trained' if trained else 'RANDOM'} "
              f"weights), {args.board} folding, "
              f"{result['n']} frames back to back in Verilator")
        print(f"  latency   {result['latency_cycles']:>10,} cycles (first frame, first input beat to last output beat)")
        print(f"  interval  {result['interval_cycles']:>10,} cycles/frame (steady state; "
              f"{clock / result['interval_cycles']:.1f} frames/s at {clock / 1e6:.0f} MHz)")
        print(f"  ideal     {result['ideal_interval_cycles']:>10,} cycles/frame (busiest kernel)")
        print(f"  planner   {estimate['interval_cycles']:>10,} cycles/frame estimated "
              f"({100 * result['interval_error']:+.1f}% against the simulation), latency "
              f"{estimate['latency_cycles']:,} cycles estimated")
        for name, row in result.get("layers", {}).items():
            print(f"    {name:18} {row['estimated']:>10,} estimated {row['measured']:>10,} simulated "
                  f"{100 * row['error']:+6.2f}%")
        if "top1" in result:
            print(f"  top-1 {100 * result['top1']:.0f}%, top-5 {100 * result['top5']:.0f}% on these photos")
        print(f"  Verilator build {result['build_seconds']:.0f} s (0 = cached), simulation "
              f"{result['wall_seconds']:.1f} s wall, "
              f"{'bit-exact with the golden model' if result['bit_exact'] else 'MISMATCHES'}")
    return 0 if result["bit_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
