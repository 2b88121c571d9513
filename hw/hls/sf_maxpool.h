// sf_maxpool.h: max pooling over the windows of an sf::window generator.
//
// Stream contract, per frame:
//   in : PIXELS * K * CG words of LANES lanes of lane_t: per output pixel its K window positions, each as CG
//        channel-group words (sf::window's order; padded positions hold the lane type's minimum).
//   out: PIXELS * CG words: per output pixel and channel group, the lane-wise maximum over the K positions.
// L: lane_t, word_t, LANES, K, CG, PIXELS.
#ifndef SF_MAXPOOL_H
#define SF_MAXPOOL_H

#include "sf_common.h"

namespace sf {

template <class L, class IN, class OUT>
void maxpool(IN& in, OUT& out) {
    typename L::word_t best[L::CG];  // running maximum of each channel group over the window so far
    int k = 0, cg = 0;
    for (int i = 0; i < L::PIXELS * L::K * L::CG; i++) {
#pragma HLS PIPELINE II=1
        const typename L::word_t x = in.read();
        typename L::word_t m = x;
        if (k != 0) {
            for (int l = 0; l < L::LANES; l++) {
#pragma HLS UNROLL
                const typename num<typename L::lane_t>::type a = get_lane<typename L::lane_t>(best[cg], l);
                const typename num<typename L::lane_t>::type b = get_lane<typename L::lane_t>(x, l);
                set_lane<typename L::lane_t>(m, l, a > b ? a : b);
            }
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
