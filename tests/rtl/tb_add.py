"""sf_add against golden.add."""
import cocotb
import streams

from squeezeflow.compiler import golden, ir


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    p = case["params"]
    a, b = arrays["a"], arrays["b"]
    layer = ir.Add(name="add", inputs=["a", "b"], out_shape=list(a.shape[1:]),
                   out_type=ir.QType(p["OUT_BITS"], p["LO"] < 0, p["ZP"], 1.0, p["LO"], p["HI"]),
                   multiplier=[p["MA"], p["MB"]], shift=p["SHIFT"])
    y = golden.add(a, b, layer, [p["ZA"], p["ZB"]])
    sources = {"a": streams.pack(streams.hwc(a), p["LANES"], p["A_BITS"]),
               "b": streams.pack(streams.hwc(b), p["LANES"], p["B_BITS"])}
    return sources, {"out": streams.pack(streams.hwc(y), p["LANES"], p["OUT_BITS"])}


@cocotb.test()
async def add(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, len(sinks["out"]), case["seed"])
