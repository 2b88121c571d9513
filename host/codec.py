"""The accelerator's stream formats on the host side: input quantization, frame packing, logit unpacking.

Formats come from `squeezeflow.hw.spec` (the single hardware description), so the driver, the C testbench and the
RTL testbench pack bytes the same way. numpy only: this runs on the board.
"""
from __future__ import annotations

import numpy as np

from squeezeflow.hw import spec


def quantize_input(x: np.ndarray, scale: float, zero_point: int, lo: int, hi: int) -> np.ndarray:
    """Float CHW (or NCHW) tensor -> integers, exactly as ONNX QuantizeLinear: float32 division, round half to
    even, add the zero point, saturate."""
    q = np.rint(np.asarray(x, dtype=np.float32) / np.float32(scale)) + zero_point
    return np.clip(q, lo, hi).astype(np.int16)


def pack_frames(q: np.ndarray) -> np.ndarray:
    """Quantized NCHW (or CHW) input -> uint64 beats per frame, shape (N, beats): HWC byte order, see spec."""
    q = q[None] if q.ndim == 3 else q
    # Two's complement bytes whether the input type is signed or not.
    hwc = (np.ascontiguousarray(q.transpose(0, 2, 3, 1)).astype(np.int64) & 0xFF).astype(np.uint8)
    frame_bytes = hwc[0].size * spec.INPUT_BYTES_PER_VALUE
    beats = spec.stream_beats(frame_bytes)
    buf = np.zeros((q.shape[0], beats * spec.AXI_STREAM_BITS // 8), np.uint8)
    buf[:, :frame_bytes] = hwc.reshape(q.shape[0], -1)
    return buf.view("<u8")


def input_beats(input_shape) -> int:
    c, h, w = input_shape
    return spec.stream_beats(c * h * w * spec.INPUT_BYTES_PER_VALUE)


def output_beats(num_classes: int) -> int:
    return spec.stream_beats(num_classes * spec.OUTPUT_BYTES_PER_VALUE)


def unpack_logits(beats: np.ndarray, num_classes: int) -> np.ndarray:
    """uint64 output beats (N, beats) -> int32 logits (N, num_classes)."""
    beats = np.ascontiguousarray(beats, dtype="<u8").reshape(-1, output_beats(num_classes))
    return beats.view("<i4")[:, :num_classes].copy()
