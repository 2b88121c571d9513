"""Max pooling: sf::maxpool (hw/hls/sf_maxpool.h) takes the K words of each window from a window generator;
sf::pool (sf_pool.h), a separable max pool, reads the input once and keeps running maxima per column and row slot
(compiler/dataflow/graph.py pool_is_separable says when it can)."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Config, CType, Kernel, pick, row_burst_pixels
from .window import window_lead_fraction


@dataclass(frozen=True)
class MaxPoolConfig(Config):
    """sf::maxpool's configuration (hw/hls/sf_maxpool.h maxpool_config)."""

    hls_base = "maxpool_config"
    lane_t: CType
    word_t: CType
    LANES: int
    K: int  # window positions (KH * KW)
    CG: int
    PIXELS: int  # output pixels


class MaxPool(Kernel):
    """The maximum of each window from sf::window, lane by lane."""

    name, module, passes_row_bursts, Config = "maxpool", "sf_maxpool", True, MaxPoolConfig

    @classmethod
    def cycles(cls, config):
        return config.PIXELS * config.K * config.CG

    @classmethod
    def lead_fraction(cls, config):
        return 1 / config.PIXELS

    @classmethod
    def tail_cycles(cls, config):
        return config.K * config.CG

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {**pick(config, "LANES K CG"), "BITS": x.bits, "SIGNED": x.signed}


@dataclass(frozen=True)
class PoolConfig(Config):
    """sf::pool's configuration (hw/hls/sf_pool.h pool_config)."""

    hls_base = "pool_config"
    lane_t: CType
    word_t: CType
    LANES: int
    CG: int
    H: int
    W: int
    KH: int
    KW: int
    SH: int
    SW: int
    PT: int
    PL: int
    HO: int
    WO: int
    NA: int  # column slots: windows a column can be in, ceil(KW / SW)
    NB: int  # row slots, ceil(KH / SH)


class Pool(Kernel):
    """A separable max pool: running maxima per column and row slot, reading the input once."""

    name, module, Config = "pool", "sf_pool", PoolConfig

    @classmethod
    def cycles(cls, config):
        return config.H * config.W * config.CG

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
