// sf_fifo.v: the FIFO between two kernels (the RTL twin of sf::stream and its `#pragma HLS STREAM depth`).
//
// Stream contract: out carries the words of in, in order. It holds up to DEPTH + 1 words: DEPTH in the memory plus
// one in the output register, so it is never shallower than the depth the compiler chose (emit_hls.py's rule).
// in_tready depends only on the fill level and out_tvalid only on the output register: a FIFO cuts every
// combinational path between its producer and its consumer.
// The memory is read synchronously into the output register, so the tools may map it to BRAM or to LUTRAM.
`default_nettype none
module sf_fifo #(
    parameter integer WIDTH = 8,
    parameter integer DEPTH = 2
) (
    input  wire             ap_clk,
    input  wire             ap_rst_n,
    input  wire [WIDTH-1:0] in_tdata,
    input  wire             in_tvalid,
    output wire             in_tready,
    output reg  [WIDTH-1:0] out_tdata,
    output reg              out_tvalid,
    input  wire             out_tready
);
    localparam integer AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam [AW-1:0] LAST = DEPTH - 1;
    initial if (WIDTH < 1) $fatal(1, "sf_fifo: WIDTH = %0d, must be >= 1", WIDTH);
    // in_tready depends only on the fill level, so one word of memory moves a word every other cycle
    // (compiler/dataflow/fifo.py MIN_DEPTH)
    initial if (DEPTH < 2) $fatal(1, "sf_fifo: DEPTH = %0d, must be >= 2", DEPTH);

    reg [WIDTH-1:0] mem[0:DEPTH-1];
    reg [AW-1:0] wr, rd;
    reg [AW:0] count;
    wire push = in_tvalid && in_tready;
    wire pop = count != 0 && (!out_tvalid || out_tready);
    assign in_tready = count != DEPTH[AW:0];

    always @(posedge ap_clk) begin
        if (push) mem[wr] <= in_tdata;
        if (pop) out_tdata <= mem[rd];
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr <= 0;
            rd <= 0;
            count <= 0;
            out_tvalid <= 1'b0;
        end else begin
            if (push) wr <= wr == LAST ? {AW{1'b0}} : wr + 1'b1;
            if (pop) rd <= rd == LAST ? {AW{1'b0}} : rd + 1'b1;
            if (push && !pop) count <= count + 1'b1;
            else if (pop && !push) count <= count - 1'b1;
            if (pop) out_tvalid <= 1'b1;
            else if (out_tready) out_tvalid <= 1'b0;
        end
    end
endmodule
`default_nettype wire
