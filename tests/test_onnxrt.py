"""Every onnxruntime session is made by compiler/onnxrt.py with the option that keeps its integer kernels exact on x86
CPUs without VNNI (issue 18): read back from the sessions, enforced at run time and in the source."""
import ast
import collections
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import unittest.mock
from pathlib import Path

import factory
import numpy as np
import onnxruntime as ort
import pytest
from conftest import REPO

from squeezeflow.compiler import onnxrt
from squeezeflow.compiler.pipeline import compile_model
from squeezeflow.compiler.quant.evaluate import onnx_classifier
from squeezeflow.compiler.sim import reference


@pytest.mark.parametrize("optimized", [False, True])
def test_session_options_read_back(optimized):
    sess = onnxrt.session(factory.brevitas_model(), optimized)
    options = sess.get_session_options()
    assert options.get_session_config_entry(onnxrt.X64_QUANT_PRECISION) == "1"
    expected = ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimized else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    assert options.graph_optimization_level == expected
    assert sess.get_providers() == ["CPUExecutionProvider"]


def test_every_session_of_eval_and_the_reference_has_the_option(monkeypatch):
    """The project's session-making paths (eval's classifier, the per-layer reference) run with InferenceSession
    replaced by a recorder: a session made without the option anywhere on them fails this test."""
    model = factory.ort_qdq_model()  # before the recorder: quantize_static calibrates in a float session of its own
    made = []

    class Recorder(ort.InferenceSession):
        def __init__(self, model, sess_options=None, *args, **kwargs):
            made.append(sess_options)
            super().__init__(model, sess_options, *args, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", Recorder)
    classify, _ = onnx_classifier(model)
    x = factory.photos(64, 1)
    assert classify(x).shape == (1, 10)
    net, arrays = compile_model(model, warn=lambda m: None)
    for optimized in (False, True):
        assert reference.per_layer(net, arrays, model, x, optimized)
    assert len(made) == 3
    for options in made:
        assert options is not None and options.get_session_config_entry(onnxrt.X64_QUANT_PRECISION) == "1"


def test_no_session_is_made_outside_the_helper():
    """No module of the project names InferenceSession or SessionOptions but compiler/onnxrt.py (so no call site can
    forget the option)."""
    helper = REPO / "compiler" / "onnxrt.py"
    offenders = []
    for folder in ("compiler", "host", "hw", "bench", "tests", "notebooks"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path == helper or path == REPO / "tests" / "test_onnxrt.py":  # this file names them to record them
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
                if name in ("InferenceSession", "SessionOptions"):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offenders, f"onnxruntime sessions made outside compiler/onnxrt.py: {offenders}"


def test_int8_weights_agree_in_both_modes():
    """onnxruntime's QDQ export of SqueezeNet 1.1 (per-channel int8 weights over the full range, where the fused
    u8s8 path saturates without VNNI): fused and node-by-node sessions agree with each other layer by layer."""
    model = factory.ort_qdq_model()
    x = factory.photos(64, 2)
    sessions = [onnxrt.session(model, optimized) for optimized in (False, True)]
    name = sessions[0].get_inputs()[0].name
    logits = [np.concatenate([s.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))]) for s in sessions]
    np.testing.assert_allclose(logits[1], logits[0], atol=0.02 * np.abs(logits[0]).max())


# An x86 CPU without VNNI, emulated (QEMU user mode: only the process it starts, not its children): Haswell has AVX2
# and FMA, no AVX-512. The feature removals only silence warnings about what QEMU's TCG cannot emulate.
NO_VNNI_CPU = "Haswell-noTSX,-pcid,-x2apic,-tsc-deadline,-invpcid"


@pytest.mark.parametrize("maker", [factory.ort_qdq_model, functools.partial(factory.brevitas_model, wbits=8, abits=8)],
                         ids=["ort-qdq", "brevitas-w8a8"])
def test_exact_on_an_emulated_cpu_without_vnni(tmp_path, maker):
    """Under an emulated AVX2 CPU without VNNI, the per-layer agreement (<= 1 LSB, >= 99.9% equal) holds in both modes
    for SqueezeNet 1.1 with 8-bit weights (onnxruntime's QDQ export, per-channel int8; brevitas W8A8), while a fused
    session without the option is off by more: the emulation reaches the saturating kernel, so the first part proves
    something."""
    if platform.machine() != "x86_64":
        pytest.skip("the saturating u8s8 kernels are x86's; this host is not x86-64")
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        message = "qemu-x86_64 not found (Debian qemu-user, installed by `make setup`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    model = maker()
    np.save(tmp_path / "x.npy", factory.photos(64, 2))
    probe = f"import sys; sys.path[:0] = {[str(REPO / 'tests')]!r}; import test_onnxrt; test_onnxrt.probe()"
    run = subprocess.run([qemu, "-cpu", NO_VNNI_CPU, sys.executable, "-c", probe, str(model), str(tmp_path)],
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads((tmp_path / "probe.json").read_text())
    assert not found["avx512_vnni"] and found["avx2"]
    for mode, layers in found["protected"].items():
        for layer in layers:
            assert layer["max_diff"] <= 1 and layer["equal"] >= 0.999 * layer["total"], (mode, layer)
    assert max(layer["max_diff"] for layer in found["unprotected"]) > 1


def probe():
    """Run inside the emulated CPU: per-layer agreement of `model` (argv[1]) with our sessions in both modes, and with
    a fused session made without the option, into argv[2]/probe.json."""
    from numpy._core._multiarray_umath import __cpu_features__ as features  # what numpy sees in CPUID

    model, out = Path(sys.argv[1]), Path(sys.argv[2])
    x = np.load(out / "x.npy")
    net, arrays = compile_model(model, warn=lambda m: None)
    found = {"avx2": features["AVX2"], "avx512_vnni": features["AVX512VNNI"],
             "protected": {mode: [vars(r) for r in reference.per_layer(net, arrays, model, x, optimized)]
                           for mode, optimized in (("node_by_node", False), ("fused", True))}}

    unprotected = functools.partial(onnxrt.session, quant_precision=False)
    with unittest.mock.patch.object(onnxrt, "session", unprotected):
        found["unprotected"] = [vars(r) for r in reference.per_layer(net, arrays, model, x, True)]
    (out / "probe.json").write_text(json.dumps(found))


def test_shared_zero_points_are_unshared():
    """brevitas W8 exports share one zero-point tensor among the weights of equal channel count; onnxruntime's weight
    rewrite for the option fails on it unless each node gets its own copy (compiler/onnxrt.py)."""
    import onnx

    model = onnx.load(str(factory.brevitas_model(wbits=8, abits=8)))
    counts = lambda m: collections.Counter(i for n in m.graph.node for i in n.input
                                           if i in {t.name for t in m.graph.initializer})
    assert max(counts(model).values()) > 1
    unshared = onnxrt.unshare_initializers(model)
    assert max(counts(unshared).values()) == 1
    onnxrt.session(unshared, optimized=True)  # raised "Attempt to replace the existing tensor" before
