"""`squeezeflow bitstream BUILD/`: the Vitis HLS + Vivado flow from a compiled build to a PYNQ overlay.

Writes BUILD/vivado/: build_bd.tcl (Vivado batch: project, block design, synthesis, implementation, bitstream,
reports, then publication of <model>.bit/.hwh/.json into bitstreams/<board>/), run_vitis.sh (the HLS step, then
Vivado) and manifest.json (BUILD/manifest.json plus an `overlay` section naming what the block design holds). Then,
unless --scripts-only, it runs run_vitis.sh and merges Vivado's utilisation and timing (key `vivado`) and Vitis HLS's
C-synthesis estimate (key `hls`: latency, interval, clock, resources) into BUILD/report.json beside the planner's
figures, failing when timing is not met.

The block design (`block_design`): the PS (an HPM master for control, an HP slave for data, PL clock 0 at the requested
frequency, its reset through a proc_sys_reset), an AXI DMA in simple mode (MM2S -> accelerator input, accelerator
output -> S2MM), a second, MM2S-only DMA into the accelerator's `weights` stream when layers keep their weights in DDR,
one SmartConnect for control and one for DMA traffic, a single clock domain. The RTL back end's top has no AXI-lite
port, so its model_hash output is read through an all-input AXI GPIO. Every name and number is decided here; the
templates in templates/vivado/ only lay them out.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import jinja2

from squeezeflow import templates
from squeezeflow.hw import spec

from .. import ir
from ..boards import Board
from ..boards import board as board_named
from ..dataflow.weights import ddr_weight_layers
from ..errors import UserError, require_file
from .shell import HLS_VLNV, WEIGHT_IMAGE, WEIGHTS_DMA, weights_from_ddr

TEMPLATES = Path(templates.__file__).resolve().parent / "vivado"
SUPPORTED = "Vivado/Vitis 2023.2 to 2024.2"
TOP = spec.TOP
HLS_REPORT = f"hls/sf_hls/solution/syn/report/{TOP}_csynth.xml"  # where vitis_hls's csynth_design writes it
PROJECT, BD = "squeezeflow", "sf"
# Where the HLS step leaves the IP, relative to BUILD/vivado/: vitis_hls -f run_hls.tcl, then v++ --mode hls.
IP_REPOS = ("../hls/sf_hls/solution/impl/ip", "../hls/sf_hls/hls/impl/ip")
# The DMA's transfer-length register: 26 bits (its maximum) allow 64 MiB per transfer, a batch of ~400 224x224 frames.
DMA_LENGTH_BITS = 26
# Accelerator stream interfaces per back end: Vitis HLS renames ports called after VHDL keywords (in, out) to *_r.
STREAMS = {"hls": ("in_r", "out_r"), "rtl": ("in", "out")}
# Utilisation report rows (UltraScale+ name, 7-series name) -> the keys of compiler/sim/synth.py.
UTILIZATION_ROWS = {"LUT": ("CLB LUTs", "Slice LUTs"), "LUTRAM": ("LUT as Memory",),
                    "FF": ("CLB Registers", "Slice Registers"), "DSP": ("DSPs",), "BRAM36": ("Block RAM Tile",),
                    "URAM": ("URAM",)}


def add_arguments(parser):
    parser.add_argument("build", metavar="BUILD", help="folder written by `squeezeflow compile`")
    parser.add_argument("--scripts-only", action="store_true", help="write BUILD/vivado/ and stop")
    parser.add_argument("--clock", type=float, metavar="MHZ", help="PL clock (default: the board's)")
    parser.add_argument("--backend", default="hls", choices=tuple(STREAMS),
                        help="accelerator from BUILD/hls/ (Vitis HLS IP) or BUILD/rtl/ (Verilog) (default: hls)")
    parser.add_argument("--bitstreams", default="bitstreams", metavar="DIR",
                        help="where <board>/<model>.bit/.hwh/.json are published (default: ./bitstreams)")


# --- the block design, as data ------------------------------------------------------------------------------------

@dataclass
class Cell:
    """One cell of the block design: how create_bd_cell makes it, its CONFIG settings, and its pins on PL clock 0
    and on the peripheral reset."""

    name: str
    create: str  # create_bd_cell arguments: "-type ip -vlnv ..." or "-type module -reference ..."
    config: dict = field(default_factory=dict)
    clocks: list[str] = field(default_factory=list)  # pins on PL clock 0
    resets: list[str] = field(default_factory=list)  # active-low reset pins, from proc_sys_reset


@dataclass
class Design:
    """The block design as data: the PS (`_ps`), the cells, the interface and plain nets, and the manifest's
    `overlay` section."""

    ps: dict
    cells: list[Cell]
    intf_nets: list[tuple[str, str]]
    nets: list[list[str]]  # the driver first
    overlay: dict  # the manifest's `overlay` section


def _ps(board: Board, mhz: str) -> dict:
    """The processing system: its IP, board-preset automation, settings and the pins the design uses."""
    if board.zynq_ultrascale:
        # The IP numbers HP0 FPD as S_AXI_GP2. HPM1 FPD and HPM0 LPD are turned off: the presets enable HPM1, whose
        # clock pin would otherwise need a driver.
        return dict(vlnv="xilinx.com:ip:zynq_ultra_ps_e", rule="xilinx.com:bd_rule:zynq_ultra_ps_e",
                    preset='apply_board_preset "1"', bare=None,
                    config={"PSU__USE__M_AXI_GP0": 1, "PSU__USE__M_AXI_GP1": 0, "PSU__USE__M_AXI_GP2": 0,
                            "PSU__USE__S_AXI_GP2": 1, "PSU__FPGA_PL0_ENABLE": 1,
                            "PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ": mhz},
                    actual="PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ", ctrl="M_AXI_HPM0_FPD", data="S_AXI_HP0_FPD",
                    clk="pl_clk0", resetn="pl_resetn0", clocks=["maxihpm0_fpd_aclk", "saxihp0_fpd_aclk"])
    # Zynq-7000: DDR and FIXED_IO must become ports of the design, with or without the board preset.
    automation = 'make_external "FIXED_IO, DDR" apply_board_preset "{}" Master "Disable" Slave "Disable"'
    return dict(vlnv="xilinx.com:ip:processing_system7", rule="xilinx.com:bd_rule:processing_system7",
                preset=automation.format(1), bare=automation.format(0),
                config={"PCW_USE_M_AXI_GP0": 1, "PCW_USE_S_AXI_HP0": 1, "PCW_EN_CLK0_PORT": 1, "PCW_EN_RST0_PORT": 1,
                        "PCW_FPGA0_PERIPHERAL_FREQMHZ": mhz},
                actual="PCW_ACT_FPGA0_PERIPHERAL_FREQMHZ", ctrl="M_AXI_GP0", data="S_AXI_HP0", clk="FCLK_CLK0",
                resetn="FCLK_RESET0_N", clocks=["M_AXI_GP0_ACLK", "S_AXI_HP0_ACLK"])


def _dma(name: str, s2mm: bool) -> Cell:
    """An AXI DMA in simple (register) mode with AXI_STREAM_BITS streams; MM2S only unless `s2mm`."""
    width = spec.AXI_STREAM_BITS
    config = {"c_include_sg": 0, "c_sg_length_width": DMA_LENGTH_BITS, "c_m_axi_mm2s_data_width": width,
              "c_m_axis_mm2s_tdata_width": width, "c_include_s2mm": int(s2mm)}
    clocks = ["s_axi_lite_aclk", "m_axi_mm2s_aclk"]
    if s2mm:
        config.update(c_m_axi_s2mm_data_width=width, c_s_axis_s2mm_tdata_width=width)
        clocks.append("m_axi_s2mm_aclk")
    return Cell(name, "-type ip -vlnv xilinx.com:ip:axi_dma", config, clocks, ["axi_resetn"])


def block_design(net: ir.Network, board: Board, mhz: str, backend: str) -> Design:
    """The block design of `net` on `board` with PL clock `mhz` (as the Tcl gets it) around the `backend`'s
    accelerator (see the module docstring)."""
    ps = _ps(board, mhz)
    stream_in, stream_out = STREAMS[backend]
    ddr_layers = ddr_weight_layers(net)
    weights_dma = [_dma(WEIGHTS_DMA, s2mm=False)] if ddr_layers else []
    if backend == "hls":
        accel = Cell("squeezeflow", f"-type ip -vlnv {HLS_VLNV}", clocks=["ap_clk"], resets=["ap_rst_n"])
        hash_gpio, control = [], "squeezeflow/s_axi_control"
    else:
        accel = Cell("squeezeflow", f"-type module -reference {TOP}", clocks=["ap_clk"], resets=["ap_rst_n"])
        hash_gpio = [Cell("model_hash", "-type ip -vlnv xilinx.com:ip:axi_gpio",
                          {"C_ALL_INPUTS": 1, "C_GPIO_WIDTH": 32}, ["s_axi_aclk"], ["s_axi_aresetn"])]
        control = "model_hash/S_AXI"
    controlled = ["dma/S_AXI_LITE", control] + [f"{dma.name}/S_AXI_LITE" for dma in weights_dma]
    masters = ["dma/M_AXI_MM2S", "dma/M_AXI_S2MM"] + [f"{dma.name}/M_AXI_MM2S" for dma in weights_dma]
    smartconnect = "-type ip -vlnv xilinx.com:ip:smartconnect"
    cells = [Cell("rst", "-type ip -vlnv xilinx.com:ip:proc_sys_reset", clocks=["slowest_sync_clk"]),
             Cell("ctrl_sc", smartconnect, {"NUM_SI": 1, "NUM_MI": len(controlled)}, ["aclk"], ["aresetn"]),
             Cell("data_sc", smartconnect, {"NUM_SI": len(masters), "NUM_MI": 1}, ["aclk"], ["aresetn"]),
             _dma("dma", s2mm=True), *weights_dma, accel, *hash_gpio]
    intf_nets = [(f"ps/{ps['ctrl']}", "ctrl_sc/S00_AXI")]
    intf_nets += [(f"ctrl_sc/M{i:02d}_AXI", slave) for i, slave in enumerate(controlled)]
    intf_nets += [(master, f"data_sc/S{i:02d}_AXI") for i, master in enumerate(masters)]
    intf_nets += [("data_sc/M00_AXI", f"ps/{ps['data']}"), ("dma/M_AXIS_MM2S", f"squeezeflow/{stream_in}"),
                  (f"squeezeflow/{stream_out}", "dma/S_AXIS_S2MM")]
    if ddr_layers:
        intf_nets.append((f"{WEIGHTS_DMA}/M_AXIS_MM2S", f"squeezeflow/{spec.WEIGHTS_PORT}"))
    nets = [[f"ps/{ps['clk']}"] + [f"ps/{pin}" for pin in ps["clocks"]]
            + [f"{cell.name}/{pin}" for cell in cells for pin in cell.clocks],
            [f"ps/{ps['resetn']}", "rst/ext_reset_in"],
            ["rst/peripheral_aresetn"] + [f"{cell.name}/{pin}" for cell in cells for pin in cell.resets]]
    if backend == "rtl":
        nets.append(["squeezeflow/model_hash", "model_hash/gpio_io_i"])
    overlay = {"board": board.name, "backend": backend, "clock_mhz": float(mhz), "accelerator": "squeezeflow",
               "dma": "dma", "model_hash_ip": (hash_gpio or [accel])[0].name, "dma_length_bits": DMA_LENGTH_BITS,
               "weights_from_ddr": weights_from_ddr(net, f"{net.name}.ddr_weights.bin")}
    return Design(ps, cells, intf_nets, nets, overlay)


# --- scripts ------------------------------------------------------------------------------------------------------

def _tcl_config(config: dict) -> str:
    return " ".join(f"CONFIG.{key} {{{value}}}" for key, value in config.items())


def write_scripts(build: Path, net: ir.Network, mhz: float, backend: str, bitstreams: Path) -> Path:
    """Write BUILD/vivado/ (see the module docstring); the same arguments give the same bytes."""

    board = board_named(net.board)
    clock = f"{mhz:g}"
    design = block_design(net, board, clock, backend)
    out = build / "vivado"
    out.mkdir(exist_ok=True)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["tcl_config"] = _tcl_config
    env.filters["braced"] = lambda text: "{" + text + "}"
    rtl = build / "rtl"
    context = dict(
        net=net, board=board, backend=backend, mhz=clock, design=design, project=PROJECT, bd=BD,
        versions=SUPPORTED, ip_repos=IP_REPOS, weight_image=WEIGHT_IMAGE,
        board_part_pattern=board.board_part.rsplit(":", 1)[0] + ":*",
        # relative paths keep the scripts byte-identical wherever the tree lives
        publish=os.path.relpath(bitstreams.resolve() / board.name, out.resolve()),
        rtl_sources=[f"../rtl/{line.strip()}" for line in (rtl / "sources.f").read_text().splitlines()
                     if line.strip()] if backend == "rtl" else [])
    for name in ("build_bd.tcl", "run_vitis.sh"):
        (out / name).write_text(env.get_template(f"{name}.j2").render(**context))
    (out / "run_vitis.sh").chmod(0o755)
    manifest = build / "manifest.json"
    doc = json.loads(manifest.read_text()) if manifest.is_file() else {}
    if not doc:
        print(f"warning: {manifest} not found: the published {net.name}.json holds the overlay section only",
              file=sys.stderr)
    ddr = design.overlay["weights_from_ddr"]
    if ddr:  # published beside the bitstream, where the manifest's weights_from_ddr.file points
        doc["weights_from_ddr"] = ddr
        shutil.copyfile(require_file(build / WEIGHT_IMAGE, "weight image"), out / WEIGHT_IMAGE)
    (out / "manifest.json").write_text(json.dumps({**doc, "overlay": design.overlay}, indent=1, sort_keys=True) + "\n")
    return out


def missing_tools(backend: str) -> list[str]:
    """The tools the flow needs that are not on PATH (vivado; for the HLS back end vitis_hls, or v++ and vitis-run);
    empty when all are there."""
    missing = [] if shutil.which("vivado") else ["vivado"]
    if backend == "hls" and not shutil.which("vitis_hls") and not (shutil.which("v++") and shutil.which("vitis-run")):
        missing.insert(0, "vitis_hls (or v++ and vitis-run)")
    return missing


# --- reports ------------------------------------------------------------------------------------------------------

def parse_utilization(text: str) -> dict:
    """report_utilization -> {"LUT": {"used", "available", "percent"}, ...}: the first (whole-design) row of each
    resource; columns Used | Fixed | [Prohibited |] Available | Util%."""
    found = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5:
            continue
        label = cells[0].rstrip("*").strip()
        for key, labels in UTILIZATION_ROWS.items():
            if key not in found and label in labels:
                used, available = float(cells[1]), float(cells[-2] or 0)
                found[key] = {"used": int(used) if used.is_integer() else used, "available": int(available),
                              "percent": round(100 * used / available, 2) if available else None}
    return found


def parse_timing(text: str) -> dict:
    """report_timing_summary -> wns_ns, tns_ns, whs_ns, failing_endpoints (the Design Timing Summary table)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "WNS(ns)" in line and i + 2 < len(lines):
            values = dict(zip(re.split(r"\s{2,}", line.strip()), lines[i + 2].split()))

            def number(column):
                """The table's value in `column`, or None when it is missing or not finite."""
                value = float(values.get(column, "nan"))
                return value if math.isfinite(value) else None

            failing = values.get("TNS Failing Endpoints")
            return {"wns_ns": number("WNS(ns)"), "tns_ns": number("TNS(ns)"), "whs_ns": number("WHS(ns)"),
                    "failing_endpoints": int(failing) if failing and failing.isdigit() else None}
    raise UserError("no Design Timing Summary in the timing report")


