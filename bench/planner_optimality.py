"""How far the planner's search is from the best plan its models allow: every case of bench/planner.py planned twice,
once as the compiler plans (Lagrangian pricing and local search, compiler/planner/plan.py `Planner.fit`) and once with
`Planner.fit` replaced by an exact solver of the same problem (a 0/1 integer program solved by HiGHS through
scipy.optimize.milp: one option per layer within the interval, every resource within its budget, least total
share). Everything else is the compiler's own: the options, the interval bisection, the outside costs and the rounds
around them, so where both give the same plan the planner's fits lost nothing.

The exact fits make the planner 2-5x slower (past its 10 s target on the PYNQ-Z2, and proofs that an interval does
not fit take seconds on some cases), which is why they are a benchmark and not the planner. `--what-if-streaming`
applies bench/what_if_streaming.py's assumptions first (every convolution free to stream its weights), so that
upper bound is checked the same way. Record the figures in docs/planner.md.
    python bench/planner_optimality.py [--max-util 0.9] [--work build/bench_planner] [--what-if-streaming]
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np
from planner import CASES, ROOT
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from squeezeflow.compiler.boards import board
from squeezeflow.compiler.pipeline import compile_model
from squeezeflow.compiler.planner import plan
from squeezeflow.compiler.planner.estimate import estimate

MILP_STATUS = {0: "optimal", 1: "at the time limit", 2: "infeasible"}
TIME_LIMIT = 60.0  # seconds per solve; a solve that reaches it is reported, so a plan it cut short is not hidden


def exact_fit(log: Counter):
    """A `Planner.fit` that solves the multiple-choice knapsack exactly; `log` counts the solver's verdicts."""
    def fit(self, interval, fixed, max_util, warm=None):
        within = self.within(interval, max_util)
        if within is None:
            log["no option fast enough"] += 1
            return None
        valid, scale = within
        rows = np.flatnonzero(valid)
        one_each = csr_matrix((np.ones(len(rows)), (self.layer_of[rows], np.arange(len(rows)))),
                              shape=(len(self.convs), len(rows)))
        result = milp((self.eff[rows] / scale).sum(axis=1), integrality=np.ones(len(rows)), bounds=Bounds(0, 1),
                      constraints=[LinearConstraint(one_each, 1, 1),
                                   LinearConstraint(self.eff[rows].T, -np.inf, scale - plan._effective(fixed))],
                      options={"time_limit": TIME_LIMIT, "mip_rel_gap": 0.05})
        log[MILP_STATUS.get(result.status, f"status {result.status}")] += 1
        if result.x is None:
            return None
        return self.choice(rows[result.x > 0.5])  # one row per layer, in layer order as `rows` is
    return fit


def planned(model: Path, name: str, max_util: float) -> tuple[float, dict, float]:
    start = time.perf_counter()
    net, arrays = compile_model(model, board=name, max_util=max_util, warn=lambda m: None)
    seconds = time.perf_counter() - start
    est = estimate(net, arrays, board(name), net.clock_mhz)
    return est.fps, est.utilization, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-util", type=float, default=0.9)
    parser.add_argument("--work", default=str(ROOT / "build" / "bench_planner"),
                        help="where bench/planner.py keeps its models")
    parser.add_argument("--what-if-streaming", action="store_true",
                        help="bench/what_if_streaming.py's assumptions: every convolution may stream its weights")
    args = parser.parse_args()
    if args.what_if_streaming:
        from what_if_streaming import every_layer_streams
        every_layer_streams()
    heuristic_fit = plan.Planner.fit
    for arch, name, target in CASES:
        model = Path(args.work) / f"{arch}_w6a8_random.onnx"
        if not model.is_file():
            raise SystemExit(f"{model} not found: run python bench/planner.py first (it quantizes the models)")
        plan.Planner.fit = heuristic_fit
        fps, util, seconds = planned(model, name, args.max_util)
        log = Counter()
        plan.Planner.fit = exact_fit(log)
        exact_fps, exact_util, exact_seconds = planned(model, name, args.max_util)
        solves = ", ".join(f"{count} {verdict}" for verdict, count in sorted(log.items()))
        print(f"{arch:14} {name:10} planner {fps:7.1f} fps (max util {max(util.values()):.1%}, {seconds:4.1f} s)  "
              f"exact fits {exact_fps:7.1f} fps (max util {max(exact_util.values()):.1%}, {exact_seconds:5.1f} s; "
              f"solves: {solves})" + ("" if target is None else f"  target {target}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
