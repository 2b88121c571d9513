// sf_common.h: what every SqueezeFlow kernel shares (no kernel here): lane packing, the numeric types kernels
// compute in, constant-table types and the requantization arithmetic of compiler/ir.py.
#ifndef SF_COMMON_H
#define SF_COMMON_H

// hls4ml's ap_types default-construct every ap_int they convert from a native integer, which reads the
// uninitialised value (harmless: it is overwritten); g++ reports it wherever such a conversion is inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// Stream words up to hw/spec.py MAX_WORD_BITS (a wide SIMD's input vector); ap_int's default limit is 1024.
#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 4096
#endif
#include <ap_int.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <stdint.h>
#ifndef __SYNTHESIS__
#include <stdexcept>
#include <string>
#endif

namespace sf {

// The type of a configuration member a kernel's base configuration declares (e.g. sf_mvau.h mvau_config): a
// generated struct that leaves it undefined fails compilation where the kernel uses it.
struct unset;

#ifdef __SYNTHESIS__
// Arithmetic is done in the exact ap_int widths the compiler derived.
template <class T> struct num { typedef T type; };
// Constant tables (weights, biases, requant parameters) hold exact-width words.
template <int W> using rom_uint = ap_uint<W>;
template <int W> using rom_int = ap_int<W>;
#else
// C simulation computes in native integers at least as wide. Every width the compiler derives is a worst case
// (accumulators, sums, products cannot overflow), so both give the same integers; native ones run ~6x faster.
template <class T> struct num;
template <int W> struct num<ap_int<W> > {
    static_assert(W <= 64, "wider than a native integer");
    typedef int64_t type;
};
template <int W> struct num<ap_uint<W> > {
    static_assert(W <= 63, "wider than a native integer");
    typedef int64_t type;
};
// Plain integers: a large table of ap_uint has one dynamic constructor per element and compiles ~100x slower.
template <int W> using rom_uint = uint64_t;
template <int W> using rom_int = int64_t;
#endif

template <class T> struct is_signed_lane;
template <int W> struct is_signed_lane<ap_int<W> > {
    static const bool value = true;
};
template <int W> struct is_signed_lane<ap_uint<W> > {
    static const bool value = false;
};

// Stream words pack lanes of T (ap_int<B> or ap_uint<B>): lane i in bits [i*B, (i+1)*B), lowest lane first
// (hw/spec.py). C simulation moves the bits through native 64-bit limbs: a shift of a wide ap_uint costs a call
// into ap_private per lane.
#ifndef __SYNTHESIS__
template <class T>
inline int64_t extend(uint64_t bits) {  // the lane value in the low B bits, sign- or zero-extended
    const int B = T::width;
    return is_signed_lane<T>::value ? int64_t(bits << (64 - B)) >> (64 - B) : int64_t(bits & (~0ULL >> (64 - B)));
}

template <int N>
inline uint64_t limb(const ap_uint<N>& word, int k) {
    return N <= 64 ? word.to_uint64() : word.range(64 * k + 63 < N ? 64 * k + 63 : N - 1, 64 * k).to_uint64();
}

// csim: lane i of a word held in a native integer (constant tables: words of at most 64 bits).
template <class T>
inline int64_t get_lane(uint64_t word, int i) {
    return extend<T>(word >> (i * T::width));
}
#endif

template <class T, int N>
inline typename num<T>::type get_lane(const ap_uint<N>& word, int i) {
#pragma HLS INLINE
    const int B = T::width;
#ifndef __SYNTHESIS__
    if (N <= 64) return get_lane<T>(word.to_uint64(), i);
#endif
    const T value = word.range(i * B + B - 1, i * B);
    return value;
}

template <class T, int N>
inline void set_lane(ap_uint<N>& word, int i, typename num<T>::type value) {
#pragma HLS INLINE
    const int B = T::width;
    word.range(i * B + B - 1, i * B) = T(value);
}

// Every lane of `word`.
template <class T, int N, int LANES>
inline void unpack(const ap_uint<N>& word, typename num<T>::type (&lanes)[LANES]) {
#pragma HLS INLINE
    const int B = T::width;
    static_assert(LANES * B == N, "a word holds LANES lanes");
#ifdef __SYNTHESIS__
    for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
        lanes[i] = word.range(i * B + B - 1, i * B);
    }
#else
    uint64_t limbs[(N + 63) / 64 + 1];
    for (int k = 0; k < (N + 63) / 64; k++) limbs[k] = limb(word, k);
    limbs[(N + 63) / 64] = 0;
    for (int i = 0; i < LANES; i++) {
        const int k = i * B / 64, offset = i * B % 64;
        const uint64_t low = limbs[k] >> offset;
        lanes[i] = extend<T>(offset + B > 64 ? low | limbs[k + 1] << (64 - offset) : low);
    }
#endif
}

