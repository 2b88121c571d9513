"""sf_mvau against golden.conv_acc + golden.requantize: a 1x1 convolution reads pixels, a k x k one the windows of
sf_window's contract (padded with the pad value). With streamed weights (case "weight_words", WEIGHT_FILE's tiles)
the weight stream repeats every pixel group (GROUP pixels) and the output is channel-group-major within each."""
import cocotb
import streams

from squeezeflow.compiler import golden, ir


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    p = case["params"]
    x, weight, bias = arrays["x"], arrays["weight"], arrays["bias"]
    o, c, kh, kw = weight.shape
    ho, wo = case["out_hw"]
    rq = ir.Requant(arrays["mult"].tolist(), arrays["shift"].tolist(), p["ZP"], p["LO"], p["HI"],
                    arrays["offset"].tolist())
    layer = ir.Conv(name="conv", inputs=["x"], out_shape=[o, ho, wo], out_type=None, kernel=[kh, kw],
                    stride=case["stride"], pad=case["pad"], in_channels=c, pad_value=case["pad_value"], requant=rq)
    y = golden.requantize(golden.conv_acc(x, weight, bias, layer), rq)
    pointwise = [kh, kw] == [1, 1] and case["stride"] == [1, 1] and not any(case["pad"])
    vectors = streams.hwc(x) if pointwise else streams.window_stream(x, [kh, kw], case["stride"], case["pad"],
                                                                       [ho, wo], case["pad_value"])
    sources = {"in": streams.pack(vectors, p["SIMD"], p["IN_BITS"])}
    if "weight_words" in case:
        passes = -(-ho * wo // p["GROUP"])
        sources["w"] = [int(word, 16) for word in case["weight_words"]] * (passes * len(x))
        order = streams.channel_major(y, p["PE"], p["GROUP"])
    else:
        order = streams.hwc(y)
    return sources, {"out": streams.pack(order, p["PE"], p["OUT_BITS"])}


@cocotb.test()
async def mvau(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    p = case["params"]
    ho, wo = case["out_hw"]
    await streams.check(dut, sources, sinks, len(arrays["x"]) * ho * wo * p["NF"] * p["SF"], case["seed"])
