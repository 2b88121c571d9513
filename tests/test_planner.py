"""The planner (compiler/planner/plan.py), its models (compiler/kernels/, estimate.py) and
reports (backends/report.py)."""
import json
import re

import factory
import numpy as np
import pytest

from squeezeflow.compiler import cli, ir
from squeezeflow.compiler.boards import BOARDS, board
from squeezeflow.compiler.dataflow import weights
from squeezeflow.compiler.errors import UserError
from squeezeflow.compiler.kernels.window import Window, window_schedule
from squeezeflow.compiler.pipeline import compile_model
from squeezeflow.compiler.planner.estimate import estimate
from squeezeflow.compiler.planner.plan import _undominated
from squeezeflow.hw import spec


@pytest.fixture(scope="module")
def model():
    return factory.brevitas_model("squeezenet1_1")


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_plan_fits_every_board(model, name):
    """At 90%, as the issue's targets ask (this 64x64 network's 6-bit weights alone fill 84% of the PYNQ-Z2's
    block RAM: at 80% it is a near miss there, which the planner reports as a warning)."""
    net, arrays = compile_model(model, board=name, max_util=0.9)
    est = estimate(net, arrays, board(name), net.clock_mhz)
    assert max(est.utilization.values()) <= 0.9 + 1e-9, est.utilization
    assert est.interval_cycles == max(layer.cycles for layer in est.layers)
    for layer in net.layers:
        if isinstance(layer, ir.Conv):
            # SIMD divides a pointwise layer's channels; a windowed one's fan-in ends in a zero-padded word instead
            assert layer.in_channels % layer.simd == 0 if not layer.windowed else layer.simd <= layer.fan_in
            assert layer.out_shape[0] % layer.pe == 0
            assert layer.mac != "dsp_packed" or layer.pe % 2 == 0
            assert layer.simd * net.type_of(layer.inputs[0]).bits <= spec.MAX_WORD_BITS
            assert layer.pe * layer.out_type.bits <= spec.MAX_WORD_BITS


def test_more_resources_never_slower_and_target_fps_is_cheapest(model):
    fps = {}
    for share in (0.3, 0.6, 0.9):
        net, arrays = compile_model(model, max_util=share)
        fps[share] = estimate(net, arrays, board("ultra96v2"), 250).fps
    assert fps[0.3] <= fps[0.6] <= fps[0.9]
    target = fps[0.6] / 2
    net, arrays = compile_model(model, target_fps=target)
    est = estimate(net, arrays, board("ultra96v2"), 250)
    assert est.fps >= target
    fastest, arrays = compile_model(model, max_util=0.9)
    lanes = sum(layer.simd * layer.pe for layer in net.layers if isinstance(layer, ir.Conv))
    assert lanes < sum(layer.simd * layer.pe for layer in fastest.layers if isinstance(layer, ir.Conv))


def test_classifier_streams_its_weights_when_block_ram_runs_short():
    """SqueezeNet 1.1's 1000-class weights (7.4 Mbit) fit neither 90% of the PYNQ-Z2's block RAM (4.6 Mbit) nor, the
    rest, its LUTs: the planner moves conv10's 3.07 Mbit to DDR (the only layer that may stream: it feeds the global
    pool)."""
    net, arrays = compile_model(factory.brevitas_model("squeezenet1_1", classes=1000), board="pynqz2", max_util=0.9)
    est = estimate(net, arrays, board("pynqz2"), net.clock_mhz)
    assert max(est.utilization.values()) <= 0.9 + 1e-9, est.utilization
    streamed = [layer.name for layer in net.layers if isinstance(layer, ir.Conv) and layer.weight_storage == "ddr"]
    assert streamed == ["conv10"]
    # The DDR traffic in the report: the image the weights DMA replays, at least the 6-bit weights themselves.
    image = weights.weight_image(net, arrays)
    assert est.ddr_weight_bytes == image.nbytes >= 512 * 1000 * 6 // 8
    assert est.to_dict()["ddr_weights"]["mb_per_s"] == round(image.nbytes * est.fps / 1e6, 1)


def test_clock_scales_fps(model):
    net, arrays = compile_model(model, clock_mhz=125, target_fps=200)
    assert net.clock_mhz == 125
    assert estimate(net, arrays, board("ultra96v2"), 125).fps >= 200


