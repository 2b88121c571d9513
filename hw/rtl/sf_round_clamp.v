// sf_round_clamp.v: the rounding and clamping half of compiler/ir.py's requant, shared by sf_mvau, sf_requant and
// sf_add (combinational; no stream).
//
//   y = clamp(round_half_even(p / 2**shift) + ZP, LO, HI), returned in OUT_BITS two's complement bits.
// p is a P-bit signed product; the compiler makes P >= shift + 2 so that 2**shift and the remainder are
// representable (as sf_common.h's round_shift requires).
module sf_round_clamp #(
    parameter integer P = 32,
    parameter integer SHIFT_BITS = 5,
    parameter integer OUT_BITS = 8,
    parameter integer ZP = 0,
    parameter integer LO = 0,
    parameter integer HI = 255
) (
    input  wire signed [P-1:0]          p,
    input  wire        [SHIFT_BITS-1:0] shift,
    output wire        [OUT_BITS-1:0]   y
);
    // Wide enough for p + 1 and for the 32-bit LO/HI/ZP integers.
    localparam integer RW = P + 1 > 34 ? P + 1 : 34;
    localparam [P-1:0] ONE = 1;

    wire signed [P-1:0] floor = p >>> shift;
    wire [P-1:0] unit = ONE << shift;
    wire [P-1:0] rem = p & (unit - ONE);
    wire [P-1:0] half = unit >> 1;
    wire up = shift != 0 && (rem > half || (rem == half && floor[0]));
    wire signed [RW-1:0] r = floor + $signed({1'b0, up}) + ZP;
    wire signed [RW-1:0] c = r < LO ? LO : r > HI ? HI : r;
    assign y = c[OUT_BITS-1:0];
endmodule
