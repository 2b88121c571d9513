"""What every kernel of hw/hls/ and hw/rtl/ tells the compiler about itself: one class per kernel (this package's
modules), looked up by the kernel name a process of the dataflow graph carries (`kernel(name)`).

A kernel class owns its contract: its Verilog twin (module and stream ports, in the order of the process's input and
output streams), its Verilog parameters for a process, and its cycle model. The configuration `config` its methods take
is the process's integer configuration: the HLS kernel's integer members, by name (compiler/dataflow/graph.py).
Resources are the Verilog module's (kernel_costs.kernel_cost).

The cycle model. Every kernel moves at most one word per port per cycle (II = 1, hw/hls and hw/rtl alike), so a
process that is never starved nor blocked ("free-running") needs, per frame, the word count of its busiest port plus
what its schedule adds: the MVAU's NF * SF tiles per pixel, the window generator's wait for input rows, the global
pool's output phase. `cycles` gives that figure; the network's frame interval is the largest one once the FIFOs
decouple the kernels (compiler/dataflow/fifo.py sizes them for it), and the planner balances the pipeline on it.
`squeezeflow rtlsim --per-layer` measures the same figures in Verilator, so the model is checked against them.
"""
from __future__ import annotations

import math
from typing import ClassVar

from .. import ir

REGISTRY: dict[str, type[Kernel]] = {}
MIN_DEPTH = 2  # what sf_fifo and hls::stream need to move a word per cycle


class Kernel:
    name: ClassVar[str]  # sf::<name> in hw/hls/sf_<name>.h (the process's kernel in the dataflow graph)
    module: ClassVar[str]  # its Verilog twin, hw/rtl/<module>.v
    in_ports: ClassVar[tuple[str, ...]] = ("in",)
    out_ports: ClassVar[tuple[str, ...]] = ("out",)
    fill: ClassVar[int] = 0  # register stages between input and output (the RTL twin)
    # Whether it does its frame's work only once its lead is in (estimate.py's latency), rather than as its input
    # arrives.
    busy_after_lead: ClassVar[bool] = False
    # FIFO sizing (compiler/dataflow/fifo.py): a fork sends every word to two branches that may meet again at a join,
    # which reads its inputs pixel by pixel, in step (the deadlock rule); a kernel that keeps pace with a strided
    # window's row bursts passes them on to its output (the max pool after a window).
    fork: ClassVar[bool] = False
    join: ClassVar[bool] = False
    passes_row_bursts: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in vars(cls):  # a kernel, not a shared base
            REGISTRY[cls.name] = cls

    @classmethod
    def cycles(cls, config: dict) -> int:
        """Free-running cycles per frame."""
        raise NotImplementedError(cls.name)

    @classmethod
    def ideal_cycles(cls, config: dict, port_words: list[int]) -> int:
        """Cycles per frame it needs at least: its busiest port, a word per cycle (`port_words`: every stream's words
        per frame). A schedule's losses come on top (`cycles`)."""
        return max(port_words)

    @classmethod
    def lead_fraction(cls, config: dict) -> float:
        """The share of a frame's input it reads before its first output word."""
        return 0.0

    @classmethod
    def tail_cycles(cls, config: dict) -> int:
        """Cycles from its last input word of a frame to its last output word, free-running."""
        return 1 + cls.fill

    @classmethod
    def deepen_fifos(cls, config: dict, inputs, outputs, interval: int, consumer_of) -> None:
        """Deepen the streams around a process of this kernel beyond their least depth (MIN_DEPTH and a pixel), for
        what its schedule needs (compiler/dataflow/fifo.py's rules), at the pipeline's `interval` (cycles per frame);
        `consumer_of(stream)` is the process reading a stream, or None. Called in topological order."""

    @classmethod
    def verilog_params(cls, config: dict, inputs, outputs, layer) -> dict[str, int]:
        """The Verilog parameters of a process: its configuration `config`, plus what the HLS types carry (from its
        `inputs` and `outputs` streams, and the IR `layer` that owns it)."""
        raise NotImplementedError(cls.name)


class WordByWord(Kernel):
    """A kernel that moves a frame's WORDS words at one a cycle (a word in, a word out)."""

    @classmethod
    def cycles(cls, config):
        return config["WORDS"]


def row_burst_pixels(config: dict) -> int:
    """Output pixels a window or separable pool of row stride SH writes beyond what its consumer takes meanwhile."""
    return math.ceil((config["SH"] - 1) / config["SH"] * config["WO"])


def pick(config: dict, names: str) -> dict[str, int]:
    """The configuration members `names` (space-separated) of `config`."""
    return {name: config[name] for name in names.split()}


def kernel(name: str) -> type[Kernel]:
    """The class of kernel `name` (a process's kernel)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"no kernel {name!r}: one of {', '.join(sorted(REGISTRY))}") from None


def verilog_params(net: ir.Network, p) -> dict[str, int]:
    """The Verilog parameters of process `p` of `net`'s dataflow graph (its kernel's verilog_params)."""
    layer = next((layer for layer in net.layers if layer.name == p.owner), None)
    return kernel(p.kernel).verilog_params(p.ints, p.inputs, p.outputs, layer)
