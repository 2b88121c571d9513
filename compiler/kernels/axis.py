"""The AXI4-Stream converters at the accelerator's ports (hw/hls/sf_axis_in.h, sf_axis_out.h): 64-bit beats of
hw/spec.py's packing to and from the lane words of the dataflow."""
from __future__ import annotations

from .base import Kernel, pick


def _beats(values: int, value_bits: int, axi_bits: int) -> int:
    return -(-values * value_bits // axi_bits)


class AxisIn(Kernel):
    """Beats in (the input image, or a layer's weight tiles through the weights port), lane words out."""

    name, module, in_ports = "axis_in", "sf_axis_in", ()

    @classmethod
    def cycles(cls, config):
        return max(config["WORDS"], _beats(config["WORDS"] * config["LANES"], config["VALUE_BITS"], config["AXI_BITS"]))

    @classmethod
    def ideal_cycles(cls, config, port_words):
        return max(*port_words, _beats(config["WORDS"] * config["LANES"], config["VALUE_BITS"], config["AXI_BITS"]))

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        return {**pick(config, "AXI_BITS VALUE_BITS LANES WORDS"), "LANE_BITS": outputs[0].bits}


class AxisOut(Kernel):
    """Logits in, one per lane word, beats out with TLAST on the frame's last."""

    name, module, out_ports = "axis_out", "sf_axis_out", ()

    @classmethod
    def cycles(cls, config):
        return config["VALUES"]

    @classmethod
    def ideal_cycles(cls, config, port_words):
        return max(*port_words, _beats(config["VALUES"], config["VALUE_BITS"], config["AXI_BITS"]))

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "AXI_BITS VALUE_BITS VALUES"), "LANE_BITS": x.bits, "LANE_SIGNED": x.signed}
