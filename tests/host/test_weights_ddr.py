"""Weights from DDR through the driver: conv10 of the small model reads its weights from the accelerator's weights
port, fed every frame with one copy of the weight image by the second, MM2S-only DMA (tests/host/prepare_build.py
small_ddr), on the simulated board whose accelerator model computes from what that DMA moved."""
import json
import shutil
import time

import numpy as np
import pynq
import pytest

from squeezeflow.host import driver
from squeezeflow.host.driver import DmaTimeout, SqueezeFlowOverlay


@pytest.fixture(scope="module")
def overlay(small_ddr):
    """In batches of 2: the 5 images make 3 batches (2, 2, 1 frames)."""
    with SqueezeFlowOverlay(small_ddr.build, batch_size=2, timeout=60) as ov:
        yield ov


def _image_bytes(prepared) -> int:
    return json.loads((prepared.build / "manifest.json").read_text())["weights_from_ddr"]["beats"] * 8


def test_manifest_and_image(small_ddr):
    m = driver.load_manifest(small_ddr.build / "manifest.json")
    ddr = m["weights_from_ddr"]
    assert ddr == {"dma": "dma_weights", "port": "weights", "layers": ["conv10"], "beats": ddr["beats"],
                   "file": "ddr_weights.bin"}
    assert ddr["beats"] > 0 and (small_ddr.build / ddr["file"]).stat().st_size == ddr["beats"] * 8
    for file in m["files"].values():
        assert (small_ddr.build / file).is_file()


def test_simulated_overlay_has_the_weights_dma(overlay):
    """pynq's Overlay finds the MM2S-only DMA of the simulated .hwh and binds its own DMA driver to it."""
    ips = overlay.overlay.ip_dict
    assert ips["dma_weights"]["parameters"]["c_include_s2mm"] == "0"
    assert len({ips[name]["phys_addr"] for name in ("dma", "dma_weights", "squeezeflow")}) == 3
    assert type(overlay.weights_dma) is pynq.lib.dma.DMA
    assert overlay.weights_dma.sendchannel is not None and overlay.weights_dma.recvchannel is None
    assert overlay.device.weights_dma is not overlay.device.dma


def test_predict_is_the_golden_model(overlay, small_ddr):
    weights = overlay.device.weights_dma
    transfers, moved = len(weights.transfers["mm2s"]), weights.moved["mm2s"]
    np.testing.assert_array_equal(overlay.predict(small_ddr.images), small_ddr.logits)
    image = _image_bytes(small_ddr)
    # one MM2S transfer per batch, of frames x image bytes, all of it taken by the accelerator
    assert weights.transfers["mm2s"][transfers:] == [2 * image, 2 * image, image]
    assert weights.moved["mm2s"] - moved == len(small_ddr.images) * image
    assert weights.transfers["s2mm"] == [] and weights.moved["s2mm"] == 0
    np.testing.assert_array_equal(overlay.predict(small_ddr.images[2]), small_ddr.logits[2:3])
    assert weights.transfers["mm2s"][-1] == image


def test_same_logits_as_on_chip_weights(small_ddr, small):
    """Where conv10 keeps its weights changes nothing in the arithmetic."""
    np.testing.assert_array_equal(small_ddr.logits, small.logits)


def test_benchmark(overlay):
    result = overlay.benchmark(3, latency_runs=1)
    assert result["frames"] == 3 and result["fps"] > 0


def test_the_accelerator_reads_what_the_dma_moved(overlay, small_ddr):
    """The simulated accelerator takes its weights from the host's DMA buffer, a copy per frame: spoil the copy of
    the second frame of a batch and that frame alone changes."""
    saved = np.array(overlay._weights)
    try:
        overlay._weights[1] = 0
        logits = overlay.predict(small_ddr.images[:2])
        np.testing.assert_array_equal(logits[0], small_ddr.logits[0])
        assert not np.array_equal(logits[1], small_ddr.logits[1])
    finally:
        overlay._weights[:] = saved
    np.testing.assert_array_equal(overlay.predict(small_ddr.images[:2]), small_ddr.logits[:2])


