"""Cycle model of the dataflow kernels: cycles per frame of every process, from its loop structure.

Every kernel moves at most one word per port per cycle (II = 1, hw/hls and hw/rtl alike), so a process that is never
starved nor blocked ("free-running") needs, per frame, the word count of its busiest port plus what its schedule
adds: the MVAU's NF * SF tiles per pixel, the window generator's wait for input rows, the global pool's output
phase. `kernel_cycles` gives that figure; the network's frame interval is the largest one once the FIFOs decouple
the kernels (compiler/dataflow/fifo.py sizes them for it), and the planner (compiler/planner/plan.py) balances the
pipeline on it.
`squeezeflow rtlsim --per-layer` measures the same figures in Verilator, so the model is checked against them.

The window generator (sf_window.h / sf_window.v) reads one input word and issues one window word per cycle, but may
read only as far as the window after the current one needs. Per output row, the first window waits for the input
between the previous row's last window and its own bottom-right corner; the reads overlap the previous row's last
window only (KH * KW * CG cycles). A frame starts with the whole lead (the first window's input), because the next
frame is read only after every window of the current one has gone out.
"""
from __future__ import annotations

from dataclasses import dataclass

# register stages between input and output (the RTL twins); the MVAU adds its adder tree's and more (mvau_fill)
PIPELINE_FILL = {"mvau": 5, "requant": 3, "add": 3}


