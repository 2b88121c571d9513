"""The planner's targets: SqueezeNet 1.1 and 1.0 W6A8 at 224x224 on the boards of the issue, estimated fps and
utilisation, and the planner's own run time.

For each case: quantize once (random weights with `basic` PTQ: the plan depends on shapes and bit widths only, not
on weight values), then time `compile_model` (load, lower, plan) and print the estimate against the target. The
RTL confirmation of the Ultra96-V2 interval is bench/rtl_sim.py with the same options. Record the figures in
docs/planner.md.
    python bench/planner.py [--work build/bench_planner] [--max-util 0.9] [--json]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from squeezeflow.compiler import cli
from squeezeflow.compiler.boards import board
from squeezeflow.compiler.datasets import foolbox_dir
from squeezeflow.compiler.pipeline import compile_model
from squeezeflow.compiler.planner.estimate import estimate

ROOT = Path(__file__).resolve().parents[1]
CASES = [("squeezenet1_1", "ultra96v2", 450), ("squeezenet1_1", "pynqz2", 140), ("squeezenet1_0", "ultra96v2", 150),
         ("squeezenet1_1", "zcu104", None), ("squeezenet1_1", "kv260", None)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=str(ROOT / "build" / "bench_planner"), help="models (reused)")
    parser.add_argument("--max-util", type=float, default=0.9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for arch, name, target in CASES:
        model = work / f"{arch}_w6a8_random.onnx"
        if not model.is_file() and cli.main(["quantize", "--arch", arch, "--calib", str(foolbox_dir()),
                                             "--calib-count", "8", "--ptq", "basic", "-o", str(model)]):
            return 1
        start = time.perf_counter()
        net, arrays = compile_model(model, board=name, max_util=args.max_util, warn=lambda m: None)
        seconds = time.perf_counter() - start
        est = estimate(net, arrays, board(name), net.clock_mhz)
        util = max(est.utilization.values())
        rows.append({"arch": arch, "board": name, "clock_mhz": net.clock_mhz, "fps": round(est.fps, 1),
                     "target_fps": target, "met": target is None or (est.fps >= target and util <= args.max_util),
                     "interval_cycles": est.interval_cycles, "latency_ms": round(est.latency_ms, 3),
                     "utilization": {r: round(u, 3) for r, u in est.utilization.items()},
                     "roofline_fraction": est.roofline["fraction"], "bottleneck": est.bottleneck,
                     "plan_seconds": round(seconds, 2)})
    if args.json:
        print(json.dumps(rows))
        return 0
    for r in rows:
        u = r["utilization"]
        verdict = "" if r["target_fps"] is None else f"target {r['target_fps']}: {'MET' if r['met'] else 'MISSED'}"
        print(f"{r['arch']:14} {r['board']:10} {r['clock_mhz']:5g} MHz {r['fps']:8.1f} fps  "
              f"LUT {u['lut']:.0%} LUTRAM {u['lutram']:.0%} FF {u['ff']:.0%} DSP {u['dsp']:.0%} "
              f"BRAM {u['bram36']:.0%} URAM {u['uram']:.0%}  roofline {r['roofline_fraction']:.0%}  "
              f"{r['plan_seconds']:.1f} s  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
