"""The data-width converter (hw/hls/sf_regroup.h, hw/rtl/sf_regroup.v): IN_LANES-lane words to OUT_LANES-lane words,
one lane count a multiple of the other. Gathering, it zero-fills a block's (a pixel's) last output word when the
block's words do not fill it (a windowed convolution's fan-in into SIMD lanes, ir.Conv.sf)."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Config, CType, Kernel, pick
from .kernel_costs import block_slots


@dataclass(frozen=True)
class RegroupConfig(Config):
    """sf::regroup's configuration (hw/hls/sf_regroup.h regroup_config)."""

    hls_base = "regroup_config"
    lane_t: CType
    in_word: CType
    out_word: CType
    IN_LANES: int
    OUT_LANES: int
    IN_WORDS: int  # per frame
    BLOCK_WORDS: int  # input words per block (pixel): a block's last output word is zero-filled


class Regroup(Kernel):
    """IN_LANES-lane words to OUT_LANES-lane words, block (pixel) by block."""

    name, module, Config = "regroup", "sf_regroup", RegroupConfig

    @classmethod
    def cycles(cls, config):
        gather, split = max(1, config.OUT_LANES // config.IN_LANES), max(1, config.IN_LANES // config.OUT_LANES)
        return config.IN_WORDS // config.BLOCK_WORDS * block_slots(config.BLOCK_WORDS, gather) * split

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        return {**pick(config, "IN_LANES OUT_LANES BLOCK_WORDS"), "BITS": inputs[0].bits}
