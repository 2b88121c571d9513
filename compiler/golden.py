"""The integer golden model: executes the IR exactly as ir.py's arithmetic contract says.

It is the oracle for C simulation, RTL simulation and the driver's software backend. Tensors are int64 NCHW
batches. Convolutions run as float64 matrix products: every operand and partial sum is an integer below 2**53,
so BLAS computes them exactly, whatever its summation order, and far faster than numpy's integer matmul.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from squeezeflow.host.codec import quantize_input

from . import ir


def round_shift(p: np.ndarray, shift) -> np.ndarray:
    """round_half_even(p / 2**shift) for int64 p, shift >= 0 (scalar or broadcastable array)."""
    shift = np.asarray(shift, dtype=np.int64)
    floor = p >> shift
    rem = p - (floor << shift)
    half = np.where(shift > 0, np.int64(1) << np.maximum(shift - 1, 0), np.int64(1) << 62)
    up = (rem > half) | ((rem == half) & ((floor & 1) == 1))
    return floor + up


def requantize(acc: np.ndarray, rq: ir.Requant) -> np.ndarray:
    """Apply `rq` to an NCHW (or NC) accumulator, channel axis 1."""
    extra = (1,) * (acc.ndim - 2)
    mult = np.asarray(rq.multiplier, dtype=np.int64).reshape(1, -1, *extra)
    shift = np.asarray(rq.shift, dtype=np.int64).reshape(1, -1, *extra)
    offset = np.asarray(rq.offset or [0], dtype=np.int64).reshape(1, -1, *extra)
    y = round_shift(acc.astype(np.int64) * mult + offset, shift) + rq.zero_point
    return np.clip(y, rq.lo, rq.hi)


def _windows(x: np.ndarray, kernel, stride, pad, fill) -> np.ndarray:
    """(N, C, Ho, Wo, kh, kw) view of the k x k windows of `x`, padded with `fill`."""
    top, left, bottom, right = pad
    if any(pad):
        x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)
    win = sliding_window_view(x, tuple(kernel), axis=(2, 3))
    return win[:, :, :: stride[0], :: stride[1]]


def conv_acc(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, layer: ir.Conv) -> np.ndarray:
    """The exact integer accumulator (N, O, Ho, Wo) before requantization."""
    win = _windows(x, layer.kernel, layer.stride, layer.pad, layer.pad_value)
    n, c, ho, wo, kh, kw = win.shape
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw).astype(np.float64)
    acc = cols @ weight.reshape(weight.shape[0], -1).astype(np.float64).T
    acc = acc.reshape(n, ho, wo, -1).transpose(0, 3, 1, 2)
    return np.rint(acc).astype(np.int64) + bias.astype(np.int64).reshape(1, -1, 1, 1)


def maxpool(x: np.ndarray, layer: ir.MaxPool) -> np.ndarray:
    """Max pooling of an int64 NCHW batch: the max over each window's positions inside the input (ir.py's contract)."""
    h, w = x.shape[2:]
    _, ho, wo = layer.out_shape
    # Ceil-mode windows may hang over the bottom/right edge: pad with a value no integer input reaches.
    extra_h = max(0, (ho - 1) * layer.stride[0] + layer.kernel[0] - h - layer.pad[0])
    extra_w = max(0, (wo - 1) * layer.stride[1] + layer.kernel[1] - w - layer.pad[1])
    pad = [layer.pad[0], layer.pad[1], max(layer.pad[2], extra_h), max(layer.pad[3], extra_w)]
    win = _windows(x, layer.kernel, layer.stride, pad, np.iinfo(np.int64).min)
    return win.max(axis=(4, 5))[:, :, :ho, :wo]


def concat(xs: list[np.ndarray], layer: ir.Concat, in_zps: list[int]) -> np.ndarray:
    """Channel concatenation of `xs`, each requantized into the output type (less its zero point, `in_zps`) where
    the layer has a requant for it, else passed through."""
    parts = [x if rq is None else requantize(x - zp, rq) for x, rq, zp in zip(xs, layer.requant, in_zps)]
    return np.concatenate(parts, axis=1)


def add(a: np.ndarray, b: np.ndarray, layer: ir.Add, in_zps: list[int]) -> np.ndarray:
    """The bypass add of ir.py's contract: both inputs less their zero points, scaled, rounded once, clamped."""
    (ma, mb), (za, zb) = layer.multiplier, in_zps
    s = ma * (a - za) + mb * (b - zb)
    t = layer.out_type
    return np.clip(round_shift(s, layer.shift) + t.zero_point, t.lo, t.hi)


def gap(x: np.ndarray, layer: ir.GlobalAvgPool, in_zero_point: int) -> np.ndarray:
    """Global pooling: the per-channel sum of `x` less its zero point, (N, C), requantized when the layer says so."""
    s = (x - in_zero_point).sum(axis=(2, 3))
    return s if layer.requant is None else requantize(s, layer.requant)


class Golden:
    """Runs a compiled network on quantized input batches."""

    def __init__(self, net: ir.Network, arrays: dict[str, np.ndarray]):
        self.net = net
        self.arrays = arrays

    def run(self, x: np.ndarray, taps: bool = False):
        """`x`: int NCHW (or CHW) quantized input. Returns int64 logits (N, classes), or every layer's output."""
        if x.ndim == 3:
            x = x[None]
        if list(x.shape[1:]) != self.net.input_shape:
            raise ValueError(f"input shape {list(x.shape[1:])} is not the network's {self.net.input_shape}")
        values = {ir.NETWORK_INPUT: x.astype(np.int64)}
        for layer in self.net.layers:
            ins = [values[name] for name in layer.inputs]
            values[layer.name] = self.execute(layer, ins)
        if taps:
            return values
        out = values[self.net.output]
        return out.reshape(out.shape[0], -1)

    def execute(self, layer: ir.Layer, ins: list[np.ndarray]) -> np.ndarray:
        """One layer's output from its inputs' (int64 NCHW)."""
        in_zps = [self.net.type_of(name).zero_point for name in layer.inputs]
        if isinstance(layer, ir.Conv):
            acc = conv_acc(ins[0], self.arrays[f"{layer.name}.weight"], self.arrays[f"{layer.name}.bias"], layer)
            return requantize(acc, layer.requant)
        if isinstance(layer, ir.MaxPool):
            return maxpool(ins[0], layer)
        if isinstance(layer, ir.Concat):
            return concat(ins, layer, in_zps)
        if isinstance(layer, ir.Add):
            return add(ins[0], ins[1], layer, in_zps)
        if isinstance(layer, ir.GlobalAvgPool):
            return gap(ins[0], layer, in_zps[0])
        raise TypeError(f"no golden implementation for layer kind {layer.kind}")


def input_quantizer(net):
    """float NCHW batch -> the network's integer input, as the host driver quantizes it."""
    t = net.input_type
    return lambda x: quantize_input(x, t.scale, t.zero_point, t.lo, t.hi)


def golden_classifier(net, arrays):
    """float NCHW batch -> int64 logits (N, classes): quantized as the host driver does, then the golden model."""
    golden, quantize = Golden(net, arrays), input_quantizer(net)
    return lambda x: golden.run(quantize(x))
