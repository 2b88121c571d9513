"""sf_mvau's multiplier mappings (hw/spec.py MAC_IMPLS) in yosys synth_xilinx (compiler/sim/synth.py): the DSP48E2 count
of each is exactly what the mapping promises.

Every mapping adds the requantization products, per requantizer the accumulator times the unsigned 24-bit
multiplier: one DSP48E2 up to 18 accumulator bits, two up to 27, four beyond (here 20 bits: two). The PE channels
share ceil(PE / SF) requantizers (hw/spec.py requant_units): 2 here.
"""
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from squeezeflow.compiler.kernels import kernel_costs
from squeezeflow.compiler.sim.synth import yosys
from squeezeflow.hw import spec

RTL = Path(spec.__file__).resolve().parent / "rtl"
SIMD, PE, SF, NF = 4, 4, 2, 2  # a few tiles, so that the weights are a memory and not constants
IN_BITS, W_BITS, ACC_BITS, SHIFT_BITS = 8, 6, 20, 6
REQUANT_DSPS = 2 * spec.requant_units(PE, SF)  # two per requantizer (ACC_BITS > 18); SF = 2: PE / 2 of them
EXPECTED_DSPS = {"dsp": SIMD * PE + REQUANT_DSPS, "dsp_packed": SIMD * PE // 2 + REQUANT_DSPS, "lut": REQUANT_DSPS}


def _hex(words, bits: int) -> str:
    return "".join(f"{w:0{-(-bits // 4)}x}\n" for w in words)


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory) -> dict:
    """MAC mapping -> compiler/sim/synth.py's yosys() summary of sf_mvau with random weights and parameters."""
    folder = tmp_path_factory.mktemp("mac_mapping")
    rng = np.random.default_rng(5)
    memories = {"weights.hex": (PE * SIMD * W_BITS, SF * NF),
                "params.hex": (PE * (ACC_BITS + spec.REQUANT_MULT_BITS + SHIFT_BITS), NF)}
    for name, (bits, count) in memories.items():
        (folder / name).write_text(_hex([int.from_bytes(rng.bytes(-(-bits // 8)), "little") % (1 << bits)
                                         for _ in range(count)], bits))
    sources = [str(RTL / name) for name in kernel_costs.SOURCES["sf_mvau"]]

    def run(mac: str) -> dict:
        params = dict(SIMD=SIMD, PE=PE, SF=SF, NF=NF, IN_BITS=IN_BITS, IN_SIGNED=0, W_BITS=W_BITS, OUT_BITS=8,
                      ACC_BITS=ACC_BITS, MULT_BITS=spec.REQUANT_MULT_BITS, SHIFT_BITS=SHIFT_BITS,
                      PRODUCT_BITS=ACC_BITS + spec.REQUANT_MULT_BITS + 1, MAC=spec.MAC_IMPLS.index(mac),
                      PACK_SHIFT=spec.pack_shift(IN_BITS, False, W_BITS, SIMD), WEIGHT_STORAGE=0,
                      REQUANT_UNITS=spec.requant_units(PE, SF))
        literals = [(k, str(v)) for k, v in params.items()] + [("WEIGHT_FILE", '"weights.hex"'),
                                                               ("PARAM_FILE", '"params.hex"')]
        return yosys(folder, sources, "sf_mvau", literals)

    with ThreadPoolExecutor(len(spec.MAC_IMPLS)) as pool:
        return dict(zip(spec.MAC_IMPLS, pool.map(run, spec.MAC_IMPLS)))


@pytest.mark.parametrize("mac", spec.MAC_IMPLS)
def test_dsp_count_follows_the_mapping(synthesized, mac):
    assert synthesized[mac]["DSP"] == EXPECTED_DSPS[mac], synthesized[mac]["cells"]


def test_block_storage_is_honoured(synthesized):
    """WEIGHT_STORAGE=0's ram_style: a 4-word ROM, which yosys would make LUTs of by itself, lands in block RAM."""
    assert synthesized["dsp"]["BRAM36"] > 0, synthesized["dsp"]["cells"]
