// sf_mvau.h: matrix-vector-activation unit, the engine of every convolution (after a window generator for k x k).
//
// Stream contract, per frame:
//   in : PIXELS * SF words of SIMD lanes of in_t: for each output pixel its input vector (KH*KW*C values in
//        (ky, kx, c) order, as from sf::window, or a pixel's C channels for a 1x1 convolution), SIMD per word.
//   out: PIXELS * NF words of PE lanes of out_t, PE output channels per word, lowest first, in one of two orders:
//        mvau (weights on chip): pixel-major, each pixel's O = NF*PE channels as NF consecutive words;
//        mvau_streamed (weights from DDR): by pixel group (GROUP consecutive pixels, the last group the rest),
//        channel-group-major within each, for each neuron fold nf its word of every pixel of the group (the order
//        sf::gap's CHANNEL_MAJOR reads).
// Folding: each cycle multiplies one input word by PE x SIMD weights (one tile); a pixel takes NF * SF cycles.
// Arithmetic (compiler/ir.py): acc = bias + sum(weight * x) in acc_t, then
// y = clamp(round_half_even((acc * mult + offset) / 2**shift) + ZP, LO, HI) per output channel; ReLU is the clamp;
// the offset (a float bias's fraction of an accumulator LSB, in product units) is zero for a quantized bias.
// Weights: tile t = nf * SF + sf of PE row pe is read as weights[pe][bank][t], BANKS words of BANK_LANES signed
// WEIGHT_BITS-bit lanes (lane l of bank b multiplies input lane b * BANK_LANES + l). Banks are at most 64 bits wide,
// as a BRAM port is (72 bits at most), so every PE x bank memory maps onto plain ROM columns; mvau_streamed keeps
// one neuron fold's tiles in the same layout, filled from its weight stream.
// Multipliers (L::MAC, an index into hw/spec.py MAC_IMPLS, enum mac_impl below): 0 "dsp", one DSP multiplier per
// product; 1 "dsp_packed", PE rows 2i and 2i+1 share one DSP multiplier per SIMD lane, x * (w[2i+1] * 2**PACK_SHIFT +
// w[2i]), the lanes' packed products summed and split into the two dot products once per tile (PE even, PACK_SHIFT =
// spec.pack_shift); 2 "lut", multipliers in the fabric. The arithmetic is the same integers in every mode.
// Requantizers: L::REQUANT_UNITS of them (hw/spec.py requant_units: ceil(PE / SF)) serve the PE channels, each one
// channel per iteration (struct requantizers), as sf_mvau.v's do.
#ifndef SF_MVAU_H
#define SF_MVAU_H

#include "sf_common.h"

namespace sf {

// The configuration sf::mvau reads (compiler/kernels/mvau.py MvauConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct mvau_config {
    static const char* const NAME;  // the layer, for csim's width check
    typedef unset in_t;
    typedef unset in_word;
    typedef unset out_t;
    typedef unset out_word;
    typedef unset w_t;
    typedef unset acc_t;
    static const int SIMD;  // input lanes per word
    static const int PE;  // output channels per word
    static const int SF;  // input words per pixel (synapse fold)
    static const int NF;  // output words per pixel (neuron fold)
    static const int PIXELS;
    static const int BANKS;  // weight memories per PE row
    static const int BANK_LANES;  // weights per memory word
    static const int BANK_BITS;
    static const int ACC_BITS;
    static const int MULT_BITS;
    static const int SHIFT_BITS;
    static const int SHIFT_BASE;  // the least shift: the shift table holds each channel's excess over it
    static const int PRODUCT_BITS;
    static const int ZP;
    static const int LO;
    static const int HI;
    static const int MAC;  // sf::mac_impl: hw/spec.py MAC_IMPLS by index
    static const int PACK_SHIFT;  // dsp_packed: the second weight's offset in the multiplicand (spec.pack_shift)
    static const int REQUANT_UNITS;  // requantizers serving the PE channels (hw/spec.py requant_units)
    static const int OFFSET_BITS;  // of the offset table: a float bias's fraction, in product units (1: all zero)
};

