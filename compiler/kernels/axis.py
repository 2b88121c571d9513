"""The AXI4-Stream converters at the accelerator's ports (hw/hls/sf_axis_in.h, sf_axis_out.h): 64-bit beats of
hw/spec.py's packing to and from the lane words of the dataflow."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Config, CType, Kernel, pick


def _beats(values: int, value_bits: int, axi_bits: int) -> int:
    return -(-values * value_bits // axi_bits)


@dataclass(frozen=True)
class AxisInConfig(Config):
    """sf::axis_in's configuration (hw/hls/sf_axis_in.h axis_in_config)."""

    hls_base = "axis_in_config"
    AXI_BITS: int
    VALUE_BITS: int
    value_t: CType  # ap_(u)int<VALUE_BITS>
    lane_t: CType
    word_t: CType
    LANES: int
    WORDS: int  # per frame


class AxisIn(Kernel):
    """Beats in (the input image, or a layer's weight tiles through the weights port), lane words out."""

    name, module, in_ports, axi_port, Config = "axis_in", "sf_axis_in", (), "in", AxisInConfig

    @classmethod
    def beats(cls, config) -> int:
        """AXI beats per frame."""
        return _beats(config.WORDS * config.LANES, config.VALUE_BITS, config.AXI_BITS)

    @classmethod
    def cycles(cls, config):
        return max(config.WORDS, cls.beats(config))

    @classmethod
    def ideal_cycles(cls, config, port_words):
        return max(*port_words, cls.beats(config))

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        return {**pick(config, "AXI_BITS VALUE_BITS LANES WORDS"), "LANE_BITS": outputs[0].bits}


@dataclass(frozen=True)
class AxisOutConfig(Config):
    """sf::axis_out's configuration (hw/hls/sf_axis_out.h axis_out_config)."""

    hls_base = "axis_out_config"
    AXI_BITS: int
    VALUE_BITS: int
    lane_t: CType
    VALUES: int  # per frame


class AxisOut(Kernel):
    """Logits in, one per lane word, beats out with TLAST on the frame's last."""

    name, module, out_ports, axi_port, Config = "axis_out", "sf_axis_out", (), "out", AxisOutConfig

    @classmethod
    def cycles(cls, config):
        return config.VALUES

    @classmethod
    def ideal_cycles(cls, config, port_words):
        return max(*port_words, _beats(config.VALUES, config.VALUE_BITS, config.AXI_BITS))

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "AXI_BITS VALUE_BITS VALUES"), "LANE_BITS": x.bits, "LANE_SIGNED": x.signed}
