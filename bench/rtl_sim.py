"""Cycle-accurate RTL simulation of SqueezeNet 1.1 W6A8 at 224x224: frames back to back in Verilator.

Quantizes the trained weights of ../shared (random weights, said so, when they are missing) on 64 calibration photos
of the ImageNet sample, compiles with the RTL back end and the default folding, and simulates the first --frames
photos in one run. Prints cycles per frame (latency of the first frame, steady-state interval, the busiest kernel's
ideal), the simulator's build and wall time and whether every frame is bit-exact with the golden model. The model
and build are kept in --work and reused; record the figures in docs/rtl.md.
    python bench/rtl_sim.py [--shared ../shared] [--frames 4] [--work build/bench_rtl] [--board ultra96v2] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from squeezeflow.compiler import cli, rtlsim
from squeezeflow.compiler.boards import BOARDS, board
from squeezeflow.compiler.datasets import foolbox_dir, list_images

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    parser.add_argument("--frames", type=int, default=4, help="photos simulated back to back (default 4)")
    parser.add_argument("--work", default=str(ROOT / "build" / "bench_rtl"), help="model and build folder (reused)")
    parser.add_argument("--board", default="ultra96v2", choices=list(BOARDS), help="folding target")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    shared, work = Path(args.shared), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    weights = shared / "models" / "squeezenet1_1_imagenet.pth"
    photos = shared / "data" / "imagenet_sample"
    if not photos.is_dir():
        photos = foolbox_dir()
    trained = weights.is_file()
    model = work / f"squeezenet1_1_w6a8_224_{'trained' if trained else 'random'}.onnx"
    if not model.is_file():
        quantize = ["quantize", "--arch", "squeezenet1_1", "--calib", str(photos), "--calib-count", "64",
                    "-o", str(model)] + (["--weights", str(weights)] if trained else [])
        if cli.main(quantize):
            return 1
    build = work / f"build_{args.board}"
    if not (build / "rtl" / "top.v").is_file() or build.stat().st_mtime < model.stat().st_mtime:
        if cli.main(["compile", str(model), "-o", str(build), "--backend", "rtl", "--board", args.board]):
            return 1
    with tempfile.TemporaryDirectory() as images:  # the first --frames photos, by name
        for path in list_images(photos)[:args.frames]:
            (Path(images) / path.name).symlink_to(path)
        result = rtlsim.simulate(build, images)
    result.update(model=model.name, trained=trained, board=args.board)
    if args.json:
        print(json.dumps(result))
    else:
        clock = 1e6 * board(args.board).clock_mhz
        print(f"SqueezeNet 1.1 W6A8 224x224 ({'trained' if trained else 'RANDOM'} weights), {args.board} folding, "
              f"{result['n']} frames back to back in Verilator")
        print(f"  latency   {result['latency_cycles']:>10,} cycles (first frame, first input beat to last output beat)")
        print(f"  interval  {result['interval_cycles']:>10,} cycles/frame (steady state; "
              f"{clock / result['interval_cycles']:.1f} frames/s at {clock / 1e6:.0f} MHz)")
        print(f"  ideal     {result['ideal_interval_cycles']:>10,} cycles/frame (busiest kernel)")
        if "top1" in result:
            print(f"  top-1 {100 * result['top1']:.0f}%, top-5 {100 * result['top5']:.0f}% on these photos")
        print(f"  Verilator build {result['build_seconds']:.0f} s (0 = cached), simulation "
              f"{result['wall_seconds']:.1f} s wall, "
              f"{'bit-exact with the golden model' if result['bit_exact'] else 'MISMATCHES'}")
    return 0 if result["bit_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
