"""The matrix-vector-activation unit (hw/hls/sf_mvau.h, hw/rtl/sf_mvau.v): a convolution's dot products, SIMD input
values by PE output channels per cycle, folded SF x NF, then the per-channel requantization. `mvau` keeps its
weights on chip; `mvau_streamed` reads them from the weights port (hw/spec.py WEIGHTS_PORT), a pixel group at a time.
"""
from __future__ import annotations

from squeezeflow.hw import spec

from .base import MIN_DEPTH, Kernel, pick

STAGES = 5  # register stages between input and output besides the adder tree's and the requantizers' sharing


def mvau_fill(config: dict) -> int:
    """sf_mvau.v's stages: the adder tree's and, when its REQUANT_UNITS requantizers are shared, one per channel
    phase plus the accumulators' holding register."""
    phases = -(-config["PE"] // config["REQUANT_UNITS"])
    return STAGES + (config["SIMD"] - 1).bit_length() + (phases if phases > 1 else 0)


def pixel_groups(pixels: int, group: int) -> list[int]:
    """The sizes of a frame's pixel groups for streamed weights: `group` pixels each, the last one the rest."""
    return [min(group, pixels - first) for first in range(0, pixels, group)]


def streamed_mvau_cycles(pixels: int, group: int, nf: int, sf: int, beats: int) -> int:
    """An MVAU whose weights stream in: a neuron fold of a pixel group takes SF cycles per pixel, or, when the group
    has fewer pixels than a tile has beats, the SF tiles' beats, which the weights port delivers one a cycle (a short
    last group of rows can be that)."""
    return nf * sf * sum(max(size, beats) for size in pixel_groups(pixels, group))


def streamed_input_depth(group_words: int, pixel_words: int) -> int:
    """The input stream of an MVAU that streams its weights: a pixel group and a pixel."""
    return MIN_DEPTH + group_words + pixel_words


def streamed_weights_depth(sf: int) -> int:
    """Its weight stream: a neuron fold's tiles."""
    return MIN_DEPTH + sf


class Mvau(Kernel):
    name, module = "mvau", "sf_mvau"

    @classmethod
    def cycles(cls, config):
        return config["PIXELS"] * config["NF"] * config["SF"]

    @classmethod
    def ideal_cycles(cls, config, port_words):
        return max(*port_words, Mvau.cycles(config))  # a cycle per weight tile, streamed or not

    @classmethod
    def lead_fraction(cls, config):
        return 1 / config["PIXELS"]

    @classmethod
    def tail_cycles(cls, config):
        return config["NF"] * config["SF"] + mvau_fill(config)

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x, y = inputs[0], outputs[0]
        return {**pick(config, "SIMD PE SF NF ACC_BITS MULT_BITS SHIFT_BITS SHIFT_BASE PRODUCT_BITS ZP LO HI MAC "
                          "PACK_SHIFT REQUANT_UNITS"),
                "IN_BITS": x.bits, "IN_SIGNED": x.signed, "W_BITS": layer.weight_bits, "OUT_BITS": y.bits,
                "WEIGHT_STORAGE": spec.WEIGHT_STORAGES.index(layer.weight_storage)}


class MvauStreamed(Mvau):
    """Its weight tiles come in as words of W_BEATS beats; its output goes pixel group by pixel group, each group's
    words by channel group (channel major)."""

    name, in_ports = "mvau_streamed", ("in", "w")
    # It reads its first pixel group during the first neuron fold, as it arrives, and every other fold of the group
    # needs all of it.
    busy_after_lead = True

    @classmethod
    def cycles(cls, config):
        return streamed_mvau_cycles(config["PIXELS"], config["GROUP"], config["NF"], config["SF"], config["W_BEATS"])

    @classmethod
    def lead_fraction(cls, config):  # its first group is read during the first neuron fold, which ends with it
        return min(config["GROUP"], config["PIXELS"]) / config["PIXELS"]

    @classmethod
    def tail_cycles(cls, config):
        """The last pixel group is read during its first neuron fold; the others replay it (or wait for the
        weights)."""
        last_group = max(pixel_groups(config["PIXELS"], config["GROUP"])[-1], config["W_BEATS"])
        return (config["NF"] - 1) * last_group * config["SF"] + config["SF"] + mvau_fill(config)

    @classmethod
    def deepen_fifos(cls, config, inputs, outputs, interval, consumer_of):
        """It reads a pixel group during its first neuron fold and nothing during the others: its input holds a
        group, so that the producer writes the next one meanwhile (a ping-pong with its group buffer); its weight
        stream holds a fold's tiles, read during the fold's first pixel, so the next fold's arrive meanwhile."""
        x, weights = inputs
        x.depth = max(x.depth, streamed_input_depth(config["GROUP"] * x.pixel_words, x.pixel_words))
        weights.depth = max(weights.depth, streamed_weights_depth(config["SF"]))

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        weights = inputs[1]
        return {**super().verilog_params(config, inputs, outputs, layer), **pick(config, "PIXELS GROUP"),
                "W_WORD_BITS": weights.lanes * weights.bits}
