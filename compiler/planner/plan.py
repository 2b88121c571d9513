"""The planner: folding (SIMD x PE), multiplier mapping and weight placement of every convolution, for a board.

The pipeline is balanced: every process works on its own part of the frame at once, so the slowest one sets the
frame interval (each kernel's cycle model, compiler/kernels/). Every convolution has options: SIMD a divisor of its
input channels (when it reads through a window, any SIMD up to its input vector, kernel positions included: the
window then works on their gcd and a regroup gathers its words, zero-filling each pixel's last word when SIMD does
not divide the vector), PE a divisor of its output channels, MACs in DSPs, packed two to a DSP or in LUTs, weights
in block RAM or in LUT ROM, or (a layer feeding a global pool) streamed from DDR, a few output rows per pass over
them (fewer rows buffer less of the input and read the weights more often through the weights port, a beat a
cycle). Each
option has its cycles (counting the kernels that inherit its PE: its output's duplicator, pooling window and max,
global pool and concat) and its resources: its MVAU, input window and regroup, and the kernels downstream whose
lanes follow its PE with their FIFOs (graph.consumer_graph: a wide PE can make the pool after a concat dear);
options another one beats everywhere go.

For a candidate interval T, `fit` picks one option per layer among those within T so that every resource stays
within its budget: Lagrangian pricing (each layer takes its option of least priced cost; overused resources get
dearer, idle ones cheaper, by a step that shrinks each round), then local search from the best priced choice, the
least-share one and the last choice that fitted a longer interval (the single option change that most lowers the
total overuse). The smallest T that fits is found by bisection (the most fps within --max-util), or T
comes from --target-fps (the cheapest plan found at that T).

Everything outside the options (pools, joins, converters, ports, FIFOs, whose depths follow the folding) is
costed on the whole dataflow graph (estimate.py) of the previous round's plan and held fixed in the next. When the
estimate of a plan comes out over the limit, the next round plans with the outside costs as they now are and,
after SETTLE_ROUNDS, also aims that much lower on the resources that were over; when a lower aim finds nothing, it
goes halfway back; at most PLAN_ROUNDS rounds. Without --target-fps, `_tighten` then bisects between the fastest
interval a round tried and the one that fit, each probe judged by the whole estimate and planned again, up to
PROBE_REFITS times, with the outside costs of its own plan when it comes out over.

A user config pins any layer ({"layers": {"fire2_expand3x3": {"simd": 16, "pe": 8, "mac": "dsp_packed",
"weight_storage": "lutram"}, "conv10": {"weight_storage": "ddr", "ddr_rows": 2}}}); the planner fills in the rest
and rejects impossible pins with one clear line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from squeezeflow.hw import spec

from .. import ir
from ..boards import Board
from ..dataflow.graph import can_stream_weights, consumer_graph, fold_graph
from ..errors import UserError
from ..kernels import kernel_costs
from ..kernels.base import kernel
from ..kernels.kernel_costs import RESOURCES
from ..kernels.mvau import MvauStreamed, streamed_input_depth, streamed_weights_depth
from .estimate import estimate, process_cost

DEFAULT_MAX_UTIL = 0.85
REPAIR_MOVES = 400
PRICE_ROUNDS = 100
PRICE_DECAY = 0.97  # the pricing step (an exponent of the overuse) shrinks each round, so that prices settle
TIGHTEN_PROBES = 8  # whole-estimate probes between the fastest plan tried and the first that fits
PROBE_REFITS = 3  # a probe plans again with the outside costs its own plan has (deeper FIFOs when faster)
SETTLE_ROUNDS = 2  # rounds that only update the outside costs before the budget backs off
BACKOFF = 0.005  # of the device, beyond the overshoot, per round that came out over
PLAN_ROUNDS = 16
_PIN_KEYS = {"simd", "pe", "mac", "weight_storage", "ddr_rows"}


def divisors(n: int) -> list[int]:
    """The divisors of `n`, ascending: the foldings (PE, or a pointwise convolution's SIMD) that split `n` channels
    evenly."""
    return [d for d in range(1, n + 1) if n % d == 0]


def cost_vector(cost: kernel_costs.Cost) -> np.ndarray:
    """A Cost as an array in RESOURCES order, a row of the planner's cost tables."""
    return np.array([getattr(cost, r) for r in RESOURCES], dtype=float)


def _effective(costs: np.ndarray) -> np.ndarray:
    """Costs as the device counts them: memory LUTs are LUTs too (column 0), and SLICEM LUTs (column 1)."""
    eff = np.array(costs, dtype=float)
    eff[..., 0] += eff[..., 1]
    return eff


def _undominated(points: np.ndarray) -> np.ndarray:
    """Indices of the rows no other row beats: none as good in every column and better in one (the first of
    equal rows stays)."""
    # In lexicographic order (stable: equal rows by index) a row can only be beaten by one before it, and a row
    # beaten by a dropped one is beaten by what dropped that: compare each with the rows kept so far.
    kept = []
    for i in np.lexsort(points.T[::-1]):
        if not kept or not (points[kept] <= points[i]).all(axis=1).any():
            kept.append(i)
    return np.sort(np.array(kept, dtype=int))


def _overuse(shares: np.ndarray) -> np.ndarray:
    """Of resource shares (use / budget, one row per choice): the total share above 1, ties broken by the smaller
    total share. What the local search lowers."""
    return np.maximum(shares - 1, 0).sum(axis=-1) + 1e-6 * shares.sum(axis=-1)


def capacity(board: Board) -> np.ndarray:
    """The board's resources as an array in RESOURCES order."""
    return np.array([board.capacity[r] for r in RESOURCES], dtype=float)


@dataclass(frozen=True)
class Option:
    """One implementation of a convolution: folding, MAC mapping and weight placement, with its cycles per frame and
    its cost, both counting the kernels around it (its input window and regroup, those that inherit its PE)."""

    simd: int
    pe: int
    mac: str
    weight_storage: str
    ddr_rows: int  # weights from DDR: output rows per pass over them (ir.Conv), 0 on chip
    cycles: int
    cost: np.ndarray  # RESOURCES


def _simd_choices(layer: ir.Conv) -> list[int]:
    """The SIMD worth trying: for a pointwise convolution the divisors of its input channels; for a windowed one, whose
    fan-in may end in a zero-padded word (ir.Conv.sf), the least SIMD for each number of words per pixel."""
    if not layer.windowed:
        return divisors(layer.in_channels)
    return sorted({-(-layer.fan_in // words) for words in range(1, layer.fan_in + 1)})  # the least SIMD for `words`


def _pass_rows(rows: int) -> list[int]:
    """The output rows per pass over streamed weights worth trying: the fewest for each number of passes."""
    return sorted({-(-rows // passes) for passes in range(1, rows + 1)}, reverse=True)


class Planner:
    """Every convolution's options for a board (pins applied, dominated ones dropped) and the search over them."""

    def __init__(self, net: ir.Network, board: Board, config: dict | None = None):
        self.net, self.board = net, board
        self.pins = _pins(net, board, config)
        self.convs = [layer for layer in net.layers if isinstance(layer, ir.Conv)]
        self.capacity = capacity(board)
        self.options = {layer.name: self._options(layer) for layer in self.convs}
        # All layers' options in one table for the search: row i is option self.flat[i] of layer self.layer_of[i].
        self.flat = [opt for options, _, _ in self.options.values() for opt in options]
        self.row_of = {id(opt): i for i, opt in enumerate(self.flat)}
        sizes = [len(options) for options, _, _ in self.options.values()]
        self.ends = np.cumsum(sizes)
        self.starts = self.ends - sizes
        self.layer_of = np.repeat(np.arange(len(sizes)), sizes)
        # the rows of each layer's options, one layer a row, padded with -1: a vectorised argmin per layer
        self.grid = np.full((len(sizes), max(sizes)), -1)
        for i, (start, size) in enumerate(zip(self.starts, sizes)):
            self.grid[i, :size] = np.arange(start, start + size)
        self.cycles = np.concatenate([cycles for _, cycles, _ in self.options.values()])
        self.eff = _effective(np.concatenate([costs for _, _, costs in self.options.values()]))

    def _options(self, layer: ir.Conv) -> tuple[list[Option], np.ndarray, np.ndarray]:
        """Every option of a layer (pins applied): the list, their cycles and their cost matrix."""
        pin = self.pins.get(layer.name, {})
        x = self.net.type_of(layer.inputs[0])
        o = layer.out_shape[0]
        options = []
        storages = spec.WEIGHT_STORAGES if can_stream_weights(self.net, layer) else spec.ON_CHIP_WEIGHT_STORAGES
        wide = (spec.MAX_WORD_BITS // x.bits, spec.MAX_WORD_BITS // layer.out_type.bits)
        downstream = {}  # PE -> (cycles, cost) of the kernels whose lanes follow it
        shift_bits = layer.requant.shift_bits  # every convolution requantizes (lower.py)
        offset_bits = layer.requant.offset_bits
        for simd in [pin["simd"]] if "simd" in pin else [d for d in _simd_choices(layer) if d <= wide[0]]:
            for pe in [pin["pe"]] if "pe" in pin else [d for d in divisors(o) if d <= wide[1]]:
                if pe not in downstream:
                    downstream[pe] = self._downstream(layer, pe)
                sf, nf, (ho, wo) = ir.simd_words(layer.fan_in, simd), o // pe, layer.out_shape[1:]
                *reading, mvau = fold_graph(self.net, replace(layer, simd=simd, pe=pe)).processes
                cycles = max(downstream[pe][0], *(kernel(p.kernel).cycles(p.config) for p in [*reading, mvau]))
                # with its input window and the regroup after it, if any
                around = sum((process_cost(self.net, p) for p in reading), downstream[pe][1])
                for mac in [pin["mac"]] if "mac" in pin else spec.MAC_IMPLS:
                    if mac == "dsp_packed" and not (pe % 2 == 0 and spec.packs(x.bits, x.signed, layer.weight_bits,
                                                                                 simd, self.board.dsp_type)):
                        continue
                    for storage in [pin["weight_storage"]] if "weight_storage" in pin else storages:
                        if storage != "ddr":
                            cost = kernel_costs.mvau_cost(simd, pe, sf, nf, x.bits, layer.weight_bits,
                                                          layer.acc_bits, mac, storage, shift_bits=shift_bits,
                                                          offset_bits=offset_bits)
                            options.append(Option(simd, pe, mac, storage, 0, cycles, cost_vector(cost + around)))
                            continue
                        beats = spec.weight_tile_beats(pe, simd, layer.weight_bits)
                        for rows in [pin["ddr_rows"]] if "ddr_rows" in pin else _pass_rows(ho):
                            # its input FIFO holds a pixel group, its weight FIFO a fold's tiles
                            group = rows * wo
                            cost = (kernel_costs.mvau_cost(simd, pe, sf, nf, x.bits, layer.weight_bits,
                                                           layer.acc_bits, mac, storage, shift_bits=shift_bits,
                                                           offset_bits=offset_bits, group=group)
                                    + kernel_costs.fifo_cost(simd * x.bits, streamed_input_depth(group * sf, sf))
                                    + kernel_costs.fifo_cost(beats * spec.AXI_STREAM_BITS,
                                                             streamed_weights_depth(sf)) + around)
                            streamed = MvauStreamed.Config(**mvau.config.to_dict(), GROUP=group, W_BEATS=beats,
                                                           w_word=f"ap_uint<{beats * spec.AXI_STREAM_BITS}>")
                            option_cycles = max(cycles, MvauStreamed.cycles(streamed))
                            options.append(Option(simd, pe, mac, storage, 0 if rows == ho else rows, option_cycles,
                                                  cost_vector(cost)))
        if not options:
            raise UserError(f"config pins for {layer.name!r} leave no possible implementation",
                            why=f"mac 'dsp_packed' needs an even PE and a SIMD small enough for the "
                                f"{self.board.dsp_type}'s {spec.DSP_PORTS[self.board.dsp_type][0]}-bit port")
        cycles = np.array([opt.cycles for opt in options])
        costs = np.stack([opt.cost for opt in options])
        keep = _undominated(np.column_stack([cycles, _effective(costs)]))
        return [options[i] for i in keep], cycles[keep], costs[keep]

    def _downstream(self, layer: ir.Conv, pe: int) -> tuple[int, kernel_costs.Cost]:
        """The cycles (the slowest's) and the cost, FIFOs included, of the kernels that take their lanes from
        `layer`'s PE (graph.consumer_graph: its output stream, duplicator, pools, the concat it feeds)."""
        graph = consumer_graph(self.net, {}, layer, pe)
        costs = [process_cost(self.net, p) for p in graph.processes]
        costs += [kernel_costs.fifo_cost(s.lanes * s.bits, s.depth) for s in graph.streams]
        cycles = max((kernel(p.kernel).cycles(p.config) for p in graph.processes), default=0)
        return cycles, sum(costs, kernel_costs.Cost())

    def _cheapest(self, score: np.ndarray) -> np.ndarray:
        """Each layer's option (row of the flat table) of least `score` (the first of equals)."""
        padded = np.where(self.grid >= 0, score[self.grid], np.inf)
        return self.grid[np.arange(len(self.grid)), np.argmin(padded, axis=1)]

    def fit(self, interval: int, fixed: np.ndarray, max_util: np.ndarray,
            warm: dict[str, Option] | None = None) -> dict[str, Option] | None:
        """A choice within `interval` cycles that fits `max_util` (per resource) of the board, or None.

        Lagrangian pricing first: every layer takes its option of least priced cost; the price of each resource
        is multiplied by its use over budget to a power that decays (PRICE_DECAY), so that overused resources get
        dearer and idle ones cheaper and the prices settle instead of swinging, for PRICE_ROUNDS rounds. From the
        best of those, and from every layer's least-share option, greedy repair of the multiple-choice knapsack
        (`_repair`). With `warm` (a choice that fitted a longer interval), the repair also starts from it, each
        layer too slow now taking its fast-enough option of least overuse (`_best_response`)."""
        within = self.within(interval, max_util)
        if within is None:
            return None
        valid, scale = within
        base = _effective(fixed)
        price = 1.0 / scale
        best, best_over = None, np.inf
        for round_ in range(PRICE_ROUNDS):
            current = self._cheapest(np.where(valid, self.eff @ price, np.inf))
            over = (base + self.eff[current].sum(axis=0)) / scale
            if over.max() < best_over:
                best, best_over = current, over.max()
            if best_over <= 1:
                break
            price = price * np.clip(over, 0.5, 2.0) ** (PRICE_DECAY ** round_)
        least_share = self._cheapest(np.where(valid, (self.eff / scale).sum(axis=1), np.inf))
        starts = [best, least_share]
        if warm is not None:
            starts.append(self._best_response(warm, valid, base, scale))
        for start in starts:
            chosen = self._repair(start.copy(), valid, base, scale)
            if chosen is not None:
                return self.choice(chosen)
        return None

    def within(self, interval: int, max_util: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The knapsack of `fit`: (the options within `interval`, as a mask of the flat table; each resource's
        budget, the divisor of a share), or None when a layer has no option that fast."""
        valid = self.cycles <= interval
        if not np.logical_or.reduceat(valid, self.starts).all():
            return None
        budget = self.capacity * max_util
        return valid, np.where(budget > 0, budget, 1e-9)

    def choice(self, rows) -> dict[str, Option]:
        """A choice by layer name from its rows of the flat table, one per layer in layer order."""
        return {layer.name: self.flat[i] for layer, i in zip(self.convs, rows)}

    def _best_response(self, warm: dict[str, Option], valid: np.ndarray, base: np.ndarray,
                       scale: np.ndarray) -> np.ndarray:
        """`warm` with each layer too slow now replaced, one by one, by its fast-enough option of least overuse
        beside the others."""
        rows = np.array([self.row_of[id(warm[layer.name])] for layer in self.convs])
        for layer in np.flatnonzero(~valid[rows]):
            others = base + self.eff[np.delete(rows, layer)].sum(axis=0)
            options = np.arange(self.starts[layer], self.ends[layer])
            options = options[valid[options]]
            rows[layer] = options[np.argmin(_overuse((others + self.eff[options]) / scale))]
        return rows

    def _repair(self, current: np.ndarray, valid: np.ndarray, base: np.ndarray, scale: np.ndarray):
        """Local search from `current`: the single change of one layer's option that most lowers the total
        overuse (sum over resources of use / budget above 1; ties: the smaller total share), until no change
        helps; the choice if nothing is then over budget, else None. It goes on past the first choice that fits,
        lowering the total share: a cheaper choice leaves more room to the rounds and warm starts that follow
        (stopping at the first fit cost the KV260 11% at 0.9, bench/planner_optimality.py)."""
        used = base + self.eff[current].sum(axis=0)
        for _ in range(REPAIR_MOVES):
            after = used[None, :] + self.eff - self.eff[current][self.layer_of]
            score = np.where(valid, _overuse(after / scale), np.inf)
            move = int(np.argmin(score))
            fits = (used <= scale).all()
            if score[move] >= _overuse(used / scale) - 1e-12 or fits and not (after[move] <= scale).all():
                break  # no better, or a fit traded for a smaller total share a hair over budget
            used = after[move]
            current[self.layer_of[move]] = move
        return current if (used <= scale).all() else None

    def smallest(self) -> dict[str, Option]:
        """Every layer's option of least total device share, however slow: what an impossible request is told."""
        scale = np.where(self.capacity > 0, self.capacity, 1e-9)
        return {name: options[int(np.argmin((_effective(costs) / scale).sum(axis=1)))]
                for name, (options, _, costs) in self.options.items()}

    def fastest(self) -> int:
        """The smallest interval any option reaches: a lower bound of the search."""
        return max(int(cycles.min()) for _, cycles, _ in self.options.values())

    def search(self, fixed: np.ndarray, max_util: np.ndarray,
               target_interval: int | None) -> tuple[int, dict] | None:
        """(interval, choice): at `target_interval`, or the shortest interval that fits (bisection, 0.2%); None if
        nothing fits."""
        if target_interval is not None:
            chosen = self.fit(target_interval, fixed, max_util)
            return None if chosen is None else (target_interval, chosen)
        lo = self.fastest()
        hi = max(int(cycles.max()) for _, cycles, _ in self.options.values())
        best = self.fit(hi, fixed, max_util)
        if best is None:
            return None
        best = (hi, best)
        while hi - lo > max(1, lo // 500):  # 0.2%
            mid = int(math.sqrt(lo * hi))
            chosen = self.fit(mid, fixed, max_util, warm=best[1])
            if chosen is None:
                lo = mid + 1
            else:
                hi, best = mid, (mid, chosen)
        return best

    def apply(self, chosen: dict[str, Option]) -> None:
        """Write a choice into the IR's convolutions."""
        for layer in self.convs:
            opt = chosen[layer.name]
            layer.simd, layer.pe, layer.mac, layer.weight_storage = opt.simd, opt.pe, opt.mac, opt.weight_storage
            layer.ddr_rows = opt.ddr_rows


def plan(net: ir.Network, arrays, board: Board, clock_mhz: float, max_util: float | None = None,
         target_fps: float | None = None, config: dict | None = None) -> list[str]:
    """Fold `net` in place for `board` at `clock_mhz` (see the module docstring); returns warnings."""
    if max_util is not None and not 0 < max_util <= 1:
        raise UserError(f"--max-util {max_util}", why="a share of the device: more than 0, at most 1")
    if target_fps is not None and target_fps <= 0:
        raise UserError(f"--target-fps {target_fps}", why="must be positive")
    if clock_mhz <= 0:
        raise UserError(f"--clock {clock_mhz}", why="must be positive (MHz)")
    limit = DEFAULT_MAX_UTIL if max_util is None else max_util
    target = None if target_fps is None else max(1, int(clock_mhz * 1e6 / target_fps))
    planner = Planner(net, board, config)
    if target is not None and target < planner.fastest():
        raise UserError(f"--target-fps {target_fps:g} is out of reach at {clock_mhz:g} MHz",
                        why=f"even fully unrolled, a layer needs {planner.fastest()} cycles per frame "
                            f"({clock_mhz * 1e6 / planner.fastest():.0f} fps)")
    # The processes outside the convolutions' options (pools, joins, FIFOs), first as the slowest plan has them.
    smallest = planner.smallest()
    planner.apply(smallest)
    fixed = _outside(estimate(net, arrays, board, clock_mhz), smallest)
    budget = np.full(len(RESOURCES), limit)
    result, fastest_tried = None, None
    last_fit, least = budget, fixed
    for round_ in range(PLAN_ROUNDS):
        # The costs outside the options as the last plan has them; else the least seen of each, so that a fast
        # plan's deeper FIFOs do not shut out the slower plans (the budget meets the overuse instead).
        found = planner.search(fixed, budget, target) or planner.search(least, budget, target)
        if found is None:
            if result is None or np.allclose(budget, last_fit, atol=1e-3):
                break
            budget = (budget + last_fit) / 2  # backed off too far: halfway back
            continue
        result, last_fit = found, budget
        fastest_tried = found[0] if fastest_tried is None else min(fastest_tried, found[0])
        planner.apply(found[1])
        report = estimate(net, arrays, board, clock_mhz)
        fixed = _outside(report, found[1])
        least = np.minimum(least, fixed)
        util = np.array([report.utilization[r] for r in RESOURCES])
        if util.max() <= limit + 1e-9:
            if target is None:
                _tighten(planner, net, arrays, board, clock_mhz, limit, fastest_tried, found, fixed)
            return []
        # The plan came out over because the costs outside the options moved with it (FIFO depths follow the
        # folding). The next round sees them as they are now; if that keeps swinging, it also aims lower on the
        # resources that came out over.
        if round_ >= SETTLE_ROUNDS:
            budget = np.where(util > limit, budget - 1.5 * (util - limit) - BACKOFF, budget)
    if result is None:
        planner.apply(smallest)
        report = estimate(net, arrays, board, clock_mhz)
        over = ", ".join(f"{r} {100 * u:.0f}%" for r, u in report.utilization.items() if u > limit)
        what = f"{target_fps:g} fps" if target is not None else "the network"
        message = (f"{what} does not fit the {board.title} within {100 * limit:.0f}% of every resource "
                   f"(the smallest plan needs {over})")
        if target is not None:
            raise UserError(message)
        return [message]
    return [f"the plan's estimate exceeds {100 * limit:.0f}% after {PLAN_ROUNDS} rounds: "
            + ", ".join(f"{r} {100 * u:.0f}%" for r, u in report.utilization.items() if u > limit)]


def _tighten(planner: Planner, net, arrays, board: Board, clock_mhz: float, limit: float, fastest_tried: int,
             fitted: tuple[int, dict], fixed: np.ndarray) -> None:
    """Bisect between the fastest interval a round planned (which came out over) and the one that fits, judging
    every probe by the whole estimate: a round plans against the outside costs of a faster plan (deeper FIFOs),
    so the plan that first fits is often slower than it needs to be. `fixed`: the outside costs of the fitted plan.
    Leaves the fastest fitting plan applied."""
    best_interval, best = fitted
    lo, hi = fastest_tried, best_interval
    for _ in range(TIGHTEN_PROBES):
        if hi - lo <= max(1, lo // 500):
            break
        mid = (lo + hi) // 2
        chosen = _probe(planner, net, arrays, board, clock_mhz, limit, mid, fixed, best)
        if chosen is None:
            lo = mid + 1
        else:
            hi, best = mid, chosen
    planner.apply(best)


def _probe(planner: Planner, net, arrays, board: Board, clock_mhz: float, limit: float, interval: int,
           fixed: np.ndarray, warm: dict) -> dict | None:
    """A choice within `interval` whose whole estimate fits `limit`, or None (`warm`: the slower choice that fits,
    a start of the search). A faster plan has deeper FIFOs and wider windows than the plan `fixed` came from, so a
    choice that comes out over is planned again with its own outside costs, up to PROBE_REFITS times."""
    budget = np.full(len(RESOURCES), limit)
    for _ in range(PROBE_REFITS):
        chosen = planner.fit(interval, fixed, budget, warm)
        if chosen is None:
            return None
        planner.apply(chosen)
        report = estimate(net, arrays, board, clock_mhz)
        if max(report.utilization.values()) <= limit + 1e-9:
            return chosen
        fixed = np.maximum(fixed, _outside(report, chosen))  # never less: the choices would swing back and forth
    return None


def _outside(report, chosen: dict[str, Option]) -> np.ndarray:
    """The resources of an estimate that the chosen options do not account for."""
    return np.array([report.total[r] for r in RESOURCES]) - sum(opt.cost for opt in chosen.values())


def _pins(net: ir.Network, board: Board, config: dict | None) -> dict[str, dict]:
    """The validated {"layers": {...}} of a config; every problem is a UserError naming the layer."""
    if not config:
        return {}
    if not isinstance(config, dict) or set(config) - {"layers"} or not isinstance(config.get("layers", {}), dict):
        raise UserError("config must be a JSON object {\"layers\": {LAYER: {\"simd\": N, \"pe\": N}}}")
    names = {layer.name: layer for layer in net.layers}
    for name, pins in config.get("layers", {}).items():
        if name not in names:
            raise UserError(f"config names unknown layer {name!r}",
                            why=f"convolutions: {', '.join(n for n, l in names.items() if isinstance(l, ir.Conv))}")
        layer = names[name]
        if not isinstance(layer, ir.Conv):
            raise UserError(f"config pins layer {name!r}", why=f"a {layer.kind} layer has no folding")
        if not isinstance(pins, dict) or set(pins) - _PIN_KEYS:
            raise UserError(f"config for {name!r} must be an object with keys among {sorted(_PIN_KEYS)}")
        for key, count, bits in (("simd", layer.fan_in if layer.windowed else layer.in_channels,
                                  net.type_of(layer.inputs[0]).bits),
                                 ("pe", layer.out_shape[0], layer.out_type.bits)):
            value = pins.get(key, 1)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1 or value > count:
                raise UserError(f"config: {name} {key}={value!r}", why=f"must be a positive integer up to {count}")
            padded = key == "simd" and layer.windowed  # its fan-in's last SIMD word may be zero-padded (ir.Conv.sf)
            if count % value and not padded:
                side = "output channels" if key == "pe" else "input channels"
                raise UserError(f"config: {name} {key}={value!r}",
                                why=f"must be a positive divisor of its {count} {side}")
            if value * bits > spec.MAX_WORD_BITS:
                raise UserError(f"config: {name} {key}={value}",
                                why=f"{value} lanes of {bits} bits exceed the widest stream word, "
                                    f"{spec.MAX_WORD_BITS} bits (Vitis HLS's ap_uint limit)")
        if pins.get("mac", "dsp") not in spec.MAC_IMPLS:
            raise UserError(f"config: {name} mac={pins['mac']!r}", why=f"one of {', '.join(spec.MAC_IMPLS)}")
        storage = pins.get("weight_storage", "bram")
        if storage not in spec.WEIGHT_STORAGES:
            raise UserError(f"config: {name} weight_storage={storage!r}",
                            why=f"one of {', '.join(spec.WEIGHT_STORAGES)}")
        if storage == "ddr" and not can_stream_weights(net, layer):
            raise UserError(f"config: {name} weight_storage='ddr'",
                            why="only a layer that feeds a global pool alone can stream its weights (it computes "
                                "channel group by channel group, for every pixel)")
        if "ddr_rows" in pins:
            rows, height = pins["ddr_rows"], layer.out_shape[1]
            if storage != "ddr":
                raise UserError(f"config: {name} ddr_rows={rows!r}", why="only with weight_storage='ddr'")
            if not isinstance(rows, int) or isinstance(rows, bool) or not 1 <= rows <= height:
                raise UserError(f"config: {name} ddr_rows={rows!r}",
                                why=f"output rows per pass over the weights: 1 to its {height} rows")
    return config.get("layers", {})
