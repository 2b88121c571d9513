"""Max pooling: sf::maxpool (hw/hls/sf_maxpool.h) takes the K words of each window from a window generator;
sf::pool (sf_pool.h), a separable max pool, reads the input once and keeps running maxima per column and row slot
(compiler/dataflow/graph.py pool_is_separable says when it can)."""
from __future__ import annotations

from .base import Kernel, pick, row_burst_pixels
from .window import window_lead_fraction


class MaxPool(Kernel):
    name, module, passes_row_bursts = "maxpool", "sf_maxpool", True

    @classmethod
    def cycles(cls, config):
        return config["PIXELS"] * config["K"] * config["CG"]

    @classmethod
    def lead_fraction(cls, config):
        return 1 / config["PIXELS"]

    @classmethod
    def tail_cycles(cls, config):
        return config["K"] * config["CG"]

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "LANES K CG"), "BITS": x.bits, "SIGNED": x.signed}


class Pool(Kernel):
    name, module = "pool", "sf_pool"

    @classmethod
    def cycles(cls, config):
        return config["H"] * config["W"] * config["CG"]

    @classmethod
    def lead_fraction(cls, config):
        return window_lead_fraction(config)

    @classmethod
    def deepen_fifos(cls, config, inputs, outputs, interval, consumer_of):
        """It emits its rows in bursts, as a strided window does: its output holds the row bursts."""
        (out,) = outputs
        out.depth += row_burst_pixels(config) * out.pixel_words

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "LANES CG H W KH KW SH SW PT PL HO WO NA NB"), "BITS": x.bits, "SIGNED": x.signed}
