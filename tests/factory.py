"""Quantized test models, made on the fly (nothing derived from ../shared is ever stored in the repository).

Models are cached per test session in a temporary folder, keyed by their recipe, so test files share them.
"""
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import numpy as np

_CACHE = Path(tempfile.mkdtemp(prefix="squeezeflow-models-"))
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


def calib_images(count: int = 16) -> list[Path]:
    """Real photos that need no ../shared: foolbox's labelled ImageNet samples."""
    from squeezeflow.compiler.datasets import foolbox_imagenet

    return [p for p, _ in foolbox_imagenet()][:count]


@functools.lru_cache(maxsize=None)
def brevitas_model(arch="squeezenet1_1", fmt="qcdq", size=64, classes=10, weights=None, wbits=6, abits=8) -> Path:
    """A brevitas-quantized SqueezeNet (random weights unless `weights`), exported as QCDQ or QONNX."""
    from squeezeflow.compiler.quant.quantize import quantize, resolve_preprocess

    out = _CACHE / f"{arch}-{fmt}-{size}-{classes}-w{wbits}a{abits}-{'trained' if weights else 'random'}.onnx"
    spec = resolve_preprocess(arch, None, (size, size))
    return quantize(arch, weights, calib_images(), out, wbits=wbits, abits=abits, fmt=fmt, num_classes=classes,
                    spec=spec)


@functools.lru_cache(maxsize=None)
def ort_qdq_model(arch="squeezenet1_1", size=64, classes=10, weights=None, dynamo=False, softmax=False) -> Path:
    """A float SqueezeNet exported by torch.onnx and quantized by onnxruntime's quantize_static (QDQ, per-channel
    int8 weights, uint8 activations with zero points): the format other tools produce. `dynamo`: torch's dynamo
    exporter (its default opset, 18 or later) instead of the classic one; `softmax`: a final Softmax, and a batch
    dimension named N (classic exporter only), which quantize_static then quantizes too."""
    import torch
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from squeezeflow.compiler.datasets import read_rgb
    from squeezeflow.compiler.quant.models import build_float_model, load_weights
    from squeezeflow.host.preprocess import preprocess, torchvision

    torch.manual_seed(0)
    model = build_float_model(arch, classes)
    if weights:
        load_weights(model, weights)
    model.eval()
    stem = _CACHE / (f"{arch}-qdq-{size}-{classes}-{'trained' if weights else 'random'}"
                     f"{'-dynamo' if dynamo else ''}{'-softmax' if softmax else ''}")
    float_path, out = stem.with_suffix(".float.onnx"), stem.with_suffix(".onnx")
    if softmax:
        model = torch.nn.Sequential(model, torch.nn.Softmax(dim=1))
    if dynamo:
        torch.onnx.export(model, (torch.zeros(1, 3, size, size),), str(float_path), dynamo=True,
                          input_names=["input"], output_names=["logits"])
    else:
        torch.onnx.export(model, torch.zeros(1, 3, size, size), str(float_path), dynamo=False, opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}} if softmax else None)
    spec = torchvision((size, size))
    batches = [{"input": preprocess(read_rgb(p), spec)[None]} for p in calib_images(8)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(batches)

        def get_next(self):
            return next(self.it, None)

    quantize_static(str(float_path), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return out


def photo_folder(folder: Path, count: int = 4) -> Path:
    """A folder holding copies of `count` labelled foolbox photos (foolbox's own folder also holds MNIST/CIFAR)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in calib_images(count):
        shutil.copy(path, folder / path.name)
    return folder


def photos(size: int, count: int = 4) -> np.ndarray:
    """Preprocessed float NCHW batch of foolbox photos at `size` x `size` (torchvision preprocessing)."""
    from squeezeflow.compiler.datasets import read_rgb
    from squeezeflow.host.preprocess import preprocess, torchvision

    spec = torchvision((size, size))
    return np.stack([preprocess(read_rgb(p), spec) for p in calib_images(count)])


@functools.lru_cache(maxsize=None)
def brevitas_direct_model(arch="squeezenet1_1", fmt="qcdq", size=64, classes=10, weights=None, wbits=6, abits=8,
                          per_channel=False, prune=0.0) -> Path:
    """A SqueezeNet quantized the most direct way one writes it in brevitas (models.DirectLayers), not the way
    `squeezeflow quantize` does (issue 20): a QuantReLU per expand branch, so each Fire module's two branches get
    different scales and no quantizer follows the concat (nor a bypass add); QuantConv2d with brevitas' default
    `input_quant=None`, `wbits` weights (per tensor or per channel) and a float bias (random ones with random
    weights: torchvision's initialisation zeroes them); the input a QuantIdentity. `prune` zeroes that share of the
    smallest weights of every layer (Deep Compression's pruning). Calibrated on foolbox photos and exported by
    brevitas' own exporter (opset 13, classic exporter), without squeezeflow's metadata."""
    import torch
    from brevitas.export import export_onnx_qcdq, export_qonnx
    from brevitas.graph.calibrate import calibration_mode
    from brevitas.nn import QuantConv2d

    from squeezeflow.compiler.datasets import read_rgb
    from squeezeflow.compiler.quant.models import (build_direct_model, build_float_model, copy_float_weights,
                                                   load_weights, parse_arch)
    from squeezeflow.compiler.quant.quantize import resolve_preprocess
    from squeezeflow.host.preprocess import preprocess

    torch.manual_seed(0)
    model = build_direct_model(arch, classes, wbits, abits, per_channel)
    if weights:
        copy_float_weights(model, load_weights(build_float_model(arch, classes), weights))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, QuantConv2d):
                if not weights:
                    module.bias.normal_(0, 0.05)
                if prune:
                    w = module.weight
                    w[w.abs() <= w.abs().flatten().kthvalue(max(1, int(prune * w.numel()))).values] = 0
    spec = resolve_preprocess(parse_arch(arch)[0], None, (size, size))
    batch = torch.from_numpy(np.stack([preprocess(read_rgb(p), spec) for p in calib_images(8)]))
    model.eval()
    with torch.no_grad(), calibration_mode(model):
        model(batch)
    out = _CACHE / (f"{arch}-direct-{fmt}-{size}-{classes}-w{wbits}a{abits}-{'pc' if per_channel else 'pt'}"
                    f"-p{prune}-{'trained' if weights else 'random'}.onnx")
    exporter = {"qcdq": export_onnx_qcdq, "qonnx": export_qonnx}[fmt]
    exporter(model, torch.zeros(1, 3, size, size), export_path=str(out), dynamo=False, opset_version=13,
             input_names=["input"], output_names=["logits"])
    return out