// The configuration sf::mvau_streamed reads (compiler/kernels/mvau.py MvauStreamedConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct mvau_streamed_config : mvau_config {
    static const int GROUP;  // pixels per group: the input rows kept while a pass of the weights goes by
    static const int W_BEATS;  // AXI beats per weight tile
    typedef unset w_word;  // a tile
};

// hw/spec.py MAC_IMPLS by index, as the generated configurations pass it (tests/test_rtl_checks.py)
enum mac_impl { MAC_DSP = 0, MAC_DSP_PACKED = 1, MAC_LUT = 2 };

// w * x in a DSP slice.
template <class P, class W, class X>
inline P mul_dsp(W w, X x) {
#pragma HLS INLINE
    const P p = w * x;
#pragma HLS BIND_OP variable=p op=mul impl=dsp
    return p;
}

// w * x in LUTs.
template <class P, class W, class X>
inline P mul_fabric(W w, X x) {
#pragma HLS INLINE
    const P p = w * x;
#pragma HLS BIND_OP variable=p op=mul impl=fabric
    return p;
}

// The dot products of tile t (one per PE row) with the input lanes xs, the multiplications mapped as L::MAC says:
// "dsp" and "lut" here, "dsp_packed" below.
template <class L, int MAC = L::MAC>
struct tile_dots {
    static_assert(MAC == MAC_DSP || MAC == MAC_LUT, "MAC: an index of hw/spec.py MAC_IMPLS");
    typedef typename num<typename L::acc_t>::type acc_t;
    typedef typename num<typename L::in_t>::type x_t;
    // B + W bits hold an unsigned B-bit activation's products too: (2**B - 1) * -2**(W-1) > -2**(B+W-1)
    typedef typename num<ap_int<L::in_t::width + L::w_t::width> >::type product_t;

    template <class WEIGHTS>
    static void run(const WEIGHTS& weights, int t, const x_t (&xs)[L::SIMD], acc_t (&dots)[L::PE]) {
#pragma HLS INLINE
        for (int pe = 0; pe < L::PE; pe++) {
#pragma HLS UNROLL
            acc_t dot = 0;
            for (int b = 0; b < L::BANKS; b++) {
#pragma HLS UNROLL
                const rom_uint<L::BANK_BITS> w = weights[pe][b][t];
                for (int l = 0; l < L::BANK_LANES; l++) {
#pragma HLS UNROLL
                    const typename num<typename L::w_t>::type wl = get_lane<typename L::w_t>(w, l);
                    const x_t x = xs[b * L::BANK_LANES + l];
                    dot += MAC == MAC_LUT ? mul_fabric<product_t>(wl, x) : mul_dsp<product_t>(wl, x);
                }
            }
            dots[pe] = dot;
        }
    }
};

template <class L>
struct tile_dots<L, MAC_DSP_PACKED> {
    static_assert(L::PE % 2 == 0, "dsp_packed pairs PE rows 2i and 2i+1");
    typedef typename num<typename L::acc_t>::type acc_t;
    typedef typename num<typename L::in_t>::type x_t;
    static const int P = L::PACK_SHIFT;
    // A bit more than the two fields: w[2i+1] = -2**(W-1) with w[2i] < 0 lies just below the range of P + W bits.
    typedef typename num<ap_int<P + L::w_t::width + 1> >::type packed_t;
    // Any sum of packed products, a single one included, is a pair of dot products that fit their P-bit fields
    // (spec.pack_shift): 2 * P bits hold it exactly, the multiplier's truncated result included.
    typedef typename num<ap_int<2 * P> >::type sum_t;

