"""`squeezeflow bitstream` and `make bitstream` (compiler/backends/bitstream.py, templates/vivado/).

No Xilinx tool runs here: the generated Vivado script runs under tests/tcl/vivado_standin.tcl, a tclsh stand-in that
checks the flow's structure (commands, options, files, cells, pins, connections, order), not synthesis. The builds
are a two-layer network, emitted in well under a second.
"""
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import standin

from squeezeflow.compiler import cli, ir
from squeezeflow.compiler.backends import bitstream
from squeezeflow.compiler.boards import BOARDS
from squeezeflow.compiler.errors import UserError
from squeezeflow.compiler.pipeline import write_build

REPO = Path(__file__).resolve().parents[1]
BOARD_FILES = {"ultra96v2": "avnet.com:ultra96v2:part0:1.2", "pynqz2": "tul.com.tw:pynq-z2:part0:1.0",
               "zcu104": "xilinx.com:zcu104:part0:1.1", "kv260": "xilinx.com:kv260_som:part0:1.4"}

pytestmark = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh (Debian package tcl) is not installed")


def _tiny(board: str) -> tuple[ir.Network, dict]:
    """conv 1x1 (3 -> 4 channels on 4x4) -> requantized global average pool."""
    t = ir.QType(bits=8, signed=False, zero_point=0, scale=0.05, lo=0, hi=255)
    rq = ir.Requant(multiplier=[1 << 22], shift=[30], zero_point=0, lo=0, hi=255)
    conv = ir.Conv(name="conv1", inputs=[ir.NETWORK_INPUT], out_shape=[4, 4, 4], out_type=t, in_channels=3,
                   weight_bits=6, acc_bits=18, requant=rq, role="conv1")
    gap = ir.GlobalAvgPool(name="gap", inputs=["conv1"], out_shape=[4, 1, 1], out_type=t, requant=rq)
    rng = np.random.default_rng(0)
    arrays = {"conv1.weight": rng.integers(-31, 32, (4, 3, 1, 1)).astype(np.int8),
              "conv1.bias": rng.integers(-100, 100, 4).astype(np.int32)}
    net = ir.Network(name="tiny", model_sha256="ab" * 32, input_shape=[3, 4, 4], input_type=t, preprocess={},
                     labels="imagenet1k", layers=[conv, gap], output="gap", board=board,
                     clock_mhz=BOARDS[board].clock_mhz)
    return net, arrays


def _build(path: Path, board: str, backend: str = "hls") -> Path:
    write_build(path, *_tiny(board), backend)
    if (path / "hls").is_dir():
        standin.fake_hls_export(path)
    return path


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("builds")
    return {name: _build(root / name, name) for name in BOARDS}


def _scripts(build: Path, *options: str, bitstreams: Path) -> Path:
    assert cli.main(["bitstream", str(build), "--scripts-only", "--bitstreams", str(bitstreams), *options]) == 0
    return build / "vivado" / "build_bd.tcl"


def _standin(build: Path, tmp_path: Path, board_parts: str = "", wns=None, expect_ok=True):
    """Run BUILD/vivado/build_bd.tcl under the stand-in -> the logged calls, or its error output if not expect_ok."""
    proc, calls = standin.run(build / "vivado" / "build_bd.tcl",
                              standin.environment(build, tmp_path / "calls.log", board_parts, wns), "2")
    assert (proc.returncode == 0) == expect_ok, proc.stderr
    return calls if expect_ok else proc.stderr


def _index(calls: list[str], prefix: str) -> int:
    return next(i for i, call in enumerate(calls) if call.startswith(prefix))


def _line(calls: list[str], prefix: str) -> str:
    return calls[_index(calls, prefix)]


def _config(calls: list[str], cell: str) -> dict:
    """CONFIG parameters set on `cell` (the log holds `set_property -dict {CONFIG.K V ...} cell:NAME`)."""
    config = {}
    for call in calls:
        if call.startswith("set_property -dict {") and call.endswith(f"}} cell:{cell}"):
            words = call[len("set_property -dict {"):call.rindex("}")].split()
            config.update((k.removeprefix("CONFIG."), v) for k, v in zip(words[::2], words[1::2]))
    return config


