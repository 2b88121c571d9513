"""The Verilog kernels' parameter checks (hw/rtl/, docs/rtl.md "Parameter checks") and the MVAU's named enums.

A kernel given a parameter it cannot work with stops at time 0 with `$fatal` and a message naming the module, the
parameter and its value; with good parameters it elaborates and runs. Icarus for every case (an elaboration and a
run take a fraction of a second), Verilator for one (a build takes about 15 s). The enum test keeps sf_mvau's
MAC_* and WEIGHT_* names in both twins equal to hw/spec.py's tuples, whose indices the generators pass.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from squeezeflow.compiler.sim.rtlsim import VERILATOR_FLAGS, verilator_env
from squeezeflow.hw import spec

HW = Path(spec.__file__).resolve().parent
SOURCES = sorted((HW / "rtl").glob("*.v"))
PACKED = spec.MAC_IMPLS.index("dsp_packed")

# (module, parameters, what the check says): a range, a divisibility, an enum, a width, a nested module's check.
BAD = [
    ("sf_fifo", {"DEPTH": 1}, "sf_fifo: DEPTH = 1, must be >= 2"),
    ("sf_fifo", {"WIDTH": 0}, "sf_fifo: WIDTH = 0, must be >= 1"),
    ("sf_mvau", {"MAC": len(spec.MAC_IMPLS)}, f"sf_mvau: MAC = {len(spec.MAC_IMPLS)}, not an index of MAC_IMPLS"),
    ("sf_mvau", {"WEIGHT_STORAGE": len(spec.WEIGHT_STORAGES)},
     f"sf_mvau: WEIGHT_STORAGE = {len(spec.WEIGHT_STORAGES)}, not an index of WEIGHT_STORAGES"),
    ("sf_mvau", {"MAC": PACKED, "PE": 3, "PACK_SHIFT": spec.pack_shift(8, False, 8, 1)},
     "sf_mvau: PE = 3, must be even (dsp_packed)"),
    ("sf_regroup", {"IN_LANES": 4, "OUT_LANES": 3},
     "sf_regroup: IN_LANES = 4, OUT_LANES = 3: one must divide the other"),
    ("sf_requant", {"ZP_IN": 256}, "sf_requant: ZP_IN = 256, not a value of the 8-bit input"),
    ("sf_add", {"HI": 256}, "sf_round_clamp: LO, HI = 0, 256, not a range of OUT_BITS = 8 bits"),
    ("sf_window", {"PT": 3}, "sf_window: PT, PL = 3, 0, must be 0 <= PT < KH = 3, 0 <= PL < KW = 3"),
    ("sf_pool", {"HO": 7}, "sf_pool: HO, WO = 7, 6: two windows end at the same input row or column"),
    ("sf_axis_in", {"LANES": 10}, "sf_axis_in: LANES = 10, must be <= AXI_BITS / VALUE_BITS + 1 = 9"),
]


def icarus(folder: Path, top: str, params: dict) -> subprocess.CompletedProcess:
    """Elaborate hw/rtl/ with `top` and `params`, and run it (no clock: it ends at time 0) in `folder`."""
    binary = folder / f"{top}.vvp"
    overrides = [f"-P{top}.{name}={value}" for name, value in params.items()]
    build = subprocess.run(["iverilog", "-g2012", "-s", top, *overrides, "-o", str(binary), *map(str, SOURCES)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    return subprocess.run(["vvp", "-n", str(binary)], cwd=folder, capture_output=True, text=True)


def assert_fails(run: subprocess.CompletedProcess, message: str) -> None:
    assert run.returncode != 0 and message in run.stdout + run.stderr, (run.returncode, run.stdout, run.stderr)


def assert_runs(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == 0 and "FATAL" not in run.stdout.upper(), (run.returncode, run.stdout, run.stderr)


@pytest.mark.parametrize("top,params,message", BAD, ids=[f"{t}-{'-'.join(map(str, p))}" for t, p, _ in BAD])
def test_bad_parameter_stops_icarus(tmp_path, top, params, message):
    assert_fails(icarus(tmp_path, top, params), message)


@pytest.mark.parametrize("top", [path.stem for path in SOURCES])
def test_default_parameters_run_on_icarus(tmp_path, top):
    assert_runs(icarus(tmp_path, top, {}))


# (IN_BITS, IN_SIGNED, W_BITS, SIMD): sf_mvau's least PACK_SHIFT is spec.pack_shift's.
@pytest.mark.parametrize("in_bits,signed,w_bits,simd", [(8, False, 6, 4), (8, True, 8, 3), (4, False, 4, 16),
                                                         (8, True, 6, 1)])
def test_pack_shift_bound_is_spec(tmp_path, in_bits, signed, w_bits, simd):
    least = spec.pack_shift(in_bits, signed, w_bits, simd)
    params = dict(MAC=PACKED, PE=2, SIMD=simd, IN_BITS=in_bits, IN_SIGNED=int(signed), W_BITS=w_bits)
    assert_runs(icarus(tmp_path, "sf_mvau", {**params, "PACK_SHIFT": least}))
    assert_fails(icarus(tmp_path, "sf_mvau", {**params, "PACK_SHIFT": least - 1}),
                 f"sf_mvau: PACK_SHIFT = {least - 1}, must be >= {least} (dsp_packed)")


def test_requant_units_bound_is_spec(tmp_path):
    pe, sf = 8, 3
    least = spec.requant_units(pe, sf)
    assert_runs(icarus(tmp_path, "sf_mvau", dict(PE=pe, SF=sf, REQUANT_UNITS=least)))
    assert_fails(icarus(tmp_path, "sf_mvau", dict(PE=pe, SF=sf, REQUANT_UNITS=least - 1)),
                 f"sf_mvau: REQUANT_UNITS = {least - 1}, must be >= ceil(PE / SF) = {least}")


def test_bad_parameter_stops_verilator(tmp_path, monkeypatch):
    for name in ("PATH", "MAKEFLAGS"):
        monkeypatch.setenv(name, verilator_env()[name])
    top, params, message = BAD[0]
    build = subprocess.run(["verilator", "--binary", "-j", "2", *VERILATOR_FLAGS, "--top-module", top,
                            *(f"-G{name}={value}" for name, value in params.items()), "-Mdir", str(tmp_path),
                            *map(str, SOURCES)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    assert_fails(subprocess.run([str(tmp_path / f"V{top}")], capture_output=True, text=True), message)


def enum(text: str, declaration: str, prefix: str) -> dict[str, int]:
    """{name: value} of the `prefix`_* constants on the lines of `text` that start with `declaration`."""
    lines = [line for line in text.splitlines() if line.strip().startswith(declaration)]
    return {name: int(value) for line in lines for name, value in re.findall(rf"\b({prefix}_\w+) = (\d+)", line)}


def by_index(prefix: str, names: tuple[str, ...]) -> dict[str, int]:
    return {f"{prefix}_{name.upper()}": index for index, name in enumerate(names)}


def test_mvau_enums_match_spec():
    verilog, cpp = (HW / "rtl" / "sf_mvau.v").read_text(), (HW / "hls" / "sf_mvau.h").read_text()
    assert enum(verilog, "localparam integer", "MAC") == by_index("MAC", spec.MAC_IMPLS)
    assert enum(verilog, "localparam integer", "WEIGHT") == by_index("WEIGHT", spec.WEIGHT_STORAGES)
    assert enum(cpp, "enum mac_impl", "MAC") == by_index("MAC", spec.MAC_IMPLS)
    for text in (verilog, cpp):  # compared by name only
        assert not re.search(r"\b(MAC|WEIGHT_STORAGE) == \d", text)
