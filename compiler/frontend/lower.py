"""Pass 2, lower: the ONNX graph (QONNX, QCDQ or QDQ) -> integer IR layers.

The three formats differ only in how they spell "this real tensor is s * (q - z) for integers q in [lo, hi]":
QONNX with one `Quant` node, QCDQ with QuantizeLinear -> Clip -> DequantizeLinear, QDQ without the Clip. Lowering
walks the nodes in order and tracks what each ONNX tensor is:

- `Const`: a plain constant (initializer, Constant node, or folded from constants);
- `QConst`: a quantized constant (weights, biases): integers, scale and zero point;
- `QAct`: an integer activation produced by an IR layer (or the network input), with its `QType`;
- `QInt`: the integer output of a QuantizeLinear not yet dequantized (a Clip may still narrow its range);
- a `Pending` value: real-valued, a per-channel scale times an exact integer accumulator (a convolution, a
  concatenation of convolutions, an add or a global pool) waiting for the quantizer that fixes its requantization.

A quantizer applied to a pending value emits the IR layer(s) with their requantization; one applied to an integer
activation is an identity when the encodings match (QDQ re-quantizes MaxPool outputs that way) and a requantizing
concat or pool otherwise. A concatenation or sum of quantized activations that no quantizer follows (each Fire
branch with its own scale, as brevitas exports a QuantReLU per branch) is read by the next convolution or max pool
as it is: it becomes integer layers at a common finer scale (`common_scale`, docs/arithmetic.md), each input an exact
integer multiple of its integers. Anything else is rejected with the node's name, op type and the reason.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from squeezeflow.hw.spec import REQUANT_MULT_BITS

from .. import ir
from ..errors import UserError
from .load import QONNX_DOMAINS, LoadedModel

PASS_THROUGH = ("Identity", "Dropout")
# Ops that give constants a meaning (integers plus scale) instead of a value: never folded.
QUANTIZER_OPS = ("QuantizeLinear", "DequantizeLinear", "Clip", "Quant")
SHAPE_ONLY = ("Flatten", "Reshape", "Squeeze")  # allowed on the (N, C, 1, 1) pooled output only
AFTER_SOFTMAX = QUANTIZER_OPS + SHAPE_ONLY + PASS_THROUGH  # what may follow the final Softmax
_INT_RANGES = {np.dtype(np.uint8): (0, 255), np.dtype(np.int8): (-128, 127)}
# An unquantized concat or sum at a common scale: each input scale is K * the common scale for an integer K of at
# most COMMON_SCALE_BITS bits, to a relative error of at most COMMON_SCALE_ERROR where such K exist.
COMMON_SCALE_BITS = 12
COMMON_SCALE_ERROR = 2.0**-20
# The widest such activation: its products with the weights must fit a DSP48's 25-bit (DSP48E1) input port, signed.
COMMON_SCALE_MAX_BITS = 24


def pooled_size(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int, ceil: bool) -> int:
    """Output size of a pooling window along one dimension.

    In ceil mode a last window that would start in the trailing pad is dropped, as PyTorch and onnxruntime do.
    """
    span = size + pad_lo + pad_hi - kernel
    n = (-(-span // stride) if ceil else span // stride) + 1
    return n - 1 if ceil and (n - 1) * stride >= size + pad_lo else n


# --- values -----------------------------------------------------------------------------------------------------


@dataclass
class Const:
    """A plain constant; `int_range` is the declared range of an integer one (its dtype's, or a Clip's)."""

    value: np.ndarray
    int_range: tuple[int, int] | None = None  # declared range of an integer constant (dtype, or a Clip's bounds)


@dataclass
class QConst:
    """A quantized constant (weights, biases): real value scale * (q - zero_point), per tensor or per channel along
    `axis`, with q in [lo, hi]."""

    q: np.ndarray  # integers (int64)
    scale: np.ndarray  # per-tensor (size 1) or per-channel along `axis`
    zero_point: np.ndarray
    axis: int
    lo: int
    hi: int


@dataclass
class QAct:
    """An integer activation of CHW `shape` and type `qtype`, the output of IR layer `producer` or the network input."""

    producer: str  # IR layer name, or ir.NETWORK_INPUT
    qtype: ir.QType
    shape: list[int]
    pooled: bool = False  # a global pool's output: only reshapes (and a final softmax) may follow


@dataclass
class QInt:
    """The integers of a QuantizeLinear of `source`, awaiting their DequantizeLinear: [lo, hi] as narrowed by any Clip
    on the way, `nodes` the quantizer's nodes so far."""

    source: object  # what the QuantizeLinear quantizes
    scale: float
    zero_point: int
    lo: int
    hi: int
    nodes: list[str]


@dataclass
class FloatInput:
    """The network input before its quantizer: a real-valued CHW tensor."""

    shape: list[int]


@dataclass
class Softmaxed:
    """The pooled output after a final Softmax, which the host applies: quantizers and reshapes between it and the
    graph output (onnxruntime's QDQ quantizes a softmax too) leave it as it is."""

    value: object  # the pooled QAct or Pending


@dataclass
class Pending:
    """A real value awaiting its quantizer: acc_scale[c] * (integer accumulator).

    `emit(qtype, relu, nodes)` creates the IR layer(s) with their requantization and returns their QAct.
    """

    shape: list[int]
    emit: object  # callable(QType, relu: bool, nodes: list[str]) -> QAct
    relu: bool = False
    pooled: bool = False
    float_output: object = None  # callable() -> QAct, for a global pool that ends the network unquantized
    # callable() -> QAct: the value as integer layers at a common scale, for a consumer that reads it unquantized
    exact: object = None
    convs: list = field(default_factory=list)  # PendingConv parts, when this is a convolution or their concat


