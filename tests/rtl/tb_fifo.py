"""sf_fifo: the words come out in order (the FIFO's golden function is the identity)."""
import cocotb
import streams


@cocotb.test()
async def fifo(dut):
    case, arrays = streams.load_case()
    words = streams.pack(arrays["x"], 1, case["params"]["WIDTH"])
    await streams.check(dut, {"in": words}, {"out": words}, len(words), case["seed"])
