"""compiler/quant/quantize.py and evaluate.py: the exported graphs follow the front-end contract, run, and are
deterministic; the CLI verbs turn bad input into one line and exit code 2."""
import json
import subprocess
import sys

import factory
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from squeezeflow.compiler import cli
from squeezeflow.host.preprocess import PreprocessSpec, torchvision

WBITS, ABITS = 5, 7  # below 8 bits, so every quantizer shows its Clip


class Graph:
    def __init__(self, path):
        self.model = onnx.load(str(path))
        g = self.model.graph
        self.init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.producer = {o: n for n in g.node for o in n.output}
        self.consumers = {}
        for n in g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.nodes = list(g.node)

    def only_consumer(self, tensor, op):
        (node,) = self.consumers[tensor]
        assert node.op_type == op, f"{tensor} feeds {node.op_type}, not {op}"
        return node

    def source(self, tensor, op):
        node = self.producer[tensor]
        assert node.op_type == op, f"{tensor} comes from {node.op_type}, not {op}"
        return node

    def requantizer(self, tensor, abits=ABITS):
        """Relu -> QuantizeLinear(uint8, zero point 0) -> Clip(0, 2^abits - 1) -> DequantizeLinear after `tensor`."""
        relu = self.only_consumer(tensor, "Relu")
        q = self.only_consumer(relu.output[0], "QuantizeLinear")
        assert self.init[q.input[1]].shape == () and self.init[q.input[2]].dtype == np.uint8
        assert self.init[q.input[2]] == 0
        clip = self.only_consumer(q.output[0], "Clip")
        assert (self.init[clip.input[1]], self.init[clip.input[2]]) == (0, 2 ** abits - 1)
        dq = self.only_consumer(clip.output[0], "DequantizeLinear")
        assert dq.input[1] == q.input[1]
        return dq


def test_qcdq_graph_follows_the_front_end_contract():
    g = Graph(factory.brevitas_model("squeezenet1_1_bypass", wbits=WBITS, abits=ABITS))
    ops = {n.op_type for n in g.nodes}
    assert ops == {"QuantizeLinear", "DequantizeLinear", "Clip", "Conv", "Relu", "MaxPool", "Concat", "Add",
                   "GlobalAveragePool", "Flatten"}
    # input: signed 8-bit, full range, so no Clip
    (inp,), (out,) = g.model.graph.input, g.model.graph.output
    assert inp.name == "input" and [d.dim_value for d in inp.type.tensor_type.shape.dim] == [1, 3, 64, 64]
    q = g.only_consumer("input", "QuantizeLinear")
    assert g.init[q.input[2]].dtype == np.int8 and g.init[q.input[2]] == 0
    g.only_consumer(g.only_consumer(q.output[0], "DequantizeLinear").output[0], "Conv")
    # every conv: per-output-channel weights int8 -> Clip(+-(2^(w-1)-1)) -> DQ(axis 0); int32 bias -> DQ
    convs = [n for n in g.nodes if n.op_type == "Conv"]
    assert len(convs) == 26
    for conv in convs:
        wdq = g.source(conv.input[1], "DequantizeLinear")
        clip = g.source(wdq.input[0], "Clip")
        w = g.init[clip.input[0]]
        assert w.dtype == np.int8 and np.abs(w).max() <= 2 ** (WBITS - 1) - 1
        assert (g.init[clip.input[1]], g.init[clip.input[2]]) == (-(2 ** (WBITS - 1) - 1), 2 ** (WBITS - 1) - 1)
        assert g.init[wdq.input[1]].shape == (w.shape[0],) and [(a.name, a.i) for a in wdq.attribute] == [("axis", 0)]
        bdq = g.source(conv.input[2], "DequantizeLinear")
        assert g.init[bdq.input[0]].dtype == np.int32 and g.init[bdq.input[1]].shape == (w.shape[0],)
    # Fire: Conv(expand1x1), Conv(expand3x3) -> Concat -> Relu -> Q -> Clip -> DQ (one scale for the concat)
    concats = [n for n in g.nodes if n.op_type == "Concat"]
    assert len(concats) == 8
    for concat in concats:
        e1, e3 = (g.source(t, "Conv") for t in concat.input)
        assert [a.ints for a in e1.attribute if a.name == "kernel_shape"] == [[1, 1]]
        assert [a.ints for a in e3.attribute if a.name == "kernel_shape"] == [[3, 3]]
        assert e1.input[0] == e3.input[0]  # both read the squeeze activation
        g.requantizer(concat.output[0])
    # bypass: Add of two dequantized tensors, then one requantizer; around fire3, 5, 7, 9
    adds = [n for n in g.nodes if n.op_type == "Add"]
    assert len(adds) == 4
    for add in adds:
        assert all(g.producer[t].op_type == "DequantizeLinear" for t in add.input)
        g.requantizer(add.output[0])
    # output: conv10 -> requantizer -> GlobalAveragePool -> Flatten -> logits (float)
    flatten = g.source(out.name, "Flatten")
    assert out.name == "logits"
    gap = g.source(flatten.input[0], "GlobalAveragePool")
    dq = g.source(gap.input[0], "DequantizeLinear")
    relu = g.producer[g.producer[g.producer[dq.input[0]].input[0]].input[0]]
    assert relu.op_type == "Relu" and g.producer[relu.input[0]] is convs[-1]


