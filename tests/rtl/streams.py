"""What every kernel testbench shares: the case files, AXI4-Stream ports, the clocked driver and lane packing.

A case is a folder (env SF_CASE) written by tests/test_rtl_kernels.py: case.json (the kernel's parameters and what the
testbench needs to build its golden output) and case.npz (the random tensors and tables); the testbench writes
results.json (cycle counts) beside them. The DUT is any module with the kernel's stream contract: ports are found
by name, `<stream>_tdata` (this repository's kernels) or `<stream>[_r][_V]_TDATA` (Vitis HLS with ap_ctrl_none),
with the clock `ap_clk` and the active-low reset `ap_rst_n` (docs/rtl.md).

Each tb_<kernel> module's golden words come from its `expected(case, arrays) -> (sources, sinks)`: every port's
words over all the case's frames, by port name, sources in the order of the HLS kernel's stream arguments and sinks
after them. It needs no simulator, so that tests/test_hls_kernels.py checks the sf:: twin against the same words.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

# Driver settings of the stress run: probabilities that an input holds back a word, and that an output is not ready.
GAPS = 0.3
STALLS = 0.4
IDLE_LIMIT = 5000  # cycles without any handshake before the testbench declares a deadlock


def load_case() -> tuple[dict, dict[str, np.ndarray]]:
    folder = Path(os.environ["SF_CASE"])
    with np.load(folder / "case.npz") as data:
        arrays = {name: data[name] for name in data.files}
    return json.loads((folder / "case.json").read_text()), arrays


def record(**figures) -> None:
    (Path(os.environ["SF_CASE"]) / "results.json").write_text(json.dumps(figures, sort_keys=True))


class Axis:
    """One AXI4-Stream port of the DUT, by its stream name."""

    SUFFIXES = ("", "_V", "_r", "_r_V")

    def __init__(self, dut, name: str):
        for suffix in self.SUFFIXES:
            for case in (str.lower, str.upper):
                if hasattr(dut, f"{name}{suffix}_{case('tdata')}"):
                    def port(field, prefix=f"{name}{suffix}_", case=case):
                        return getattr(dut, prefix + case(field), None)

                    self.name, self.data, self.valid, self.ready = name, port("tdata"), port("tvalid"), port("tready")
                    self.last = port("tlast")
                    return
        raise AttributeError(f"the DUT has no AXI4-Stream port named {name!r}")


async def start(dut, sources, sinks) -> None:
    """Clock the DUT and hold it in reset for a few cycles, every TVALID and TREADY it reads low."""
    for name in sources:
        Axis(dut, name).valid.value = 0
    for name in sinks:
        Axis(dut, name).ready.value = 0
    cocotb.start_soon(Clock(dut.ap_clk, 10, unit="ns").start())
    dut.ap_rst_n.value = 0
    for _ in range(4):
        await RisingEdge(dut.ap_clk)
    dut.ap_rst_n.value = 1


async def transfer(dut, sources: dict[str, list[int]], sinks: dict[str, int], rng: random.Random | None = None):
    """Drive every source's words and collect `sinks[name]` words from each output, one clock cycle at a time.

    Without `rng` inputs never pause and outputs are always ready; with it, they do so at random (GAPS, STALLS).
    A valid word is held until taken, as AXI4-Stream requires. Returns ({sink: words}, {sink: TLAST flags},
    cycles from the first input handshake to the last output handshake).
    """
    ins = {name: Axis(dut, name) for name in sources}
    outs = {name: Axis(dut, name) for name in sinks}
    sent = {name: 0 for name in ins}
    got = {name: [] for name in outs}
    lasts = {name: [] for name in outs}
    offered = {name: False for name in ins}
    fired_in = {name: False for name in ins}
    fired_out = {name: None for name in outs}
    first = last = None
    cycle = idle = 0
    while any(sent[n] < len(sources[n]) for n in ins) or any(len(got[n]) < sinks[n] for n in outs):
        await RisingEdge(dut.ap_clk)
        cycle += 1
        idle += 1
        for name, port in ins.items():  # the handshakes of the edge just passed, then this cycle's offers
            if fired_in[name]:
                sent[name] += 1
                first = cycle if first is None else first
                idle = 0
            pending = sent[name] < len(sources[name])
            hold = offered[name] and not fired_in[name]
            offered[name] = pending and (hold or rng is None or rng.random() >= GAPS)
            port.valid.value = int(offered[name])
            if offered[name]:
                port.data.value = sources[name][sent[name]]
        for name, port in outs.items():
            if fired_out[name] is not None:
                got[name].append(fired_out[name][0])
                lasts[name].append(fired_out[name][1])
                last, idle = cycle, 0
            port.ready.value = int(len(got[name]) < sinks[name] and (rng is None or rng.random() >= STALLS))
        if idle > IDLE_LIMIT:
            raise AssertionError(f"no handshake for {IDLE_LIMIT} cycles (deadlock): sent "
                                 f"{ {n: f'{sent[n]}/{len(sources[n])}' for n in ins} }, received "
                                 f"{ {n: f'{len(got[n])}/{sinks[n]}' for n in outs} }")
        await ReadOnly()
        for name, port in ins.items():
            fired_in[name] = offered[name] and bool(port.ready.value)
        for name, port in outs.items():
            fired_out[name] = None
            if port.ready.value and port.valid.value:
                fired_out[name] = (port.data.value.to_unsigned(), bool(port.last.value) if port.last is not None
                                   else None)
    await RisingEdge(dut.ap_clk)
    for name, port in ins.items():
        port.valid.value = 0
    for name, port in outs.items():
        port.ready.value = 0
    return got, lasts, last - first + 1


async def check(dut, sources: dict[str, list[int]], expected: dict[str, list[int]], ideal: int, seed: int):
    """The kernel test: all frames at full rate (cycle count, compared with `ideal` cycles), then again under random
    input gaps and output backpressure; outputs must equal `expected` bit for bit both times. Returns the TLAST flags
    of the stressed run."""
    sinks = {name: len(words) for name, words in expected.items()}
    await start(dut, sources, sinks)
    got, _, cycles = await transfer(dut, sources, sinks)
    for name, words in expected.items():
        compare(got[name], words, f"{name} (full rate)")
    got, lasts, stressed = await transfer(dut, sources, sinks, random.Random(seed))
    for name, words in expected.items():
        compare(got[name], words, f"{name} (with gaps and backpressure)")
    record(cycles=cycles, ideal=ideal, stressed_cycles=stressed)
    dut._log.info(f"{cycles} cycles at full rate (ideal {ideal}), {stressed} with gaps and backpressure")
    return lasts


def compare(got: list[int], want: list[int], what: str) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} words, expected {len(want)}"
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not bad, f"{what}: {len(bad)} of {len(want)} words differ, first at word {bad[0]}: " \
                    f"0x{got[bad[0]]:x}, expected 0x{want[bad[0]]:x}"


def pack(values, lanes: int, bits: int) -> list[int]:
    """Integers (any shape, stream order) -> words of `lanes` lanes, lane i in bits [i*bits, (i+1)*bits)."""
    flat = [int(v) & ((1 << bits) - 1) for v in np.asarray(values).reshape(-1)]
    assert len(flat) % lanes == 0
    return [sum(v << (i * bits) for i, v in enumerate(flat[k:k + lanes])) for k in range(0, len(flat), lanes)]


def hwc(x: np.ndarray) -> np.ndarray:
    """An NCHW batch in stream order: frames, then pixels row-major, then channels."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


