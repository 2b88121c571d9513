// sf_add.h: residual add (a Fire module's identity bypass).
//
// Stream contract, per frame:
//   a, b: WORDS words of LANES lanes (a_t, b_t), the same channels and grouping.
//   out : WORDS words of LANES lanes of out_t:
//         y = clamp(round_half_even((MA * (a - ZA) + MB * (b - ZB)) / 2**SHIFT) + ZP, LO, HI) (compiler/ir.py).
#ifndef SF_ADD_H
#define SF_ADD_H

#include "sf_common.h"

namespace sf {

// The configuration sf::add reads (compiler/kernels/join.py AddConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct add_config {
    typedef unset a_t;
    typedef unset b_t;
    typedef unset out_t;
    typedef unset out_word;
    static const int LANES;
    static const int WORDS;  // per frame
    static const int MA;
    static const int MB;
    static const int ZA;
    static const int ZB;
    static const int SHIFT;
    static const int ZP;
    static const int LO;
    static const int HI;
    static const int SUM_BITS;  // holds the sum, and >= SHIFT + 2
};

template <class L, class INA, class INB, class OUT>
void add(INA& a, INB& b, OUT& out) {
    typedef typename num<ap_int<L::SUM_BITS> >::type sum_t;
    for (int i = 0; i < L::WORDS; i++) {
#pragma HLS PIPELINE II=1
        typename num<typename L::a_t>::type x[L::LANES];
        typename num<typename L::b_t>::type z[L::LANES];
        typename num<typename L::out_t>::type y[L::LANES];
        unpack<typename L::a_t>(a.read(), x);
        unpack<typename L::b_t>(b.read(), z);
        for (int l = 0; l < L::LANES; l++) {
#pragma HLS UNROLL
            const sum_t s = sum_t(L::MA) * (x[l] - L::ZA) + sum_t(L::MB) * (z[l] - L::ZB);
            const sum_t r = round_shift<L::SUM_BITS>(s, L::SHIFT) + L::ZP;
            y[l] = r < L::LO ? sum_t(L::LO) : r > L::HI ? sum_t(L::HI) : r;
        }
        typename L::out_word word;
        pack<typename L::out_t>(word, y);
        out.write(word);
    }
}

}  // namespace sf

#endif
