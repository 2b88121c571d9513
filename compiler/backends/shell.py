"""The accelerator's shell contract: what the block design, the manifest and the back ends must agree on.

The IP instance names the driver looks up, the HLS IP's VLNV, the weights DMA and the weight image it replays when a
layer streams its weights from DDR, and the value of the read-only model_hash register. compiler/backends/bitstream.py
builds the block design with these names, compiler/backends/manifest.py tells the driver about them.
"""
from __future__ import annotations

from squeezeflow.hw import spec

from .. import ir
from ..dataflow.weights import ddr_weight_beats, ddr_weight_layers

DMA_IP = "dma"  # xilinx.com:ip:axi_dma:7.1, direct register mode: MM2S feeds the accelerator, its output S2MM
ACCELERATOR_IP = "squeezeflow"
HLS_VLNV = f"xilinx.com:hls:{spec.TOP}:1.0"  # Vitis HLS export_design defaults (vendor, library, version)
WEIGHTS_DMA = "dma_weights"  # MM2S only: replays the weight image (WEIGHT_IMAGE) into spec.WEIGHTS_PORT
WEIGHT_IMAGE = "ddr_weights.bin"  # BUILD/'s weight image, when a layer streams its weights (weights_from_ddr.file)


def model_hash(net: ir.Network) -> int:
    """The value of the accelerator's read-only model_hash register: the first 32 bits of the model's sha256."""
    return int(net.model_sha256[:8], 16)


def weights_from_ddr(net: ir.Network, image: str) -> dict | None:
    """The manifest's `weights_from_ddr`: the DMA and port of the weight stream, its layers, its beats per frame and
    the file (`image`, relative to the manifest) the host loads into DDR; None when every weight is on chip."""
    layers = ddr_weight_layers(net)
    if not layers:
        return None
    return {"dma": WEIGHTS_DMA, "port": spec.WEIGHTS_PORT, "layers": [layer.name for layer in layers],
            "beats": ddr_weight_beats(net), "file": image}
