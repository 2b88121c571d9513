"""sf_concat against golden.concat (inputs already in the output's type, as the compiler arranges)."""
import cocotb
import streams

from squeezeflow.compiler import golden, ir


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    lanes, bits, zp = case["lanes"], case["bits"], case["zero_point"]
    a, b = arrays["a"], arrays["b"]
    layer = ir.Concat(name="concat", inputs=["a", "b"], out_shape=[a.shape[1] + b.shape[1], *a.shape[2:]],
                      out_type=ir.QType(bits, False, zp, 1.0, 0, (1 << bits) - 1), requant=[None, None])
    y = golden.concat([a, b], layer, [zp, zp])
    sources = {"a": streams.pack(streams.hwc(a), lanes, bits), "b": streams.pack(streams.hwc(b), lanes, bits)}
    return sources, {"out": streams.pack(streams.hwc(y), lanes, bits)}


@cocotb.test()
async def concat(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, len(sinks["out"]), case["seed"])
