"""The window generator (hw/hls/sf_window.h, hw/rtl/sf_window.v): a k x k (strided, padded) window of its input per
output pixel, for a convolution or a max pool.

It reads one input word and issues one window word per cycle, but may read only as far as the window after the
current one needs. Per output row, the first window waits for the input between the previous row's last window and
its own bottom-right corner; the reads overlap the previous row's last window only (KH * KW * CG cycles). A frame
starts with the whole lead (the first window's input), because the next frame is read only after every window of
the current one has gone out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .base import MIN_DEPTH, Config, CType, Kernel, kernel, pick, row_burst_pixels


@dataclass(frozen=True)
class WindowConfig(Config):
    """sf::window's configuration (hw/hls/sf_window.h window_config)."""

    hls_base = "window_config"
    lane_t: CType
    word_t: CType
    LANES: int
    H: int  # input rows
    W: int  # input columns
    CG: int  # channel groups (words) per pixel
    KH: int
    KW: int
    SH: int
    SW: int
    PT: int  # padding at the top
    PL: int  # at the left
    HO: int  # output rows
    WO: int  # output columns
    ROWS: int  # input rows buffered (KH + SH)
    PAD: int  # the value read at padded positions


@dataclass(frozen=True)
class WindowSchedule:
    cycles: int  # per frame, free-running
    lead_words: int  # input words read before the frame's first window word can go out
    row_gap: int  # the longest pause of the output between two output rows, in cycles


def _clamp(v: int, hi: int) -> int:
    return v if v < hi else hi


def window_schedule(config) -> WindowSchedule:
    """The free-running schedule of a window (or of sf::pool, which reads the same way) with configuration
    `config`."""
    h, w, cg, kh, kw = config.H, config.W, config.CG, config.KH, config.KW
    sh, sw, pt, pl, ho, wo = config.SH, config.SW, config.PT, config.PL, config.HO, config.WO
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


def window_lead_fraction(config) -> float:
    """The share of a frame's input a window (or sf::pool) reads before its first output."""
    return window_schedule(config).lead_words / (config.H * config.W * config.CG)


class Window(Kernel):
    """A k x k window per output pixel, a word per cycle."""

    name, module, Config = "window", "sf_window", WindowConfig

    @classmethod
    def cycles(cls, config):
        return window_schedule(config).cycles

    @classmethod
    def lead_fraction(cls, config):
        return window_lead_fraction(config)

    @classmethod
    def tail_cycles(cls, config):
        """Every window that needs the frame's last input pixel goes out after it."""
        h, w, sh, sw, pt, pl = config.H, config.W, config.SH, config.SW, config.PT, config.PL
        last_rows = sum(1 for oy in range(config.HO) if oy * sh - pt + config.KH - 1 >= h - 1)
        last_cols = sum(1 for ox in range(config.WO) if ox * sw - pl + config.KW - 1 >= w - 1)
        return last_rows * last_cols * config.KH * config.KW * config.CG

    @classmethod
    def deepen_fifos(cls, config, inputs, outputs, interval, consumer_of):
        """Throughput: its output holds what its consumer takes during its longest pause between output rows. Frame
        edges: its input holds the first window's input and a pixel, read while it writes its last rows. Row
        bursts: the first stream whose consumer keeps the pipeline's pace holds (SH - 1) / SH of an output row."""
        schedule = window_schedule(config)
        (source,), (out,) = inputs, outputs
        out.depth += math.ceil(schedule.row_gap * out.words / interval)
        source.depth = max(source.depth, MIN_DEPTH + schedule.lead_words + source.pixel_words)
        burst, consumer = out, consumer_of(out)
        if consumer is not None and kernel(consumer.kernel).passes_row_bursts:
            burst = consumer.outputs[0]
        burst.depth += row_burst_pixels(config) * burst.pixel_words

    @classmethod
    def verilog_params(cls, config, inputs, outputs, layer):
        return {**pick(config, "LANES H W CG KH KW SH SW PT PL HO WO ROWS PAD"), "BITS": inputs[0].bits}