def test_qonnx_graph_carries_the_same_quantizers():
    g = Graph(factory.brevitas_model("squeezenet1_1_bypass", fmt="qonnx", wbits=WBITS, abits=ABITS))
    quants = [n for n in g.nodes if n.op_type == "Quant"]
    assert all(n.domain == "qonnx.custom_op.general" for n in quants)
    assert not any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in g.nodes)
    attrs = [{a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for n in quants]
    bits = [(int(g.init[n.input[3]]), a["signed"], a["narrow"]) for n, a in zip(quants, attrs)]
    assert bits.count((WBITS, 1, 1)) == 26  # weights
    assert bits.count((32, 1, 0)) == 26  # biases
    assert bits.count((ABITS, 0, 0)) == 2 + 2 * 8 + 4  # conv1, conv10, 2 per Fire, 4 bypass adds
    assert bits.count((8, 1, 0)) == 1  # input
    assert len(quants) == 26 + 26 + 22 + 1


def test_qcdq_runs_in_onnxruntime_like_brevitas_and_qonnx():
    import torch

    from squeezeflow.compiler import onnxrt
    from squeezeflow.compiler.quant.evaluate import onnx_classifier
    from squeezeflow.compiler.quant.quantize import build_calibrated, export

    spec = torchvision((64, 64))
    model = build_calibrated("squeezenet1_1_bypass", None, factory.calib_images(8), spec, 6, 8, 10, ptq="basic")
    x = factory.photos(64, 4)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    path = export(model, factory._CACHE / "run-check.onnx", spec)
    session = onnxrt.session(path)
    got = np.concatenate([session.run(None, {"input": x[i:i + 1]})[0] for i in range(len(x))])
    scale = np.abs(expected).max()
    assert got.shape == (4, 10) and scale > 0
    np.testing.assert_allclose(got, expected, atol=0.02 * scale)
    classify, qonnx_spec = onnx_classifier(export(model, factory._CACHE / "run-check-qonnx.onnx", spec, fmt="qonnx"))
    assert qonnx_spec == spec
    np.testing.assert_allclose(classify(x), expected, atol=0.02 * scale)


def test_metadata_and_determinism(tmp_path):
    from squeezeflow.compiler.quant.quantize import quantize

    spec = torchvision((48, 48))
    paths = [quantize("squeezenet1_1", None, factory.calib_images(4), tmp_path / f"m{i}.onnx", wbits=4, abits=6,
                      num_classes=5, spec=spec) for i in range(2)]  # GPTQ too: the default must repeat exactly
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m0.onnx", "m1.onnx"]  # no temp files left behind
    props = {p.key: p.value for p in onnx.load(str(paths[0])).metadata_props}
    assert PreprocessSpec.from_json(props["squeezeflow.preprocess"]) == spec
    assert (props["squeezeflow.arch"], props["squeezeflow.wbits"], props["squeezeflow.abits"]) == (
        "squeezenet1_1", "4", "6")


def test_default_preprocessing_per_arch():
    from squeezeflow.compiler.quant.quantize import resolve_preprocess

    assert resolve_preprocess("squeezenet1_1", None, None) == torchvision()
    caffe = resolve_preprocess("squeezenet1_0_bypass", None, None)
    assert caffe.channel_order == "BGR" and caffe.input_size == [227, 227]
    assert resolve_preprocess("squeezenet1_0", "torchvision", (96, 128)).input_size == [96, 128]


def run_cli(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_quantize_then_eval(tmp_path, capsys):
    photos = factory.photo_folder(tmp_path / "photos", 6)
    out = tmp_path / "sub" / "q.onnx"
    code, stdout, stderr = run_cli(capsys, "quantize", "--arch", "squeezenet1_1", "--calib", photos,
                                   "--calib-count", 4, "--input-size", 64, 64, "--num-classes", 10,
                                   "--format", "qonnx", "--ptq", "basic", "-o", out)
    assert code == 0 and out.is_file() and "wrote" in stdout
    assert "WARNING: NO --weights" in stderr
    code, stdout, stderr = run_cli(capsys, "eval", factory.brevitas_model(), "--images", photos, "--json",
                                   "--limit", 5)
    result = json.loads(stdout)
    assert code == 0 and result["n"] == 5 and 0 <= result["top1"] <= result["top5"] <= 1


def test_cli_eval_float_weights(tmp_path, capsys):
    import torch

    from squeezeflow.compiler.quant.models import build_float_model

    torch.save(build_float_model("squeezenet1_0", 1000).state_dict(), tmp_path / "w.pth")
    code, stdout, _ = run_cli(capsys, "eval", tmp_path / "w.pth", "--images", factory.photo_folder(tmp_path / "p", 2),
                              "--json")
    assert code == 0 and json.loads(stdout)["n"] == 2


@pytest.fixture
def bad_inputs(tmp_path):
    photos = factory.photo_folder(tmp_path / "photos", 2)
    (tmp_path / "empty").mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "n01440764_truncated.JPEG").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "bad.pth").write_bytes(b"junk")
    (tmp_path / "bad.onnx").write_bytes(b"junk")
    return tmp_path, photos


