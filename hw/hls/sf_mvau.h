// sf_mvau.h: matrix-vector-activation unit, the engine of every convolution (after a window generator for k x k).
//
// Stream contract, per frame:
//   in : PIXELS * SF words of SIMD lanes of in_t: for each output pixel its input vector (KH*KW*C values in
//        (ky, kx, c) order, as from sf::window, or a pixel's C channels for a 1x1 convolution), SIMD per word.
//   out: PIXELS * NF words of PE lanes of out_t: each pixel's O = NF*PE output channels, PE per word, lowest first.
// Folding: each cycle multiplies one input word by PE x SIMD weights (one tile); a pixel takes NF * SF cycles, its
// input words read during the first neuron fold (nf = 0) and replayed from a buffer for the others.
// Arithmetic (compiler/ir.py): acc = bias + sum(weight * x) in acc_t, then
// y = clamp(round_half_even(acc * mult / 2**shift) + ZP, LO, HI) per output channel; ReLU is the clamp.
// Weights: tile t = nf * SF + sf of PE row pe lives in weights[pe][bank][t], BANKS words of BANK_LANES signed
// WEIGHT_BITS-bit lanes (lane l of bank b multiplies input lane b * BANK_LANES + l). Banks are at most 64 bits wide,
// as a BRAM port is (72 bits at most), so every PE x bank memory maps onto plain ROM columns. `weights` is the
// weight source: anything indexable as [pe][bank][t] (an on-chip ROM now; a FIFO-fed buffer filled from DDR is
// the seam for layers that do not fit on chip).
// L: in_t, in_word, out_t, out_word, w_t, acc_t, SIMD, PE, SF, NF, PIXELS, BANKS, BANK_LANES, BANK_BITS,
//    ACC_BITS, MULT_BITS, SHIFT_BITS, PRODUCT_BITS, ZP, LO, HI, NAME (the layer, for csim's width check).
#ifndef SF_MVAU_H
#define SF_MVAU_H

#include "sf_common.h"

namespace sf {

template <class L, class IN, class OUT, class WEIGHTS>
void mvau(IN& in, OUT& out, const WEIGHTS& weights, const rom_int<L::ACC_BITS> bias[L::PE][L::NF],
          const rom_uint<L::MULT_BITS> mult[L::PE][L::NF], const rom_uint<L::SHIFT_BITS> shift[L::PE][L::NF]) {
#pragma HLS ARRAY_PARTITION variable=bias complete dim=1
#pragma HLS ARRAY_PARTITION variable=mult complete dim=1
#pragma HLS ARRAY_PARTITION variable=shift complete dim=1
    typedef typename num<typename L::acc_t>::type acc_t;
    typename L::in_word inputs[L::SF];  // the pixel's input vector, replayed for every neuron fold after the first
    acc_t acc[L::PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
    int sf = 0, nf = 0;
    for (int i = 0; i < L::PIXELS * L::NF * L::SF; i++) {
#pragma HLS PIPELINE II=1
        const typename L::in_word x = nf == 0 ? in.read() : inputs[sf];
        if (nf == 0) inputs[sf] = x;
        typename num<typename L::in_t>::type xs[L::SIMD];
#pragma HLS ARRAY_PARTITION variable=xs complete
        unpack<typename L::in_t>(x, xs);
        typename num<typename L::out_t>::type ys[L::PE];
#pragma HLS ARRAY_PARTITION variable=ys complete
        for (int pe = 0; pe < L::PE; pe++) {
#pragma HLS UNROLL
            acc_t a = sf == 0 ? acc_t(bias[pe][nf]) : acc[pe];
            for (int b = 0; b < L::BANKS; b++) {
#pragma HLS UNROLL
                const rom_uint<L::BANK_BITS> w = weights[pe][b][nf * L::SF + sf];
                for (int l = 0; l < L::BANK_LANES; l++) {
#pragma HLS UNROLL
                    a += get_lane<typename L::w_t>(w, l) * xs[b * L::BANK_LANES + l];
                }
            }
            acc[pe] = a;
            if (sf == L::SF - 1) {
                SF_CHECK_FITS(a, L::ACC_BITS, L::NAME);
                ys[pe] = requantize<L::PRODUCT_BITS, L::MULT_BITS>(a, mult[pe][nf], shift[pe][nf], L::ZP, L::LO, L::HI);
            }
        }
        if (sf == L::SF - 1) {
            typename L::out_word y;
            pack<typename L::out_t>(y, ys);
            out.write(y);
        }
        if (++sf == L::SF) {
            sf = 0;
            nf = nf == L::NF - 1 ? 0 : nf + 1;
        }
    }
}

}  // namespace sf

#endif
