"""Front end: the three ONNX flavours lower to an IR whose golden model agrees with onnxruntime layer by layer."""
import json
import subprocess
import sys

import factory
import numpy as np
import pytest

from squeezeflow.compiler import ir
from squeezeflow.compiler.errors import UserError
from squeezeflow.compiler.golden import Golden
from squeezeflow.compiler.pipeline import compile_model, write_build
from squeezeflow.compiler.sim import reference


def assert_agrees_with_onnxruntime(model, size, count=2):
    net, arrays = compile_model(model, warn=lambda m: None)
    x = factory.photos(size, count)
    for optimized in (False, True):
        results = reference.per_layer(net, arrays, model, x, optimized)
        assert results, "no layer could be compared"
        for r in results:
            assert r.max_diff <= 1, r
            assert r.fraction_equal >= 0.999, r
    return net, arrays


@pytest.mark.parametrize("arch", ["squeezenet1_1", "squeezenet1_1_bypass", "squeezenet1_0"])
def test_brevitas_qcdq_lowers_and_matches_onnxruntime(arch):
    net, _ = assert_agrees_with_onnxruntime(factory.brevitas_model(arch), 64)
    names = [layer.name for layer in net.layers]
    assert names[0] == "conv1" and names[-2:] == ["conv10", "gap"]
    assert sum(n.endswith("_concat") for n in names) == 8
    assert sum(n.endswith("_bypass") for n in names) == (4 if "bypass" in arch else 0)
    assert net.layer("conv1").kernel == ([7, 7] if arch == "squeezenet1_0" else [3, 3])
    assert all(layer.weight_bits == 6 for layer in net.layers if isinstance(layer, ir.Conv))


@pytest.mark.parametrize("arch", ["squeezenet1_1", "squeezenet1_1_bypass", "squeezenet1_0"])
def test_ort_qdq_lowers_and_matches_onnxruntime(arch):
    net, _ = assert_agrees_with_onnxruntime(factory.ort_qdq_model(arch), 64)
    assert net.input_type.zero_point != 0  # onnxruntime's asymmetric uint8 input
    concats = [layer for layer in net.layers if isinstance(layer, ir.Concat)]
    assert any(r is not None for c in concats for r in c.requant)  # expand outputs in different scales


@pytest.mark.parametrize("arch", ["squeezenet1_1", "squeezenet1_1_bypass", "squeezenet1_0"])
def test_qonnx_gives_the_same_ir_as_qcdq(arch):
    a_net, a_arrays = compile_model(factory.brevitas_model(arch, fmt="qcdq"))
    b_net, b_arrays = compile_model(factory.brevitas_model(arch, fmt="qonnx"))
    assert a_arrays.keys() == b_arrays.keys()
    for key in a_arrays:
        np.testing.assert_array_equal(a_arrays[key], b_arrays[key], err_msg=key)
    strip = lambda net: [{k: v for k, v in json.loads(net.to_json())["layers"][i].items() if k != "source"}
                         for i in range(len(net.layers))]
    assert strip(a_net) == strip(b_net)


@pytest.mark.parametrize("wbits,abits", [(2, 2), (4, 5), (8, 8)])
def test_bit_widths(wbits, abits):
    net, _ = assert_agrees_with_onnxruntime(factory.brevitas_model(wbits=wbits, abits=abits), 64)
    convs = [layer for layer in net.layers if isinstance(layer, ir.Conv)]
    assert {c.weight_bits for c in convs} == {wbits}
    assert {c.out_type.bits for c in convs} == {abits}


