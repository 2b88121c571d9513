"""sf_pool, fed the pixel stream itself, against golden.maxpool."""
import cocotb
import streams

from squeezeflow.compiler import golden, ir


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    p = case["params"]
    x = arrays["x"]
    layer = ir.MaxPool(name="pool", inputs=["x"], out_shape=[x.shape[1], p["HO"], p["WO"]], out_type=None,
                       kernel=[p["KH"], p["KW"]], stride=[p["SH"], p["SW"]], pad=case["pad"])
    y = golden.maxpool(x, layer)
    words_in, words_out = (streams.pack(streams.hwc(t), p["LANES"], p["BITS"]) for t in (x, y))
    return {"in": words_in}, {"out": words_out}


@cocotb.test()
async def pool(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, len(sources["in"]), case["seed"])
