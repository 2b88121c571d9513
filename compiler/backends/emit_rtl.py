"""Emit the Verilog of a compiled network into BUILD/rtl/ (`emit`, called by pipeline.write_build for `--backend rtl`).

The RTL back end instantiates the same dataflow graph as the HLS one (graph.build_graph: kernels, streams, and
stream depths from its fork/join deadlock rule), with the Verilog twins in hw/rtl/ of the HLS kernels: one instance
per process, one sf_fifo of the stream's depth per stream. The RTL kernels follow the HLS kernels' schedules (the
window generator reads ahead exactly as far), so the depth rule holds for both; sf_fifo holds one word more than its
depth. Every number (parameters, widths, memory contents) is computed here; templates/rtl/ only lays them out.

Files: top.v (module squeezeflow_top: AXI4-Stream in and out in hw/spec.py's formats, the model_hash constant),
kernels/ (hw/rtl/, copied so the folder is self-contained), mem/ ($readmemh images of the weight and per-channel
parameter memories, paths relative to BUILD/rtl/), sources.f (the file list, top last) and harness.cpp (the Verilator
testbench of `squeezeflow rtlsim`).

Per-layer cycle counts (`squeezeflow rtlsim --per-layer`) come from layers.v (module squeezeflow_layers), its file
list layers.f and its Verilator testbench layers_harness.cpp; none of them is part of sources.f. squeezeflow_layers
holds every layer on its own: the processes a layer owns (emit_hls's `owner`; the AXI converters are the groups
"input" and "output"), the streams between them with the top's FIFO depths, and every other stream they read or
write as a port, so that each layer can be driven at full rate and measured without its neighbours' back pressure.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from squeezeflow import templates
from squeezeflow.host.codec import input_beats, output_beats
from squeezeflow.hw import spec

from .. import ir
from ..dataflow.graph import Graph
from ..kernels.base import kernel, verilog_params
from .shell import WEIGHT_IMAGE, model_hash, weights_from_ddr

TOP = spec.TOP
LAYERS = "squeezeflow_layers"  # every layer on its own (layers.v)
LIBRARY = Path(spec.__file__).resolve().parent / "rtl"
TEMPLATES = Path(templates.__file__).resolve().parent / "rtl"


# --- the top level ------------------------------------------------------------------------------------------------

@dataclass
class Instance:
    """An instance of a module: its Verilog parameters and its port connections."""

    name: str
    module: str
    params: list[tuple[str, str]]  # Verilog parameter -> literal
    connections: list[tuple[str, str]] = field(default_factory=list)  # port -> signal


@dataclass
class Wire:
    """A wire between two instances of a block; `msb` is its width minus one."""

    name: str
    msb: int


@dataclass
class Port:
    """A stream port of a block: signals `name`_tdata, _tvalid and _tready, plus `sideband` (suffix, msb) ones."""

    name: str
    msb: int
    output: bool
    words: int  # per frame
    carries: str  # the stream's name, or the AXI port's
    sideband: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Block:
    """Instances of some processes, the wires between them and the ports to the others."""

    name: str
    instances: list[Instance]
    wires: list[Wire]
    ports: list[Port]


def _per_channel(table) -> np.ndarray:
    """emit_hls's [parallel][fold] table of a per-channel value -> the values in channel order."""
    return np.asarray(table.rows, dtype=np.int64).T.reshape(-1)


