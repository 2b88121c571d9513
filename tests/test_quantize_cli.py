"""quantize/eval from the command line: the export contract and one-line errors with exit code 2."""
import json
import subprocess
import sys

import numpy as np
import pytest

import factory


def cli(*args):
    return subprocess.run([sys.executable, "-m", "squeezeflow.compiler.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_export_carries_the_preprocessing_and_is_deterministic(tmp_path):
    import onnx

    from squeezeflow.compiler.quantize import quantize, resolve_preprocess

    spec = resolve_preprocess("squeezenet1_1", None, (64, 64))
    paths = [quantize("squeezenet1_1", None, factory.calib_images(4), tmp_path / f"{n}.onnx", num_classes=10,
                      spec=spec) for n in "ab"]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    props = {p.key: p.value for p in onnx.load(str(paths[0])).metadata_props}
    pre = json.loads(props["squeezeflow.preprocess"])
    assert pre["input_size"] == [64, 64] and pre["channel_order"] == "RGB"
    assert props["squeezeflow.wbits"] == "6"


@pytest.mark.parametrize("args,needle", [
    (["quantize", "--arch", "alexnet", "--calib", "{img}", "-o", "{tmp}/m.onnx"], "unknown architecture"),
    (["quantize", "--wbits", "9", "--calib", "{img}", "-o", "{tmp}/m.onnx"], "--wbits"),
    (["quantize", "--abits", "1", "--calib", "{img}", "-o", "{tmp}/m.onnx"], "--abits"),
    (["quantize", "--calib", "{tmp}/empty", "-o", "{tmp}/m.onnx"], "{tmp}/empty"),
    (["quantize", "--weights", "{tmp}/missing.pth", "--calib", "{img}", "-o", "{tmp}/m.onnx"], "not found"),
    (["eval", "{tmp}/missing.onnx", "--images", "{img}"], "not found"),
    (["eval", "{tmp}/garbage.pth", "--images", "{img}"], "garbage.pth"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, needle):
    (tmp_path / "empty").mkdir()
    (tmp_path / "garbage.pth").write_bytes(b"not a pickle")
    img = factory.photo_folder(tmp_path / "photos", 2)
    result = cli(*[a.format(tmp=tmp_path, img=img) for a in args])
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("WARNING")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert needle.format(tmp=tmp_path).lower() in lines[0].lower(), lines[0]
    assert not (tmp_path / "m.onnx").exists()


def test_eval_json_on_onnxruntime(tmp_path):
    result = cli("eval", factory.brevitas_model(), "--images", factory.photo_folder(tmp_path, 3), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["n"] == 3 and 0 <= doc["top1"] <= doc["top5"] <= 1
    assert np.isfinite([doc["top1"], doc["top5"]]).all()
