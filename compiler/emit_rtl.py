"""Emit the Verilog of a compiled network into BUILD/rtl/ (`emit`, called by pipeline.write_build for `--backend rtl`).

The RTL back end instantiates the same dataflow graph as the HLS one (emit_hls.build_graph: kernels, streams, and
stream depths from its fork/join deadlock rule), with the Verilog twins in hw/rtl/ of the HLS kernels: one instance
per process, one sf_fifo of the stream's depth per stream. The RTL kernels follow the HLS kernels' schedules (the
window generator reads ahead exactly as far), so the depth rule holds for both; sf_fifo holds one word more than its
depth. Every number (parameters, widths, memory contents) is computed here; templates/rtl/ only lays them out.

Files: top.v (module squeezeflow_top: AXI4-Stream in and out in hw/spec.py's formats, the model_hash constant),
kernels/ (hw/rtl/, copied so the folder is self-contained), mem/ ($readmemh images of the weight and per-channel
parameter memories, paths relative to BUILD/rtl/), sources.f (the file list, top last) and harness.cpp (the Verilator
testbench of `squeezeflow rtlsim`).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from squeezeflow import templates
from squeezeflow.hw import spec

from . import ir
from .emit_hls import build_graph, model_hash

TOP = "squeezeflow_top"
LIBRARY = Path(spec.__file__).resolve().parent / "rtl"
TEMPLATES = Path(templates.__file__).resolve().parent / "rtl"

# kernel -> (Verilog module, input stream ports, output stream ports), in the order of the process's streams.
KERNELS = {
    "axis_in": ("sf_axis_in", [], ["out"]),
    "window": ("sf_window", ["in"], ["out"]),
    "mvau": ("sf_mvau", ["in"], ["out"]),
    "maxpool": ("sf_maxpool", ["in"], ["out"]),
    "regroup": ("sf_regroup", ["in"], ["out"]),
    "requant": ("sf_requant", ["in"], ["out"]),
    "gap": ("sf_gap", ["in"], ["out"]),
    "duplicate": ("sf_duplicate", ["in"], ["out0", "out1"]),
    "concat": ("sf_concat", ["a", "b"], ["out"]),
    "add": ("sf_add", ["a", "b"], ["out"]),
    "axis_out": ("sf_axis_out", ["in"], []),
}


# --- memory images ------------------------------------------------------------------------------------------------

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


def mvau_memories(weight, bias, mult, shift, simd: int, pe: int, weight_bits: int, acc_bits: int,
                  shift_bits: int) -> tuple[str, str]:
    """(WEIGHT_FILE, PARAM_FILE) images of sf_mvau for OIHW `weight` and per-output-channel bias, mult, shift."""
    w = np.asarray(weight, dtype=np.int64)
    o = w.shape[0]
    nf = o // pe
    tiles = w.transpose(0, 2, 3, 1).reshape(nf, pe, -1, simd).transpose(0, 2, 1, 3)  # nf, sf, pe, simd
    per_channel = np.stack([np.broadcast_to(np.asarray(v, dtype=np.int64), (o,)) for v in (bias, mult, shift)], -1)
    return (hex_words(tiles.reshape(-1, pe * simd), weight_bits),
            hex_words(per_channel.reshape(nf, pe * 3), [acc_bits, spec.REQUANT_MULT_BITS, shift_bits] * pe))


def requant_memory(mult, shift, channels: int, lanes: int, shift_bits: int) -> str:
    """PARAM_FILE image of sf_requant: per channel group, each lane's multiplier then shift."""
    per_channel = np.stack([np.broadcast_to(np.asarray(v, dtype=np.int64), (channels,)) for v in (mult, shift)], -1)
    return hex_words(per_channel.reshape(channels // lanes, lanes * 2), [spec.REQUANT_MULT_BITS, shift_bits] * lanes)


# --- the top level ------------------------------------------------------------------------------------------------

@dataclass
class Instance:
    name: str
    module: str
    params: list[tuple[str, str]]  # Verilog parameter -> literal
    connections: list[tuple[str, str]] = field(default_factory=list)  # port -> signal


@dataclass
class Wire:
    name: str
    msb: int


def ints(process) -> dict[str, int]:
    """The integer members of an emit_hls process's configuration (its kernel's sizes and constants)."""
    return {name: value for kind, name, value in process.config if kind == "int"}


def _per_channel(table) -> np.ndarray:
    """emit_hls's [parallel][fold] table of a per-channel value -> the values in channel order."""
    return np.asarray(table.rows, dtype=np.int64).T.reshape(-1)


class Design:
    """The top level of a network: its instances (stream FIFOs first), wires and memory images."""

    def __init__(self, net: ir.Network, arrays: dict[str, np.ndarray]):
        self.net, self.arrays = net, arrays
        self.graph = build_graph(net, arrays)
        self.memories: dict[str, str] = {}  # mem/<file> -> image
        self.instances: list[Instance] = []
        self.wires: list[Wire] = []
        self.build()

    def build(self) -> None:
        for s in self.graph.streams:
            width = s.lanes * s.bits
            for side in (f"{s.var}_p", s.var):
                self.wires.append(Wire(side, width - 1))
            fifo = Instance(f"{s.var}_fifo", "sf_fifo", [("WIDTH", str(width)), ("DEPTH", str(s.depth))])
            fifo.connections += self.stream("in", f"{s.var}_p") + self.stream("out", s.var)
            self.instances.append(fifo)
        for p in self.graph.processes:
            module, in_ports, out_ports = KERNELS[p.kernel]
            params = {name: str(int(value)) for name, value in self.params(p).items()}
            params.update({name: f'"{path}"' for name, path in self.files(p).items()})
            inst = Instance(f"p_{p.cfg}", module, list(params.items()))
            for port, s in zip(in_ports, p.inputs):
                inst.connections += self.stream(port, s.var)
            for port, s in zip(out_ports, p.outputs):
                inst.connections += self.stream(port, f"{s.var}_p")
            if p.kernel == "axis_in":
                inst.connections += self.stream("in", "in")
            if p.kernel == "axis_out":
                inst.connections += self.stream("out", "out") + [("out_tlast", "out_tlast"), ("out_tkeep", "out_tkeep")]
            self.instances.append(inst)

    @staticmethod
    def stream(port: str, signal: str) -> list[tuple[str, str]]:
        return [(f"{port}_{f}", f"{signal}_{f}") for f in ("tdata", "tvalid", "tready")]

    def params(self, p) -> dict[str, int]:
        """The Verilog parameters of process `p`: its HLS configuration, plus what the HLS types carry."""
        cfg = ints(p)
        x = p.inputs[0] if p.inputs else None
        y = p.outputs[0] if p.outputs else None

        def pick(names: str) -> dict[str, int]:
            return {name: cfg[name] for name in names.split()}

        k = p.kernel
        if k == "axis_in":
            return {**pick("AXI_BITS VALUE_BITS LANES WORDS"), "LANE_BITS": y.bits}
        if k == "window":
            return {**pick("LANES H W CG KH KW SH SW PT PL HO WO ROWS PAD"), "BITS": x.bits}
        if k == "mvau":
            return {**pick("SIMD PE SF NF ACC_BITS MULT_BITS SHIFT_BITS PRODUCT_BITS ZP LO HI"), "IN_BITS": x.bits,
                    "IN_SIGNED": x.signed, "W_BITS": self.net.layer(p.owner).weight_bits, "OUT_BITS": y.bits}
        if k == "maxpool":
            return {**pick("LANES K CG"), "BITS": x.bits, "SIGNED": x.signed}
        if k == "regroup":
            return {**pick("IN_LANES OUT_LANES"), "BITS": x.bits}
        if k == "requant":
            return {**pick("LANES CG ZP_IN MULT_BITS SHIFT_BITS PRODUCT_BITS ZP LO HI"), "IN_BITS": x.bits,
                    "IN_SIGNED": x.signed, "OUT_BITS": y.bits}
        if k == "gap":
            return {**pick("LANES CG PIXELS ZP"), "IN_BITS": x.bits, "IN_SIGNED": x.signed, "SUM_BITS": y.bits}
        if k == "duplicate":
            return {"WIDTH": x.lanes * x.bits}
        if k == "concat":
            return {**pick("CGA CGB"), "WIDTH": y.lanes * y.bits}
        if k == "add":
            a, b = p.inputs
            return {**pick("LANES MA MB ZA ZB SHIFT ZP LO HI SUM_BITS"), "A_BITS": a.bits, "A_SIGNED": a.signed,
                    "B_BITS": b.bits, "B_SIGNED": b.signed, "OUT_BITS": y.bits}
        if k == "axis_out":
            return {**pick("AXI_BITS VALUE_BITS VALUES"), "LANE_BITS": x.bits, "LANE_SIGNED": x.signed}
        raise ValueError(f"no RTL kernel for HLS kernel {k!r}")

    def files(self, p) -> dict[str, str]:
        """The memory images of process `p` (weights, per-channel parameters), registered in self.memories."""
        if p.kernel not in ("mvau", "requant"):
            return {}
        cfg = ints(p)
        tables = {t.name: t for t in self.graph.tables[p.owner]}
        mult, shift = (_per_channel(tables[name]) for name in p.args[-2:])
        if p.kernel == "requant":
            images = {"PARAM_FILE": requant_memory(mult, shift, mult.size, cfg["LANES"], cfg["SHIFT_BITS"])}
        else:
            layer = self.net.layer(p.owner)
            weights, params = mvau_memories(self.arrays[f"{layer.name}.weight"], _per_channel(tables[p.args[3]]),
                                            mult, shift, cfg["SIMD"], cfg["PE"], layer.weight_bits, cfg["ACC_BITS"],
                                            cfg["SHIFT_BITS"])
            images = {"WEIGHT_FILE": weights, "PARAM_FILE": params}
        paths = {}
        for name, image in images.items():
            path = f"mem/{p.cfg}_{name.split('_')[0].lower()}s.hex"
            self.memories[path] = image
            paths[name] = path
        return paths


def emit(out_dir, net: ir.Network, arrays: dict[str, np.ndarray]) -> None:
    """Write BUILD/rtl/ for a folded network (see the module docstring); the same input gives the same bytes."""
    import jinja2

    from squeezeflow.host.codec import input_beats, output_beats

    out_dir = Path(out_dir)
    design = Design(net, arrays)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    kernels = sorted(LIBRARY.glob("*.v"))
    context = dict(net=net, top=TOP, instances=design.instances, wires=design.wires,
                   axi_msb=spec.AXI_STREAM_BITS - 1,
                   keep_msb=spec.AXI_STREAM_BITS // 8 - 1, hash=f"32'h{model_hash(net):08x}",
                   in_beats=input_beats(net.input_shape), out_beats=output_beats(net.num_classes),
                   sources=[f"kernels/{k.name}" for k in kernels] + ["top.v"])
    (out_dir / "kernels").mkdir(parents=True)
    (out_dir / "mem").mkdir()
    for name in ("top.v", "sources.f", "harness.cpp"):
        (out_dir / name).write_text(env.get_template(f"{name}.j2").render(**context))
    for kernel in kernels:
        shutil.copyfile(kernel, out_dir / "kernels" / kernel.name)
    for path, image in design.memories.items():
        (out_dir / path).write_text(image)
