"""Per-channel requantization of a stream (hw/hls/sf_requant.h, hw/rtl/sf_requant.v): a concat input whose scale
differs from the output's, or the quantized average after a global average pool."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from squeezeflow.hw import spec

from .base import Config, CType, WordByWord, hex_words, pick


@dataclass(frozen=True)
class RequantConfig(Config):
    """sf::requant's configuration (hw/hls/sf_requant.h requant_config)."""

    hls_base = "requant_config"
    in_t: CType
    diff_t: CType  # holds x - ZP_IN
    out_t: CType
    out_word: CType
    LANES: int
    CG: int  # channel groups (words) per pixel
    WORDS: int  # per frame
    ZP_IN: int
    MULT_BITS: int
    SHIFT_BITS: int
    SHIFT_BASE: int  # the least shift: the shift table holds each channel's excess over it
    PRODUCT_BITS: int
    ZP: int
    LO: int
    HI: int


def requant_memory(mult, shift, channels: int, lanes: int, shift_bits: int) -> str:
    """PARAM_FILE image of sf_requant: per channel group, each lane's multiplier then shift."""
    per_channel = np.stack([np.broadcast_to(np.asarray(v, dtype=np.int64), (channels,)) for v in (mult, shift)], -1)
    return hex_words(per_channel.reshape(channels // lanes, lanes * 2), [spec.REQUANT_MULT_BITS, shift_bits] * lanes)


class Requant(WordByWord):
    """x - ZP_IN requantized with its channel's multiplier and shift, word by word."""

    name, module, fill, Config = "requant", "sf_requant", 3, RequantConfig

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "LANES CG ZP_IN MULT_BITS SHIFT_BITS SHIFT_BASE PRODUCT_BITS ZP LO HI"),
                "IN_BITS": x.bits, "IN_SIGNED": x.signed, "OUT_BITS": outputs[0].bits}

    @classmethod
    def memory_images(cls, config, args, tables, weight):
        """Its call is (in, out, mult, shift)."""
        mult, shift = (tables[name] for name in args[-2:])
        return {"PARAM_FILE": requant_memory(mult, shift, mult.size, config.LANES, config.SHIFT_BITS)}
