"""The fork of a layer output read by two layers (hw/hls/sf_duplicate.h, hw/rtl/sf_duplicate.v): every word to both
outputs."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Config, CType, WordByWord


@dataclass(frozen=True)
class DuplicateConfig(Config):
    """sf::duplicate's configuration (hw/hls/sf_duplicate.h duplicate_config)."""

    hls_base = "duplicate_config"
    word_t: CType
    WORDS: int  # per frame


class Duplicate(WordByWord):
    """Every word to both outputs."""

    name, module, out_ports, fork, Config = "duplicate", "sf_duplicate", ("out0", "out1"), True, DuplicateConfig

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {"WIDTH": x.lanes * x.bits}
