"""The fork of a layer output read by two layers (hw/hls/sf_duplicate.h, hw/rtl/sf_duplicate.v): every word to both
outputs."""
from __future__ import annotations

from .base import WordByWord


class Duplicate(WordByWord):
    name, module, out_ports, fork = "duplicate", "sf_duplicate", ("out0", "out1"), True

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        x = inputs[0]
        return {"WIDTH": x.lanes * x.bits}
