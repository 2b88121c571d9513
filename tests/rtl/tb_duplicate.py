"""sf_duplicate: both outputs carry the input (the identity), each consumer stalling independently."""
import cocotb
import streams


@cocotb.test()
async def duplicate(dut):
    case, arrays = streams.load_case()
    words = streams.pack(arrays["x"], 1, case["params"]["WIDTH"])
    await streams.check(dut, {"in": words}, {"out0": words, "out1": words}, len(words), case["seed"])
