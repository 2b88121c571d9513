"""The whole accelerator in RTL (compiler/backends/emit_rtl.py, compiler/sim/rtlsim.py): the small SqueezeNet 1.1
(64x64, 10 classes, random weights, the planner's folding for the Ultra96-V2) simulated cycle by cycle in Verilator, bit-exact
with the golden model and within 5% of the planner's cycle estimates.
"""
import json
import shutil
from pathlib import Path

import factory
import pytest

from squeezeflow.compiler import cli
from squeezeflow.compiler.backends import emit_rtl
from squeezeflow.compiler.dataflow import graph
from squeezeflow.compiler.dataflow.graph import build_graph
from squeezeflow.compiler.pipeline import compile_model, write_build
from squeezeflow.compiler.sim import rtlsim


@pytest.fixture(scope="module")
def compiled():
    return compile_model(factory.brevitas_model("squeezenet1_1"))


@pytest.fixture(scope="module")
def small(compiled, tmp_path_factory) -> Path:
    return write_build(tmp_path_factory.mktemp("small") / "build", *compiled, backend="rtl")


def test_small_network_is_bit_exact_back_to_back(small, tmp_path, capsys):
    for path in factory.calib_images(2):
        shutil.copy(path, tmp_path)
    assert cli.main(["rtlsim", str(small), "--images", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 2 and result["bit_exact"] is True, result
    assert {"latency_cycles", "interval_cycles", "wall_seconds", "top1", "top5"} <= result.keys()
    # Two frames back to back: the second finishes one interval after the first, an interval no shorter than the
    # busiest kernel's work, and shorter than a frame's latency (the frames overlap in the pipeline).
    assert result["ideal_interval_cycles"] <= result["interval_cycles"] < result["latency_cycles"]
    assert not (small / "hls").exists()
    # The planner's estimate (report.json) within 5% of the simulation: the interval (the FIFO rules let the
    # pipeline reach its slowest kernel) and the latency of the first frame.
    report = json.loads((small / "report.json").read_text())
    assert report["interval_cycles"] == result["ideal_interval_cycles"]
    assert abs(report["interval_cycles"] / result["interval_cycles"] - 1) <= 0.05, (report["interval_cycles"], result)
    assert abs(report["latency_cycles"] / result["latency_cycles"] - 1) <= 0.05, (report["latency_cycles"], result)


def test_pinned_ddr_weights_and_padded_simd_are_bit_exact_and_keep_the_interval(tmp_path, capsys):
    """conv10 pinned to stream its weights (sf_mvau WEIGHT_STORAGE "ddr"), two of its three output rows per pass over
    them (a short last pass): the harness replays BUILD/ddr_weights.bin into the weights port every frame. conv1 and
    fire2_expand3x3 pinned to a SIMD that divides neither their channels nor their fan-in (27 in words of 10, 144 in
    words of 14: the last word of each pixel zero-padded by sf_regroup). The output is the golden model's and the
    frame interval the planner's."""
    pins = {"conv10": {"weight_storage": "ddr", "ddr_rows": 2}, "conv1": {"simd": 10}, "fire2_expand3x3": {"simd": 14}}
    net, arrays = compile_model(factory.brevitas_model("squeezenet1_1"), config={"layers": pins})
    assert net.layer("conv10").out_shape[1:] == [3, 3] and net.layer("conv10").weight_passes == 2
    assert net.layer("conv1").sf == 3 and net.layer("fire2_expand3x3").sf == 11
    build = write_build(tmp_path / "ddr", net, arrays, backend="rtl")
    assert "weights_tready" in (build / "rtl" / "top.v").read_text()
    images = tmp_path / "images"
    images.mkdir()
    for path in factory.calib_images(2):
        shutil.copy(path, images)
    assert cli.main(["rtlsim", str(build), "--images", str(images), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bit_exact"] is True, result
    report = json.loads((build / "report.json").read_text())
    assert abs(report["interval_cycles"] / result["interval_cycles"] - 1) <= 0.05, (report["interval_cycles"], result)
    assert abs(report["latency_cycles"] / result["latency_cycles"] - 1) <= 0.05, (report["latency_cycles"], result)


def test_deadlock_is_reported(small, tmp_path):
    """With the FIFO that lets a Fire's expand1x1 branch wait for the expand3x3 window generator cut to the default
    depth, the join starves and the harness names the deadlock instead of hanging."""
    broken = Path(shutil.copytree(small, tmp_path / "broken", ignore=shutil.ignore_patterns("obj_dir")))
    top = broken / "rtl" / "top.v"
    fifo = "s_fire2_squeeze__fire2_expand1x1_fifo"
    text = top.read_text()
    start = text.index(f") {fifo} (")
    depth = text.rindex(".DEPTH(", 0, start)
    top.write_text(text[:depth] + ".DEPTH(2" + text[text.index(")", depth):])
    for path in factory.calib_images(1):
        shutil.copy(path, tmp_path)
    with pytest.raises(rtlsim.RtlsimFailure, match="deadlock"):
        rtlsim.simulate(broken, tmp_path)


def test_emission_is_deterministic(compiled, tmp_path):
    for name in ("a", "b"):
        emit_rtl.emit(tmp_path / name, *compiled, build_graph(*compiled))
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


def test_each_layer_on_its_own_runs_near_its_busiest_kernel(small, capsys):
    """`rtlsim --per-layer`: every layer (and the AXI converters "input" and "output") driven alone at full rate. Its
    frame interval is at least its busiest kernel's cycles per frame (a kernel moves at most one word per port per
    cycle; an MVAU spends one per weight tile) and well under twice that."""
    busiest = {}
    for p in graph.load(small).processes:
        cfg = p.config
        words = [s.words for s in p.inputs + p.outputs]
        if p.kernel in ("mvau", "mvau_streamed"):
            words.append(cfg.PIXELS * cfg.NF * cfg.SF)
        busiest[p.owner] = max(busiest.get(p.owner, 0), *words)
    layers = rtlsim.layer_cycles(small)
    assert list(layers) == list(busiest)
    for name, r in layers.items():
        assert r["ideal_cycles"] == busiest[name], name
        assert busiest[name] <= r["interval_cycles"] < 2 * busiest[name], (name, r)
        assert r["latency_cycles"] > 0, (name, r)
    # The planner's cycle model (report.json, per layer) within 5% of each layer's simulated interval.
    for row in json.loads((small / "report.json").read_text())["layers"]:
        assert abs(row["cycles"] / layers[row["name"]]["interval_cycles"] - 1) <= 0.05, (row, layers[row["name"]])
    assert cli.main(["rtlsim", str(small), "--per-layer", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["layers"] == layers
    assert cli.main(["rtlsim", str(small)]) == 2  # neither --images nor --per-layer
    assert "--images" in capsys.readouterr().err
