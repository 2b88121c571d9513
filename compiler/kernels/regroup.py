"""The data-width converter (hw/hls/sf_regroup.h, hw/rtl/sf_regroup.v): IN_LANES-lane words to OUT_LANES-lane words,
one lane count a multiple of the other. Gathering, it zero-fills a block's (a pixel's) last output word when the
block's words do not fill it (a windowed convolution's fan-in into SIMD lanes, ir.Conv.sf)."""
from __future__ import annotations

from .base import Kernel, pick


def block_slots(block_words: int, gather: int) -> int:
    """Cycles sf_regroup spends on a block (pixel) of `block_words` input words gathered `gather` to an output word:
    its words and the zero fill that completes its last output word, a cycle each."""
    return -(-block_words // gather) * gather


class Regroup(Kernel):
    name, module = "regroup", "sf_regroup"

    @classmethod
    def cycles(cls, config):
        lanes_in, lanes_out = config["IN_LANES"], config["OUT_LANES"]
        gather, split = max(1, lanes_out // lanes_in), max(1, lanes_in // lanes_out)
        return config["IN_WORDS"] // config["BLOCK_WORDS"] * block_slots(config["BLOCK_WORDS"], gather) * split

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        return {**pick(config, "IN_LANES OUT_LANES BLOCK_WORDS"), "BITS": inputs[0].bits}