def channel_major(x: np.ndarray, lanes: int, group: int) -> np.ndarray:
    """An NCHW batch in a streamed-weight sf_mvau's output order: frames, then groups of `group` pixels (row-major,
    the last group the rest), then channel groups of `lanes`, then the group's pixels, then the lanes."""
    n, c, h, w = x.shape
    pixels = x.reshape(n, c // lanes, lanes, h * w)
    blocks = [pixels[..., first:first + group].transpose(0, 1, 3, 2).reshape(n, -1)
              for first in range(0, h * w, group)]
    return np.concatenate(blocks, axis=1)


def window_stream(x: np.ndarray, kernel, stride, pad, out_hw, fill) -> np.ndarray:
    """sf_window's output for NCHW `x`, in stream order (frame, oy, ox, ky, kx, c): golden._windows, with ceil-mode
    windows hanging over the bottom/right edge reading `fill` as sf_window does."""
    from squeezeflow.compiler.golden import _windows

    (h, w), (ho, wo) = x.shape[2:], out_hw
    bottom = max(pad[2], (ho - 1) * stride[0] + kernel[0] - h - pad[0])
    right = max(pad[3], (wo - 1) * stride[1] + kernel[1] - w - pad[1])
    win = _windows(x, kernel, stride, [pad[0], pad[1], bottom, right], fill)[:, :, :ho, :wo]
    return win.transpose(0, 2, 3, 4, 5, 1)