class Design:
    """The top level of a network: its instances (stream FIFOs first), wires and memory images; `layers()` gives
    each layer on its own."""

    def __init__(self, net: ir.Network, arrays: dict[str, np.ndarray], graph: Graph):
        self.net, self.arrays, self.graph = net, arrays, graph
        self.memories: dict[str, str] = {}  # mem/<file> -> image
        self.consumer = {s: p for p in self.graph.processes for s in p.inputs}
        self.literals = {p: self.parameter_literals(p) for p in self.graph.processes}
        top = self.block(self.graph.processes)
        self.instances, self.wires = top.instances, top.wires

    def layers(self) -> list[Block]:
        """One block per owner, in graph order: processes and signals prefixed g<index>_, ports g<index>_in<k> and
        g<index>_out<k> (names without double underscores, which Verilator mangles in the C++ model)."""
        owners = dict.fromkeys(p.owner for p in self.graph.processes)
        return [self.block([p for p in self.graph.processes if p.owner == owner], f"g{i}_", owner)
                for i, owner in enumerate(owners)]

    def block(self, processes, prefix: str = "", name: str = TOP) -> Block:
        """`processes` with every stream between two of them through its FIFO; every other stream they touch is a
        port, and so are the AXI ports of the converters (`prefix`in and `prefix`out: the top's `in` and `out`)."""
        inside = set(processes)
        instances, wires, ports = [], [], []
        ends = {}  # stream -> (the signal its producer drives, the signal its consumer reads)
        for s in self.graph.streams:
            width = s.lanes * s.bits
            produced, consumed = s.producer in inside, self.consumer[s] in inside
            if produced and consumed:
                ends[s] = (f"{prefix}{s.var}_p", f"{prefix}{s.var}")
                wires += [Wire(side, width - 1) for side in ends[s]]
                fifo = Instance(f"{prefix}{s.var}_fifo", "sf_fifo", [("WIDTH", str(width)), ("DEPTH", str(s.depth))])
                fifo.connections += self.stream("in", ends[s][0]) + self.stream("out", ends[s][1])
                instances.append(fifo)
            elif produced or consumed:
                count = sum(q.output == produced for q in ports)
                port = Port(f"{prefix}{'out' if produced else 'in'}{count}", width - 1, produced, s.words, s.name)
                ports.append(port)
                ends[s] = (port.name, port.name)
        for p in processes:
            k = kernel(p.kernel)
            inst = Instance(f"{prefix}p_{p.cfg}", k.module, self.literals[p])
            for port, s in zip(k.in_ports, p.inputs):
                inst.connections += self.stream(port, ends[s][1])
            for port, s in zip(k.out_ports, p.outputs):
                inst.connections += self.stream(port, ends[s][0])
            inst.connections += list(k.tie_offs)
            if k.axi_port == "in":  # from the top's `in` or WEIGHTS_PORT, the HLS call's first argument
                top_port = p.args[0]
                ports.append(Port(f"{prefix}{top_port}", spec.AXI_STREAM_BITS - 1, False, k.beats(p.config),
                                  f"AXI4-Stream {top_port}"))
                inst.connections += self.stream("in", f"{prefix}{top_port}")
            if k.axi_port == "out":
                ports.append(Port(f"{prefix}out", spec.AXI_STREAM_BITS - 1, True, output_beats(self.net.num_classes),
                                  "AXI4-Stream output", [("tlast", 0), ("tkeep", spec.AXI_STREAM_BITS // 8 - 1)]))
                inst.connections += self.stream("out", f"{prefix}out") + [
                    ("out_tlast", f"{prefix}out_tlast"), ("out_tkeep", f"{prefix}out_tkeep")]
            instances.append(inst)
        return Block(name, instances, wires, sorted(ports, key=lambda q: q.output))  # inputs first

    def parameter_literals(self, p) -> list[tuple[str, str]]:
        """The Verilog parameters of process `p` as literals, its memory images registered in self.memories."""
        params = {name: str(int(value)) for name, value in verilog_params(self.net, p).items()}
        params.update({name: f'"{path}"' for name, path in self.files(p).items()})
        return list(params.items())

    @staticmethod
    def stream(port: str, signal: str) -> list[tuple[str, str]]:
        """The connections of stream port `port` to the signals of `signal`: _tdata, _tvalid and _tready."""
        return [(f"{port}_{f}", f"{signal}_{f}") for f in ("tdata", "tvalid", "tready")]

    def files(self, p) -> dict[str, str]:
        """The memory images of process `p` (its kernel's memory_images), registered in self.memories."""
        tables = {t.name: _per_channel(t) for t in self.graph.tables.get(p.owner, [])}
        weight = self.arrays.get(f"{p.owner}.weight")
        paths = {}
        for name, image in kernel(p.kernel).memory_images(p.config, p.args, tables, weight).items():
            path = f"mem/{p.cfg}_{name.split('_')[0].lower()}s.hex"
            self.memories[path] = image
            paths[name] = path
        return paths


def emit(out_dir, net: ir.Network, arrays: dict[str, np.ndarray], graph: Graph) -> None:
    """Write BUILD/rtl/ for a folded network and its dataflow graph (see the module docstring); the same input gives
    the same bytes."""
    out_dir = Path(out_dir)
    design = Design(net, arrays, graph)
    ddr = weights_from_ddr(net, WEIGHT_IMAGE)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["cstring"] = json.dumps  # an ASCII JSON string is a valid C string literal
    sources = [f"kernels/{k.name}" for k in sorted(LIBRARY.glob("*.v"))]
    context = dict(net=net, top=TOP, instances=design.instances, wires=design.wires,
                   axi_msb=spec.AXI_STREAM_BITS - 1,
                   keep_msb=spec.AXI_STREAM_BITS // 8 - 1, hash=f"32'h{model_hash(net):08x}",
                   in_beats=input_beats(net.input_shape), out_beats=output_beats(net.num_classes),
                   weight_beats=ddr["beats"] if ddr else 0, weights_port=spec.WEIGHTS_PORT,
                   weight_file=f"../{ddr['file']}" if ddr else None,
                   layers_top=LAYERS, groups=design.layers())
    (out_dir / "kernels").mkdir(parents=True)
    (out_dir / "mem").mkdir()

    def write(name: str, template: str | None = None, **extra) -> None:
        """Render `template` (default: `name`.j2) with the context (and `extra`) into out_dir/`name`."""
        (out_dir / name).write_text(env.get_template(template or f"{name}.j2").render(**context, **extra))

    for name in ("top.v", "harness.cpp", "layers.v", "layers_harness.cpp"):
        write(name)
    write("sources.f", sources=sources + ["top.v"])
    write("layers.f", "sources.f.j2", sources=sources + ["layers.v"])
    for source in sources:
        shutil.copyfile(LIBRARY / Path(source).name, out_dir / source)
    for path, image in design.memories.items():
        (out_dir / path).write_text(image)
