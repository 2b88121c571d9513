"""sf_axis_out: logits leave as the host reads them (host/codec.py unpack_logits, hw/spec.py's format), zero-padded,
TLAST on each frame's last beat."""
import cocotb
import numpy as np
import streams

from squeezeflow.host.codec import output_beats, unpack_logits


def expected(case: dict, arrays: dict) -> tuple[dict, dict]:
    logits = arrays["x"]
    n, classes = logits.shape
    beats = np.zeros((n, output_beats(classes) * 2), "<i4")
    beats[:, :classes] = logits
    out = [int(b) for b in beats.view("<u8").reshape(-1)]
    assert (unpack_logits(np.array(out, "<u8"), classes) == logits).all()
    return {"in": streams.pack(logits, 1, case["params"]["LANE_BITS"])}, {"out": out}


@cocotb.test()
async def axis_out(dut):
    case, arrays = streams.load_case()
    sources, sinks = expected(case, arrays)
    out = sinks["out"]
    lasts = await streams.check(dut, sources, sinks, len(out), case["seed"])
    per_frame = output_beats(arrays["x"].shape[1])
    assert lasts["out"] == [(i + 1) % per_frame == 0 for i in range(len(out))], "TLAST misplaced"
