// sf_mvau.v: matrix-vector-activation unit, the engine of every convolution (after sf_window for k x k).
// Twin of hw/hls/sf_mvau.h: mvau with the weights on chip (WEIGHT_STORAGE 0, 1), mvau_streamed with them streamed
// from DDR (WEIGHT_STORAGE 2).
//
// Stream contract, per frame:
//   in : PIXELS * SF words of SIMD lanes of IN_BITS bits (signed if IN_SIGNED): for each output pixel its input
//        vector (KH*KW*C values in (ky, kx, c) order, as from sf_window, or a pixel's C channels for a 1x1
//        convolution), SIMD per word.
//   out: PIXELS * NF words of PE lanes of OUT_BITS bits, PE output channels per word, lowest first, in one of two
//        orders: weights on chip, pixel-major (each pixel's O = NF*PE channels as NF consecutive words); weights
//        streamed, by pixel group (GROUP consecutive pixels, the last group the rest), channel-group-major within
//        each (for each neuron fold nf its word of every pixel of the group, what sf_gap's CHANNEL_MAJOR reads).
//   w  : weights streamed only: per pixel group, NF * SF words of W_WORD_BITS bits, word nf * SF + sf = tile
//        nf * SF + sf in WEIGHT_FILE's layout below, zero-padded above PE*SIMD*W_BITS (hw/spec.py weight stream).
//        Otherwise unused, w_tready low, so a ROM layer's instance may leave the port unconnected.
// Folding: each cycle multiplies one input word by PE x SIMD weights (one tile). Weights on chip: pixel by pixel, a
// pixel taking NF * SF cycles, its input words read during the first neuron fold (nf = 0) and replayed from an
// SF-word buffer for the others. Weights streamed: pixel group by pixel group, and within a group neuron fold by
// neuron fold (group, then nf, then pixel, then sf), so each weight is read once per group: the group's input
// words are read during nf = 0 and replayed from a GROUP*SF-word group buffer for the others (the input FIFO holds
// the next group meanwhile), a fold's SF tiles are read during its first pixel and replayed from an SF-word tile
// buffer for the others. Either way NF * PIXELS * SF cycles.
// Arithmetic (compiler/ir.py): acc = bias + sum(weight * x) in ACC_BITS, then
// y = clamp(round_half_even((acc * mult + offset) / 2**(SHIFT_BASE + shift)) + ZP, LO, HI) per output channel;
// ReLU is the clamp. The offset (a float bias's fraction of an accumulator LSB, in product units) is 0 for a
// quantized bias: OFFSET_BITS 0.
// Memories ($readmemh, images from compiler/kernels/mvau.py memory_images):
//   WEIGHT_FILE: NF * SF words, word nf * SF + sf = the tile of output channels nf*PE .. nf*PE+PE-1 and input
//                vector positions sf*SIMD .. sf*SIMD+SIMD-1; weight (pe, s) in bits [(pe*SIMD + s) * W_BITS, ...),
//                two's complement. Not read when the weights are streamed.
//   PARAM_FILE : NF words, PE fields of ACC_BITS + MULT_BITS + SHIFT_BITS + OFFSET_BITS bits, lowest PE first:
//                bias (two's complement), then multiplier, then shift beyond SHIFT_BASE (sf_round_clamp.v), then
//                (OFFSET_BITS > 0) the offset (two's complement), lowest bits first.
// Pipeline: read (weights, parameters, replay buffers) -> dot products (ceil(log2 SIMD) adder-tree stages, none for
// SIMD = 1) -> accumulate -> requant product -> round and clamp into the output register: 5 + ceil(log2 SIMD)
// register stages (compiler/kernels/mvau.py mvau_fill). The requantizers (a 24-bit product, a rounding shift over the
// channels' spread beyond SHIFT_BASE, a clamp: one or two DSPs each) may be shared: REQUANT_UNITS of them
// (hw/spec.py requant_units: ceil(PE / SF)), each taking PHASES = ceil(PE / REQUANT_UNITS) channels one per cycle,
// which keeps up as long as SF >= PHASES, a pixel's accumulators being complete once every SF cycles. Sharing adds
// a holding register and PHASES stages.
// One enable stalls every stage while the output register is full: II = 1 whenever the consumer keeps up (and,
// streamed, the weights come one word per cycle during a fold's first pixel), and no word is lost under any
// backpressure. A cycle takes an input word while nf = 0 and a weight word while
// pixel = 0, both or neither: each TREADY waits for the other stream's TVALID when that one is needed too (AXI lets
// ready depend on valid, not the reverse).
// Multipliers (MAC, an index into hw/spec.py MAC_IMPLS, named MAC_* below): 0 "dsp", one multiplier per product;
// 1 "dsp_packed", PE rows 2i and 2i+1 share one multiplier per SIMD lane, x * (w[2i+1] * 2**PACK_SHIFT + w[2i]), the
// lanes' packed products summed and split into the two dot products once per tile (PE even, PACK_SHIFT =
// spec.pack_shift); 2 "lut", shift-and-add in logic, no multiplier cell. WEIGHT_STORAGE is an index into hw/spec.py
// WEIGHT_STORAGES (WEIGHT_* below): 0 block RAM, 1 distributed RAM (the weight ROM's ram_style), 2 streamed. Not
// UltraRAM: it has no initial contents in a bitstream, so weights there would need a loader.
// Parameters only the streamed weights use: PIXELS (output pixels per frame), GROUP (output pixels per pass over the
// weights, the group buffer's depth / SF) and W_WORD_BITS (the w stream's word, at least PE*SIMD*W_BITS).
`default_nettype none
module sf_mvau #(
    parameter integer SIMD = 1,
    parameter integer PE = 1,
    parameter integer SF = 1,
    parameter integer NF = 1,
    parameter integer IN_BITS = 8,
    parameter integer IN_SIGNED = 0,
    parameter integer W_BITS = 8,
    parameter integer OUT_BITS = 8,
    parameter integer ACC_BITS = 24,
    parameter integer MULT_BITS = 24,
    parameter integer SHIFT_BITS = 6,
    parameter integer SHIFT_BASE = 0,
    parameter integer PRODUCT_BITS = ACC_BITS + MULT_BITS + 1,
    parameter integer ZP = 0,
    parameter integer LO = 0,
    parameter integer HI = 255,
    parameter integer MAC = 0,
    parameter integer PACK_SHIFT = 0,
    parameter integer WEIGHT_STORAGE = 0,
    parameter integer PIXELS = 1,
    parameter integer GROUP = PIXELS,
    parameter integer W_WORD_BITS = 64,
    parameter integer REQUANT_UNITS = PE,
    parameter integer OFFSET_BITS = 0,  // 0: no offsets (a quantized bias), no field, no adder
    parameter WEIGHT_FILE = "weights.hex",
    parameter PARAM_FILE = "params.hex"
) (
    input  wire                   ap_clk,
    input  wire                   ap_rst_n,
    input  wire [SIMD*IN_BITS-1:0] in_tdata,
    input  wire                   in_tvalid,
    output wire                   in_tready,
    input  wire [W_WORD_BITS-1:0] w_tdata,
    input  wire                   w_tvalid,
    output wire                   w_tready,
    output reg  [PE*OUT_BITS-1:0] out_tdata,
    output reg                    out_tvalid,
    input  wire                   out_tready
);
    // hw/spec.py's MAC_IMPLS and WEIGHT_STORAGES by index, as the generators pass them (tests/test_rtl_checks.py)
    localparam integer MAC_DSP = 0, MAC_DSP_PACKED = 1, MAC_LUT = 2;
    localparam integer WEIGHT_BRAM = 0, WEIGHT_LUTRAM = 1, WEIGHT_DDR = 2;
    localparam integer XW = SIMD * IN_BITS;
    localparam integer WW = PE * SIMD * W_BITS;
    localparam integer FW = ACC_BITS + MULT_BITS + SHIFT_BITS + OFFSET_BITS;  // one output channel's parameters
    localparam integer STREAMED = WEIGHT_STORAGE == WEIGHT_DDR;
    localparam integer TILES = NF * SF;
    localparam integer BUFFER = GROUP * SF;  // input words per pixel group
    localparam integer GROUPS = (PIXELS + GROUP - 1) / GROUP;
    localparam integer LAST = PIXELS - (GROUPS - 1) * GROUP;  // pixels in the last group
    localparam integer TW = TILES > 1 ? $clog2(TILES) : 1;
    localparam integer SW = SF > 1 ? $clog2(SF) : 1;
    localparam integer NW = NF > 1 ? $clog2(NF) : 1;
    localparam integer PW = GROUP > 1 ? $clog2(GROUP) : 1;
    localparam integer GW = GROUPS > 1 ? $clog2(GROUPS) : 1;
    localparam integer AW = BUFFER > 1 ? $clog2(BUFFER) : 1;
    localparam integer TREE = SIMD > 1 ? $clog2(SIMD) : 0;  // the dot products' adder-tree register stages
    localparam integer UNITS = REQUANT_UNITS < PE ? REQUANT_UNITS : PE;
    localparam integer PHASES = (PE + UNITS - 1) / UNITS;  // channels per requantizer, one per cycle
    initial if (SIMD < 1 || PE < 1 || SF < 1 || NF < 1 || PIXELS < 1 || GROUP < 1)
        $fatal(1, "sf_mvau: SIMD, PE, SF, NF, PIXELS, GROUP = %0d, %0d, %0d, %0d, %0d, %0d, must be >= 1",
               SIMD, PE, SF, NF, PIXELS, GROUP);
    initial if (IN_BITS < 1 || W_BITS < 1 || ACC_BITS < 1 || MULT_BITS < 1)
        $fatal(1, "sf_mvau: IN_BITS, W_BITS, ACC_BITS, MULT_BITS = %0d, %0d, %0d, %0d, must be >= 1",
               IN_BITS, W_BITS, ACC_BITS, MULT_BITS);
    initial if (MAC < MAC_DSP || MAC > MAC_LUT) $fatal(1, "sf_mvau: MAC = %0d, not an index of MAC_IMPLS", MAC);
    initial if (WEIGHT_STORAGE < WEIGHT_BRAM || WEIGHT_STORAGE > WEIGHT_DDR)
        $fatal(1, "sf_mvau: WEIGHT_STORAGE = %0d, not an index of WEIGHT_STORAGES", WEIGHT_STORAGE);
    initial if (MAC == MAC_DSP_PACKED && PE % 2 != 0) $fatal(1, "sf_mvau: PE = %0d, must be even (dsp_packed)", PE);
    // spec.pack_shift: the bits of a dot product of SIMD products, and a sign
    localparam integer PACK_FIELD = $clog2(SIMD + 1) + IN_BITS + W_BITS - (IN_SIGNED != 0 ? 1 : 0);
    initial if (MAC == MAC_DSP_PACKED && PACK_SHIFT < PACK_FIELD)
        $fatal(1, "sf_mvau: PACK_SHIFT = %0d, must be >= %0d (dsp_packed)", PACK_SHIFT, PACK_FIELD);
    initial if (STREAMED && W_WORD_BITS < WW)
        $fatal(1, "sf_mvau: W_WORD_BITS = %0d, must be >= PE * SIMD * W_BITS = %0d", W_WORD_BITS, WW);
    // A pixel's accumulators must be requantized before the next pixel's, SF cycles later.
    initial if (REQUANT_UNITS < (PE + SF - 1) / SF)
        $fatal(1, "sf_mvau: REQUANT_UNITS = %0d, must be >= ceil(PE / SF) = %0d", REQUANT_UNITS, (PE + SF - 1) / SF);
    initial if (OFFSET_BITS < 0 || OFFSET_BITS > MULT_BITS)
        $fatal(1, "sf_mvau: OFFSET_BITS = %0d, must be 0 .. MULT_BITS = %0d", OFFSET_BITS, MULT_BITS);
    initial if (PRODUCT_BITS < ACC_BITS + MULT_BITS)
        $fatal(1, "sf_mvau: PRODUCT_BITS = %0d, must be >= ACC_BITS + MULT_BITS = %0d", PRODUCT_BITS,
               ACC_BITS + MULT_BITS);

    reg [PE*FW-1:0] params[0:NF-1];
    initial $readmemh(PARAM_FILE, params);

    wire en = !out_tvalid || out_tready;
    reg [SW-1:0] sf;
    reg [NW-1:0] nf;
    reg [TW-1:0] t;  // nf * SF + sf, weights on chip
    reg [PW-1:0] pixel;  // streamed only, within the group, as are at = pixel * SF + sf and the group
    reg [AW-1:0] at;
    reg [GW-1:0] group;
    wire [PW-1:0] last_pixel = group == GROUPS - 1 ? LAST - 1 : GROUP - 1;
    wire need_w = STREAMED && pixel == 0;
    wire in_ok = nf != 0 || in_tvalid, w_ok = !need_w || w_tvalid;
    assign in_tready = en && nf == 0 && w_ok;
    assign w_tready = en && need_w && in_ok;
    wire fire = en && in_ok && w_ok;

    // Stage 1: memories read. The control of a word, and its neuron fold for the parameter read, then wait out the
    // adder tree in q[1 .. TREE] (q[0]: stage 1).
    reg fresh1;
    reg [TREE:0] vq, firstq, lastq;
    reg [NW-1:0] nfq[0:TREE];
    wire [NW-1:0] params_nf = TREE == 0 ? nf : nfq[TREE == 0 ? 0 : TREE - 1];
    reg [XW-1:0] xin1, xbuf1;
    reg [WW-1:0] w1;
    reg [PE*FW-1:0] p1;
    integer q, qv;
    wire [XW-1:0] x1 = fresh1 ? xin1 : xbuf1;
    // The input words replayed for nf > 0: the pixel group's (streamed) or the pixel's.
    generate
        if (STREAMED) begin : g_group
            // Rows of a feature map: block RAM (yosys would try its 512-deep LUTRAM, which its own mapper rejects).
            (* ram_style = "block" *) reg [XW-1:0] inputs[0:BUFFER-1];
            always @(posedge ap_clk) begin
                if (fire && nf == 0) inputs[at] <= in_tdata;
                if (en) xbuf1 <= inputs[at];
            end
        end else begin : g_pixel
            reg [XW-1:0] vector[0:SF-1];
            always @(posedge ap_clk) begin
                if (fire && nf == 0) vector[sf] <= in_tdata;
                if (en) xbuf1 <= vector[sf];
            end
        end
    endgenerate
    // One branch per style, as not every tool evaluates a parameter inside an attribute. Vivado documents rom_style
    // for ROMs and ram_style for RAMs; yosys reads ram_style first.
    generate
        if (STREAMED) begin : g_streamed
            // The fold's tiles, written during its first pixel; a registered read like the input's replay buffer,
            // the word just taken bypassing it.
            reg [WW-1:0] tiles[0:SF-1];
            reg [WW-1:0] win1, wbuf1;
            reg wfresh1;
            always @(posedge ap_clk) begin
                if (fire && pixel == 0) tiles[sf] <= w_tdata[WW-1:0];
                if (en) begin
                    wbuf1 <= tiles[sf];
                    win1 <= w_tdata[WW-1:0];
                    wfresh1 <= pixel == 0;
                end
            end
            always @* w1 = wfresh1 ? win1 : wbuf1;
        end else if (WEIGHT_STORAGE == WEIGHT_LUTRAM) begin : g_lutram
            (* ram_style = "distributed", rom_style = "distributed" *) reg [WW-1:0] weights[0:TILES-1];
            initial $readmemh(WEIGHT_FILE, weights);
            always @(posedge ap_clk) if (en) w1 <= weights[t];
        end else begin : g_bram
            (* ram_style = "block", rom_style = "block" *) reg [WW-1:0] weights[0:TILES-1];
            initial $readmemh(WEIGHT_FILE, weights);
            always @(posedge ap_clk) if (en) w1 <= weights[t];
        end
    endgenerate
    always @(posedge ap_clk) begin
        if (en) begin
            p1 <= params[params_nf];  // reaches stage 2 beside its word's dot products
            xin1 <= in_tdata;
            fresh1 <= nf == 0;
            firstq[0] <= sf == 0;
            lastq[0] <= sf == SF - 1;
            nfq[0] <= nf;
            for (q = 1; q <= TREE; q = q + 1) begin
                firstq[q] <= firstq[q-1];
                lastq[q] <= lastq[q-1];
                nfq[q] <= nfq[q-1];
            end
        end
    end

    // Stages 2-4 carry their control bits and the parameters along (stage 2 is TREE cycles after stage 1).
    reg v2, first2, last2, v3, v4;
    reg [PE*FW-1:0] p2, p3;
    always @(posedge ap_clk) begin
        if (en) begin
            first2 <= firstq[TREE];
            last2 <= lastq[TREE];
            p2 <= p1;
            p3 <= p2;
        end
        if (!ap_rst_n) begin
            sf <= 0;
            nf <= 0;
            t <= 0;
            pixel <= 0;
            at <= 0;
            group <= 0;
            vq <= 0;
            {v2, v3} <= 2'b0;
        end else if (en) begin
            if (fire) begin
                sf <= sf == SF - 1 ? {SW{1'b0}} : sf + 1'b1;
                t <= t == TILES - 1 ? {TW{1'b0}} : t + 1'b1;
                at <= sf == SF - 1 && pixel == last_pixel ? {AW{1'b0}} : at + 1'b1;
                if (sf == SF - 1) begin
                    // the loop order: sf innermost, then nf (on chip) or pixel, nf and group (streamed)
                    if (STREAMED) begin
                        pixel <= pixel == last_pixel ? {PW{1'b0}} : pixel + 1'b1;
                        if (pixel == last_pixel) begin
                            nf <= nf == NF - 1 ? {NW{1'b0}} : nf + 1'b1;
                            if (nf == NF - 1) group <= group == GROUPS - 1 ? {GW{1'b0}} : group + 1'b1;
                        end
                    end else begin
                        nf <= nf == NF - 1 ? {NW{1'b0}} : nf + 1'b1;
                    end
                end
            end
            vq[0] <= fire;
            for (qv = 1; qv <= TREE; qv = qv + 1) vq[qv] <= vq[qv-1];
            v2 <= vq[TREE];
            v3 <= v2 && last2;
        end
    end

    // Stage 2: the tile's dot products, output channel g's in dots[g*ACC_BITS +: ACC_BITS]: the SIMD products
    // of stage 1's word, summed by an sf_adder_tree.
    wire [PE*ACC_BITS-1:0] dots;
    genvar g;
    generate
        if (MAC == MAC_DSP_PACKED) begin : g_packed
            for (g = 0; g < PE / 2; g = g + 1) begin : g_pair
                // A bit more than the two fields: w[2i+1] = -2**(W_BITS-1) with w[2i] < 0 lies just below the
                // range of PACK_SHIFT + W_BITS bits.
                reg signed [PACK_SHIFT+W_BITS:0] wpair;
                // Any sum of packed products, a single one included, is a pair of dot products that fit their
                // PACK_SHIFT-bit fields (spec.pack_shift): 2 * PACK_SHIFT bits hold it exactly, the multiplier's
                // truncated result included.
                reg signed [2*PACK_SHIFT-1:0] product;
                reg [SIMD*2*PACK_SHIFT-1:0] products;
                reg signed [IN_BITS:0] xe;
                reg signed [W_BITS-1:0] wlo, whi;
                wire signed [2*PACK_SHIFT-1:0] sum;
                integer s;
                always @* begin
                    for (s = 0; s < SIMD; s = s + 1) begin
                        xe = {IN_SIGNED != 0 && x1[s*IN_BITS+IN_BITS-1], x1[s*IN_BITS+:IN_BITS]};
                        wlo = w1[(2*g*SIMD+s)*W_BITS+:W_BITS];
                        whi = w1[((2*g+1)*SIMD+s)*W_BITS+:W_BITS];
                        wpair = (whi <<< PACK_SHIFT) + wlo;
                        product = xe * wpair;
                        products[s*2*PACK_SHIFT+:2*PACK_SHIFT] = product;
                    end
                end
                sf_adder_tree #(.N(SIMD), .W(2 * PACK_SHIFT), .GROW(0)) tree (
                    .ap_clk(ap_clk), .en(en), .terms(products), .sum(sum)
                );
                wire signed [PACK_SHIFT-1:0] lo = sum[PACK_SHIFT-1:0];
                // sum = hi * 2**PACK_SHIFT + lo: its upper field is hi less the borrow of a negative lo (what
                // (sum - lo) >>> PACK_SHIFT computes, without a 2 * PACK_SHIFT-bit subtractor).
                wire signed [PACK_SHIFT-1:0] hi = sum[2*PACK_SHIFT-1:PACK_SHIFT] + lo[PACK_SHIFT-1];
                assign dots[2*g*ACC_BITS+:ACC_BITS] = lo;
                assign dots[(2*g+1)*ACC_BITS+:ACC_BITS] = hi;
            end
        end else begin : g_single
            localparam integer PW = IN_BITS + W_BITS + 1;  // a product, signed
            for (g = 0; g < PE; g = g + 1) begin : g_row
                reg signed [IN_BITS:0] xe, partial;
                reg signed [W_BITS-1:0] we;
                reg signed [PW-1:0] product;
                reg [SIMD*PW-1:0] products;
                wire signed [PW+TREE-1:0] dot;
                integer s, k;
                always @* begin
                    for (s = 0; s < SIMD; s = s + 1) begin
                        xe = {IN_SIGNED != 0 && x1[s*IN_BITS+IN_BITS-1], x1[s*IN_BITS+:IN_BITS]};
                        we = w1[(g*SIMD+s)*W_BITS+:W_BITS];
                        if (MAC == MAC_LUT) begin
                            // Two's complement: the sign bit weighs -2**(W_BITS-1), so its partial product is
                            // subtracted. No * here, so synthesis infers no multiplier.
                            product = 0;
                            for (k = 0; k < W_BITS; k = k + 1) begin
                                partial = we[k] ? xe : 0;
                                if (k == W_BITS - 1) product = product - (partial <<< k);
                                else product = product + (partial <<< k);
                            end
                        end else begin
                            product = xe * we;
                        end
                        products[s*PW+:PW] = product;
                    end
                end
                sf_adder_tree #(.N(SIMD), .W(PW), .GROW(1)) tree (
                    .ap_clk(ap_clk), .en(en), .terms(products), .sum(dot)
                );
                assign dots[g*ACC_BITS+:ACC_BITS] = dot;  // sign-extended (or cut: it fits in ACC_BITS)
            end
        end

        // Stage 3: accumulate, from the bias at the first tile. Channel g's requantizer input, {shift, multiplier,
        // accumulator}, in channels[g*FW +: FW].
        wire [PE*FW-1:0] channels;
        for (g = 0; g < PE; g = g + 1) begin : g_pe
            reg signed [ACC_BITS-1:0] d2, acc;
            wire signed [ACC_BITS-1:0] bias = p2[g*FW+:ACC_BITS];
            always @(posedge ap_clk) begin
                if (en) begin
                    d2 <= dots[g*ACC_BITS+:ACC_BITS];
                    if (v2) acc <= (first2 ? bias : acc) + d2;
                end
            end
            assign channels[g*FW+:FW] = {p3[g*FW+ACC_BITS+:FW-ACC_BITS], acc};
        end

        // Stage 4, the requant product, and stage 5, round and clamp into the output register: by UNITS
        // requantizers (REQUANT_UNITS, at most PE), each taking PHASES channels one per cycle. `fields` holds
        // requantizer u's accumulator, multiplier and shift of this cycle's phase.
        localparam integer PHW = PHASES > 1 ? $clog2(PHASES) : 1;
        wire [UNITS*FW-1:0] fields;
        wire [PHW-1:0] phase4;  // the phase stage 4 holds
        wire last4;
        if (PHASES == 1) begin : g_direct
            assign fields = channels;
            assign phase4 = 0;
            assign last4 = 1'b1;
            always @(posedge ap_clk) begin
                if (!ap_rst_n) v4 <= 1'b0;
                else if (en) v4 <= v3;
            end
        end else begin : g_held
            // A pixel's accumulators wait in `held`, with their multipliers and shifts, while requantizer u takes
            // channel phase * UNITS + u in phase 0 .. PHASES-1; the output word fills slot by slot (the register
            // is free then: en). The next pixel's accumulators come SF >= PHASES cycles later
            // (spec.requant_units), at the earliest with the last phase.
            reg [FW-1:0] held[0:PHASES*UNITS-1];  // words, so that a phase reads a word multiplexer
            reg busy, last;
            reg [PHW-1:0] phase, phase_held;
            integer c;
            always @(posedge ap_clk) begin
                if (en && v3)
                    for (c = 0; c < PE; c = c + 1) held[c] <= channels[c*FW+:FW];
                if (en) begin
                    last <= phase == PHASES - 1;
                    phase_held <= phase;
                end
                if (!ap_rst_n) begin
                    busy <= 1'b0;
                    phase <= 0;
                    v4 <= 1'b0;
                end else if (en) begin
                    busy <= v3 || (busy && phase != PHASES - 1);
                    if (v3 || phase == PHASES - 1) phase <= 0;
                    else if (busy) phase <= phase + 1'b1;
                    v4 <= busy;
                end
            end
            genvar u;
            for (u = 0; u < UNITS; u = u + 1) begin : g_field
                assign fields[u*FW+:FW] = held[phase*UNITS+u];
            end
            assign phase4 = phase_held;
            assign last4 = last;
        end
        always @(posedge ap_clk) begin
            if (!ap_rst_n) out_tvalid <= 1'b0;
            else if (en) out_tvalid <= v4 && last4;
        end
        for (g = 0; g < UNITS; g = g + 1) begin : g_requant
            wire [FW-1:0] f = fields[g*FW+:FW];
            wire signed [ACC_BITS+MULT_BITS:0] offset;  // |offset| <= mult / 2: the sum fits the product's width
            if (OFFSET_BITS > 0) begin : g_offset
                assign offset = $signed(f[ACC_BITS+MULT_BITS+SHIFT_BITS+:(OFFSET_BITS > 0 ? OFFSET_BITS : 1)]);
            end else begin : g_no_offset
                assign offset = 0;
            end
            reg signed [ACC_BITS+MULT_BITS:0] product4;
            reg [SHIFT_BITS-1:0] shift4;
            wire [OUT_BITS-1:0] y;
            integer slot;
            always @(posedge ap_clk) begin
                if (en) begin
                    product4 <= $signed(f[ACC_BITS-1:0]) * $signed({1'b0, f[ACC_BITS+:MULT_BITS]}) + offset;
                    shift4 <= f[ACC_BITS+MULT_BITS+:SHIFT_BITS];
                    if (v4)
                        for (slot = g; slot < PE; slot = slot + UNITS)
                            if (phase4 == slot / UNITS) out_tdata[slot*OUT_BITS+:OUT_BITS] <= y;
                end
            end
            wire signed [PRODUCT_BITS-1:0] wide = product4;
            sf_round_clamp #(
                .P(PRODUCT_BITS), .SHIFT_BITS(SHIFT_BITS), .SHIFT_BASE(SHIFT_BASE), .OUT_BITS(OUT_BITS), .ZP(ZP),
                .LO(LO), .HI(HI)
            ) rq (
                .p(wide), .shift(shift4), .y(y)
            );
        end
    endgenerate
endmodule
`default_nettype wire
