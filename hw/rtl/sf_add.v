// sf_add.v: residual add (a Fire module's identity bypass). Twin of hw/hls/sf_add.h.
//
// Stream contract, per frame:
//   a, b: WORDS words of LANES lanes (A_BITS / B_BITS bits, signed if A_SIGNED / B_SIGNED), the same channels and
//         grouping.
//   out : WORDS words of LANES lanes of OUT_BITS bits:
//         y = clamp(round_half_even((MA * (a - ZA) + MB * (b - ZB)) / 2**SHIFT) + ZP, LO, HI) (compiler/ir.py), the
//         sum formed in SUM_BITS (>= SHIFT + 2) bits.
// A word is taken from both inputs at once; the pipeline stalls as a whole while the output register is full.
`default_nettype none
module sf_add #(
    parameter integer LANES = 1,
    parameter integer A_BITS = 8,
    parameter integer A_SIGNED = 0,
    parameter integer B_BITS = 8,
    parameter integer B_SIGNED = 0,
    parameter integer OUT_BITS = 8,
    parameter integer MA = 1,
    parameter integer MB = 1,
    parameter integer ZA = 0,
    parameter integer ZB = 0,
    parameter integer SHIFT = 0,
    parameter integer ZP = 0,
    parameter integer LO = 0,
    parameter integer HI = 255,
    parameter integer SUM_BITS = 32
) (
    input  wire                      ap_clk,
    input  wire                      ap_rst_n,
    input  wire [LANES*A_BITS-1:0]   a_tdata,
    input  wire                      a_tvalid,
    output wire                      a_tready,
    input  wire [LANES*B_BITS-1:0]   b_tdata,
    input  wire                      b_tvalid,
    output wire                      b_tready,
    output reg  [LANES*OUT_BITS-1:0] out_tdata,
    output reg                       out_tvalid,
    input  wire                      out_tready
);
    localparam integer SHIFT_BITS = $clog2(SHIFT + 2);
    localparam [SHIFT_BITS-1:0] SHIFT_V = SHIFT;
    initial if (LANES < 1 || A_BITS < 1 || B_BITS < 1)
        $fatal(1, "sf_add: LANES, A_BITS, B_BITS = %0d, %0d, %0d, must be >= 1", LANES, A_BITS, B_BITS);
    // the rounding's unit 2**SHIFT and its remainder must be representable (sf_round_clamp, SHIFT_BASE 0 here)
    initial if (SHIFT < 0 || SUM_BITS < SHIFT + 2)
        $fatal(1, "sf_add: SHIFT = %0d, SUM_BITS = %0d, must be 0 <= SHIFT <= SUM_BITS - 2", SHIFT, SUM_BITS);

    wire en = !out_tvalid || out_tready;
    assign a_tready = en && b_tvalid;
    assign b_tready = en && a_tvalid;
    wire take = a_tvalid && b_tvalid && en;
    reg v1, v2;
    reg [LANES*A_BITS-1:0] a1;
    reg [LANES*B_BITS-1:0] b1;
    wire [LANES*OUT_BITS-1:0] ys;

    always @(posedge ap_clk) begin
        if (en) begin
            a1 <= a_tdata;
            b1 <= b_tdata;
            out_tdata <= ys;
        end
        if (!ap_rst_n) begin
            {v1, v2} <= 2'b0;
            out_tvalid <= 1'b0;
        end else if (en) begin
            v1 <= take;
            v2 <= v1;
            out_tvalid <= v2;
        end
    end

    genvar l;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            wire [A_BITS-1:0] a = a1[l*A_BITS+:A_BITS];
            wire [B_BITS-1:0] b = b1[l*B_BITS+:B_BITS];
            wire signed [SUM_BITS-1:0] ae = $signed({A_SIGNED != 0 && a[A_BITS-1], a});
            wire signed [SUM_BITS-1:0] be = $signed({B_SIGNED != 0 && b[B_BITS-1], b});
            wire signed [SUM_BITS-1:0] ma = MA, mb = MB, za = ZA, zb = ZB;
            reg signed [SUM_BITS-1:0] sum;
            always @(posedge ap_clk) if (en) sum <= ma * (ae - za) + mb * (be - zb);
            sf_round_clamp #(
                .P(SUM_BITS), .SHIFT_BITS(SHIFT_BITS), .OUT_BITS(OUT_BITS), .ZP(ZP), .LO(LO), .HI(HI)
            ) rq (
                .p(sum), .shift(SHIFT_V), .y(ys[l*OUT_BITS+:OUT_BITS])
            );
        end
    endgenerate
endmodule
`default_nettype wire