BAD = [
    (["quantize", "--calib", "{photos}", "--wbits", "9", "-o", "{tmp}/o.onnx"], "--wbits must be 2..8"),
    (["quantize", "--calib", "{photos}", "--abits", "1", "-o", "{tmp}/o.onnx"], "--abits must be 2..8"),
    (["quantize", "--calib", "{tmp}/empty", "-o", "{tmp}/o.onnx"], "no images in folder"),
    (["quantize", "--calib", "{tmp}/nowhere", "-o", "{tmp}/o.onnx"], "image folder not found"),
    (["quantize", "--calib", "{tmp}/broken", "-o", "{tmp}/o.onnx"], "cannot read image"),
    (["quantize", "--arch", "alexnet", "--calib", "{photos}", "-o", "{tmp}/o.onnx"], "unknown architecture"),
    (["quantize", "--calib", "{photos}", "--weights", "{tmp}/bad.pth", "-o", "{tmp}/o.onnx"], "cannot read weights"),
    (["quantize", "--calib", "{photos}", "--input-size", "8", "8", "-o", "{tmp}/o.onnx"], "too small"),
    (["quantize", "--calib", "{photos}", "--preprocess", "{tmp}/bad.pth", "-o", "{tmp}/o.onnx"], "preprocessing spec"),
    (["eval", "{tmp}/missing.onnx", "--images", "{photos}"], "model not found"),
    (["eval", "{tmp}/bad.pth", "--images", "{photos}"], "cannot read weights"),
    (["eval", "{tmp}/bad.onnx", "--images", "{photos}"], "cannot read ONNX model"),
    (["eval", "{tmp}/bad.onnx", "--images", "{tmp}/empty"], "no images in folder"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[f"{a[0]}-{m}" for a, m in BAD])
def test_cli_bad_input_is_one_line_and_exit_2(bad_inputs, capsys, argv, message):
    tmp, photos = bad_inputs
    code, _, stderr = run_cli(capsys, *[a.format(tmp=tmp, photos=photos) for a in argv])
    lines = [line.split("\r")[-1] for line in stderr.strip().split("\n")]  # as a terminal shows them: progress
    assert code == 2 and lines[-1].startswith(f"squeezeflow {argv[0]}: error: ")  # bars overwrite themselves
    assert message in lines[-1] and not [line for line in lines[:-1] if "WARNING" not in line], stderr
    assert not (tmp / "o.onnx").exists()


def test_cli_bad_input_in_a_real_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "squeezeflow.compiler.cli", "quantize", "--calib", str(tmp_path),
                           "--wbits", "12", "-o", str(tmp_path / "o.onnx")], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.shared
def test_trained_w6a8_agrees_with_float(shared_dir):
    from squeezeflow.compiler.datasets import labelled_images, read_rgb
    from squeezeflow.compiler.quant.evaluate import onnx_classifier, torch_classifier
    from squeezeflow.host.preprocess import preprocess

    weights = shared_dir / "models" / "squeezenet1_1_imagenet.pth"
    onnx_path = factory.brevitas_model(size=224, classes=1000, weights=str(weights))
    quantized, spec = onnx_classifier(onnx_path)
    float_model, float_spec = torch_classifier(weights)
    samples = labelled_images(shared_dir / "data" / "imagenet_sample", 48)
    x = np.stack([preprocess(read_rgb(p), spec) for p, _ in samples])
    assert spec == float_spec
    agree = (quantized(x).argmax(1) == float_model(x).argmax(1)).mean()
    assert agree >= 0.85, agree
