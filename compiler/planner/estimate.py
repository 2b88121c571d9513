"""Performance and resource estimate of a folded network on a board: what report.json / report.html show.

Built from the dataflow graph both back ends instantiate (graph.build_graph): every process gets its cycles per
frame (its kernel class, compiler/kernels/) and its resources (kernel_costs.py), every stream its FIFO. A layer's
row gathers the processes it owns and the FIFOs it reads from. The frame interval is the slowest process's cycles
(the FIFOs are sized so that the pipeline reaches it: fifo.py). The latency follows one frame through an idle
pipeline as a flow: a process writes its first word once it has read its lead (its kernel's lead_fraction: a
window's first rows, an MVAU's first pixel, the global pool's whole frame, a streamed-weight MVAU's first pixel
group) of its input as fast as that arrives,
and its last word no sooner than its own cycles after its first input (a streamed-weight MVAU: after its first
group), nor than its tail (its kernel's tail_cycles) after its last.
The roofline is what the board's DSPs could do at best: DSPs x clock x MACs per DSP per cycle (2 where two
products pack into one DSP, else 1) / MACs per frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from squeezeflow.hw import spec

from .. import ir
from ..boards import Board
from ..dataflow.graph import build_graph
from ..dataflow.weights import ddr_weight_beats
from ..kernels import kernel_costs
from ..kernels.base import kernel, verilog_params
from ..kernels.kernel_costs import RESOURCES


def device_counts(resources: dict[str, float]) -> dict[str, float]:
    """Resources as the device counts them: LUTs used as memory are LUTs too."""
    return dict(resources, lut=resources["lut"] + resources["lutram"])


def _cost_dict(cost) -> dict[str, float]:
    return {r: round(float(getattr(cost, r)), 1) for r in RESOURCES}


def _sum(costs) -> dict[str, float]:
    return {r: round(sum(c[r] for c in costs), 1) for r in RESOURCES}


@dataclass
class LayerRow:
    """One row of the report: a layer (or an AXI converter) with its cycles and share of the frame interval, the
    resources of its processes and the FIFOs they read, and a convolution's MACs, folding and weight placement."""

    name: str
    kind: str
    macs: int
    cycles: int
    share: float  # of the frame interval
    resources: dict[str, float]
    processes: list[dict]
    simd: int | None = None
    pe: int | None = None
    mac: str | None = None
    weight_storage: str | None = None
    ddr_rows: int | None = None  # weights from DDR: output rows per pass over them (ir.Conv)
    weight_kbit: float | None = None


@dataclass
class Estimate:
    """The estimate of a folded network (see the module docstring): interval, latency, resources against the board's,
    roofline, bottleneck, and the rows of layers and FIFOs."""

    board: str
    part: str
    clock_mhz: float
    interval_cycles: int
    latency_cycles: int
    macs_per_frame: int
    mac_lanes: int
    total: dict[str, float]
    used: dict[str, float]  # the total as the device counts it (device_counts)
    capacity: dict[str, float]
    utilization: dict[str, float]
    roofline: dict
    bottleneck: str
    layers: list[LayerRow] = field(default_factory=list)
    fifos: list[dict] = field(default_factory=list)
    ddr_weight_bytes: int = 0  # per frame, read from DDR by the weights DMA (layers with weights from DDR)

    @property
    def fps(self) -> float:
        """Frames per second at the clock: one frame per interval."""
        return self.clock_mhz * 1e6 / self.interval_cycles

    @property
    def latency_ms(self) -> float:
        """A frame's latency through an idle pipeline, in milliseconds."""
        return self.latency_cycles / (self.clock_mhz * 1e3)

    def to_dict(self) -> dict:
        """The estimate as report.json holds it, with fps, latency and the DDR weight traffic in MB/s worked out."""
        return {"board": self.board, "part": self.part, "clock_mhz": self.clock_mhz, "fps": round(self.fps, 2),
                "latency_ms": round(self.latency_ms, 4), "interval_cycles": self.interval_cycles,
                "latency_cycles": self.latency_cycles, "bottleneck": self.bottleneck,
                "macs_per_frame": self.macs_per_frame, "mac_lanes": self.mac_lanes, "resources": self.total,
                "capacity": self.capacity, "utilization": {r: round(u, 4) for r, u in self.utilization.items()},
                "roofline": self.roofline, "layers": [vars(row) for row in self.layers], "fifos": self.fifos,
                "ddr_weights": {"bytes_per_frame": self.ddr_weight_bytes,
                                "mb_per_s": round(self.ddr_weight_bytes * self.fps / 1e6, 1)}}


def process_cost(net: ir.Network, p) -> kernel_costs.Cost:
    """The resources of process `p`: its kernel's Verilog twin with its parameters."""
    return kernel_costs.kernel_cost(kernel(p.kernel).module, verilog_params(net, p))


