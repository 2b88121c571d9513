// sf_window.v: sliding-window generator for k x k convolutions and pooling (stride, padding, ceil-mode overhang).
// Twin of hw/hls/sf_window.h, with the same schedule, so the compiler's FIFO depth rule holds for both.
//
// Stream contract, per frame:
//   in : H * W * CG words of LANES lanes of BITS bits: pixels in row-major order, each pixel's channels as CG
//        consecutive words (channel group g holds channels g*LANES .. g*LANES+LANES-1).
//   out: HO * WO * KH * KW * CG words: for each output pixel in row-major order, its window in (ky, kx, channel
//        group) order, where output (oy, ox) reads input (oy*SH - PT + ky, ox*SW - PL + kx); positions outside the
//        input (padding, and ceil-mode windows hanging over the bottom/right edge) read PAD in every lane. A pooling
//        layer passes the lane type's minimum as PAD, which makes its windows clipped at the edge.
//
// Schedule: at most one input word read and one output word written per cycle. The input is read only as far as
// the window after the current one needs, so the generator runs ahead of its output by about (KH - 1 - PT) rows +
// KW pixels (compiler/dataflow/graph.py window_lead). ROWS = KH + SH input rows are buffered, a circular buffer of
// rows: the KH rows of the current window plus the SH rows the next output row adds. The next frame is read only
// once every window of this one is out, as the HLS loop does.
`default_nettype none
module sf_window #(
    parameter integer LANES = 1,
    parameter integer BITS = 8,
    parameter integer H = 8,
    parameter integer W = 8,
    parameter integer CG = 1,
    parameter integer KH = 3,
    parameter integer KW = 3,
    parameter integer SH = 1,
    parameter integer SW = 1,
    parameter integer PT = 0,
    parameter integer PL = 0,
    parameter integer HO = 6,
    parameter integer WO = 6,
    parameter integer ROWS = KH + SH,
    parameter integer PAD = 0
) (
    input  wire                  ap_clk,
    input  wire                  ap_rst_n,
    input  wire [LANES*BITS-1:0] in_tdata,
    input  wire                  in_tvalid,
    output wire                  in_tready,
    output wire [LANES*BITS-1:0] out_tdata,
    output reg                   out_tvalid,
    input  wire                  out_tready
);
    localparam integer WB = LANES * BITS;
    localparam integer ROW_WORDS = W * CG;
    localparam integer BUF_WORDS = ROWS * ROW_WORDS;
    localparam integer AW = $clog2(BUF_WORDS);
    // Padded coordinates (input pixel (y, x) is (y + PT, x + PL)) of window positions stay below these.
    localparam integer YW = $clog2(HO * SH + KH + H + 1) + 1;
    localparam integer XW = $clog2(WO * SW + KW + W + 1) + 1;
    // Column address within a row of the buffer, (x - PL) * CG + cg: negative in the left padding.
    localparam integer CMAX = (WO * SW + KW + W) * CG;
    localparam integer CAW = ($clog2(CMAX + 1) > AW ? $clog2(CMAX + 1) : AW) + 1;
    localparam [AW-1:0] ROW0 = ((ROWS - PT % ROWS) % ROWS) * ROW_WORDS;  // buffer row of input row -PT
    localparam [BITS-1:0] PAD_LANE = PAD;
    localparam signed [CAW-1:0] ONE = 1;
    initial if (LANES < 1 || BITS < 1 || H < 1 || W < 1 || CG < 1 || HO < 1 || WO < 1)
        $fatal(1, "sf_window: LANES, BITS, H, W, CG, HO, WO = %0d, %0d, %0d, %0d, %0d, %0d, %0d, must be >= 1",
               LANES, BITS, H, W, CG, HO, WO);
    initial if (KH < 1 || KW < 1 || SH < 1 || SW < 1)
        $fatal(1, "sf_window: KH, KW, SH, SW = %0d, %0d, %0d, %0d, must be >= 1", KH, KW, SH, SW);
    // as sf_window.h asserts: the first window's last row and column, KH - 1 - PT and KW - 1 - PL, are inside
    initial if (PT < 0 || PT >= KH || PL < 0 || PL >= KW)
        $fatal(1, "sf_window: PT, PL = %0d, %0d, must be 0 <= PT < KH = %0d, 0 <= PL < KW = %0d", PT, PL, KH, KW);
    initial if (ROWS < KH + SH) $fatal(1, "sf_window: ROWS = %0d, must be >= KH + SH = %0d", ROWS, KH + SH);
    initial if ((PAD >>> (BITS - 1)) < -1 || (PAD >>> BITS) > 0)
        $fatal(1, "sf_window: PAD = %0d, not a value of %0d-bit lanes", PAD, BITS);

    reg [WB-1:0] buffer[0:BUF_WORDS-1];

    // --- input side: the next word to read ------------------------------------------------------------------------
    reg [YW-1:0] ry;
    reg [XW-1:0] rx;
    reg [$clog2(CG + 1)-1:0] rc;
    reg [AW-1:0] waddr;
    reg in_done;  // this frame read completely; the next one waits for out_done

    // --- output side: the window word to issue --------------------------------------------------------------------
    reg [YW-1:0] oy, py0, py;  // py0 = oy*SH, py = py0 + ky (padded rows)
    reg [XW-1:0] ox, px0, px;  // px0 = ox*SW, px = px0 + kx (padded columns)
    reg [$clog2(KH + 1)-1:0] ky;
    reg [$clog2(KW + 1)-1:0] kx;
    reg [$clog2(CG + 1)-1:0] cg;
    reg [AW-1:0] base_row, row;  // buffer address of input row py0 - PT, py - PT
    reg signed [CAW-1:0] col_base, col;  // (px0 - PL) * CG and (px - PL) * CG + cg
    reg out_done;  // every window of this frame issued
    reg pad_q;

    // The last input pixel (row-major) that the current window and the next one need.
    wire [YW-1:0] bottom = py0 + KH - 1 - PT, next_bottom = bottom + SH;
    wire [XW-1:0] right = px0 + KW - 1 - PL, next_right = right + SW;
    wire [YW-1:0] ny = bottom < H - 1 ? bottom : H - 1;
    wire [XW-1:0] nx = right < W - 1 ? right : W - 1;
    wire last_col = ox == WO - 1, last_window = last_col && oy == HO - 1;
    wire [YW-1:0] ty = last_col ? (next_bottom < H - 1 ? next_bottom : H - 1) : ny;
    wire [XW-1:0] tx = last_col ? (KW - 1 - PL < W - 1 ? KW - 1 - PL : W - 1)
                                : (next_right < W - 1 ? next_right : W - 1);

    assign in_tready = !in_done && (out_done || last_window || ry < ty || (ry == ty && rx <= tx));
    wire can_issue = !out_done && (in_done || ry > ny || (ry == ny && rx > nx));
    wire advance = !out_tvalid || out_tready;
    wire issue = advance && can_issue;
    // Input coordinates of the word to issue; in the padding they wrap around to values >= H (W).
    wire [YW-1:0] iy = py - PT;
    wire [XW-1:0] ix = px - PL;
    wire in_frame = iy < H && ix < W;
    wire [AW-1:0] raddr = row + col[AW-1:0];  // meaningful only inside the input
    reg [WB-1:0] rdata;
    assign out_tdata = pad_q ? {LANES{PAD_LANE}} : rdata;

    always @(posedge ap_clk) begin
        if (in_tvalid && in_tready) buffer[waddr] <= in_tdata;
        if (issue) rdata <= buffer[raddr];
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            ry <= 0;
            rx <= 0;
            rc <= 0;
            waddr <= 0;
            in_done <= 1'b0;
        end else if (in_tvalid && in_tready) begin
            waddr <= waddr == BUF_WORDS - 1 ? {AW{1'b0}} : waddr + 1'b1;
            rc <= rc + 1'b1;
            if (rc == CG - 1) begin
                rc <= 0;
                rx <= rx + 1'b1;
                if (rx == W - 1) begin
                    rx <= 0;
                    ry <= ry + 1'b1;
                    if (ry == H - 1) begin
                        ry <= 0;
                        waddr <= 0;
                        in_done <= 1'b1;
                    end
                end
            end
        end else if (in_done && out_done) begin
            in_done <= 1'b0;
        end
    end

    always @(posedge ap_clk) begin
        if (issue) pad_q <= !in_frame;
        if (!ap_rst_n) begin
            out_tvalid <= 1'b0;
            out_done <= 1'b0;
            {oy, py0, py, ox, px0, px, ky, kx, cg} <= 0;
            base_row <= ROW0;
            row <= ROW0;
            col_base <= -PL * CG;
            col <= -PL * CG;
        end else begin
            if (issue) out_tvalid <= 1'b1;
            else if (advance) out_tvalid <= 1'b0;
            if (in_done && out_done) out_done <= 1'b0;
            if (issue) begin
                cg <= cg + 1'b1;
                col <= col + ONE;  // (kx, cg) words of a window row are consecutive in the buffer
                if (cg == CG - 1) begin
                    cg <= 0;
                    kx <= kx + 1'b1;
                    px <= px + 1'b1;
                    if (kx == KW - 1) begin  // next row of the window
                        kx <= 0;
                        px <= px0;
                        col <= col_base;
                        ky <= ky + 1'b1;
                        py <= py + 1'b1;
                        row <= row >= BUF_WORDS - ROW_WORDS ? row - (BUF_WORDS - ROW_WORDS) : row + ROW_WORDS;
                        if (ky == KH - 1) begin  // next window
                            ky <= 0;
                            py <= py0;
                            row <= base_row;
                            ox <= ox + 1'b1;
                            px0 <= px0 + SW;
                            px <= px0 + SW;
                            col_base <= col_base + SW * CG;
                            col <= col_base + SW * CG;
                            if (last_col) begin  // next output row
                                ox <= 0;
                                px0 <= 0;
                                px <= 0;
                                col_base <= -PL * CG;
                                col <= -PL * CG;
                                oy <= oy + 1'b1;
                                py0 <= py0 + SH;
                                py <= py0 + SH;
                                base_row <= base_row >= BUF_WORDS - SH * ROW_WORDS ?
                                            base_row - (BUF_WORDS - SH * ROW_WORDS) : base_row + SH * ROW_WORDS;
                                row <= base_row >= BUF_WORDS - SH * ROW_WORDS ?
                                       base_row - (BUF_WORDS - SH * ROW_WORDS) : base_row + SH * ROW_WORDS;
                                if (oy == HO - 1) begin  // frame done
                                    oy <= 0;
                                    py0 <= 0;
                                    py <= 0;
                                    base_row <= ROW0;
                                    row <= ROW0;
                                    out_done <= 1'b1;
                                end
                            end
                        end
                    end
                end
            end
        end
    end
endmodule
`default_nettype wire
