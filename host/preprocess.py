"""Image preprocessing shared by the compiler (calibration, evaluation) and the board driver.

numpy + PIL only: this module runs on PYNQ images that have neither torch nor onnx. Steps 1, 2 and 5 reproduce
torchvision's PIL path (Resize(int) -> CenterCrop -> ToTensor -> Normalize) operation for operation (ToTensor
divides by 255 where we multiply by pixel_scale = 1/255: equal within one float32 ulp):

  1. `resize`: bilinear (PIL, antialiased) resize so the shorter side is `resize` pixels, aspect kept
     (the longer side is int(resize * long / short), as torchvision); null = no resize.
  2. `crop`: center crop [H, W]; an image smaller than the crop is zero-padded first (as torchvision).
  3. if `crop` differs from `input_size`, a bilinear resize of the crop to `input_size`.
  4. channels put in `channel_order` (the image is RGB until here); `mean` and `std` are in that order too
     (Caffe's mean pixel 104, 117, 123 is B, G, R).
  5. x = pixel * pixel_scale, then (x - mean[c]) / std[c] per channel, in float32; layout CHW.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_KEYS = ("input_size", "resize", "crop", "channel_order", "pixel_scale", "mean", "std", "labels")


@dataclass
class PreprocessSpec:
    input_size: list[int]
    resize: int | None
    crop: list[int]
    channel_order: str = "RGB"
    pixel_scale: float = 1.0
    mean: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    std: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])
    labels: str | list[str] = "imagenet1k"

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        def pair(name):
            v = getattr(self, name)
            if not (isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_int(x) and x > 0 for x in v)):
                raise ValueError(f"preprocess spec: {name} must be [H, W] of positive integers, not {v!r}")
            setattr(self, name, [int(x) for x in v])

        def triple(name, positive):
            v = getattr(self, name)
            if not (isinstance(v, (list, tuple)) and len(v) == 3 and all(_is_num(x) for x in v)
                    and (not positive or all(x > 0 for x in v))):
                raise ValueError(f"preprocess spec: {name} must be 3 {'positive ' if positive else ''}numbers "
                                 f"(one per channel), not {v!r}")
            setattr(self, name, [float(x) for x in v])

        pair("input_size")
        pair("crop")
        if self.resize is not None and not (_is_int(self.resize) and self.resize > 0):
            raise ValueError(f"preprocess spec: resize must be a positive integer or null, not {self.resize!r}")
        if self.channel_order not in ("RGB", "BGR"):
            raise ValueError(f"preprocess spec: channel_order must be 'RGB' or 'BGR', not {self.channel_order!r}")
        if not (_is_num(self.pixel_scale) and self.pixel_scale > 0):
            raise ValueError(f"preprocess spec: pixel_scale must be a positive number, not {self.pixel_scale!r}")
        self.pixel_scale = float(self.pixel_scale)
        triple("mean", positive=False)
        triple("std", positive=True)
        names = self.labels
        if names != "imagenet1k" and not (isinstance(names, (list, tuple)) and names
                                          and all(isinstance(x, str) for x in names)):
            raise ValueError("preprocess spec: labels must be 'imagenet1k' or a non-empty list of class names")
        if isinstance(names, tuple):
            self.labels = list(names)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PreprocessSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"preprocess spec: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError("preprocess spec: expected a JSON object")
        missing, unknown = set(_KEYS) - data.keys(), data.keys() - set(_KEYS)
        if missing or unknown:
            raise ValueError(f"preprocess spec: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}")
        return cls(**data)


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_num(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and np.isfinite(x)


def torchvision(input_size=(224, 224)) -> PreprocessSpec:
    """torchvision's ImageNet evaluation transform; resize keeps its 256/224 ratio for other input sizes."""
    h, w = input_size
    return PreprocessSpec(input_size=[h, w], resize=int(round(min(h, w) * 256 / 224)), crop=[h, w],
                          channel_order="RGB", pixel_scale=1 / 255, mean=list(IMAGENET_MEAN), std=list(IMAGENET_STD))


def caffe(input_size=(227, 227)) -> PreprocessSpec:
    """The original Caffe SqueezeNet 1.0: BGR, 0-255 pixels minus the mean pixel, 227x227 crop of a 256 resize."""
    h, w = input_size
    return PreprocessSpec(input_size=[h, w], resize=int(round(min(h, w) * 256 / 227)), crop=[h, w],
                          channel_order="BGR", pixel_scale=1.0, mean=[104.0, 117.0, 123.0], std=[1.0, 1.0, 1.0])


PRESETS = {"torchvision": torchvision, "caffe": caffe}


def load_image(image) -> np.ndarray:
    """A path, PIL image or array -> HWC uint8 RGB array.

    Conversions: grayscale is replicated to 3 channels; alpha is dropped (not composited, as torchvision's
    loader); palette/CMYK/YCbCr/LA go through PIL's convert("RGB"); 16-bit data (uint16 arrays, PIL modes
    I;16 and I) is scaled to 8 bits by round(v / 257); float arrays are taken as 0..1 and scaled by round(v * 255);
    other integer arrays must already be 0..255.
    """
    if isinstance(image, (str, Path)):
        with Image.open(image) as im:
            im.load()
            return load_image(im)
    if isinstance(image, Image.Image):
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grayscale PNG/TIFF ("I" holds them too)
            return load_image(np.asarray(image).clip(0, 65535).astype(np.uint16))
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"image array must be HxW, HxWx1, HxWx3 or HxWx4, not shape {a.shape}")
    a = a[:, :, :3]
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype == np.uint16:
        a = np.rint(a.astype(np.float64) / 257)
    elif a.dtype.kind == "f":
        a = np.rint(a.astype(np.float64) * 255)
    if not ((a >= 0) & (a <= 255)).all():  # also rejects NaN
        raise ValueError(f"{a.dtype} image values must be within 0..1 (float), 0..65535 (uint16) or 0..255")
    return np.ascontiguousarray(a.astype(np.uint8))


def _resize(img: Image.Image, h: int, w: int) -> Image.Image:
    return img if img.size == (w, h) else img.resize((w, h), Image.BILINEAR)


def preprocess(image, spec: PreprocessSpec) -> np.ndarray:
    """Image (anything load_image takes) -> float32 CHW array ready for the model."""
    img = Image.fromarray(load_image(image))
    if spec.resize is not None:
        w, h = img.size
        short, long = min(w, h), max(w, h)
        new_long = int(spec.resize * long / short)
        img = _resize(img, *((spec.resize, new_long) if h <= w else (new_long, spec.resize)))
    ch, cw = spec.crop
    w, h = img.size
    if h < ch or w < cw:  # torchvision pads with zeros, split as (d // 2, (d + 1) // 2)
        padded = Image.new("RGB", (max(w, cw), max(h, ch)))
        padded.paste(img, (max(cw - w, 0) // 2, max(ch - h, 0) // 2))
        img, (w, h) = padded, padded.size
    top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
    img = _resize(img.crop((left, top, left + cw, top + ch)), *spec.input_size)
    x = np.asarray(img, dtype=np.float32)
    if spec.channel_order == "BGR":
        x = x[:, :, ::-1]
    x = (x * np.float32(spec.pixel_scale) - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))
