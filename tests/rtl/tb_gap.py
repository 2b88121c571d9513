"""sf_gap against golden.gap without requant: per channel, the sum over the frame of (x - zp); with CHANNEL_MAJOR the
input is, group of GROUP pixels by group, each channel group's words of the group's pixels in turn."""
import cocotb
import streams

from squeezeflow.compiler import golden, ir


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    p = case["params"]
    x = arrays["x"]
    lo = -(1 << (p["SUM_BITS"] - 1))
    layer = ir.GlobalAvgPool(name="gap", inputs=["x"], out_shape=[x.shape[1], 1, 1],
                             out_type=ir.QType(p["SUM_BITS"], True, 0, 1.0, lo, -lo - 1), requant=None)
    sums = golden.gap(x, layer, p["ZP"])
    if p.get("CHANNEL_MAJOR"):
        order = streams.channel_major(x, p["LANES"], p["GROUP"])
    else:
        order = streams.hwc(x)
    return ({"in": streams.pack(order, p["LANES"], p["IN_BITS"])},
            {"out": streams.pack(sums, p["LANES"], p["SUM_BITS"])})


@cocotb.test()
async def gap(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, len(sources["in"]) + len(sinks["out"]), case["seed"])
