"""Quantized SqueezeNets written the most direct way in brevitas (factory.brevitas_direct_model), the style of issue
20: a QuantReLU per expand branch, so the two inputs of every Fire module's concat have their own scales, and no
quantizer after the concat. The factory must make that shape faithfully (checked here in the ONNX graph and in
onnxruntime); until the front end lowers it (issue 20), `squeezeflow compile` refuses it with one clear line that
names the node, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import factory
from squeezeflow.compiler.onnxrt import session


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


@pytest.mark.parametrize("per_channel", [False, True])
def test_direct_brevitas_export_has_per_branch_scales(per_channel):
    path = factory.brevitas_direct_model(per_channel=per_channel, wbits=5, abits=7)
    model = onnx.load(path)
    scales = _concat_input_scales(model)
    assert len(scales) == 8 and all(a != b for a, b in scales), scales
    consumers = {x: node.op_type for node in model.graph.node for x in node.input}
    concats = [node.output[0] for node in model.graph.node if node.op_type == "Concat"]
    assert {consumers[c] for c in concats} <= {"Conv", "MaxPool"}, "a quantizer follows a concat"
    run = session(model)
    for photo in factory.photos(64, 2):  # its batch dimension is fixed at 1
        logits = run.run(None, {"input": photo[None]})[0]
        assert logits.shape == (1, 10) and np.isfinite(logits).all()


def test_compile_refuses_it_with_one_line(tmp_path):
    path = factory.brevitas_direct_model()
    proc = subprocess.run([sys.executable, "-m", "squeezeflow.compiler.cli", "compile", str(path), "-o",
                           str(tmp_path / "build"), "--preprocess", "torchvision"], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "'/features/features.4/squeeze/Conv'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "build").exists()
