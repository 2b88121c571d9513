"""Weight layouts: a convolution's weights in the order its MVAU reads them, and the DDR weight image.

sf_mvau (both twins) consumes, per pixel, tile nf * SF + sf: the weights of PE output channels for one SIMD word of
the input vector (kernel row, column, then channel, each pixel's last word zero-padded: ir.Conv.sf). The on-chip
memories (compiler/backends/emit_hls.py, emit_rtl.py) and the weights port's stream (hw/spec.py WEIGHTS_PORT) both
lay out these tiles.
"""
from __future__ import annotations

import numpy as np

from squeezeflow.hw import spec

from .. import ir


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