    template <class WEIGHTS>
    static void run(const WEIGHTS& weights, int t, const x_t (&xs)[L::SIMD], acc_t (&dots)[L::PE]) {
#pragma HLS INLINE
        for (int i = 0; i < L::PE / 2; i++) {
#pragma HLS UNROLL
            sum_t sum = 0;
            for (int b = 0; b < L::BANKS; b++) {
#pragma HLS UNROLL
                const rom_uint<L::BANK_BITS> lo_word = weights[2 * i][b][t], hi_word = weights[2 * i + 1][b][t];
                for (int l = 0; l < L::BANK_LANES; l++) {
#pragma HLS UNROLL
                    // a multiplication by 2**P, not a shift: left shifts of negative native integers are undefined
                    const packed_t w = packed_t(get_lane<typename L::w_t>(hi_word, l)) * (packed_t(1) << P) +
                                       get_lane<typename L::w_t>(lo_word, l);
                    sum += mul_dsp<sum_t>(w, xs[b * L::BANK_LANES + l]);
                }
            }
            const sum_t half = sum_t(1) << (P - 1);
            const sum_t low = ((sum & (2 * half - 1)) ^ half) - half;  // the low P bits, sign-extended
            dots[2 * i] = low;
            dots[2 * i + 1] = (sum - low) >> P;
        }
    }
};

// The PE channels' requantizers, UNITS of them: a pixel's accumulators wait in `held` while each unit
// requantizes one channel per iteration, PHASES iterations in all; the next pixel's come SF >= PHASES iterations
// later (spec.requant_units). The output word goes out with the last phase. With a unit per channel (PHASES = 1)
// that is the iteration that completes them.
template <class L>
struct requantizers {
    static const int UNITS = L::REQUANT_UNITS < L::PE ? L::REQUANT_UNITS : L::PE;
    static const int PHASES = (L::PE + UNITS - 1) / UNITS;
    typedef typename num<typename L::acc_t>::type acc_t;
    acc_t held[L::PE];
    typename num<typename L::out_t>::type ys[L::PE];
    int nf, phase;  // phase == PHASES: nothing left to requantize

    requantizers() : nf(0), phase(PHASES) {}

    void hold(const acc_t (&acc)[L::PE], int fold) {
#pragma HLS INLINE
        for (int pe = 0; pe < L::PE; pe++) {
#pragma HLS UNROLL
            held[pe] = acc[pe];
        }
        nf = fold;
        phase = 0;
    }

    // The held pixel's next phase, if any.
    template <class OUT>
    void step(OUT& out, const rom_uint<L::MULT_BITS> mult[L::PE][L::NF],
              const rom_uint<L::SHIFT_BITS> shift[L::PE][L::NF], const rom_int<L::OFFSET_BITS> offset[L::PE][L::NF]) {
#pragma HLS INLINE
        if (phase == PHASES) return;
        for (int u = 0; u < UNITS; u++) {
#pragma HLS UNROLL
            const int pe = phase * UNITS + u;
            if (pe < L::PE)
                ys[pe] = requantize<L::PRODUCT_BITS, L::MULT_BITS>(held[pe], mult[pe][nf],
                                                                   L::SHIFT_BASE + shift[pe][nf], L::ZP, L::LO, L::HI,
                                                                   offset[pe][nf]);
        }
        if (++phase == PHASES) {
            typename L::out_word y;
            pack<typename L::out_t>(y, ys);
            out.write(y);
        }
    }
};

