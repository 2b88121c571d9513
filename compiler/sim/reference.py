"""onnxruntime as the reference executor: per-layer and end-to-end agreement of the golden model with it.

onnxruntime is not bit-stable against itself: with graph optimisations it fuses DequantizeLinear -> Conv ->
QuantizeLinear into integer QLinearConv kernels (float32 requantization of an int32 accumulator); without them it
runs the float graph node by node (float32 convolution of dequantized values, then QuantizeLinear). The golden model
rounds the exact real product (to REQUANT_MULT_BITS bits). The three agree except where a value lies within float32
error of a rounding tie, where any of them may land on the other side: one LSB, rarely.

So layers are compared one at a time: each IR layer whose output is a quantized tensor in the ONNX graph is fed
onnxruntime's own values of its inputs (layers without such a tensor, like the convolutions inside a brevitas
Fire concat, are computed by the golden model from the nearest onnxruntime values) and its output is compared.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ir, onnxrt
from ..golden import Golden

_INT_OUTPUT_OPS = ("QuantizeLinear", "Clip")
_DEQUANTIZED_OPS = ("DequantizeLinear", "MaxPool", "GlobalAveragePool", "Flatten")


@dataclass
class LayerAgreement:
    """How one layer's golden output agrees with onnxruntime's: values compared, values equal, largest difference."""

    layer: str
    total: int
    equal: int
    max_diff: int

    @property
    def fraction_equal(self) -> float:
        """The share of values that agree (1.0 when there are none)."""
        return self.equal / self.total if self.total else 1.0


def session(model_path, optimized: bool, extra_outputs=()):
    """An onnxruntime session of the model, exposing `extra_outputs` tensors as outputs too."""
    import onnx

    model = onnx.load(str(model_path))
    existing = {o.name for o in model.graph.output}
    for name in extra_outputs:
        if name not in existing:
            model.graph.output.append(onnx.ValueInfoProto(name=name))
    return onnxrt.session(model, optimized)


def layer_tensors(net: ir.Network, model_path) -> dict[str, tuple[str, bool]]:
    """IR layer (and ir.NETWORK_INPUT) -> (ONNX tensor holding its quantized output, tensor holds integers)."""
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    nodes = {node.name: node for node in graph.node}
    producer = {out: node for node in graph.node for out in node.output}
    found = {}
    for layer in net.layers:
        last = nodes.get(layer.source[-1]) if layer.source else None
        if last is None or last.op_type not in _INT_OUTPUT_OPS + _DEQUANTIZED_OPS:
            continue
        source = producer.get(last.input[0])
        if last.op_type == "MaxPool" and source is not None and source.op_type in ("Concat", "Add"):
            continue  # the pool of an unquantized concat or sum: no quantized tensor to compare (lower.py `exact`)
        found[layer.name] = (last.output[0], last.op_type in _INT_OUTPUT_OPS)
    graph_input = next(i.name for i in graph.input if i.name not in {t.name for t in graph.initializer})
    quantizer = next((n for n in graph.node if n.input and n.input[0] == graph_input
                      and n.op_type == "QuantizeLinear"), None)
    if quantizer is not None:
        clip = next((n for n in graph.node if n.input and n.input[0] == quantizer.output[0] and n.op_type == "Clip"),
                    quantizer)
        found[ir.NETWORK_INPUT] = (clip.output[0], True)
    return found


def _to_int(value: np.ndarray, is_int: bool, qtype: ir.QType) -> np.ndarray:
    value = np.asarray(value)
    if is_int:
        return value.astype(np.int64)
    q = np.rint(value.astype(np.float64) / qtype.scale) + qtype.zero_point
    return q.astype(np.int64)


def per_layer(net: ir.Network, arrays, model_path, x: np.ndarray, optimized: bool) -> list[LayerAgreement]:
    """Compare every layer that has an onnxruntime counterpart, fed onnxruntime's own inputs. `x`: float NCHW."""
    tensors = layer_tensors(net, model_path)
    names = sorted({t for t, _ in tensors.values()})
    sess = session(model_path, optimized, names)
    input_name = sess.get_inputs()[0].name
    outs = [dict(zip(names, sess.run(names, {input_name: x[i:i + 1]}))) for i in range(len(x))]
    ort_values = {layer: np.concatenate([_to_int(o[t], is_int, net.type_of(layer)).reshape(1, *net.shape_of(layer))
                                         for o in outs]) for layer, (t, is_int) in tensors.items()}
    golden = Golden(net, arrays)
    results = []
    for layer in net.layers:
        if layer.name not in ort_values:
            continue
        ins = [_golden_from_ort(golden, name, ort_values, {}) for name in layer.inputs]
        mine, theirs = golden.execute(layer, ins), ort_values[layer.name]
        diff = np.abs(mine.reshape(theirs.shape) - theirs)
        results.append(LayerAgreement(layer.name, diff.size, int((diff == 0).sum()), int(diff.max())))
    return results


def _golden_from_ort(golden: Golden, name: str, ort_values: dict, cache: dict) -> np.ndarray:
    """The value of tensor `name`: onnxruntime's where it has one, else golden from the nearest such values."""
    if name in ort_values:
        return ort_values[name]
    if name not in cache:
        layer = golden.net.layer(name)
        cache[name] = golden.execute(layer, [_golden_from_ort(golden, i, ort_values, cache) for i in layer.inputs])
    return cache[name]
