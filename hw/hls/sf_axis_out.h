// sf_axis_out.h: data-width converter from the logits stream to the AXI4-Stream output port.
//
// Stream contract, per frame:
//   in : VALUES words of one lane of lane_t (the logits, in class order).
//   out: ceil(VALUES / PER_BEAT) beats of axis_word<AXI_BITS>, PER_BEAT = AXI_BITS / VALUE_BITS: value k sign- or
//        zero-extended to VALUE_BITS in bits [(k % PER_BEAT) * VALUE_BITS, ...) of beat k / PER_BEAT (hw/spec.py);
//        the last beat zero-padded; TKEEP and TSTRB all ones; TLAST on the frame's last beat.
#ifndef SF_AXIS_OUT_H
#define SF_AXIS_OUT_H

#include "sf_axis.h"

namespace sf {

// The configuration sf::axis_out reads (compiler/kernels/axis.py AxisOutConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct axis_out_config {
    static const int AXI_BITS;
    static const int VALUE_BITS;
    typedef unset lane_t;
    static const int VALUES;  // per frame
};

template <class L, class IN, class OUT>
void axis_out(IN& in, OUT& out) {
    const int PER_BEAT = L::AXI_BITS / L::VALUE_BITS;
    ap_uint<L::AXI_BITS> data = 0;
    for (int k = 0; k < L::VALUES; k++) {
#pragma HLS PIPELINE II=1
        const int slot = k % PER_BEAT;
        set_lane<ap_int<L::VALUE_BITS> >(data, slot, get_lane<typename L::lane_t>(in.read(), 0));
        if (slot == PER_BEAT - 1 || k == L::VALUES - 1) {
            axis_word<L::AXI_BITS> beat;
            beat.data = data;
            beat.keep = -1;
            beat.strb = -1;
            beat.last = k == L::VALUES - 1;
            out.write(beat);
            data = 0;
        }
    }
}

}  // namespace sf

#endif