def test_compile_is_deterministic(tmp_path):
    model = factory.brevitas_model()
    for name in ("a", "b"):
        net, arrays = compile_model(model)
        write_build(tmp_path / name, net, arrays)
    for f in ("ir.json", "weights.npz"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_ir_round_trips_through_json(tmp_path):
    net, arrays = compile_model(factory.brevitas_model("squeezenet1_1_bypass"))
    write_build(tmp_path / "b", net, arrays)
    again, again_arrays = ir.load(tmp_path / "b")
    assert again.to_json() == net.to_json()
    x = np.random.default_rng(0).integers(-128, 128, (1, *net.input_shape))
    np.testing.assert_array_equal(Golden(net, arrays).run(x), Golden(again, again_arrays).run(x))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "squeezeflow.compiler.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def assert_clean_error(result, *needles):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_compile_cli_writes_build(tmp_path):
    result = cli("compile", factory.brevitas_model(), "-o", tmp_path / "build")
    assert result.returncode == 0, result.stderr
    net = ir.Network.from_json((tmp_path / "build" / "ir.json").read_text())
    assert net.num_classes == 10 and net.preprocess["input_size"] == [64, 64]


def _edited(tmp_path, edit):
    import onnx

    model = onnx.load(str(factory.brevitas_model()))
    edit(model)
    path = tmp_path / "edited.onnx"
    onnx.save(model, str(path))
    return path


def _first(model, op):
    return next(n for n in model.graph.node if n.op_type == op)


def _retype(node, op_type):
    node.op_type = op_type
    del node.attribute[:]


def _set_attr(node, name, value):
    import onnx

    kept = [a for a in node.attribute if a.name != name]
    del node.attribute[:]
    node.attribute.extend(kept + [onnx.helper.make_attribute(name, value)])


@pytest.mark.parametrize("edit,needles", [
    (lambda m: _retype(_first(m, "MaxPool"), "Sigmoid"), ["Sigmoid", "not supported"]),
    (lambda m: _set_attr(_first(m, "Conv"), "group", 2), ["Conv", "grouped"]),
    (lambda m: _set_attr(_first(m, "Conv"), "dilations", [2, 2]), ["Conv", "dilated"]),
    (lambda m: m.graph.input[0].type.tensor_type.shape.dim[2].ClearField("dim_value"), ["dynamic"]),
    (lambda m: m.opset_import[0].__setattr__("version", 11), ["opset 11"]),
])
def test_unsupported_models_fail_cleanly(tmp_path, edit, needles):
    result = cli("compile", _edited(tmp_path, edit), "-o", tmp_path / "build")
    assert_clean_error(result, *needles)
    assert not (tmp_path / "build").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["edited.onnx"]  # no half-written staging folder either


def test_missing_and_garbage_files_fail_cleanly(tmp_path):
    assert_clean_error(cli("compile", tmp_path / "nope.onnx", "-o", tmp_path / "b"), "not found")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07garbage" * 50)
    assert_clean_error(cli("compile", garbage, "-o", tmp_path / "b"), "garbage.onnx")
    assert_clean_error(cli("run", tmp_path, "--images", tmp_path), "not a squeezeflow build")


def test_non_squeezenet_topology_is_rejected(tmp_path):
    def skip_classifier(m):  # global pool straight after fire9: no conv10
        conv10 = [n for n in m.graph.node if n.op_type == "Conv"][-1]
        _first(m, "GlobalAveragePool").input[0] = conv10.input[0]

    assert_clean_error(cli("compile", _edited(tmp_path, skip_classifier), "-o", tmp_path / "b"), "classifier")


def test_preprocess_option(tmp_path):
    net, _ = compile_model(factory.ort_qdq_model(), preprocess="caffe", warn=lambda m: None)
    assert net.preprocess["channel_order"] == "BGR" and net.preprocess["input_size"] == [64, 64]
    with pytest.raises(UserError, match="preprocessing spec"):
        compile_model(factory.ort_qdq_model(), preprocess=str(tmp_path / "missing.json"))


@pytest.mark.shared
def test_trained_squeezenet11_agrees_with_onnxruntime(shared_dir):
    weights = str(shared_dir / "models" / "squeezenet1_1_imagenet.pth")
    model = factory.brevitas_model("squeezenet1_1", "qcdq", 224, 1000, weights)
    net, arrays = assert_agrees_with_onnxruntime(model, 224, count=2)
    from squeezeflow.compiler.datasets import labelled_images, read_rgb
    from squeezeflow.compiler.golden import input_quantizer
    from squeezeflow.host.preprocess import PreprocessSpec, preprocess

    samples = labelled_images(shared_dir / "data" / "imagenet_sample", 24)
    spec = PreprocessSpec(**net.preprocess)
    x = np.stack([preprocess(read_rgb(p), spec) for p, _ in samples])
    golden = Golden(net, arrays).run(input_quantizer(net)(x))
    sess = reference.session(model, optimized=False)
    ort = np.concatenate([sess.run(None, {sess.get_inputs()[0].name: x[i:i + 1]})[0] for i in range(len(x))])
    assert (golden.argmax(1) == ort.argmax(1)).mean() >= 0.95  # 99+% over 520 photos: docs/results.md
    assert (golden.argmax(1) == np.array([label for _, label in samples])).mean() >= 0.5
