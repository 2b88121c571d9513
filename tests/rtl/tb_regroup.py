"""sf_regroup: each block's (pixel's) lanes in the same order, IN_LANES per input word, OUT_LANES per output word; a
block that does not fill its last output word has that word's upper lanes zero."""
import cocotb
import numpy as np
import streams


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    p = case["params"]
    x = arrays["x"]  # blocks, values
    words_out = streams.pack(np.pad(x, [(0, 0), (0, -x.shape[1] % p["OUT_LANES"])]), p["OUT_LANES"], p["BITS"])
    return {"in": streams.pack(x, p["IN_LANES"], p["BITS"])}, {"out": words_out}


@cocotb.test()
async def regroup(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    p = case["params"]
    ratio = max(1, p["OUT_LANES"] // p["IN_LANES"])
    slots = len(arrays["x"]) * -(-p["BLOCK_WORDS"] // ratio) * ratio  # a block's zero fill takes a cycle per word
    await streams.check(dut, sources, sinks, max(len(sources["in"]), len(sinks["out"]), slots), case["seed"])
