"""The dataflow graph: the process network both back ends instantiate, the planner prices and C simulation checks.

`build_graph` turns a folded network into kernel instances of hw/hls/ and hw/rtl/: a convolution is a window
generator (for k x k, strided or padded ones) feeding an MVAU; a max pool a window generator feeding sf::maxpool (or
the separable sf::pool); a concat may requantize an input first; a layer output with two consumers goes through a
duplicator; and a data-width converter (sf::regroup) sits wherever a producer's channel grouping (PE) differs from
what its consumer reads (SIMD). Stream depths are the FIFO sizing's (compiler/dataflow/fifo.py). Every number the
back ends lay out (widths, depths, folded counts) is computed here.

A process's configuration is its kernel's typed `Config` (compiler/kernels/): the HLS configuration struct's
members, from which the kernel class also derives the Verilog twin's parameters.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from squeezeflow.hw import spec

from .. import ir
from ..errors import UserError
from ..kernels.axis import AxisInConfig, AxisOutConfig
from ..kernels.base import MIN_DEPTH, Config, kernel
from ..kernels.duplicate import DuplicateConfig
from ..kernels.gap import GapConfig
from ..kernels.join import AddConfig, ConcatConfig
from ..kernels.mvau import MvauConfig, MvauStreamedConfig, weight_vectors
from ..kernels.pool import MaxPoolConfig, PoolConfig
from ..kernels.regroup import RegroupConfig
from ..kernels.requant import RequantConfig
from ..kernels.window import WindowConfig
from . import fifo

OUTPUT = "output"  # the consumer name of the logits (the AXI output converter)
DATAFLOW_VERSION = 2
DATAFLOW_FILE = "dataflow.json"


def ident(name: str) -> str:
    """C identifier of a process or stream name ("a->b:window" becomes "a__b_window")."""
    return re.sub(r"\W+", "_", name.replace("->", "__")).strip("_")


def _lane_type(bits: int, signed: bool) -> str:
    return f"ap_{'' if signed else 'u'}int<{bits}>"


@dataclass(eq=False)
class Stream:
    """A FIFO between two processes: words of `lanes` values of `bits` bits, a pixel's `channels` values as
    pixel_words consecutive words (or channel major), `pixels` pixels a frame, `depth` words deep."""

    name: str  # what csim reports and taps name; a layer's output stream carries the layer's name
    bits: int
    signed: bool
    lanes: int  # values per word
    channels: int  # values per pixel (a window stream: per output pixel's window)
    pixels: int  # per frame
    depth: int = MIN_DEPTH
    producer: Process | None = None
    channel_major: bool = False  # words by pixel group, channel group, pixel (sf_mvau.h mvau_streamed's output)
    group: int = 0  # channel major: pixels per group (the last group the rest)

    @property
    def var(self) -> str:
        return "s_" + ident(self.name)

    @property
    def word(self) -> str:
        return f"ap_uint<{self.lanes * self.bits}>"

    @property
    def lane(self) -> str:
        return _lane_type(self.bits, self.signed)

    @property
    def pixel_words(self) -> int:
        return self.channels // self.lanes

    @property
    def words(self) -> int:
        return self.pixels * self.pixel_words


@dataclass(eq=False)
class Process:
    """One kernel call: its kernel (a class of compiler/kernels/), its configuration, the streams it reads and
    writes, and the layer that owns it."""

    name: str
    kernel: str  # sf::<kernel> of hw/hls/
    owner: str  # the layer whose header holds its configuration ("input"/"output" for the port converters)
    config: Config  # its kernel's Config
    inputs: list[Stream]
    outputs: list[Stream]
    args: list[str]  # C arguments of the call
    lead: int = 0  # input pixels it reads ahead of its output (window generators)

    @property
    def cfg(self) -> str:
        return ident(self.name)



@dataclass
class Table:
    """A constant table argument: name, element type, dimensions and literals (nested lists, innermost last)."""

    name: str
    ctype: str
    dims: list[int]
    rows: list


@dataclass
class Graph:
    """The process network of a folded IR: processes in topological order, their streams and constant tables."""

    streams: list[Stream] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    tables: dict[str, list[Table]] = field(default_factory=dict)  # owner -> per-channel tables of its processes
    weights: dict[str, tuple[Table, str]] = field(default_factory=dict)  # layer -> (table, ir weight_storage)
    taps: dict[str, Stream] = field(default_factory=dict)  # layer (or "input") -> the stream of its output
    weight_port: str | None = None  # the layer whose weights stream in through WEIGHTS_PORT, if any

    def to_json(self) -> str:
        """BUILD/dataflow.json: streams and processes in build (topological) order with every configuration member
        and depth, the per-channel tables with their values, the weight tables with their shapes only (their
        values are weights.npz's, packed as dataflow/weights.py says). The same graph gives the same bytes."""
        doc = {
            "dataflow_version": DATAFLOW_VERSION,
            "streams": [{"name": s.name, "bits": s.bits, "signed": s.signed, "lanes": s.lanes, "channels": s.channels,
                         "pixels": s.pixels, "depth": s.depth, "channel_major": s.channel_major, "group": s.group}
                        for s in self.streams],
            "processes": [{"name": p.name, "kernel": p.kernel, "owner": p.owner,
                           "config": p.config.to_dict(), "inputs": [s.name for s in p.inputs],
                           "outputs": [s.name for s in p.outputs], "args": p.args, "lead": p.lead}
                          for p in self.processes],
            "tables": {owner: [vars(t) for t in tables] for owner, tables in self.tables.items()},
            "weights": {layer: {"name": t.name, "ctype": t.ctype, "dims": t.dims, "storage": storage}
                        for layer, (t, storage) in self.weights.items()},
            "taps": {layer: s.name for layer, s in self.taps.items()},
            "weight_port": self.weight_port,
        }
        return json.dumps(doc, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Graph:
        """The graph of a BUILD/dataflow.json (weight tables without their values)."""
        doc = json.loads(text)
        if doc.get("dataflow_version") != DATAFLOW_VERSION:
            raise ValueError(f"dataflow version {doc.get('dataflow_version')} is not {DATAFLOW_VERSION}: recompile")
        streams = {d["name"]: Stream(**d) for d in doc["streams"]}
        graph = cls(streams=list(streams.values()), weight_port=doc["weight_port"],
                    tables={owner: [Table(**t) for t in tables] for owner, tables in doc["tables"].items()},
                    weights={layer: (Table(w["name"], w["ctype"], w["dims"], []), w["storage"])
                             for layer, w in doc["weights"].items()},
                    taps={layer: streams[name] for layer, name in doc["taps"].items()})
        for d in doc["processes"]:
            p = Process(d["name"], d["kernel"], d["owner"], kernel(d["kernel"]).Config(**d["config"]),
                        [streams[n] for n in d["inputs"]], [streams[n] for n in d["outputs"]], d["args"], d["lead"])
            for s in p.outputs:
                s.producer = p
            graph.processes.append(p)
        return graph


def save(build_dir: Path, graph: Graph) -> None:
    """BUILD/dataflow.json (Graph.to_json)."""
    (Path(build_dir) / DATAFLOW_FILE).write_text(graph.to_json())


def load(build_dir) -> Graph:
    """The dataflow graph saved with a build, or a UserError saying what is wrong with it."""
    path = Path(build_dir) / DATAFLOW_FILE
    if not path.is_file():
        raise UserError(f"the build has no {DATAFLOW_FILE}", str(build_dir), "recompile it with this version")
    try:
        return Graph.from_json(path.read_text())
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"cannot read {DATAFLOW_FILE}", str(path), str(exc).splitlines()[0]) from None


def window_lead(h: int, w: int, kernel, stride, pad, ho: int, wo: int) -> int:
    """Input pixels sf::window may have read beyond output pixel p while p is still being consumed downstream.

    The window generator reads as far as the window after the one it writes needs (sf_window.h `window_needed`);
    with the MVAU and the FIFO behind it holding a window each, output pixel p is finished only once the generator
    has read what window p + 2 needs.
    """
    (kh, kw), (sh, sw), (pt, pl) = kernel, stride, pad[:2]

    def needed(q: int) -> int:
        if q >= ho * wo:
            return h * w
        oy, ox = divmod(q, wo)
        return min(oy * sh - pt + kh - 1, h - 1) * w + min(ox * sw - pl + kw - 1, w - 1) + 1

    return max(needed(p + 2) - p for p in range(ho * wo))


def can_stream_weights(net: ir.Network, layer: ir.Conv) -> bool:
    """Whether `layer` may stream its weights from DDR: its output (channel group by channel group) goes to global
    pools only (sf_mvau.h mvau_streamed)."""
    consumers = net.consumers(layer.name)
    return bool(consumers) and all(isinstance(c, ir.GlobalAvgPool) for c in consumers)


def pool_is_separable(hw, kernel, stride, pad, out_hw) -> bool:
    """Whether sf::pool can do a max pool: in each dimension, no two windows end at the same input position (they
    could only where ceil mode or padding clip more than the last one at the edge)."""
    return all(o < 2 or (o - 2) * s - p + k - 1 < n - 1
               for n, k, s, p, o in zip(hw, kernel, stride, pad[:2], out_hw))


def window_lanes(simd: int, channels: int) -> int:
    """Lanes of a windowed convolution's window words: SIMD when it divides the input channels; else (SIMD spanning
    kernel positions) their gcd, the window's words then gathered into SIMD lanes, each pixel's last word
    zero-padded when SIMD does not divide the fan-in KH*KW*C (ir.Conv.sf)."""
    return math.gcd(simd, channels)


def input_lanes(layer: ir.Conv) -> int:
    """Lanes of the words a convolution reads from its producer: its window's, or SIMD for a pointwise one."""
    return window_lanes(layer.simd, layer.in_channels) if layer.windowed else layer.simd


def bank_lanes(simd: int, weight_bits: int) -> int:
    """Lanes per HLS weight memory word: the largest divisor of SIMD whose word fits 64 bits (a BRAM port is 72)."""
    return max(d for d in range(1, simd + 1) if simd % d == 0 and (d * weight_bits <= 64 or d == 1))


def _bits_of(value: int) -> int:
    """Bits of a signed type that holds -value .. value."""
    return int(value).bit_length() + 1


def _hex(values: np.ndarray, bits: int) -> np.ndarray:
    digits = max(1, -(-bits // 4))
    return np.vectorize(lambda v: f"0x{int(v):0{digits}x}", otypes=[object])(values)


class _Builder:
    """Builds a Graph layer by layer. Without `tables` (the planner's graphs) no constant table is laid out: the
    processes name theirs, and `arrays` are not read."""

    def __init__(self, net: ir.Network, arrays: dict[str, np.ndarray], weights: bool, tables: bool = True):
        self.net, self.arrays, self.g, self.with_weights, self.with_tables = net, arrays, Graph(), weights, tables
        self.edges: dict[tuple[str, str], Stream] = {}  # (producer, consumer) -> the stream the consumer reads

    # --- graph plumbing ------------------------------------------------------------------------------------------

    def stream(self, name: str, bits: int, signed: bool, lanes: int, channels: int, pixels: int) -> Stream:
        s = Stream(name, bits, signed, lanes, channels, pixels)
        self.g.streams.append(s)
        return s

    def typed(self, name: str, qtype: ir.QType, lanes: int, channels: int, pixels: int) -> Stream:
        return self.stream(name, qtype.bits, qtype.signed, lanes, channels, pixels)

    def process(self, name, owner, config: Config, inputs, outputs, args, lead=0) -> Process:
        """A call of the kernel whose configuration `config` is."""
        p = Process(name, config.kernel, owner, config, inputs, outputs, args, lead)
        for s in outputs:
            s.producer = p
        self.g.processes.append(p)
        return p

    def channel_table(self, owner: str, name: str, ctype: str, values, shape) -> str:
        """Lay out per-channel table `name` of `owner` as `shape` (parallel lanes, folds): channel f * lanes + l at
        [l][f]. `values()` gives one value per channel, or one for all; it is called only when tables are laid out
        (not for the planner's graphs). Returns the table's name."""
        if self.with_tables:
            rows, cols = shape
            table = np.broadcast_to(np.asarray(values(), np.int64), (rows * cols,)).reshape(cols, rows).T
            self.g.tables.setdefault(owner, []).append(Table(name, ctype, list(table.shape), table.tolist()))
        return name

    def publish(self, name: str, s: Stream) -> None:
        """`s` carries the output of `name`: hand it to the consumers, through a duplicator if there are two."""
        self.g.taps[name] = s
        consumers = [layer.name for layer in self.net.consumers(name)] + ([OUTPUT] if name == self.net.output else [])
        if len(consumers) == 1:
            self.edges[(name, consumers[0])] = s
            return
        if len(consumers) != 2:
            raise UserError(f"layer {name!r} feeds {len(consumers)} layers; the HLS back end duplicates to two at most")
        branches = [self.stream(f"{name}->{c}", s.bits, s.signed, s.lanes, s.channels, s.pixels) for c in consumers]
        for b in branches:
            b.channel_major, b.group = s.channel_major, s.group
        self.process(f"{name}:dup", name, DuplicateConfig(word_t=s.word, WORDS=s.words),
                     [s], branches, [s.var] + [b.var for b in branches])
        for consumer, branch in zip(consumers, branches):
            self.edges[(name, consumer)] = branch

    def regroup(self, s: Stream, lanes: int, owner: str) -> Stream:
        """`s` with `lanes` values per word (through the gcd when neither lane count divides the other). Gathered
        into wider words, a pixel whose values do not fill its last word has it zero-padded (a windowed
        convolution's fan-in into SIMD lanes, ir.Conv.sf)."""
        if s.lanes == lanes:
            return s
        if s.lanes % lanes and lanes % s.lanes:
            s = self.regroup(s, math.gcd(s.lanes, lanes), owner)
        out = self.stream(f"{s.name}@{lanes}", s.bits, s.signed, lanes, -(-s.channels // lanes) * lanes, s.pixels)
        self.process(out.name, owner,
                     RegroupConfig(lane_t=s.lane, in_word=s.word, out_word=out.word, IN_LANES=s.lanes,
                                   OUT_LANES=lanes, IN_WORDS=s.words, BLOCK_WORDS=s.pixel_words),
                     [s], [out], [s.var, out.var])
        return out

    def window(self, owner: str, s: Stream, shape, kernel, stride, pad, out_hw, pad_value: int) -> Stream:
        c, h, w = shape
        ho, wo = out_hw
        out = self.stream(f"{owner}:window", s.bits, s.signed, s.lanes, kernel[0] * kernel[1] * c, ho * wo)
        rows = kernel[0] + stride[0]
        self.process(out.name, owner,
                     WindowConfig(lane_t=s.lane, word_t=s.word, LANES=s.lanes, H=h, W=w, CG=c // s.lanes,
                                  KH=kernel[0], KW=kernel[1], SH=stride[0], SW=stride[1], PT=pad[0], PL=pad[1],
                                  HO=ho, WO=wo, ROWS=rows, PAD=pad_value),
                     [s], [out], [s.var, out.var], lead=window_lead(h, w, kernel, stride, pad, ho, wo))
        return out

    def requant_tables(self, owner: str, prefix: str, rq: ir.Requant, shape) -> tuple[str, str]:
        """Per-channel multiplier and shift tables, laid out as `shape` (channel_table); returns their names. The
        shift table holds each channel's excess over the least shift (the configurations' SHIFT_BASE), so that the
        rounding's barrel shifter spans only their spread (sf_round_clamp.v)."""
        return (self.channel_table(owner, f"{ident(prefix)}_mult", f"sf::rom_uint<{spec.REQUANT_MULT_BITS}>",
                                   lambda: rq.multiplier, shape),
                self.channel_table(owner, f"{ident(prefix)}_shift", f"sf::rom_uint<{rq.shift_bits}>",
                                   lambda: np.asarray(rq.shift) - rq.shift_base, shape))

    def requant(self, name: str, owner: str, s: Stream, rq: ir.Requant, zp_in: int, out_type: ir.QType) -> Stream:
        out = self.typed(name, out_type, s.lanes, s.channels, s.pixels)
        cg = s.channels // s.lanes
        mult, shift = self.requant_tables(owner, name, rq, (s.lanes, cg))
        diff_bits = s.bits + 1
        product_bits = max(diff_bits + spec.REQUANT_MULT_BITS + 1, max(rq.shift) + 2)
        self.process(name, owner,
                     RequantConfig(in_t=s.lane, diff_t=_lane_type(diff_bits, True), out_t=out.lane,
                                   out_word=out.word, LANES=s.lanes, CG=cg, WORDS=s.words, ZP_IN=zp_in,
                                   MULT_BITS=spec.REQUANT_MULT_BITS, SHIFT_BITS=rq.shift_bits,
                                   SHIFT_BASE=rq.shift_base, PRODUCT_BITS=product_bits, ZP=rq.zero_point, LO=rq.lo,
                                   HI=rq.hi),
                     [s], [out], [s.var, out.var, mult, shift])
        return out

    # --- layers --------------------------------------------------------------------------------------------------

    def build(self) -> Graph:
        net = self.net
        first = net.consumers(ir.NETWORK_INPUT)[0]
        t, (c, h, w) = net.input_type, net.input_shape
        value_bits = 8 * spec.INPUT_BYTES_PER_VALUE
        if t.bits > value_bits:
            raise UserError(f"the input is {t.bits}-bit; the input stream carries {value_bits}-bit values")
        s = self.typed(ir.NETWORK_INPUT, t, input_lanes(first) if isinstance(first, ir.Conv) else 1, c, h * w)
        self.process("input", "input",
                     AxisInConfig(AXI_BITS=spec.AXI_STREAM_BITS, VALUE_BITS=value_bits,
                                  value_t=_lane_type(value_bits, t.signed), lane_t=s.lane, word_t=s.word,
                                  LANES=s.lanes, WORDS=s.words),
                     [], [s], ["in", s.var])
        self.publish(ir.NETWORK_INPUT, s)
        for layer in net.layers:
            getattr(self, f"_{layer.kind}")(layer)
        logits = self.regroup(self.edges[(net.output, OUTPUT)], 1, OUTPUT)
        self.process(OUTPUT, OUTPUT,
                     AxisOutConfig(AXI_BITS=spec.AXI_STREAM_BITS, VALUE_BITS=8 * spec.OUTPUT_BYTES_PER_VALUE,
                                   lane_t=logits.lane, VALUES=net.num_classes),
                     [logits], [], [logits.var, "out"])
        fifo.size(self.g)
        return self.g

    def _inputs(self, layer: ir.Layer) -> list[Stream]:
        return [self.edges[(name, layer.name)] for name in layer.inputs]

    def _conv(self, layer: ir.Conv) -> None:
        (x,) = self._inputs(layer)
        self.publish(layer.name, self.conv(layer, x))

    def conv(self, layer: ir.Conv, x: Stream) -> Stream:
        """The processes of convolution `layer` reading `x`: regroups, window, MVAU; returns its output stream."""
        shape = self.net.shape_of(layer.inputs[0])
        o, ho, wo = layer.out_shape
        x = self.regroup(x, input_lanes(layer), layer.name)
        if layer.windowed:  # SIMD may span kernel positions: the window's words are then gathered into SIMD lanes
            x = self.window(layer.name, x, shape, layer.kernel, layer.stride, layer.pad, (ho, wo), layer.pad_value)
        x = self.regroup(x, layer.simd, layer.name)
        out = self.typed(layer.name, layer.out_type, layer.pe, o, ho * wo)
        sf, nf = layer.sf, o // layer.pe
        lanes = bank_lanes(layer.simd, layer.weight_bits)
        banks, bank_bits = layer.simd // lanes, lanes * layer.weight_bits
        prefix = ident(layer.name)
        rq = layer.requant
        bias = self.channel_table(layer.name, f"{prefix}_bias", f"sf::rom_int<{layer.acc_bits}>",
                                  lambda: self.arrays[f"{layer.name}.bias"], (layer.pe, nf))
        mult, shift = self.requant_tables(layer.name, layer.name, rq, (layer.pe, nf))
        offset_bits = max(1, rq.offset_bits)  # a 1-bit table of zeros: no offset
        offset = self.channel_table(layer.name, f"{prefix}_offset", f"sf::rom_int<{offset_bits}>",
                                    lambda: rq.offset or 0, (layer.pe, nf))
        product_bits = max(layer.acc_bits + spec.REQUANT_MULT_BITS + 1, max(rq.shift) + 2)
        config = dict(NAME=layer.name, in_t=x.lane, in_word=x.word, out_t=out.lane, out_word=out.word,
                      w_t=_lane_type(layer.weight_bits, True), acc_t=_lane_type(layer.acc_bits, True),
                      SIMD=layer.simd, PE=layer.pe, SF=sf, NF=nf, PIXELS=ho * wo, BANKS=banks, BANK_LANES=lanes,
                      BANK_BITS=bank_bits, ACC_BITS=layer.acc_bits, MULT_BITS=spec.REQUANT_MULT_BITS,
                      SHIFT_BITS=rq.shift_bits, SHIFT_BASE=rq.shift_base, PRODUCT_BITS=product_bits,
                      ZP=rq.zero_point, LO=rq.lo, HI=rq.hi, MAC=spec.MAC_IMPLS.index(layer.mac),
                      PACK_SHIFT=spec.pack_shift(x.bits, x.signed, layer.weight_bits, layer.simd),
                      REQUANT_UNITS=spec.requant_units(layer.pe, sf), OFFSET_BITS=offset_bits)
        if layer.weight_storage == "ddr":
            weights = self.weight_stream(layer, nf * sf * layer.weight_passes)
            out.channel_major, out.group = True, layer.weight_group
            self.process(layer.name, layer.name,
                         MvauStreamedConfig(**config, GROUP=layer.weight_group, W_BEATS=weights.lanes,
                                            w_word=weights.word),
                         [x, weights], [out], [x.var, weights.var, out.var, bias, mult, shift, offset])
        else:
            if self.with_weights:
                self.g.weights[layer.name] = (self.weight_table(layer, prefix, lanes, banks, bank_bits),
                                              layer.weight_storage)
            self.process(layer.name, layer.name, MvauConfig(**config),
                         [x], [out], [x.var, out.var, f"{prefix}_weights", bias, mult, shift, offset])
        return out

    def weight_stream(self, layer: ir.Conv, tiles: int) -> Stream:
        """The stream of `layer`'s weight tiles from the top's WEIGHTS_PORT (hw/spec.py): AXI beats, then a tile
        per word."""
        if self.g.weight_port is not None:
            raise UserError(f"layer {layer.name!r} streams its weights from DDR, and so does "
                            f"{self.g.weight_port!r}", why="one DMA feeds the weights port: one such layer at most")
        if not can_stream_weights(self.net, layer):
            consumers = [c.name for c in self.net.consumers(layer.name)] or ["the output"]
            raise UserError(f"layer {layer.name!r} streams its weights from DDR but feeds {', '.join(consumers)}",
                            why="its output comes channel group by channel group, which only a global pool reads")
        self.g.weight_port = layer.name
        beats = spec.weight_tile_beats(layer.pe, layer.simd, layer.weight_bits)
        # one lane per beat, signed because csim computes lanes in int64 (only the bits matter)
        axi = self.stream(f"{layer.name}:weights", spec.AXI_STREAM_BITS, True, 1, beats, tiles)
        self.process(axi.name, layer.name,
                     AxisInConfig(AXI_BITS=spec.AXI_STREAM_BITS, VALUE_BITS=spec.AXI_STREAM_BITS, value_t=axi.lane,
                                  lane_t=axi.lane, word_t=axi.word, LANES=1, WORDS=axi.words),
                     [], [axi], [spec.WEIGHTS_PORT, axi.var])
        return self.regroup(axi, beats, layer.name)

    def weight_table(self, layer: ir.Conv, prefix: str, lanes: int, banks: int, bank_bits: int) -> Table:
        """weights[pe][bank][tile]: tile t = nf * SF + sf of output channel nf * PE + pe; input lane
        b * lanes + l of the tile in bits [l * wbits, (l + 1) * wbits) of bank b, two's complement (sf_mvau.h)."""
        vectors = weight_vectors(self.arrays[f"{layer.name}.weight"], layer.simd)
        o, simd, pe, wbits = len(vectors), layer.simd, layer.pe, layer.weight_bits
        vectors = vectors.reshape(o // pe, pe, -1, banks, lanes)  # nf, pe, sf, bank, lane
        offsets = np.arange(lanes, dtype=np.uint64) * np.uint64(wbits)
        fields = (vectors & ((1 << wbits) - 1)).astype(np.uint64) << offsets
        words = np.bitwise_or.reduce(fields, axis=-1)  # nf, pe, sf, bank
        words = words.transpose(1, 3, 0, 2).reshape(pe, banks, -1)  # pe, bank, tile
        assert simd == banks * lanes
        return Table(f"{prefix}_weights", f"sf::rom_uint<{bank_bits}>", list(words.shape),
                     _hex(words, bank_bits).tolist())

    def _maxpool(self, layer: ir.MaxPool) -> None:
        (x,) = self._inputs(layer)
        c, ho, wo = layer.out_shape
        shape = self.net.shape_of(layer.inputs[0])
        out = self.typed(layer.name, layer.out_type, x.lanes, c, ho * wo)
        if pool_is_separable(shape[1:], layer.kernel, layer.stride, layer.pad, (ho, wo)):
            (kh, kw), (sh, sw), (pt, pl) = layer.kernel, layer.stride, layer.pad[:2]
            self.process(layer.name, layer.name,
                         PoolConfig(lane_t=x.lane, word_t=x.word, LANES=x.lanes, CG=c // x.lanes, H=shape[1],
                                    W=shape[2], KH=kh, KW=kw, SH=sh, SW=sw, PT=pt, PL=pl, HO=ho, WO=wo,
                                    NA=-(-kw // sw), NB=-(-kh // sh)),
                         [x], [out], [x.var, out.var],
                         lead=window_lead(shape[1], shape[2], layer.kernel, layer.stride, layer.pad, ho, wo))
        else:
            lowest = -(1 << (x.bits - 1)) if x.signed else 0  # pads ceil-mode overhang: the max never picks it
            win = self.window(layer.name, x, shape, layer.kernel, layer.stride, layer.pad, (ho, wo), lowest)
            self.process(layer.name, layer.name,
                         MaxPoolConfig(lane_t=x.lane, word_t=x.word, LANES=x.lanes,
                                       K=layer.kernel[0] * layer.kernel[1], CG=c // x.lanes, PIXELS=ho * wo),
                         [win], [out], [win.var, out.var])
        self.publish(layer.name, out)

    def _concat(self, layer: ir.Concat) -> None:
        ins = self._inputs(layer)
        channels = [self.net.shape_of(name)[0] for name in layer.inputs]
        widest = max(s.lanes for s in ins)  # the faster producer's grouping, unless it does not divide both
        lanes = widest if all(c % widest == 0 for c in channels) else math.gcd(*(s.lanes for s in ins))
        parts = []
        for i, (s, rq, src) in enumerate(zip(ins, layer.requant, layer.inputs)):
            s = self.regroup(s, lanes, layer.name)
            if rq is not None:
                s = self.requant(f"{layer.name}:requant{i}", layer.name, s, rq, self.net.type_of(src).zero_point,
                                 layer.out_type)
            parts.append(s)
        c, h, w = layer.out_shape
        out = self.typed(layer.name, layer.out_type, lanes, c, h * w)
        self.process(layer.name, layer.name,
                     ConcatConfig(word_t=out.word, CGA=parts[0].pixel_words, CGB=parts[1].pixel_words,
                                  PIXELS=h * w),
                     parts, [out], [parts[0].var, parts[1].var, out.var])
        self.publish(layer.name, out)

    def _add(self, layer: ir.Add) -> None:
        a, b = self._inputs(layer)
        b = self.regroup(b, a.lanes, layer.name)
        ta, tb, t = self.net.type_of(layer.inputs[0]), self.net.type_of(layer.inputs[1]), layer.out_type
        (ma, mb), shift = layer.multiplier, layer.shift
        span = ma * max(ta.hi - ta.zero_point, ta.zero_point - ta.lo) + mb * max(tb.hi - tb.zero_point,
                                                                                tb.zero_point - tb.lo)
        c, h, w = layer.out_shape
        out = self.typed(layer.name, t, a.lanes, c, h * w)
        self.process(layer.name, layer.name,
                     AddConfig(a_t=a.lane, b_t=b.lane, out_t=out.lane, out_word=out.word, LANES=a.lanes,
                               WORDS=out.words, MA=ma, MB=mb, ZA=ta.zero_point, ZB=tb.zero_point, SHIFT=shift,
                               ZP=t.zero_point, LO=t.lo, HI=t.hi, SUM_BITS=max(_bits_of(span) + 1, shift + 2)),
                     [a, b], [out], [a.var, b.var, out.var])
        self.publish(layer.name, out)

    def _gap(self, layer: ir.GlobalAvgPool) -> None:
        (x,) = self._inputs(layer)
        t_in = self.net.type_of(layer.inputs[0])
        c, h, w = self.net.shape_of(layer.inputs[0])
        sum_bits = _bits_of(h * w * max(t_in.hi - t_in.zero_point, t_in.zero_point - t_in.lo))
        if layer.requant is None:  # the sums are the output (logits): the IR's type holds them
            if layer.out_type.bits < sum_bits:
                raise UserError(f"layer {layer.name!r}: its {layer.out_type.bits}-bit type cannot hold a "
                                f"{sum_bits}-bit sum")
            sums = self.typed(layer.name, layer.out_type, x.lanes, c, 1)
        else:
            sums = self.stream(f"{layer.name}:sum", sum_bits, True, x.lanes, c, 1)
        self.process(sums.name, layer.name,
                     GapConfig(in_t=x.lane, sum_t=sums.lane, out_word=sums.word, LANES=x.lanes, CG=c // x.lanes,
                               PIXELS=h * w, GROUP=x.group if x.channel_major else h * w, ZP=t_in.zero_point,
                               CHANNEL_MAJOR=int(x.channel_major)),
                     [x], [sums], [x.var, sums.var])
        out = sums if layer.requant is None else self.requant(layer.name, layer.name, sums, layer.requant, 0,
                                                              layer.out_type)
        self.publish(layer.name, out)


def build_graph(net: ir.Network, arrays: dict[str, np.ndarray], weights: bool = True) -> Graph:
    """The dataflow graph of a folded network; `weights=False` skips packing the weight tables (the planner's
    estimates need the processes and streams only)."""
    return _Builder(net, arrays, weights).build()


def fold_graph(net: ir.Network, layer: ir.Conv) -> Graph:
    """The processes convolution `layer` makes for its folding (its SIMD, PE, multipliers and on-chip weights), as
    build_graph makes them, reading its input in the lanes it asks for (no regroup before it): window, regroup,
    MVAU, in that order, without tables. The planner prices each folding of `layer` with them (plan.py)."""
    b = _Builder(net, {}, weights=False, tables=False)
    c, h, w = net.shape_of(layer.inputs[0])
    b.conv(layer, b.typed(layer.inputs[0], net.type_of(layer.inputs[0]), input_lanes(layer), c, h * w))
    return b.g


def consumer_graph(net: ir.Network, arrays: dict[str, np.ndarray], layer: ir.Conv, lanes: int) -> Graph:
    """The processes and streams that take their lanes from `layer`'s output in words of `lanes` values, as
    build_graph makes them: its output stream and duplicator, the max or global pools it feeds, and a concat it
    feeds with the pools after that (the concat's other input taken at the same lanes when they divide it). The
    planner prices each folding of `layer` with them (plan.py)."""
    b = _Builder(net, arrays, weights=False, tables=False)
    o, h, w = layer.out_shape
    b.publish(layer.name, b.typed(layer.name, layer.out_type, lanes, o, h * w))
    for consumer in net.consumers(layer.name):
        followers = [consumer]
        if isinstance(consumer, ir.Concat):
            for other in consumer.inputs:
                if other != layer.name:
                    c = net.shape_of(other)[0]
                    b.edges[(other, consumer.name)] = b.typed(other, net.type_of(other), lanes if c % lanes == 0 else 1,
                                                              c, h * w)
            b._concat(consumer)
            followers = net.consumers(consumer.name)
        for f in followers:
            if isinstance(f, (ir.MaxPool, ir.GlobalAvgPool)):
                getattr(b, f"_{f.kind}")(f)
    fifo.size(b.g)
    return b.g