def parse_csynth(text: str, where: str) -> dict:
    """A Vitis HLS C-synthesis report (solution/syn/report/<top>_csynth.xml) -> tool, target and estimated clock
    period (ns), latency and interval of the top in cycles, and its resource estimate with what the part has."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise UserError("the HLS synthesis report is not XML", where, str(exc)) from None
    perf, area = root.find("PerformanceEstimates"), root.find("AreaEstimates")
    if perf is None or area is None or area.find("Resources") is None:
        raise UserError("the HLS synthesis report has no PerformanceEstimates/AreaEstimates", where)

    def number(node, path):
        """The value at `path` under `node`: an int when it is all digits, else a float; None when absent or "undef"."""
        value = node.findtext(path)
        try:
            return int(value) if value is not None and value.strip().isdigit() else float(value)
        except (TypeError, ValueError):
            return None  # "undef" where a loop bound is unknown

    latency = perf.find("SummaryOfOverallLatency")
    return {"tool": root.findtext("ReportVersion/Version"),
            "target_clock_ns": number(root, "UserAssignments/TargetClockPeriod"),
            "estimated_clock_ns": number(perf, "SummaryOfTimingAnalysis/EstimatedClockPeriod"),
            "latency_cycles": {"best": number(latency, "Best-caseLatency"),
                               "worst": number(latency, "Worst-caseLatency")} if latency is not None else None,
            "interval_cycles": {"min": number(latency, "Interval-min"),
                                "max": number(latency, "Interval-max")} if latency is not None else None,
            "resources": {child.tag: number(area, f"Resources/{child.tag}") for child in area.find("Resources")},
            "available": {child.tag: number(area, f"AvailableResources/{child.tag}")
                          for child in area.findall("AvailableResources/*")}}


def collect(build: Path, mhz: float, backend: str) -> dict | None:
    """Parse BUILD/vivado/reports/ into the `vivado` key of BUILD/report.json and, with the HLS back end, Vitis
    HLS's C-synthesis report into its `hls` key (other keys kept); the `vivado` section, or None without reports."""
    reports = build / "vivado" / "reports"
    util, timing = reports / "utilization.rpt", reports / "timing_summary.rpt"
    csynth = build / HLS_REPORT
    sections = {}
    if backend == "hls" and csynth.is_file():
        sections["hls"] = parse_csynth(csynth.read_text(), str(csynth))
    if util.is_file() and timing.is_file():
        text = util.read_text()
        tool = re.search(r"Tool Version\s*:\s*(\S+ \S+)", text)
        sections["vivado"] = {"utilization": parse_utilization(text), **parse_timing(timing.read_text()),
                              "clock_mhz": mhz, "backend": backend, "tool": tool.group(1) if tool else None}
    if sections:
        path = build / "report.json"
        doc = json.loads(path.read_text()) if path.is_file() else {}
        doc.update(sections)
        staging = path.with_suffix(".json.tmp")
        staging.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        staging.replace(path)
    return sections.get("vivado")


