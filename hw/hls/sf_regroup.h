// sf_regroup.h: data-width converter between two groupings of a pixel's channels.
//
// Stream contract, per frame:
//   in : IN_WORDS words of IN_LANES lanes of lane_t.
//   out: IN_WORDS * IN_LANES / OUT_LANES words of OUT_LANES lanes: the same lanes in the same order.
// One of IN_LANES, OUT_LANES divides the other (the compiler chains two converters through their gcd otherwise),
// and both divide the channel count, so a word never straddles two pixels.
// L: lane_t, IN_LANES, OUT_LANES, IN_WORDS, in_word, out_word.
#ifndef SF_REGROUP_H
#define SF_REGROUP_H

#include "sf_common.h"

namespace sf {

template <class L, class IN, class OUT>
void regroup(IN& in, OUT& out) {
    static_assert(L::IN_LANES % L::OUT_LANES == 0 || L::OUT_LANES % L::IN_LANES == 0, "lanes must divide");
    const int IN_BITS = L::in_word::width, OUT_BITS = L::out_word::width;
    if (L::IN_LANES > L::OUT_LANES) {  // split each input word into R output words
        const int R = L::IN_LANES / L::OUT_LANES;
        typename L::in_word x = 0;
        int r = 0;
        for (int i = 0; i < L::IN_WORDS * R; i++) {
#pragma HLS PIPELINE II=1
            if (r == 0) x = in.read();
            const typename L::out_word y = x.range(r * OUT_BITS + OUT_BITS - 1, r * OUT_BITS);
            out.write(y);
            r = r == R - 1 ? 0 : r + 1;
        }
    } else {  // gather R input words into each output word
        const int R = L::OUT_LANES / L::IN_LANES;
        typename L::out_word y = 0;
        int r = 0;
        for (int i = 0; i < L::IN_WORDS; i++) {
#pragma HLS PIPELINE II=1
            y.range(r * IN_BITS + IN_BITS - 1, r * IN_BITS) = in.read();
            if (r == R - 1) out.write(y);
            r = r == R - 1 ? 0 : r + 1;
        }
    }
}

}  // namespace sf

#endif
