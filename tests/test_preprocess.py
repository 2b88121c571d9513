"""host/preprocess.py: spec validation, JSON round trip, image loading and torchvision-exact preprocessing."""
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from squeezeflow.host.preprocess import PreprocessSpec, caffe, load_image, preprocess, torchvision

KEYS = {"input_size", "resize", "crop", "channel_order", "pixel_scale", "mean", "std", "labels"}


def photo(w=500, h=375, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def torchvision_reference(img: np.ndarray, resize: int, crop: int) -> np.ndarray:
    """torchvision's Resize(resize) -> CenterCrop(crop) -> ToTensor -> Normalize, restated step by step with
    torch tensor ops (torchvision itself does not import beside torch 2.13)."""
    import torch

    pil = Image.fromarray(img)
    w, h = pil.size
    short, long = min(w, h), max(w, h)
    new_short, new_long = resize, int(resize * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    pil = pil.resize((new_w, new_h), Image.BILINEAR)
    top, left = int(round((new_h - crop) / 2.0)), int(round((new_w - crop) / 2.0))
    pil = pil.crop((left, top, left + crop, top + crop))
    t = torch.from_numpy(np.array(pil)).permute(2, 0, 1).float().div(255)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    return t.sub(mean).div(std).numpy()


def test_module_needs_neither_torch_nor_onnx():
    code = ("import sys, squeezeflow.host.preprocess as p; p.preprocess(p.np.zeros((8, 8, 3), p.np.uint8), "
            "p.torchvision((4, 4))); bad = {'torch', 'onnx', 'onnxruntime'} & set(sys.modules); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_json_round_trip_has_exactly_the_contract_keys():
    for spec in (torchvision(), caffe(), torchvision((64, 96))):
        text = spec.to_json()
        assert set(json.loads(text)) == KEYS
        assert PreprocessSpec.from_json(text) == spec
    spec = PreprocessSpec(input_size=[32, 32], resize=None, crop=[32, 32], labels=["cat", "dog"])
    assert PreprocessSpec.from_json(spec.to_json()).labels == ["cat", "dog"]


def test_presets():
    tv = torchvision()
    assert (tv.input_size, tv.resize, tv.crop, tv.channel_order) == ([224, 224], 256, [224, 224], "RGB")
    assert tv.pixel_scale == pytest.approx(1 / 255) and tv.labels == "imagenet1k"
    cf = caffe()
    assert (cf.input_size, cf.resize, cf.crop, cf.channel_order) == ([227, 227], 256, [227, 227], "BGR")
    assert (cf.pixel_scale, cf.mean, cf.std) == (1.0, [104.0, 117.0, 123.0], [1.0, 1.0, 1.0])
    assert torchvision((64, 64)).resize == 73  # torchvision's 256/224 ratio kept


@pytest.mark.parametrize("change, message", [
    ({"channel_order": "RGBA"}, "channel_order"),
    ({"input_size": [224]}, "input_size"),
    ({"crop": [0, 224]}, "crop"),
    ({"resize": 0}, "resize"),
    ({"resize": 256.5}, "resize"),
    ({"pixel_scale": -1}, "pixel_scale"),
    ({"mean": [0, 0]}, "mean"),
    ({"std": [1, 0, 1]}, "std"),
    ({"labels": "imagenet21k"}, "labels"),
    ({"labels": []}, "labels"),
    ({"input_size": [True, 224]}, "input_size"),
])
def test_bad_spec_is_a_clear_value_error(change, message):
    data = json.loads(torchvision().to_json())
    data.update(change)
    with pytest.raises(ValueError, match=message):
        PreprocessSpec.from_json(json.dumps(data))


def test_bad_json_is_a_value_error():
    for text, message in (("{", "not valid JSON"), ("[1]", "JSON object"), ('{"resize": 256}', "missing keys")):
        with pytest.raises(ValueError, match=message):
            PreprocessSpec.from_json(text)
    data = json.loads(torchvision().to_json())
    data["colour"] = "yes"
    with pytest.raises(ValueError, match="unknown keys"):
        PreprocessSpec.from_json(json.dumps(data))


@pytest.mark.parametrize("w, h", [(500, 375), (375, 500), (256, 256), (300, 1000)])
def test_matches_torchvision(w, h):
    img = photo(w, h)
    x = preprocess(img, torchvision())
    assert x.dtype == np.float32 and x.shape == (3, 224, 224)
    np.testing.assert_allclose(x, torchvision_reference(img, 256, 224), rtol=0, atol=2e-6)


def test_center_crop_rounds_like_torchvision():
    # torchvision resizes 500x375 to 341x256 (int(256 * 500 / 375)); cropping 224 from 341 starts at
    # round(58.5) = 58 (round half to even)
    ramp = np.tile(np.arange(341, dtype=np.uint8)[None, :, None] % 251, (256, 1, 3))  # column index as value
    spec = PreprocessSpec(input_size=[224, 224], resize=None, crop=[224, 224])
    assert preprocess(ramp, spec)[0, 0, 0] == 58


def test_small_image_is_zero_padded_and_caffe_is_bgr_minus_mean():
    img = np.full((10, 20, 3), (10, 20, 30), np.uint8)
    spec = PreprocessSpec(input_size=[16, 24], resize=None, crop=[16, 24], channel_order="BGR",
                          mean=[1.0, 2.0, 3.0])
    x = preprocess(img, spec)
    assert x.shape == (3, 16, 24)
    assert (x[:, 0, 0] == [-1, -2, -3]).all()  # padding: zero pixels minus the mean
    assert (x[:, 3, 2] == [29, 18, 7]).all()  # top pad (16-10)//2 = 3, left pad (24-20)//2 = 2; BGR, mean in BGR


def test_crop_is_resized_to_input_size_when_they_differ():
    spec = PreprocessSpec(input_size=[32, 32], resize=None, crop=[64, 64])
    assert preprocess(photo(80, 80), spec).shape == (3, 32, 32)


def test_load_image_conversions(tmp_path):
    rgb = photo(12, 8)
    assert (load_image(rgb) == rgb).all()
    gray = rgb[:, :, 0]
    for source in (gray, gray[:, :, None], Image.fromarray(gray)):
        out = load_image(source)
        assert out.shape == (8, 12, 3) and out.dtype == np.uint8 and (out == gray[:, :, None]).all()
    rgba = np.dstack([rgb, np.zeros_like(gray)])
    assert (load_image(Image.fromarray(rgba, "RGBA")) == rgb).all()  # alpha dropped, not composited
    assert (load_image(rgba) == rgb).all()
    wide = gray.astype(np.uint16) * 257
    Image.fromarray(wide).save(tmp_path / "16bit.png")
    assert (load_image(tmp_path / "16bit.png") == gray[:, :, None]).all()
    assert (load_image(wide) == gray[:, :, None]).all()
    assert (load_image(rgb / 255.0) == rgb).all()
    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.png")
    assert load_image(tmp_path / "palette.png").shape == (8, 12, 3)
    for bad in (np.zeros((4, 4, 2)), np.zeros(4), np.full((4, 4), 1.5), np.full((4, 4), 300, np.int32)):
        with pytest.raises(ValueError):
            load_image(bad)


@settings(max_examples=30, deadline=None)
@given(w=st.integers(1, 80), h=st.integers(1, 80), resize=st.one_of(st.none(), st.integers(1, 64)),
       crop=st.tuples(st.integers(1, 48), st.integers(1, 48)), bgr=st.booleans())
def test_any_geometry_gives_the_input_size(w, h, resize, crop, bgr):
    spec = PreprocessSpec(input_size=[20, 24], resize=resize, crop=list(crop),
                          channel_order="BGR" if bgr else "RGB", pixel_scale=1 / 255)
    x = preprocess(photo(w, h), spec)
    assert x.shape == (3, 20, 24) and x.dtype == np.float32 and x.flags.c_contiguous
