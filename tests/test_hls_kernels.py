"""The HLS kernels (hw/hls/sf_*.h) in C simulation, case by case as their Verilog twins in tests/test_rtl_kernels.py.

Every cocotb case whose kernel has an HLS twin (all but sf_fifo: in HLS the stream is the FIFO) runs through g++: a
harness generated from tests/hls/kernel_tb.cpp.j2 instantiates the sf:: kernel with its kernel class's Config made
from the case's Verilog parameters (TWINS below, the reverse of each class's verilog_params) and its weight and
per-channel tables laid out as the kernel header documents, calls it once a frame for the case's FRAMES frames with
the words the cocotb testbench feeds (tb_<kernel>.expected), and every output word must equal the same golden words.

Stalls: a C function runs to completion over unbounded queues, so timing cannot change what it computes; the cocotb
run's input gaps and output backpressure have no C counterpart. Each stream is fed or drained by its own process over
a FIFO of depth MIN_DEPTH and every frame is replayed at that depth (sf_stream.h), but with one independent
process per port the replay cannot deadlock: a kernel's stalls only matter beside its neighbours, which the network's
C simulation replays (tests/test_hls.py). What the kernel test checks instead is every stream's word count, frame by
frame: a sink reads exactly the golden count, so a kernel that reads a word too many or writes one too few fails on
an empty stream, one that reads too few or writes too many on words left at the end of the frame; and each case also
runs with an input word missing and one too many, which must fail so.

Builds are cached per case in tmp/sim_build/gcc/ (SF_SIM_BUILD overrides) under a hash of the generated source, the
kernel headers and the compiler command, so reruns only simulate.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
import pytest
from test_rtl_kernels import BENCHES, FRAMES, KERNEL_CASES, SIM_BUILD, make_case, shift_excess

from squeezeflow.compiler.dataflow.graph import bank_lanes
from squeezeflow.compiler.kernels.mvau import weight_tiles
from squeezeflow.compiler.kernels.base import MIN_DEPTH, REGISTRY, Config, kernel
from squeezeflow.compiler.sim.csim import ap_types_dir
from squeezeflow.hw import spec

HARNESS = Path(__file__).resolve().parent / "hls"
LIBRARY = Path(spec.__file__).resolve().parent / "hls"
BUILDS = SIM_BUILD / "gcc"
CXXFLAGS = ["-std=c++17", "-O1", "-Wall", "-Wextra", "-Wno-unknown-pragmas"]
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(HARNESS), undefined=jinja2.StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@dataclass
class Twin:
    """What the harness instantiates: sf::`kernel`<config>(streams..., tables...)."""

    kernel: str
    config: Config  # the kernel class's Config, as the dataflow graph would make it
    ports: dict[str, str]  # stream -> word type, for every port of the case
    tables: list[dict] = field(default_factory=list)  # in the kernel's argument order, after the streams


# --- the configuration of each kernel from a case's Verilog parameters ----------------------------------------------
# Each takes (case, arrays, words per frame of each port) and gives what emit_hls would generate for a stream of that
# many words. Sizes that the Verilog leaves to the streams' length (WORDS, PIXELS) come from the word counts.

def _lane(bits: int, signed) -> str:
    return f"ap_{'' if signed else 'u'}int<{bits}>"


def _word(bits: int) -> str:
    return f"ap_uint<{bits}>"


def _ints(p: dict, names: str) -> dict[str, int]:
    return {name: int(p[name]) for name in names.split()}


def _outputs(p: dict, lanes: int) -> dict[str, str]:
    """out_t and out_word of a requantizing kernel: signed when its clamp reaches below zero."""
    return {"out_t": _lane(p["OUT_BITS"], p["LO"] < 0), "out_word": _word(lanes * p["OUT_BITS"])}


def _config(name: str, **members) -> Config:
    return kernel(name).Config(**members)


def _table(name: str, ctype: str, values) -> dict:
    values = np.asarray(values)
    return {"name": name, "ctype": ctype, "dims": list(values.shape), "rows": values.tolist()}


def _per_channel(values, parallel: int) -> np.ndarray:
    """A per-channel table as [parallel lane][fold], channel fold * parallel + lane (emit_hls's layout)."""
    return np.asarray(values, dtype=np.int64).reshape(-1, parallel).T


def _requant_tables(p: dict, arrays: dict, parallel: int) -> list[dict]:
    return [_table("mult", f"sf::rom_uint<{p['MULT_BITS']}>", _per_channel(arrays["mult"], parallel)),
            _table("shift", f"sf::rom_uint<{p['SHIFT_BITS']}>", _per_channel(shift_excess(p, arrays), parallel))]


def _weight_table(p: dict, weight: np.ndarray, lanes: int) -> dict:
    """weights[pe][bank][tile] of sf_mvau.h: BANK_LANES two's complement lanes a word, hex as the emitter writes."""
    bits = p["W_BITS"]
    tiles = weight_tiles(weight, p["SIMD"], p["PE"])  # tile, pe * SIMD + s
    fields = (tiles.reshape(len(tiles), p["PE"], -1, lanes) & ((1 << bits) - 1)).astype(np.uint64)
    words = np.bitwise_or.reduce(fields << (np.arange(lanes, dtype=np.uint64) * np.uint64(bits)), axis=-1)
    return _table("weights", f"sf::rom_uint<{lanes * bits}>",
                  np.vectorize(lambda v: f"0x{int(v):x}", otypes=[object])(words.transpose(1, 2, 0)))


def _mvau(case, arrays, words):
    p = case["params"]
    lanes = bank_lanes(p["SIMD"], p["W_BITS"])
    members = dict(NAME="conv", in_t=_lane(p["IN_BITS"], p["IN_SIGNED"]), in_word=_word(p["SIMD"] * p["IN_BITS"]),
                   **_outputs(p, p["PE"]), w_t=_lane(p["W_BITS"], True), acc_t=_lane(p["ACC_BITS"], True),
                   **_ints(p, "SIMD PE SF NF"), PIXELS=words["in"] // p["SF"], BANKS=p["SIMD"] // lanes,
                   BANK_LANES=lanes, BANK_BITS=lanes * p["W_BITS"],
                   **_ints(p, "ACC_BITS MULT_BITS SHIFT_BITS SHIFT_BASE PRODUCT_BITS ZP LO HI MAC PACK_SHIFT "
                           "REQUANT_UNITS"), OFFSET_BITS=max(1, p.get("OFFSET_BITS", 0)))
    tables = [_table("bias", f"sf::rom_int<{p['ACC_BITS']}>", _per_channel(arrays["bias"], p["PE"])),
              *_requant_tables(p, arrays, p["PE"]),
              _table("offset", f"sf::rom_int<{members['OFFSET_BITS']}>", _per_channel(arrays["offset"], p["PE"]))]
    if "weight_words" not in case:
        return Twin("mvau", _config("mvau", **members), {"in": "config::in_word", "out": "config::out_word"},
                    [_weight_table(p, arrays["weight"], lanes), *tables])
    config = _config("mvau_streamed", **members, **_ints(p, "GROUP"),
                     W_BEATS=p["W_WORD_BITS"] // spec.AXI_STREAM_BITS, w_word=_word(p["W_WORD_BITS"]))
    return Twin("mvau_streamed", config, {"in": "config::in_word", "w": "config::w_word", "out": "config::out_word"},
                tables)


def _requant(case, arrays, words):
    p = case["params"]
    config = _config("requant", in_t=_lane(p["IN_BITS"], p["IN_SIGNED"]), diff_t=_lane(p["IN_BITS"] + 1, True),
                     **_outputs(p, p["LANES"]), **_ints(p, "LANES CG"), WORDS=words["in"],
                     **_ints(p, "ZP_IN MULT_BITS SHIFT_BITS SHIFT_BASE PRODUCT_BITS ZP LO HI"))
    return Twin("requant", config, {"in": _word(p["LANES"] * p["IN_BITS"]), "out": "config::out_word"},
                _requant_tables(p, arrays, p["LANES"]))


def _window(case, arrays, words):
    p = case["params"]
    # the window only moves words: its lane type's sign matters to nothing but PAD, whose bits it keeps either way
    config = _config("window", lane_t=_lane(p["BITS"], p["PAD"] < 0), word_t=_word(p["LANES"] * p["BITS"]),
                     **_ints(p, "LANES H W CG KH KW SH SW PT PL HO WO ROWS PAD"))
    return Twin("window", config, dict.fromkeys(["in", "out"], "config::word_t"))


def _maxpool(case, arrays, words):
    p = case["params"]
    config = _config("maxpool", lane_t=_lane(p["BITS"], p["SIGNED"]), word_t=_word(p["LANES"] * p["BITS"]),
                     **_ints(p, "LANES K CG"), PIXELS=words["out"] // p["CG"])
    return Twin("maxpool", config, dict.fromkeys(["in", "out"], "config::word_t"))


def _pool(case, arrays, words):
    p = case["params"]
    config = _config("pool", lane_t=_lane(p["BITS"], p["SIGNED"]), word_t=_word(p["LANES"] * p["BITS"]),
                     **_ints(p, "LANES CG H W KH KW SH SW PT PL HO WO NA NB"))
    return Twin("pool", config, dict.fromkeys(["in", "out"], "config::word_t"))


def _gap(case, arrays, words):
    p = case["params"]
    config = _config("gap", in_t=_lane(p["IN_BITS"], p["IN_SIGNED"]), sum_t=_lane(p["SUM_BITS"], True),
                     out_word=_word(p["LANES"] * p["SUM_BITS"]), **_ints(p, "LANES CG PIXELS"),
                     GROUP=int(p.get("GROUP", p["PIXELS"])), **_ints(p, "ZP"),
                     CHANNEL_MAJOR=int(p.get("CHANNEL_MAJOR", 0)))
    return Twin("gap", config, {"in": _word(p["LANES"] * p["IN_BITS"]), "out": "config::out_word"})


def _regroup(case, arrays, words):
    p = case["params"]
    config = _config("regroup", lane_t=_lane(p["BITS"], False), in_word=_word(p["IN_LANES"] * p["BITS"]),
                     out_word=_word(p["OUT_LANES"] * p["BITS"]), **_ints(p, "IN_LANES OUT_LANES"),
                     IN_WORDS=words["in"], **_ints(p, "BLOCK_WORDS"))
    return Twin("regroup", config, {"in": "config::in_word", "out": "config::out_word"})


def _duplicate(case, arrays, words):
    config = _config("duplicate", word_t=_word(case["params"]["WIDTH"]), WORDS=words["in"])
    return Twin("duplicate", config, dict.fromkeys(["in", "out0", "out1"], "config::word_t"))


def _concat(case, arrays, words):
    p = case["params"]
    config = _config("concat", word_t=_word(p["WIDTH"]), **_ints(p, "CGA CGB"), PIXELS=words["a"] // p["CGA"])
    return Twin("concat", config, dict.fromkeys(["a", "b", "out"], "config::word_t"))


def _add(case, arrays, words):
    p = case["params"]
    config = _config("add", a_t=_lane(p["A_BITS"], p["A_SIGNED"]), b_t=_lane(p["B_BITS"], p["B_SIGNED"]),
                     **_outputs(p, p["LANES"]), **_ints(p, "LANES"), WORDS=words["out"],
                     **_ints(p, "MA MB ZA ZB SHIFT ZP LO HI SUM_BITS"))
    return Twin("add", config, {"a": _word(p["LANES"] * p["A_BITS"]), "b": _word(p["LANES"] * p["B_BITS"]),
                                "out": "config::out_word"})


def _axis_in(case, arrays, words):
    p = case["params"]
    # values as wide as lanes: the sign only matters to a lane wider than a value; signed, as the network's input
    config = _config("axis_in", **_ints(p, "AXI_BITS VALUE_BITS"), value_t=_lane(p["VALUE_BITS"], True),
                     lane_t=_lane(p["LANE_BITS"], True), word_t=_word(p["LANES"] * p["LANE_BITS"]),
                     **_ints(p, "LANES WORDS"))
    return Twin("axis_in", config, {"in": f"sf::axis_word<{p['AXI_BITS']}>", "out": "config::word_t"})


def _axis_out(case, arrays, words):
    p = case["params"]
    config = _config("axis_out", **_ints(p, "AXI_BITS VALUE_BITS"), lane_t=_lane(p["LANE_BITS"], p["LANE_SIGNED"]),
                     **_ints(p, "VALUES"))
    return Twin("axis_out", config, {"in": _word(p["LANE_BITS"]), "out": f"sf::axis_word<{p['AXI_BITS']}>"})


TWINS = {"duplicate": _duplicate, "regroup": _regroup, "concat": _concat, "requant": _requant, "add": _add,
         "gap": _gap, "window": _window, "maxpool": _maxpool, "pool": _pool, "mvau": _mvau, "axis_in": _axis_in,
         "axis_out": _axis_out}
HLS_CASES = [(kernel, index) for kernel, index in KERNEL_CASES if kernel in TWINS]


# --- the harness --------------------------------------------------------------------------------------------------

@dataclass
class Harness:
    """A case's kernel harness (built, cached) and its golden words frame by frame."""

    tb: Path
    sources: dict[str, list[list[int]]]
    sinks: dict[str, list[list[int]]]
    beats: set[str]  # the sinks of AXI beats, which come out with their TLAST

    def run(self, sources: dict[str, list[list[int]]] | None = None) -> subprocess.CompletedProcess:
        """Run the harness on `sources` (default: the golden inputs); kernel_tb.h has the formats."""
        sources = sources or self.sources
        tokens = [FRAMES]
        for f in range(FRAMES):
            for words in sources.values():
                tokens += [len(words[f]), *words[f]]
            tokens += [len(words[f]) for words in self.sinks.values()]
        return subprocess.run([str(self.tb)], input="\n".join(f"{t:x}" for t in tokens), capture_output=True,
                              text=True, timeout=120)

    def outputs(self) -> tuple[dict[str, list[int]], dict[str, list[bool]]]:
        """Run on the golden inputs -> (every sink's words over all frames, the TLAST of each beat of `beats`)."""
        proc = self.run()
        assert proc.returncode == 0, proc.stderr
        tokens = iter(proc.stdout.split())
        got = {name: [] for name in self.sinks}
        lasts = {name: [] for name in self.beats}
        for f in range(FRAMES):
            for name, words in self.sinks.items():
                for _ in words[f]:
                    got[name].append(int(next(tokens), 16))
                    if name in self.beats:
                        lasts[name].append(next(tokens) == "1")
        assert next(tokens, None) is None, "the harness wrote more than the golden words"
        return got, lasts


def _frames(words: list[int]) -> list[list[int]]:
    assert len(words) % FRAMES == 0, f"{len(words)} words are not {FRAMES} equal frames"
    n = len(words) // FRAMES
    return [words[f * n:(f + 1) * n] for f in range(FRAMES)]


def instantiate(kernel: str, index: int) -> tuple[Twin, dict, dict]:
    """Case `index` of `kernel` -> (its HLS twin, its golden input and output words frame by frame)."""
    case, arrays, _ = make_case(kernel, index)
    sources, sinks = importlib.import_module(f"tb_{kernel}").expected(case, arrays)
    sources, sinks = ({name: _frames(words) for name, words in ports.items()} for ports in (sources, sinks))
    twin = TWINS[kernel](case, arrays, {name: len(frames[0]) for name, frames in {**sources, **sinks}.items()})
    assert list(twin.ports) == [*sources, *sinks], (twin.ports, list(sources), list(sinks))
    return twin, sources, sinks


def _build(name: str, source: str) -> Path:
    """Compile (or reuse) a harness; a warning fails the build as an error does."""
    folder = BUILDS / name
    command = [os.environ.get("CXX", "g++"), *CXXFLAGS, "-isystem", str(ap_types_dir()), "-I", str(LIBRARY),
               "-I", str(HARNESS)]
    digest = hashlib.sha256(json.dumps(command).encode() + b"\0" + source.encode())
    for header in sorted(LIBRARY.glob("*.h")) + sorted(HARNESS.glob("*.h")):
        digest.update(header.name.encode() + b"\0" + header.read_bytes())
    tb, stamp = folder / "tb", folder / "tb.key"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest() and tb.is_file():
        return tb
    folder.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    (folder / "tb.cpp").write_text(source)
    proc = subprocess.run([*command, str(folder / "tb.cpp"), "-o", str(tb)], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stderr, f"g++ on {folder / 'tb.cpp'}:\n{proc.stderr[-6000:]}"
    stamp.write_text(digest.hexdigest())
    return tb


def harness(kernel: str, index: int) -> Harness:
    """Case `index` of `kernel`'s harness, built if needed, with its golden words."""
    twin, sources, sinks = instantiate(kernel, index)
    streams = [{"name": name, "var": f"s_{name}", "ctype": ctype, "source": name in sources}
               for name, ctype in twin.ports.items()]
    source = TEMPLATES.get_template("kernel_tb.cpp.j2").render(
        kernel=twin.kernel, case=f"case {index} of {kernel} (tests/test_rtl_kernels.py)", depth=MIN_DEPTH,
        config=twin.config, tables=twin.tables, streams=streams,
        args=[s["var"] for s in streams] + [t["name"] for t in twin.tables])
    beats = {name for name in sinks if twin.ports[name].startswith("sf::axis_word")}
    return Harness(_build(f"{kernel}-{index}", source), sources, sinks, beats)


@pytest.fixture(autouse=True)
def benches(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHES))  # the tb_<kernel> modules and their streams.py


@pytest.mark.parametrize("kernel,index", HLS_CASES)
def test_kernel(kernel, index):
    import streams

    h = harness(kernel, index)
    got, lasts = h.outputs()
    for name, frames in h.sinks.items():
        streams.compare(got[name], sum(frames, []), f"{name} of sf::{kernel}")
    for name in h.beats:
        assert lasts[name] == [i == len(f) - 1 for f in h.sinks[name] for i in range(len(f))], "TLAST misplaced"
    for name, frames in h.sources.items():  # the last frame one word short, then one word long
        short = h.run({**h.sources, name: frames[:-1] + [frames[-1][:-1]]})
        assert short.returncode == 3 and f"read stream '{name}' while empty" in short.stderr, short.stderr
        long = h.run({**h.sources, name: frames[:-1] + [frames[-1] + [0]]})
        assert long.returncode == 3 and f"stream '{name}' holds 1 words after the frame" in long.stderr, long.stderr


def test_every_hls_kernel_has_cases():
    """Every kernel the back ends instantiate (kernels.base.REGISTRY, by HLS name) is called by some case's harness."""
    assert {instantiate(kernel, index)[0].kernel for kernel, index in HLS_CASES} == set(REGISTRY)
