// sf_axis_out.v: data-width converter from the logits stream to the AXI4-Stream output port.
// Twin of hw/hls/sf_axis_out.h.
//
// Stream contract, per frame:
//   in : VALUES words of one lane of LANE_BITS bits (signed if LANE_SIGNED): the logits, in class order.
//   out: ceil(VALUES / PER_BEAT) beats of AXI_BITS bits, PER_BEAT = AXI_BITS / VALUE_BITS: value k sign- or
//        zero-extended to VALUE_BITS in bits [(k % PER_BEAT) * VALUE_BITS, ...) of beat k / PER_BEAT (hw/spec.py);
//        the last beat zero-padded; TKEEP all ones; TLAST on the frame's last beat.
`default_nettype none
module sf_axis_out #(
    parameter integer AXI_BITS = 64,
    parameter integer VALUE_BITS = 32,
    parameter integer LANE_BITS = 32,
    parameter integer LANE_SIGNED = 1,
    parameter integer VALUES = 1
) (
    input  wire                  ap_clk,
    input  wire                  ap_rst_n,
    input  wire [LANE_BITS-1:0]  in_tdata,
    input  wire                  in_tvalid,
    output wire                  in_tready,
    output reg  [AXI_BITS-1:0]   out_tdata,
    output wire [AXI_BITS/8-1:0] out_tkeep,
    output reg                   out_tlast,
    output reg                   out_tvalid,
    input  wire                  out_tready
);
    localparam integer PER_BEAT = AXI_BITS / VALUE_BITS;
    localparam integer SW = $clog2(PER_BEAT + 1), KW = $clog2(VALUES + 1);
    initial if (AXI_BITS < 1 || VALUE_BITS < 1 || LANE_BITS < 1 || VALUES < 1)
        $fatal(1, "sf_axis_out: AXI_BITS, VALUE_BITS, LANE_BITS, VALUES = %0d, %0d, %0d, %0d, must be >= 1",
               AXI_BITS, VALUE_BITS, LANE_BITS, VALUES);
    initial if (AXI_BITS % 8 != 0) $fatal(1, "sf_axis_out: AXI_BITS = %0d, must be whole bytes (TKEEP)", AXI_BITS);
    initial if (LANE_BITS > VALUE_BITS || VALUE_BITS > AXI_BITS)
        $fatal(1, "sf_axis_out: LANE_BITS, VALUE_BITS, AXI_BITS = %0d, %0d, %0d, must not decrease",
               LANE_BITS, VALUE_BITS, AXI_BITS);

    reg [AXI_BITS-1:0] collected;  // the values of the beat so far, the others zero
    reg [SW-1:0] slot;
    reg [KW-1:0] k;
    wire last = k == VALUES - 1;
    wire completes = slot == PER_BEAT - 1 || last;
    assign in_tready = !completes || !out_tvalid || out_tready;
    assign out_tkeep = {AXI_BITS / 8{1'b1}};
    wire take = in_tvalid && in_tready;
    wire [VALUE_BITS-1:0] value = $signed({LANE_SIGNED != 0 && in_tdata[LANE_BITS-1], in_tdata});
    wire [AXI_BITS-1:0] beat = collected | {{AXI_BITS - VALUE_BITS{1'b0}}, value} << slot * VALUE_BITS;

    always @(posedge ap_clk) begin
        if (take) begin
            collected <= completes ? {AXI_BITS{1'b0}} : beat;
            if (completes) begin
                out_tdata <= beat;
                out_tlast <= last;
            end
        end
        if (!ap_rst_n) begin
            collected <= 0;
            slot <= 0;
            k <= 0;
            out_tvalid <= 1'b0;
        end else begin
            if (take) begin
                slot <= completes ? {SW{1'b0}} : slot + 1'b1;
                k <= last ? {KW{1'b0}} : k + 1'b1;
            end
            if (take && completes) out_tvalid <= 1'b1;
            else if (out_tready) out_tvalid <= 1'b0;
        end
    end
endmodule
`default_nettype wire