def mvau_fill(c: dict) -> int:
    """sf_mvau.v's stages: the adder tree's and, when its REQUANT_UNITS requantizers are shared, one per channel
    phase plus the accumulators' holding register."""
    phases = -(-c["PE"] // c["REQUANT_UNITS"])
    return PIPELINE_FILL["mvau"] + (c["SIMD"] - 1).bit_length() + (phases if phases > 1 else 0)


@dataclass(frozen=True)
class WindowSchedule:
    cycles: int  # per frame, free-running
    lead_words: int  # input words read before the frame's first window word can go out
    row_gap: int  # the longest pause of the output between two output rows, in cycles


def _clamp(v: int, hi: int) -> int:
    return v if v < hi else hi


def window_schedule(c: dict) -> WindowSchedule:
    """The free-running schedule of sf::window with configuration `c` (H W CG KH KW SH SW PT PL HO WO)."""
    h, w, cg, kh, kw = c["H"], c["W"], c["CG"], c["KH"], c["KW"]
    sh, sw, pt, pl, ho, wo = c["SH"], c["SW"], c["PT"], c["PL"], c["HO"], c["WO"]
    window = kh * kw * cg

    def need(oy: int, ox: int) -> int:  # input pixels (row-major) read before window (oy, ox) can issue
        return _clamp(oy * sh - pt + kh - 1, h - 1) * w + _clamp(ox * sw - pl + kw - 1, w - 1) + 1

    lead = need(0, 0)
    cycles, gap = lead * cg + ho * wo * window, 0
    for oy in range(1, ho):
        # Reads for row oy's first window start when row oy - 1's last window starts issuing.
        stall = max(0, (need(oy, 0) - need(oy - 1, wo - 1)) * cg - window)
        cycles += stall
        gap = max(gap, stall)
    return WindowSchedule(cycles, lead * cg, gap)


def pixel_groups(pixels: int, group: int) -> list[int]:
    """The sizes of a frame's pixel groups for streamed weights: `group` pixels each, the last one the rest."""
    return [min(group, pixels - first) for first in range(0, pixels, group)]


def streamed_mvau_cycles(pixels: int, group: int, nf: int, sf: int, beats: int) -> int:
    """An MVAU whose weights stream in (sf_mvau.h mvau_streamed): a neuron fold of a pixel group takes SF cycles per
    pixel, or, when the group has fewer pixels than a tile has beats, the SF tiles' beats, which the weights port
    delivers one a cycle (a short last group of rows can be that)."""
    return nf * sf * sum(max(size, beats) for size in pixel_groups(pixels, group))


def block_slots(block_words: int, gather: int) -> int:
    """Cycles sf_regroup spends on a block (pixel) of `block_words` input words gathered `gather` to an output word:
    its words and the zero fill that completes its last output word, a cycle each."""
    return -(-block_words // gather) * gather


def kernel_cycles(kernel: str, c: dict) -> int:
    """Free-running cycles per frame of one process: kernel name and integer configuration (emit_hls Process)."""
    if kernel == "window":
        return window_schedule(c).cycles
    if kernel == "mvau":
        return c["PIXELS"] * c["NF"] * c["SF"]
    if kernel == "mvau_streamed":
        return streamed_mvau_cycles(c["PIXELS"], c["GROUP"], c["NF"], c["SF"], c["W_BEATS"])
    if kernel == "maxpool":
        return c["PIXELS"] * c["K"] * c["CG"]
    if kernel == "pool":
        return c["H"] * c["W"] * c["CG"]
    if kernel == "regroup":
        r_in, r_out = max(1, c["OUT_LANES"] // c["IN_LANES"]), max(1, c["IN_LANES"] // c["OUT_LANES"])
        return c["IN_WORDS"] // c["BLOCK_WORDS"] * block_slots(c["BLOCK_WORDS"], r_in) * r_out
    if kernel in ("requant", "add", "duplicate"):
        return c["WORDS"]
    if kernel == "gap":
        return (c["PIXELS"] + 1) * c["CG"]  # the sums go out before the next frame is read
    if kernel == "concat":
        return c["PIXELS"] * (c["CGA"] + c["CGB"])
    if kernel == "axis_in":
        return max(c["WORDS"], -(-c["WORDS"] * c["LANES"] * c["VALUE_BITS"] // c["AXI_BITS"]))
    if kernel == "axis_out":
        return c["VALUES"]
    raise ValueError(f"no cycle model for kernel {kernel!r}")


def lead_fraction(kernel: str, c: dict) -> float:
    """The share of a frame's input a process reads before its first output word."""
    if kernel in ("window", "pool"):
        return window_schedule(c).lead_words / (c["H"] * c["W"] * c["CG"])
    if kernel == "mvau_streamed":  # its first group is read during the first neuron fold, which ends with it
        return min(c["GROUP"], c["PIXELS"]) / c["PIXELS"]
    if kernel in ("mvau", "maxpool"):
        return 1 / c["PIXELS"]
    if kernel == "gap":
        return 1.0
    return 0.0


def busy_after_lead(kernel: str) -> bool:
    """Whether a process does its frame's work only once its lead is in: a streamed-weight MVAU reads its first
    pixel group during the first neuron fold, as it arrives, and every other fold of the group needs all of it."""
    return kernel == "mvau_streamed"


def tail_cycles(kernel: str, c: dict) -> int:
    """Cycles from a process's last input word of a frame to its last output word, free-running."""
    if kernel == "window":  # every window that needs the frame's last input pixel goes out after it
        h, w, sh, sw, pt, pl = c["H"], c["W"], c["SH"], c["SW"], c["PT"], c["PL"]
        last_rows = sum(1 for oy in range(c["HO"]) if oy * sh - pt + c["KH"] - 1 >= h - 1)
        last_cols = sum(1 for ox in range(c["WO"]) if ox * sw - pl + c["KW"] - 1 >= w - 1)
        return last_rows * last_cols * c["KH"] * c["KW"] * c["CG"]
    if kernel == "mvau":
        return c["NF"] * c["SF"] + mvau_fill(c)
    if kernel == "mvau_streamed":  # the last pixel group is read during its first neuron fold; the others replay it
        last_group = max(pixel_groups(c["PIXELS"], c["GROUP"])[-1], c["W_BEATS"])  # or wait for the weights
        return (c["NF"] - 1) * last_group * c["SF"] + c["SF"] + mvau_fill(c)
    if kernel == "maxpool":
        return c["K"] * c["CG"]
    if kernel == "gap":
        return c["CG"] + 1
    return 1 + PIPELINE_FILL.get(kernel, 0)
