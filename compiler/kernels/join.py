"""The joins of two streams, pixel by pixel: the Fire module's concat (hw/hls/sf_concat.h: a pixel's CGA words of
its first input, then CGB of its second) and the simple bypass's add (sf_add.h: two fixed-point multipliers and one
rounding)."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Config, CType, Kernel, WordByWord, pick


@dataclass(frozen=True)
class ConcatConfig(Config):
    """sf::concat's configuration (hw/hls/sf_concat.h concat_config)."""

    hls_base = "concat_config"
    word_t: CType
    CGA: int  # words per pixel of input a
    CGB: int  # of input b
    PIXELS: int


class Concat(Kernel):
    """A pixel's CGA words of a, then its CGB words of b."""

    name, module, in_ports, join, Config = "concat", "sf_concat", ("a", "b"), True, ConcatConfig

    @classmethod
    def cycles(cls, config):
        return config.PIXELS * (config.CGA + config.CGB)

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        y = outputs[0]
        return {**pick(config, "CGA CGB"), "WIDTH": y.lanes * y.bits}


@dataclass(frozen=True)
class AddConfig(Config):
    """sf::add's configuration (hw/hls/sf_add.h add_config)."""

    hls_base = "add_config"
    a_t: CType
    b_t: CType
    out_t: CType
    out_word: CType
    LANES: int
    WORDS: int  # per frame
    MA: int
    MB: int
    ZA: int
    ZB: int
    SHIFT: int
    ZP: int
    LO: int
    HI: int
    SUM_BITS: int  # holds the sum, and >= SHIFT + 2


class Add(WordByWord):
    """Two requantized inputs summed and rounded once, word by word."""

    name, module, in_ports, fill, join, Config = "add", "sf_add", ("a", "b"), 3, True, AddConfig

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        a, b = inputs
        return {**pick(config, "LANES MA MB ZA ZB SHIFT ZP LO HI SUM_BITS"), "A_BITS": a.bits, "A_SIGNED": a.signed,
                "B_BITS": b.bits, "B_SIGNED": b.signed, "OUT_BITS": outputs[0].bits}
