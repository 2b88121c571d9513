// sf_duplicate.h: stream duplicator, for a layer output with two consumers (a squeeze feeding both expands, a Fire
// input feeding the squeeze and the bypass add).
//
// Stream contract, per frame: in: WORDS words of word_t; out0, out1: the same WORDS words each.
#ifndef SF_DUPLICATE_H
#define SF_DUPLICATE_H

#include "sf_common.h"

namespace sf {

// The configuration sf::duplicate reads (compiler/kernels/duplicate.py DuplicateConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct duplicate_config {
    typedef unset word_t;
    static const int WORDS;  // per frame
};

template <class L, class IN, class OUT0, class OUT1>
void duplicate(IN& in, OUT0& out0, OUT1& out1) {
    for (int i = 0; i < L::WORDS; i++) {
#pragma HLS PIPELINE II=1
        const typename L::word_t x = in.read();
        out0.write(x);
        out1.write(x);
    }
}

}  // namespace sf

#endif
