"""The matrix-vector-activation unit (hw/hls/sf_mvau.h, hw/rtl/sf_mvau.v): a convolution's dot products, SIMD input
values by PE output channels per cycle, folded SF x NF, then the per-channel requantization. `mvau` keeps its
weights on chip; `mvau_streamed` reads them from the weights port (hw/spec.py WEIGHTS_PORT), a pixel group at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from squeezeflow.hw import spec

from .base import MIN_DEPTH, Config, CType, Kernel, hex_words, pick

STAGES = 5  # register stages between input and output besides the adder tree's and the requantizers' sharing


@dataclass(frozen=True)
class MvauConfig(Config):
    """sf::mvau's configuration (hw/hls/sf_mvau.h mvau_config)."""

    hls_base = "mvau_config"
    NAME: str  # the layer, for csim's width check
    in_t: CType
    in_word: CType
    out_t: CType
    out_word: CType
    w_t: CType
    acc_t: CType
    SIMD: int  # input lanes per word
    PE: int  # output channels per word
    SF: int  # input words per pixel (synapse fold)
    NF: int  # output words per pixel (neuron fold)
    PIXELS: int
    BANKS: int  # weight memories per PE row
    BANK_LANES: int  # weights per memory word
    BANK_BITS: int
    ACC_BITS: int
    MULT_BITS: int
    SHIFT_BITS: int
    SHIFT_BASE: int  # the least shift: the shift table holds each channel's excess over it
    PRODUCT_BITS: int
    ZP: int
    LO: int
    HI: int
    MAC: int  # sf::mac_impl: hw/spec.py MAC_IMPLS by index
    PACK_SHIFT: int  # dsp_packed: the second weight's offset in the multiplicand (spec.pack_shift)
    REQUANT_UNITS: int  # requantizers serving the PE channels (hw/spec.py requant_units)
    OFFSET_BITS: int  # of the offset table: a float bias's fraction, in product units (1: all zero)


@dataclass(frozen=True)
class MvauStreamedConfig(MvauConfig):
    """sf::mvau_streamed's configuration: sf::mvau's and the weight stream's (sf_mvau.h mvau_streamed_config)."""

    hls_base = "mvau_streamed_config"
    GROUP: int  # pixels per group: the input rows kept while a pass of the weights goes by
    W_BEATS: int  # AXI beats per weight tile
    w_word: CType  # a tile


