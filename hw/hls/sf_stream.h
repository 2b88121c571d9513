// sf_stream.h: sf::stream<T, DEPTH>, the FIFO between two dataflow processes, and how C simulation checks depths.
//
// Synthesis: a plain hls::stream<T>; the generated top sets its depth with `#pragma HLS STREAM depth=DEPTH`.
//
// C simulation runs the processes of a frame one after the other in the top's (topological) order over unbounded
// queues, as Vitis csim does, with three checks Vitis lacks:
//  - reading an empty stream, or leaving words in one at the end of the frame, is an error (a producer and its
//    consumer disagree on the word count);
//  - every process's sequence of stream reads and writes is recorded (run-length encoded) and, at the end of the
//    frame, replayed with all processes running concurrently over FIFOs bounded at their declared depths. The kernels'
//    read/write sequences do not depend on data, so the replay reaches the state the hardware would: if every
//    unfinished process waits on a full or an empty FIFO, the design deadlocks, and the error names the cycle of
//    waiting processes and FIFOs. The replay takes each process's operations in program order, one at a time; a
//    pipelined loop differs by a word or two (it may read a few iterations ahead; an iteration writing two FIFOs
//    stalls as a whole), which the depth rule's slack of two pixels covers (compiler/backends/emit_hls.py).
//  - with SF_TAPS defined, every word written to every stream is kept (taps()) for the testbench to dump, so a
//    mismatch can be traced to the first layer that differs from the golden model.
#ifndef SF_STREAM_H
#define SF_STREAM_H

#include "sf_common.h"

#ifdef __SYNTHESIS__
#include <hls_stream.h>

namespace sf {
template <class T, int DEPTH> using stream = hls::stream<T>;
}
#define SF_DATAFLOW_BEGIN()
#define SF_PROCESS(name)
#define SF_DATAFLOW_END()

#else
#include <deque>
#include <map>
#include <sstream>
#include <vector>

namespace sf {

struct csim_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class stream_base {
  public:
    stream_base(const char* name, int depth) : name(name), depth(depth) {}
    stream_base(const stream_base&) = delete;
    virtual ~stream_base() {}
    virtual size_t size() const = 0;
    const std::string name;
    const int depth;
    uint64_t frame = 0;  // the frame this stream was last used in, and its index in that frame's stream list
    size_t index = 0;
};

// The processes and streams of the frame being simulated (csim runs one frame at a time, single-threaded).
class dataflow {
  public:
    static dataflow& get() {
        static dataflow instance;
        return instance;
    }

    void begin() {
        ++frame_;
        active_ = true;
        current_ = -1;
        streams_.clear();
        taps_.clear();
    }

    // The process that the following stream operations belong to.
    void process(const char* name) {
        if (size_t(++current_) == processes_.size()) processes_.emplace_back();
        processes_[current_].name = name;
        processes_[current_].runs.clear();
    }

    void record(stream_base& s, bool write) {
        if (!active_ || current_ < 0) return;  // kernels run outside a dataflow region are not traced
        if (s.frame != frame_) {
            s.frame = frame_;
            s.index = streams_.size();
            streams_.push_back(&s);
        }
        std::vector<run>& runs = processes_[current_].runs;
        if (!runs.empty() && runs.back().stream == s.index && runs.back().write == write)
            runs.back().count++;
        else
            runs.push_back(run{s.index, write, 1});
    }

    std::string current_process() const {
        return active_ && current_ >= 0 ? processes_[current_].name : std::string("(no process)");
    }

    template <int N>
    void tap(const std::string& name, const ap_uint<N>& word) {
        std::vector<uint64_t>& words = taps_[name];
        for (int lo = 0; lo < N; lo += 64) words.push_back(word.range(lo + 63 < N ? lo + 63 : N - 1, lo).to_uint64());
    }
    const std::map<std::string, std::vector<uint64_t> >& taps() const { return taps_; }

    // End of frame: every stream drained, and no deadlock at the declared depths.
    void end() {
        active_ = false;
        for (const stream_base* s : streams_)
            if (s->size())
                throw csim_error("stream '" + s->name + "' holds " + std::to_string(s->size()) +
                                 " words after the frame: its consumer reads fewer words than its producer writes");
        replay();
    }

  private:
    struct run {
        size_t stream;
        bool write;
        uint64_t count;
    };
    struct process_trace {
        std::string name;
        std::vector<run> runs;
    };