@pytest.mark.parametrize("installed", [False, True], ids=["part-only", "board-files"])
@pytest.mark.parametrize("name", list(BOARDS))
def test_flow_for_every_board(builds, name, installed, tmp_path):
    board, build = BOARDS[name], builds[name]
    _scripts(build, bitstreams=tmp_path / "bitstreams")
    calls = _standin(build, tmp_path, BOARD_FILES[name] if installed else "")

    assert _line(calls, "create_project").endswith(f"-part {board.part}")
    assert any(c.startswith("set_property board_part") for c in calls) == installed
    ps = "zynq_ultra_ps_e" if name != "pynqz2" else "processing_system7"
    assert f"create_bd_cell -type ip -vlnv xilinx.com:ip:{ps} ps" in calls
    automation = [c for c in calls if c.startswith("apply_bd_automation")]
    if ps == "processing_system7":  # DDR and FIXED_IO become ports either way
        assert len(automation) == 1 and f'apply_board_preset "{int(installed)}"' in automation[0]
    else:
        assert len(automation) == installed
    clock, ps_config = f"{board.clock_mhz:g}", _config(calls, "ps")
    if ps == "processing_system7":
        assert ps_config["PCW_FPGA0_PERIPHERAL_FREQMHZ"] == clock and ps_config["PCW_USE_S_AXI_HP0"] == "1"
    else:
        assert ps_config["PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"] == clock and ps_config["PSU__USE__S_AXI_GP2"] == "1"
    assert _config(calls, "dma") == {**_config(calls, "dma"), "c_include_sg": "0", "c_sg_length_width": "26",
                                     "c_m_axis_mm2s_tdata_width": "64", "c_s_axis_s2mm_tdata_width": "64"}
    assert "create_bd_cell -type ip -vlnv xilinx.com:hls:squeezeflow_top:1.0 squeezeflow" in calls
    assert "connect_bd_intf_net intf:dma/M_AXIS_MM2S intf:squeezeflow/in_r" in calls
    assert "connect_bd_intf_net intf:squeezeflow/out_r intf:dma/S_AXIS_S2MM" in calls

    order = [_index(calls, step) for step in ("assign_bd_address", "validate_bd_design", "make_wrapper",
                                              "launch_runs synth_1", "launch_runs impl_1 -to_step write_bitstream",
                                              "report_utilization", "report_timing_summary")]
    assert order == sorted(order)
    published = tmp_path / "bitstreams" / name
    assert sorted(p.name for p in published.iterdir()) == ["tiny.bit", "tiny.hwh", "tiny.json"]
    assert (published / "tiny.hwh").read_text().startswith("<!-- stand-in hardware handoff")
    overlay = json.loads((published / "tiny.json").read_text())["overlay"]
    assert overlay == {**overlay, "board": name, "backend": "hls", "dma": "dma", "weights_from_ddr": None}


def test_clock_override_reaches_hls_and_the_ps(builds, tmp_path):
    build = builds["ultra96v2"]
    _scripts(build, "--clock", "187.5", bitstreams=tmp_path)
    run_vitis = (build / "vivado" / "run_vitis.sh").read_text()
    assert "vitis_hls -f run_hls.tcl -tclargs xczu3eg-sbva484-1-i 187.5 0" in run_vitis
    assert "--hls.clock 187.5MHz" in run_vitis
    assert _config(_standin(build, tmp_path), "ps")["PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"] == "187.5"


def test_scripts_are_deterministic(builds, tmp_path):
    build = builds["zcu104"]
    texts = []
    for _ in range(2):
        _scripts(build, bitstreams=tmp_path)
        texts.append({p.name: p.read_bytes() for p in sorted((build / "vivado").glob("*.*"))})
    assert texts[0] == texts[1] and set(texts[0]) >= {"build_bd.tcl", "run_vitis.sh", "manifest.json"}


def test_ddr_weights_add_a_weights_dma(tmp_path):
    net, arrays = _tiny("ultra96v2")
    net.layer("conv1").weight_storage = "ddr"  # it feeds the global pool alone, so it may
    build = tmp_path / "ddr"
    write_build(build, net, arrays)
    standin.fake_hls_export(build)
    _scripts(build, bitstreams=tmp_path / "bitstreams")
    calls = _standin(build, tmp_path)  # the stand-in holds the script to the HLS top's real interfaces
    weights_dma = _config(calls, "dma_weights")
    assert weights_dma["c_include_s2mm"] == "0" and weights_dma["c_m_axis_mm2s_tdata_width"] == "64"
    assert _config(calls, "ctrl_sc")["NUM_MI"] == "3" and _config(calls, "data_sc")["NUM_SI"] == "3"
    assert "connect_bd_intf_net intf:dma_weights/M_AXIS_MM2S intf:squeezeflow/weights" in calls
    assert "connect_bd_intf_net intf:ctrl_sc/M02_AXI intf:dma_weights/S_AXI_LITE" in calls
    assert "connect_bd_intf_net intf:dma_weights/M_AXI_MM2S intf:data_sc/S02_AXI" in calls
    published = tmp_path / "bitstreams" / "ultra96v2"
    doc = json.loads((published / "tiny.json").read_text())
    image = (build / "ddr_weights.bin").read_bytes()
    expected = {"dma": "dma_weights", "port": "weights", "layers": ["conv1"], "beats": len(image) // 8,
                "file": "tiny.ddr_weights.bin"}
    assert doc["overlay"]["weights_from_ddr"] == doc["weights_from_ddr"] == expected
    assert (published / "tiny.ddr_weights.bin").read_bytes() == image


