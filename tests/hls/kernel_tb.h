// kernel_tb.h: what every kernel harness generated from kernel_tb.cpp.j2 shares: the processes that feed a kernel's
// input streams and drain its output streams, with the words tests/test_hls_kernels.py writes and reads.
//
//   tb < IN.txt > OUT.txt
// IN.txt: hex tokens: the number of frames, then per frame and per stream in the harness's order (inputs, then
// outputs) the stream's word count, followed by the words for an input. OUT.txt: per frame and output stream its
// words in hex, each AXI beat followed by its TLAST (0 or 1). Exit status: 0 ok, 3 a simulation error (a stream read
// empty or left holding words, a width overflow, a malformed input), with the message on stderr.
#ifndef SF_KERNEL_TB_H
#define SF_KERNEL_TB_H

#include <cstdio>
#include <exception>
#include <string>

#include "squeezeflow.h"

namespace sf_tb {

// Words travel as hex text: stream words may be wider than any native integer.
template <int N>
void parse(const std::string& hex, ap_uint<N>& word) {
    if (hex.size() > size_t((N + 3) / 4)) throw std::runtime_error("word 0x" + hex + " is wider than its stream");
    word = 0;
    for (size_t end = hex.size(), k = 0; end > 0; k++) {
        const size_t begin = end > 16 ? end - 16 : 0;
        const int lo = int(64 * k), hi = lo + 63 < N ? lo + 63 : N - 1;
        word.range(hi, lo) = std::stoull(hex.substr(begin, end - begin), nullptr, 16);
        end = begin;
    }
}

// The source sets TLAST on a frame's last beat, as the host's DMA does (sf_host.h feed).
template <int N>
void parse(const std::string& hex, sf::axis_word<N>& beat) {
    parse(hex, beat.data);
    beat.keep = -1;
    beat.strb = -1;
    beat.last = 0;
}

template <class T>
void mark_last(T&) {}
template <int N>
void mark_last(sf::axis_word<N>& beat) {
    beat.last = 1;
}

template <int N>
void print(std::FILE* f, const ap_uint<N>& word) {
    for (int k = (N - 1) / 64; k >= 0; k--) {
        const int hi = 64 * k + 63 < N ? 64 * k + 63 : N - 1;
        std::fprintf(f, "%016llx", static_cast<unsigned long long>(word.range(hi, 64 * k).to_uint64()));
    }
    std::fputc('\n', f);
}

template <int N>
void print(std::FILE* f, const sf::axis_word<N>& beat) {
    print(f, beat.data);
    std::fprintf(f, "%d\n", int(beat.last));
}

class words {
  public:
    words(std::FILE* in, std::FILE* out) : in_(in), out_(out) {}

    int count() {
        return int(std::stol(token(), nullptr, 16));
    }

    // An input stream's words of this frame, as many as the file says.
    template <class T, int DEPTH>
    void source(sf::stream<T, DEPTH>& s) {
        for (int i = 0, n = count(); i < n; i++) {
            T word;
            parse(token(), word);
            if (i == n - 1) mark_last(word);
            s.write(word);
        }
    }

    // An output stream's words of this frame: exactly as many as the golden model has, so that a kernel writing
    // fewer fails on the empty stream and one writing more on the words left behind (sf_stream.h).
    template <class T, int DEPTH>
    void sink(sf::stream<T, DEPTH>& s) {
        for (int i = 0, n = count(); i < n; i++) print(out_, s.read());
    }

  private:
    std::string token() {
        char buf[1100];  // hw/spec.py MAX_WORD_BITS in hex digits, and more
        if (std::fscanf(in_, "%1099s", buf) != 1) throw std::runtime_error("the input file ends early");
        return buf;
    }

    std::FILE* in_;
    std::FILE* out_;
};

// Runs every frame of the standard input through `frame` (the kernel between its sources and sinks, one dataflow
// region).
template <class FRAME>
int main(FRAME frame) {
    try {
        words io(stdin, stdout);
        for (int f = 0, frames = io.count(); f < frames; f++) frame(io);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "csim error: %s\n", e.what());
        return 3;
    }
    return 0;
}

}  // namespace sf_tb

#endif
