// sf_axis_in.v: data-width converter from the AXI4-Stream input port to the first layer's pixel stream.
// Twin of hw/hls/sf_axis_in.h.
//
// Stream contract, per frame:
//   in : ceil(WORDS * LANES / (AXI_BITS / VALUE_BITS)) beats of AXI_BITS bits: the frame's values in HWC order
//        (pixels row-major, channels innermost), value k as a VALUE_BITS-bit two's complement integer in bits
//        [(k % PER_BEAT) * VALUE_BITS, ...) of beat k / PER_BEAT (hw/spec.py); the last beat is zero-padded and its
//        padding dropped. TLAST is not checked: the frame size is static.
//   out: WORDS words of LANES lanes of LANE_BITS bits, the same values in the same order (each value's low LANE_BITS).
// A word may straddle two beats (LANES need not divide PER_BEAT): up to two beats are held.
`default_nettype none
module sf_axis_in #(
    parameter integer AXI_BITS = 64,
    parameter integer VALUE_BITS = 8,
    parameter integer LANES = 1,
    parameter integer LANE_BITS = 8,
    parameter integer WORDS = 1
) (
    input  wire                      ap_clk,
    input  wire                      ap_rst_n,
    input  wire [AXI_BITS-1:0]       in_tdata,
    input  wire                      in_tvalid,
    output wire                      in_tready,
    output reg  [LANES*LANE_BITS-1:0] out_tdata,
    output reg                       out_tvalid,
    input  wire                      out_tready
);
    localparam integer PER_BEAT = AXI_BITS / VALUE_BITS;
    localparam integer HW = $clog2(2 * PER_BEAT + 1), NW = $clog2(WORDS + 1);
    initial if (AXI_BITS < 1 || VALUE_BITS < 1 || LANES < 1 || LANE_BITS < 1 || WORDS < 1)
        $fatal(1, "sf_axis_in: AXI_BITS, VALUE_BITS, LANES, LANE_BITS, WORDS = %0d, %0d, %0d, %0d, %0d, must be >= 1",
               AXI_BITS, VALUE_BITS, LANES, LANE_BITS, WORDS);
    initial if (LANE_BITS > VALUE_BITS) $fatal(1, "sf_axis_in: LANE_BITS = %0d, must be <= VALUE_BITS = %0d",
                                              LANE_BITS, VALUE_BITS);
    // A word waits for a beat only while fewer than LANES values are pending, and `pending` holds two beats
    // (sf_axis_in.h, which reads at most one beat per word, needs LANES <= PER_BEAT).
    initial if (LANES > PER_BEAT + 1) $fatal(1, "sf_axis_in: LANES = %0d, must be <= AXI_BITS / VALUE_BITS + 1 = %0d",
                                            LANES, PER_BEAT + 1);

    reg [2*AXI_BITS-1:0] pending;  // values received but not sent yet, lowest first
    reg [HW-1:0] have;
    reg [NW-1:0] words;
    wire send = have >= LANES && (!out_tvalid || out_tready);
    wire frame_end = send && words == WORDS - 1;  // the rest of the beat is padding
    wire [HW-1:0] kept = frame_end ? {HW{1'b0}} : send ? have - LANES : have;
    wire [2*AXI_BITS-1:0] rest = frame_end ? {2*AXI_BITS{1'b0}} : send ? pending >> LANES * VALUE_BITS : pending;
    assign in_tready = kept < LANES;
    wire take = in_tvalid && in_tready;
    wire [2*AXI_BITS-1:0] beat = {{AXI_BITS{1'b0}}, in_tdata};

    wire [LANES*LANE_BITS-1:0] word;
    genvar l;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            assign word[l*LANE_BITS+:LANE_BITS] = pending[l*VALUE_BITS+:LANE_BITS];
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (send) out_tdata <= word;
        if (!ap_rst_n) begin
            pending <= 0;  // beats are ORed in above what is kept
            have <= 0;
            words <= 0;
            out_tvalid <= 1'b0;
        end else begin
            pending <= take ? rest | beat << kept * VALUE_BITS : rest;
            have <= take ? kept + PER_BEAT : kept;
            if (send) words <= frame_end ? {NW{1'b0}} : words + 1'b1;
            if (send) out_tvalid <= 1'b1;
            else if (out_tready) out_tvalid <= 1'b0;
        end
    end
endmodule
`default_nettype wire