# --- fixed-point helpers ----------------------------------------------------------------------------------------

def fixed_point(real: float, where: str) -> tuple[int, int]:
    """(multiplier, shift) with multiplier / 2**shift == real to REQUANT_MULT_BITS significant bits."""
    if not (real > 0 and math.isfinite(real)):
        raise UserError("requantization scale must be positive and finite", where, f"it is {real}")
    exponent = math.floor(math.log2(real))
    shift = REQUANT_MULT_BITS - 1 - exponent
    if shift < 0:
        raise UserError("requantization scale is too large", where, f"{real} >= 2**{REQUANT_MULT_BITS}")
    shift = min(shift, 62)  # a scale below 2**-39 rounds to a multiplier with fewer bits; still exact to 2**-62
    multiplier = round(real * 2.0**shift)
    if multiplier >= 1 << REQUANT_MULT_BITS:
        multiplier, shift = multiplier >> 1, shift - 1
    return multiplier, shift


def range_bits(lo: int, hi: int) -> tuple[int, bool]:
    """Smallest (bits, signed) integer type holding [lo, hi]."""
    if lo >= 0:
        return max(1, int(hi).bit_length()), False
    return max(int(-lo - 1).bit_length(), int(hi).bit_length()) + 1, True


def common_scale(scales: list[float]) -> tuple[float, list[int], float]:
    """A scale s and integers K (one per scale, at most COMMON_SCALE_BITS bits) with K[i] * s close to scales[i]:
    the smallest largest-K that reaches COMMON_SCALE_ERROR, else the most accurate one. The coarsest scale is a
    multiple exactly; returns (s, K, the largest relative error of the others)."""
    scales = np.asarray(scales, dtype=np.float64)
    ref = scales.max()
    k_ref = np.arange(1, 2**COMMON_SCALE_BITS + 1, dtype=np.float64)[:, None]
    ks = np.maximum(1, np.rint(scales / ref * k_ref))
    errors = np.abs(ks * ref / (k_ref * scales) - 1).max(axis=1)
    fits = np.flatnonzero(errors <= COMMON_SCALE_ERROR)
    best = int(fits[0]) if fits.size else int(np.argmin(errors))
    return float(ref / k_ref[best, 0]), [int(k) for k in ks[best]], float(errors[best])


def _same_scale(a: float, b: float) -> bool:
    """Whether two scales agree to a relative 1e-6, so float32 round-off is not taken for a mismatch."""
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))


# --- the lowering walk ------------------------------------------------------------------------------------------

