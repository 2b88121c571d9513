// sf_requant.h: per-channel requantization of a stream (a concat input whose scale differs from the output's, or
// the quantized average after a global average pool).
//
// Stream contract, per frame:
//   in : WORDS words of LANES lanes of in_t, each pixel's channels as CG consecutive words.
//   out: WORDS words of LANES lanes of out_t: y = clamp(round_half_even((x - ZP_IN) * mult / 2**shift) + ZP, LO, HI)
//        with the multiplier and shift of x's channel (compiler/ir.py).
#ifndef SF_REQUANT_H
#define SF_REQUANT_H

#include "sf_common.h"

namespace sf {

// The configuration sf::requant reads (compiler/kernels/requant.py RequantConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct requant_config {
    typedef unset in_t;
    typedef unset diff_t;  // holds x - ZP_IN
    typedef unset out_t;
    typedef unset out_word;
    static const int LANES;
    static const int CG;  // channel groups (words) per pixel
    static const int WORDS;  // per frame
    static const int ZP_IN;
    static const int MULT_BITS;
    static const int SHIFT_BITS;
    static const int SHIFT_BASE;  // the least shift: the shift table holds each channel's excess over it
    static const int PRODUCT_BITS;
    static const int ZP;
    static const int LO;
    static const int HI;
};

template <class L, class IN, class OUT>
void requant(IN& in, OUT& out, const rom_uint<L::MULT_BITS> mult[L::LANES][L::CG],
             const rom_uint<L::SHIFT_BITS> shift[L::LANES][L::CG]) {
#pragma HLS ARRAY_PARTITION variable=mult complete dim=1
#pragma HLS ARRAY_PARTITION variable=shift complete dim=1
    int cg = 0;
    for (int i = 0; i < L::WORDS; i++) {
#pragma HLS PIPELINE II=1
        typename num<typename L::in_t>::type x[L::LANES];
        typename num<typename L::out_t>::type y[L::LANES];
        unpack<typename L::in_t>(in.read(), x);
        for (int l = 0; l < L::LANES; l++) {
#pragma HLS UNROLL
            const typename num<typename L::diff_t>::type d = x[l] - L::ZP_IN;
            y[l] = requantize<L::PRODUCT_BITS, L::MULT_BITS>(d, mult[l][cg], L::SHIFT_BASE + shift[l][cg],
                                                              L::ZP, L::LO, L::HI);
        }
        typename L::out_word word;
        pack<typename L::out_t>(word, y);
        out.write(word);
        cg = cg == L::CG - 1 ? 0 : cg + 1;
    }
}

}  // namespace sf

#endif
