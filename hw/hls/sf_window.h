// sf_window.h: sliding-window generator for k x k convolutions and pooling (stride, padding, ceil-mode overhang).
//
// Stream contract, per frame:
//   in : H * W * CG words of LANES lanes of lane_t: pixels in row-major order, each pixel's channels as CG
//        consecutive words (channel group g holds channels g*LANES .. g*LANES+LANES-1).
//   out: HO * WO * KH * KW * CG words: for each output pixel in row-major order, its window in (ky, kx, channel
//        group) order, where output (oy, ox) reads input (oy*SH - PT + ky, ox*SW - PL + kx); positions outside the
//        input (padding, and ceil-mode windows hanging over the bottom/right edge) read PAD in every lane. A pooling
//        layer passes the lane type's minimum as PAD, which makes its windows clipped at the edge.
//
// Schedule: a single loop reads at most one input word and writes at most one output word per cycle. It reads only
// as far as the window after the current one needs (the current window can then be written while the next one's
// new pixels arrive), so it runs ahead of its output by about (KH - 1 - PT) rows + KW pixels; the compiler sizes the
// FIFO of a parallel branch from the same rule (window_needed below, window_lead in compiler/dataflow/graph.py).
// ROWS = KH + SH input rows are buffered: the KH rows of the current window plus the SH rows the next output row adds.
#ifndef SF_WINDOW_H
#define SF_WINDOW_H

#include "sf_common.h"

namespace sf {

// The configuration sf::window reads (compiler/kernels/window.py WindowConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct window_config {
    typedef unset lane_t;
    typedef unset word_t;
    static const int LANES;
    static const int H;  // input rows
    static const int W;  // input columns
    static const int CG;  // channel groups (words) per pixel
    static const int KH;
    static const int KW;
    static const int SH;
    static const int SW;
    static const int PT;  // padding at the top
    static const int PL;  // at the left
    static const int HO;  // output rows
    static const int WO;  // output columns
    static const int ROWS;  // input rows buffered (KH + SH)
    static const int PAD;  // the value read at padded positions
};

// Input words that must have arrived before the window of output (oy, ox) is complete.
template <class L>
inline int window_needed(int oy, int ox) {
#pragma HLS INLINE
    const int row = oy * L::SH - L::PT + L::KH - 1, col = ox * L::SW - L::PL + L::KW - 1;
    return ((row < L::H - 1 ? row : L::H - 1) * L::W + (col < L::W - 1 ? col : L::W - 1) + 1) * L::CG;
}

template <class L, class IN, class OUT>
void window(IN& in, OUT& out) {
    static_assert(L::PT < L::KH && L::PL < L::KW, "padding must be smaller than the window");
    const int ROW_WORDS = L::W * L::CG, IN_WORDS = L::H * ROW_WORDS;
    const int OUT_WORDS = L::HO * L::WO * L::KH * L::KW * L::CG;
    typename L::word_t buf[L::ROWS][ROW_WORDS];  // input row r lives in buf[r % ROWS]
#pragma HLS DEPENDENCE variable=buf inter false
#pragma HLS DEPENDENCE variable=buf intra false
    const typename L::word_t pad = splat<typename L::lane_t, L::word_t::width>(L::PAD);
    int received = 0, slot = 0, col = 0;  // words read so far; where the next one goes
    int written = 0, oy = 0, ox = 0, ky = 0, kx = 0, cg = 0;
    for (int i = 0; i < IN_WORDS + OUT_WORDS; i++) {
#pragma HLS PIPELINE II=1
        const bool writing = written < OUT_WORDS;
        if (!writing && received == IN_WORDS) break;
        const bool last_pixel = oy == L::HO - 1 && ox == L::WO - 1;
        const int target = !writing || last_pixel ? IN_WORDS
                           : ox < L::WO - 1     ? window_needed<L>(oy, ox + 1)
                                                : window_needed<L>(oy + 1, 0);
        const bool can_write = writing && received >= window_needed<L>(oy, ox);
        if (received < target) {
            buf[slot][col] = in.read();
            received++;
            if (++col == ROW_WORDS) {
                col = 0;
                slot = slot == L::ROWS - 1 ? 0 : slot + 1;
            }
        }
        if (can_write) {
            const int iy = oy * L::SH - L::PT + ky, ix = ox * L::SW - L::PL + kx;
            const bool inside = iy >= 0 && iy < L::H && ix >= 0 && ix < L::W;
            out.write(inside ? buf[iy % L::ROWS][ix * L::CG + cg] : pad);
            written++;
            if (++cg == L::CG) {
                cg = 0;
                if (++kx == L::KW) {
                    kx = 0;
                    if (++ky == L::KH) {
                        ky = 0;
                        if (++ox == L::WO) {
                            ox = 0;
                            oy++;
                        }
                    }
                }
            }
        }
    }
}

}  // namespace sf

#endif