    // Runs every process as far as its FIFOs allow; a process that moves a stream wakes the one at its other end.
    void replay() const {
        const size_t n = size_t(current_ + 1), none = n;
        std::vector<size_t> writer(streams_.size(), none), reader(streams_.size(), none);
        for (size_t p = 0; p < n; p++)
            for (const run& r : processes_[p].runs) (r.write ? writer : reader)[r.stream] = p;
        std::vector<uint64_t> fill(streams_.size(), 0);
        std::vector<size_t> at(n, 0);      // current run of each process
        std::vector<uint64_t> done(n, 0);  // operations done of that run
        std::vector<size_t> ready(n);
        std::vector<char> queued(n, 1);
        for (size_t p = 0; p < n; p++) ready[p] = n - 1 - p;  // a stack: upstream processes first
        while (!ready.empty()) {
            const size_t p = ready.back();
            ready.pop_back();
            queued[p] = 0;
            const std::vector<run>& runs = processes_[p].runs;
            while (at[p] < runs.size()) {
                const run& r = runs[at[p]];
                const uint64_t room = r.write ? uint64_t(streams_[r.stream]->depth) - fill[r.stream] : fill[r.stream];
                const uint64_t step = std::min(room, r.count - done[p]);
                if (step == 0) break;
                fill[r.stream] = r.write ? fill[r.stream] + step : fill[r.stream] - step;
                const size_t other = r.write ? reader[r.stream] : writer[r.stream];
                if (other != none && !queued[other]) {
                    queued[other] = 1;
                    ready.push_back(other);
                }
                if ((done[p] += step) == r.count) {
                    at[p]++;
                    done[p] = 0;
                }
            }
        }
        // Blocked processes wait on each other around at least one cycle (a full FIFO waits for its reader, an
        // empty one for its writer); the cycle is the deadlock, and one of its full FIFOs is too shallow.
        size_t blocked = 0, p = n;
        for (size_t q = 0; q < n; q++)
            if (at[q] < processes_[q].runs.size()) blocked++, p = p == n ? q : p;
        if (!blocked) return;
        std::vector<char> seen(n, 0);
        for (; p != none && at[p] < processes_[p].runs.size() && !seen[p];) {
            seen[p] = 1;
            const run& r = processes_[p].runs[at[p]];
            p = r.write ? reader[r.stream] : writer[r.stream];
        }
        std::ostringstream cycle;
        for (size_t q = p, first = 1; q != none && (first || q != p); first = 0) {
            const run& r = processes_[q].runs[at[q]];
            const stream_base& s = *streams_[r.stream];
            cycle << (first ? "" : "; ") << processes_[q].name << " waits on ";
            if (r.write)
                cycle << "full '" << s.name << "' (depth " << s.depth << ")";
            else
                cycle << "empty '" << s.name << "'";
            q = r.write ? reader[r.stream] : writer[r.stream];
        }
        throw csim_error("deadlock at the declared stream depths: " + cycle.str() + " (" + std::to_string(blocked) +
                         " processes blocked)");
    }

    uint64_t frame_ = 0;
    bool active_ = false;
    int current_ = -1;
    std::vector<process_trace> processes_;  // kept across frames so that their run vectors keep their capacity
    std::vector<stream_base*> streams_;
    std::map<std::string, std::vector<uint64_t> > taps_;
};

template <class T, int DEPTH>
class stream : public stream_base {
  public:
    explicit stream(const char* name) : stream_base(name, DEPTH) {}

    T read() {
        if (queue_.empty())
            throw csim_error("process " + dataflow::get().current_process() + " read stream '" + name +
                             "' while empty: its producer writes fewer words than it reads");
        dataflow::get().record(*this, false);
        const T value = queue_.front();
        queue_.pop_front();
        return value;
    }
    void read(T& value) { value = read(); }

    void write(const T& value) {
        dataflow::get().record(*this, true);
#ifdef SF_TAPS
        dataflow::get().tap(name, value);
#endif
        queue_.push_back(value);
    }

    bool empty() const { return queue_.empty(); }
    size_t size() const override { return queue_.size(); }

  private:
    std::deque<T> queue_;
};

}  // namespace sf

#define SF_DATAFLOW_BEGIN() sf::dataflow::get().begin()
#define SF_PROCESS(name) sf::dataflow::get().process(name)
#define SF_DATAFLOW_END() sf::dataflow::get().end()

#endif  // __SYNTHESIS__
#endif
