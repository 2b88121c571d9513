"""sf_pool, fed the pixel stream itself, against golden.maxpool."""
import cocotb
import streams

from squeezeflow.compiler import golden, ir


@cocotb.test()
async def pool(dut):
    case, arrays = streams.load_case()
    p = case["params"]
    x = arrays["x"]
    layer = ir.MaxPool(name="pool", inputs=["x"], out_shape=[x.shape[1], p["HO"], p["WO"]], out_type=None,
                       kernel=[p["KH"], p["KW"]], stride=[p["SH"], p["SW"]], pad=case["pad"])
    y = golden.maxpool(x, layer)
    words = streams.pack(streams.hwc(x), p["LANES"], p["BITS"])
    out = streams.pack(streams.hwc(y), p["LANES"], p["BITS"])
    await streams.check(dut, {"in": words}, {"out": out}, len(words), case["seed"])
