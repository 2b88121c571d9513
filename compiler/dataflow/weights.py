"""The DDR weight image: the tiles of the layers whose weights stream in, as the weights port carries them.

sf_mvau (both twins) consumes, per pixel, tile nf * SF + sf: the weights of PE output channels for one SIMD word of
the input vector (compiler/kernels/mvau.py weight_tiles). The on-chip memories (compiler/backends/emit_hls.py,
emit_rtl.py) and the weights port's stream (hw/spec.py WEIGHTS_PORT) both lay out these tiles.
"""
from __future__ import annotations

import numpy as np

from squeezeflow.hw import spec

from .. import ir
from ..kernels.mvau import weight_tiles


def ddr_weight_layers(net: ir.Network) -> list[ir.Conv]:
    """The convolutions whose weights stream from DDR (weight_storage "ddr"), in network order."""
    return [layer for layer in net.layers if isinstance(layer, ir.Conv) and layer.weight_storage == "ddr"]


def ddr_weight_beats(net: ir.Network) -> int:
    """Beats per frame on the weights port (hw/spec.py WEIGHTS_PORT): every streamed tile, padded to whole beats,
    once per pass."""
    return sum(layer.weight_passes * (layer.out_shape[0] // layer.pe) * layer.sf
               * spec.weight_tile_beats(layer.pe, layer.simd, layer.weight_bits) for layer in ddr_weight_layers(net))


def weight_image(net: ir.Network, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """One frame of the weights port's stream (hw/spec.py WEIGHTS_PORT) as little-endian uint64 beats: what the host
    keeps in DDR and the weights DMA replays every frame: each streamed layer's tiles once per pass (ir.Conv
    weight_passes). Empty when every layer keeps its weights on chip."""
    images = []
    for layer in ddr_weight_layers(net):
        tiles = weight_tiles(arrays[f"{layer.name}.weight"], layer.simd, layer.pe)
        # each value's two's complement bits, lowest first, unpacked from bytes (not from int64s: conv10 has 512 K)
        fields = (tiles & ((1 << layer.weight_bits) - 1)).astype("<u2" if layer.weight_bits > 8 else np.uint8)
        bits = np.unpackbits(fields.view(np.uint8).reshape(*tiles.shape, -1), axis=-1, bitorder="little")
        bits = bits[..., :layer.weight_bits].reshape(len(tiles), -1)
        beats = spec.weight_tile_beats(layer.pe, layer.simd, layer.weight_bits)
        bits = np.pad(bits, [(0, 0), (0, beats * spec.AXI_STREAM_BITS - bits.shape[1])])
        images += [np.packbits(bits, axis=1, bitorder="little").view("<u8").reshape(-1)] * layer.weight_passes
    return np.concatenate(images) if images else np.zeros(0, "<u8")
