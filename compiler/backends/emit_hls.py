"""Emit the Vitis HLS C++ of a compiled network into BUILD/hls/ (`emit`, called by pipeline.write_build).

One process of the dataflow graph (compiler/dataflow/graph.py) is one call of a kernel from hw/hls/ with its
configuration struct; one stream an sf::stream of its depth. The numbers in the generated files come from the graph;
the templates in templates/hls/ only lay them out.

Files: top.h and top.cpp (the dataflow top), layers/<layer>.h (kernel configurations and per-channel tables),
weights/<layer>.h (packed weights), sf/ (the kernel library, copied so that the folder is self-contained for Vitis),
tb.cpp (the C testbench), capi.cpp (the C ABI of the software backend), tb_data/ (one frame and its golden logits,
for Vitis csim/cosim), run_hls.tcl (vitis_hls) and hls_config.cfg (v++ --mode hls).

Stream depths are the FIFO sizing's (compiler/dataflow/fifo.py): deep enough that no fork/join deadlocks and that
no kernel's burst stalls the pipeline.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import numpy as np

from squeezeflow import templates
from squeezeflow.host.codec import input_beats, output_beats, pack_frames
from squeezeflow.hw import spec

from .. import ir
from ..boards import board
from ..dataflow.graph import Graph, ident
from ..dataflow.weights import weight_image
from ..golden import Golden
from .shell import model_hash

TOP = spec.TOP

LIBRARY = Path(spec.__file__).resolve().parent / "hls"
TEMPLATES = Path(templates.__file__).resolve().parent / "hls"


def _test_frame(net: ir.Network, arrays) -> tuple[np.ndarray, np.ndarray]:
    """One pseudo-random input frame and its golden output, as beats (tb_data/ for Vitis csim/cosim)."""
    t = net.input_type
    x = np.random.default_rng(0).integers(t.lo, t.hi + 1, size=[1, *net.input_shape])
    logits = Golden(net, arrays).run(x).astype("<i4")
    out = np.zeros((1, output_beats(net.num_classes) * spec.AXI_STREAM_BITS // 32), "<i4")
    out[:, : net.num_classes] = logits
    return pack_frames(x), out.view("<u8")


def emit(out_dir, net: ir.Network, arrays: dict[str, np.ndarray], graph: Graph) -> None:
    """Write BUILD/hls/ for a folded network and its dataflow graph (see the module docstring); the same input
    gives the same bytes."""
    out_dir = Path(out_dir)
    target = board(net.board)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["ident"] = ident
    owners = list(dict.fromkeys(p.owner for p in graph.processes))
    image = weight_image(net, arrays)
    context = dict(net=net, graph=graph, top=TOP, board=target, hash=f"0x{model_hash(net):08x}",
                   in_beats=input_beats(net.input_shape), out_beats=output_beats(net.num_classes),
                   weight_beats=len(image), weights_port=spec.WEIGHTS_PORT,
                   axi_bits=spec.AXI_STREAM_BITS, owners=owners,
                   layer_headers=[f"layers/{ident(o)}.h" for o in owners],
                   weight_headers=[f"weights/{ident(name)}.h" for name in graph.weights])

    def write(rel: str, template: str, **extra) -> None:
        """Render `template` with the context (and `extra`) into out_dir/`rel`, creating its folder."""
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(template).render(**context, **extra))

    for name in ("top.h", "top.cpp", "tb.cpp", "capi.cpp", "run_hls.tcl", "hls_config.cfg"):
        write(name, f"{name}.j2")
    for owner in owners:
        write(f"layers/{ident(owner)}.h", "layer.h.j2", owner=owner,
              processes=[p for p in graph.processes if p.owner == owner], tables=graph.tables.get(owner, []))
    for name, (table, _) in graph.weights.items():
        write(f"weights/{ident(name)}.h", "weights.h.j2", layer=name, table=table)
    if len(image):  # the testbench plays the weights DMA
        write("weights/ddr_image.h", "ddr_image.h.j2", beats=[f"0x{int(b):016x}" for b in image])
    (out_dir / "sf").mkdir()
    for header in sorted(LIBRARY.glob("*.h")):
        shutil.copyfile(header, out_dir / "sf" / header.name)
    (out_dir / "tb_data").mkdir()
    frame, expected = _test_frame(net, arrays)
    frame.tofile(out_dir / "tb_data" / "input.bin")
    expected.tofile(out_dir / "tb_data" / "expected.bin")