class Lowering:
    """Lowers a loaded model in one walk over its live nodes (see the module docstring), keeping the value of every
    ONNX tensor and the IR layers and arrays emitted so far."""

    def __init__(self, loaded: LoadedModel):
        """Prepare to lower `loaded`: no values, layers or arrays yet; only the live nodes will be walked."""
        import onnx

        self.onnx = onnx
        self.loaded = loaded
        self.graph = loaded.model.graph
        self.values: dict[str, object] = {}
        self.layers: list[ir.Layer] = []
        self.arrays: dict[str, np.ndarray] = {}
        self.input_type: ir.QType | None = None
        self.nodes = self._live_nodes()

    def _live_nodes(self):
        """Nodes in topological order that contribute to the output (exporters leave dead shape arithmetic)."""
        needed = {o.name for o in self.graph.output}
        live = []
        for node in reversed(self.graph.node):
            if any(out in needed for out in node.output):
                live.append(node)
                needed.update(i for i in node.input if i)
        return live[::-1]

    def fail(self, node, why: str):
        """Raise a UserError naming `node` (by name, or its first output) and its op type, with the reason `why`."""
        raise UserError(f"node {node.name or node.output[0]!r} ({node.op_type})", why=why)

    def run(self):
        """Lower the live nodes in order; returns (layers, arrays, input QType, output layer name).

        A node whose inputs are all constants is folded (unless it is a quantizer); any other goes to its op_ handler.
        """
        from onnx import numpy_helper

        for init in self.graph.initializer:
            try:
                self.values[init.name] = self._const(numpy_helper.to_array(init))
            except (ValueError, TypeError) as exc:
                raise UserError(f"initializer {init.name!r} is malformed", why=str(exc).splitlines()[0]) from None
        self.values[self.loaded.input_name] = FloatInput(self.loaded.input_shape)
        for node in self.nodes:
            if node.domain not in ("", "ai.onnx") + QONNX_DOMAINS:
                self.fail(node, f"operator domain {node.domain!r} is not supported")
            handler = getattr(self, f"op_{node.op_type}", None)
            inputs = [self.values.get(name) if name else None for name in node.input]
            if any(name and v is None for name, v in zip(node.input, inputs)):
                self.fail(node, "an input is neither produced by an earlier node nor an initializer")
            constant = bool(inputs) and all(isinstance(v, Const) for v in inputs if v is not None)
            if inputs and isinstance(inputs[0], Softmaxed) and node.op_type in AFTER_SOFTMAX:
                result = inputs[0]
            elif constant and node.op_type not in QUANTIZER_OPS:
                result = self._fold(node, inputs)
            elif handler is None:
                self.fail(node, "operator is not supported in a SqueezeNet dataflow accelerator")
            else:
                result = handler(node, *inputs)
            if len(node.output) > 1 and node.op_type != "Dropout":
                self.fail(node, "nodes with several outputs are not supported")
            self.values[node.output[0]] = result
        return self._finish()

    def _finish(self):
        """Check the output is a global pool of a quantized tensor and the input was quantized; returns run()'s result.

        A global pool left unquantized at the output is emitted without requantization.
        """
        out = self.values[self.graph.output[0].name]
        if isinstance(out, Softmaxed):
            out = out.value
        if isinstance(out, Pending) and out.float_output is not None:
            out = out.float_output()
        if not (isinstance(out, QAct) and out.pooled):
            raise UserError("model output is not a global average pool of a quantized tensor",
                            self.graph.output[0].name, "not a SqueezeNet-family network")
        if self.input_type is None:
            raise UserError("the model input is never quantized", self.loaded.input_name)
        return self.layers, self.arrays, self.input_type, out.producer

    # --- constants ---------------------------------------------------------------------------------------------

    @staticmethod
    def _const(array: np.ndarray) -> Const:
        """Wrap an array as a Const; an int8 or uint8 array gets its dtype's range."""
        return Const(array, _INT_RANGES.get(array.dtype))

    def _fold(self, node, inputs) -> Const:
        """Evaluate `node` on its constant inputs with the ONNX reference evaluator; returns the result as a Const."""
        from onnx.reference import ReferenceEvaluator

        names = [f"in{i}" for i in range(len(node.input))]
        folded_node = self.onnx.helper.make_node(node.op_type, [n if v is not None else "" for n, v in
                                                                 zip(names, inputs)], ["out"], domain=node.domain)
        folded_node.attribute.extend(node.attribute)
        try:
            evaluator = ReferenceEvaluator(folded_node)
            result = evaluator.run(None, {n: v.value for n, v in zip(names, inputs) if v is not None})[0]
        except Exception as exc:  # the reference evaluator raises many types on malformed nodes
            self.fail(node, f"cannot evaluate on constants: {str(exc).splitlines()[0] if str(exc) else exc!r}")
        return self._const(np.asarray(result))

    def _scalar(self, node, value, what: str, integer: bool = False):
        """The single value of constant `value` as a float (an int if `integer`); fails `node` otherwise."""
        if not isinstance(value, Const) or value.value.size != 1:
            self.fail(node, f"{what} must be a constant scalar")
        v = value.value.reshape(()).item()
        if integer and v != int(v):
            self.fail(node, f"{what} must be an integer, not {v}")
        return int(v) if integer else float(v)

    # --- quantizers ---------------------------------------------------------------------------------------------

    def op_QuantizeLinear(self, node, x, scale, zero_point=None):
        """Start a QDQ or QCDQ quantizer: returns a QInt for the Clip or DequantizeLinear that follows.

        Activations only, with a per-tensor scale; without a zero point the type is uint8.
        """
        if self._attr(node, "axis", 1) != 1 and isinstance(scale, Const) and scale.value.size > 1:
            self.fail(node, "per-axis activation quantization is only supported along channels")
        s = self._scalar(node, scale, "activation scale (per-tensor)")
        if zero_point is None:
            zp, (lo, hi) = 0, (0, 255)
        else:
            zp = self._scalar(node, zero_point, "zero point", integer=True)
            if zero_point.value.dtype not in _INT_RANGES:
                self.fail(node, f"quantized type {zero_point.value.dtype} is not supported (int8/uint8 only)")
            lo, hi = _INT_RANGES[zero_point.value.dtype]
        if isinstance(x, Const):
            self.fail(node, "quantizing a float constant at run time is not supported; store it quantized")
        return QInt(x, s, zp, lo, hi, [node.name])

    def op_Clip(self, node, x, lo=None, hi=None):
        """Narrow the range of a quantized integer (QCDQ) or of an integer constant; a float constant is folded."""
        bounds = [self._scalar(node, b, "Clip bound", integer=isinstance(x, (QInt, Const))) if b is not None
                  else None for b in (lo, hi)]
        if isinstance(x, Const):
            if not np.issubdtype(x.value.dtype, np.integer):
                return self._fold(node, [x, lo, hi])
            old_lo, old_hi = x.int_range or (int(x.value.min()), int(x.value.max()))
            new_lo = old_lo if bounds[0] is None else max(old_lo, bounds[0])
            new_hi = old_hi if bounds[1] is None else min(old_hi, bounds[1])
            return Const(np.clip(x.value.astype(np.int64), new_lo, new_hi), (new_lo, new_hi))
        if isinstance(x, QInt):
            return QInt(x.source, x.scale, x.zero_point, x.lo if bounds[0] is None else max(x.lo, bounds[0]),
                        x.hi if bounds[1] is None else min(x.hi, bounds[1]), x.nodes + [node.name])
        self.fail(node, "Clip is only supported on quantized integers (a QCDQ quantizer)")

    def op_DequantizeLinear(self, node, x, scale, zero_point=None):
        """End a quantizer: an integer constant becomes a QConst (weights, biases).

        A QInt becomes a quantized activation through _quantize, if the scale and zero point match its QuantizeLinear.
        """
        if isinstance(x, Const):
            if not np.issubdtype(x.value.dtype, np.integer):
                self.fail(node, "dequantizing a non-integer constant")
            axis = self._attr(node, "axis", 1)
            if not isinstance(scale, Const) or not isinstance(zero_point, (Const, type(None))):
                self.fail(node, "scale and zero point must be constants")
            zp = np.zeros(1, np.int64) if zero_point is None else zero_point.value.astype(np.int64).reshape(-1)
            lo, hi = x.int_range or _INT_RANGES.get(x.value.dtype, (int(x.value.min()), int(x.value.max())))
            return self._qconst(node, x.value.astype(np.int64), scale.value.astype(np.float64).reshape(-1), zp,
                                axis, lo, hi)
        if not isinstance(x, QInt):
            self.fail(node, "DequantizeLinear must follow a QuantizeLinear (optionally through a Clip)")
        s = self._scalar(node, scale, "activation scale (per-tensor)")
        zp = 0 if zero_point is None else self._scalar(node, zero_point, "zero point", integer=True)
        if not _same_scale(s, x.scale) or zp != x.zero_point:
            self.fail(node, "dequantizes with other parameters than its QuantizeLinear used")
        return self._quantize(node, x.source, s, zp, x.lo, x.hi, x.nodes + [node.name])

    def op_Quant(self, node, x, scale, zero_point, bitwidth):
        """QONNX: q = clamp(round(x / s + z), min, max), output s * (q - z)."""
        bits = self._scalar(node, bitwidth, "bit width", integer=True)
        signed, narrow = self._attr(node, "signed", 1), self._attr(node, "narrow", 0)
        lo = -(1 << (bits - 1)) + narrow if signed else 0
        hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1 - narrow
        if isinstance(x, Const):
            s = scale.value.astype(np.float64) if isinstance(scale, Const) else self.fail(node, "scale not constant")
            zp = zero_point.value.astype(np.float64) if isinstance(zero_point, Const) else None
            if zp is None or np.any(zp != np.round(zp)):
                self.fail(node, "zero point must be a constant integer")
            # float32, as brevitas and qonnx compute it: float64 would round a few ties the other way
            q = np.clip(np.round(x.value.astype(np.float32) / s.astype(np.float32) + zp.astype(np.float32)), lo, hi)
            q = q.astype(np.int64)
            axis = int(np.argmax(s.shape)) if s.size > 1 else 0
            return self._qconst(node, q, s.reshape(-1), zp.astype(np.int64).reshape(-1), axis, lo, hi)
        rounding = self._attr(node, "rounding_mode", b"ROUND")
        rounding = rounding.decode() if isinstance(rounding, bytes) else rounding
        if rounding.upper() not in ("ROUND", "HALF_EVEN"):
            self.fail(node, f"activation rounding mode {rounding} is not supported (ROUND only)")
        s = self._scalar(node, scale, "activation scale (per-tensor)")
        zp = self._scalar(node, zero_point, "zero point", integer=True)
        return self._quantize(node, x, s, zp, lo, hi, [node.name])

    def _qconst(self, node, q, scale, zero_point, axis, lo, hi) -> QConst:
        """Check the per-tensor or per-axis scale and zero point fit `q`; returns a QConst with a non-negative axis."""
        if q.size == 0 or not -q.ndim <= axis < max(q.ndim, 1):
            self.fail(node, f"quantization axis {axis} does not fit a tensor of shape {list(q.shape)}")
        axis %= max(q.ndim, 1)
        channels = q.shape[axis] if q.ndim else 1
        for name, v in (("scale", scale), ("zero point", zero_point)):
            if v.size not in (1, channels):
                self.fail(node, f"{v.size} {name} values for {channels} channels along axis {axis}")
        if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
            self.fail(node, "scales must be positive and finite")
        return QConst(q, scale, zero_point, axis, lo, hi)

    def _quantize(self, node, source, scale: float, zp: int, lo: int, hi: int, nodes: list[str]) -> QAct:
        """Apply an activation quantizer to `source` and return the quantized activation (QAct).

        The network input gets this type, a Pending value emits its layers, a QAct whose encoding fits passes through.
        """
        bits, signed = range_bits(lo, hi)
        if not 2 <= bits <= 8:
            self.fail(node, f"activation range [{lo}, {hi}] needs {bits} bits; 2 to 8 are supported")
        if not lo <= zp <= hi:
            self.fail(node, f"zero point {zp} lies outside the range [{lo}, {hi}]")
        qtype = ir.QType(bits=bits, signed=signed, zero_point=zp, scale=scale, lo=lo, hi=hi)
        if isinstance(source, FloatInput):
            if self.input_type is not None:
                self.fail(node, "the network input is quantized twice")
            self.input_type = qtype
            return QAct(ir.NETWORK_INPUT, qtype, source.shape)
        if isinstance(source, Pending):
            return source.emit(qtype, source.relu, nodes)
        if isinstance(source, QAct):
            if source.qtype.same_encoding(qtype) or (
                    _same_scale(source.qtype.scale, scale) and source.qtype.zero_point == zp
                    and lo <= source.qtype.lo and source.qtype.hi <= hi):
                return source  # QDQ re-quantizes MaxPool/Flatten outputs with their input's parameters
            self.fail(node, "requantizing an already quantized tensor is only supported after Concat and pooling")
        self.fail(node, "quantizes a value that is not an activation")

    # --- compute ops --------------------------------------------------------------------------------------------

    @staticmethod
    def _read(x):
        """What a consumer reads: an unquantized concat or sum of quantized activations (a Pending with `exact`) as
        its integer layers at a common scale; anything else as it is."""
        return x.exact() if isinstance(x, Pending) and x.exact is not None else x

    def op_Conv(self, node, x, w, b=None):
        """Check a convolution of a quantized activation by signed, symmetric weights; returns it as a Pending value.

        Its accumulator scale is input scale times weight scale; the input zero point is folded into the bias.
        """
        x = self._read(x)
        if not isinstance(x, QAct) or x.pooled:
            self.fail(node, "convolution input must be a quantized activation (DequantizeLinear or Quant output)")
        if not isinstance(w, QConst):
            self.fail(node, "weights must be quantized constants")
        if self._attr(node, "group", 1) != 1:
            self.fail(node, "grouped or depthwise convolution is not supported")
        if any(d != 1 for d in self._attr(node, "dilations", [1, 1])):
            self.fail(node, "dilated convolution is not supported")
        if w.q.ndim != 4 or w.q.shape[1] != x.shape[0]:
            self.fail(node, f"weight shape {list(w.q.shape)} does not fit input channels {x.shape[0]}")
        out_ch, in_ch, kh, kw = w.q.shape
        if np.any(w.zero_point != 0):
            self.fail(node, "weights must be symmetric (zero point 0)")
        if w.scale.size not in (1, out_ch) or (w.scale.size > 1 and w.axis != 0):
            self.fail(node, "weight scales must be per tensor or per output channel")
        wbits, wsigned = range_bits(w.lo, w.hi)
        if not (wsigned and 2 <= wbits <= 8):
            self.fail(node, f"weight range [{w.lo}, {w.hi}] is not a signed 2- to 8-bit integer")
        stride = list(self._attr(node, "strides", [1, 1]))
        pad = self._pads(node, x.shape[1:], [kh, kw], stride)
        out_h = (x.shape[1] + pad[0] + pad[2] - kh) // stride[0] + 1
        out_w = (x.shape[2] + pad[1] + pad[3] - kw) // stride[1] + 1
        if out_h < 1 or out_w < 1:
            self.fail(node, f"kernel {kh}x{kw} does not fit the {x.shape[1]}x{x.shape[2]} input")

        acc_scale = x.qtype.scale * np.broadcast_to(w.scale, (out_ch,))
        bias, fraction = self._bias(node, b, acc_scale)
        # The input zero point is folded into the bias; padding then reads the zero point, which adds nothing.
        bias = bias - x.qtype.zero_point * w.q.reshape(out_ch, -1).sum(axis=1)
        x_max = max(abs(x.qtype.lo - x.qtype.zero_point), abs(x.qtype.hi - x.qtype.zero_point))
        w_max = max(abs(w.lo), abs(w.hi))
        acc_max = in_ch * kh * kw * w_max * x_max + int(np.abs(bias).max())
        acc_bits = acc_max.bit_length() + 1
        if acc_bits > 63 - REQUANT_MULT_BITS:
            self.fail(node, f"accumulator needs {acc_bits} bits; at most {63 - REQUANT_MULT_BITS} are supported")
        if np.abs(bias).max() >= 2**31:
            self.fail(node, "bias does not fit 32 bits after folding the input zero point")
        layer = ir.Conv(name=node.name or node.output[0], inputs=[x.producer], out_shape=[out_ch, out_h, out_w],
                        out_type=None, source=[node.name], kernel=[kh, kw], stride=stride, pad=pad,
                        in_channels=in_ch, weight_bits=wbits, acc_bits=acc_bits,
                        pad_value=x.qtype.zero_point)
        weight = w.q.astype(np.int8)
        return self._pending_conv(layer, weight, bias.astype(np.int32), acc_scale, fraction)

    def _bias(self, node, b, acc_scale: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The bias as integers on the accumulator scale (zeros when absent) and what rounding left of it, in
        accumulator LSBs (None when nothing: a bias already on that scale)."""
        out_ch = acc_scale.size
        if b is None:
            return np.zeros(out_ch, np.int64), None
        if isinstance(b, (QConst, Const)) and (b.q if isinstance(b, QConst) else b.value).size != out_ch:
            self.fail(node, f"bias does not have one value per output channel ({out_ch})")
        if isinstance(b, QConst):
            real = (b.q - b.zero_point).astype(np.float64).reshape(-1) * np.broadcast_to(b.scale, (out_ch,))
            if np.allclose(np.broadcast_to(b.scale, (out_ch,)), acc_scale, rtol=1e-5, atol=0):
                return (b.q - b.zero_point).astype(np.int64).reshape(-1), None
        elif isinstance(b, Const):
            real = b.value.astype(np.float64).reshape(-1)
        else:
            self.fail(node, "bias must be a constant")
        # A float (or differently scaled) bias: its integer part goes into the accumulator, its fraction into the
        # requantization (ir.Requant offset), as a float executor adds it.
        exact = real / acc_scale
        rounded = np.round(exact)
        fraction = exact - rounded
        return rounded.astype(np.int64), (fraction if np.any(fraction) else None)

    def _pending_conv(self, layer: ir.Conv, weight, bias, acc_scale, fraction=None) -> Pending:
        """Wrap a checked Conv layer as a Pending value; the layer, weights and bias are stored only when emitted.
        `fraction`: what the integer bias lacks, in accumulator LSBs per channel (None: nothing)."""
        def emit(qtype: ir.QType, relu: bool, nodes: list[str]) -> QAct:
            """Set the requantization into `qtype`, store the weights and bias and append the layer."""
            layer.requant = self._requant(acc_scale / qtype.scale, qtype, relu, layer.name)
            if fraction is not None:  # in the product's units: the fraction times each channel's multiplier
                mult = np.broadcast_to(np.asarray(layer.requant.multiplier, np.float64), fraction.shape)
                offset = np.rint(fraction * mult).astype(np.int64)
                layer.requant.offset = [int(v) for v in offset] if np.any(offset) else None
            layer.out_type = qtype
            layer.source += nodes
            self.arrays[f"{layer.name}.weight"] = weight
            self.arrays[f"{layer.name}.bias"] = bias
            self.layers.append(layer)
            return QAct(layer.name, qtype, layer.out_shape)

        pending = Pending(layer.out_shape, emit)
        pending.convs = [pending]
        return pending

    def _requant(self, reals: np.ndarray, qtype: ir.QType, relu: bool, where: str) -> ir.Requant:
        """Fixed-point requantization by the ratios `reals` into `qtype`; under a ReLU it clamps at the zero point."""
        pairs = [fixed_point(float(r), where) for r in np.atleast_1d(reals)]
        lo = max(qtype.lo, qtype.zero_point) if relu else qtype.lo
        return ir.Requant(multiplier=[m for m, _ in pairs], shift=[s for _, s in pairs],
                          zero_point=qtype.zero_point, lo=lo, hi=qtype.hi)

    def _pads(self, node, hw, kernel, stride) -> list[int]:
        """[top, left, bottom, right] padding from `pads` or `auto_pad`, after checking kernel, strides and pads."""
        if len(kernel) != 2 or len(stride) != 2 or min(kernel) < 1 or min(stride) < 1:
            self.fail(node, f"kernel {list(kernel)} and strides {list(stride)} must be two positive integers each")
        pads = self._attr(node, "pads", [0, 0, 0, 0])
        if len(pads) != 4 or min(pads) < 0 or max(pads) >= max(kernel):
            self.fail(node, f"pads {list(pads)} must be four integers from 0 to kernel size - 1")
        auto_pad = self._attr(node, "auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
        if auto_pad in ("NOTSET", "VALID"):
            pads = list(self._attr(node, "pads", [0, 0, 0, 0])) if auto_pad == "NOTSET" else [0, 0, 0, 0]
            return [pads[0], pads[1], pads[2], pads[3]]  # ONNX order: top, left, bottom, right
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            total = [max(0, (-(-size // s) - 1) * s + k - size) for size, k, s in zip(hw, kernel, stride)]
            small = [t // 2 for t in total]
            big = [t - t // 2 for t in total]
            first, last = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
            return [first[0], first[1], last[0], last[1]]
        self.fail(node, f"auto_pad {auto_pad} is not supported")

    def op_Relu(self, node, x):
        """Make a pending value clamp at zero when requantized; a QAct already clamped at zero passes through."""
        if isinstance(x, Pending):
            x.relu = True
            return x
        if isinstance(x, QAct) and x.qtype.lo >= x.qtype.zero_point:
            return x  # the quantizer's range already clamps at zero
        self.fail(node, "ReLU must come before the quantizer (or be implied by its range)")

    def op_MaxPool(self, node, x):
        """Append a MaxPool layer over a quantized activation; its output keeps the input's type."""
        x = self._read(x)
        if not isinstance(x, QAct) or x.pooled:
            self.fail(node, "max pooling input must be a quantized activation")
        if self._attr(node, "storage_order", 0) != 0:
            self.fail(node, "storage_order=1 is not supported")
        if any(d != 1 for d in self._attr(node, "dilations", [1, 1])):
            self.fail(node, "dilated pooling is not supported")
        kernel = list(self._attr(node, "kernel_shape", None) or self.fail(node, "kernel_shape missing"))
        stride = list(self._attr(node, "strides", [1, 1]))
        pad = self._pads(node, x.shape[1:], kernel, stride)
        ceil = self._attr(node, "ceil_mode", 0)
        out = []
        for i, size in enumerate(x.shape[1:]):
            n = pooled_size(size, kernel[i], stride[i], pad[i], pad[i + 2], bool(ceil))
            if n < 1:
                self.fail(node, f"kernel {kernel} does not fit the input {x.shape[1:]}")
            out.append(n)
        layer = ir.MaxPool(name=node.name or node.output[0], inputs=[x.producer], out_shape=[x.shape[0], *out],
                           out_type=x.qtype, source=[node.name], kernel=kernel, stride=stride, pad=pad)
        self.layers.append(layer)
        return QAct(layer.name, x.qtype, layer.out_shape)

    def op_Concat(self, node, *parts):
        """Channel concat awaiting its quantizer: of pending convolutions only, or of quantized activations only."""
        if self._attr(node, "axis", None) not in (1, -3):
            self.fail(node, "only channel concatenation (axis 1) is supported")
        if len(parts) < 2:
            self.fail(node, "concatenation of fewer than two tensors")
        parts = [self._read(p) for p in parts]
        convs = all(isinstance(p, Pending) and p.convs for p in parts)
        acts = all(isinstance(p, QAct) and not p.pooled for p in parts)
        if not (convs or acts):
            self.fail(node, "inputs must all be convolutions or all be quantized activations")
        if any(p.shape[1:] != parts[0].shape[1:] for p in parts):
            self.fail(node, "concatenated tensors differ in height or width")
        shape = [sum(p.shape[0] for p in parts), *parts[0].shape[1:]]
        if convs:
            return self._pending_concat(node, shape, [c for p in parts for c in p.convs])
        return self._requant_concat(node, shape, list(parts))

    def _pending_concat(self, node, shape, convs: list[Pending]) -> Pending:
        """Brevitas-style: one quantizer after the concat, so each conv requantizes straight to the concat's type.

        The concat itself then only interleaves channels.
        """
        def emit(qtype, relu, nodes):
            """Emit each conv into `qtype` (with ReLU if it or the concat has one), then the concat."""
            acts = [conv.emit(qtype, relu or conv.relu, []) for conv in convs]
            return self._emit_concat(node, shape, acts, qtype, [None] * len(acts), nodes)

        pending = Pending(shape, emit)
        pending.convs = convs
        return pending

    def _requant_concat(self, node, shape, acts: list[QAct]) -> Pending:
        """QDQ-style: each input already has its own quantizer; the one after the concat requantizes them. Without
        a quantizer after it (`exact`), each input is an exact integer multiple at a common scale."""
        def emit(qtype, relu, nodes):
            """Emit the concat, requantizing inputs whose encoding differs from `qtype` (all of them under a ReLU)."""
            requants = [None if a.qtype.same_encoding(qtype) and not relu else
                        self._requant(np.array([a.qtype.scale / qtype.scale]), qtype, relu, node.name)
                        for a in acts]
            return self._emit_concat(node, shape, acts, qtype, requants, nodes)

        @functools.cache  # one set of layers however many consumers read it
        def exact():
            """Emit the concat with input i multiplied by K[i] less its zero point (common_scale), under a ReLU
            clamped at zero; inputs of one encoding are only interleaved."""
            if all(a.qtype.same_encoding(acts[0].qtype) for a in acts) and not pending.relu:
                return self._emit_concat(node, shape, acts, acts[0].qtype, [None] * len(acts), [])
            scale, ks, _ = common_scale([a.qtype.scale for a in acts])
            qtype = self._multiples_type(node, scale, [(k, a.qtype) for k, a in zip(ks, acts)], pending.relu)
            requants = [ir.Requant([k], [0], 0, qtype.lo, qtype.hi) for k in ks]
            return self._emit_concat(node, shape, acts, qtype, requants, [])

        pending = Pending(shape, emit, exact=exact)
        return pending

    def _multiples_type(self, node, scale: float, terms: list[tuple[int, ir.QType]], relu: bool) -> ir.QType:
        """The type at `scale` (zero point 0) of the values sum_i K_i * (x_i - z_i) over `terms` (K_i, type of x_i)
        can take, clamped at zero under a ReLU; fails `node` past the widest activation the kernels take."""
        lo = sum(k * (t.lo - t.zero_point) for k, t in terms)
        hi = sum(k * (t.hi - t.zero_point) for k, t in terms)
        lo = max(lo, 0) if relu else lo
        bits, signed = range_bits(lo, hi)
        if bits > COMMON_SCALE_MAX_BITS:
            self.fail(node, f"its inputs have different scales and no quantizer follows it: at a common scale they "
                            f"need {bits}-bit integers, over the {COMMON_SCALE_MAX_BITS} a DSP input takes; quantize "
                            f"its output (e.g. a QuantIdentity after it)")
        return ir.QType(bits=bits, signed=signed, zero_point=0, scale=scale, lo=lo, hi=hi)

    def _emit_concat(self, node, shape, acts, qtype, requants, nodes) -> QAct:
        """Append the Concat layer over `acts` with one requantization (or None) per input; returns its QAct."""
        layer = ir.Concat(name=node.name or node.output[0], inputs=[a.producer for a in acts], out_shape=shape,
                          out_type=qtype, source=[node.name] + nodes, requant=requants)
        self.layers.append(layer)
        return QAct(layer.name, qtype, shape)

    def op_Add(self, node, a, b):
        """Residual (bypass) add of two same-shaped quantized activations, pending its quantizer (or, read without
        one, `exact`: the integer sum of exact multiples at a common scale)."""
        a, b = self._read(a), self._read(b)
        if not (isinstance(a, QAct) and isinstance(b, QAct)) or a.pooled or b.pooled:
            self.fail(node, "residual add inputs must both be quantized activations")
        if a.shape != b.shape:
            self.fail(node, f"residual add of shapes {a.shape} and {b.shape}")

        def emit(qtype, relu, nodes):
            """Append the Add: each input scaled by a fixed-point multiplier, both sharing one shift.

            The shift is chosen for the larger of the two scale ratios; the output type clamps at zero under a ReLU.
            """
            ra, rb = a.qtype.scale / qtype.scale, b.qtype.scale / qtype.scale
            _, shift = fixed_point(max(ra, rb), node.name)
            t = ir.QType(**{**qtype.__dict__, "lo": max(qtype.lo, qtype.zero_point) if relu else qtype.lo})
            layer = ir.Add(name=node.name or node.output[0], inputs=[a.producer, b.producer], out_shape=a.shape,
                           out_type=t, source=[node.name] + nodes,
                           multiplier=[round(ra * 2.0**shift), round(rb * 2.0**shift)], shift=shift)
            self.layers.append(layer)
            return QAct(layer.name, t, a.shape)

        @functools.cache
        def exact():
            """K_a * (a - z_a) + K_b * (b - z_b) at their common scale (common_scale), shift 0: no rounding."""
            scale, ks, _ = common_scale([a.qtype.scale, b.qtype.scale])
            t = self._multiples_type(node, scale, list(zip(ks, (a.qtype, b.qtype))), pending.relu)
            layer = ir.Add(name=node.name or node.output[0], inputs=[a.producer, b.producer], out_shape=a.shape,
                           out_type=t, source=[node.name], multiplier=ks, shift=0)
            self.layers.append(layer)
            return QAct(layer.name, t, a.shape)

        pending = Pending(a.shape, emit, exact=exact)
        return pending

    def op_GlobalAveragePool(self, node, x):
        """Global average pool of a quantized activation, pending its quantizer."""
        x = self._read(x)
        if not isinstance(x, QAct) or x.pooled:
            self.fail(node, "global pooling input must be a quantized activation")
        return self._pending_gap(node, x)

    def op_AveragePool(self, node, x):
        """An AveragePool whose kernel covers the whole unpadded feature map, lowered as a global pool."""
        x = self._read(x)
        kernel = list(self._attr(node, "kernel_shape", []))
        if not isinstance(x, QAct) or kernel != x.shape[1:] or any(self._attr(node, "pads", [0, 0, 0, 0])):
            self.fail(node, "only average pooling over the whole feature map (global pooling) is supported")
        return self._pending_gap(node, x)

    def op_ReduceMean(self, node, x, axes=None):
        """A mean over height and width with keepdims=1, lowered as a global pool."""
        x = self._read(x)
        axes = sorted(a % 4 for a in (axes.value.tolist() if isinstance(axes, Const) else self._attr(node, "axes", [])))
        if not isinstance(x, QAct) or axes != [2, 3]:
            self.fail(node, "only a mean over height and width (global pooling) is supported")
        if not self._attr(node, "keepdims", 1):
            self.fail(node, "ReduceMean with keepdims=0 is not supported")
        return self._pending_gap(node, x)

    def _pending_gap(self, node, x: QAct) -> Pending:
        """Global pool awaiting its quantizer, or left unquantized (float_output) when it ends the network."""
        pixels = x.shape[1] * x.shape[2]
        shape = [x.shape[0], 1, 1]

        def make(requant, out_type, nodes):
            """Append the GlobalAvgPool layer with `requant` (None: keep the channel sums); returns its pooled QAct."""
            layer = ir.GlobalAvgPool(name=node.name or node.output[0], inputs=[x.producer], out_shape=shape,
                                     out_type=out_type, source=[node.name] + nodes, requant=requant)
            self.layers.append(layer)
            return QAct(layer.name, out_type, shape, pooled=True)

        def emit(qtype, relu, nodes):
            """Requantize the channel sums into `qtype`, with the division by the pixel count in the ratio."""
            return make(self._requant(np.array([x.qtype.scale / (pixels * qtype.scale)]), qtype, relu, node.name),
                        qtype, nodes)

        def float_output():
            """Emit the pool unrequantized: exact signed channel sums, typed with scale = input scale / pixels."""
            # Unquantized average: the sum is exact and argmax-equivalent; its real value is sum * scale / pixels.
            span = max(abs(x.qtype.lo - x.qtype.zero_point), abs(x.qtype.hi - x.qtype.zero_point)) * pixels
            bits = span.bit_length() + 1
            out_type = ir.QType(bits=bits, signed=True, zero_point=0, scale=x.qtype.scale / pixels,
                                lo=-(1 << (bits - 1)), hi=(1 << (bits - 1)) - 1)
            return make(None, out_type, [])

        return Pending(shape, emit, pooled=True, float_output=float_output)

    def _shape_only(self, node, x, *rest):
        """Pass the pooled output through a Flatten, Reshape, Squeeze, Identity or Dropout.

        Identity and Dropout also pass any activation, quantized constant or pending value through.
        """
        if isinstance(x, (QAct, Pending)) and x.pooled:
            return x
        if isinstance(x, (QAct, QConst, Pending)) and node.op_type in PASS_THROUGH:
            return x
        self.fail(node, "reshaping is only supported on the globally pooled output")

    op_Flatten = op_Reshape = op_Squeeze = op_Identity = op_Dropout = _shape_only

    def op_Softmax(self, node, x):
        """Drop a Softmax (or LogSoftmax) that ends the network on the pooled output; the host applies it."""
        # Softmax is monotonic: the accelerator returns logits and the host computes probabilities.
        if isinstance(x, (QAct, Pending)) and x.pooled and self._only_quantizers_to_output(node.output[0]):
            return Softmaxed(x)
        self.fail(node, "Softmax is only supported as the network's last operation (quantizers and reshapes may "
                        "follow it)")

    def _only_quantizers_to_output(self, tensor: str) -> bool:
        """Whether `tensor` reaches the graph output through quantizers, reshapes and pass-throughs only."""
        while tensor != self.graph.output[0].name:
            users = [n for n in self.nodes if tensor in n.input]
            if len(users) != 1 or users[0].op_type not in AFTER_SOFTMAX:
                return False
            tensor = users[0].output[0]
        return True

    op_LogSoftmax = op_Softmax

    @staticmethod
    def _attr(node, name, default):
        """The value of `node`'s attribute `name`, or `default` when it is absent."""
        from onnx import helper

        for a in node.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default


def lower(loaded: LoadedModel):
    """Lower the loaded model to IR; returns (layers, arrays, input QType, output layer name)."""
    return Lowering(loaded).run()
