"""The PYNQ driver through pynq's own Overlay, DMA driver and allocate() on the simulated board (host/sim_device.py),
against the golden model's logits (tests/host/prepare_build.py)."""
import json
import shutil
import time

import numpy as np
import pynq
import pytest
from PIL import Image

from squeezeflow.host import driver
from squeezeflow.host.driver import DmaTimeout, ModelMismatch, SqueezeFlowOverlay
from squeezeflow.host.preprocess import load_image
from squeezeflow.host.sim_device import SimDevice


def test_manifest_is_the_drivers_contract(small):
    m = driver.load_manifest(small.build / "manifest.json")
    assert m["model_hash32"] == int(m["model_sha256"][:8], 16)
    assert m["input"]["shape"] == [3, 64, 64] and m["input"]["beats"] == 3 * 64 * 64 // 8
    assert m["output"]["num_classes"] == 10 and m["output"]["beats"] == 5 and m["output"]["scale"] > 0
    assert m["ip"]["dma"] == "dma" and m["ip"]["accelerator"] == "squeezeflow"
    assert m["weights_from_ddr"] is None and m["axi_stream_bits"] == 64
    for file in m["files"].values():
        assert (small.build / file).is_file()


def test_runs_on_pynq_unmodified(overlay):
    assert isinstance(overlay.overlay, pynq.Overlay) and isinstance(overlay.device, SimDevice)
    assert type(overlay.dma) is pynq.lib.dma.DMA
    assert all(isinstance(buf, pynq.buffer.PynqBuffer) for buf in overlay._buffers)
    assert overlay.backend == "software"
    assert overlay.overlay.ip_dict["squeezeflow"]["registers"]["model_hash"]["address_offset"] == 0x10


def test_logs_the_backend(small, caplog):
    with caplog.at_level("INFO", logger="squeezeflow.host.driver"):
        SqueezeFlowOverlay(small.build).close()
    assert "software backend" in caplog.text and "libsqueezeflow.so" in caplog.text


def test_predict_is_the_golden_model(overlay, small):
    """5 images in batches of 2: three batches, the DMA overlapped with preprocessing."""
    np.testing.assert_array_equal(overlay.predict(small.images), small.logits)
    # PIL images and arrays (HWC uint8, float 0..1) are the same images
    pil = [Image.open(p) for p in small.images[:2]]
    arrays = [load_image(p) for p in small.images[:2]]
    np.testing.assert_array_equal(overlay.predict(pil), small.logits[:2])
    np.testing.assert_array_equal(overlay.predict(arrays), small.logits[:2])
    np.testing.assert_array_equal(overlay.predict(np.stack([arrays[1]] * 3)), small.logits[[1, 1, 1]])  # NHWC
    np.testing.assert_array_equal(overlay.predict(arrays[0] / np.float32(255)), small.logits[:1])


def test_classify_top_k(overlay, small):
    results = overlay.classify(small.images, top_k=3)
    assert len(results) == len(small.images)
    for top, logits in zip(results, small.logits):
        assert [p.index for p in top] == list(np.argsort(-logits, kind="stable")[:3])
        probs = [p.probability for p in top]
        assert probs == sorted(probs, reverse=True) and 0 < probs[-1] <= probs[0] < 1
        assert top[0].label == f"imagenet1k class {top[0].index}"
    everything = overlay.classify(small.images[0], top_k=100)[0]
    assert len(everything) == 10 and sum(p.probability for p in everything) == pytest.approx(1)


def test_benchmark(overlay):
    result = overlay.benchmark(6)
    assert result["frames"] == 6 and result["fps"] > 0 and result["latency_ms"] > 0
    assert result["backend"] == "software"


def test_documented_conversions(overlay, small):
    rgb = load_image(small.image("chelsea"))
    gray = rgb[:, :, 1]
    same = [
        (gray, np.stack([gray] * 3, axis=2)),  # grayscale replicated
        (gray[:, :, None], np.stack([gray] * 3, axis=2)),
        (np.dstack([rgb, np.full(gray.shape, 7, np.uint8)]), rgb),  # alpha dropped
        (rgb.astype(np.uint16) * 257, rgb),  # 16-bit scaled by 1/257
        (Image.fromarray(gray.astype(np.uint16) * 257), np.stack([gray] * 3, axis=2)),  # a 16-bit PNG's mode
    ]
    got = overlay.predict([image for image, _ in same])
    np.testing.assert_array_equal(got, overlay.predict([reference for _, reference in same]))


def test_huge_and_empty(overlay, small, monkeypatch):
    assert overlay.predict(np.zeros((3000, 4000, 3), np.uint8)).shape == (1, 10)
    assert overlay.predict([]).shape == (0, 10) and overlay.classify([]) == []
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # a decompression bomb, cheaply
    with pytest.raises(ValueError, match="image 0:.*decompression bomb"):
        overlay.predict(small.image("coffee"))


@pytest.mark.parametrize("bad, message", [
    (np.zeros((3, 64, 64), np.float32), "image 0: image array must be"),  # CHW, not HWC
    (np.zeros(10, np.uint8), "image 0: image array must be"),
    (np.zeros((1, 2, 8, 8, 3), np.uint8), "image 0: image array must be"),
    (np.full((8, 8, 3), 2.0), "image 0: float64 image values must be within 0..1"),
    ("no/such/image.png", "image 0: .*No such file"),
    ([None], "image 0:"),
])
def test_bad_images(overlay, bad, message):
    with pytest.raises(ValueError, match=message):
        overlay.predict(bad)


