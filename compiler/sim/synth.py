"""`squeezeflow synth BUILD/`: FPGA resources of the generated Verilog, by yosys `synth_xilinx` (UltraScale+).

Synthesizes the whole top of BUILD/rtl/ (flattened) and, unless --no-kernels, one representative instance of every
kernel module with its parameters from the build (the largest by SIZE_PARAMS), and writes BUILD/rtl/resources.json:
LUT (logic), LUTRAM (LUTs used as memory, SRLs included), FF, DSP (DSP48E2), BRAM36 (RAMB36E2 + RAMB18E2 / 2), the
raw cell counts and the synthesis time, plus `mac_lanes` (the folding's sum of SIMD x PE, what the planner budgets
one DSP each) so that the planner's resource model can be checked against synthesis. yosys maps carry chains and
does not pack LUTs as Vivado does: LUT counts are estimates; DSP, BRAM and FF counts are close to Vivado's.

yosys 0.23 offers its 512-deep single-port LUTRAM with an address width its own mapper rejects; memories of 257 to
512 words are steered to block RAM instead (`setattr ram_style`), as Vivado would mostly do with them anyway.
"""
from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..backends.emit_rtl import TOP, Design
from ..dataflow import graph
from ..errors import UserError
from ..ir import load_build
from ..kernels.kernel_costs import MEMORY, RTL, SOURCES, memory_verilog

FAMILY = "xcup"
# The parameters whose product ranks a module's instances: the representative is the largest.
SIZE_PARAMS = {"sf_mvau": ("SIMD", "PE", "SF", "NF"), "sf_window": ("LANES", "W", "CG", "ROWS"),
               "sf_fifo": ("WIDTH", "DEPTH"), "sf_gap": ("LANES", "CG"), "sf_requant": ("LANES", "CG"),
               "sf_pool": ("LANES", "WO", "CG", "NB")}
LUTRAM_LUTS = {"RAM32M16": 8, "RAM64M8": 8, "RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
               "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "RAM512X1S": 8, "RAM32X16DR8": 8,
               "RAM64X8SW": 8, "SRL16E": 1, "SRLC32E": 1}


def add_arguments(parser):
    parser.add_argument("build", metavar="BUILD", help="folder written by `squeezeflow compile --backend rtl`")
    parser.add_argument("--no-kernels", action="store_true", help="synthesize the whole top only")
    parser.add_argument("--json", action="store_true", help="print the resources as JSON")


def summarize(cells: dict[str, int]) -> dict:
    """A yosys cell census as resources: LUT1-6, LUTRAM (LUTs of memory cells and SRLs), flip-flops, DSP48E2,
    BRAM36 (a RAMB18E2 counts half) and URAM."""
    return {"LUT": sum(n for c, n in cells.items() if re.fullmatch(r"LUT[1-6]", c)),
            "LUTRAM": sum(n * LUTRAM_LUTS.get(c, 0) for c, n in cells.items()),
            "FF": sum(n for c, n in cells.items() if re.fullmatch(r"FD[RSCP]E", c)),
            "DSP": cells.get("DSP48E2", 0),
            "BRAM36": cells.get("RAMB36E2", 0) + cells.get("RAMB18E2", 0) / 2, "URAM": cells.get("URAM288", 0)}


def yosys(rtl: Path, sources: list[str], top: str, params: list[tuple[str, str]] = ()) -> dict:
    """Synthesize module `top` of `sources` (paths relative to `rtl`, where $readmemh looks), `params` (Verilog
    literals) set on it -> summarize() + {"cells", "seconds"}."""
    chparam = f"chparam {' '.join(f'-set {n} {v}' for n, v in params)} {top}" if params else ""
    synth = f"synth_xilinx -family {FAMILY} -flatten -noiopad -top {top}"
    script = "\n".join([f"read_verilog -defer {' '.join(sources)}", chparam, f"{synth} -run :map_memory",
                        'setattr -set ram_style "block" t:$mem_v2 r:SIZE>256 %i r:SIZE<513 %i '
                        'a:ram_style=distributed %d',
                        # yosys has no distributed ROM cell: a ROM asked to be distributed is LUT logic, as in Vivado
                        'setattr -set ram_style "logic" t:$mem_v2 a:ram_style=distributed %i r:WR_PORTS=0 %i',
                        f"{synth} -run map_memory:", "stat -tech xilinx"])
    with tempfile.TemporaryDirectory(prefix="synth.") as tmp:
        (Path(tmp) / "synth.ys").write_text(script + "\n")
        start = time.perf_counter()
        proc = subprocess.run(["yosys", "-l", str(Path(tmp) / "synth.log"), "-s", str(Path(tmp) / "synth.ys")],
                              cwd=rtl, capture_output=True, text=True)
        log = (Path(tmp) / "synth.log").read_text() if (Path(tmp) / "synth.log").is_file() else proc.stderr
    if proc.returncode or "Printing statistics" not in log:
        errors = [line for line in (log + proc.stderr).splitlines() if "ERROR" in line] or [log[-2000:]]
        raise UserError(f"yosys failed on {top}", why=errors[-1])
    stats = log[log.rindex("Printing statistics"):]
    cells = {name: int(n) for name, n in re.findall(r"^\s+(\w+)\s+(\d+)$", stats.split("Number of cells:")[1],
                                                       re.M)}
    return {**summarize(cells), "cells": cells, "seconds": round(time.perf_counter() - start, 1)}


