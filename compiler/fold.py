"""Default folding: SIMD x PE and weight storage of every convolution, until a resource planner replaces `fold`.

The rule is deliberately simple. A board gets a budget of multiply-accumulate lanes (one DSP48 per lane, a quarter
of them kept for everything else); every convolution gets the fewest lanes (SIMD x PE) that finish its MACs within
a common cycle budget, so the pipeline is balanced, and the cycle budget grows until the lanes fit. SIMD divides the
input channels (a window word holds SIMD channels of one position), PE the output channels. Weight memories below
4 Kbit go to LUTRAM, the rest to BRAM; `fold` returns warnings when the estimate (weight_bram18) exceeds the board,
which SqueezeNet 1.1's 7.4 Mbit of 6-bit weights does on the Ultra96-V2: fewer weight bits, LUTRAM spills or weights
streamed from DDR are a planner's choice. `--config FILE.json` pins any layer:
{"layers": {"fire2_expand3x3": {"simd": 16, "pe": 8}}} (keys simd, pe, weight_storage).
"""
from __future__ import annotations

import math

from . import ir
from .boards import Board
from .errors import UserError

DSP_SHARE = 0.75
CYCLE_STEP = 1.1  # growth of the cycle budget while the lanes exceed the DSP budget
LUTRAM_MAX_BITS = 4096
BRAM18_SHAPES = ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024), (36, 512))  # (width, depth) of a BRAM18
WEIGHT_STORAGES = ("bram", "lutram", "uram")
_PIN_KEYS = {"simd", "pe", "weight_storage"}


def macs(layer: ir.Conv) -> int:
    c, h, w = layer.out_shape
    return c * h * w * layer.fan_in


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _fewest_lanes(layer: ir.Conv, lanes: int, in_bits: int) -> tuple[int, int]:
    """(simd, pe) with simd * pe >= lanes, as few as possible; among those, stream words of at most 64 bits
    (narrower FIFOs, and C simulation keeps them in native integers), then the larger SIMD."""
    def key(simd, pe):
        wide = (simd * in_bits > 64) + (pe * layer.out_type.bits > 64)
        return simd * pe, wide, -simd

    options = [(s, p) for s in _divisors(layer.in_channels) for p in _divisors(layer.out_shape[0])]
    enough = [o for o in options if o[0] * o[1] >= lanes] or [max(options, key=lambda o: o[0] * o[1])]
    return min(enough, key=lambda o: key(*o))


def bank_lanes(simd: int, weight_bits: int) -> int:
    """Lanes per weight memory word: the largest divisor of SIMD whose word fits 64 bits (a BRAM port is 72 wide)."""
    return max(d for d in _divisors(simd) if d * weight_bits <= 64 or d == 1)


def _weight_memory(layer: ir.Conv) -> tuple[int, int, int]:
    """(memories, width, depth) of a layer's weights: PE x banks ROMs of bank-wide words (sf_mvau.h)."""
    lanes = bank_lanes(layer.simd, layer.weight_bits)
    depth = (layer.fan_in // layer.simd) * (layer.out_shape[0] // layer.pe)
    return layer.pe * layer.simd // lanes, lanes * layer.weight_bits, depth


def weight_bram18(layer: ir.Conv) -> int:
    """BRAM18 blocks the layer's weights take in BRAM, each ROM in its cheapest aspect ratio."""
    count, width, depth = _weight_memory(layer)
    return count * min(-(-width // w) * -(-depth // d) for w, d in BRAM18_SHAPES)


def fold(net: ir.Network, board: Board, config: dict | None = None) -> list[str]:
    """Set simd, pe and weight_storage of every Conv of `net` in place; `config` pins layers (see module doc).
    Returns warnings about budgets the result exceeds."""
    pins = _pins(net, config)
    convs = [layer for layer in net.layers if isinstance(layer, ir.Conv)]
    budget = max(1, int(board.dsp * DSP_SHARE))
    cycles = math.ceil(sum(macs(layer) for layer in convs) / budget)
    while True:
        for layer in convs:
            layer.simd, layer.pe = _fewest_lanes(layer, math.ceil(macs(layer) / cycles),
                                                 net.type_of(layer.inputs[0]).bits)
        if sum(layer.simd * layer.pe for layer in convs) <= budget:
            break
        cycles = math.ceil(cycles * CYCLE_STEP)
    for name, pin in pins.items():
        layer = net.layer(name)
        layer.simd, layer.pe = pin.get("simd", layer.simd), pin.get("pe", layer.pe)
    for layer in convs:
        count, width, depth = _weight_memory(layer)
        default = "lutram" if width * depth < LUTRAM_MAX_BITS else "bram"
        layer.weight_storage = pins.get(layer.name, {}).get("weight_storage", default)
    warnings = []
    bram18 = sum(weight_bram18(layer) for layer in convs if layer.weight_storage == "bram")
    if bram18 > 2 * board.bram36:
        warnings.append(f"the weights need about {bram18 / 2:.0f} BRAM36 and the {board.title} has {board.bram36}: "
                        "the design will not fit until weights move to LUTRAM/DDR or get fewer bits")
    lanes = sum(layer.simd * layer.pe for layer in convs)
    if lanes > budget:
        warnings.append(f"the pinned folding uses {lanes} MAC lanes; the {board.title}'s budget is {budget}")
    return warnings


def _pins(net: ir.Network, config: dict | None) -> dict[str, dict]:
    """The validated {"layers": {...}} of a folding config; every problem is a UserError naming the layer."""
    if not config:
        return {}
    if not isinstance(config, dict) or set(config) - {"layers"} or not isinstance(config.get("layers", {}), dict):
        raise UserError("folding config must be a JSON object {\"layers\": {LAYER: {\"simd\": N, \"pe\": N}}}")
    names = {layer.name: layer for layer in net.layers}
    for name, pins in config.get("layers", {}).items():
        if name not in names:
            raise UserError(f"folding config names unknown layer {name!r}",
                            why=f"convolutions: {', '.join(n for n, l in names.items() if isinstance(l, ir.Conv))}")
        layer = names[name]
        if not isinstance(layer, ir.Conv):
            raise UserError(f"folding config pins layer {name!r}", why=f"a {layer.kind} layer has no SIMD/PE")
        if not isinstance(pins, dict) or set(pins) - _PIN_KEYS:
            raise UserError(f"folding config for {name!r} must be an object with keys {sorted(_PIN_KEYS)}")
        for key, count in (("simd", layer.in_channels), ("pe", layer.out_shape[0])):
            value = pins.get(key, 1)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1 or count % value:
                side = "input" if key == "simd" else "output"
                raise UserError(f"folding config: {name} {key}={value!r}",
                                why=f"must be a positive divisor of its {count} {side} channels")
        if pins.get("weight_storage", "bram") not in WEIGHT_STORAGES:
            raise UserError(f"folding config: {name} weight_storage={pins['weight_storage']!r}",
                            why=f"one of {', '.join(WEIGHT_STORAGES)}")
    return config.get("layers", {})
