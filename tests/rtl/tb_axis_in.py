"""sf_axis_in: frames packed by the host (host/codec.py pack_frames, hw/spec.py's format) come out as the first
layer's words, the last beat's padding dropped."""
import cocotb
import streams

from squeezeflow.host.codec import pack_frames


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    x = arrays["x"]
    beats = [int(b) for b in pack_frames(x).reshape(-1)]
    return {"in": beats}, {"out": streams.pack(streams.hwc(x), case["params"]["LANES"], case["params"]["LANE_BITS"])}


@cocotb.test()
async def axis_in(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    await streams.check(dut, sources, sinks, max(len(sources["in"]), len(sinks["out"])), case["seed"])
