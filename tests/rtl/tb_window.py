"""sf_window against golden's sliding windows (padding with the pad value, stride, ceil-mode overhang)."""
import cocotb
import streams


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    p = case["params"]
    x = arrays["x"]
    win = streams.window_stream(x, [p["KH"], p["KW"]], [p["SH"], p["SW"]], case["pad"], [p["HO"], p["WO"]], p["PAD"])
    return ({"in": streams.pack(streams.hwc(x), p["LANES"], p["BITS"])},
            {"out": streams.pack(win, p["LANES"], p["BITS"])})


@cocotb.test()
async def window(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, max(len(sources["in"]), len(sinks["out"])), case["seed"])
