"""The Verilog kernels (hw/rtl/) in cocotb, on Icarus and Verilator, against compiler/golden.py.

Each case is a seeded random shape and folding of one kernel; its testbench (tests/rtl/tb_<kernel>.py) runs two frames
back to back at full rate, then again under random input gaps and output backpressure, and compares every output
word with the golden function bit for bit. Cycle counts at full rate are checked against the kernel's ideal
(one word per cycle at its busiest port) and recorded as the test's `cycles` property. Builds are cached per
simulator and parameter set in tmp/sim_build/ (SF_SIM_BUILD overrides), so reruns only simulate.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from squeezeflow.compiler.kernels.mvau import mvau_memories
from squeezeflow.compiler.kernels.regroup import Regroup
from squeezeflow.compiler.kernels.requant import requant_memory
from squeezeflow.hw import spec

RTL = Path(spec.__file__).resolve().parent / "rtl"
BENCHES = Path(__file__).resolve().parent / "rtl"
SIM_BUILD = Path(os.environ.get("SF_SIM_BUILD", Path(__file__).resolve().parents[1] / "tmp" / "sim_build"))
FRAMES = 2
MULT_BITS = spec.REQUANT_MULT_BITS
# Full-rate cycles may exceed the ideal by the pipeline's fill (a handful of cycles per kernel) and, for the
# window generator, by its wait for the frame's first windows (about one image row) and between frames.
SLACK_CYCLES = 40
RUNTIME_OBJECTS = ("verilated", "verilated_vpi", "verilated_threads", "verilated_dpi", "verilator")


def _uniform(rng, bits: int, signed: bool, shape) -> np.ndarray:
    lo = -(1 << (bits - 1)) if signed else 0
    return rng.integers(lo, lo + (1 << bits), size=shape)


def _requant(rng, channels: int, magnitude_bits: int, out_bits: int, signed_out: bool) -> tuple[dict, dict]:
    """Random per-channel requantization: most channels scale a `magnitude_bits` value onto the output range with
    a 24-bit multiplier; in half the cases a quarter use small multipliers and shifts (0 included), where
    round-half-even ties are frequent, the others keeping a SHIFT_BASE well above 2 (sf_round_clamp.v's cut). The
    arrays hold whole shifts (the golden model's), the memory images their excess over SHIFT_BASE (shift_excess).
    Returns (Verilog parameters, arrays)."""
    mult = rng.integers(1 << (MULT_BITS - 1), 1 << MULT_BITS, size=channels)
    shift = magnitude_bits + MULT_BITS - out_bits + rng.integers(-1, 3, size=channels)
    ties = (rng.random(channels) < 0.25) & (rng.random() < 0.5)
    mult[ties] = rng.integers(1, 8, size=ties.sum())
    shift[ties] = rng.integers(0, 4, size=ties.sum()) + max(0, magnitude_bits - out_bits)
    base = int(shift.min())
    if signed_out:
        zp, lo, hi = int(rng.integers(-20, 20)), -(1 << (out_bits - 1)), (1 << (out_bits - 1)) - 1
    else:
        zp, lo, hi = int(rng.integers(0, 20)), 0, (1 << out_bits) - 1
        lo = zp if rng.random() < 0.5 else lo  # fused ReLU
    params = dict(MULT_BITS=MULT_BITS, SHIFT_BITS=max(1, int(shift.max() - base).bit_length()), SHIFT_BASE=base,
                  ZP=zp, LO=lo, HI=hi)
    return params, {"mult": mult, "shift": shift}


def shift_excess(params: dict, tables: dict):
    """The shift table of a memory image: each channel's shift beyond SHIFT_BASE."""
    return tables["shift"] - params["SHIFT_BASE"]


def _divisor(rng, n: int, at_most: int = 8) -> int:
    return int(rng.choice([d for d in range(1, min(n, at_most) + 1) if n % d == 0]))


# Each case maker: (rng, index) -> (case dict with "params", arrays, {file parameter: $readmemh image}). Shapes,
# foldings, zero points and tables are random; the index picks the variant a kernel must handle.

def _fifo(rng, i):
    width, depth = int(rng.integers(1, 64)), [2, int(rng.integers(3, 9))][i]
    return {"params": dict(WIDTH=width, DEPTH=depth)}, {"x": _uniform(rng, width, False, 50 * FRAMES)}, {}


def _duplicate(rng, i):
    width = int(rng.integers(1, 64))
    return {"params": dict(WIDTH=width)}, {"x": _uniform(rng, width, False, 40 * FRAMES)}, {}


def _regroup(rng, i):
    # 0: split, 1: gather, 2: gather of blocks (pixels) whose last word is part-filled, the rest zero
    narrow, ratio = int(rng.choice([1, 2, 3])), int(rng.choice([2, 3, 4]))
    in_lanes, out_lanes = [(narrow * ratio, narrow), (narrow, narrow * ratio), (narrow, narrow * ratio)][i]
    block = narrow * (ratio * int(rng.integers(1, 4)) + (int(rng.integers(1, ratio)) if i == 2 else 0))
    blocks, bits = int(rng.integers(3, 8)) * FRAMES, int(rng.integers(4, 17))
    return ({"params": dict(BITS=bits, IN_LANES=in_lanes, OUT_LANES=out_lanes, BLOCK_WORDS=block // in_lanes),
             "in_words": blocks * block // in_lanes},
            {"x": _uniform(rng, bits, False, (blocks, block))}, {})


def _concat(rng, i):
    lanes = int(rng.choice([1, 2, 4]))
    ca, cb = (lanes * int(rng.integers(1, 5)) for _ in range(2))
    h, w, zp = int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(0, 10))
    return ({"params": dict(WIDTH=8 * lanes, CGA=ca // lanes, CGB=cb // lanes), "lanes": lanes, "bits": 8,
             "zero_point": zp},
            {"a": _uniform(rng, 8, False, (FRAMES, ca, h, w)), "b": _uniform(rng, 8, False, (FRAMES, cb, h, w))}, {})


def _requant_case(rng, i):
    # 0: a concat input (8-bit, zero point); 1: a global average pool's sums (wide, signed, zero point 0)
    lanes = int(rng.choice([1, 2, 3]))
    channels = lanes * int(rng.integers(1, 5))
    in_bits, in_signed, zp_in = [(8, False, int(rng.integers(0, 30))), (int(rng.integers(12, 20)), True, 0)][i]
    params, tables = _requant(rng, channels, in_bits, 8, signed_out=bool(i))
    shift_max = int(tables["shift"].max())
    params.update(LANES=lanes, IN_BITS=in_bits, IN_SIGNED=int(in_signed), OUT_BITS=8, CG=channels // lanes,
                  ZP_IN=zp_in, PRODUCT_BITS=max(in_bits + 1 + MULT_BITS + 1, shift_max + 2))
    x = _uniform(rng, in_bits, in_signed, (FRAMES, channels, int(rng.integers(1, 4)), int(rng.integers(1, 4))))
    image = requant_memory(tables["mult"], shift_excess(params, tables), channels, lanes, params["SHIFT_BITS"])
    return {"params": params}, {"x": x, **tables}, {"PARAM_FILE": image}


def _add(rng, i):
    lanes = int(rng.choice([1, 2, 4]))
    channels = lanes * int(rng.integers(1, 4))
    za, zb, zp = (int(v) for v in rng.integers(0, 40, size=3))
    ma, mb = (int(v) for v in rng.integers(1 << 10, 1 << 14, size=2))
    shift = [0, int(rng.integers(10, 16))][i]
    span = ma * 255 + mb * 255
    params = dict(LANES=lanes, A_BITS=8, A_SIGNED=0, B_BITS=8, B_SIGNED=0, OUT_BITS=8, MA=ma, MB=mb, ZA=za, ZB=zb,
                  SHIFT=shift, ZP=zp, LO=zp, HI=255, SUM_BITS=max(span.bit_length() + 2, shift + 2))
    shape = (FRAMES, channels, int(rng.integers(2, 5)), int(rng.integers(2, 5)))
    return {"params": params}, {"a": _uniform(rng, 8, False, shape), "b": _uniform(rng, 8, False, shape)}, {}


def _gap(rng, i):
    # 0, 1: pixel-major input, unsigned and signed; 2: channel-major (a streamed-weight sf_mvau's output), at least
    # two channel groups, in groups of all rows but one (the last group short: one row)
    lanes, in_signed, channel_major = int(rng.choice([1, 2])), bool(i), i == 2
    low = 2 if channel_major else 1
    channels, h, w = lanes * int(rng.integers(low, 5)), int(rng.integers(2 * low - 1, 5)), int(rng.integers(1, 5))
    zp = int(rng.integers(-10, 10)) if in_signed else int(rng.integers(0, 30))
    params = dict(LANES=lanes, IN_BITS=8, IN_SIGNED=int(in_signed), SUM_BITS=(h * w * 300).bit_length() + 1,
                  CG=channels // lanes, PIXELS=h * w, ZP=zp)
    if channel_major:
        params.update(CHANNEL_MAJOR=1, GROUP=w * (h - 1))
    return {"params": params}, {"x": _uniform(rng, 8, in_signed, (FRAMES, channels, h, w))}, {}


def _geometry(rng, i):
    """(c, h, w, kernel, stride, pad [t, l, b, r], (ho, wo)): 0 a padded 3x3 convolution, 1 a strided one, 2 a
    ceil-mode pooling window hanging over the bottom/right edge (even sizes)."""
    c = int(rng.choice([2, 3, 4, 6]))
    if i == 0:
        h, w = (int(v) for v in rng.integers(3, 7, size=2))
        return c, h, w, [3, 3], [1, 1], [1, 1, 1, 1], (h, w)
    if i == 1:
        h, w = (int(v) for v in rng.integers(5, 9, size=2))
        return c, h, w, [3, 3], [2, 2], [0, 0, 0, 0], ((h - 3) // 2 + 1, (w - 3) // 2 + 1)
    h, w = (2 * int(v) for v in rng.integers(2, 5, size=2))
    return c, h, w, [3, 3], [2, 2], [0, 0, 0, 0], (-(-(h - 3) // 2) + 1, -(-(w - 3) // 2) + 1)


def _window(rng, i):
    c, h, w, kernel, stride, pad, (ho, wo) = _geometry(rng, i)
    lanes = _divisor(rng, c)
    signed = i == 1
    pad_value = int(_uniform(rng, 8, signed, ()))
    params = dict(LANES=lanes, BITS=8, H=h, W=w, CG=c // lanes, KH=kernel[0], KW=kernel[1], SH=stride[0],
                  SW=stride[1], PT=pad[0], PL=pad[1], HO=ho, WO=wo, ROWS=kernel[0] + stride[0], PAD=pad_value)
    return {"params": params, "pad": pad}, {"x": _uniform(rng, 8, signed, (FRAMES, c, h, w))}, {}


def _maxpool(rng, i):
    c, h, w, kernel, stride, pad, (ho, wo) = _geometry(rng, 2 - i)
    lanes, signed = _divisor(rng, c), i == 1
    params = dict(LANES=lanes, BITS=8, SIGNED=int(signed), K=kernel[0] * kernel[1], CG=c // lanes)
    return ({"params": params, "kernel": kernel, "stride": stride, "pad": pad, "out_hw": [ho, wo]},
            {"x": _uniform(rng, 8, signed, (FRAMES, c, h, w))}, {})


# sf_pool cases: ((h, w), kernel, stride, pad [t, l, b, r], ceil mode, signed, (lanes, channel groups)): SqueezeNet's
# 3x3/2 ceil-mode pools on an odd input (the windows fit exactly) and an even one (the last window hangs over the
# edge), 3x3/2 with padding 1 (floor mode), 2x2/2 in ceil mode (one slot per dimension), and 3x1/2 on a single
# column, where every input word completes a column and the one-word row slots are read at the edge that writes them.
POOL_CASES = [((13, 13), [3, 3], [2, 2], [0, 0, 0, 0], True, False, (1, 1)),
              ((8, 10), [3, 3], [2, 2], [0, 0, 0, 0], True, True, (2, 3)),
              ((7, 8), [3, 3], [2, 2], [1, 1, 1, 1], False, True, (4, 2)),
              ((7, 9), [2, 2], [2, 2], [0, 0, 0, 0], True, False, (3, 2)),
              ((15, 1), [3, 1], [2, 1], [0, 0, 0, 0], True, False, (1, 1))]


def _pool(rng, i):
    from squeezeflow.compiler.dataflow.graph import pool_is_separable
    from squeezeflow.compiler.frontend.lower import pooled_size

    (h, w), kernel, stride, pad, ceil, signed, (lanes, cg) = POOL_CASES[i]
    ho, wo = (pooled_size(n, k, s, pad[d], pad[d + 2], ceil)
              for d, (n, k, s) in enumerate(zip((h, w), kernel, stride)))
    assert pool_is_separable((h, w), kernel, stride, pad, (ho, wo)), POOL_CASES[i]
    params = dict(LANES=lanes, BITS=8, SIGNED=int(signed), CG=cg, H=h, W=w, KH=kernel[0], KW=kernel[1],
                  SH=stride[0], SW=stride[1], PT=pad[0], PL=pad[1], HO=ho, WO=wo,
                  NA=-(-kernel[1] // stride[1]), NB=-(-kernel[0] // stride[0]))
    return {"params": params, "pad": pad}, {"x": _uniform(rng, 8, signed, (FRAMES, lanes * cg, h, w))}, {}


# sf_mvau cases: (kernel, pad, signed input, weight bits, spec.MAC_IMPLS entry, output bits, spec.WEIGHT_STORAGES
# entry): a 1x1 convolution on unsigned (ReLU) activations and a padded 3x3 one on signed inputs, as conv1, between
# them every multiplier mapping, with the weights on chip (each ROM branch; simulators ignore the ram_style itself)
# and streamed. 8-bit outputs hide most off-by-one errors of the accumulator in the rounding; "wide" outputs scale it
# up instead.
MVAU_CASES = [([1, 1], [0, 0, 0, 0], False, 6, "dsp", 8, "bram"),
              ([3, 3], [1, 1, 1, 1], True, 8, "lut", "wide", "lutram"),
              ([1, 1], [0, 0, 0, 0], False, 6, "dsp_packed", "wide", "bram"),
              ([3, 3], [1, 1, 1, 1], True, 6, "dsp_packed", 8, "lutram"),
              ([1, 1], [0, 0, 0, 0], False, 6, "dsp_packed", "wide", "ddr"),
              ([3, 3], [1, 1, 1, 1], True, 8, "dsp", 8, "ddr"),
              ([1, 1], [0, 0, 0, 0], False, 4, "lut", 8, "ddr")]


def _mvau(rng, i):
    kernel, pad, signed, wbits, mac, out_bits, storage = MVAU_CASES[i]
    c, o, h, w = (int(v) for v in rng.integers([2, 2, 2, 2], [9, 9, 5, 5]))
    if storage == "ddr":  # both replay buffers in use (SF, NF > 1), weight tiles of up to four 64-bit words
        pe, nf = 4, int(rng.choice([2, 3]))
        c, o = 2 * int(rng.integers(2, 5)), pe * nf
        simd = c // 2 if kernel == [1, 1] else c
    elif mac == "dsp_packed":  # output channels in pairs
        simd = _divisor(rng, c)
        o = 2 * (o // 2)
        pe = 2 * _divisor(rng, o // 2, at_most=4)
    else:
        simd = _divisor(rng, c)
        pe = _divisor(rng, o)
    fan_in = c * kernel[0] * kernel[1]
    weight = _uniform(rng, wbits, True, (o, c, *kernel))
    # The extremes: a quarter of the weights at the most negative value (which packs into the widest operand) and
    # the first pixel of each frame at the input's extreme, so that products reach their full range.
    weight[rng.random(weight.shape) < 0.25] = -(1 << (wbits - 1))
    x = _uniform(rng, 8, signed, (FRAMES, c, h, w))
    x[:, :, 0, 0] = -128 if signed else 255
    bias = rng.integers(-(1 << 12), 1 << 12, size=o)
    acc_bits = (fan_in * (1 << (wbits - 1)) * (1 << 8) + (1 << 12)).bit_length() + 1
    if out_bits == "wide":  # most channels' multipliers scale by 2 to 32, which never clamps
        out_bits = acc_bits + 6
        params, tables = _requant(rng, o, acc_bits + 2, out_bits, signed_out=True)
    else:
        params, tables = _requant(rng, o, fan_in.bit_length() // 2 + wbits + 6, 8, signed_out=False)  # ~ |acc|
    shift_max = int(tables["shift"].max())
    params.update(SIMD=simd, PE=pe, SF=fan_in // simd, NF=o // pe, IN_BITS=8, IN_SIGNED=int(signed), W_BITS=wbits,
                  OUT_BITS=out_bits, ACC_BITS=acc_bits, PRODUCT_BITS=max(acc_bits + MULT_BITS + 1, shift_max + 2),
                  MAC=spec.MAC_IMPLS.index(mac), PACK_SHIFT=spec.pack_shift(8, signed, wbits, simd),
                  WEIGHT_STORAGE=spec.WEIGHT_STORAGES.index(storage),
                  REQUANT_UNITS=spec.requant_units(pe, fan_in // simd))
    pad_value = int(_uniform(rng, 8, signed, ()))
    # every other case: a float bias's fraction in the product's units (ir.Requant offset), up to half a multiplier
    offset = np.zeros(o, np.int64)
    if i % 2:
        offset = rng.integers(-(tables["mult"] // 2), tables["mult"] // 2 + 1)
        params["OFFSET_BITS"] = int(np.abs(offset).max()).bit_length() + 1
    tables["offset"] = offset
    weights, param_image = mvau_memories(weight, bias, tables["mult"], shift_excess(params, tables), simd, pe, wbits,
                                         acc_bits, params["SHIFT_BITS"], offset, params.get("OFFSET_BITS", 0))
    case = {"params": params, "stride": [1, 1], "pad": pad, "out_hw": [h, w], "pad_value": pad_value}
    images = {"WEIGHT_FILE": weights, "PARAM_FILE": param_image}
    if storage == "ddr":  # WEIGHT_FILE's tiles are the weight stream's words (hex, wider than numpy's integers)
        # pixel groups of one or more rows, the last group short when they do not divide the rows
        params.update(PIXELS=h * w, GROUP=w * int(rng.integers(1, h)),
                      W_WORD_BITS=spec.AXI_STREAM_BITS * spec.weight_tile_beats(pe, simd, wbits))
        case["weight_words"] = weights.split()
        del images["WEIGHT_FILE"]
    return case, {"x": x, "weight": weight, "bias": bias, **tables}, images


def _axis_in(rng, i):
    # 0: words of 3 lanes, which straddle the 8-value beats; 1: any grouping
    c = [3, int(rng.choice([1, 2, 4, 8]))][i]
    h, w, signed = int(rng.integers(1, 6)), int(rng.integers(1, 8)), not i
    lanes = c if i == 0 else _divisor(rng, c)
    params = dict(AXI_BITS=spec.AXI_STREAM_BITS, VALUE_BITS=8 * spec.INPUT_BYTES_PER_VALUE, LANES=lanes,
                  LANE_BITS=8, WORDS=h * w * c // lanes)
    return {"params": params}, {"x": _uniform(rng, 8, signed, (FRAMES, c, h, w))}, {}


def _axis_out(rng, i):
    classes, bits = int(rng.integers(1, 13)), [int(rng.integers(8, 20)), 32][i]
    params = dict(AXI_BITS=spec.AXI_STREAM_BITS, VALUE_BITS=8 * spec.OUTPUT_BYTES_PER_VALUE, LANE_BITS=bits,
                  LANE_SIGNED=1, VALUES=classes)
    return {"params": params}, {"x": _uniform(rng, bits, True, (FRAMES, classes))}, {}


CASES = {"fifo": _fifo, "duplicate": _duplicate, "regroup": _regroup, "concat": _concat, "requant": _requant_case,
         "add": _add, "gap": _gap, "window": _window, "maxpool": _maxpool, "pool": _pool, "mvau": _mvau,
         "axis_in": _axis_in, "axis_out": _axis_out}
CASES_PER_KERNEL = {"regroup": 3, "window": 3, "mvau": len(MVAU_CASES), "gap": 3, "pool": len(POOL_CASES)}
KERNEL_CASES = [(k, i) for k in CASES for i in range(CASES_PER_KERNEL.get(k, 2))]


@pytest.fixture
def simulator(request, monkeypatch):
    from squeezeflow.compiler.sim.rtlsim import verilator_env

    monkeypatch.syspath_prepend(str(BENCHES))  # the runner hands sys.path to the simulator's Python
    if request.param == "verilator":
        for name in ("PATH", "MAKEFLAGS"):
            monkeypatch.setenv(name, verilator_env()[name])
    return request.param


def make_case(kernel: str, index: int) -> tuple[dict, dict, dict]:
    """Case `index` of `kernel`, the same on every run and in both twins' tests -> (case, arrays, images)."""
    case, arrays, images = CASES[kernel](np.random.default_rng(1000 * index + len(kernel)), index)
    case["seed"] = index
    return case, arrays, images


def run_case(sim: str, kernel: str, index: int) -> tuple[dict, dict]:
    """Build (cached) and simulate case `index` of `kernel` -> (the case, the testbench's results.json)."""
    from cocotb_tools.runner import get_runner

    from squeezeflow.compiler.sim.rtlsim import VERILATOR_FLAGS

    case, arrays, images = make_case(kernel, index)
    params = {**case["params"], **{name: f'"{name.lower()}.hex"' for name in images}}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    folder = SIM_BUILD / sim / f"{kernel}-{index}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.json").write_text(json.dumps(case))
    np.savez(folder / "case.npz", **arrays)
    for name, image in images.items():
        (folder / f"{name.lower()}.hex").write_text(image)
    (folder / "results.json").unlink(missing_ok=True)
    module = f"sf_{kernel}"
    runner = get_runner(sim)
    if sim == "verilator":
        _share_runtime(folder, before=True)
    runner.build(sources=sorted(RTL.glob("*.v")), hdl_toplevel=module, parameters=params, build_dir=folder,
                 build_args=VERILATOR_FLAGS if sim == "verilator" else [], timescale=("1ns", "1ps"))
    if sim == "verilator":
        _share_runtime(folder, before=False)
    runner.test(test_module=f"tb_{kernel}", hdl_toplevel=module, build_dir=folder, test_dir=folder,
                extra_env={"SF_CASE": str(folder)})
    return case, json.loads((folder / "results.json").read_text())


def _share_runtime(folder: Path, before: bool) -> None:
    """Verilator compiles its runtime and cocotb's VPI glue (the same objects for every design, 10 of a clean
    build's 12 s) into each build folder: seed a new folder with the objects of an earlier build, and keep the first
    build's objects for the next ones. make rebuilds an object older than the makefile Verilator is about to
    regenerate, so the seeded objects are dated a few minutes ahead."""
    shared = SIM_BUILD / "verilator" / "runtime"
    names = [f"{stem}.{ext}" for stem in RUNTIME_OBJECTS for ext in ("o", "d")]
    if before and shared.is_dir() and not (folder / names[0]).exists():
        ahead = time.time() + 600
        for name in names:
            shutil.copyfile(shared / name, folder / name)
            os.utime(folder / name, (ahead, ahead))
    elif not before and not shared.is_dir():
        staging = Path(tempfile.mkdtemp(dir=shared.parent))
        for name in names:
            shutil.copy2(folder / name, staging / name)
        staging.rename(shared)


@pytest.mark.parametrize("simulator", ["icarus", "verilator"], indirect=True)
@pytest.mark.parametrize("kernel,index", KERNEL_CASES)
def test_kernel(simulator, kernel, index, record_property):
    case, result = run_case(simulator, kernel, index)
    record_property("cycles", result["cycles"])
    record_property("ideal_cycles", result["ideal"])
    p = case["params"]
    # the window generator waits, each frame, for the KH - PT input rows its first window needs
    slack = SLACK_CYCLES + (FRAMES * (p["KH"] - p["PT"]) * p["W"] * p["CG"] if kernel == "window" else 0)
    assert result["cycles"] <= result["ideal"] + slack, result
    if kernel == "regroup":  # the planner's cycle model of the converter, its zero fill included (one register)
        bits = p["BITS"]
        config = Regroup.Config(lane_t=f"ap_uint<{bits}>", in_word=f"ap_uint<{p['IN_LANES'] * bits}>",
                                out_word=f"ap_uint<{p['OUT_LANES'] * bits}>", IN_LANES=p["IN_LANES"],
                                OUT_LANES=p["OUT_LANES"], IN_WORDS=case["in_words"], BLOCK_WORDS=p["BLOCK_WORDS"])
        modelled = Regroup.cycles(config)
        assert modelled <= result["cycles"] <= modelled + 1, (modelled, result)
