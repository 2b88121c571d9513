// sf_requant.v: per-channel requantization of a stream (a concat input whose scale differs from the output's, or the
// quantized average after a global average pool). Twin of hw/hls/sf_requant.h.
//
// Stream contract, per frame:
//   in : WORDS words of LANES lanes of IN_BITS bits (signed if IN_SIGNED), each pixel's channels as CG consecutive
//        words.
//   out: WORDS words of LANES lanes of OUT_BITS bits:
//        y = clamp(round_half_even((x - ZP_IN) * mult / 2**(SHIFT_BASE + shift)) + ZP, LO, HI) with the multiplier
//        and shift of x's channel (compiler/ir.py).
// PARAM_FILE ($readmemh, compiler/kernels/requant.py): CG words, word g holds LANES fields of MULT_BITS +
// SHIFT_BITS bits, lowest lane first: the multiplier of channel g*LANES + l, then its shift beyond SHIFT_BASE
// (sf_round_clamp.v).
// Pipeline: read parameters -> product -> round and clamp into the output register, stalled as a whole while the
// output register is full.
`default_nettype none
module sf_requant #(
    parameter integer LANES = 1,
    parameter integer IN_BITS = 8,
    parameter integer IN_SIGNED = 0,
    parameter integer OUT_BITS = 8,
    parameter integer CG = 1,
    parameter integer ZP_IN = 0,
    parameter integer MULT_BITS = 24,
    parameter integer SHIFT_BITS = 6,
    parameter integer SHIFT_BASE = 0,
    parameter integer PRODUCT_BITS = IN_BITS + MULT_BITS + 2,  // >= shift + 2 as well
    parameter integer ZP = 0,
    parameter integer LO = 0,
    parameter integer HI = 255,
    parameter PARAM_FILE = "params.hex"
) (
    input  wire                      ap_clk,
    input  wire                      ap_rst_n,
    input  wire [LANES*IN_BITS-1:0]  in_tdata,
    input  wire                      in_tvalid,
    output wire                      in_tready,
    output reg  [LANES*OUT_BITS-1:0] out_tdata,
    output reg                       out_tvalid,
    input  wire                      out_tready
);
    localparam integer FW = MULT_BITS + SHIFT_BITS;
    localparam integer GW = CG > 1 ? $clog2(CG) : 1;
    initial if (LANES < 1 || IN_BITS < 1 || CG < 1 || MULT_BITS < 1)
        $fatal(1, "sf_requant: LANES, IN_BITS, CG, MULT_BITS = %0d, %0d, %0d, %0d, must be >= 1",
               LANES, IN_BITS, CG, MULT_BITS);
    // x - ZP_IN is formed in IN_BITS + 1 bits, and the product in PRODUCT_BITS.
    initial if (IN_SIGNED != 0 ? (ZP_IN >>> (IN_BITS - 1)) < -1 || (ZP_IN >>> (IN_BITS - 1)) > 0
                               : ZP_IN < 0 || (ZP_IN >>> IN_BITS) != 0)
        $fatal(1, "sf_requant: ZP_IN = %0d, not a value of the %0d-bit input", ZP_IN, IN_BITS);
    initial if (PRODUCT_BITS < IN_BITS + 1 + MULT_BITS)
        $fatal(1, "sf_requant: PRODUCT_BITS = %0d, must be >= IN_BITS + 1 + MULT_BITS = %0d", PRODUCT_BITS,
               IN_BITS + 1 + MULT_BITS);

    reg [LANES*FW-1:0] params[0:CG-1];
    initial $readmemh(PARAM_FILE, params);

    wire en = !out_tvalid || out_tready;
    assign in_tready = en;
    wire take = in_tvalid && in_tready;
    reg [GW-1:0] cg;
    reg v1, v2;
    reg [LANES*IN_BITS-1:0] x1;
    reg [LANES*FW-1:0] p1;
    wire [LANES*OUT_BITS-1:0] ys;

    always @(posedge ap_clk) begin
        if (en) begin
            x1 <= in_tdata;
            p1 <= params[cg];
            out_tdata <= ys;
        end
        if (!ap_rst_n) begin
            cg <= 0;
            {v1, v2} <= 2'b0;
            out_tvalid <= 1'b0;
        end else if (en) begin
            if (take) cg <= cg == CG - 1 ? {GW{1'b0}} : cg + 1'b1;
            v1 <= take;
            v2 <= v1;
            out_tvalid <= v2;
        end
    end

    genvar l;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            wire [IN_BITS-1:0] x = x1[l*IN_BITS+:IN_BITS];
            wire signed [IN_BITS:0] xe = {IN_SIGNED != 0 && x[IN_BITS-1], x};
            wire signed [IN_BITS:0] zp_in = ZP_IN;
            wire signed [IN_BITS:0] d = xe - zp_in;  // fits: x and ZP_IN share the input type's range
            wire [MULT_BITS-1:0] mult = p1[l*FW+:MULT_BITS];
            reg signed [IN_BITS+MULT_BITS+1:0] product;
            reg [SHIFT_BITS-1:0] shift;
            always @(posedge ap_clk) begin
                if (en) begin
                    product <= d * $signed({1'b0, mult});
                    shift <= p1[l*FW+MULT_BITS+:SHIFT_BITS];
                end
            end
            wire signed [PRODUCT_BITS-1:0] wide = product;
            sf_round_clamp #(
                .P(PRODUCT_BITS), .SHIFT_BITS(SHIFT_BITS), .SHIFT_BASE(SHIFT_BASE), .OUT_BITS(OUT_BITS), .ZP(ZP),
                .LO(LO), .HI(HI)
            ) rq (
                .p(wide), .shift(shift), .y(ys[l*OUT_BITS+:OUT_BITS])
            );
        end
    endgenerate
endmodule
`default_nettype wire
