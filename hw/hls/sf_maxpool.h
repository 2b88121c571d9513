// sf_maxpool.h: max pooling over the windows of an sf::window generator.
//
// Stream contract, per frame:
//   in : PIXELS * K * CG words of LANES lanes of lane_t: per output pixel its K window positions, each as CG
//        channel-group words (sf::window's order; padded positions hold the lane type's minimum).
//   out: PIXELS * CG words: per output pixel and channel group, the lane-wise maximum over the K positions.
#ifndef SF_MAXPOOL_H
#define SF_MAXPOOL_H

#include "sf_common.h"

namespace sf {

// The configuration sf::maxpool reads (compiler/kernels/pool.py MaxPoolConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct maxpool_config {
    typedef unset lane_t;
    typedef unset word_t;
    static const int LANES;
    static const int K;  // window positions (KH * KW)
    static const int CG;
    static const int PIXELS;  // output pixels
};

template <class L, class IN, class OUT>
void maxpool(IN& in, OUT& out) {
    typename L::word_t best[L::CG];  // running maximum of each channel group over the window so far
    int k = 0, cg = 0;
    for (int i = 0; i < L::PIXELS * L::K * L::CG; i++) {
#pragma HLS PIPELINE II=1
        const typename L::word_t x = in.read();
        typename L::word_t m = x;
        if (k != 0) {
            typename num<typename L::lane_t>::type a[L::LANES], b[L::LANES];
            unpack<typename L::lane_t>(best[cg], a);
            unpack<typename L::lane_t>(x, b);
            for (int l = 0; l < L::LANES; l++) {
#pragma HLS UNROLL
                a[l] = a[l] > b[l] ? a[l] : b[l];
            }
            pack<typename L::lane_t>(m, a);
        }
        if (k == L::K - 1)
            out.write(m);
        else
            best[cg] = m;
        if (++cg == L::CG) {
            cg = 0;
            k = k == L::K - 1 ? 0 : k + 1;
        }
    }
}

}  // namespace sf

#endif
