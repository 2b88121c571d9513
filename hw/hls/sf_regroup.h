// sf_regroup.h: data-width converter between two groupings of a pixel's channels.
//
// Stream contract, per frame:
//   in : IN_WORDS words of IN_LANES lanes of lane_t: IN_WORDS / BLOCK_WORDS blocks (pixels) of BLOCK_WORDS words.
//   out: each block's lanes in the same order, OUT_LANES per word; gathered into wider words, a block whose lanes do
//        not fill its last word has that word's upper lanes zero (a windowed convolution's fan-in padded to whole
//        SIMD words). So ceil(BLOCK_WORDS * IN_LANES / OUT_LANES) words a block.
// One of IN_LANES, OUT_LANES divides the other (the compiler chains two converters through their gcd otherwise). A
// buffer of the wider word is filled from R_IN input words, or emptied into R_OUT output words (one of R_IN, R_OUT
// is 1); a block's zero fill takes the cycles of the words it stands for, so the loop keeps II=1 without a second
// exit path.
#ifndef SF_REGROUP_H
#define SF_REGROUP_H

#include "sf_common.h"

namespace sf {

// The configuration sf::regroup reads (compiler/kernels/regroup.py RegroupConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct regroup_config {
    typedef unset lane_t;
    typedef unset in_word;
    typedef unset out_word;
    static const int IN_LANES;
    static const int OUT_LANES;
    static const int IN_WORDS;  // per frame
    static const int BLOCK_WORDS;  // input words per block (pixel): a block's last output word is zero-filled
};

template <class L, class IN, class OUT>
void regroup(IN& in, OUT& out) {
    static_assert(L::IN_LANES % L::OUT_LANES == 0 || L::OUT_LANES % L::IN_LANES == 0, "lanes must divide");
    static_assert(L::IN_WORDS % L::BLOCK_WORDS == 0, "whole blocks");
    const int IN_BITS = L::in_word::width, OUT_BITS = L::out_word::width;
    const int R_IN = OUT_BITS > IN_BITS ? OUT_BITS / IN_BITS : 1, R_OUT = IN_BITS > OUT_BITS ? IN_BITS / OUT_BITS : 1;
    const int SLOTS = (L::BLOCK_WORDS + R_IN - 1) / R_IN * R_IN;  // a block's words and its zero fill
    ap_uint<IN_BITS * R_IN> buf = 0;
    int slot_in = 0, slot_out = 0, slot = 0;
    for (int i = 0; i < L::IN_WORDS / L::BLOCK_WORDS * SLOTS * R_OUT; i++) {
#pragma HLS PIPELINE II=1
        if (slot_out == 0) {
            const typename L::in_word x = slot < L::BLOCK_WORDS ? in.read() : typename L::in_word(0);
            buf.range(slot_in * IN_BITS + IN_BITS - 1, slot_in * IN_BITS) = x;
        }
        if (slot_in == R_IN - 1) {
            const typename L::out_word y = buf.range(slot_out * OUT_BITS + OUT_BITS - 1, slot_out * OUT_BITS);
            out.write(y);
        }
        if (++slot_out == R_OUT) {
            slot_out = 0;
            slot_in = slot_in == R_IN - 1 ? 0 : slot_in + 1;
            slot = slot == SLOTS - 1 ? 0 : slot + 1;
        }
    }
}

}  // namespace sf

#endif
