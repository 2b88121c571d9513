"""Run the scripts of `squeezeflow bitstream` without Xilinx tools: tests/tcl/vivado_standin.tcl under tclsh (its
header says what it checks), fed with the accelerator's interfaces as the generated sources declare them, and fake
`vitis_hls` / `vivado` commands for running the whole flow."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

STANDIN = Path(__file__).resolve().parent / "tcl" / "vivado_standin.tcl"
# Vitis HLS appends _r to ports named after Verilog/VHDL keywords.
HDL_KEYWORDS = {"in", "out", "inout", "input", "output", "signal", "process", "begin", "end", "type", "wire", "reg"}
AXIS_SIGNALS = ("tdata", "tvalid", "tready", "tlast", "tkeep", "tstrb")


def _hls_ip(build: Path) -> str:
    """The IP `vitis_hls` exports from BUILD/hls/top.cpp: an interface per axis port (the ones it writes are
    masters: `out`; the others are read), s_axi_<bundle> per s_axilite bundle, ap_clk, ap_rst_n and interrupt."""
    source = (build / "hls" / "top.cpp").read_text()
    width = re.search(r"sf::axis_word<(\d+)>", (build / "hls" / "top.h").read_text()).group(1)
    ports = ["{ap_clk pin I 1 1}", "{ap_rst_n pin I 1 1}", "{interrupt pin O 0 1}"]
    for port in re.findall(r"#pragma HLS INTERFACE mode=axis port=(\w+)", source):
        name = f"{port}_r" if port in HDL_KEYWORDS else port
        ports.append(f"{{{name} intf {'M' if port == 'out' else 'S'} 1 1 {width if port in ('in', 'out') else ''}}}")
    for bundle in sorted(set(re.findall(r"#pragma HLS INTERFACE mode=s_axilite port=\w+ bundle=(\w+)", source))):
        ports.append(f"{{s_axi_{bundle} intf S 1 1}}")
    return f"ip xilinx.com:hls:squeezeflow_top {{}} {{}} {{{' '.join(ports)}}} {{version 1.0 repo 1}}\n"


def _rtl_module(build: Path) -> str:
    """The module reference Vivado infers from BUILD/rtl/top.v: x_tdata, x_tvalid, ... become interface x (a slave
    when tdata is an input), the other ports stay pins."""
    top = build / "rtl" / "top.v"
    header = top.read_text().split(");", 1)[0]
    module = re.search(r"module\s+(\w+)", header).group(1)
    declared = re.findall(r"(input|output)\s+wire\s*(?:\[(\d+):0\])?\s*(\w+)", header)
    ports = []
    for direction, msb, name in declared:
        prefix, _, signal = name.rpartition("_")
        if signal in AXIS_SIGNALS:
            if signal == "tdata":
                ports.append(f"{{{prefix} intf {'S' if direction == 'input' else 'M'} 1 1 {int(msb) + 1}}}")
            continue
        required = int(name in ("ap_clk", "ap_rst_n"))
        ports.append(f"{{{name} pin {direction[0].upper()} {required} 1 {int(msb) + 1 if msb else ''}}}")
    return f"module {module} {{{top}}} {{{' '.join(ports)}}}\n"


def accelerator_definitions(build: Path, out: Path) -> Path:
    """Write the stand-in's definitions of the accelerator of `build` (HLS IP and/or RTL module) to `out`."""
    out.write_text((_hls_ip(build) if (build / "hls").is_dir() else "")
                   + (_rtl_module(build) if (build / "rtl").is_dir() else ""))
    return out


def fake_hls_export(build: Path) -> Path:
    """The IP repository the HLS step would export (vitis_hls layout), as far as Vivado looks at it."""
    repo = build / "hls" / "sf_hls" / "solution" / "impl" / "ip"
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "component.xml").write_text("<spirit:component/>\n")
    return repo


def environment(build: Path, log: Path, board_parts: str = "", wns: float | None = None) -> dict:
    env = dict(os.environ, SF_STANDIN_LOG=str(log), SF_STANDIN_BOARD_PARTS=board_parts,
               SF_STANDIN_IPS=str(accelerator_definitions(build, log.with_suffix(".ips.tcl"))))
    if wns is not None:
        env["SF_STANDIN_WNS"] = str(wns)
    return env


def run(script: Path, env: dict, *tclargs: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `script` under the stand-in -> (the process, the logged calls)."""
    proc = subprocess.run(["tclsh", str(STANDIN), str(script), *tclargs], env=env, capture_output=True, text=True)
    log = Path(env["SF_STANDIN_LOG"])
    return proc, log.read_text().splitlines() if log.exists() else []


# What the stand-in vitis_hls leaves as its C-synthesis report: the layout of Vitis HLS's <top>_csynth.xml (the
# elements hls4ml's report reader also reads), with made-up figures.
CSYNTH_XML = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion><Version>2023.2</Version></ReportVersion>
  <UserAssignments><unit>ns</unit><ProductFamily>zynquplus</ProductFamily><Part>xck26-sfvc784-2LV-c</Part>
    <TopModelName>squeezeflow_top</TopModelName><TargetClockPeriod>3.33</TargetClockPeriod>
    <ClockUncertainty>0.90</ClockUncertainty><FlowTarget>vivado</FlowTarget></UserAssignments>
  <PerformanceEstimates>
    <SummaryOfTimingAnalysis><unit>ns</unit><EstimatedClockPeriod>2.431</EstimatedClockPeriod></SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency><unit>clock cycles</unit><Best-caseLatency>71</Best-caseLatency>
      <Average-caseLatency>71</Average-caseLatency><Worst-caseLatency>73</Worst-caseLatency>
      <Interval-min>49</Interval-min><Interval-max>52</Interval-max></SummaryOfOverallLatency>
  </PerformanceEstimates>
  <AreaEstimates>
    <Resources><BRAM_18K>4</BRAM_18K><DSP>3</DSP><FF>2107</FF><LUT>3018</LUT><URAM>0</URAM></Resources>
    <AvailableResources><BRAM_18K>288</BRAM_18K><DSP>1248</DSP><FF>234240</FF><LUT>117120</LUT><URAM>64</URAM>
    </AvailableResources>
  </AreaEstimates>
</profile>
"""


def install_fake_tools(bin_dir: Path) -> Path:
    """`vitis_hls` (exports the fake IP repository and leaves CSYNTH_XML in its working folder) and `vivado` (runs
    -source under the stand-in), to put first on PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    tools = {
        "vitis_hls": "repo=sf_hls/solution/impl/ip\nmkdir -p $repo\necho '<spirit:component/>' > $repo/component.xml\n"
                     f"mkdir -p sf_hls/solution/syn/report\ncat > sf_hls/solution/syn/report/squeezeflow_top_csynth.xml"
                     f" <<'EOF'\n{CSYNTH_XML}EOF",
        "vivado": 'while [ $# -gt 0 ]; do case "$1" in -source) script=$2; shift 2;; -tclargs) shift; break;; '
                  '*) shift;; esac; done\n'
                  f'exec tclsh {STANDIN} "$script" "$@"',
    }
    for name, body in tools.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n# stand-in {name} (tests/standin.py)\n{body}\n")
        path.chmod(0o755)
    return bin_dir
