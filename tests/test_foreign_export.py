"""Quantized SqueezeNets written the most direct way in brevitas (factory.brevitas_direct_model), as other people
export them (issue 20): a QuantReLU per expand branch, so the two inputs of every Fire module's concat have their own
scales, no quantizer after the concat, QuantConv2d with brevitas' default input_quant=None and a float bias.

The front end reads such a concat at a common finer scale, each input an exact integer multiple of its integers
(compiler/frontend/lower.py common_scale, docs/arithmetic.md), and a float bias's fraction of an accumulator LSB
goes into the requantization (ir.Requant offset). Checked here: the export really has that shape; the IR agrees
with onnxruntime layer by layer, >= 99.9% identical and <= 1 LSB: node by node as it is, and optimized (whose fused
kernels round float biases to int32) with its offsets removed. That holds across weight and activation widths,
per-tensor and per-channel scales, SqueezeNet 1.0 and 1.1, pruned weights and random float biases. QONNX gives the
QCDQ export's IR; C and RTL simulation are bit-exact; `quantize --style direct` makes such models; a simple-bypass
model, whose unquantized sums of such concats would need over-wide integers, is refused in one line.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import factory
from squeezeflow.compiler import cli
from squeezeflow.compiler.frontend.lower import COMMON_SCALE_ERROR, common_scale
from squeezeflow.compiler.pipeline import compile_model, write_build
from squeezeflow.compiler.sim import csim, reference

MODELS = {  # (factory arguments, preprocessing)
    "1.1 W5A7 per-tensor": (dict(wbits=5, abits=7), "torchvision"),
    "1.1 W6A8 per-channel": (dict(per_channel=True), "torchvision"),
    "1.1 W8A8 per-channel": (dict(wbits=8, per_channel=True), "torchvision"),
    "1.1 W4A8 60% pruned": (dict(wbits=4, prune=0.6), "torchvision"),
    "1.0 W6A8 per-channel, 67x67 Caffe": (dict(arch="squeezenet1_0", size=67, per_channel=True), "caffe"),
}


def _concat_input_scales(model: onnx.ModelProto) -> list[tuple[float, float]]:
    """Per Concat, the scales of the two dequantized tensors it joins (QCDQ)."""
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}
    scales = []
    for node in model.graph.node:
        if node.op_type == "Concat":
            parents = [producer[x] for x in node.input]
            assert all(p.op_type == "DequantizeLinear" for p in parents), [p.op_type for p in parents]
            scales.append(tuple(float(init[p.input[1]]) for p in parents))
    return scales


def test_direct_brevitas_export_has_per_branch_scales():
    model = onnx.load(factory.brevitas_direct_model(per_channel=True, wbits=5, abits=7))
    scales = _concat_input_scales(model)
    assert len(scales) == 8 and all(a != b for a, b in scales), scales
    consumers = {x: node.op_type for node in model.graph.node for x in node.input}
    concats = [node.output[0] for node in model.graph.node if node.op_type == "Concat"]
    assert {consumers[c] for c in concats} <= {"Conv", "MaxPool"}, "a quantizer follows a concat"


def test_common_scale_is_exact_multiples_within_the_bound():
    scale, ks, error = common_scale([0.0321, 0.0317, 0.0455])
    assert error <= COMMON_SCALE_ERROR and max(ks) < 2**12
    assert ks[2] * scale == 0.0455  # the coarsest is an exact multiple
    assert all(abs(k * scale / s - 1) <= error for k, s in zip(ks, [0.0321, 0.0317, 0.0455]))
    assert common_scale([0.02, 0.02]) == (0.02, [1, 1], 0.0)


@pytest.mark.parametrize("name", MODELS)
def test_agrees_with_onnxruntime_layer_by_layer(name):
    args, preprocess = MODELS[name]
    path = factory.brevitas_direct_model(**args)
    net, arrays = compile_model(path, warn=lambda m: None, preprocess=preprocess)
    concats = [layer for layer in net.layers if layer.kind == "concat"]
    assert len(concats) == 8 and all(rq is not None and rq.shift == [0] for c in concats for rq in c.requant)
    size = args.get("size", 64)
    x = factory.photos(size, 3) if preprocess == "torchvision" else _caffe_photos(net, 3)
    # Node by node, onnxruntime runs the ONNX graph as written: a float bias is added exactly, as the golden model
    # does (ir.Requant offset). Optimized, it fuses each convolution into QLinearConv, which rounds a float bias to
    # the int32 accumulator grid first: another function, off by a few thousandths of an output LSB. The golden model
    # without its offsets is that function, which the optimized mode must then match as closely (docs/arithmetic.md).
    rounded = copy.deepcopy(net)
    for layer in rounded.layers:
        if layer.kind == "conv":
            layer.requant.offset = None
    assert any(layer.kind == "conv" and layer.requant.offset for layer in net.layers)
    for model, optimized in ((net, False), (rounded, True)):
        results = reference.per_layer(model, arrays, path, x, optimized)
        assert len(results) >= 26
        for r in results:
            assert r.max_diff <= 1 and r.fraction_equal >= 0.999, (name, optimized, r)


def _caffe_photos(net, count: int) -> np.ndarray:
    from squeezeflow.compiler.datasets import read_rgb
    from squeezeflow.host.preprocess import PreprocessSpec, preprocess

    spec = PreprocessSpec(**net.preprocess)
    return np.stack([preprocess(read_rgb(p), spec) for p in factory.calib_images(count)])


def test_qonnx_gives_the_same_ir_as_qcdq():
    a_net, a_arrays = compile_model(factory.brevitas_direct_model(per_channel=True), warn=lambda m: None)
    b_net, b_arrays = compile_model(factory.brevitas_direct_model(fmt="qonnx", per_channel=True),
                                    warn=lambda m: None)
    assert a_arrays.keys() == b_arrays.keys()
    for key in a_arrays:
        np.testing.assert_array_equal(a_arrays[key], b_arrays[key], err_msg=key)
    def strip(net):
        return [{k: v for k, v in layer.items() if k != "source"} for layer in json.loads(net.to_json())["layers"]]

    assert strip(a_net) == strip(b_net)


def test_csim_and_rtlsim_are_bit_exact(tmp_path, capsys):
    net, arrays = compile_model(factory.brevitas_direct_model(per_channel=True), warn=lambda m: None,
                                preprocess="torchvision")
    build = write_build(tmp_path / "build", net, arrays, backend="both")
    images = factory.photo_folder(tmp_path / "images", 2)
    assert csim.simulate(build, images)["bit_exact"]
    assert cli.main(["rtlsim", str(build), "--images", str(images), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bit_exact"] is True, result
    assert json.loads((build / "report.json").read_text())["interval_cycles"] == result["ideal_interval_cycles"]


def test_simple_bypass_is_refused_in_one_line(tmp_path):
    path = factory.brevitas_direct_model("squeezenet1_1_bypass")
    proc = subprocess.run([sys.executable, "-m", "squeezeflow.compiler.cli", "compile", str(path), "-o",
                           str(tmp_path / "build"), "--preprocess", "torchvision"], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "(Add)" in lines[0] and "quantize its output" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "build").exists()


def test_quantize_style_direct_makes_such_a_model(tmp_path):
    """`squeezeflow quantize --style direct` (GPTQ and bias correction included) exports this shape, and it
    compiles."""
    from squeezeflow.compiler.quant.quantize import quantize, resolve_preprocess

    path = quantize("squeezenet1_1", None, factory.calib_images(8), tmp_path / "direct.onnx", num_classes=10,
                    spec=resolve_preprocess("squeezenet1_1", None, (64, 64)), style="direct")
    model = onnx.load(path)
    assert {p.key: p.value for p in model.metadata_props}["squeezeflow.style"] == "direct"
    assert all(a != b for a, b in _concat_input_scales(model))
    net, _ = compile_model(path, warn=lambda m: None)
    assert all(rq is not None and rq.shift == [0] for layer in net.layers if layer.kind == "concat"
               for rq in layer.requant)


@pytest.mark.parametrize("variant", ["dynamo", "softmax"])
def test_other_exporters_compile_and_agree(variant):
    """onnxruntime QDQ models of a float SqueezeNet exported by torch's dynamo exporter (opset 18 or later), or with a
    final Softmax (which quantize_static quantizes too) and a batch dimension named N. Their input is uint8 with a
    zero point; the host applies the Softmax."""
    path = factory.ort_qdq_model(**{variant: True})
    model = onnx.load(path)
    if variant == "dynamo":
        assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 18
    else:
        assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
        softmax = next(n for n in model.graph.node if n.op_type == "Softmax")
        assert any(n.op_type == "QuantizeLinear" and softmax.output[0] in n.input for n in model.graph.node)
    net, arrays = compile_model(path, warn=lambda m: None, preprocess="torchvision")
    assert not net.input_type.signed and net.input_type.zero_point != 0
    for optimized in (False, True):
        for r in reference.per_layer(net, arrays, path, factory.photos(64, 2), optimized):
            assert r.max_diff <= 1 and r.fraction_equal >= 0.999, (variant, optimized, r)
