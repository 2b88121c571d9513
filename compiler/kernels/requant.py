"""Per-channel requantization of a stream (hw/hls/sf_requant.h, hw/rtl/sf_requant.v): a concat input whose scale
differs from the output's, or the quantized average after a global average pool."""
from __future__ import annotations

from .base import WordByWord, pick


class Requant(WordByWord):
    name, module, fill = "requant", "sf_requant", 3

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "LANES CG ZP_IN MULT_BITS SHIFT_BITS SHIFT_BASE PRODUCT_BITS ZP LO HI"),
                "IN_BITS": x.bits, "IN_SIGNED": x.signed, "OUT_BITS": outputs[0].bits}
