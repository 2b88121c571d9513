"""compiler/kernels/kernel_costs.py against yosys (compiler/sim/synth.py's flow) on six representative kernel instances
and two MVAUs, plus the memory mapping rules it encodes (no synthesis).

Tolerances, and why:
* DSP, BRAM36, URAM and LUTRAM exact: the model reproduces yosys's own mapping decision (memory_libmap's scores)
  and the DSP48E2 tiling of each product, so any difference is a model error, not noise.
* FF within 5%: the formulas count the registers of the Verilog; yosys merges duplicate and drops constant ones, which
  the formulas follow (all within 3% on bench/resource_fit.py's grid, most exact).
* LUT within 20%: a least-squares fit of a few structural terms (mean error about 5% on the grid, max under 20%
  but for a few tiny instances); yosys's LUT mapping is not Vivado's either, so 20% is the model's real precision.
The six run in parallel (about 15 s on 2 cores); bench/resource_fit.py covers the full grid.
"""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from squeezeflow.compiler.kernels import kernel_costs as kc
from squeezeflow.compiler.sim import synth
from squeezeflow.hw import spec

EXACT = ("lutram", "dsp", "bram36", "uram")
FF_TOLERANCE, LUT_TOLERANCE = 0.05, 0.20
MEASURED = {"lut": "LUT", "lutram": "LUTRAM", "ff": "FF", "dsp": "DSP", "bram36": "BRAM36", "uram": "URAM"}

# SqueezeNet 1.1 224x224 instances (compiled with the default folding), one per regime of the model.
CASES = {
    # the deepest stream FIFO: 4864 words of 16 bits in 5 RAMB18 (depth slices sharing block RAMs), a 5:1 read mux
    "fifo 16b x 4864": ("sf_fifo", {"WIDTH": 16, "DEPTH": 4864}),
    # fire4's expand3x3 line buffer: 432 words of 64 bits, block RAM by synth.py's 257..512 rule
    "window fire4": ("sf_window", {"LANES": 8, "H": 27, "W": 27, "CG": 4, "KH": 3, "KW": 3, "SH": 1, "SW": 1,
                                   "PT": 1, "PL": 1, "HO": 27, "WO": 27, "ROWS": 4, "PAD": 0, "BITS": 8}),
    # pool1: the running maximum, 4 words of 128 bits in LUTRAM
    "maxpool pool1": ("sf_maxpool", {"LANES": 16, "K": 9, "CG": 4, "BITS": 8, "SIGNED": 0}),
    # the quantized global average: 8 lanes of 17-bit sums times a 24-bit multiplier, one DSP each
    "requant gap": ("sf_requant", {"LANES": 8, "CG": 125, "ZP_IN": 0, "MULT_BITS": 24, "SHIFT_BITS": 5,
                                   "PRODUCT_BITS": 43, "ZP": 0, "LO": 0, "HI": 255, "IN_BITS": 17, "IN_SIGNED": 1,
                                   "OUT_BITS": 8}),
    # a bypass add (squeezenet1_1_bypass): two constant 24-bit multipliers per lane, two DSPs
    "add fire3": ("sf_add", {"LANES": 4, "MA": 11132223, "MB": 16461644, "ZA": 0, "ZB": 0, "SHIFT": 24, "ZP": 0,
                             "LO": 0, "HI": 255, "SUM_BITS": 35, "A_BITS": 8, "A_SIGNED": 0, "B_BITS": 8,
                             "B_SIGNED": 0, "OUT_BITS": 8}),
    # a weight-like ROM of 55 Kbit: block RAM, its three 512-word slices packed into 2 RAMB36 at bit granularity
    "ROM 48b x 1152": (kc.MEMORY, {"WIDTH": 48, "DEPTH": 1152, "ROM": 1, "STYLE": "auto"}),
}


@pytest.fixture(scope="module")
def measured() -> dict:
    if shutil.which("yosys") is None:
        pytest.skip("yosys is not installed (make test installs it)")
    with ThreadPoolExecutor(len(CASES)) as pool:
        return dict(zip(CASES, pool.map(lambda case: synth.measure(*case), CASES.values())))


@pytest.mark.parametrize("name", CASES)
def test_model_matches_yosys(measured, name):
    module, params = CASES[name]
    got = {k: measured[name][v] for k, v in MEASURED.items()}
    want = kc.predicted(module, params).as_dict()
    for k in EXACT:
        assert want[k] == got[k], f"{k}: model {want[k]}, yosys {got[k]} ({measured[name]['cells']})"
    assert abs(want["ff"] - got["ff"]) <= FF_TOLERANCE * got["ff"], f"FF: model {want['ff']}, yosys {got['ff']}"
    assert abs(want["lut"] - got["lut"]) <= LUT_TOLERANCE * got["lut"], f"LUT: model {want['lut']}, yosys {got['lut']}"