// A word made of `lanes`.
template <class T, int N, int LANES>
inline void pack(ap_uint<N>& word, const typename num<T>::type (&lanes)[LANES]) {
#pragma HLS INLINE
    const int B = T::width;
    static_assert(LANES * B == N, "a word holds LANES lanes");
#ifdef __SYNTHESIS__
    for (int i = 0; i < LANES; i++) {
#pragma HLS UNROLL
        word.range(i * B + B - 1, i * B) = T(lanes[i]);
    }
#else
    uint64_t limbs[(N + 63) / 64 + 1] = {};
    for (int i = 0; i < LANES; i++) {
        const int k = i * B / 64, offset = i * B % 64;
        const uint64_t bits = uint64_t(lanes[i]) & (~0ULL >> (64 - B));
        limbs[k] |= bits << offset;
        if (offset + B > 64) limbs[k + 1] |= bits >> (64 - offset);
    }
    if (N <= 64)
        word = limbs[0];
    else
        for (int k = 0; k < (N + 63) / 64; k++) word.range(64 * k + 63 < N ? 64 * k + 63 : N - 1, 64 * k) = limbs[k];
#endif
}

// All lanes holding `value`.
template <class T, int N>
inline ap_uint<N> splat(typename num<T>::type value) {
#pragma HLS INLINE
    typename num<T>::type lanes[N / T::width];
    for (int i = 0; i < N / T::width; i++) {
#pragma HLS UNROLL
        lanes[i] = value;
    }
    ap_uint<N> word;
    pack<T>(word, lanes);
    return word;
}

#ifndef __SYNTHESIS__
// csim only: the compiler derived every width as a worst case; a value outside it would wrap in hardware.
struct width_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
inline void check_fits(int64_t value, int bits, const char* what) {
    if (bits < 64 && (value < -(int64_t(1) << (bits - 1)) || value >= (int64_t(1) << (bits - 1))))
        throw width_error(std::string(what) + " value " + std::to_string(value) + " does not fit its " +
                          std::to_string(bits) + "-bit type");
}
#define SF_CHECK_FITS(value, bits, what) sf::check_fits(int64_t(value), bits, what)
#else
#define SF_CHECK_FITS(value, bits, what)
#endif

// round_half_even(p / 2**shift): compiler/golden.py's round_shift in P-bit arithmetic; the compiler makes
// P >= shift + 2 so that 2**shift and the remainder are representable.
template <int P>
inline typename num<ap_int<P> >::type round_shift(typename num<ap_int<P> >::type p, int shift) {
#pragma HLS INLINE
    typedef typename num<ap_int<P> >::type T;
    const T mask = (T(1) << shift) - 1;
    const T floor = p >> shift, rem = p & mask;  // p = floor * 2**shift + rem, 0 <= rem < 2**shift
    const T half = (mask + 1) >> 1;
    const bool up = shift != 0 && (rem > half || (rem == half && (floor & 1) != 0));
    return floor + (up ? 1 : 0);
}

// Streamed weights' pixel groups (sf::mvau_streamed, sf::gap CHANNEL_MAJOR): GROUP pixels each, the last group the
// rest; the size of the group that starts at pixel `first`.
template <int PIXELS, int GROUP>
inline int group_size(int first) {
#pragma HLS INLINE
    return PIXELS - first < GROUP ? PIXELS - first : GROUP;
}

// ir.py's requant: clamp(round_half_even((acc * mult + offset) / 2**shift) + zp, lo, hi), the product in P bits.
template <int P, int MULT_BITS, class ACC>
inline typename num<ap_int<P> >::type requantize(ACC acc, typename num<ap_uint<MULT_BITS> >::type mult, int shift,
                                                 int zp, int lo, int hi,
                                                 typename num<ap_int<MULT_BITS> >::type offset = 0) {
#pragma HLS INLINE
    typedef typename num<ap_int<P> >::type T;
    const T product = acc * mult + offset;  // the offset: a float bias's fraction, |offset| <= mult / 2
    const T y = round_shift<P>(product, shift) + zp;
    return y < lo ? T(lo) : y > hi ? T(hi) : y;
}

// Drives a read-only AXI-lite register from inside a dataflow region, where function calls are canonical.
inline void read_only_register(ap_uint<32>& reg, uint32_t value) {
    reg = value;
}

}  // namespace sf

#endif
