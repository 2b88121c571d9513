"""The Verilog twin of every HLS kernel: its module and stream ports, and its parameters for a process of the
dataflow graph (compiler/dataflow/graph.py): the HLS configuration's integer members plus what the HLS types carry
(bits, signedness) and the enums hw/spec.py indexes (MAC_IMPLS, WEIGHT_STORAGES)."""
from __future__ import annotations

from squeezeflow.hw import spec

from .. import ir

# kernel -> (Verilog module, input stream ports, output stream ports), in the order of the process's streams.
KERNELS = {
    "axis_in": ("sf_axis_in", [], ["out"]),
    "window": ("sf_window", ["in"], ["out"]),
    "mvau": ("sf_mvau", ["in"], ["out"]),
    "mvau_streamed": ("sf_mvau", ["in", "w"], ["out"]),
    "maxpool": ("sf_maxpool", ["in"], ["out"]),
    "pool": ("sf_pool", ["in"], ["out"]),
    "regroup": ("sf_regroup", ["in"], ["out"]),
    "requant": ("sf_requant", ["in"], ["out"]),
    "gap": ("sf_gap", ["in"], ["out"]),
    "duplicate": ("sf_duplicate", ["in"], ["out0", "out1"]),
    "concat": ("sf_concat", ["a", "b"], ["out"]),
    "add": ("sf_add", ["a", "b"], ["out"]),
    "axis_out": ("sf_axis_out", ["in"], []),
}

def kernel_params(net: ir.Network, p) -> dict[str, int]:
    """The Verilog parameters of process `p`: its HLS configuration, plus what the HLS types carry."""
    cfg = p.ints
    x = p.inputs[0] if p.inputs else None
    y = p.outputs[0] if p.outputs else None

    def pick(names: str) -> dict[str, int]:
        return {name: cfg[name] for name in names.split()}

    k = p.kernel
    if k == "axis_in":
        return {**pick("AXI_BITS VALUE_BITS LANES WORDS"), "LANE_BITS": y.bits}
    if k == "window":
        return {**pick("LANES H W CG KH KW SH SW PT PL HO WO ROWS PAD"), "BITS": x.bits}
    if k in ("mvau", "mvau_streamed"):
        layer = net.layer(p.owner)
        params = {**pick("SIMD PE SF NF ACC_BITS MULT_BITS SHIFT_BITS SHIFT_BASE PRODUCT_BITS ZP LO HI MAC "
                         "PACK_SHIFT REQUANT_UNITS"),
                  "IN_BITS": x.bits, "IN_SIGNED": x.signed, "W_BITS": layer.weight_bits, "OUT_BITS": y.bits,
                  "WEIGHT_STORAGE": spec.WEIGHT_STORAGES.index(layer.weight_storage)}
        if k == "mvau_streamed":
            weights = p.inputs[1]
            params.update(PIXELS=cfg["PIXELS"], GROUP=cfg["GROUP"], W_WORD_BITS=weights.lanes * weights.bits)
        return params
    if k == "maxpool":
        return {**pick("LANES K CG"), "BITS": x.bits, "SIGNED": x.signed}
    if k == "pool":
        return {**pick("LANES CG H W KH KW SH SW PT PL HO WO NA NB"), "BITS": x.bits, "SIGNED": x.signed}
    if k == "regroup":
        return {**pick("IN_LANES OUT_LANES BLOCK_WORDS"), "BITS": x.bits}
    if k == "requant":
        return {**pick("LANES CG ZP_IN MULT_BITS SHIFT_BITS SHIFT_BASE PRODUCT_BITS ZP LO HI"), "IN_BITS": x.bits,
                "IN_SIGNED": x.signed, "OUT_BITS": y.bits}
    if k == "gap":
        return {**pick("LANES CG PIXELS GROUP ZP CHANNEL_MAJOR"), "IN_BITS": x.bits, "IN_SIGNED": x.signed,
                "SUM_BITS": y.bits}
    if k == "duplicate":
        return {"WIDTH": x.lanes * x.bits}
    if k == "concat":
        return {**pick("CGA CGB"), "WIDTH": y.lanes * y.bits}
    if k == "add":
        a, b = p.inputs
        return {**pick("LANES MA MB ZA ZB SHIFT ZP LO HI SUM_BITS"), "A_BITS": a.bits, "A_SIGNED": a.signed,
                "B_BITS": b.bits, "B_SIGNED": b.signed, "OUT_BITS": y.bits}
    if k == "axis_out":
        return {**pick("AXI_BITS VALUE_BITS VALUES"), "LANE_BITS": x.bits, "LANE_SIGNED": x.signed}
    raise ValueError(f"no RTL kernel for HLS kernel {k!r}")
