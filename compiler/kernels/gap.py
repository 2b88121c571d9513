"""The global average pool (hw/hls/sf_gap.h, hw/rtl/sf_gap.v): per channel, the sum over the frame of x - ZP; pixel
by pixel, or pixel group by pixel group after an MVAU that streams its weights (CHANNEL_MAJOR)."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Config, CType, Kernel, pick


@dataclass(frozen=True)
class GapConfig(Config):
    """sf::gap's configuration (hw/hls/sf_gap.h gap_config)."""

    hls_base = "gap_config"
    in_t: CType
    sum_t: CType
    out_word: CType
    LANES: int
    CG: int
    PIXELS: int
    GROUP: int  # CHANNEL_MAJOR: pixels per group (the last group the rest)
    ZP: int
    CHANNEL_MAJOR: int  # 1: words by pixel group, channel group, pixel (from sf::mvau_streamed)


class Gap(Kernel):
    """Per-channel sums of a frame, out once the frame is in."""

    name, module, Config = "gap", "sf_gap", GapConfig

    @classmethod
    def cycles(cls, config):
        return (config.PIXELS + 1) * config.CG  # the sums go out before the next frame is read

    @classmethod
    def lead_fraction(cls, config):
        return 1.0

    @classmethod
    def tail_cycles(cls, config):
        return config.CG + 1

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "LANES CG PIXELS GROUP ZP CHANNEL_MAJOR"), "IN_BITS": x.bits, "IN_SIGNED": x.signed,
                "SUM_BITS": outputs[0].bits}
