"""The shared hardware description: stream formats and arithmetic widths, defined once.

The compiler's generators, the C and RTL testbenches and the host driver all read these values (the host through
the manifest the compiler writes from them), so a change here changes every side at once.
"""

# AXI4-Stream data width of the accelerator's input and output ports (what the AXI DMA moves per beat).
AXI_STREAM_BITS = 64

# Input stream: pixels in row-major (H, then W) order, channels innermost, one byte per channel value
# (the input quantizer's integer, two's complement when signed), bytes packed little-endian into beats:
# byte k of the frame sits in bits [8*(k % 8), 8*(k % 8) + 8) of beat k // 8. TLAST marks a frame's last beat.
INPUT_BYTES_PER_VALUE = 1

# Output stream: one little-endian int32 logit per class in class order, packed two per 64-bit beat
# (class 2i in bits [0, 32), class 2i+1 in bits [32, 64)); TLAST on the last beat of the frame.
OUTPUT_BYTES_PER_VALUE = 4

# Requantization multipliers are unsigned fixed-point numbers of this many significant bits:
# y = round_half_even(acc * multiplier / 2**shift). 24 bits keep the error below 1.5e-5 LSB for 8-bit outputs,
# so the golden model matches onnxruntime except at exact rounding ties.
REQUANT_MULT_BITS = 24

# Internal streams carry one pixel's channels in groups ("fold"): a beat holds `simd` or `pe` channel values,
# channel c of the group in bits [c * bits, (c + 1) * bits), lowest channel first.
VALUES_LOW_CHANNEL_FIRST = True


def stream_beats(total_bytes: int) -> int:
    """Beats of AXI_STREAM_BITS needed for `total_bytes` bytes (the last beat zero-padded)."""
    per_beat = AXI_STREAM_BITS // 8
    return -(-total_bytes // per_beat)