def test_rtl_backend_uses_the_verilog_top(tmp_path):
    build = _build(tmp_path / "rtl", "pynqz2", backend="rtl")
    _scripts(build, "--backend", "rtl", bitstreams=tmp_path / "bitstreams")
    assert "vitis" not in (build / "vivado" / "run_vitis.sh").read_text().split("set -e")[1]
    calls = _standin(build, tmp_path)
    assert "create_bd_cell -type module -reference squeezeflow_top squeezeflow" in calls
    assert "set_property synth_checkpoint_mode None file:" in _line(calls, "set_property synth_checkpoint_mode")
    assert "connect_bd_net pin:squeezeflow/model_hash pin:model_hash/gpio_io_i" in calls
    assert "connect_bd_intf_net intf:dma/M_AXIS_MM2S intf:squeezeflow/in" in calls
    assert (build / "vivado" / "copy_mem.tcl").read_text().endswith(f"{build.resolve() / 'rtl' / 'mem'} mem\n")
    assert not any("ip_repo_paths" in c for c in calls)


MUTATIONS = {
    "no addresses": ("assign_bd_address\n", "", "addresses not assigned"),
    "HPM1 left on": ("CONFIG.PSU__USE__M_AXI_GP1 {0} ", "", "ps/maxihpm1_fpd_aclk is not connected"),
    "typo in a DMA setting": ("c_sg_length_width", "c_sg_lenght_width", "has no parameter CONFIG.c_sg_lenght_width"),
    "narrow DMA stream": ("c_m_axis_mm2s_tdata_width {64}", "c_m_axis_mm2s_tdata_width {32}", "widths differ"),
    "wrapper before validation": ("validate_bd_design\n", "", "not validated"),
    "unknown option": ("launch_runs impl_1 -to_step", "launch_runs impl_1 -to-step", "unknown option -to-step"),
    "no HLS export": (None, None, "no HLS IP"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_standin_rejects_broken_scripts(mutation, tmp_path):
    """The stand-in is only worth its checks: each of these slips fails, naming the problem."""
    old, new, message = MUTATIONS[mutation]
    build = _build(tmp_path / "b", "ultra96v2")
    script = _scripts(build, bitstreams=tmp_path / "bitstreams")
    if old is None:
        shutil.rmtree(build / "hls" / "sf_hls")
    else:
        assert old in script.read_text()
        script.write_text(script.read_text().replace(old, new, 1))
    assert message in _standin(build, tmp_path, expect_ok=False)


def test_verb_runs_the_flow_and_merges_the_report(tmp_path, monkeypatch, capsys):
    build = _build(tmp_path / "b", "kv260")
    shutil.rmtree(build / "hls" / "sf_hls")  # the fake vitis_hls exports it
    (build / "report.json").write_text(json.dumps({"resources": {"DSP": 1}}))
    monkeypatch.setenv("PATH", f"{standin.install_fake_tools(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SF_STANDIN_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("SF_STANDIN_IPS", str(standin.accelerator_definitions(build, tmp_path / "ips.tcl")))
    bitstreams = tmp_path / "bitstreams"
    assert cli.main(["bitstream", str(build), "--bitstreams", str(bitstreams)]) == 0
    report = json.loads((build / "report.json").read_text())
    assert report["resources"] == {"DSP": 1}
    assert report["vivado"]["wns_ns"] == 0.25 and report["vivado"]["utilization"]["DSP"]["used"] == 300
    hls = report["hls"]  # vitis_hls's csynth report, parsed
    assert hls["tool"] == "2023.2" and hls["target_clock_ns"] == 3.33 and hls["estimated_clock_ns"] == 2.431
    assert hls["latency_cycles"] == {"best": 71, "worst": 73} and hls["interval_cycles"] == {"min": 49, "max": 52}
    assert hls["resources"] == {"BRAM_18K": 4, "DSP": 3, "FF": 2107, "LUT": 3018, "URAM": 0}
    assert hls["available"]["DSP"] == 1248
    assert (bitstreams / "kv260" / "tiny.bit").is_file()

    shutil.rmtree(bitstreams)
    monkeypatch.setenv("SF_STANDIN_WNS", "-0.4")
    assert cli.main(["bitstream", str(build), "--bitstreams", str(bitstreams)]) == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert "timing not met at 300 MHz: WNS -0.400 ns" in error and "0.400 ns too long" in error
    assert "about 267 MHz would close" in error and not bitstreams.exists()
    assert json.loads((build / "report.json").read_text())["vivado"]["wns_ns"] == -0.4


def test_csynth_report_errors_are_one_line(tmp_path):
    assert bitstream.parse_csynth(standin.CSYNTH_XML, "r.xml")["resources"]["LUT"] == 3018
    with pytest.raises(UserError, match="not XML"):
        bitstream.parse_csynth("<profile>", "r.xml")
    with pytest.raises(UserError, match="no PerformanceEstimates"):
        bitstream.parse_csynth("<profile><AreaEstimates/></profile>", "r.xml")


def test_missing_backend_is_a_user_error(builds, capsys):
    assert cli.main(["bitstream", str(builds["pynqz2"]), "--backend", "rtl", "--scripts-only"]) == 2
    assert "the build has no rtl back end" in capsys.readouterr().err


def _path_without_xilinx_tools() -> str:
    tools = ("vivado", "vitis_hls", "v++", "vitis-run")
    return os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep)
                           if not any(os.path.exists(os.path.join(d, t)) for t in tools))


def test_make_bitstream_without_tools_fails_fast_after_writing_the_scripts(tmp_path):
    out, model = tmp_path / "out", tmp_path / "tiny.onnx"
    model.write_text("stands for the ONNX the build was compiled from")
    os.utime(model, (1, 1))  # older than the build: make must not recompile
    (out / "pynqz2").mkdir(parents=True)
    build = _build(out / "pynqz2" / "tiny", "pynqz2")
    # -o: never reinstall the environment from a test
    make = ["make", "-s", "-C", str(REPO), "-o", ".venv/.stamp-setup", f"OUT={out}", "BOARD=pynqz2", f"MODEL={model}"]
    env = dict(os.environ, PATH=_path_without_xilinx_tools())
    proc = subprocess.run(make + ["bitstream-scripts"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(build / "vivado")

    start = time.perf_counter()
    proc = subprocess.run(make + ["bitstream", "CLOCK=125"], env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and time.perf_counter() - start < 30
    message = [line for line in proc.stderr.splitlines() if line.startswith("squeezeflow bitstream: error:")]
    assert len(message) == 1, proc.stderr
    assert re.search(r"vitis_hls \(or v\+\+ and vitis-run\) and vivado not found on PATH", message[0])
    assert "Vivado/Vitis 2023.2 to 2024.2" in message[0] and "never run here" in message[0]
    assert "PCW_FPGA0_PERIPHERAL_FREQMHZ {125}" in (build / "vivado" / "build_bd.tcl").read_text()
    assert (build / "vivado" / "run_vitis.sh").is_file() and (build / "vivado" / "manifest.json").is_file()
    assert not (build / "vivado" / "proj").exists()  # Vivado never started


UTILIZATION_7SERIES = """\
| Tool Version : Vivado v.2023.2 (lin64) Build 4029153 Fri Oct 13 20:13:54 MDT 2023
1. Slice Logic
--------------

+----------------------------+-------+-------+------------+-----------+-------+
|          Site Type         |  Used | Fixed | Prohibited | Available | Util% |
+----------------------------+-------+-------+------------+-----------+-------+
| Slice LUTs*                | 25358 |     0 |          0 |     53200 | 47.67 |
|   LUT as Logic             | 22376 |     0 |          0 |     53200 | 42.06 |
|   LUT as Memory            |  2982 |     0 |          0 |     17400 | 17.14 |
| Slice Registers            | 31490 |     0 |          0 |    106400 | 29.60 |
...
| Block RAM Tile    | 124.5 |     0 |          0 |       140 | 88.93 |
|   RAMB36/FIFO*    |   121 |     0 |          0 |       140 | 86.43 |
| DSPs           |  220 |     0 |          0 |       220 | 100.00 |
"""

TIMING = """\
------------------------------------------------------------------------------------------------
| Design Timing Summary
| ---------------------
------------------------------------------------------------------------------------------------

    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)  THS Failing Endpoints  THS Total Endpoints     WPWS(ns)     TPWS(ns)  TPWS Failing Endpoints  TPWS Total Endpoints  
    -------      -------  ---------------------  -------------------      -------      -------  ---------------------  -------------------     --------     --------  ----------------------  --------------------  
     -0.333      -13.146                     57                  973        0.082        0.000                      0                  973        2.225        0.000                       0                   570  
"""


def test_report_parsers_read_vivado_layouts():
    util = bitstream.parse_utilization(UTILIZATION_7SERIES)
    assert util == {"LUT": {"used": 25358, "available": 53200, "percent": 47.67},
                    "LUTRAM": {"used": 2982, "available": 17400, "percent": 17.14},
                    "FF": {"used": 31490, "available": 106400, "percent": 29.6},
                    "BRAM36": {"used": 124.5, "available": 140, "percent": 88.93},
                    "DSP": {"used": 220, "available": 220, "percent": 100.0}}
    assert bitstream.parse_timing(TIMING) == {"wns_ns": -0.333, "tns_ns": -13.146, "whs_ns": 0.082,
                                              "failing_endpoints": 57}