def mvau_fill(config) -> int:
    """sf_mvau.v's stages: the adder tree's and, when its REQUANT_UNITS requantizers are shared, one per channel
    phase plus the accumulators' holding register."""
    phases = -(-config.PE // config.REQUANT_UNITS)
    return STAGES + (config.SIMD - 1).bit_length() + (phases if phases > 1 else 0)


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


def weight_vectors(weight: np.ndarray, simd: int) -> np.ndarray:
    """OIHW `weight` as each output channel's input vector in the order the window generator reads it (kernel row,
    column, then channel), zero-padded to whole SIMD words (ir.Conv.sf): (O, SF * SIMD) int64."""
    w = np.asarray(weight, dtype=np.int64)
    vectors = w.transpose(0, 2, 3, 1).reshape(len(w), -1)
    return np.pad(vectors, [(0, 0), (0, -vectors.shape[1] % simd)])


def weight_tiles(weight: np.ndarray, simd: int, pe: int) -> np.ndarray:
    """OIHW `weight` as sf_mvau's tiles: (NF * SF, PE * SIMD), tile nf * SF + sf, weight (pe, s) at pe * SIMD + s."""
    vectors = weight_vectors(weight, simd)
    tiles = vectors.reshape(len(vectors) // pe, pe, -1, simd).transpose(0, 2, 1, 3)  # nf, sf, pe, simd
    return tiles.reshape(-1, pe * simd)


def mvau_memories(weight, bias, mult, shift, simd: int, pe: int, weight_bits: int, acc_bits: int,
                  shift_bits: int, offset=None, offset_bits: int = 0) -> tuple[str, str]:
    """(WEIGHT_FILE, PARAM_FILE) images of sf_mvau for OIHW `weight` and per-output-channel bias, mult, shift (and
    offset, when offset_bits > 0)."""
    return (hex_words(weight_tiles(weight, simd, pe), weight_bits),
            mvau_param_memory(bias, mult, shift, len(weight), pe, acc_bits, shift_bits, offset, offset_bits))


def mvau_param_memory(bias, mult, shift, channels: int, pe: int, acc_bits: int, shift_bits: int, offset=None,
                      offset_bits: int = 0) -> str:
    """PARAM_FILE image of sf_mvau: per neuron fold, each PE row's bias, multiplier, shift and (with OFFSET_BITS >
    0) offset."""
    values, widths = [bias, mult, shift], [acc_bits, spec.REQUANT_MULT_BITS, shift_bits]
    if offset_bits:
        values, widths = values + [offset], widths + [offset_bits]
    per_channel = np.stack([np.broadcast_to(np.asarray(v, dtype=np.int64), (channels,)) for v in values], -1)
    return hex_words(per_channel.reshape(channels // pe, pe * len(values)), widths * pe)



def offset_field_bits(config) -> int:
    """sf_mvau's OFFSET_BITS: the offset table's width, or 0 (no field, no adder) when the table is the 1-bit one of
    zeros the HLS kernel gets without offsets (a nonzero offset takes at least 2 signed bits)."""
    return config.OFFSET_BITS if config.OFFSET_BITS > 1 else 0


class Mvau(Kernel):
    """Weights on chip, output pixel-major."""

    name, module, Config = "mvau", "sf_mvau", MvauConfig
    # weights on chip: the weight stream port (W_WORD_BITS's default 64 bits) unused
    tie_offs = (("w_tdata", "64'd0"), ("w_tvalid", "1'b0"), ("w_tready", ""))

    @classmethod
    def cycles(cls, config):
        return config.PIXELS * config.NF * config.SF

    @classmethod
    def ideal_cycles(cls, config, port_words):
        return max(*port_words, Mvau.cycles(config))  # a cycle per weight tile, streamed or not

    @classmethod
    def lead_fraction(cls, config):
        return 1 / config.PIXELS

    @classmethod
    def tail_cycles(cls, config):
        return config.NF * config.SF + mvau_fill(config)

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x, y = inputs[0], outputs[0]
        return {**pick(config, "SIMD PE SF NF ACC_BITS MULT_BITS SHIFT_BITS SHIFT_BASE PRODUCT_BITS ZP LO HI MAC "
                          "PACK_SHIFT REQUANT_UNITS"),
                "IN_BITS": x.bits, "IN_SIGNED": x.signed, "W_BITS": layer.weight_bits, "OUT_BITS": y.bits,
                "WEIGHT_STORAGE": spec.WEIGHT_STORAGES.index(layer.weight_storage),
                **({"OFFSET_BITS": offset_field_bits(config)} if offset_field_bits(config) else {})}

    @staticmethod
    def _offset(config, offset) -> tuple[object, int]:
        """The offset column of PARAM_FILE, and its width (none without offsets)."""
        bits = offset_field_bits(config)
        return (offset if bits else None), bits

    @classmethod
    def memory_images(cls, config, args, tables, weight):
        """Its call is (in, out, weights, bias, mult, shift, offset): the weights and the per-channel parameters."""
        bias, mult, shift, offset = (tables[name] for name in args[-4:])
        weight_file, param_file = mvau_memories(weight, bias, mult, shift, config.SIMD, config.PE,
                                                config.BANK_BITS // config.BANK_LANES, config.ACC_BITS,
                                                config.SHIFT_BITS, *cls._offset(config, offset))
        return {"WEIGHT_FILE": weight_file, "PARAM_FILE": param_file}


class MvauStreamed(Mvau):
    """Its weight tiles come in as words of W_BEATS beats; its output goes pixel group by pixel group, each group's
    words by channel group (channel major)."""

    name, in_ports, tie_offs, Config = "mvau_streamed", ("in", "w"), (), MvauStreamedConfig
    # It reads its first pixel group during the first neuron fold, as it arrives, and every other fold of the group
    # needs all of it.
    busy_after_lead = True

    @classmethod
    def cycles(cls, config):
        return streamed_mvau_cycles(config.PIXELS, config.GROUP, config.NF, config.SF, config.W_BEATS)

    @classmethod
    def lead_fraction(cls, config):  # its first group is read during the first neuron fold, which ends with it
        return min(config.GROUP, config.PIXELS) / config.PIXELS

    @classmethod
    def tail_cycles(cls, config):
        """The last pixel group is read during its first neuron fold; the others replay it (or wait for the
        weights)."""
        last_group = max(pixel_groups(config.PIXELS, config.GROUP)[-1], config.W_BEATS)
        return (config.NF - 1) * last_group * config.SF + config.SF + mvau_fill(config)

    @classmethod
    def deepen_fifos(cls, config, inputs, outputs, interval, consumer_of):
        """It reads a pixel group during its first neuron fold and nothing during the others: its input holds a
        group, so that the producer writes the next one meanwhile (a ping-pong with its group buffer); its weight
        stream holds a fold's tiles, read during the fold's first pixel, so the next fold's arrive meanwhile."""
        x, weights = inputs
        x.depth = max(x.depth, streamed_input_depth(config.GROUP * x.pixel_words, x.pixel_words))
        weights.depth = max(weights.depth, streamed_weights_depth(config.SF))

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        weights = inputs[1]
        return {**super().verilog_params(config, inputs, outputs, layer), **pick(config, "PIXELS GROUP"),
                "W_WORD_BITS": weights.lanes * weights.bits}

    @classmethod
    def memory_images(cls, config, args, tables, weight):
        """Its call is (in, w, out, bias, mult, shift, offset): the per-channel parameters (the weights stream
        in)."""
        bias, mult, shift, offset = (tables[name] for name in args[-4:])
        return {"PARAM_FILE": mvau_param_memory(bias, mult, shift, len(weight), config.PE, config.ACC_BITS,
                                                config.SHIFT_BITS, *cls._offset(config, offset))}
