// sf_gap.h: global average pool as a per-channel sum (its scale is folded into the next requant or the logits).
//
// Stream contract, per frame:
//   in : PIXELS * CG words of LANES lanes of in_t: each pixel's channels as CG consecutive words, or with
//        CHANNEL_MAJOR by pixel group (GROUP consecutive pixels, the last group the rest), each channel group's
//        words of the group's pixels consecutively (from sf::mvau_streamed).
//   out: CG words of LANES lanes of sum_t: per channel, the sum over all pixels of (x - ZP) (compiler/ir.py).
#ifndef SF_GAP_H
#define SF_GAP_H

#include "sf_common.h"

namespace sf {

// The configuration sf::gap reads (compiler/kernels/gap.py GapConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct gap_config {
    typedef unset in_t;
    typedef unset sum_t;
    typedef unset out_word;
    static const int LANES;
    static const int CG;
    static const int PIXELS;
    static const int GROUP;  // CHANNEL_MAJOR: pixels per group (the last group the rest)
    static const int ZP;
    static const int CHANNEL_MAJOR;  // 1: words by pixel group, channel group, pixel (from sf::mvau_streamed)
};

template <class L, class IN, class OUT>
void gap(IN& in, OUT& out) {
    typedef typename num<typename L::sum_t>::type sum_t;
    sum_t sums[L::CG][L::LANES];
#pragma HLS ARRAY_PARTITION variable=sums complete dim=2
    int cg = 0, pixel = 0, first = 0;  // channel major: pixel within the group that starts at pixel `first`
    for (int i = 0; i < L::PIXELS * L::CG; i++) {
#pragma HLS PIPELINE II=1
        typename num<typename L::in_t>::type x[L::LANES];
        unpack<typename L::in_t>(in.read(), x);
        for (int l = 0; l < L::LANES; l++) {
#pragma HLS UNROLL
            const sum_t before = first == 0 && pixel == 0 ? sum_t(0) : sums[cg][l];
            sums[cg][l] = before + x[l] - L::ZP;
        }
        if (L::CHANNEL_MAJOR) {  // pixel, then channel group, then group
            if (++pixel == group_size<L::PIXELS, L::GROUP>(first)) {
                pixel = 0;
                if (++cg == L::CG) {
                    cg = 0;
                    first += L::GROUP;
                }
            }
        } else if (++cg == L::CG) {  // channel group, then pixel
            cg = 0;
            pixel++;
        }
    }
    for (int g = 0; g < L::CG; g++) {
#pragma HLS PIPELINE II=1
        typename L::out_word y;
        pack<typename L::sum_t>(y, sums[g]);
        out.write(y);
    }
}

}  // namespace sf

#endif
