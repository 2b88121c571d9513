"""What-if, in the planner's models only: SqueezeNet 1.1 W6A8 224x224 on a board if every convolution could stream its
weights from DDR, each through a weights port of its own, and nothing were charged for it beyond what conv10's
streaming costs today (no reorder back to pixel order for a concat, no extra DMA or AXI port).

The compiler streams one layer, which must feed a global pool (graph.can_stream_weights, one weights port); this
lifts both rules for the planner and the estimate, so the figure is an upper bound of what Fire-layer streaming
could give, not a buildable plan (nothing is emitted). docs/planner.md records it for the PYNQ-Z2.
    python bench/what_if_streaming.py [--board pynqz2] [--max-util 0.9] [--work build/bench_planner]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from squeezeflow.compiler import ir
from squeezeflow.compiler.boards import board
from squeezeflow.compiler.dataflow import graph
from squeezeflow.compiler.pipeline import compile_model
from squeezeflow.compiler.planner import plan
from squeezeflow.compiler.planner.estimate import estimate

ROOT = Path(__file__).resolve().parents[1]


def every_layer_streams() -> None:
    def any_conv(net, layer):
        return isinstance(layer, ir.Conv)

    one_port = graph._Builder.weight_stream

    def a_port_each(builder, layer, tiles):
        builder.g.weight_port = None  # the one-port rule: forgotten for each layer
        return one_port(builder, layer, tiles)

    plan.can_stream_weights = graph.can_stream_weights = any_conv
    graph._Builder.weight_stream = a_port_each


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="pynqz2")
    parser.add_argument("--max-util", type=float, default=0.9)
    parser.add_argument("--work", default=str(ROOT / "build" / "bench_planner"),
                        help="where bench/planner.py keeps its models")
    args = parser.parse_args()
    model = Path(args.work) / "squeezenet1_1_w6a8_random.onnx"
    if not model.is_file():
        raise SystemExit(f"{model} not found: run python bench/planner.py first (it quantizes the model)")
    every_layer_streams()
    net, arrays = compile_model(model, board=args.board, max_util=args.max_util, warn=lambda m: None)
    est = estimate(net, arrays, board(args.board), net.clock_mhz)
    streamed = [layer.name for layer in net.layers if isinstance(layer, ir.Conv) and layer.weight_storage == "ddr"]
    print(f"{args.board} at {net.clock_mhz:g} MHz, every layer free to stream: {est.fps:.1f} fps, "
          + " ".join(f"{r} {u:.0%}" for r, u in est.utilization.items()))
    print(f"  streamed ({len(streamed)}): {', '.join(streamed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
