"""What every kernel of hw/hls/ and hw/rtl/ tells the compiler about itself: one class per kernel (this package's
modules), looked up by the kernel name a process of the dataflow graph carries (`kernel(name)`).

A kernel class owns its contract: its configuration (`Config`, a typed dataclass: the members of the HLS kernel's
configuration struct, which derives from the base struct its header declares, `sf::<kernel>_config`), its Verilog
twin (module and stream ports, in the order of the process's input and output streams) and the Verilog parameters of
a configuration, its cycle model, its FIFO needs and its resources. The dataflow graph (compiler/dataflow/graph.py)
gives every process a `Config` instance; the back ends, the planner, the FIFO sizing and the estimate ask the
process's kernel class. docs/architecture.md walks through adding a kernel.

The cycle model. Every kernel moves at most one word per port per cycle (II = 1, hw/hls and hw/rtl alike), so a
process that is never starved nor blocked ("free-running") needs, per frame, the word count of its busiest port plus
what its schedule adds: the MVAU's NF * SF tiles per pixel, the window generator's wait for input rows, the global
pool's output phase. `cycles` gives that figure; the network's frame interval is the largest one once the FIFOs
decouple the kernels (compiler/dataflow/fifo.py sizes them for it), and the planner balances the pipeline on it.
`squeezeflow rtlsim --per-layer` measures the same figures in Verilator, so the model is checked against them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from .. import ir
from . import kernel_costs

REGISTRY: dict[str, type[Kernel]] = {}
MIN_DEPTH = 2  # what sf_fifo and hls::stream need to move a word per cycle


CType = str  # an HLS type ("ap_int<8>"): a Config member of this annotation is a typedef of the struct
_MEMBER_KINDS = {"int": "int", "CType": "type", "str": "str"}  # annotation -> how layer.h.j2 declares the member


@dataclass(frozen=True)
class Config:
    """A kernel's configuration: the members of its HLS configuration struct, in declaration order. `int` members
    are `static const int`, `CType` members typedefs, `str` members string constants. The struct derives from
    `sf::<hls_base>`, which the kernel's header declares with the same members (tests/test_kernel_contracts.py)."""

    hls_base: ClassVar[str]
    kernel: ClassVar[str]  # the name of the kernel class it configures (set when that class is defined)

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            expected = int if f.type == "int" else str
            if type(value) is not expected:  # numpy integers and bools would reach the JSON and the C++ as such
                raise TypeError(f"{type(self).__name__}.{f.name} = {value!r}: not {expected.__name__}")

    def members(self) -> list[tuple[str, str, object]]:
        """(kind, name, value) of every member: kind "int", "type" or "str"."""
        return [(_MEMBER_KINDS[f.type], f.name, getattr(self, f.name)) for f in fields(self)]

    def to_dict(self) -> dict[str, object]:
        """The members by name, in order (dataflow.json)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Kernel:
    """A kernel of hw/hls/ and hw/rtl/: a subclass per kernel, registered by `name`, with classmethods only (the
    module docstring says what it owns). The defaults describe a kernel that moves a word per cycle and writes its
    output as its input arrives."""

    Config: ClassVar[type[Config]]
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
    # The Verilog twin's ports a process leaves unconnected: (port, constant or "" for an open output).
    tie_offs: ClassVar[tuple[tuple[str, str], ...]] = ()
    # An AXI4-Stream converter at the accelerator's boundary: "in" (its `in` is a top port: the HLS call's first
    # argument) or "out" (its `out` is the top's `out`).
    axi_port: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in vars(cls):  # a kernel, not a shared base
            REGISTRY[cls.name] = cls
            cls.Config.kernel = cls.name

    @classmethod
    def cycles(cls, config) -> int:
        """Free-running cycles per frame."""
        raise NotImplementedError(cls.name)

    @classmethod
    def ideal_cycles(cls, config, port_words: list[int]) -> int:
        """Cycles per frame it needs at least: its busiest port, a word per cycle (`port_words`: every stream's words
        per frame). A schedule's losses come on top (`cycles`)."""
        return max(port_words)

    @classmethod
    def lead_fraction(cls, config) -> float:
        """The share of a frame's input it reads before its first output word."""
        return 0.0

    @classmethod
    def tail_cycles(cls, config) -> int:
        """Cycles from its last input word of a frame to its last output word, free-running."""
        return 1 + cls.fill

    @classmethod
    def deepen_fifos(cls, config, inputs, outputs, interval: int, consumer_of) -> None:
        """Deepen the streams around a process of this kernel beyond their least depth (MIN_DEPTH and a pixel), for
        what its schedule needs (compiler/dataflow/fifo.py's rules), at the pipeline's `interval` (cycles per frame);
        `consumer_of(stream)` is the process reading a stream, or None. Called in topological order."""

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer) -> dict[str, int]:
        """The Verilog parameters of a process: its configuration `config`, plus what the HLS types carry (from its
        `inputs` and `outputs` streams, and the IR `layer` that owns it)."""
        raise NotImplementedError(cls.name)

    @classmethod
    def memory_images(cls, config, args: list[str], tables: dict[str, np.ndarray], weight) -> dict[str, str]:
        """Its Verilog twin's $readmemh images by file parameter: `args` are the process's HLS call arguments
        (streams, then tables by name), `tables` every per-channel table of its owner in channel order, by name,
        `weight` its owner's OIHW weights (or None)."""
        return {}

    @classmethod
    def resources(cls, params: dict[str, int]) -> kernel_costs.Cost:
        """The resources of its Verilog twin with parameters `params` (kernel_costs.py's fitted model)."""
        return kernel_costs.kernel_cost(cls.module, params)


class WordByWord(Kernel):
    """A kernel that moves a frame's WORDS words at one a cycle (a word in, a word out)."""

    @classmethod
    def cycles(cls, config):
        return config.WORDS


def hex_words(fields: np.ndarray, widths) -> str:
    """$readmemh text: one word per row of `fields` (words x fields integers), field i two's complement in
    widths[i] bits, the first field lowest."""
    fields = np.asarray(fields, dtype=np.int64)
    widths = np.broadcast_to(np.asarray(widths, dtype=np.int64), fields.shape[1:])
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).tolist()
    masks = [(1 << int(w)) - 1 for w in widths]
    digits = max(1, -(-int(widths.sum()) // 4))
    lines = []
    for row in fields.tolist():
        word = 0
        for value, offset, mask in zip(row, offsets, masks):
            word |= (value & mask) << offset
        lines.append(f"{word:0{digits}x}")
    return "\n".join(lines) + "\n"


def row_burst_pixels(config) -> int:
    """Output pixels a window or separable pool of row stride SH writes beyond what its consumer takes meanwhile."""
    return math.ceil((config.SH - 1) / config.SH * config.WO)


def pick(config: Config, names: str) -> dict[str, int]:
    """The configuration members `names` (space-separated) of `config`."""
    return {name: getattr(config, name) for name in names.split()}


def kernel(name: str) -> type[Kernel]:
    """The class of kernel `name` (a process's kernel)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"no kernel {name!r}: one of {', '.join(sorted(REGISTRY))}") from None


def verilog_params(net: ir.Network, p) -> dict[str, int]:
    """The Verilog parameters of process `p` of `net`'s dataflow graph (its kernel's verilog_params)."""
    layer = next((layer for layer in net.layers if layer.name == p.owner), None)
    return kernel(p.kernel).verilog_params(p.config, p.inputs, p.outputs, layer)