// One tile of the folded product: the dot products of input word x with tile t of `weights`, accumulated from
// the bias at the first input fold; after the last one the PE accumulators go to the requantizers, which are
// stepped first (the previous pixel's next phase).
template <class L, class OUT, class WEIGHTS>
inline void mvau_tile(const typename L::in_word& x, const WEIGHTS& weights, int t, int nf, int sf,
                      typename num<typename L::acc_t>::type (&acc)[L::PE], requantizers<L>& rq, OUT& out,
                      const rom_int<L::ACC_BITS> bias[L::PE][L::NF], const rom_uint<L::MULT_BITS> mult[L::PE][L::NF],
                      const rom_uint<L::SHIFT_BITS> shift[L::PE][L::NF],
                      const rom_int<L::OFFSET_BITS> offset[L::PE][L::NF]) {
#pragma HLS INLINE
    typedef typename num<typename L::acc_t>::type acc_t;
    rq.step(out, mult, shift, offset);
    typename num<typename L::in_t>::type xs[L::SIMD];
#pragma HLS ARRAY_PARTITION variable=xs complete
    unpack<typename L::in_t>(x, xs);
    acc_t dots[L::PE];
#pragma HLS ARRAY_PARTITION variable=dots complete
    tile_dots<L>::run(weights, t, xs, dots);
    for (int pe = 0; pe < L::PE; pe++) {
#pragma HLS UNROLL
        const acc_t a = (sf == 0 ? acc_t(bias[pe][nf]) : acc[pe]) + dots[pe];
        acc[pe] = a;
        if (sf == L::SF - 1) SF_CHECK_FITS(a, L::ACC_BITS, L::NAME);
    }
    if (sf == L::SF - 1) {
        rq.hold(acc, nf);
        if (requantizers<L>::PHASES == 1) rq.step(out, mult, shift, offset);
    }
}

// After a frame's last tile: the last pixel's phases (none left with PHASES = 1). PHASES cycles a frame that
// sf_mvau.v overlaps with the next frame.
template <class L, class OUT>
inline void mvau_drain(requantizers<L>& rq, OUT& out, const rom_uint<L::MULT_BITS> mult[L::PE][L::NF],
                       const rom_uint<L::SHIFT_BITS> shift[L::PE][L::NF],
                      const rom_int<L::OFFSET_BITS> offset[L::PE][L::NF]) {
    for (int p = 0; p < requantizers<L>::PHASES; p++) {
#pragma HLS PIPELINE II=1
        rq.step(out, mult, shift, offset);
    }
}

// Weights on chip (WEIGHT_STORAGE "bram" or "lutram"): pixel by pixel, the weights read from ROM every tile.
template <class L, class IN, class OUT, class WEIGHTS>
void mvau(IN& in, OUT& out, const WEIGHTS& weights, const rom_int<L::ACC_BITS> bias[L::PE][L::NF],
          const rom_uint<L::MULT_BITS> mult[L::PE][L::NF], const rom_uint<L::SHIFT_BITS> shift[L::PE][L::NF],
          const rom_int<L::OFFSET_BITS> offset[L::PE][L::NF]) {
#pragma HLS ARRAY_PARTITION variable=bias complete dim=1
#pragma HLS ARRAY_PARTITION variable=mult complete dim=1
#pragma HLS ARRAY_PARTITION variable=shift complete dim=1
#pragma HLS ARRAY_PARTITION variable=offset complete dim=1
    typename L::in_word inputs[L::SF];  // the pixel's input vector, replayed for every neuron fold after the first
    typename num<typename L::acc_t>::type acc[L::PE] = {};  // for g++: a pixel's first tile writes it before any read
#pragma HLS ARRAY_PARTITION variable=acc complete
    requantizers<L> rq;
#pragma HLS ARRAY_PARTITION variable=rq.held complete
#pragma HLS ARRAY_PARTITION variable=rq.ys complete
    int sf = 0, nf = 0;
    for (int i = 0; i < L::PIXELS * L::NF * L::SF; i++) {
#pragma HLS PIPELINE II=1
        const typename L::in_word x = nf == 0 ? in.read() : inputs[sf];
        if (nf == 0) inputs[sf] = x;
        mvau_tile<L>(x, weights, nf * L::SF + sf, nf, sf, acc, rq, out, bias, mult, shift, offset);
        if (++sf == L::SF) {
            sf = 0;
            nf = nf == L::NF - 1 ? 0 : nf + 1;
        }
    }
    mvau_drain<L>(rq, out, mult, shift, offset);
}

