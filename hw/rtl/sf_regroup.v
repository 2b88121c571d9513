// sf_regroup.v: data-width converter between two groupings of a pixel's channels. Twin of hw/hls/sf_regroup.h.
//
// Stream contract, per frame:
//   in : words of IN_LANES lanes of BITS bits, in blocks (pixels) of BLOCK_WORDS words.
//   out: each block's lanes in the same order, OUT_LANES per word (lane i of a word in bits [i*BITS, (i+1)*BITS),
//        lowest first, hw/spec.py); gathered into wider words, a block whose lanes do not fill its last word has that
//        word's upper lanes zero (a windowed convolution's fan-in padded to whole SIMD words).
// One of IN_LANES, OUT_LANES divides the other (the compiler chains two converters through their gcd otherwise).
// BLOCK_WORDS 0 (or a multiple of the gather ratio) means no padding: a word never straddles two pixels and no
// per-frame state is needed. Padding costs a block counter; its zero fill takes a cycle per word it stands for.
`default_nettype none
module sf_regroup #(
    parameter integer BITS = 8,
    parameter integer IN_LANES = 1,
    parameter integer OUT_LANES = 1,
    parameter integer BLOCK_WORDS = 0
) (
    input  wire                      ap_clk,
    input  wire                      ap_rst_n,
    input  wire [IN_LANES*BITS-1:0]  in_tdata,
    input  wire                      in_tvalid,
    output wire                      in_tready,
    output wire [OUT_LANES*BITS-1:0] out_tdata,
    output wire                      out_tvalid,
    input  wire                      out_tready
);
    localparam integer IW = IN_LANES * BITS, OW = OUT_LANES * BITS;
    initial if (BITS < 1 || IN_LANES < 1 || OUT_LANES < 1 || BLOCK_WORDS < 0)
        $fatal(1, "sf_regroup: BITS, IN_LANES, OUT_LANES = %0d, %0d, %0d, must be >= 1, BLOCK_WORDS = %0d >= 0",
               BITS, IN_LANES, OUT_LANES, BLOCK_WORDS);
    initial if (IN_LANES % OUT_LANES != 0 && OUT_LANES % IN_LANES != 0)
        $fatal(1, "sf_regroup: IN_LANES = %0d, OUT_LANES = %0d: one must divide the other", IN_LANES, OUT_LANES);

    generate
        if (IN_LANES == OUT_LANES) begin : g_same
            assign out_tdata = in_tdata;
            assign out_tvalid = in_tvalid;
            assign in_tready = out_tready;
        end else if (IN_LANES > OUT_LANES) begin : g_split  // each input word becomes R output words
            localparam integer R = IN_LANES / OUT_LANES;
            localparam integer CW = $clog2(R + 1);
            reg [IW-1:0] held;  // the rest of the input word, next piece lowest
            reg [CW-1:0] left;  // pieces of it still to send
            wire last = left == 1 && out_tready;
            assign out_tvalid = left != 0;
            assign out_tdata = held[OW-1:0];
            assign in_tready = left == 0 || last;
            always @(posedge ap_clk) begin
                if (in_tvalid && in_tready) held <= in_tdata;
                else if (out_tvalid && out_tready) held <= held >> OW;
                if (!ap_rst_n) left <= 0;
                else if (in_tvalid && in_tready) left <= R[CW-1:0];
                else if (out_tvalid && out_tready) left <= left - 1'b1;
            end
        end else begin : g_gather  // R input words make one output word
            localparam integer R = OUT_LANES / IN_LANES;
            localparam integer CW = $clog2(R + 1);
            reg [OW-IW-1:0] low;  // the R - 1 words received so far, the first lowest
            reg [CW-1:0] n;
            reg [OW-1:0] data;
            reg valid;
            wire fill;  // in a block's zero fill: a zero word stands in for an input word
            wire [IW-1:0] word = fill ? {IW{1'b0}} : in_tdata;
            wire completes = n == R - 1;
            wire ready = !completes || !valid || out_tready;
            wire take = (in_tvalid || fill) && ready;
            wire [OW-1:0] shifted = {word, low} >> IW;  // the newest word on top, the oldest dropped at the bottom
            assign in_tready = ready && !fill;
            assign out_tvalid = valid;
            assign out_tdata = data;
            if (BLOCK_WORDS % R == 0) begin : g_whole
                assign fill = 1'b0;
            end else begin : g_pad
                localparam integer SLOTS = (BLOCK_WORDS + R - 1) / R * R;
                reg [$clog2(SLOTS)-1:0] slot;
                assign fill = slot >= BLOCK_WORDS;
                always @(posedge ap_clk)
                    if (!ap_rst_n) slot <= 0;
                    else if (take) slot <= slot == SLOTS - 1 ? 0 : slot + 1'b1;
            end
            always @(posedge ap_clk) begin
                if (take) begin
                    if (completes) data <= {word, low};
                    else low <= shifted[OW-IW-1:0];
                end
                if (!ap_rst_n) begin
                    n <= 0;
                    valid <= 1'b0;
                end else begin
                    if (take) n <= completes ? {CW{1'b0}} : n + 1'b1;
                    if (take && completes) valid <= 1'b1;
                    else if (out_tready) valid <= 1'b0;
                end
            end
        end
    endgenerate
endmodule
`default_nettype wire
