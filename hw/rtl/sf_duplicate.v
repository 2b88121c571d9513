// sf_duplicate.v: stream duplicator, for a layer output with two consumers (a squeeze feeding both expands, a Fire
// input feeding the squeeze and the bypass add). Twin of hw/hls/sf_duplicate.h.
//
// Stream contract, per frame: in: WORDS words of WIDTH bits; out0, out1: the same words each.
// Each output has its own register, so one consumer may take a word a cycle before the other; a new word is taken
// only when both registers are free (or being emptied).
`default_nettype none
module sf_duplicate #(
    parameter integer WIDTH = 8
) (
    input  wire             ap_clk,
    input  wire             ap_rst_n,
    input  wire [WIDTH-1:0] in_tdata,
    input  wire             in_tvalid,
    output wire             in_tready,
    output reg  [WIDTH-1:0] out0_tdata,
    output reg              out0_tvalid,
    input  wire             out0_tready,
    output reg  [WIDTH-1:0] out1_tdata,
    output reg              out1_tvalid,
    input  wire             out1_tready
);
    initial if (WIDTH < 1) $fatal(1, "sf_duplicate: WIDTH = %0d, must be >= 1", WIDTH);

    assign in_tready = (!out0_tvalid || out0_tready) && (!out1_tvalid || out1_tready);
    wire take = in_tvalid && in_tready;

    always @(posedge ap_clk) begin
        if (take) begin
            out0_tdata <= in_tdata;
            out1_tdata <= in_tdata;
        end
        if (!ap_rst_n) begin
            out0_tvalid <= 1'b0;
            out1_tvalid <= 1'b0;
        end else begin
            if (take) out0_tvalid <= 1'b1;
            else if (out0_tready) out0_tvalid <= 1'b0;
            if (take) out1_tvalid <= 1'b1;
            else if (out1_tready) out1_tvalid <= 1'b0;
        end
    end
endmodule
`default_nettype wire