def estimate(net: ir.Network, arrays, board: Board, clock_mhz: float) -> Estimate:
    """The estimate of a folded network on `board` at `clock_mhz` (module docstring)."""
    graph = build_graph(net, arrays, weights=False)
    cycles = {p.name: kernel(p.kernel).cycles(p.config) for p in graph.processes}
    interval = max(cycles.values())
    costs = {p.name: _cost_dict(process_cost(net, p)) for p in graph.processes}
    fifos, fifo_of = [], {}
    for s in graph.streams:
        width = s.lanes * s.bits
        cost = _cost_dict(kernel_costs.fifo_cost(width, s.depth))
        fifo_of[id(s)] = cost
        fifos.append({"stream": s.name, "width": width, "depth": s.depth, "resources": cost})

    # Latency of a frame into an idle pipeline: when each process writes its first and its last word of the frame,
    # in topological order (processes are built in it).
    first_out: dict[str, float] = {}
    last_out: dict[str, float] = {}
    producer_of = {id(s): p for p in graph.processes for s in p.outputs}
    for p in graph.processes:
        first_in = max((first_out[producer_of[id(s)].name] for s in p.inputs), default=0.0)
        last_in = max((last_out[producer_of[id(s)].name] for s in p.inputs), default=0.0)
        k = kernel(p.kernel)
        first_out[p.name] = first_in + k.lead_fraction(p.config) * (last_in - first_in)
        busy_from = first_out[p.name] if k.busy_after_lead else first_in
        last_out[p.name] = max(busy_from + cycles[p.name], last_in + k.tail_cycles(p.config))
    latency = int(max(last_out.values()))

    rows = []
    for layer in [None, *net.layers, "output"]:
        owner = ir.NETWORK_INPUT if layer is None else "output" if layer == "output" else layer.name
        procs = [p for p in graph.processes if p.owner == owner]
        if not procs:
            continue
        fifo_costs = [fifo_of[id(s)] for p in procs for s in p.inputs]
        resources = _sum([costs[p.name] for p in procs] + fifo_costs)
        row_cycles = max(cycles[p.name] for p in procs)
        row = LayerRow(name=owner, kind=getattr(layer, "kind", "port"), macs=0, cycles=row_cycles,
                       share=round(row_cycles / interval, 4), resources=resources,
                       processes=[{"name": p.name, "kernel": p.kernel, "cycles": cycles[p.name],
                                   "resources": costs[p.name]} for p in procs])
        if isinstance(layer, ir.Conv):
            row.macs = layer.macs
            row.simd, row.pe, row.mac, row.weight_storage = layer.simd, layer.pe, layer.mac, layer.weight_storage
            if layer.weight_storage == "ddr":
                row.ddr_rows = layer.weight_group // layer.out_shape[2]
            row.weight_kbit = round(layer.out_shape[0] * layer.fan_in * layer.weight_bits / 1000, 1)
        rows.append(row)
    total = _sum([r.resources for r in rows])
    cap = board.capacity
    used = device_counts(total)
    util = {r: (used[r] / cap[r] if cap[r] else (float("inf") if used[r] else 0.0)) for r in RESOURCES}
    convs = [layer for layer in net.layers if isinstance(layer, ir.Conv)]
    macs = sum(layer.macs for layer in convs)
    per_dsp = 2 if any(layer.mac == "dsp_packed" for layer in convs) or _packable(net, board) else 1
    roof_fps = board.dsp * clock_mhz * 1e6 * per_dsp / macs
    fps = clock_mhz * 1e6 / interval
    bottleneck = max(rows, key=lambda r: r.cycles).name
    return Estimate(board=board.name, part=board.part, clock_mhz=clock_mhz, interval_cycles=interval,
                    latency_cycles=latency, macs_per_frame=macs,
                    mac_lanes=sum(layer.simd * layer.pe for layer in convs), total=total, used=used, capacity=cap,
                    utilization=util, bottleneck=bottleneck,
                    roofline={"dsp": board.dsp, "macs_per_dsp_cycle": per_dsp, "fps": round(roof_fps, 1),
                              "fraction": round(fps / roof_fps, 4)},
                    layers=rows, fifos=fifos, ddr_weight_bytes=ddr_weight_beats(net) * spec.AXI_STREAM_BITS // 8)


def _packable(net: ir.Network, board: Board) -> bool:
    """Whether the convolutions' operand widths allow two products per DSP (at SIMD 1)."""
    return all(spec.packs(net.type_of(layer.inputs[0]).bits, net.type_of(layer.inputs[0]).signed,
                          layer.weight_bits, 1, board.dsp_type)
               for layer in net.layers if isinstance(layer, ir.Conv))
