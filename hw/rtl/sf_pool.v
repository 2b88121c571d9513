// sf_pool.v: max pooling straight off the pixel stream, separably: a row of column maxima, then a row of window
// maxima, so that it buffers ceil(KH / SH) rows of its output instead of a window generator's KH + SH input rows.
// Twin of hw/hls/sf_pool.h.
//
// Stream contract, per frame:
//   in : H * W * CG words of LANES lanes of BITS bits (signed if SIGNED): pixels in row-major order, each pixel's
//        channels as CG consecutive words (channel group g holds channels g*LANES .. g*LANES+LANES-1).
//   out: HO * WO * CG words in the same layout: output (oy, ox) is the lane-wise maximum of the inputs
//        (oy*SH - PT + ky, ox*SW - PL + kx), ky < KH, kx < KW, that lie inside the input: padding and ceil-mode
//        windows hanging over the bottom/right edge are clipped.
// Windows must end at distinct input rows and columns (compiler/dataflow/graph.py pool_is_separable; else sf_window +
// sf_maxpool): then at most one output column completes per input column, and one output row per input row.
//
// Schedule: one input word per cycle; only a word that completes a column waits, and only while the previously
// completed one waits for the output register. Input column x feeds the output columns whose windows cover it (at
// most NA = ceil(KW / SW)), their running maxima in slot ox % NA of CG words; the column whose window ends at x is
// complete and goes on, a cycle later, to the output rows whose windows cover input row y (at most NB = ceil(KH /
// SH)), their running maxima in slot oy % NB of WO * CG words; the row whose window ends at y goes out word by word
// as its columns complete, two cycles after the completing input word. So an output row leaves during the last input
// row of its window, about one word per SW input pixels (compiler/dataflow/fifo.py's row-burst rule holds the rest).
//
// Memories: the column slots are read combinationally (with CG = 1 a slot word is updated on consecutive cycles):
// registers or LUTRAM. The row slots are read a cycle ahead, at the completing input word, so that they map to block
// RAM when large; the write of the previous completed column lands on the same edge, and only with WO * CG = 1 can
// it be the same address (otherwise the column completions of a row cycle through WO * CG distinct addresses):
// then the written word is forwarded.
`default_nettype none
module sf_pool #(
    parameter integer LANES = 1,
    parameter integer BITS = 8,
    parameter integer SIGNED = 0,
    parameter integer CG = 1,
    parameter integer H = 13,
    parameter integer W = 13,
    parameter integer KH = 3,
    parameter integer KW = 3,
    parameter integer SH = 2,
    parameter integer SW = 2,
    parameter integer PT = 0,
    parameter integer PL = 0,
    parameter integer HO = 6,
    parameter integer WO = 6,
    parameter integer NA = (KW + SW - 1) / SW,
    parameter integer NB = (KH + SH - 1) / SH
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
    localparam integer ROW_WORDS = WO * CG;
    localparam integer GW = CG > 1 ? $clog2(CG) : 1;
    localparam integer AW = ROW_WORDS > 1 ? $clog2(ROW_WORDS) : 1;
    // Positions, output indices and (position + pad) / stride all stay below W + PL + 2 (H + PT + 2).
    localparam integer XW = $clog2(W + PL + 2), YW = $clog2(H + PT + 2);
    localparam integer XRW = SW > 1 ? $clog2(SW) : 1, YRW = SH > 1 ? $clog2(SH) : 1;
    localparam integer XSW = NA > 1 ? $clog2(NA) : 1, YSW = NB > 1 ? $clog2(NB) : 1;
    // The first output covering position 0: 0 unless the padding is wider than the window.
    localparam integer XF0 = PL - KW + 1 <= 0 ? 0 : (PL - KW + SW) / SW;
    localparam integer YF0 = PT - KH + 1 <= 0 ? 0 : (PT - KH + SH) / SH;
    localparam integer NEAR = ROW_WORDS == 1;
    localparam [BITS-1:0] FLIP = SIGNED != 0 ? 1 << (BITS - 1) : 0;
    initial if (LANES < 1 || BITS < 1 || CG < 1 || H < 1 || W < 1 || HO < 1 || WO < 1)
        $fatal(1, "sf_pool: LANES, BITS, CG, H, W, HO, WO = %0d, %0d, %0d, %0d, %0d, %0d, %0d, must be >= 1",
               LANES, BITS, CG, H, W, HO, WO);
    initial if (KH < 1 || KW < 1 || SH < 1 || SW < 1 || PT < 0 || PL < 0)
        $fatal(1, "sf_pool: KH, KW, SH, SW = %0d, %0d, %0d, %0d, must be >= 1, PT, PL = %0d, %0d >= 0",
               KH, KW, SH, SW, PT, PL);
    initial if (NA < (KW + SW - 1) / SW || NB < (KH + SH - 1) / SH)
        $fatal(1, "sf_pool: NA, NB = %0d, %0d, must be >= ceil(KW / SW), ceil(KH / SH) = %0d, %0d", NA, NB,
               (KW + SW - 1) / SW, (KH + SH - 1) / SH);
    // compiler/dataflow/graph.py pool_is_separable (else sf_window + sf_maxpool): the last window but one ends
    // before the last input row (column), where the last one may be clipped
    initial if (HO > 1 && (HO - 2) * SH - PT + KH - 1 >= H - 1 || WO > 1 && (WO - 2) * SW - PL + KW - 1 >= W - 1)
        $fatal(1, "sf_pool: HO, WO = %0d, %0d: two windows end at the same input row or column", HO, WO);

    // Offset binary compares two's complement lanes as unsigned ones.
    function [WB-1:0] lane_max(input [WB-1:0] a, input [WB-1:0] b);
        integer l;
        begin
            for (l = 0; l < LANES; l = l + 1)
                lane_max[l*BITS+:BITS] = (a[l*BITS+:BITS] ^ FLIP) > (b[l*BITS+:BITS] ^ FLIP) ? a[l*BITS+:BITS]
                                                                                              : b[l*BITS+:BITS];
        end
    endfunction

    // Per dimension (x: columns, y: rows), at input position p: the outputs whose windows cover p are f .. l =
    // min(o, O - 1), with o = (p + PAD) / S, r = (p + PAD) % S and f the number of windows that ended before p
    // (sf_pool.h's first_covering and last_covering); f's slot is s = f % N. All are stepped along with p: no
    // division. The first window ends at p at the edge, or where its unclipped end lies (`passed`: f moves on);
    // output o's window starts at p when r = 0, every covering window at p = 0.
    reg [GW-1:0] g;
    reg [XW-1:0] x, xo, xf;
    reg [XRW-1:0] xr;
    reg [XSW-1:0] xs;
    wire [XW-1:0] xl = xo + 1 < WO ? xo : WO - 1;
    wire x_cov = xf <= xl;
    wire [XW-1:0] xn = xl - xf;
    wire x_passed = x + PL + 1 >= KW && xr == (KW - 1) % SW;
    wire x_opens = xr == 0 && xo < WO;
    wire col_done = x_cov && (x_passed || x == W - 1);

    reg [YW-1:0] y, yo, yf;
    reg [YRW-1:0] yr;
    reg [YSW-1:0] ys;
    wire [YW-1:0] yl = yo + 1 < HO ? yo : HO - 1;
    wire y_cov = yf <= yl;
    wire [YW-1:0] yn = yl - yf;
    wire y_passed = y + PT + 1 >= KH && yr == (KH - 1) % SH;
    wire y_opens = yr == 0 && yo < HO;
    wire row_done = y_cov && (y_passed || y == H - 1);

    // The row stage: the column completed by the previous word, on its way into the row slots and maybe out.
    reg b_valid, b_out;
    reg [WB-1:0] b_col;
    reg [AW-1:0] at, b_at;  // row slot address of the next completed column, of b_col
    reg [NB-1:0] b_on, b_new;
    reg [YSW-1:0] b_first;
    wire b_stall = b_valid && b_out && out_tvalid && !out_tready;
    wire b_go = b_valid && !b_stall;
    assign in_tready = !col_done || !b_stall;
    wire take = in_tvalid && in_tready;
    wire load = take && col_done;

    wire [NA*WB-1:0] col_max;  // per column slot, its maximum with this word
    wire [NB*WB-1:0] row_max;  // per row slot, its maximum with b_col
    wire [NB-1:0] row_on, row_new;
    genvar s;
    generate
        for (s = 0; s < NA; s = s + 1) begin : g_col
            reg [WB-1:0] slot[0:CG-1];
            wire [XW-1:0] a = s >= xs ? s - xs : s + NA - xs;  // the slot holds output xf + a
            wire on = x_cov && a <= xn;
            wire fresh = x == 0 || x_opens && a == xn;
            wire [WB-1:0] m = fresh ? in_tdata : lane_max(slot[g], in_tdata);
            always @(posedge ap_clk)
                if (take && on) slot[g] <= m;
            assign col_max[s*WB+:WB] = m;
        end
        for (s = 0; s < NB; s = s + 1) begin : g_row
            reg [WB-1:0] slot[0:ROW_WORDS-1];
            reg [WB-1:0] q, near_q;
            reg near;
            wire [YW-1:0] a = s >= ys ? s - ys : s + NB - ys;
            assign row_on[s] = y_cov && a <= yn;
            assign row_new[s] = y == 0 || y_opens && a == yn;
            wire [WB-1:0] m = b_new[s] ? b_col : lane_max(near ? near_q : q, b_col);
            always @(posedge ap_clk) begin
                if (b_go && b_on[s]) slot[b_at] <= m;
                if (load) begin
                    q <= slot[at];
                    near <= NEAR != 0 && b_go && b_on[s];
                    near_q <= m;
                end
            end
            assign row_max[s*WB+:WB] = m;
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (load) begin
            b_col <= col_max[xs*WB+:WB];
            b_at <= at;
            b_on <= row_on;
            b_new <= row_new;
            b_first <= ys;
            b_out <= row_done;
        end
        if (b_go && b_out) out_tdata <= row_max[b_first*WB+:WB];
        if (!ap_rst_n) begin
            g <= 0;
            x <= 0;
            xr <= PL % SW;
            xo <= PL / SW;
            xf <= XF0;
            xs <= XF0 % NA;
            y <= 0;
            yr <= PT % SH;
            yo <= PT / SH;
            yf <= YF0;
            ys <= YF0 % NB;
            at <= 0;
            b_valid <= 1'b0;
            out_tvalid <= 1'b0;
        end else begin
            b_valid <= load || b_stall;
            if (b_go && b_out) out_tvalid <= 1'b1;
            else if (out_tready) out_tvalid <= 1'b0;
            if (load) at <= at == ROW_WORDS - 1 ? {AW{1'b0}} : at + 1'b1;
            if (take) g <= g == CG - 1 ? {GW{1'b0}} : g + 1'b1;
            if (take && g == CG - 1) begin
                x <= x + 1'b1;
                xr <= xr == SW - 1 ? {XRW{1'b0}} : xr + 1'b1;
                if (xr == SW - 1) xo <= xo + 1'b1;
                if (x_passed) begin
                    xf <= xf + 1'b1;
                    xs <= xs == NA - 1 ? {XSW{1'b0}} : xs + 1'b1;
                end
                if (x == W - 1) begin
                    x <= 0;
                    xr <= PL % SW;
                    xo <= PL / SW;
                    xf <= XF0;
                    xs <= XF0 % NA;
                    y <= y + 1'b1;
                    yr <= yr == SH - 1 ? {YRW{1'b0}} : yr + 1'b1;
                    if (yr == SH - 1) yo <= yo + 1'b1;
                    if (y_passed) begin
                        yf <= yf + 1'b1;
                        ys <= ys == NB - 1 ? {YSW{1'b0}} : ys + 1'b1;
                    end
                    if (y == H - 1) begin
                        y <= 0;
                        yr <= PT % SH;
                        yo <= PT / SH;
                        yf <= YF0;
                        ys <= YF0 % NB;
                    end
                end
            end
        end
    end
endmodule
`default_nettype wire
