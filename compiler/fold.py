"""Default folding: SIMD x PE and weight storage of every convolution, until a resource planner replaces `fold`.

The rule is deliberately simple. A board gets a budget of multiply-accumulate lanes (one DSP48 per lane, a quarter
of them kept for everything else); every convolution gets the fewest lanes (SIMD x PE) that finish its MACs within
the same cycle budget, so the pipeline is balanced and its total fits. SIMD divides the input channels (a window word
holds SIMD channels of one position), PE the output channels. Weight tables below 4 Kbit per memory go to LUTRAM,
the rest to BRAM. `--config FILE.json` pins any layer: {"layers": {"fire2_expand3x3": {"simd": 16, "pe": 8}}}
(keys simd, pe, weight_storage).
"""
from __future__ import annotations

import math

from . import ir
from .boards import Board
from .errors import UserError

DSP_SHARE = 0.75
LUTRAM_MAX_BITS = 4096
WEIGHT_STORAGES = ("bram", "lutram", "uram")
_PIN_KEYS = {"simd", "pe", "weight_storage"}


def macs(layer: ir.Conv) -> int:
    c, h, w = layer.out_shape
    return c * h * w * layer.fan_in


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _fewest_lanes(layer: ir.Conv, lanes: int) -> tuple[int, int]:
    """(simd, pe) with simd * pe >= lanes, as few as possible; ties go to the larger SIMD (fewer, wider words)."""
    options = [(s * p, -s, s, p) for s in _divisors(layer.in_channels) for p in _divisors(layer.out_shape[0])]
    enough = [o for o in options if o[0] >= lanes] or [max(options)]
    _, _, simd, pe = min(enough)
    return simd, pe


def bank_lanes(simd: int, weight_bits: int) -> int:
    """Lanes per weight memory word: the largest divisor of SIMD whose word fits 64 bits (a BRAM port is 72 wide)."""
    return max(d for d in _divisors(simd) if d * weight_bits <= 64 or d == 1)


def weight_memory_bits(layer: ir.Conv) -> int:
    """Bits of one PE x bank weight memory."""
    lanes = bank_lanes(layer.simd, layer.weight_bits)
    return lanes * layer.weight_bits * (layer.fan_in // layer.simd) * (layer.out_shape[0] // layer.pe)


def fold(net: ir.Network, board: Board, config: dict | None = None) -> None:
    """Set simd, pe and weight_storage of every Conv of `net` in place; `config` pins layers (see module doc)."""
    pins = _pins(net, config)
    convs = [layer for layer in net.layers if isinstance(layer, ir.Conv)]
    budget = max(1, int(board.dsp * DSP_SHARE))
    cycles = math.ceil(sum(macs(layer) for layer in convs) / budget)
    for layer in convs:
        layer.simd, layer.pe = _fewest_lanes(layer, math.ceil(macs(layer) / cycles))
    for name, pin in pins.items():
        layer = net.layer(name)
        layer.simd, layer.pe = pin.get("simd", layer.simd), pin.get("pe", layer.pe)
    for layer in convs:
        default = "lutram" if weight_memory_bits(layer) < LUTRAM_MAX_BITS else "bram"
        layer.weight_storage = pins.get(layer.name, {}).get("weight_storage", default)


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
                raise UserError(f"folding config: {name} {key}={value!r}",
                                why=f"must be a positive divisor of its {count} {'input' if key == 'simd' else 'output'} "
                                    "channels")
        if pins.get("weight_storage", "bram") not in WEIGHT_STORAGES:
            raise UserError(f"folding config: {name} weight_storage={pins['weight_storage']!r}",
                            why=f"one of {', '.join(WEIGHT_STORAGES)}")
    return config.get("layers", {})