def _board_folder(prepared, tmp_path, overlay_section=True, image=True):
    """What `squeezeflow bitstream` publishes: <model>.bit, .hwh and .json (with its `overlay` section naming the
    weights DMA) and the weight image <model>.ddr_weights.bin, side by side."""
    for suffix in (".bit", ".hwh"):
        shutil.copy(prepared.build / "sim" / f"squeezeflow{suffix}", tmp_path)
    m = json.loads((prepared.build / "manifest.json").read_text())
    ddr = {**m["weights_from_ddr"], "file": "squeezeflow.ddr_weights.bin"}
    m["weights_from_ddr"] = ddr
    if overlay_section:
        m["overlay"] = {"dma": "dma", "accelerator": "squeezeflow", "model_hash_ip": "squeezeflow",
                        "weights_from_ddr": ddr}
    (tmp_path / "squeezeflow.json").write_text(json.dumps(m))
    if image:
        shutil.copy(prepared.build / "ddr_weights.bin", tmp_path / ddr["file"])
    return tmp_path / "squeezeflow.bit"


def test_bitstream_form(small_ddr, tmp_path):
    bit = _board_folder(small_ddr, tmp_path)
    with SqueezeFlowOverlay(bit, library=small_ddr.library) as ov:
        np.testing.assert_array_equal(ov.predict(small_ddr.images[:1]), small_ddr.logits[:1])


def test_overlay_section_names_the_weights_dma(small_ddr, tmp_path):
    bit = _board_folder(small_ddr, tmp_path)
    m = json.loads((tmp_path / "squeezeflow.json").read_text())
    m["weights_from_ddr"]["dma"] = "axi_dma_1"  # the overlay section's name wins
    (tmp_path / "squeezeflow.json").write_text(json.dumps(m))
    with SqueezeFlowOverlay(bit, library=small_ddr.library) as ov:
        assert ov.ip["weights_dma"] == "dma_weights"
        np.testing.assert_array_equal(ov.predict(small_ddr.images[:1]), small_ddr.logits[:1])
    m["overlay"]["weights_from_ddr"]["dma"] = "axi_dma_1"
    (tmp_path / "squeezeflow.json").write_text(json.dumps(m))
    with pytest.raises(RuntimeError, match="has no IP 'axi_dma_1'"):
        SqueezeFlowOverlay(bit, library=small_ddr.library)


@pytest.mark.parametrize("change", [lambda data: b"", lambda data: data[:-8], lambda data: data + bytes(8)],
                         ids=["empty", "short", "long"])
def test_wrong_size_image_is_refused(small_ddr, tmp_path, change):
    bit = _board_folder(small_ddr, tmp_path)
    file, image = tmp_path / "squeezeflow.ddr_weights.bin", _image_bytes(small_ddr)
    file.write_bytes(change(file.read_bytes()))
    with pytest.raises(ValueError, match=rf"weight image .*squeezeflow\.ddr_weights\.bin is {file.stat().st_size} "
                                         rf"bytes, the manifest expects {image // 8} beats \({image} bytes\)"):
        SqueezeFlowOverlay(bit, library=small_ddr.library)


def test_missing_image_is_refused(small_ddr, tmp_path):
    bit = _board_folder(small_ddr, tmp_path, image=False)
    with pytest.raises(FileNotFoundError, match=r"weight image .*squeezeflow\.ddr_weights\.bin not found: layers "
                                                "conv10 read their weights from DDR"):
        SqueezeFlowOverlay(bit, library=small_ddr.library)


def test_library_of_another_build_is_refused(small_ddr, small, tmp_path):
    """small and small_ddr share the model and so its hash: the weights port tells their libraries apart."""
    with pytest.raises(ValueError, match="reads 0 weight beats per frame.*different builds"):
        SqueezeFlowOverlay(_board_folder(small_ddr, tmp_path), library=small.library)
    with pytest.raises(ValueError, match=r"reads \d+ weight beats per frame from DDR, but the board has no weights "
                                         "DMA.*different builds"):
        SqueezeFlowOverlay(small.build, library=small_ddr.library)


def test_weights_never_sent_times_out(small_ddr, monkeypatch):
    """Without its weights a frame does not complete: the driver times out naming the output channel."""
    with SqueezeFlowOverlay(small_ddr.build, timeout=0.5) as ov:
        monkeypatch.setattr(ov.weights_dma.sendchannel, "transfer", lambda *args, **kwargs: None)
        start = time.monotonic()
        with pytest.raises(DmaTimeout, match=r"dma recvchannel \(S2MM.*frame 0 within 0.5 s; the other channel is "
                                             r"(idle|busy too); dma_weights sendchannel is busy"):
            ov.predict(small_ddr.images[:2])
        assert time.monotonic() - start < 5
        assert ov.device.dma.moved["s2mm"] == 0 and ov.device.weights_dma.moved["mm2s"] == 0
        with pytest.raises(RuntimeError, match="unusable after a DMA stall"):
            ov.predict(small_ddr.images[:1])
