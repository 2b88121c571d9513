// sf_round_clamp.v: the rounding and clamping half of compiler/ir.py's requant, shared by sf_mvau, sf_requant and
// sf_add (combinational; no stream).
//
//   y = clamp(round_half_even(p / 2**(SHIFT_BASE + shift)) + ZP, LO, HI), returned in OUT_BITS two's complement bits.
// p is a P-bit signed product; the compiler makes P >= SHIFT_BASE + shift + 2 so that the unit and the remainder
// are representable (as sf_common.h's round_shift requires). SHIFT_BASE is the layer's least shift (a constant),
// `shift` the channel's excess over it, so the barrel shifter spans only the channels' spread: rounding needs of
// the SHIFT_BASE bits cut off in any case only the highest (half) and whether any other is set (sticky), so they
// shrink to those two bits and the general rounding below runs on P - SHIFT_BASE + 2 bits, shifted 2 more.
`default_nettype none
module sf_round_clamp #(
    parameter integer P = 32,
    parameter integer SHIFT_BITS = 5,
    parameter integer SHIFT_BASE = 0,
    parameter integer OUT_BITS = 8,
    parameter integer ZP = 0,
    parameter integer LO = 0,
    parameter integer HI = 255
) (
    input  wire signed [P-1:0]          p,
    input  wire        [SHIFT_BITS-1:0] shift,
    output wire        [OUT_BITS-1:0]   y
);
    localparam integer K = SHIFT_BASE < 2 ? SHIFT_BASE : 2;  // the cut-off bits kept: half, sticky
    localparam integer Q = P - SHIFT_BASE + K;  // what the rounding sees
    // Wide enough for q + 1 and for the 32-bit LO/HI/ZP integers.
    localparam integer RW = Q + 1 > 34 ? Q + 1 : 34;
    localparam [Q-1:0] ONE = 1;
    initial if (OUT_BITS < 1 || SHIFT_BITS < 1 || SHIFT_BASE < 0)
        $fatal(1, "sf_round_clamp: OUT_BITS, SHIFT_BITS = %0d, %0d, must be >= 1, SHIFT_BASE = %0d >= 0",
               OUT_BITS, SHIFT_BITS, SHIFT_BASE);
    initial if (P < SHIFT_BASE + 2)
        $fatal(1, "sf_round_clamp: P = %0d, must be >= SHIFT_BASE + 2 = %0d", P, SHIFT_BASE + 2);
    // y is the clamped value's low OUT_BITS bits: [LO, HI] must hold OUT_BITS-bit integers, unsigned or signed.
    initial if (LO > HI || !(LO >= 0 && (HI >>> OUT_BITS) == 0 ||
                             (LO >>> (OUT_BITS - 1)) >= -1 && (HI >>> (OUT_BITS - 1)) <= 0))
        $fatal(1, "sf_round_clamp: LO, HI = %0d, %0d, not a range of OUT_BITS = %0d bits", LO, HI, OUT_BITS);

    wire signed [Q-1:0] q;
    generate
        if (SHIFT_BASE >= 2) begin : g_cut
            assign q = {p[P-1:SHIFT_BASE], p[SHIFT_BASE-1], |p[SHIFT_BASE-2:0]};
        end else begin : g_whole
            assign q = p;
        end
    endgenerate
    // a shift by K + shift, the constant part apart so that the barrel shifter has SHIFT_BITS stages
    wire signed [Q-1:0] floor = (q >>> K) >>> shift;
    wire [Q-1:0] unit = (ONE << K) << shift;
    wire [Q-1:0] rem = q & (unit - ONE);
    wire [Q-1:0] half = unit >> 1;
    wire up = (K != 0 || shift != 0) && (rem > half || (rem == half && floor[0]));
    wire signed [RW-1:0] r = floor + $signed({1'b0, up}) + ZP;
    wire signed [RW-1:0] c = r < LO ? LO : r > HI ? HI : r;
    assign y = c[OUT_BITS-1:0];
endmodule
`default_nettype wire
