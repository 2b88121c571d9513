// sf_axis_in.h: data-width converter from the AXI4-Stream input port to the first layer's pixel stream.
//
// Stream contract, per frame:
//   in : ceil(WORDS * LANES / (AXI_BITS / VALUE_BITS)) beats of axis_word<AXI_BITS>: the frame's values in HWC
//        order (pixels row-major, channels innermost), value k as a VALUE_BITS-bit two's complement integer in bits
//        [(k % PER_BEAT) * VALUE_BITS, ...) of beat k / PER_BEAT (hw/spec.py); the last beat is zero-padded.
//        TLAST is not checked: the frame size is static.
//   out: WORDS words of LANES lanes of lane_t, the same values in the same order.
#ifndef SF_AXIS_IN_H
#define SF_AXIS_IN_H

#include "sf_axis.h"

namespace sf {

// The configuration sf::axis_in reads (compiler/kernels/axis.py AxisInConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct axis_in_config {
    static const int AXI_BITS;
    static const int VALUE_BITS;
    typedef unset value_t;  // ap_(u)int<VALUE_BITS>
    typedef unset lane_t;
    typedef unset word_t;
    static const int LANES;
    static const int WORDS;  // per frame
};

template <class L, class IN, class OUT>
void axis_in(IN& in, OUT& out) {
    const int PER_BEAT = L::AXI_BITS / L::VALUE_BITS;
    static_assert(L::LANES <= PER_BEAT, "a word must come from at most two beats");
    ap_uint<2 * L::AXI_BITS> pending = 0;  // values received but not sent yet, lowest first
    int have = 0;
    for (int i = 0; i < L::WORDS; i++) {
#pragma HLS PIPELINE II=1
        if (have < L::LANES) {
            const ap_uint<2 * L::AXI_BITS> beat = in.read().data;
            pending |= beat << (have * L::VALUE_BITS);
            have += PER_BEAT;
        }
        typename L::word_t word = 0;
        for (int l = 0; l < L::LANES; l++) {
#pragma HLS UNROLL
            set_lane<typename L::lane_t>(word, l, get_lane<typename L::value_t>(pending, l));
        }
        out.write(word);
        pending >>= L::LANES * L::VALUE_BITS;
        have -= L::LANES;
    }
}

}  // namespace sf

#endif