// Weights streamed from DDR (WEIGHT_STORAGE "ddr"): pixel group by pixel group (GROUP output pixels, a few rows:
// compiler/planner/plan.py), and within a group neuron fold by neuron fold, so each weight is read once per group. The
// group's input vectors are read during the first neuron fold and replayed from a group buffer for the others (the
// input FIFO holds the next group meanwhile: compiler/dataflow/fifo.py); a fold's SF weight tiles are read during its
// first pixel and replayed for the others. The output goes by group, then channel group (the stream contract above).
//   weights_in: per group, NF * SF words of w_word, tile nf * SF + sf; weight (pe, s) of the tile in bits
//               [(pe * SIMD + s) * WEIGHT_BITS, ...), two's complement (hw/spec.py weight stream).
template <class L, class IN, class WIN, class OUT>
void mvau_streamed(IN& in, WIN& weights_in, OUT& out, const rom_int<L::ACC_BITS> bias[L::PE][L::NF],
                   const rom_uint<L::MULT_BITS> mult[L::PE][L::NF],
                   const rom_uint<L::SHIFT_BITS> shift[L::PE][L::NF],
                   const rom_int<L::OFFSET_BITS> offset[L::PE][L::NF]) {
#pragma HLS ARRAY_PARTITION variable=bias complete dim=1
#pragma HLS ARRAY_PARTITION variable=mult complete dim=1
#pragma HLS ARRAY_PARTITION variable=shift complete dim=1
#pragma HLS ARRAY_PARTITION variable=offset complete dim=1
    typename L::in_word group[L::GROUP * L::SF];
    rom_uint<L::BANK_BITS> tiles[L::PE][L::BANKS][L::SF];  // the neuron fold's weights, [pe][bank][sf]
#pragma HLS ARRAY_PARTITION variable=tiles complete dim=1
#pragma HLS ARRAY_PARTITION variable=tiles complete dim=2
    typename num<typename L::acc_t>::type acc[L::PE] = {};  // for g++: a pixel's first tile writes it before any read
#pragma HLS ARRAY_PARTITION variable=acc complete
    requantizers<L> rq;
#pragma HLS ARRAY_PARTITION variable=rq.held complete
#pragma HLS ARRAY_PARTITION variable=rq.ys complete
    const int WEIGHT_BITS = L::w_t::width;
    // pixel: within the group that starts at pixel `first`; at = pixel * SF + sf
    int sf = 0, pixel = 0, nf = 0, first = 0, at = 0;
    for (int i = 0; i < L::NF * L::PIXELS * L::SF; i++) {
#pragma HLS PIPELINE II=1
        const typename L::in_word x = nf == 0 ? in.read() : group[at];
        if (nf == 0) group[at] = x;
        if (pixel == 0) {
            const typename L::w_word w = weights_in.read();
            for (int pe = 0; pe < L::PE; pe++) {
#pragma HLS UNROLL
                for (int b = 0; b < L::BANKS; b++) {
#pragma HLS UNROLL
                    const int lo = (pe * L::SIMD + b * L::BANK_LANES) * WEIGHT_BITS;
                    tiles[pe][b][sf] = w.range(lo + L::BANK_BITS - 1, lo).to_uint64();
                }
            }
        }
        mvau_tile<L>(x, tiles, sf, nf, sf, acc, rq, out, bias, mult, shift, offset);
        at++;
        if (++sf == L::SF) {
            sf = 0;
            if (++pixel == group_size<L::PIXELS, L::GROUP>(first)) {
                pixel = 0;
                at = 0;
                if (++nf == L::NF) {
                    nf = 0;
                    first += L::GROUP;
                }
            }
        }
    }
    mvau_drain<L>(rq, out, mult, shift, offset);
}

}  // namespace sf

#endif