def test_bad_image_mid_stream_leaves_it_usable(overlay, small):
    with pytest.raises(ValueError, match="image 3:"):
        overlay.predict(small.images[:3] + [np.zeros(5)])
    np.testing.assert_array_equal(overlay.predict(small.images), small.logits)


def _board_folder(small, tmp_path, manifest=None):
    """What a board holds: squeezeflow.bit, .hwh and .json (the manifest) side by side."""
    for suffix in (".bit", ".hwh"):
        shutil.copy(small.build / "sim" / f"squeezeflow{suffix}", tmp_path)
    m = json.loads((small.build / "manifest.json").read_text())
    (tmp_path / "squeezeflow.json").write_text(json.dumps({**m, **(manifest or {})}))
    return tmp_path / "squeezeflow.bit"


def test_bitstream_form(small, tmp_path):
    bit = _board_folder(small, tmp_path)
    with SqueezeFlowOverlay(bit, library=small.library) as ov:
        np.testing.assert_array_equal(ov.predict(small.images[:1]), small.logits[:1])
    with pytest.raises(ValueError, match="needs the C simulation library"):
        SqueezeFlowOverlay(bit)


def test_block_design_names_from_the_overlay_section(small, tmp_path):
    """`squeezeflow bitstream` publishes the manifest with an `overlay` section naming the IP: it wins."""
    bit = _board_folder(small, tmp_path, {"ip": {"dma": "axi_dma_0", "accelerator": "nope"},
                                          "overlay": {"dma": "dma", "accelerator": "squeezeflow"}})
    with SqueezeFlowOverlay(bit, library=small.library) as ov:
        np.testing.assert_array_equal(ov.predict(small.images[:1]), small.logits[:1])


@pytest.mark.parametrize("change", [{"model_hash32": 0x12345678},
                                    {"name": "other", "model_sha256": "ab" * 32, "model_hash32": 0xABABABAB}])
def test_model_mismatch_refused(small, tmp_path, change):
    bit = _board_folder(small, tmp_path, change)
    with pytest.raises(ModelMismatch, match=f"expects 0x{change['model_hash32']:08x}"):
        SqueezeFlowOverlay(bit, library=small.library)


def test_missing_or_broken_artefacts(small, tmp_path):
    bit = _board_folder(small, tmp_path)
    (tmp_path / "squeezeflow.hwh").unlink()
    with pytest.raises(FileNotFoundError, match="hardware handoff"):
        SqueezeFlowOverlay(bit, library=small.library)
    bit = _board_folder(small, tmp_path)
    (tmp_path / "squeezeflow.json").unlink()
    with pytest.raises(FileNotFoundError, match="manifest"):
        SqueezeFlowOverlay(bit, library=small.library)
    (tmp_path / "squeezeflow.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        SqueezeFlowOverlay(bit, library=small.library)
    (tmp_path / "squeezeflow.json").write_text('{"name": "x"}')
    with pytest.raises(ValueError, match="not a squeezeflow manifest"):
        SqueezeFlowOverlay(bit, library=small.library)
    with pytest.raises(FileNotFoundError, match="squeezeflow csim"):
        SqueezeFlowOverlay(_board_folder(small, tmp_path), library=tmp_path / "missing.so")
    with pytest.raises(ValueError, match="build folder, which holds no bitstream"):
        SqueezeFlowOverlay(small.build, backend="pynq")
    with pytest.raises(ValueError, match="backend must be"):
        SqueezeFlowOverlay(small.build, backend="fpga")


def test_dma_stall_raises_naming_the_channel(small):
    with SqueezeFlowOverlay(small.build, timeout=0.5) as ov:
        ov.device.accelerator.stalled = True  # its input never ready again, as a hung accelerator's
        start = time.monotonic()
        with pytest.raises(DmaTimeout, match=r"dma recvchannel \(S2MM.*frame 0 within 0.5 s; the other channel is "
                                             "busy too"):
            ov.predict(small.images[:3])
        assert time.monotonic() - start < 5
        with pytest.raises(RuntimeError, match="unusable after a DMA stall"):
            ov.predict(small.images[:1])


def test_cli(small, capsys):
    assert driver.main([str(small.build), str(small.image("chelsea")), "--top-k", "2", "--benchmark", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("chelsea.png: imagenet1k class") and "frames/s" in out
    assert driver.main([str(small.build), "missing.png"]) == 2


@pytest.mark.shared
def test_trained_squeezenet_sees_a_cat(trained):
    """Done-when: the trained W6A8 SqueezeNet 1.1 classifies skimage's chelsea with a cat class (ImageNet 281-285:
    tabby, tiger cat, Persian, Siamese, Egyptian cat) in the top 5 through the simulated PYNQ device, its logits the
    golden model's."""
    import skimage.data

    with SqueezeFlowOverlay(trained.build) as ov:
        logits = ov.predict(skimage.data.chelsea())
        top5 = ov.classify(trained.image("chelsea"))[0]
    np.testing.assert_array_equal(logits[0], trained.golden("chelsea"))
    assert {p.index for p in top5} & set(range(281, 286)), top5
