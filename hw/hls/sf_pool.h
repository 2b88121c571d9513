// sf_pool.h: max pooling straight off a pixel stream, separably: a row of column maxima, then a row of window
// maxima, so that it buffers ceil(KH / SH) rows of its output instead of a window generator's KH + SH input rows.
//
// Stream contract, per frame:
//   in : H * W * CG words of LANES lanes of lane_t: pixels in row-major order, each pixel's channels as CG
//        consecutive words (channel group g holds channels g*LANES .. g*LANES+LANES-1).
//   out: HO * WO * CG words in the same layout: output (oy, ox) is the lane-wise maximum of the inputs
//        (oy*SH - PT + ky, ox*SW - PL + kx), ky < KH, kx < KW, that lie inside the input: padding and ceil-mode
//        windows hanging over the bottom/right edge are clipped (what a pad of the lane type's minimum gives).
// Schedule: one input word per cycle, never waiting for its output but on backpressure. Input column x feeds the
// output columns whose windows cover it (at most NA = ceil(KW / SW)): their running maxima sit in cols[ox % NA]; the
// column whose window ends at x is complete and goes on to the rows: input row y feeds the output rows whose windows
// cover it (at most NB = ceil(KH / SH)), their running maxima in rows[oy % NB]; the row whose window ends at y is
// complete and goes out, word by word, as its columns complete. So an output row leaves during the last input row
// of its window, about one word per SW input pixels (compiler/dataflow/fifo.py's row-burst rule holds the rest).
// Windows must end at distinct input rows and columns (compiler/dataflow/graph.py pool_is_separable; else sf::window +
// sf::maxpool).
#ifndef SF_POOL_H
#define SF_POOL_H

#include "sf_common.h"

namespace sf {

// The configuration sf::pool reads (compiler/kernels/pool.py PoolConfig): a generated struct derives
// from it and defines every member; a member left undefined fails compilation where the kernel uses it.
struct pool_config {
    typedef unset lane_t;
    typedef unset word_t;
    static const int LANES;
    static const int CG;
    static const int H;
    static const int W;
    static const int KH;
    static const int KW;
    static const int SH;
    static const int SW;
    static const int PT;
    static const int PL;
    static const int HO;
    static const int WO;
    static const int NA;  // column slots: windows a column can be in, ceil(KW / SW)
    static const int NB;  // row slots, ceil(KH / SH)
};

// The first output (row or column) whose window covers input position p, of windows K wide at stride S from -PAD.
template <int K, int S, int PAD>
inline int first_covering(int p) {
#pragma HLS INLINE
    const int reach = p + PAD - K + 1;  // the window of output o covers p when o * S <= p + PAD < o * S + K
    return reach <= 0 ? 0 : (reach + S - 1) / S;
}

// The last output whose window covers p (N outputs).
template <int S, int PAD, int N>
inline int last_covering(int p) {
#pragma HLS INLINE
    const int o = (p + PAD) / S;
    return o < N - 1 ? o : N - 1;
}

// Where the window of output o starts and ends in an input of N positions (clipped).
template <int S, int PAD>
inline bool window_starts_at(int o, int p) {
#pragma HLS INLINE
    return p == (o * S - PAD > 0 ? o * S - PAD : 0);
}
template <int K, int S, int PAD, int N>
inline bool window_ends_at(int o, int p) {
#pragma HLS INLINE
    return p == (o * S - PAD + K - 1 < N - 1 ? o * S - PAD + K - 1 : N - 1);
}

template <class L>
inline typename L::word_t lane_max(const typename L::word_t& a, const typename L::word_t& b) {
#pragma HLS INLINE
    typename num<typename L::lane_t>::type x[L::LANES], y[L::LANES];
    unpack<typename L::lane_t>(a, x);
    unpack<typename L::lane_t>(b, y);
    for (int l = 0; l < L::LANES; l++) {
#pragma HLS UNROLL
        x[l] = x[l] > y[l] ? x[l] : y[l];
    }
    typename L::word_t m;
    pack<typename L::lane_t>(m, x);
    return m;
}

template <class L, class IN, class OUT>
void pool(IN& in, OUT& out) {
    typename L::word_t cols[L::NA][L::CG];  // running maxima of the output columns in progress, column ox in ox % NA
    typename L::word_t rows[L::NB][L::WO * L::CG];  // and of the output rows in progress, row oy in oy % NB
#pragma HLS ARRAY_PARTITION variable=cols complete dim=1
#pragma HLS ARRAY_PARTITION variable=rows complete dim=1
#pragma HLS DEPENDENCE variable=rows inter false
    int y = 0, x = 0, g = 0;
    for (int i = 0; i < L::H * L::W * L::CG; i++) {
#pragma HLS PIPELINE II=1
        const typename L::word_t v = in.read();
        const int ox_first = first_covering<L::KW, L::SW, L::PL>(x);
        const int ox_last = last_covering<L::SW, L::PL, L::WO>(x);
        typename L::word_t column = v;  // output column ox_first's maximum so far
        for (int a = 0; a < L::NA; a++) {
#pragma HLS UNROLL
            const int ox = ox_first + a;
            if (ox <= ox_last) {
                const typename L::word_t m =
                    window_starts_at<L::SW, L::PL>(ox, x) ? v : lane_max<L>(cols[ox % L::NA][g], v);
                cols[ox % L::NA][g] = m;
                if (a == 0) column = m;
            }
        }
        if (ox_first <= ox_last && window_ends_at<L::KW, L::SW, L::PL, L::W>(ox_first, x)) {
            const int oy_first = first_covering<L::KH, L::SH, L::PT>(y);
            const int oy_last = last_covering<L::SH, L::PT, L::HO>(y);
            const int at = ox_first * L::CG + g;
            for (int b = 0; b < L::NB; b++) {
#pragma HLS UNROLL
                const int oy = oy_first + b;
                if (oy <= oy_last) {
                    const typename L::word_t m = window_starts_at<L::SH, L::PT>(oy, y)
                                                     ? column
                                                     : lane_max<L>(rows[oy % L::NB][at], column);
                    rows[oy % L::NB][at] = m;
                    if (b == 0 && window_ends_at<L::KH, L::SH, L::PT, L::H>(oy, y)) out.write(m);
                }
            }
        }
        if (++g == L::CG) {
            g = 0;
            if (++x == L::W) {
                x = 0;
                y++;
            }
        }
    }
}

}  // namespace sf

#endif
