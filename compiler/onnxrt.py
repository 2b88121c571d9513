"""Every onnxruntime session the project makes comes from `session`, so that each one computes exactly on any x86 CPU.

With graph optimisations on, onnxruntime fuses DequantizeLinear -> Conv -> QuantizeLinear into integer kernels
(QLinearConv, QGemm). On x86 CPUs without VNNI (AMD before Zen 4, Intel before Cascade Lake / Ice Lake) their u8 x s8
dot products use vpmaddubsw, which adds two adjacent products into a saturating int16: with weights over most of the
int8 range the sums clip, and a layer's outputs can be off by tens of steps. `session.x64quantprecision` = "1" makes
onnxruntime rewrite the s8 weights to u8 (adding 128, moving the zero point with them) and use its U8U8 kernels,
which widen to int16 before multiplying and accumulate in int32: exact. On VNNI CPUs (vpdpbusd accumulates in int32)
both paths are exact already, so the option changes nothing there. See docs/arithmetic.md.

That rewrite fails ("Attempt to replace the existing tensor") when one zero-point initializer serves several weights,
which is how torch.onnx deduplicates brevitas's per-channel zero points: it converts the shared tensor once per
weight. So each node gets its own copy of any initializer it shares (`unshare_initializers`); the graph computes the
same values.
"""
from __future__ import annotations

import collections

X64_QUANT_PRECISION = "session.x64quantprecision"


def session(model, optimized: bool = False, quant_precision: bool = True):
    """An onnxruntime CPU session of `model` (a path, serialized bytes or an onnx.ModelProto): `optimized` runs the
    fused integer kernels (graph optimisations on), else the graph node by node (float convolutions of dequantized
    values, as brevitas and qonnx compute it). Exact integer products either way (module docstring), unless
    `quant_precision` is off: onnxruntime's default, which only tests/test_onnxrt.py asks for, to show what the
    option prevents."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimized
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    options.add_session_config_entry(X64_QUANT_PRECISION, "1" if quant_precision else "0")
    options.log_severity_level = 3
    return ort.InferenceSession(unshare_initializers(model).SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def unshare_initializers(model):
    """A copy of `model` (a path, bytes or an onnx.ModelProto) in which no two node inputs name the same initializer:
    the second and later users of one get copies named `<name>__<k>`."""
    import onnx

    if isinstance(model, bytes):
        model = onnx.load_from_string(model)
    elif isinstance(model, onnx.ModelProto):
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        model = copy
    else:
        model = onnx.load(str(model))
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    uses = collections.Counter()
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name not in initializers:
                continue
            uses[name] += 1
            if uses[name] > 1:
                duplicate = graph.initializer.add()
                duplicate.CopyFrom(initializers[name])
                duplicate.name = f"{name}__{uses[name]}"
                node.input[i] = duplicate.name
    return model
