// sf_adder_tree.v: the sum of N signed W-bit terms as a binary tree of adders, one register stage per level, for
// sf_mvau's dot products. Not a stream: the stages advance together while `en` is high, as the MVAU's pipeline does.
//
//   sum = terms[0] + ... + terms[N-1], LEVELS = ceil(log2 N) cycles after the terms (combinational for N = 1).
// GROW = 1: level k's adders are W + k bits wide, so the sum is exact in W + LEVELS bits. GROW = 0: every level
// is W bits, the sum modulo 2**W (the packed dot products, whose fields wrap by design).
// Why a tree and not one expression: yosys turns an N-term sum into a single multi-operand adder (its $macc) and
// maps that to about 60 LUTs per term, against about 15 for two-input carry-chain adders; the registers between the
// levels are what a 250 MHz clock needs anyway.
`default_nettype none
module sf_adder_tree #(
    parameter integer N = 2,
    parameter integer W = 16,
    parameter integer GROW = 1,
    parameter integer LEVELS = N > 1 ? $clog2(N) : 0,
    parameter integer SW = W + GROW * LEVELS
) (
    input  wire             ap_clk,
    input  wire             en,
    input  wire [N*W-1:0]   terms,
    output wire [SW-1:0]    sum
);
    initial if (N < 1 || W < 1) $fatal(1, "sf_adder_tree: N, W = %0d, %0d, must be >= 1", N, W);
    genvar k, i;
    generate
        for (k = 0; k <= LEVELS; k = k + 1) begin : level
            localparam integer NK = (N + (1 << k) - 1) >> k;  // nodes at level k
            localparam integer WK = W + GROW * k;
            wire [NK*WK-1:0] nodes;
            if (k == 0) begin : leaves
                assign nodes = terms;
            end else begin : adders
                localparam integer NB = (N + (1 << (k - 1)) - 1) >> (k - 1);  // nodes at level k - 1
                localparam integer WB = W + GROW * (k - 1);
                reg [NK*WK-1:0] r;
                for (i = 0; i < NK; i = i + 1) begin : node
                    wire signed [WB-1:0] a = level[k-1].nodes[2*i*WB+:WB];
                    if (2 * i + 1 < NB) begin : pair
                        wire signed [WB-1:0] b = level[k-1].nodes[(2*i+1)*WB+:WB];
                        always @(posedge ap_clk) if (en) r[i*WK+:WK] <= a + b;
                    end else begin : odd  // an odd node count passes the last node through
                        always @(posedge ap_clk) if (en) r[i*WK+:WK] <= a;
                    end
                end
                assign nodes = r;
            end
        end
    endgenerate
    assign sum = level[LEVELS].nodes;
endmodule
`default_nettype wire
