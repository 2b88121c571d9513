"""sf_axis_in: frames packed by the host (host/codec.py pack_frames, hw/spec.py's format) come out as the first
layer's words, the last beat's padding dropped."""
import cocotb
import streams

from squeezeflow.host.codec import pack_frames


@cocotb.test()
async def axis_in(dut):
    case, arrays = streams.load_case()
    p = case["params"]
    x = arrays["x"]
    beats = [int(b) for b in pack_frames(x).reshape(-1)]
    out = streams.pack(streams.hwc(x), p["LANES"], p["LANE_BITS"])
    await streams.check(dut, {"in": beats}, {"out": out}, max(len(beats), len(out)), case["seed"])
