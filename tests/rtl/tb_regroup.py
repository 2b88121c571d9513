"""sf_regroup: the same lanes in the same order, IN_LANES per input word, OUT_LANES per output word."""
import cocotb
import streams


@cocotb.test()
async def regroup(dut):
    case, arrays = streams.load_case()
    p = case["params"]
    words_in = streams.pack(arrays["x"], p["IN_LANES"], p["BITS"])
    words_out = streams.pack(arrays["x"], p["OUT_LANES"], p["BITS"])
    await streams.check(dut, {"in": words_in}, {"out": words_out}, max(len(words_in), len(words_out)), case["seed"])
