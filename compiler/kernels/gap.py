"""The global average pool (hw/hls/sf_gap.h, hw/rtl/sf_gap.v): per channel, the sum over the frame of x - ZP; pixel
by pixel, or pixel group by pixel group after an MVAU that streams its weights (CHANNEL_MAJOR)."""
from __future__ import annotations

from .base import Kernel, pick


class Gap(Kernel):
    name, module = "gap", "sf_gap"

    @classmethod
    def cycles(cls, config):
        return (config["PIXELS"] + 1) * config["CG"]  # the sums go out before the next frame is read

    @classmethod
    def lead_fraction(cls, config):
        return 1.0

    @classmethod
    def tail_cycles(cls, config):
        return config["CG"] + 1

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "LANES CG PIXELS GROUP ZP CHANNEL_MAJOR"), "IN_BITS": x.bits, "IN_SIGNED": x.signed,
                "SUM_BITS": outputs[0].bits}
