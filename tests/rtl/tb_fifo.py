"""sf_fifo: the words come out in order (the FIFO's golden function is the identity)."""
import cocotb
import streams


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    words = streams.pack(arrays["x"], 1, case["params"]["WIDTH"])
    return {"in": words}, {"out": words}


@cocotb.test()
async def fifo(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, len(sources["in"]), case["seed"])
