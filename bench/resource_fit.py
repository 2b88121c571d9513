"""Resources of the RTL kernels in yosys against compiler/kernels/kernel_costs.py's formulas.

Synthesizes every kernel over a grid of parameter sets, those of a SqueezeNet 1.1 224x224 build (W6A8, the default
folding; sf_requant and sf_add from its simple-bypass, onnxruntime-QDQ variant) and around them (lanes 1..64, the
window widths 224..13, FIFO depths 2..4864, bare RAMs and ROMs in every style), each in its own temporary folder
through compiler/sim/synth.py's yosys flow, then prints measured against predicted with the error, a summary per kernel
and the memory mapping thresholds the model implies. Nothing is cached. About 3 minutes on 2 cores (57 syntheses;
--full, 119: about 7; --quick, the 35 SqueezeNet instances only: about 1).

    python bench/resource_fit.py [--full | --quick] [--build BUILD] [--jobs N] [--refit] [--json FILE]

--build BUILD adds the distinct non-MVAU instances of a build made with `squeezeflow compile --backend rtl`.
--refit prints the least-squares LUT coefficients on this grid next to kernel_costs.LUT_COEF (which were fitted on
a larger exploration grid, about 330 syntheses: use it with --full), and sf_mvau's LUT and FF coefficients next to
kernel_costs.MVAU_LUT and MVAU_FF (non-negative least squares; fitted with --only sf_mvau --full).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy.optimize import nnls
from tqdm import tqdm

from squeezeflow.compiler.kernels import kernel_costs as kc
from squeezeflow.compiler.sim import synth
from squeezeflow.hw import spec

RESOURCES = ("lut", "lutram", "ff", "dsp", "bram36", "uram")
MEASURED = {"lut": "LUT", "lutram": "LUTRAM", "ff": "FF", "dsp": "DSP", "bram36": "BRAM36", "uram": "URAM"}
EXACT = ("lutram", "dsp", "bram36", "uram")  # the model claims these exactly
# shown in the parameter column, in this order
KEYS = ("SIMD", "PE", "SF", "NF", "MAC", "WEIGHT_STORAGE", "ACC_BITS", "WIDTH", "DEPTH", "ROM", "STYLE", "LANES",
        "BITS", "W", "CG", "ROWS", "KH", "KW", "SH", "PL", "K", "IN_LANES", "OUT_LANES",
        "IN_BITS", "PRODUCT_BITS", "SUM_BITS", "CGA", "CGB", "PIXELS", "P", "SHIFT_BITS", "WORDS", "VALUES",
        "LANE_BITS", "LANE_SIGNED")


# --- the grid -----------------------------------------------------------------------------------------------------

def window(lanes, w, cg, stride=1, k=3, bits=8):
    """An sf_window as SqueezeNet 1.1 uses them: 3x3 stride 1 pad 1 (expand3x3) or 3x3 stride 2 ceil-mode
    (conv1 unpadded, the max pools)."""
    if stride == 1:
        pad, out = 1, w
    else:
        pad, out = 0, (w - k + stride - 1) // stride + 1
    return dict(LANES=lanes, H=w, W=w, CG=cg, KH=k, KW=k, SH=stride, SW=stride, PT=pad, PL=pad, HO=out, WO=out,
                ROWS=k + stride, PAD=0, BITS=bits)


def pool(lanes, w, cg, k=3, stride=2, pad=0, bits=8, signed=0):
    """An sf_pool: SqueezeNet 1.1's 3x3/2 ceil-mode max pools (unpadded), or padded in floor mode."""
    out = (w + 2 * pad - k + (0 if pad else stride - 1)) // stride + 1
    return dict(LANES=lanes, BITS=bits, SIGNED=signed, CG=cg, H=w, W=w, KH=k, KW=k, SH=stride, SW=stride, PT=pad,
                PL=pad, HO=out, WO=out, NA=-(-k // stride), NB=-(-k // stride))


def requant(lanes, cg, in_bits=8, signed=0, product=34, zp_in=128):
    return dict(LANES=lanes, CG=cg, ZP_IN=zp_in, MULT_BITS=24, SHIFT_BITS=5, PRODUCT_BITS=product, ZP=0, LO=0,
                HI=255, IN_BITS=in_bits, IN_SIGNED=signed, OUT_BITS=8)


def add(lanes, ma=11132223, mb=16461644, sum_bits=35, shift=24):
    return dict(LANES=lanes, MA=ma, MB=mb, ZA=0, ZB=0, SHIFT=shift, ZP=0, LO=0, HI=255, SUM_BITS=sum_bits, A_BITS=8,
                A_SIGNED=0, B_BITS=8, B_SIGNED=0, OUT_BITS=8)


# A real layer's shifts: about 3 values (its channels' scales differ by less than 8x), the least some 6 above the
# accumulator's width (SqueezeNet 1.1 trained: fire8_expand3x3, 24-bit accumulators, shifts 29..31).
SHIFT_SPREAD_BITS, SHIFT_BASE_OVER_ACC = 2, 6


def mvau(simd, pe, sf, nf, mac="dsp", storage="bram", acc=20, in_bits=8, w_bits=6):
    """An sf_mvau; weights from DDR ("ddr") for conv10's 13 x 13 pixels."""
    streamed = dict(PIXELS=169, W_WORD_BITS=spec.AXI_STREAM_BITS * spec.weight_tile_beats(pe, simd, w_bits))
    return dict(SIMD=simd, PE=pe, SF=sf, NF=nf, IN_BITS=in_bits, IN_SIGNED=0, W_BITS=w_bits, OUT_BITS=8,
                ACC_BITS=acc, MULT_BITS=24, SHIFT_BITS=SHIFT_SPREAD_BITS, SHIFT_BASE=acc + SHIFT_BASE_OVER_ACC,
                PRODUCT_BITS=acc + 25, ZP=0, LO=0, HI=255,
                MAC=spec.MAC_IMPLS.index(mac), PACK_SHIFT=spec.pack_shift(in_bits, False, w_bits, simd),
                WEIGHT_STORAGE=spec.WEIGHT_STORAGES.index(storage), REQUANT_UNITS=spec.requant_units(pe, sf),
                **(streamed if storage == "ddr" else {}))


def memory(width, depth, rom=0, style="auto"):
    return dict(WIDTH=width, DEPTH=depth, ROM=rom, STYLE=style)


# The instances of a SqueezeNet 1.1 224x224 build (default folding), kernel by kernel.
SQUEEZENET = [
    *[("sf_window", window(*a)) for a in [(1, 224, 3, 2), (16, 111, 4, 2), (8, 55, 2), (4, 55, 32, 2), (8, 27, 4),
                                          (2, 27, 128, 2), (3, 13, 16), (8, 13, 8)]],
    *[("sf_fifo", dict(WIDTH=w, DEPTH=d)) for w, d in [(8, 2), (64, 2), (136, 2), (32, 16), (24, 64), (16, 128),
                                                        (8, 1216), (24, 2432), (16, 4864)]],
    *[("sf_maxpool", dict(LANES=lanes, K=9, CG=cg, BITS=8, SIGNED=0)) for lanes, cg in [(16, 4), (4, 32), (2, 128)]],
    *[("sf_pool", pool(*a)) for a in [(16, 111, 4), (4, 111, 16), (4, 55, 32), (2, 27, 128)]],
    *[("sf_regroup", dict(IN_LANES=i, OUT_LANES=o, BITS=b)) for i, o, b in [(16, 2, 8), (1, 8, 8), (3, 1, 8),
                                                                             (8, 1, 17)]],
    *[("sf_requant", requant(*a)) for a in [(4, 16), (3, 64), (8, 125, 17, 1, 43, 0)]],
    ("sf_gap", dict(LANES=8, CG=125, PIXELS=169, ZP=0, IN_BITS=8, IN_SIGNED=0, SUM_BITS=17)),
    *[("sf_concat", dict(CGA=a, CGB=b, WIDTH=w)) for w, a, b in [(32, 16, 16), (24, 64, 64)]],
    *[("sf_add", add(lanes)) for lanes in (4, 3)],
    ("sf_duplicate", dict(WIDTH=8)),
    ("sf_axis_in", dict(AXI_BITS=64, VALUE_BITS=8, LANES=1, WORDS=150528, LANE_BITS=8)),
    ("sf_axis_out", dict(AXI_BITS=64, VALUE_BITS=32, VALUES=1000, LANE_BITS=17, LANE_SIGNED=1)),
    *[("sf_mvau", mvau(*a)) for a in [(3, 16, 9, 4, "dsp", "bram", 17), (16, 8, 1, 8, "dsp_packed", "lutram", 17),
                                      (8, 8, 18, 16, "dsp", "bram", 18), (4, 16, 32, 12, "dsp_packed", "bram", 19),
                                      (16, 4, 4, 250, "lut", "bram", 19)]],
]
# Around them: other foldings (lanes 1..64), the memory regimes, every style.
AROUND = [
    *[("sf_window", window(*a)) for a in [(64, 13, 1), (32, 55, 2)]],
    *[("sf_fifo", dict(WIDTH=w, DEPTH=d)) for w, d in [(8, 32), (8, 256), (512, 64), (512, 65)]],
    *[("sf_maxpool", dict(LANES=lanes, K=9, CG=cg, BITS=8, SIGNED=0)) for lanes, cg in [(64, 1), (1, 512)]],
    *[("sf_pool", pool(*a)) for a in [(64, 13, 1), (16, 13, 2, 3, 2, 0, 8, 1), (8, 56, 8, 2), (4, 56, 16, 3, 2, 1),
                                      (32, 55, 2), (1, 27, 64), (4, 13, 4), (8, 224, 1), (8, 111, 1),
                                      (2, 27, 32, 3, 2, 0, 16, 1)]],
    ("sf_regroup", dict(IN_LANES=64, OUT_LANES=1, BITS=8)),
    ("sf_requant", requant(16, 8)),
    ("sf_gap", dict(LANES=20, CG=50, PIXELS=169, ZP=0, IN_BITS=8, IN_SIGNED=0, SUM_BITS=17)),
    ("sf_axis_in", dict(AXI_BITS=64, VALUE_BITS=8, LANES=8, WORDS=18816, LANE_BITS=8)),
    ("sf_axis_out", dict(AXI_BITS=64, VALUE_BITS=32, VALUES=1000, LANE_BITS=8, LANE_SIGNED=0)),
    ("sf_round_clamp", dict(P=34, SHIFT_BITS=5, OUT_BITS=8, ZP=0, LO=0, HI=255)),
    *[("sf_mvau", mvau(*a)) for a in [(1, 1, 16, 64), (2, 2, 8, 8, "lut", "lutram"), (32, 2, 2, 32, "dsp", "bram", 22),
                                      (8, 16, 4, 4, "lut", "lutram", 20), (2, 32, 32, 2, "dsp_packed")]],
    *[(kc.MEMORY, memory(*a)) for a in [(24, 129), (8, 64, 0, "bram"), (48, 1152, 0, "lutram"), (48, 1152, 0, "uram"),
                                        (16, 256, 1), (8, 1024, 1), (48, 1152, 1), (192, 288, 1)]],
]
# More of the same (--full).
FULL = [
    *[("sf_window", window(*a)) for a in [(1, 13, 64), (16, 13, 4), (64, 27, 2), (4, 224, 1, 2), (1, 55, 16)]],
    *[("sf_fifo", dict(WIDTH=w, DEPTH=d)) for w, d in [(16, 2), (8, 8), (24, 17), (8, 65), (8, 129), (16, 129),
                                                        (24, 129), (32, 64), (16, 256), (8, 976), (32, 1952),
                                                        (64, 4096), (136, 4864), (512, 4864)]],
    *[("sf_maxpool", dict(LANES=lanes, K=9, CG=cg, BITS=8, SIGNED=s)) for lanes, cg, s in [(1, 64, 0), (32, 2, 0),
                                                                                         (8, 16, 1)]],
    *[("sf_regroup", dict(IN_LANES=i, OUT_LANES=o, BITS=8)) for i, o in [(4, 2), (2, 8), (1, 64), (64, 8), (8, 64),
                                                                          (32, 1), (16, 4), (2, 1)]],
    *[("sf_requant", requant(*a)) for a in [(2, 64), (32, 4), (1, 1000, 17, 1, 43, 0), (8, 64)]],
    *[("sf_gap", dict(LANES=lanes, CG=cg, PIXELS=169, ZP=0, IN_BITS=8, IN_SIGNED=0, SUM_BITS=17))
      for lanes, cg in [(1, 1000), (4, 250), (64, 8), (1, 10)]],
    *[("sf_concat", dict(CGA=a, CGB=b, WIDTH=w)) for w, a, b in [(16, 64, 64), (16, 128, 128), (64, 8, 8),
                                                                  (8, 256, 256), (512, 1, 1)]],
    *[("sf_add", add(*a)) for a in [(2,), (16,), (4, 2000000, 3000000, 31, 20)]],
    ("sf_duplicate", dict(WIDTH=512)),
    ("sf_axis_in", dict(AXI_BITS=64, VALUE_BITS=8, LANES=3, WORDS=50176, LANE_BITS=8)),
    *[("sf_round_clamp", dict(P=p, SHIFT_BITS=s, OUT_BITS=8, ZP=0, LO=0, HI=255)) for p, s in [(20, 4), (43, 5),
                                                                                              (48, 6), (56, 6)]],
    *[("sf_mvau", mvau(*a)) for a in [(1, 4, 64, 8, "dsp"), (2, 1, 32, 16, "lut"), (4, 1, 36, 32, "lut", "bram", 18),
                                      (4, 8, 16, 8, "dsp"), (8, 1, 8, 64, "dsp"), (8, 4, 18, 32, "dsp_packed"),
                                      (8, 32, 2, 2, "dsp_packed", "bram", 16), (16, 1, 4, 16, "dsp"),
                                      (16, 2, 36, 96, "dsp_packed", "bram", 20), (16, 16, 4, 4, "dsp"),
                                      (16, 16, 4, 4, "dsp_packed"), (32, 1, 16, 64, "dsp", "lutram", 21),
                                      (32, 4, 16, 250, "dsp_packed", "ddr", 20), (32, 8, 2, 8, "dsp"),
                                      (12, 2, 48, 96, "dsp_packed", "bram", 20), (6, 3, 72, 64, "lut", "lutram"),
                                      (3, 16, 9, 4, "lut", "lutram", 17), (8, 8, 8, 8, "lut"),
                                      (2, 16, 8, 8, "dsp_packed", "lutram"), (64, 1, 8, 16, "dsp", "bram", 22)]],
    *[(kc.MEMORY, memory(*a)) for a in [(32, 65), (16, 4864), (512, 2048), (192, 64, 0, "uram"), (6, 256, 1),
                                        (4, 513, 1), (16, 256, 0, "lutram"), (192, 64, 1, "bram"),
                                        (16, 128, 1, "logic"), (16, 2048, 1)]],
]


def build_instances(build) -> list[tuple[str, dict]]:
    """The distinct non-MVAU instances of a build (integer parameters)."""
    from squeezeflow.compiler.backends.emit_rtl import Design
    from squeezeflow.compiler.dataflow.graph import build_graph
    from squeezeflow.compiler.ir import load_build

    net, arrays = load_build(build)
    seen, found = set(), []
    for inst in Design(net, arrays, build_graph(net, arrays)).instances:
        if inst.module == "sf_mvau" or inst.module not in kc.TERMS:
            continue
        params = {k: int(v) for k, v in inst.params if not v.startswith('"')}
        key = (inst.module, tuple(sorted(params.items())))
        if key not in seen:
            seen.add(key)
            found.append((inst.module, params))
    return found


# --- running ------------------------------------------------------------------------------------------------------

def run_one(case):
    module, params = case
    try:
        r = synth.measure(module, params)
        return {"measured": {k: r[v] for k, v in MEASURED.items()}, "seconds": r["seconds"]}
    except Exception as e:  # a failed synthesis is reported, not fatal
        return {"error": f"{type(e).__name__}: {e} {getattr(e, 'why', '')}".strip()}


def describe(module, params) -> str:
    shown = [f"{k}={params[k]}" for k in KEYS if k in params]
    if module == "sf_fifo":
        shown = [f"{params['WIDTH']}b x {params['DEPTH']}"]
    if module == kc.MEMORY:
        shown = [f"{'ROM' if params['ROM'] else 'RAM'} {params['WIDTH']}b x {params['DEPTH']} {params['STYLE']}"]
    return " ".join(shown)


def mapping_of(module, params) -> str:
    """The memory inside, as the model maps it."""
    if module == "sf_window":
        width, depth, rom = params["LANES"] * params["BITS"], params["ROWS"] * params["W"] * params["CG"], False
    elif module == "sf_maxpool":
        width, depth, rom = params["LANES"] * params["BITS"], params["CG"], False
    elif module == "sf_pool":  # its row slots; the column slots are sf_maxpool's
        width, depth, rom = params["LANES"] * params["BITS"], params["WO"] * params["CG"], False
    elif module == "sf_gap":
        width, depth, rom = params["LANES"] * params["SUM_BITS"], params["CG"], False
    elif module in ("sf_fifo", kc.MEMORY):
        width, depth, rom = params["WIDTH"], params["DEPTH"], bool(params.get("ROM", 0))
    else:
        return ""
    style = params.get("STYLE", "auto") if module == kc.MEMORY else "auto"
    if 256 < depth <= 512:
        style = "bram"
    m = kc.memory_mapping(width, depth, style, rom)
    if m.kind == "logic":
        return f"{width}x{depth} {'LUT' if rom else 'FF'}"
    return f"{width}x{depth} {m.cells} {m.primitive.split()[0]}" + (f" /{m.slices}" if m.slices > 1 else "")


def error(measured: float, predicted: float) -> float:
    return (predicted - measured) / max(measured, 1.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    grid = parser.add_mutually_exclusive_group()
    grid.add_argument("--full", action="store_true", help="a larger grid (about 5 minutes on 2 cores)")
    grid.add_argument("--quick", action="store_true", help="the SqueezeNet 1.1 instances only")
    parser.add_argument("--build", help="also every distinct non-MVAU instance of this RTL build")
    parser.add_argument("--only", metavar="MODULE", help="only this kernel's cases (e.g. sf_mvau)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel yosys runs")
    parser.add_argument("--refit", action="store_true", help="print least-squares LUT coefficients on this grid")
    parser.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    args = parser.parse_args(argv)

    cases = list(SQUEEZENET) + ([] if args.quick else AROUND) + (FULL if args.full else [])
    if args.build:
        cases += build_instances(args.build)
    if args.only:
        cases = [case for case in cases if case[0] == args.only]
    # the slow ones (windows, wide memories) first, so that none is left running alone at the end
    order = sorted(range(len(cases)), key=lambda i: cases[i][0] != "sf_window")
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(f"{len(cases)} syntheses with {kc.YOSYS}, {args.jobs} at a time")
    start = time.perf_counter()
    results = [None] * len(cases)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_one, cases[i]): i for i in order}
        for future in tqdm(as_completed(futures), total=len(futures), unit="synth", desc="yosys"):
            results[futures[future]] = future.result()
    wall = time.perf_counter() - start

    rows = []
    for (module, params), result in zip(cases, results):
        row = {"module": module, "params": params, **result}
        if "measured" in result:
            row["predicted"] = kc.predicted(module, params).as_dict()
        rows.append(row)
    rows.sort(key=lambda r: (r["module"], json.dumps(r["params"], sort_keys=True)))

    table = Table(title="measured / predicted (error: (predicted - measured) / measured)", show_lines=False)
    for name, justify in [("kernel", "left"), ("parameters", "left"), ("memory (model)", "left"), ("LUT", "right"),
                          ("err", "right"), ("FF", "right"), ("err", "right"), ("LUTRAM", "right"),
                          ("DSP", "right"), ("BRAM36", "right"), ("URAM", "right"), ("s", "right")]:
        table.add_column(name, justify=justify, no_wrap=name != "parameters")
    for row in rows:
        module, params = row["module"], row["params"]
        if "error" in row:
            table.add_row(module, describe(module, params), "", f"[red]{row['error'][:60]}[/red]")
            continue
        m, p = row["measured"], row["predicted"]

        def pair(k):
            text = f"{m[k]:g}/{p[k]:g}" if k in EXACT else f"{m[k]:g}/{p[k]:.0f}"
            return f"[red]{text}[/red]" if k in EXACT and m[k] != p[k] else text

        def err(k, warn):
            e = error(m[k], p[k])
            text = f"{100 * e:+.0f}%"
            return f"[yellow]{text}[/yellow]" if abs(e) > warn and abs(m[k] - p[k]) > 8 else text

        table.add_row(module.removeprefix("sf_"), describe(module, params), mapping_of(module, params), pair("lut"),
                      err("lut", 0.2), pair("ff"), err("ff", 0.05), pair("lutram"), pair("dsp"), pair("bram36"),
                      pair("uram"), f"{row['seconds']:.0f}")
    console.print(table)

    summary = Table(title="per kernel: LUT and FF |error| (mean, max); exact matches of LUTRAM, DSP, BRAM36, URAM")
    for name in ("kernel", "n", "LUT mean", "LUT max", "FF mean", "FF max", "exact"):
        summary.add_column(name, justify="left" if name == "kernel" else "right")
    done = [r for r in rows if "measured" in r]
    totals = {"lut": [], "ff": [], "exact": 0, "n": 0}
    for module in sorted({r["module"] for r in done}):
        group = [r for r in done if r["module"] == module]
        lut = [abs(error(r["measured"]["lut"], r["predicted"]["lut"])) for r in group]
        ff = [abs(error(r["measured"]["ff"], r["predicted"]["ff"])) for r in group]
        exact = sum(all(r["measured"][k] == r["predicted"][k] for k in EXACT) for r in group)
        totals["lut"] += lut
        totals["ff"] += ff
        totals["exact"] += exact
        totals["n"] += len(group)
        summary.add_row(module, str(len(group)), f"{100 * np.mean(lut):.1f}%", f"{100 * max(lut):.0f}%",
                        f"{100 * np.mean(ff):.1f}%", f"{100 * max(ff):.0f}%", f"{exact}/{len(group)}")
    if done:
        summary.add_row("all", str(totals["n"]), f"{100 * np.mean(totals['lut']):.1f}%",
                        f"{100 * max(totals['lut']):.0f}%", f"{100 * np.mean(totals['ff']):.1f}%",
                        f"{100 * max(totals['ff']):.0f}%", f"{totals['exact']}/{totals['n']}")
    console.print(summary)

    console.print("memory thresholds of the model (yosys 0.23 via synth.py, style auto): deepest RAM kept in LUTRAM, "
                  "largest ROM kept in LUT logic")
    for width in (8, 16, 24, 32, 64, 128, 512):
        deepest = max((d for d in range(1, 257) if kc.memory_mapping(width, d).kind == "lutram"), default=0)
        rom = max((d for d in range(1, 4097) if not 256 < d <= 512
                   and kc.memory_mapping(width, d, rom=True).kind == "logic"), default=0)
        console.print(f"  {width:4} bits: RAM LUTRAM up to {deepest:4} words ({width * deepest / 1024:.1f} Kbit), "
                      f"ROM logic up to {rom:4} words ({width * rom / 1024:.1f} Kbit)")
    console.print("  257..512 words: block RAM (synth.py); one-word RAMs are flip-flops, the others LUTRAM or BRAM")

    if args.refit:
        refit(done, console)
    failed = [r for r in rows if "error" in r]
    cpu = sum(r.get("seconds", 0) for r in rows)
    console.print(f"{len(rows)} syntheses ({len(failed)} failed) in {wall:.0f} s wall, {cpu:.0f} s of yosys")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if failed else 0


def refit(done, console) -> None:
    """Least squares of each kernel's LUT terms (kernel_costs.*_terms) on this grid, and of sf_mvau's LUT and FF
    terms (kernel_costs.mvau_logic_terms: its logic, the memories as the model prices them taken off; weighted by
    1 / measured)."""
    mvaus = []  # (measured, LUT terms, FF terms, the memories as the model prices them)
    for r in done:
        if r["module"] == "sf_mvau":
            args = kc.mvau_args(r["params"])
            terms = kc.mvau_logic_terms(*(args[k] for k in ("simd", "pe", "sf", "in_bits", "w_bits", "acc_bits",
                                                            "mac")))
            mvaus.append((r["measured"], *terms, kc.mvau_memory_cost(**{k: v for k, v in args.items() if k != "mac"})))
    for resource, coef, column in (("lut", kc.MVAU_LUT, 1), ("ff", kc.MVAU_FF, 2)):
        if not mvaus:
            break
        x = np.array([[m[column][n] for n in coef] for m in mvaus], dtype=float)
        y = np.array([m[0][resource] - getattr(m[3], resource) for m in mvaus], dtype=float)
        w = 1 / np.maximum([m[0][resource] for m in mvaus], 1)  # relative errors: small instances count too
        # non-negative: an unconstrained fit trades terms against each other into negative costs (the requantizer)
        fitted, _ = nnls(x * w[:, None], y * w)
        pairs = ", ".join(f"{n!r}: {coef[n]:g} -> {v:.2f}" for n, v in zip(coef, fitted))
        console.print(f"  sf_mvau {resource.upper()} ({len(mvaus)} points): {pairs}")
    for module, coef in kc.LUT_COEF.items():
        group = [r for r in done if r["module"] == module]
        terms = [kc.TERMS[module](r["params"]) for r in group]
        names = sorted({n for t, _ in terms for n in t})
        if not group or not names:
            continue
        x = np.array([[t.get(n, 0) for n in names] for t, _ in terms], dtype=float)
        y = np.array([r["measured"]["lut"] - fixed.lut for r, (_, fixed) in zip(group, terms)], dtype=float)
        fitted, *_ = np.linalg.lstsq(x, y, rcond=None)
        pairs = ", ".join(f"{n!r}: {coef.get(n, 0):g} -> {v:.2f}" for n, v in zip(names, fitted))
        note = " (underdetermined: use --full)" if np.linalg.matrix_rank(x) < len(names) else ""
        console.print(f"  {module} ({len(group)} points){note}: {pairs}")


if __name__ == "__main__":
    sys.exit(main())
