"""BUILD/manifest.json, the host driver's contract, and BUILD/sim/, the overlay of the simulated board.

The manifest is a view of the IR (templates/manifest.json.j2) with every number computed here: what the driver needs
to feed the accelerator and read its answer without the compiler (stream geometry and quantization, preprocessing,
labels), the model hash the accelerator's read-only register must report, and the names of the IP instances in the
block design (those compiler/backends/bitstream.py gives them; it publishes this manifest beside the bitstream with an
`overlay` section that the driver prefers when present).

BUILD/sim/squeezeflow.{bit,hwh} describe a Zynq UltraScale+ board with that block design (templates/host/
sim_overlay.hwh.j2): what pynq's Overlay parses when the driver runs its software backend on the simulated device
(host/sim_device.py). The .bit is empty: the simulated device programs nothing.
"""
from __future__ import annotations

import json
from pathlib import Path

import jinja2

from squeezeflow import templates
from squeezeflow.host.codec import input_beats, output_beats
from squeezeflow.hw import spec

from .. import ir
from ..boards import board
from ..dataflow.weights import weight_image
from .shell import ACCELERATOR_IP, DMA_IP, HLS_VLNV, WEIGHT_IMAGE, WEIGHTS_DMA, model_hash, weights_from_ddr

MANIFEST_VERSION = 1
# What the driver's software backend loads, relative to BUILD/ (bitstreams are published elsewhere, with a copy of
# this manifest beside them).
FILES = {"sim_overlay": "sim/squeezeflow.bit", "csim_library": "hls/csim/libsqueezeflow.so"}
# The simulated board's address map: the PS's HPM0 window for the AXI-lite slaves (the weights DMA's only when a
# layer streams its weights from DDR), DDR through S_AXI_HP0.
SIM_REGISTER_BASES = {DMA_IP: 0xA000_0000, ACCELERATOR_IP: 0xA001_0000, WEIGHTS_DMA: 0xA002_0000}
SIM_REGISTER_RANGE = 0x1_0000
SIM_DDR = (0x0, 0x7FFF_FFFF)
SIM_IOPLL_MHZ = 1500  # the PL clocks' source in the simulated PS (host/sim_device.py seeds its PLL register)

INPUT_PACKING = (f"HWC order (rows, then columns, channels innermost), one {8 * spec.INPUT_BYTES_PER_VALUE}-bit "
                 f"two's complement value per byte, bytes little-endian in {spec.AXI_STREAM_BITS}-bit beats, the last "
                 "beat zero-padded")
OUTPUT_PACKING = (f"one little-endian int{8 * spec.OUTPUT_BYTES_PER_VALUE} logit per class in class order, "
                  f"{spec.AXI_STREAM_BITS // (8 * spec.OUTPUT_BYTES_PER_VALUE)} per beat, the last beat zero-padded, "
                  "TLAST on the frame's last beat")


def _env():
    folder = Path(templates.__file__).resolve().parent
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["hex"] = lambda v, digits=8: f"0x{v:0{digits}X}"
    return env


def context(net: ir.Network) -> dict:
    """The manifest's numbers, for templates/manifest.json.j2."""
    target = board(net.board)
    logits = net.output_layer.out_type
    return dict(
        net=net, board=target, version=MANIFEST_VERSION, hash32=model_hash(net), axi_bits=spec.AXI_STREAM_BITS,
        input=dict(shape=net.input_shape, bits=net.input_type.bits, signed=net.input_type.signed,
                   scale=net.input_type.scale, zero_point=net.input_type.zero_point, lo=net.input_type.lo,
                   hi=net.input_type.hi, beats=input_beats(net.input_shape), packing=INPUT_PACKING),
        # A logit's real value is scale * (value - zero_point).
        output=dict(num_classes=net.num_classes, bits=8 * spec.OUTPUT_BYTES_PER_VALUE, signed=True,
                    scale=logits.scale, zero_point=logits.zero_point, beats=output_beats(net.num_classes),
                    packing=OUTPUT_PACKING),
        ip=dict(dma=DMA_IP, accelerator=ACCELERATOR_IP, accelerator_vlnv=HLS_VLNV),
        weights_from_ddr=weights_from_ddr(net, WEIGHT_IMAGE),
        files=FILES)


def sim_context(net: ir.Network) -> dict:
    """The simulated board's numbers, for templates/host/sim_overlay.hwh.j2."""
    target = board(net.board)
    # PL clock 0 drives the design at (the IOPLL divided to nearest) the board's clock, 1 to 3 are off at 100 MHz;
    # PS parameters as Vivado writes them, for pynq's ClockDictView and Clocks.
    divisors = [max(1, round(SIM_IOPLL_MHZ / target.clock_mhz))] + [SIM_IOPLL_MHZ // 100] * 3
    clocks = [dict(enable=int(i == 0), mhz=SIM_IOPLL_MHZ / d, divisor0=d, divisor1=1) for i, d in enumerate(divisors)]
    # The weights DMA (MM2S only, into the accelerator's weights port) when a layer streams its weights from DDR.
    ddr = weights_from_ddr(net, WEIGHT_IMAGE)
    weights_dma, weights_port = (ddr["dma"], ddr["port"]) if ddr else (None, None)
    bases = {name: (base, base + SIM_REGISTER_RANGE - 1) for name, base in SIM_REGISTER_BASES.items()
             if name in (DMA_IP, ACCELERATOR_IP, weights_dma)}
    return dict(name="squeezeflow", part=target.part, clocks=clocks,
                dma=DMA_IP, accelerator=ACCELERATOR_IP, accelerator_vlnv=HLS_VLNV, top=spec.TOP, bases=bases,
                weights_dma=weights_dma, weights_port=weights_port,
                ddr=SIM_DDR, axi_bytes=spec.AXI_STREAM_BITS // 8, axi_bits=spec.AXI_STREAM_BITS)


def write(build_dir, net: ir.Network, arrays) -> None:
    """BUILD/manifest.json, BUILD/sim/squeezeflow.{bit,hwh} and, when a layer streams its weights from DDR, the
    image the host keeps in DDR for the weights DMA (BUILD/ddr_weights.bin: one frame of spec.WEIGHTS_PORT's stream)."""
    env = _env()
    text = env.get_template("manifest.json.j2").render(**context(net))
    json.loads(text)  # the template must give valid JSON; fail the build, not the board
    Path(build_dir, "manifest.json").write_text(text)
    bit = Path(build_dir, FILES["sim_overlay"])
    bit.parent.mkdir(parents=True, exist_ok=True)
    bit.write_bytes(b"")
    bit.with_suffix(".hwh").write_text(env.get_template("host/sim_overlay.hwh.j2").render(**sim_context(net)))
    image = weight_image(net, arrays)
    if len(image):
        image.tofile(Path(build_dir, WEIGHT_IMAGE))
