// sf_host.h: the host side of the top's ports in C simulation (testbench and shared library; never synthesized):
// frames of little-endian uint64 beats in and out, in the formats of hw/spec.py.
#ifndef SF_HOST_H
#define SF_HOST_H

#include <hls_stream.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sf_axis.h"
#include "sf_stream.h"

namespace sf {

// `beats` as AXI4-Stream words, TLAST on the last one.
template <class AXIS>
void feed(hls::stream<AXIS>& port, const uint64_t* beats, int count) {
    for (int i = 0; i < count; i++) {
        AXIS beat;
        beat.data = beats[i];
        beat.keep = -1;
        beat.strb = -1;
        beat.last = i == count - 1;
        port.write(beat);
    }
}

// Runs `top` (the generated sf_top_ports) on one frame, with one frame of the weights port's stream (weight_beats
// beats, none when every weight is on chip); checks that it reads every input and weight beat and writes exactly
// out_beats beats, TLAST on the last one, and the model_hash register.
template <class AXIS, class TOP>
void run_frame(TOP top, const uint64_t* in, int in_beats, const uint64_t* weights, int weight_beats, uint64_t* out,
               int out_beats, uint32_t hash) {
    hls::stream<AXIS> to_top, weights_to_top, from_top;
    feed(to_top, in, in_beats);
    feed(weights_to_top, weights, weight_beats);
    ap_uint<32> reg = 0;
    top(to_top, from_top, weights_to_top, reg);
    if (!to_top.empty())
        throw csim_error("the top left " + std::to_string(to_top.size()) + " of " + std::to_string(in_beats) +
                         " input beats unread");
    if (!weights_to_top.empty())
        throw csim_error("the top left " + std::to_string(weights_to_top.size()) + " of " +
                         std::to_string(weight_beats) + " weight beats unread");
    if (from_top.size() != size_t(out_beats))
        throw csim_error("the top wrote " + std::to_string(from_top.size()) + " output beats, not " +
                         std::to_string(out_beats));
    for (int i = 0; i < out_beats; i++) {
        const AXIS beat = from_top.read();
        out[i] = beat.data.to_uint64();
        if (beat.last != (i == out_beats - 1)) throw csim_error("TLAST misplaced at output beat " + std::to_string(i));
    }
    if (reg != hash) throw csim_error("model_hash register reads " + std::to_string(reg.to_uint()));
}

// Whole frames of `beats` beats from a file; false if unreadable or not a whole number of frames.
inline bool read_beats(const char* path, int beats, std::vector<uint64_t>& out) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    std::fseek(f, 0, SEEK_END);
    const long bytes = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    out.resize(size_t(bytes) / 8);
    const bool ok = bytes > 0 && bytes % (8L * beats) == 0 && std::fread(out.data(), 8, out.size(), f) == out.size();
    std::fclose(f);
    return ok;
}

inline bool write_beats(const char* path, const std::vector<uint64_t>& beats) {
    std::FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    const bool ok = std::fwrite(beats.data(), 8, beats.size(), f) == beats.size();
    return std::fclose(f) == 0 && ok;
}

// Appends the words each stream carried in the last frame to DIR/<stream>.bin (SF_TAPS builds).
inline bool append_taps(const std::string& dir) {
    for (const auto& tap : dataflow::get().taps()) {
        std::FILE* f = std::fopen((dir + "/" + tap.first + ".bin").c_str(), "ab");
        if (!f) return false;
        const bool ok = std::fwrite(tap.second.data(), 8, tap.second.size(), f) == tap.second.size();
        if (std::fclose(f) != 0 || !ok) return false;
    }
    return true;
}

}  // namespace sf

#endif
