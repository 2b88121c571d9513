// sf_maxpool.v: max pooling over the windows of an sf_window generator. Twin of hw/hls/sf_maxpool.h.
//
// Stream contract, per frame:
//   in : PIXELS * K * CG words of LANES lanes of BITS bits (signed if SIGNED): per output pixel its K window
//        positions, each as CG channel-group words (sf_window's order; padded positions hold the lane type's
//        minimum, so ceil-mode windows are clipped).
//   out: PIXELS * CG words: per output pixel and channel group, the lane-wise maximum over the K positions.
`default_nettype none
module sf_maxpool #(
    parameter integer LANES = 1,
    parameter integer BITS = 8,
    parameter integer SIGNED = 0,
    parameter integer K = 9,
    parameter integer CG = 1
) (
    input  wire                  ap_clk,
    input  wire                  ap_rst_n,
    input  wire [LANES*BITS-1:0] in_tdata,
    input  wire                  in_tvalid,
    output wire                  in_tready,
    output reg  [LANES*BITS-1:0] out_tdata,
    output reg                   out_tvalid,
    input  wire                  out_tready
);
    localparam integer WB = LANES * BITS;
    localparam integer KW = $clog2(K + 1), GW = $clog2(CG + 1);
    initial if (LANES < 1 || BITS < 1 || K < 1 || CG < 1)
        $fatal(1, "sf_maxpool: LANES, BITS, K, CG = %0d, %0d, %0d, %0d, must be >= 1", LANES, BITS, K, CG);
    initial if (SIGNED != 0 && BITS < 2) $fatal(1, "sf_maxpool: BITS = %0d, must be >= 2 when SIGNED", BITS);

    reg [WB-1:0] best[0:CG-1];  // running maximum of each channel group over the window so far
    reg [KW-1:0] k;
    reg [GW-1:0] cg;
    wire closes = k == K - 1;  // this word completes a window
    assign in_tready = !closes || !out_tvalid || out_tready;
    wire take = in_tvalid && in_tready;

    wire [WB-1:0] seen = best[cg];
    wire [WB-1:0] m;
    genvar l;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            wire [BITS-1:0] a = seen[l*BITS+:BITS], b = in_tdata[l*BITS+:BITS];
            // Offset binary compares two's complement lanes as unsigned ones.
            wire a_wins = SIGNED != 0 ? {~a[BITS-1], a[BITS-2:0]} > {~b[BITS-1], b[BITS-2:0]} : a > b;
            assign m[l*BITS+:BITS] = k != 0 && a_wins ? a : b;
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (take) begin
            if (closes) out_tdata <= m;
            else best[cg] <= m;
        end
        if (!ap_rst_n) begin
            k <= 0;
            cg <= 0;
            out_tvalid <= 1'b0;
        end else begin
            if (take) begin
                cg <= cg == CG - 1 ? {GW{1'b0}} : cg + 1'b1;
                if (cg == CG - 1) k <= closes ? {KW{1'b0}} : k + 1'b1;
            end
            if (take && closes) out_tvalid <= 1'b1;
            else if (out_tready) out_tvalid <= 1'b0;
        end
    end
endmodule
`default_nettype wire