# sf_mvau (kernel_costs.mvau_cost): two SqueezeNet-sized instances, one per multiplier regime. DSP and BRAM36 are
# exact; LUT and FF (with the shift registers yosys puts in SRLs, which the model counts as FFs) are a fit of yosys's
# counts for this kernel (mean error 11% and 6% over 30 runs, at most 34% and 27%): within 35% and 25% here.
MVAU_CASES = {
    "mvau 8x8 dsp": dict(SIMD=8, PE=8, SF=18, NF=16, MAC=0, WEIGHT_STORAGE=0, ACC_BITS=18),
    "mvau 16x4 lut": dict(SIMD=16, PE=4, SF=4, NF=250, MAC=2, WEIGHT_STORAGE=0, ACC_BITS=19),
}


@pytest.fixture(scope="module")
def measured_mvau() -> dict:
    if shutil.which("yosys") is None:
        pytest.skip("yosys is not installed (make test installs it)")
    common = dict(IN_BITS=8, IN_SIGNED=0, W_BITS=6, OUT_BITS=8, MULT_BITS=24, SHIFT_BITS=2, ZP=0, LO=0, HI=255)
    cases = {name: {**common, **p, "PRODUCT_BITS": p["ACC_BITS"] + 25, "SHIFT_BASE": p["ACC_BITS"] + 6,
                    "PACK_SHIFT": spec.pack_shift(8, False, 6, p["SIMD"]),
                    "REQUANT_UNITS": spec.requant_units(p["PE"], p["SF"])} for name, p in MVAU_CASES.items()}
    with ThreadPoolExecutor(len(cases)) as pool:
        return {name: (params, result) for (name, params), result in
                zip(cases.items(), pool.map(lambda p: synth.measure("sf_mvau", p), cases.values()))}


@pytest.mark.parametrize("name", MVAU_CASES)
def test_mvau_model_matches_yosys(measured_mvau, name):
    params, got = measured_mvau[name]
    want = kc.predicted("sf_mvau", params)
    assert (want.dsp, want.bram36) == (got["DSP"], got["BRAM36"]), (want, got["cells"])
    assert abs(want.lut - got["LUT"]) <= 0.35 * got["LUT"], (want.lut, got["LUT"])
    storage = got["FF"] + got["LUTRAM"]
    assert abs(want.ff + want.lutram - storage) <= 0.25 * storage, (want, got["FF"], got["LUTRAM"])


def test_memory_mapping_rules():
    """The thresholds the model encodes (measured with yosys 0.23 through synth.py, bench/resource_fit.py)."""
    kind = lambda *a, **k: kc.memory_mapping(*a, **k).kind  # noqa: E731
    assert kind(8, 2) == "lutram" and kc.memory_cost(8, 2).lutram == 8  # a 2-deep FIFO: one RAM32M16
    assert kind(8, 256) == "lutram" and kind(16, 256) == "bram"  # 8 RAM64M8 score 89 < a RAMB18's 131
    assert kind(24, 128) == "lutram" and kind(24, 129) == "bram"
    assert kind(512, 64) == "lutram" and kind(512, 65) == "bram"
    assert kind(8, 300) == "bram" and kind(8, 300, "lutram") == "lutram"  # synth.py: 257..512 words to block RAM
    assert kind(8, 1024, rom=True) == "logic" and kind(16, 2048, rom=True) == "bram"  # ROM logic below ~8 Kbit
    assert kc.memory_cost(16, 4864).bram36 == 2.5 and kc.memory_cost(512, 4864).bram36 == 71.5
    assert kc.memory_cost(48, 1152, "uram").uram == 1 and kc.memory_cost(192, 64, "uram").uram == 3
    assert kc.memory_cost(16, 128, "lutram", rom=True).lutram == 0  # a distributed ROM is LUT logic
    with pytest.raises(ValueError):
        kc.memory_cost(16, 128, "uram", rom=True)


def test_planner_entry_points_agree():
    fifo = kc.fifo_cost(24, 2432)
    assert fifo == kc.kernel_cost("sf_fifo", {"WIDTH": 24, "DEPTH": 2432})
    assert fifo.bram36 == 2.0
    window = CASES["window fire4"][1]
    config = {k: window[k] for k in ("H", "W", "CG", "KH", "KW", "SH", "SW", "PT", "PL", "HO", "WO")}
    assert kc.window_cost(config, 8, 8) == kc.kernel_cost("sf_window", window)
    total = kc.fifo_cost(8, 2) + kc.kernel_cost("sf_duplicate", {"WIDTH": 8})
    assert total.ff == kc.fifo_cost(8, 2).ff + 10
    mvau = dict(MVAU_CASES["mvau 8x8 dsp"], IN_BITS=8, W_BITS=6, MULT_BITS=24, SHIFT_BITS=2)
    assert kc.kernel_cost("sf_mvau", mvau) == kc.mvau_cost_of(mvau) and kc.mvau_cost_of(mvau).dsp > 64
    with pytest.raises(ValueError):
        kc.kernel_cost("sf_nothing", {})
