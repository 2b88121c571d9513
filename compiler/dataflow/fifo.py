"""FIFO sizing: the depth of every stream of the dataflow graph (graph.build_graph calls `size`).

Four rules, the larger depth wins:

Deadlock. Where a stream forks (duplicator) and the branches meet again (SqueezeNet: squeeze -> expand1x1 and,
through a window generator, expand3x3 -> concat; a Fire input -> squeeze ... concat and the bypass -> add), the join
reads the branches pixel by pixel, in step, while the branch with a window generator has read ahead of its output by
the window's lead (graph.window_lead: about one image row). The other branch must hold what the fork sent
meanwhile, so its first stream gets (lead difference + JOIN_SLACK_PIXELS) pixels' worth of words, and a join's
inputs hold a pixel's words each. Paths between a fork and its join keep the resolution, as in every Fire module.
C simulation replays each frame at these depths and fails on a deadlock (hw/hls/sf_stream.h), and so does RTL
simulation, so a wrong rule cannot go unnoticed.

Throughput. In a balanced pipeline every kernel is busy nearly all the time, so a pause that a FIFO does not absorb
is lost for good. Kernels pause in two ways: an MVAU with NF > 1 reads a pixel's input vector in a burst and then
replays it for NF - 1 folds, and a window generator stops issuing between output rows while it reads the next rows
(kernels/window.py window_schedule: row_gap). A stream therefore holds a pixel's words plus MIN_DEPTH (its consumer
can take a whole vector while its producer keeps going), plus what its consumer takes, at the pipeline's pace (the
slowest kernel's cycles per frame), during its producer's longest pause.

Frame edges. A window generator reads no further than the window after the current one needs and starts the next
frame only once this one is out (hw/rtl/sf_window.v), so it reads nothing while it writes its last rows and then
the input of its first window (window_schedule: lead_words, about a row) before writing again. Its input
stream holds that and a pixel more, so that its producer keeps going across the frame boundary. Without it a
producer with little slack falls behind once per frame: 2.5% of the interval on SqueezeNet 1.1 at 64x64.

Row bursts. A window of row stride SH > 1 fed at the pipeline's pace emits an output row only while the last input
row it needs arrives, 1/SH of the time, and nothing while the other SH - 1 rows arrive; a consumer that works at
the pipeline's pace takes 1/SH of the row meanwhile. The first stream that reaches such a consumer (the window's
output, or the max pool's when a max pool follows, which keeps pace with the window) holds the rest: (SH - 1) / SH
of an output row. Without it the window stalls on its output, stops reading, and stalls the pipeline before it:
measured on SqueezeNet 1.1 224x224 (ZCU104 plan), the pipeline ran 19% over its slowest kernel. A separable pool
(sf_pool.h) emits its rows the same way, so its output holds the same.

Weights from DDR. An MVAU streaming its weights (sf_mvau.h mvau_streamed) reads a pixel group (GROUP pixels, a
few rows, or the frame) during its first neuron fold and nothing during the others, so its input stream holds a
group (and a pixel): the producer writes the next group meanwhile, which makes the pair of group buffers a
ping-pong. Its weight stream holds a neuron fold's tiles, read during the fold's first pixel, so that the next
fold's arrive while this one computes.

The deadlock rule is here; it finds forks and joins by their kernel classes' `fork` and `join` flags. The other
rules are the kernels' own: each class's `deepen_fifos` (compiler/kernels/window.py, pool.py, mvau.py).
"""
from __future__ import annotations

from ..kernels.base import MIN_DEPTH, kernel

JOIN_SLACK_PIXELS = 2


def _forks(s, memo: dict) -> dict:
    """For every fork upstream of stream `s`: (its output on the way to `s`, the largest lead in between)."""
    if s not in memo:
        p = s.producer
        if p is None:  # the root of a partial graph (graph.consumer_graph)
            return {}
        found = {p: (s, 0)} if kernel(p.kernel).fork else {}
        for upstream in p.inputs:
            for fork, (branch, lead) in _forks(upstream, memo).items():
                if fork not in found or lead + p.lead > found[fork][1]:
                    found[fork] = (branch, lead + p.lead)
        memo[s] = found
    return memo[s]


def _deadlock_depths(graph) -> None:
    memo: dict = {}
    for join in graph.processes:
        if not kernel(join.kernel).join:
            continue
        for s in join.inputs:
            s.depth = max(s.depth, s.pixel_words)
        a, b = (_forks(s, memo) for s in join.inputs)
        common = [f for f in a if f in b and a[f][0] is not b[f][0]]
        if not common:
            continue
        fork = min(common, key=lambda f: max(a[f][1], b[f][1]))  # the nearest one
        (branch_a, lead_a), (branch_b, lead_b) = a[fork], b[fork]
        short, skew = (branch_a, lead_b - lead_a) if lead_a < lead_b else (branch_b, lead_a - lead_b)
        if skew:
            short.depth = max(short.depth, (skew + JOIN_SLACK_PIXELS) * short.pixel_words)


def size(graph) -> None:
    """Set the depth of every stream of `graph` (graph.Graph) by the rules of the module docstring: every stream
    MIN_DEPTH and a pixel, then what each process's kernel needs around it (its class's deepen_fifos, in
    topological order), then the deadlock rule at the joins."""
    interval = max(kernel(p.kernel).cycles(p.config) for p in graph.processes)
    consumers = {id(s): p for p in graph.processes for s in p.inputs}
    for s in graph.streams:
        s.depth = MIN_DEPTH + s.pixel_words
    for p in graph.processes:
        kernel(p.kernel).deepen_fifos(p.config, p.inputs, p.outputs, interval, lambda s: consumers.get(id(s)))
    _deadlock_depths(graph)
