"""sf_duplicate: both outputs carry the input (the identity), each consumer stalling independently."""
import cocotb
import streams


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    words = streams.pack(arrays["x"], 1, case["params"]["WIDTH"])
    return {"in": words}, {"out0": words, "out1": words}


@cocotb.test()
async def duplicate(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, len(sources["in"]), case["seed"])