def check_timing(section: dict, mhz: float, report: Path) -> None:
    """Raise a UserError when `section` (collect()'s `vivado` section) has a negative WNS, suggesting a clock that
    would close timing (1 / (period - WNS), rounded down)."""
    wns = section["wns_ns"]
    if wns is not None and wns < 0:
        fmax = 1000 / (1000 / mhz - wns)
        raise UserError(f"timing not met at {mhz:g} MHz: WNS {wns:.3f} ns", str(report),
                        f"the slowest path is {-wns:.3f} ns too long; about {math.floor(fmax)} MHz would close "
                        f"(--clock {math.floor(fmax)}); nothing was published")


def run(args) -> int:
    build = Path(args.build)
    try:
        net = ir.Network.from_json(require_file(build / "ir.json", "squeezeflow build (ir.json)").read_text())
    except ValueError as exc:
        raise UserError(str(exc), str(build)) from None
    source = {"hls": build / "hls" / "run_hls.tcl", "rtl": build / "rtl" / "sources.f"}[args.backend]
    if not source.is_file():
        raise UserError(f"the build has no {args.backend} back end", str(source.parent),
                        f"compile with --backend {args.backend} (or both)")
    mhz = net.clock_mhz if args.clock is None else args.clock
    if mhz <= 0:
        raise UserError(f"--clock must be positive, not {mhz:g}")
    out = write_scripts(build, net, mhz, args.backend, Path(args.bitstreams))
    print(f"wrote {out}/build_bd.tcl, run_vitis.sh and manifest.json ({net.board}, {args.backend}, {mhz:g} MHz)")
    if args.scripts_only:
        return 0
    missing = missing_tools(args.backend)
    if missing:
        raise UserError(f"{' and '.join(missing)} not found on PATH; the scripts are written in {out}",
                        why=f"they target {SUPPORTED} (command names checked against that documentation, never run "
                            "here): source the tools' settings64.sh, then rerun or run run_vitis.sh")
    shutil.rmtree(out / "reports", ignore_errors=True)  # a failed run must not be judged by an earlier one's reports
    returncode = subprocess.run(["sh", str(out / "run_vitis.sh")]).returncode
    section = collect(build, mhz, args.backend)
    if section:
        check_timing(section, mhz, out / "reports" / "timing_summary.rpt")
    if returncode or section is None:
        raise UserError("the Vitis HLS / Vivado flow failed", str(out / "vivado.log"), f"exit code {returncode}")
    published = Path(args.bitstreams) / net.board / net.name
    print(f"published {published}.bit, .hwh and .json (WNS {section['wns_ns']} ns at {mhz:g} MHz)")
    return 0
