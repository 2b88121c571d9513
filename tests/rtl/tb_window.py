"""sf_window against golden's sliding windows (padding with the pad value, stride, ceil-mode overhang)."""
import cocotb
import streams


@cocotb.test()
async def window(dut):
    case, arrays = streams.load_case()
    p = case["params"]
    x = arrays["x"]
    win = streams.window_stream(x, [p["KH"], p["KW"]], [p["SH"], p["SW"]], case["pad"], [p["HO"], p["WO"]], p["PAD"])
    words = streams.pack(streams.hwc(x), p["LANES"], p["BITS"])
    out = streams.pack(win, p["LANES"], p["BITS"])
    await streams.check(dut, {"in": words}, {"out": out}, max(len(words), len(out)), case["seed"])