def representatives(design) -> dict:
    """module -> its largest instance (SIZE_PARAMS; the first one for the others)."""
    chosen = {}
    for inst in design.instances:
        params = dict(inst.params)
        size = 1
        for name in SIZE_PARAMS.get(inst.module, ()):
            size *= int(params[name])
        if inst.module not in chosen or size > chosen[inst.module][0]:
            chosen[inst.module] = (size, inst)
    return {module: inst for module, (_, inst) in sorted(chosen.items())}


def synthesize(build_dir, kernels: bool = True, log=print) -> dict:
    """Resources of BUILD/rtl/ (see the module docstring), also written to BUILD/rtl/resources.json."""
    rtl = Path(build_dir) / "rtl"
    if not (rtl / "top.v").is_file():
        raise UserError("the build has no generated Verilog (rtl/top.v)", str(build_dir),
                        "recompile it with --backend rtl or --backend both")
    net, arrays = load_build(build_dir)
    design = Design(net, arrays, graph.load(build_dir))
    sources = (rtl / "sources.f").read_text().split()
    kernel_sources = [s for s in sources if s.startswith("kernels/")]
    lanes = sum(layer.simd * layer.pe for layer in net.layers if layer.kind == "conv")
    log(f"synth: {TOP} ({len(design.instances)} instances)...")
    result = {"tool": f"yosys synth_xilinx -family {FAMILY} -flatten", "mac_lanes": lanes,
              "top": yosys(rtl, sources, TOP)}
    if kernels:
        result["kernels"] = {}
        for module, inst in representatives(design).items():
            log(f"synth: {module} ({inst.name})...")
            result["kernels"][module] = {"instance": inst.name, "params": dict(inst.params),
                                         **yosys(rtl, kernel_sources, module, inst.params)}
    (rtl / "resources.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    return result


def run(args) -> int:
    result = synthesize(args.build, kernels=not args.no_kernels, log=lambda m: print(m, file=sys.stderr))
    if args.json:
        print(json.dumps(result))
        return 0
    rows = [("top", result["top"])] + [(f"{m} ({r['instance']})", r) for m, r in result.get("kernels", {}).items()]
    print(f"{'':48} {'LUT':>8} {'LUTRAM':>7} {'FF':>8} {'DSP':>5} {'BRAM36':>7}")
    for name, r in rows:
        print(f"{name:48} {r['LUT']:8} {r['LUTRAM']:7} {r['FF']:8} {r['DSP']:5} {r['BRAM36']:7g}")
    print(f"folding: {result['mac_lanes']} MAC lanes (SIMD x PE); resources.json in {Path(args.build) / 'rtl'}")
    return 0


def _requant_table(params: dict, rng: random.Random, per_channel: bool) -> str:
    lanes, cg = int(params["LANES"]), int(params["CG"])
    mult_bits, shift_bits = int(params["MULT_BITS"]), int(params["SHIFT_BITS"])
    mult0, shift0 = rng.randrange(1 << (mult_bits - 1), 1 << mult_bits), min((1 << shift_bits) - 1, 23)
    lines = []
    for _ in range(cg):
        word = 0
        for lane in range(lanes):
            mult = rng.randrange(1 << (mult_bits - 1), 1 << mult_bits) if per_channel else mult0
            shift = min((1 << shift_bits) - 1, shift0 + rng.randrange(-1, 3)) if per_channel else shift0
            word |= (mult | shift << mult_bits) << (lane * (mult_bits + shift_bits))
        lines.append(f"{word:x}\n")
    return "".join(lines)


def measure(module: str, params: dict, seed: int = 0, per_channel: bool = False) -> dict:
    """Synthesize one kernel instance with compiler/sim/synth.py's yosys flow in a temporary folder: its summary
    (LUT, LUTRAM, FF, DSP, BRAM36, cells, seconds) plus URAM. sf_requant gets a parameter table with one multiplier
    and shift for all channels (the compiler's case) unless `per_channel`; "sf_memory" is a bare memory
    (params WIDTH, DEPTH, ROM, STYLE; a ROM gets random contents)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="kernel_costs.") as tmp:
        folder = Path(tmp)
        verilog = {k: v for k, v in params.items()}
        if module == MEMORY:
            width, depth, rom = int(params["WIDTH"]), int(params["DEPTH"]), bool(params.get("ROM", 0))
            (folder / f"{MEMORY}.v").write_text(memory_verilog(width, depth, rom, params.get("STYLE", "auto")))
            if rom:
                (folder / "init.hex").write_text("".join(f"{rng.getrandbits(width):x}\n" for _ in range(depth)))
            files, verilog = [f"{MEMORY}.v"], {}
        else:
            files = SOURCES.get(module, [f"{module}.v"])
            for name in files:
                shutil.copy(RTL / name, folder / name)
            if module == "sf_mvau":
                pe, simd, fw = int(params["PE"]), int(params["SIMD"]), int(params["ACC_BITS"]) + int(
                    params["MULT_BITS"]) + int(params["SHIFT_BITS"])
                for name, bits, count in (("weights.hex", pe * simd * int(params["W_BITS"]),
                                           int(params["SF"]) * int(params["NF"])),
                                          ("params.hex", pe * fw, int(params["NF"]))):
                    (folder / name).write_text("".join(f"{rng.getrandbits(bits):x}\n" for _ in range(count)))
                verilog.update(WEIGHT_FILE='"weights.hex"', PARAM_FILE='"params.hex"')
            if module == "sf_requant":
                (folder / "params.hex").write_text(_requant_table(params, rng, per_channel))
                verilog["PARAM_FILE"] = '"params.hex"'
        result = yosys(folder, files, module, [(k, str(v)) for k, v in verilog.items()])
    return result
