// sf_gap.v: global average pool as a per-channel sum (its scale is folded into the next requant or the logits).
// Twin of hw/hls/sf_gap.h.
//
// Stream contract, per frame:
//   in : PIXELS * CG words of LANES lanes of IN_BITS bits (signed if IN_SIGNED): each pixel's channels as CG
//        consecutive words, or with CHANNEL_MAJOR by pixel group (GROUP consecutive pixels, the last group the
//        rest), each channel group's words of the group's pixels consecutively (from a streamed-weight sf_mvau).
//   out: CG words of LANES lanes of SUM_BITS bits: per channel, the sum over all pixels of (x - ZP) (compiler/ir.py).
//        An IR gap with a requant continues through sf_requant.
// The sums are written out after the frame's last input word; the next frame's input waits meanwhile (CG cycles).
`default_nettype none
module sf_gap #(
    parameter integer LANES = 1,
    parameter integer IN_BITS = 8,
    parameter integer IN_SIGNED = 0,
    parameter integer SUM_BITS = 16,
    parameter integer CG = 1,
    parameter integer PIXELS = 1,
    parameter integer GROUP = PIXELS,  // CHANNEL_MAJOR only
    parameter integer ZP = 0,
    parameter integer CHANNEL_MAJOR = 0
) (
    input  wire                      ap_clk,
    input  wire                      ap_rst_n,
    input  wire [LANES*IN_BITS-1:0]  in_tdata,
    input  wire                      in_tvalid,
    output wire                      in_tready,
    output reg  [LANES*SUM_BITS-1:0] out_tdata,
    output reg                       out_tvalid,
    input  wire                      out_tready
);
    localparam integer GW = $clog2(CG + 1), PW = $clog2(GROUP + 1);
    localparam integer GROUPS = (PIXELS + GROUP - 1) / GROUP, LAST = PIXELS - (GROUPS - 1) * GROUP;
    localparam integer NW = $clog2(GROUPS + 1);
    initial if (LANES < 1 || IN_BITS < 1 || SUM_BITS < 1 || CG < 1 || PIXELS < 1 || GROUP < 1)
        $fatal(1, "sf_gap: LANES, IN_BITS, SUM_BITS, CG, PIXELS, GROUP = %0d, %0d, %0d, %0d, %0d, %0d, must be >= 1",
               LANES, IN_BITS, SUM_BITS, CG, PIXELS, GROUP);

    reg [LANES*SUM_BITS-1:0] sums[0:CG-1];
    reg [GW-1:0] cg;
    reg [PW-1:0] pixel;  // within the group (pixel major: one group)
    reg [NW-1:0] group;
    wire [PW-1:0] last_pixel = group == GROUPS - 1 ? LAST - 1 : GROUP - 1;
    reg emitting;  // writing the sums out
    assign in_tready = !emitting;
    wire take = in_tvalid && in_tready;
    wire send = emitting && (!out_tvalid || out_tready);

    wire [LANES*SUM_BITS-1:0] prior = sums[cg];
    wire [LANES*SUM_BITS-1:0] after;
    genvar l;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            wire [IN_BITS-1:0] x = in_tdata[l*IN_BITS+:IN_BITS];
            wire signed [IN_BITS:0] xe = {IN_SIGNED != 0 && x[IN_BITS-1], x};
            wire signed [SUM_BITS-1:0] sum = group == 0 && pixel == 0 ? {SUM_BITS{1'b0}} : prior[l*SUM_BITS+:SUM_BITS];
            wire signed [SUM_BITS-1:0] zp = ZP;
            assign after[l*SUM_BITS+:SUM_BITS] = sum + xe - zp;
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (take) sums[cg] <= after;
        if (send) out_tdata <= prior;
        if (!ap_rst_n) begin
            cg <= 0;
            pixel <= 0;
            group <= 0;
            emitting <= 1'b0;
            out_tvalid <= 1'b0;
        end else begin
            // The input order's inner counter wraps into its outer one (channel major: then the group's); the sums
            // go out in channel group order.
            if (send || take && (CHANNEL_MAJOR == 0 || pixel == last_pixel))
                cg <= cg == CG - 1 ? {GW{1'b0}} : cg + 1'b1;
            if (take && (CHANNEL_MAJOR != 0 || cg == CG - 1))
                pixel <= pixel == last_pixel ? {PW{1'b0}} : pixel + 1'b1;
            if (take && pixel == last_pixel && cg == CG - 1) begin
                group <= group == GROUPS - 1 ? {NW{1'b0}} : group + 1'b1;
                if (group == GROUPS - 1) emitting <= 1'b1;
            end
            if (send && cg == CG - 1) emitting <= 1'b0;
            if (send) out_tvalid <= 1'b1;
            else if (out_tready) out_tvalid <= 1'b0;
        end
    end
endmodule
`default_nettype wire
