"""The joins of two streams, pixel by pixel: the Fire module's concat (hw/hls/sf_concat.h: a pixel's CGA words of
its first input, then CGB of its second) and the simple bypass's add (sf_add.h: two fixed-point multipliers and one
rounding)."""
from __future__ import annotations

from .base import Kernel, WordByWord, pick


class Concat(Kernel):
    name, module, in_ports, join = "concat", "sf_concat", ("a", "b"), True

    @classmethod
    def cycles(cls, config):
        return config["PIXELS"] * (config["CGA"] + config["CGB"])

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        y = outputs[0]
        return {**pick(config, "CGA CGB"), "WIDTH": y.lanes * y.bits}


class Add(WordByWord):
    name, module, in_ports, fill, join = "add", "sf_add", ("a", "b"), 3, True

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        a, b = inputs
        return {**pick(config, "LANES MA MB ZA ZB SHIFT ZP LO HI SUM_BITS"), "A_BITS": a.bits, "A_SIGNED": a.signed,
                "B_BITS": b.bits, "B_SIGNED": b.signed, "OUT_BITS": outputs[0].bits}
