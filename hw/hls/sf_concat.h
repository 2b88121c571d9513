// sf_concat.h: channel concatenation (a Fire module's expand1x1 || expand3x3).
//
// Stream contract, per frame:
//   a  : PIXELS * CGA words of word_t (the first input's channels, CGA words per pixel).
//   b  : PIXELS * CGB words of word_t.
//   out: PIXELS * (CGA + CGB) words: each pixel's CGA words of a, then its CGB words of b.
// Both inputs carry the output's type and grouping: an input the IR requantizes goes through sf::requant first,
// a regrouped one through sf::regroup.
#ifndef SF_CONCAT_H
#define SF_CONCAT_H

#include "sf_common.h"

namespace sf {

// The configuration sf::concat reads (compiler/kernels/join.py ConcatConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct concat_config {
    typedef unset word_t;
    static const int CGA;  // words per pixel of input a
    static const int CGB;  // of input b
    static const int PIXELS;
};

template <class L, class INA, class INB, class OUT>
void concat(INA& a, INB& b, OUT& out) {
    int j = 0;
    for (int i = 0; i < L::PIXELS * (L::CGA + L::CGB); i++) {
#pragma HLS PIPELINE II=1
        const typename L::word_t x = j < L::CGA ? a.read() : b.read();
        out.write(x);
        j = j == L::CGA + L::CGB - 1 ? 0 : j + 1;
    }
}

}  // namespace sf

#endif
