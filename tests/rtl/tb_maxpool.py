"""sf_maxpool, fed the windows of sf_window's contract (the lane minimum in ceil-mode overhang), against
golden.maxpool."""
import cocotb
import streams

from squeezeflow.compiler import golden, ir


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    p = case["params"]
    x = arrays["x"]
    kernel, stride, (ho, wo) = case["kernel"], case["stride"], case["out_hw"]
    lowest = -(1 << (p["BITS"] - 1)) if p["SIGNED"] else 0
    layer = ir.MaxPool(name="pool", inputs=["x"], out_shape=[x.shape[1], ho, wo], out_type=None, kernel=kernel,
                       stride=stride, pad=case["pad"])
    y = golden.maxpool(x, layer)
    words = streams.pack(streams.window_stream(x, kernel, stride, case["pad"], [ho, wo], lowest), p["LANES"], p["BITS"])
    return {"in": words}, {"out": streams.pack(streams.hwc(y), p["LANES"], p["BITS"])}


@cocotb.test()
async def maxpool(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, len(sources["in"]), case["seed"])
