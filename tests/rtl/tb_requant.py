"""sf_requant against golden.concat with one requantized input: requant(x - zp_in), per channel (compiler/ir.py).
The same kernel requantizes a global average pool's sums (a wide signed input, zp_in = 0)."""
import cocotb
import streams

from squeezeflow.compiler import golden, ir


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    p = case["params"]
    x = arrays["x"]
    rq = ir.Requant(arrays["mult"].tolist(), arrays["shift"].tolist(), p["ZP"], p["LO"], p["HI"])
    layer = ir.Concat(name="requant", inputs=["x"], out_shape=list(x.shape[1:]),
                      out_type=ir.QType(p["OUT_BITS"], p["LO"] < 0, p["ZP"], 1.0, p["LO"], p["HI"]), requant=[rq])
    y = golden.concat([x], layer, [p["ZP_IN"]])
    return ({"in": streams.pack(streams.hwc(x), p["LANES"], p["IN_BITS"])},
            {"out": streams.pack(streams.hwc(y), p["LANES"], p["OUT_BITS"])})


@cocotb.test()
async def requant(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, len(sinks["out"]), case["seed"])
