// sf_concat.v: channel concatenation (a Fire module's expand1x1 || expand3x3). Twin of hw/hls/sf_concat.h.
//
// Stream contract, per frame:
//   a  : PIXELS * CGA words of WIDTH bits (the first input's channels, CGA words per pixel).
//   b  : PIXELS * CGB words.
//   out: PIXELS * (CGA + CGB) words: each pixel's CGA words of a, then its CGB words of b.
// Both inputs carry the output's type and grouping: an input the IR requantizes goes through sf_requant first, a
// regrouped one through sf_regroup (compiler/dataflow/graph.py builds that graph for both back ends).
`default_nettype none
module sf_concat #(
    parameter integer WIDTH = 8,
    parameter integer CGA = 1,
    parameter integer CGB = 1
) (
    input  wire             ap_clk,
    input  wire             ap_rst_n,
    input  wire [WIDTH-1:0] a_tdata,
    input  wire             a_tvalid,
    output wire             a_tready,
    input  wire [WIDTH-1:0] b_tdata,
    input  wire             b_tvalid,
    output wire             b_tready,
    output reg  [WIDTH-1:0] out_tdata,
    output reg              out_tvalid,
    input  wire             out_tready
);
    localparam integer JW = $clog2(CGA + CGB + 1);
    localparam [JW-1:0] LAST = CGA + CGB - 1;
    initial if (WIDTH < 1 || CGA < 1 || CGB < 1)
        $fatal(1, "sf_concat: WIDTH, CGA, CGB = %0d, %0d, %0d, must be >= 1", WIDTH, CGA, CGB);

    reg [JW-1:0] j;  // word of the pixel
    wire from_a = j < CGA;
    wire free = !out_tvalid || out_tready;
    assign a_tready = free && from_a;
    assign b_tready = free && !from_a;
    wire take = from_a ? a_tvalid && a_tready : b_tvalid && b_tready;

    always @(posedge ap_clk) begin
        if (take) out_tdata <= from_a ? a_tdata : b_tdata;
        if (!ap_rst_n) begin
            j <= 0;
            out_tvalid <= 1'b0;
        end else begin
            if (take) j <= j == LAST ? {JW{1'b0}} : j + 1'b1;
            if (take) out_tvalid <= 1'b1;
            else if (out_tready) out_tvalid <= 1'b0;
        end
    end
endmodule
`default_nettype wire
