"""Fuzz the ONNX loader: mutated and truncated models end in a clean UserError or a valid IR, never a traceback or
a hang. The seeds are models in every export style the front end takes: `squeezeflow quantize`'s brevitas QCDQ,
brevitas written the direct way (per-branch scales, float biases), onnxruntime QDQ from torch's dynamo exporter,
and onnxruntime QDQ with a quantized final Softmax and a named batch dimension."""
import functools
import random
import signal

import factory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squeezeflow.compiler.errors import UserError
from squeezeflow.compiler.pipeline import compile_model

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


STYLES = {"squeezeflow": factory.brevitas_model, "direct": factory.brevitas_direct_model,
          "dynamo": functools.partial(factory.ort_qdq_model, dynamo=True),
          "softmax": functools.partial(factory.ort_qdq_model, softmax=True)}


@functools.lru_cache(maxsize=None)
def model_bytes(style: str = "squeezeflow") -> bytes:  # not a fixture: hypothesis would print all 800 kB of it
    return STYLES[style]().read_bytes()


def compile_or_clean_error(path):
    def timeout(*_):
        raise TimeoutError("compile took over 20 s: a hang")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    try:
        compile_model(path, warn=lambda m: None)
    except UserError as exc:
        assert "\n" not in str(exc)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@SETTINGS
@given(style=st.sampled_from(sorted(STYLES)), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8))
def test_truncated_and_bit_flipped_bytes(tmp_path, style, cut, flips):
    whole = model_bytes(style)
    data = bytearray(whole[: int(len(whole) * cut) or 1] if cut < 0.95 else whole)
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    path = tmp_path / "mutant.onnx"
    path.write_bytes(bytes(data))
    compile_or_clean_error(path)


OPS = ["Conv", "MaxPool", "Concat", "Add", "Relu", "Sigmoid", "GlobalAveragePool", "Flatten", "Clip",
       "QuantizeLinear", "DequantizeLinear", "Identity", "Mul", "Gemm", "AveragePool", "Softmax"]


def mutate(model, rng: random.Random):
    """One structural edit of the kind a broken exporter or a hand edit makes."""
    import onnx

    nodes, inits = model.graph.node, model.graph.initializer
    node = rng.choice(nodes)
    kind = rng.randrange(8)
    if kind == 0:
        nodes.remove(node)
    elif kind == 1:
        node.op_type = rng.choice(OPS)
    elif kind == 2 and node.input:
        node.input[rng.randrange(len(node.input))] = rng.choice([n.output[0] for n in nodes] + [i.name for i in inits])
    elif kind == 3 and node.attribute:
        attr = rng.choice(node.attribute)
        if attr.ints:
            attr.ints[rng.randrange(len(attr.ints))] = rng.randint(-2, 9)
        else:
            attr.i = rng.randint(-2, 9)
    elif kind == 4 and inits:
        init = rng.choice(inits)
        if init.dims:
            init.dims[rng.randrange(len(init.dims))] = rng.randint(0, 70)
    elif kind == 5 and inits:
        rng.choice(inits).data_type = rng.choice([onnx.TensorProto.FLOAT, onnx.TensorProto.INT8,
                                                  onnx.TensorProto.UINT8, onnx.TensorProto.INT32])
    elif kind == 6:
        dim = model.graph.input[0].type.tensor_type.shape.dim[rng.randrange(4)]
        dim.dim_value = rng.randint(0, 300)
    else:
        node.input.append(node.input[0] if node.input else "x")


@SETTINGS
@given(style=st.sampled_from(sorted(STYLES)), seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 3))
def test_structurally_mutated_models(tmp_path, style, seed, edits):
    import onnx

    model = onnx.load_model_from_string(model_bytes(style))
    rng = random.Random(seed)
    for _ in range(edits):
        mutate(model, rng)
    path = tmp_path / "mutant.onnx"
    path.write_bytes(model.SerializeToString())
    compile_or_clean_error(path)