def test_pins_are_kept_and_bad_ones_rejected(model):
    pins = {"fire2_expand3x3": {"simd": 14, "pe": 8, "mac": "dsp_packed", "weight_storage": "lutram"},
            "conv10": {"mac": "lut"}}
    net, _ = compile_model(model, config={"layers": pins})
    layer = net.layer("fire2_expand3x3")
    assert (layer.simd, layer.pe, layer.mac, layer.weight_storage) == (14, 8, "dsp_packed", "lutram")
    assert layer.sf == 11  # 144 = 10 x 14 + 4: the last word holds 4 values and 10 zero lanes
    assert net.layer("conv10").mac == "lut"
    for config, message in [({"layers": {"fire99": {"simd": 2}}}, "unknown layer 'fire99'"),
                            ({"layers": {"fire2_squeeze": {"simd": 3}}}, "fire2_squeeze simd=3"),
                            ({"layers": {"pool1": {"pe": 2}}}, "a maxpool layer has no folding"),
                            ({"layers": {"conv1": {"lanes": 2}}}, "keys"),
                            ({"layers": {"conv1": {"mac": "dsp3"}}}, "conv1 mac='dsp3'"),
                            ({"layers": {"conv1": {"weight_storage": "uram"}}}, "one of bram, lutram, ddr"),
                            ({"layers": {"conv1": {"weight_storage": "ddr"}}}, "feeds a global pool alone"),
                            ({"layers": {"conv10": {"ddr_rows": 2}}}, "only with weight_storage='ddr'"),
                            ({"layers": {"conv10": {"weight_storage": "ddr", "ddr_rows": 0}}}, "1 to its"),
                            ({"layers": {"fire2_expand3x3": {"simd": 145}}}, "up to 144"),
                            ({"layers": {"fire2_squeeze": {"pe": 1, "mac": "dsp_packed"}}}, "no possible"),
                            ({"folding": {}}, "JSON object")]:
        with pytest.raises(UserError, match=re.escape(message)):
            compile_model(model, config=config)


def test_impossible_requests_are_one_line(model, tmp_path, capsys):
    assert cli.main(["compile", str(model), "-o", str(tmp_path / "b"), "--target-fps", "1e9"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "out of reach" in err
    assert cli.main(["compile", str(model), "-o", str(tmp_path / "b"), "--max-util", "1.5"]) == 2
    assert "--max-util 1.5" in capsys.readouterr().err
    assert cli.main(["compile", str(model), "-o", str(tmp_path / "b"), "--board", "pynqz2",
                     "--target-fps", "5000"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "5000 fps does not fit the TUL PYNQ-Z2 within 85%" in err
    assert not (tmp_path / "b").exists()


def test_reports_are_written_and_deterministic(model, tmp_path, capsys):
    for name in ("a", "b"):
        assert cli.main(["compile", str(model), "-o", str(tmp_path / name), "--target-fps", "2000"]) == 0
    table = capsys.readouterr().out
    assert "fps" in table and "BRAM36" in table and "roofline" in table
    doc = json.loads((tmp_path / "a" / "report.json").read_text())
    assert {"fps", "latency_ms", "interval_cycles", "clock_mhz", "utilization", "layers"} <= doc.keys()
    assert set(doc["utilization"]) == {"lut", "lutram", "ff", "dsp", "bram36", "uram"}
    assert all(0 <= u <= 1 for u in doc["utilization"].values())
    assert doc["fps"] >= 2000 and doc["clock_mhz"] == 250
    convs = [row for row in doc["layers"] if row["kind"] == "conv"]
    assert len(convs) == 26 and all(row["simd"] and row["pe"] and row["mac"] in spec.MAC_IMPLS for row in convs)
    html = (tmp_path / "a" / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "fire9_expand3x3" in html
    for name in ("report.json", "report.html", "report_cycles.png", "report_resources.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_undominated_keeps_the_pareto_front():
    points = np.array([[1, 5], [2, 2], [2, 2], [3, 3], [5, 1], [1, 6]])
    assert _undominated(points).tolist() == [0, 1, 4]
    # against the definition, on random small integers (many ties): row i goes if some row j is as good everywhere
    # and better somewhere, or equal and earlier
    rng = np.random.default_rng(5)
    for _ in range(200):
        p = rng.integers(0, 4, size=(int(rng.integers(1, 40)), int(rng.integers(1, 5))))
        kept = [i for i in range(len(p)) if not any((p[j] <= p[i]).all() and ((p[j] < p[i]).any() or j < i)
                                                     for j in range(len(p)) if j != i)]
        assert _undominated(p).tolist() == kept


def test_window_schedule_counts_row_waits():
    """A 3x3 stride-1 padded window waits only for its first window; a stride-2 unpadded one also for the extra
    input row every output row needs (kernels/window.py)."""
    def config(**sizes):
        return Window.Config(lane_t="ap_uint<8>", word_t="ap_uint<8>", LANES=1, ROWS=sizes["KH"] + sizes["SH"], PAD=0,
                             **sizes)

    s = window_schedule(config(H=8, W=8, CG=2, KH=3, KW=3, SH=1, SW=1, PT=1, PL=1, HO=8, WO=8))
    assert s.lead_words == (8 + 2) * 2 and s.row_gap == 0
    assert s.cycles == s.lead_words + 64 * 9 * 2
    s = window_schedule(config(H=9, W=9, CG=1, KH=3, KW=3, SH=2, SW=2, PT=0, PL=0, HO=4, WO=4))
    # Row oy's first window needs input through row 2*oy + 2, column 2; row oy - 1's last window read through row
    # 2*oy, column 8: 12 more pixels, 9 of them overlapped with that window.
    assert s.row_gap == 12 - 9 and s.cycles == (2 * 9 + 3) + 16 * 9 + 3 * 3


def test_widest_word_is_what_the_hls_headers_allow():
    """sf_common.h raises ap_int's width limit to hw/spec.py MAX_WORD_BITS, which the planner keeps words within."""
    from pathlib import Path

    header = (Path(spec.__file__).resolve().parent / "hls" / "sf_common.h").read_text()
    assert f"#define AP_INT_MAX_W {spec.MAX_WORD_BITS}" in header
