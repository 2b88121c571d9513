// sf_regroup.h: data-width converter between two groupings of a pixel's channels.
//
// Stream contract, per frame:
//   in : IN_WORDS words of IN_LANES lanes of lane_t.
//   out: IN_WORDS * IN_LANES / OUT_LANES words of OUT_LANES lanes: the same lanes in the same order.
// One of IN_LANES, OUT_LANES divides the other (the compiler chains two converters through their gcd otherwise),
// and both divide the channel count, so a word never straddles two pixels. A buffer of the wider word is filled
// from R_IN input words, or emptied into R_OUT output words (one of R_IN, R_OUT is 1).
// L: lane_t, IN_LANES, OUT_LANES, IN_WORDS, in_word, out_word.
#ifndef SF_REGROUP_H
#define SF_REGROUP_H

#include "sf_common.h"

namespace sf {

template <class L, class IN, class OUT>
void regroup(IN& in, OUT& out) {
    static_assert(L::IN_LANES % L::OUT_LANES == 0 || L::OUT_LANES % L::IN_LANES == 0, "lanes must divide");
    const int IN_BITS = L::in_word::width, OUT_BITS = L::out_word::width;
    const int R_IN = OUT_BITS > IN_BITS ? OUT_BITS / IN_BITS : 1, R_OUT = IN_BITS > OUT_BITS ? IN_BITS / OUT_BITS : 1;
    ap_uint<IN_BITS * R_IN> buf = 0;
    int slot_in = 0, slot_out = 0;
    for (int i = 0; i < L::IN_WORDS * R_OUT; i++) {
#pragma HLS PIPELINE II=1
        if (slot_out == 0) buf.range(slot_in * IN_BITS + IN_BITS - 1, slot_in * IN_BITS) = in.read();
        if (slot_in == R_IN - 1) {
            const typename L::out_word y = buf.range(slot_out * OUT_BITS + OUT_BITS - 1, slot_out * OUT_BITS);
            out.write(y);
        }
        if (++slot_out == R_OUT) {
            slot_out = 0;
            slot_in = slot_in == R_IN - 1 ? 0 : slot_in + 1;
        }
    }
}

}  // namespace sf

#endif
