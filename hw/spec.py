"""The shared hardware description: stream formats and arithmetic widths, defined once.

The compiler's generators, the C and RTL testbenches and the host driver all read these values (the host through
the manifest the compiler writes from them), so a change here changes every side at once.
"""

# The accelerator's top-level name: the HLS top function and the Verilog top module (the exported IP's name).
TOP = "squeezeflow_top"

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


# How an MVAU's SIMD x PE multiplications map onto the fabric (the planner picks one per layer; the kernels take
# its index as their MAC parameter):
# - "dsp": one DSP multiplier per weight x activation product;
# - "dsp_packed": two output channels (PE rows 2i and 2i+1) share one DSP multiplier per SIMD lane: the multiplier
#   computes x * (w[2i+1] * 2**PACK_SHIFT + w[2i]); the SIMD lanes' products are summed in that packed form and the
#   two dot products split apart once per tile (low field sign-extended from PACK_SHIFT bits, the high field is the
#   rest). PE must be even and the packed operand must fit the DSP's wide port (pack_shift);
# - "lut": shift-and-add multipliers in LUTs, no DSP.
MAC_IMPLS = ("dsp", "dsp_packed", "lut")

# The widest stream word (lanes x bits) a kernel may read or write: Vitis HLS's ap_uint limit (AP_INT_MAX_W may be
# raised to 4096 at most; hw/hls/sf_common.h sets it), so the planner keeps every SIMD and PE within it.
MAX_WORD_BITS = 4096

# Where a convolution's weights live (sf_mvau WEIGHT_STORAGE indexes this): on chip in block RAM or distributed (LUT)
# ROM (HLS BIND_STORAGE impl), or "ddr": streamed from DDR once per frame into the accelerator's WEIGHTS_PORT, the
# layer computing neuron fold by neuron fold (sf_mvau_streamed). Not UltraRAM: it has no initial contents in a
# bitstream.
WEIGHT_STORAGES = ("bram", "lutram", "ddr")
ON_CHIP_WEIGHT_STORAGES = WEIGHT_STORAGES[:2]

# Weights streamed from DDR (the layers with weight_storage "ddr", at most one per network: one DMA feeds the port):
# per frame, the layer's NF * SF weight tiles in order (tile nf * SF + sf: output channels nf*PE .. nf*PE+PE-1 by
# input vector positions sf*SIMD .. sf*SIMD+SIMD-1; positions past the fan-in are zero weights), weight (pe, s) of a
# tile in bits [(pe*SIMD + s) * W, ...) as a W-bit two's complement integer, each tile padded to whole
# AXI_STREAM_BITS beats (little-endian limbs, zero pad).
# TLAST marks a frame's last beat. The host writes this image once to a DDR buffer and replays it every frame.
WEIGHTS_PORT = "weights"


def weight_tile_beats(pe: int, simd: int, weight_bits: int) -> int:
    """AXI beats per streamed weight tile."""
    return -(-pe * simd * weight_bits // AXI_STREAM_BITS)


def requant_units(pe: int, sf: int) -> int:
    """Requantizers an MVAU shares among its PE output channels: a pixel's PE accumulators are complete once every
    SF cycles, so ceil(PE / SF) units, each taking ceil(PE / units) of them in turn, keep up (sf_mvau.v)."""
    return -(-pe // sf)


# Multiplier ports (signed bits) of the DSP slice of a device family: (wide port, narrow port).
DSP_PORTS = {"DSP48E2": (27, 18), "DSP48E1": (25, 18)}


def pack_shift(in_bits: int, in_signed: bool, weight_bits: int, simd: int) -> int:
    """Bits of the low field of a packed dot product: a signed sum of `simd` products of an activation and a weight
    never overflows it, so the high field is recovered exactly."""
    largest = (1 << (in_bits - 1 if in_signed else in_bits)) * (1 << (weight_bits - 1))
    return (simd * largest).bit_length() + 1


def packs(in_bits: int, in_signed: bool, weight_bits: int, simd: int, dsp: str) -> bool:
    """Whether two weights of `simd`-lane tiles pack into one multiplier of a `dsp` slice."""
    wide, narrow = DSP_PORTS[dsp]
    return (pack_shift(in_bits, in_signed, weight_bits, simd) + weight_bits + 1 <= wide
            and in_bits + (not in_signed) <= narrow)
