"""FPGA resources of the RTL kernels (hw/rtl/) as formulas of their Verilog parameters (sf_mvau: `mvau_cost`).

For the planner: `kernel_cost(module, params)` takes the parameters exactly as `kernels.base.verilog_params(net, p)`
returns them (ints; sf_fifo: WIDTH, DEPTH) and returns a `Cost`: LUT (logic),
LUTRAM (LUTs used as memory, SRLs included), FF, DSP (DSP48E2), BRAM36 (a RAMB18 counts 0.5) and URAM (URAM288).
`memory_cost(width_bits, depth_words, style)` prices a memory of that shape ("bram", "lutram", "uram" or "auto":
what yosys does by default), for weight memories and FIFOs.

Where the numbers come from: yosys 0.23 (`synth_xilinx -family xcup -flatten`, UltraScale+), run through
compiler/sim/synth.py's `yosys()` (so with its steering of 257..512-word memories to block RAM), counted as
synth.summarize() counts (LUT = LUT1..LUT6, MUXF7/8/9, CARRY and INV cells not counted). bench/resource_fit.py
synthesizes every kernel over a grid of SqueezeNet 1.1 (224x224) parameter sets and prints measured against predicted;
tests/test_kernel_costs.py checks six of them. yosys maps carry chains and packs LUTs differently from Vivado: LUT
counts are estimates for both; DSP, BRAM and FF are what Vivado would mostly report too.

How it is modelled:

* Memories follow yosys's own choice (memory_libmap), reproduced here: every mapping has a score, the cheapest wins,
  the FF/LUT ("logic") fallback wins ties. Scores: logic = bits (RAM) or bits / 64 (ROM); LUTRAM 16 per primitive
  scaled by the bits used (RAM32M16 = 32 x 14 simple dual port, RAM64M8 = 64 x 7), block RAM 129 per RAMB18, 257 per
  RAMB36 (widths 1, 2, 4, 9, 18, 36 and 72 for RAMB36, 512..32K deep), 513 per cascaded RAMB36 pair (64K x 1..9);
  plus 0.5 x width x (depth slices - 1) for the read multiplexer, 0.5 per slice for the write decoder and 2 for the
  read-register emulation. Depth slices of a RAM share block RAMs at 9-bit granularity (byte enables), those of a ROM
  at bit granularity. This reproduces every BRAM and LUTRAM count measured (about 230 memories: FIFOs, window
  buffers, maxpool and gap accumulators, bare RAMs and ROMs). Consequences (yosys 0.23, UltraScale+, style "auto"):
    - RAMs (FIFOs, line buffers): one word is flip-flops; 2..32 words a RAM32M16 per 14 bits (8 LUTRAM), 33..64 a
      RAM64M8 per 7 bits, whatever the width (at 64 words LUTRAM beats block RAM even 512 bits wide); 65..256 words
      stay in LUTRAM only when narrow (8-bit words up to 256, 16-bit up to 192, 24-bit up to 128; 32 bits and wider
      go to block RAM from 65 words); 257..512 words block RAM whatever the shape (compiler/sim/synth.py's rule); deeper
      block RAM. No FIFO is ever SRLs or flip-flops: the 2-deep stream FIFOs cost 8 LUTRAM per 14 bits.
    - ROMs ($readmemh, never written: sf_mvau's weights, a per-channel sf_requant table) never go to LUTRAM (yosys
      has no LUT-ROM primitive; ram_style "distributed" or "ultra" on a ROM is a yosys error): they are LUT logic
      (a LUT6 per 64 words and bit) while bits / 64 is below the block RAM score, i.e. while they would fill their
      RAMB18s to less than about 8 Kbit each (up to about 16 Kbit for 8..32-bit words, 242 words at 512 bits), block
      RAM above.
    - URAM only where asked (ram_style "ultra"; synth.py does not pass -uram): 4K x 72 per URAM288, RAMs only.
* Logic: each kernel's registers are counted from its Verilog (its FF formula is the sum of its register widths; yosys
  merges duplicate registers, e.g. sf_duplicate's two output registers, and drops constant ones, e.g. sf_requant's
  parameter registers when every channel has the same multiplier and shift), and its LUTs are a linear formula of
  a few structural sizes (lanes x bits, counter widths, read multiplexer slices), least-squares fitted (LUT_COEF)
  on an exploration grid of about 330 syntheses (FIFOs 7 widths x 19 depths, 20 windows, every kernel at lanes
  1..64, bare memories in every style).
* DSPs: one DSP48E2 per 27 x 18 signed product (sf_requant: 1 per lane; sf_add: 2 per lane, its constant 24-bit
  multipliers MA and MB).

Error on bench/resource_fit.py's grid (57 syntheses: the SqueezeNet 1.1 instances and around them; --full: 119):
BRAM36, URAM, DSP and LUTRAM exact everywhere (119/119); FF mean 0.1%, max 4% (sf_axis_out); LUT mean 3.3% (4.4%),
max 20% over the kernels (an 8-bit x 1216 FIFO: non-power-of-two depths cost a few LUTs more); the read multiplexer
of a bare sliced memory is only good to a few tens of LUTs (16 x 256 forced to LUTRAM: 20 measured, 34 predicted).
"""
from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from squeezeflow.hw import spec

RTL = Path(spec.__file__).resolve().parent / "rtl"


def block_slots(block_words: int, gather: int) -> int:
    """Cycles sf_regroup spends on a block (pixel) of `block_words` input words gathered `gather` to an output word:
    its words and the zero fill that completes its last output word, a cycle each (its cycles and its slot
    counter's width)."""
    return -(-block_words // gather) * gather


YOSYS = "yosys 0.23, synth_xilinx -family xcup -flatten (compiler/sim/synth.py)"


@dataclass(frozen=True)
class Cost:
    lut: float = 0.0
    lutram: float = 0.0
    ff: float = 0.0
    dsp: float = 0.0
    bram36: float = 0.0
    uram: float = 0.0

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.lut + other.lut, self.lutram + other.lutram, self.ff + other.ff, self.dsp + other.dsp,
                    self.bram36 + other.bram36, self.uram + other.uram)

    def __mul__(self, k: float) -> "Cost":
        return Cost(k * self.lut, k * self.lutram, k * self.ff, k * self.dsp, k * self.bram36, k * self.uram)

    __rmul__ = __mul__

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


RESOURCES = tuple(f.name for f in fields(Cost))  # the resources every model and report counts, in this order


def clog2(x: int) -> int:
    """Verilog's $clog2 (0 for 0 and 1)."""
    return max(0, int(x) - 1).bit_length()


def bits_of(value: int) -> int:
    """Two's complement bits of a signed constant."""
    value = int(value)
    return (value if value >= 0 else ~value).bit_length() + 1


def _range_bits(lo: int, hi: int) -> int:
    """Bits of a register holding values in [lo, hi] (two's complement when lo < 0)."""
    return max(abs(lo), abs(hi)).bit_length() + (1 if lo < 0 else 0)


def _product_range(bits: int, signed: int, zero: int, mult: int) -> tuple[int, int]:
    """Range of mult * (x - zero) for an x of `bits` bits."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    ends = (mult * (lo - zero), mult * (hi - zero))
    return min(ends), max(ends)


def dsp_mult(a_bits: int, b_bits: int) -> int:
    """DSP48E2s of an a_bits x b_bits signed product (27 x 18 per DSP, the better orientation)."""
    return min(math.ceil(a_bits / 27) * math.ceil(b_bits / 18), math.ceil(a_bits / 18) * math.ceil(b_bits / 27))


# --- memories -----------------------------------------------------------------------------------------------------

# (primitive, yosys score, address bits, port widths, BRAM36 per cell): yosys 0.23's brams_xc4v.txt, UltraScale+.
_BRAM = (("RAMB18E2", 129, 14, (1, 2, 4, 9, 18, 36), 0.5),
         ("RAMB36E2", 257, 15, (1, 2, 4, 9, 18, 36, 72), 1.0),
         ("RAMB36E2 cascade", 513, 16, (1, 2, 4, 9), 2.0))
_LUTRAM = (("RAM32M16", 5, 14), ("RAM64M8", 6, 7))  # (primitive, address bits, bits per cell); 8 LUTs each
_POW2 = {1: 1, 2: 2, 4: 4, 9: 8, 18: 16, 36: 32, 72: 64}
URAM_WORDS, URAM_BITS = 4096, 72
STYLES = ("auto", "bram", "lutram", "uram", "logic")


@dataclass(frozen=True)
class Mapping:
    """How a memory maps: kind ("logic", "lutram", "bram", "uram"), primitive, its port width, the depth slices
    (read multiplexer inputs), the number of primitives and yosys's score."""
    kind: str
    primitive: str
    port_width: int
    slices: int
    cells: int
    score: float


def _bram_mappings(width: int, depth: int, rom: bool):
    for primitive, score, abits, widths, _ in _BRAM:
        for b in widths:
            slices = -(-depth // ((1 << abits) // _POW2[b]))
            if b < 9:
                cells = slices * -(-width // b)
            else:  # slices share cells: at bit granularity (ROM) or in 9-bit bytes (RAM, byte write enables)
                packed = width if rom else -(-width // 9) * 9
                cells = -(-slices * packed // b)
            total = cells * score + 0.5 * width * (slices - 1) + (0.5 * slices if slices > 1 and not rom else 0) + 2
            yield Mapping("bram", primitive, b, slices, cells, total)


def _lutram_mappings(width: int, depth: int):
    for primitive, abits, b in _LUTRAM:
        slices = -(-depth // (1 << abits))
        total = 16 * slices * width / b + 0.5 * width * (slices - 1) + (0.5 * slices if slices > 1 else 0) + 2
        yield Mapping("lutram", primitive, b, slices, slices * -(-width // b), total)


def _uram_mapping(width: int, depth: int) -> Mapping:
    slices = -(-depth // URAM_WORDS)
    cells = -(-slices * (-(-width // 9) * 9) // URAM_BITS)
    return Mapping("uram", "URAM288", URAM_BITS, slices, cells, 1024.0 * cells)


@functools.lru_cache(maxsize=4096)
def memory_mapping(width_bits: int, depth_words: int, style: str = "auto", rom: bool = False) -> Mapping:
    """The mapping yosys 0.23 picks for a memory with one synchronous read port and (unless `rom`) one write port,
    through compiler/sim/synth.py ("auto": 257..512 words to block RAM, otherwise the cheapest score); "bram", "lutram",
    "uram", "logic" force the kind as ram_style would (a ROM asked for LUTRAM becomes LUT logic, as in Vivado)."""
    width, depth = int(width_bits), int(depth_words)
    if width < 1 or depth < 1:
        raise ValueError(f"memory of {width} bits x {depth} words")
    if style not in STYLES:
        raise ValueError(f"memory style {style!r}: one of {', '.join(STYLES)}")
    if style == "uram":
        if rom:
            raise ValueError("a URAM288 has no initial contents: a ROM cannot be placed in URAM")
        return _uram_mapping(width, depth)
    if style == "auto" and 256 < depth <= 512:
        style = "bram"
    logic = Mapping("logic", "LUT" if rom else "FF", width, 1, 0, width * depth / (64 if rom else 1))
    if style == "logic" or (style == "lutram" and rom):
        return logic
    # yosys keeps the cheapest mapping of each kind (the first on ties; LUTRAM library first), then takes one only if
    # it beats the best so far, whose score it holds as an int (truncated): the logic fallback first.
    kinds = []
    if style in ("auto", "lutram") and not rom:
        kinds.append(min(_lutram_mappings(width, depth), key=lambda m: m.score))
    if style in ("auto", "bram"):
        kinds.append(min(_bram_mappings(width, depth, rom), key=lambda m: m.score))
    best = logic if style == "auto" else kinds[0]
    for m in kinds:
        if m.score < int(best.score):
            best = m
    return best


def _read_mux_luts(width: int, slices: int, rom: bool, kind: str) -> float:
    """LUTs of the read multiplexer over `slices` depth slices, and of a RAM's write decoder (fitted: FIFOs,
    windows, bare memories). Over block RAM slices yosys builds LUT6 4:1 muxes combined in MUXF7/F8, one LUT per bit
    and 4 slices (ROMs and RAMs of up to 9 slices measured); over LUTRAM slices, about half a LUT per bit and slice."""
    if slices <= 1:
        return 0.0
    per_bit = math.ceil(slices / 4) if kind in ("bram", "uram") else max(1.0, 0.55 * (slices - 1))
    return width * per_bit + (0 if rom else 2 * slices)


def _rom_luts(width: int, depth: int) -> float:
    """A ROM in LUT logic: a LUT6 per 64 words and bit, plus the mux levels above 512 words (random contents)."""
    if depth <= 2:
        return 0.0
    return width * (math.ceil(depth / 64) + (depth / 512 if depth > 512 else 0))


def _memory(width: int, depth: int, style: str = "auto", rom: bool = False, read: str = "sync",
            mapping: Mapping | None = None) -> Cost:
    """Cost of a memory. read="sync": the read data register is the memory's (a FIFO's output register, a window's
    read register, a ROM's); read="async": combinational read at a registered address, written back the next cycle
    (sf_maxpool's and sf_gap's accumulators), which yosys turns into a synchronous read: in block RAM plus a
    write-through bypass (width + 1 FFs, width LUTs), in LUTRAM plus a copy of the address register."""
    m = mapping or memory_mapping(width, depth, style, rom)
    sync = read == "sync"
    if m.kind == "logic":
        if rom:
            return Cost(lut=_rom_luts(width, depth), ff=width)
        return Cost(lut=width * math.ceil((depth - 1) / 4) + (depth if depth > 1 else 0),
                    ff=width * depth + (width if sync else 0))
    mux = _read_mux_luts(width, m.slices, rom, m.kind)
    if m.kind == "lutram":  # async: yosys keeps a copy of the address register for the LUTRAM's read port
        return Cost(lut=mux, lutram=8 * m.cells, ff=width if sync else clog2(depth))
    select = clog2(m.slices)
    extra = Cost() if sync else Cost(lut=width, ff=width + 1)
    if m.kind == "uram":
        return Cost(lut=mux, ff=select, uram=m.cells) + extra
    per = {p: k for p, _, _, _, k in _BRAM}[m.primitive]
    return Cost(lut=mux, ff=select, bram36=m.cells * per) + extra


def memory_cost(width_bits: int, depth_words: int, style: str = "auto", rom: bool = False) -> Cost:
    """Cost of a memory of `depth_words` words of `width_bits` bits with a registered (synchronous) read port, in
    `style` "bram" | "lutram" | "uram" | "auto" (| "logic"): a RAM (one write port: a FIFO, a line buffer) or, with
    rom=True, a ROM ($readmemh contents, e.g. weights). "auto" is what compiler/sim/synth.py's yosys flow does (see the
    module docstring); the forced styles are what ram_style would give in Vivado too, except that synth.py turns
    every 257..512-word memory into block RAM whatever its style. A ROM in "lutram" is priced as LUT logic
    (a distributed ROM); a ROM in "uram" is an error. The read register is included (in the BRAM/URAM for those)."""
    return _memory(width_bits, depth_words, style, rom)


# --- kernels ------------------------------------------------------------------------------------------------------
# Fitted LUT coefficients: kernel -> term -> LUTs per unit (bench/resource_fit.py --refit recomputes them).
LUT_COEF: dict[str, dict[str, float]] = {
    "sf_window": {"1": 62.83, "YW+XW": 12.09, "WB": 0.94, "WB (sliced)": -1.15},
    "sf_maxpool": {"1": -11.18, "GW": 6.01, "WB": 1.79, "WB (CG<=2)": 0.99},
    "sf_pool": {"1": 132.66, "(NA+NB)*WB": 1.83, "WB (slot selects)": 1.78},
    "sf_regroup": {"split IW (4<=R<=16)": 1.86, "split IW": 1.01, "split 1": 4.31, "gather 1": 3.92,
                   "gather CW": 1.21},
    "sf_requant": {"LANES": 40.18},
    "sf_gap": {"1": -44.14, "W": 1.0, "GW+PW": 5.7},
    "sf_concat": {"1": 0.34, "WIDTH": 1.01, "JW": 1.6},
    "sf_add": {"LANES*SUM_BITS": 2.86, "LANES": -51.1},
    "sf_axis_in": {"AXI_BITS (LANES<4)": 5.38, "AXI_BITS (LANES>=4)": 10.69},
    "sf_axis_out": {"1": 27.0, "collected": 1.91},
    "sf_round_clamp": {"1": 61.87, "P": 3.16, "P (SHIFT_BITS>=5)": 2.93},
}
# sf_fifo's control logic (pointers, fill count) by address width AW; AW = 5 (17..32 words, a RAM32M16) carries a
# yosys quirk of about 15 extra LUTs; above 6: 4 AW + 3.
FIFO_CONTROL_LUTS = {1: 8, 2: 12, 3: 19, 4: 27, 5: 44, 6: 30}


def _linear(module: str, terms: dict[str, float]) -> float:
    coef = LUT_COEF[module]
    return sum(coef[name] * value for name, value in terms.items())


def fifo_terms(p):
    width, depth = int(p["WIDTH"]), int(p["DEPTH"])
    aw = clog2(depth) if depth > 1 else 1
    control = Cost(lut=FIFO_CONTROL_LUTS.get(aw, 4 * aw + 3), ff=3 * aw + 2)
    return {}, control + _memory(width, depth)


def window_terms(p):
    lanes, bits, h, w, cg = (int(p[k]) for k in ("LANES", "BITS", "H", "W", "CG"))
    kh, kw, sh, sw, ho, wo, rows = (int(p[k]) for k in ("KH", "KW", "SH", "SW", "HO", "WO", "ROWS"))
    wb, words = lanes * bits, rows * w * cg
    aw = clog2(words)
    yw, xw = clog2(ho * sh + kh + h + 1) + 1, clog2(wo * sw + kw + w + 1) + 1
    caw = max(clog2((wo * sw + kw + w) * cg + 1), aw) + 1
    gw = clog2(cg + 1)
    registers = 4 * yw + 4 * xw + 2 * gw + 3 * aw + clog2(kh + 1) + clog2(kw + 1) + 2 * caw + 4
    mapping = memory_mapping(wb, words)
    # the padding multiplexer merges into the read multiplexer of a sliced memory
    terms = {"1": 1, "YW+XW": yw + xw, "WB": wb, "WB (sliced)": wb if mapping.slices > 1 else 0}
    return terms, Cost(ff=registers) + _memory(wb, words, mapping=mapping)


def maxpool_terms(p):
    lanes, bits, k, cg = (int(p[n]) for n in ("LANES", "BITS", "K", "CG"))
    wb = lanes * bits
    terms = {"1": 1, "GW": clog2(cg + 1), "WB": wb, "WB (CG<=2)": wb if cg <= 2 else 0}
    return terms, Cost(ff=wb + clog2(k + 1) + clog2(cg + 1) + 1) + _memory(wb, cg, read="async")


def pool_terms(p):
    """sf_pool: per column slot (NA) a running maximum of CG words read combinationally, as sf_maxpool's; per row slot
    (NB) one of WO * CG words with a registered read (block RAM when large); a lane-wise max per slot and a slot
    select per dimension with two or more. FF, LUTRAM and BRAM36 exact on bench/resource_fit.py's 14 sf_pool
    instances; LUT fitted there weighted by 1 / measured (mean error 5.6%, max 12%; tiny instances, e.g. 24-bit
    words with one slot per dimension, come out up to ~40 LUTs high)."""
    lanes, bits, cg, wo, na, nb = (int(p[k]) for k in ("LANES", "BITS", "CG", "WO", "NA", "NB"))
    w, h, pl, pt, sw, sh = (int(p[k]) for k in ("W", "H", "PL", "PT", "SW", "SH"))
    wb, words = lanes * bits, wo * cg
    gw, aw = (clog2(cg) if cg > 1 else 0), (clog2(words) if words > 1 else 0)
    xw, yw = clog2(w + pl + 2), clog2(h + pt + 2)
    # position, last and first output per dimension, stride phase and first slot (constant ones dropped)
    tracking = (3 * xw + (clog2(sw) if sw > 1 else 0) + (clog2(na) if na > 1 else 0)
                + 3 * yw + (clog2(sh) if sh > 1 else 0) + (clog2(nb) if nb > 1 else 0))
    # the row stage (column, address, per-slot flags, first slot), the output, the one-word forwarding
    stage = wb + 2 * aw + 2 * nb + (clog2(nb) if nb > 1 else 0) + 2 + (nb * (wb + 1) if words == 1 else 0)
    registers = tracking + gw + stage + wb + 1
    columns = na * _memory(wb, cg, read="async")
    if memory_mapping(wb, cg).kind == "lutram":  # the slots share one copy of the address register
        columns = columns + Cost(ff=-(na - 1) * clog2(cg))
    terms = {"1": 1, "(NA+NB)*WB": (na + nb) * wb, "WB (slot selects)": wb * ((na > 1) + (nb > 1))}
    return terms, Cost(ff=registers) + columns + nb * _memory(wb, words)


def regroup_terms(p):
    bits, n_in, n_out = (int(p[k]) for k in ("BITS", "IN_LANES", "OUT_LANES"))
    iw, ow = n_in * bits, n_out * bits
    if n_in == n_out:
        return {}, Cost()
    r = max(n_in, n_out) // min(n_in, n_out)
    cw = clog2(r + 1)
    if n_in > n_out:  # split: the input word shifts out OUT_LANES at a time
        mid = 4 <= r <= 16
        return ({"split IW (4<=R<=16)": iw if mid else 0, "split IW": 0 if mid else iw, "split 1": 1},
                Cost(ff=iw + cw))
    fixed = Cost(ff=(ow - iw) + ow + cw + 1)
    block = int(p.get("BLOCK_WORDS", 0))
    if block % r:
        # The zero fill (not fitted; yosys, 4 instances: 20-26 LUTs over the unpadded converter): a mux to zero on
        # the input word, and the block's slot counter with its compare.
        slot_bits = clog2(block_slots(block, r))
        fixed = fixed + Cost(lut=iw + slot_bits + 3, ff=slot_bits)
    return {"gather 1": 1, "gather CW": cw}, fixed


def requant_terms(p):
    """sf_requant with the same multiplier and shift for every channel, as the compiler emits it (an activation's
    scale is per tensor): yosys folds the parameter table into constants. A table that varied per channel would
    add about 100 LUT and 35 FF per lane plus the table (a ROM of CG x LANES*(MULT_BITS+SHIFT_BITS) bits)."""
    lanes, in_bits, out_bits, mult = (int(p[k]) for k in ("LANES", "IN_BITS", "OUT_BITS", "MULT_BITS"))
    zp_in = int(p["ZP_IN"])
    # x - ZP_IN in IN_BITS + 1 bits, whose top two are copies when a signed x has no zero point: merged
    d_bits = in_bits if int(p["IN_SIGNED"]) and zp_in == 0 else in_bits + 1
    product = d_bits + mult + 1
    registers = lanes * (in_bits + product + out_bits) + 3
    dsp = lanes * dsp_mult(in_bits + 1, mult + 1)
    return {"LANES": lanes}, Cost(ff=registers, dsp=dsp)


def gap_terms(p):
    lanes, sum_bits, cg, pixels = (int(p[k]) for k in ("LANES", "SUM_BITS", "CG", "PIXELS"))
    group = int(p.get("GROUP", pixels))
    w = lanes * sum_bits
    counters = clog2(cg + 1) + clog2(group + 1) + clog2(-(-pixels // group) + 1)  # channel group, pixel, group
    terms = {"1": 1, "W": w, "GW+PW": counters}
    return terms, Cost(ff=w + counters + 2) + _memory(w, cg, read="async")


def concat_terms(p):
    width, cga, cgb = (int(p[k]) for k in ("WIDTH", "CGA", "CGB"))
    jw = clog2(cga + cgb + 1)
    return {"1": 1, "WIDTH": width, "JW": jw}, Cost(ff=width + jw + 1)


def add_terms(p):
    lanes, a_bits, b_bits, out_bits, sum_bits = (int(p[k]) for k in ("LANES", "A_BITS", "B_BITS", "OUT_BITS",
                                                                      "SUM_BITS"))
    dsp = lanes * (dsp_mult(a_bits + 1, min(sum_bits, bits_of(p["MA"])))
                   + dsp_mult(b_bits + 1, min(sum_bits, bits_of(p["MB"]))))
    # the sum register keeps the bits its range needs, less the low bits that MA and MB make always zero
    ma, mb = int(p["MA"]), int(p["MB"])
    lo_a, hi_a = _product_range(a_bits, int(p["A_SIGNED"]), int(p["ZA"]), ma)
    lo_b, hi_b = _product_range(b_bits, int(p["B_SIGNED"]), int(p["ZB"]), mb)
    span = min(sum_bits, _range_bits(lo_a + lo_b, hi_a + hi_b))
    zeros = ((abs(ma) | abs(mb)) & -(abs(ma) | abs(mb))).bit_length() - 1 if ma | mb else 0
    registers = lanes * (a_bits + b_bits + span - zeros + out_bits) + 3
    return {"LANES*SUM_BITS": lanes * sum_bits, "LANES": lanes}, Cost(ff=registers, dsp=dsp)


def duplicate_terms(p):
    return {}, Cost(lut=4, ff=int(p["WIDTH"]) + 2)  # yosys merges the two identical output registers


def axis_in_terms(p):
    axi, value, lanes, lane_bits, words = (int(p[k]) for k in ("AXI_BITS", "VALUE_BITS", "LANES", "LANE_BITS",
                                                               "WORDS"))
    per_beat = axi // value
    registers = 2 * axi + clog2(2 * per_beat + 1) + clog2(words + 1) + lanes * lane_bits + 1
    terms = {"AXI_BITS (LANES<4)": axi if lanes < 4 else 0, "AXI_BITS (LANES>=4)": axi if lanes >= 4 else 0}
    return terms, Cost(ff=registers)


def axis_out_terms(p):
    axi, value, lane_bits, signed, values = (int(p[k]) for k in ("AXI_BITS", "VALUE_BITS", "LANE_BITS",
                                                                 "LANE_SIGNED", "VALUES"))
    per_beat = axi // value
    # zero-extended lanes leave the upper bits of each slot constant: yosys drops those registers
    collected = axi if signed or lane_bits >= value else per_beat * lane_bits
    kw = clog2(values + 1)
    registers = 2 * collected + clog2(per_beat + 1) + kw + 2
    return {"1": 1, "collected": collected}, Cost(ff=registers)


def round_clamp_terms(p):
    """sf_round_clamp alone, its shift a signal (sf_mvau's per-channel case); inside sf_requant and sf_add the shift
    is a constant and the rounding costs a few LUTs (folded into their per-lane figures)."""
    base = int(p.get("SHIFT_BASE", 0))
    bits, shift_bits = int(p["P"]) - base + min(base, 2), int(p["SHIFT_BITS"])  # the bits it rounds
    return {"1": 1, "P": bits, "P (SHIFT_BITS>=5)": bits if shift_bits >= 5 else 0}, Cost()


TERMS = {"sf_fifo": fifo_terms, "sf_window": window_terms, "sf_maxpool": maxpool_terms, "sf_pool": pool_terms,
         "sf_regroup": regroup_terms, "sf_requant": requant_terms, "sf_gap": gap_terms, "sf_concat": concat_terms,
         "sf_add": add_terms, "sf_duplicate": duplicate_terms, "sf_axis_in": axis_in_terms,
         "sf_axis_out": axis_out_terms, "sf_round_clamp": round_clamp_terms}


def kernel_cost(module: str, params: dict) -> Cost:
    """Cost of one instance of Verilog `module` (sf_*) with `params`."""
    if module == "sf_mvau":
        return mvau_cost_of(params)
    if module not in TERMS:
        raise ValueError(f"no resource model for {module!r}")
    terms, fixed = TERMS[module](params)
    return fixed + Cost(lut=_linear(module, terms)) if terms else fixed


def fifo_cost(width: int, depth: int) -> Cost:
    """An sf_fifo of `width` bits and `depth` words (emit_rtl's stream FIFO)."""
    return kernel_cost("sf_fifo", {"WIDTH": width, "DEPTH": depth})


def mvau_args(params: dict) -> dict:
    """mvau_cost's arguments from an sf_mvau's Verilog parameters (kernels.base.verilog_params)."""
    p = {k: int(v) for k, v in params.items()}
    return dict(simd=p["SIMD"], pe=p["PE"], sf=p["SF"], nf=p["NF"], in_bits=p["IN_BITS"], w_bits=p["W_BITS"],
                acc_bits=p["ACC_BITS"], mac=spec.MAC_IMPLS[p["MAC"]],
                weight_storage=spec.WEIGHT_STORAGES[p["WEIGHT_STORAGE"]], mult_bits=p["MULT_BITS"],
                shift_bits=p["SHIFT_BITS"], group=p.get("GROUP", p.get("PIXELS", 1)),
                offset_bits=p.get("OFFSET_BITS", 0))


def mvau_cost_of(params: dict) -> Cost:
    """mvau_cost of an sf_mvau from its Verilog parameters."""
    return mvau_cost(**mvau_args(params))


def window_cost(config: dict, lanes: int, bits: int) -> Cost:
    """An sf_window from its HLS configuration (H W CG KH KW SH SW PT PL HO WO; ROWS defaults to KH + SH as in
    sf_window.v), `lanes` lanes of `bits` bits."""
    params = {"ROWS": int(config["KH"]) + int(config["SH"]), "PAD": 0, **config, "LANES": lanes, "BITS": bits}
    return kernel_cost("sf_window", params)


# sf_mvau's logic (its memories priced apart, as memory_cost does, a weight ROM in logic as a bare ROM): LUTs and
# FFs are linear in the terms of mvau_logic_terms, fitted (least squares, relative weights, no negative coefficient)
# on the sf_mvau syntheses of `python bench/resource_fit.py --only sf_mvau --full --refit` (8-bit activations,
# 6-bit weights, SIMD 1..64, PE 1..32, every MAC mapping and weight storage, shifts as a real layer's: a 2-bit
# excess over SHIFT_BASE). On its 30 points: LUT mean error 7.2%, max 25%; FF 11%, 32%; DSP exact on all. A
# DSP-mapped lane costs about 14 LUTs (its share of the pipelined adder tree, sf_adder_tree.v; 22 packed, whose sums
# are wider), a LUT-mapped one about 150 (yosys maps the same shift-and-add between 98 and 150 per lane depending on
# the rest of the netlist: measured 6,986 and 9,832 LUTs for one SIMD 8 x PE 8 instance whose parameter ROM alone
# differed). With SHIFT_BASE (sf_round_clamp.v) a requantizer's rounding is small enough that the fit gives it no
# term of its own.
MVAU_LUT = {"lane dsp": 14.33, "lane dsp_packed": 21.95, "lane lut": 151.75, "pe x acc bit": 0.0,
            "requantizer x acc bit": 0.0, "input bit": 1.30, "fixed": 128.74}
MVAU_FF = {"lane": 19.43, "pe x acc bit": 1.11, "pe": 0.0, "requantizer x acc bit": 0.0, "input bit": 0.86,
           "fixed": 86.22}
MVAU_FIT_BITS = 8 + 6


def mvau_logic_terms(simd: int, pe: int, sf: int, in_bits: int, w_bits: int, acc_bits: int,
                     mac: str) -> tuple[dict, dict]:
    """The structural sizes MVAU_LUT's and MVAU_FF's coefficients multiply: (LUT terms, FF terms)."""
    lanes = simd * pe * (in_bits + w_bits) / MVAU_FIT_BITS
    shared = {"pe x acc bit": pe * acc_bits, "requantizer x acc bit": spec.requant_units(pe, sf) * acc_bits,
              "input bit": simd * in_bits, "fixed": 1}
    lut = {**{f"lane {m}": lanes if m == mac else 0 for m in spec.MAC_IMPLS}, **shared}
    return lut, {"lane": lanes, "pe": pe, **shared}


def requant_dsps(acc_bits: int) -> int:
    """DSP48E2s yosys gives one accumulator x 24-bit unsigned requantization multiplier (measured: it splits the
    product at 18 and 27 accumulator bits)."""
    return 1 if acc_bits <= 18 else 2 if acc_bits <= 27 else 4


def mvau_cost(simd: int, pe: int, sf: int, nf: int, in_bits: int, w_bits: int, acc_bits: int, mac: str,
              weight_storage: str, mult_bits: int = 24, shift_bits: int = 6, group: int = 1,
              offset_bits: int = 0) -> Cost:
    """An sf_mvau: SIMD x PE lanes folded SF x NF, its multipliers mapped as `mac` (hw/spec.py MAC_IMPLS), its
    memories as mvau_memory_cost prices them."""
    lanes = simd * pe
    multipliers = {"dsp": lanes, "dsp_packed": lanes // 2, "lut": 0}[mac]
    lut_terms, ff_terms = mvau_logic_terms(simd, pe, sf, in_bits, w_bits, acc_bits, mac)
    logic = sum(MVAU_LUT[k] * v for k, v in lut_terms.items())
    ff = sum(MVAU_FF[k] * v for k, v in ff_terms.items())
    requantizers = requant_dsps(acc_bits) * spec.requant_units(pe, sf)
    cost = Cost(lut=max(logic, 100.0), ff=max(ff, 50.0), dsp=multipliers + requantizers)
    return cost + mvau_memory_cost(simd, pe, sf, nf, in_bits, w_bits, acc_bits, weight_storage, mult_bits,
                                   shift_bits, group, offset_bits)


def mvau_memory_cost(simd: int, pe: int, sf: int, nf: int, in_bits: int, w_bits: int, acc_bits: int,
                     weight_storage: str, mult_bits: int, shift_bits: int, group: int,
                     offset_bits: int = 0) -> Cost:
    """An sf_mvau's memories as yosys maps them: its SF*NF-word weight ROM in `weight_storage` ("bram": block RAM;
    "lutram": a distributed ROM, i.e. LUT logic), its per-channel parameter ROM and its SF-word input replay
    buffer. With weights from DDR ("ddr"), a neuron fold's SF tiles and a pixel group's `group` * SF input words
    instead. The offsets (`offset_bits` > 0) widen the parameter ROM; their adder is the requant DSP's post-adder."""
    params = memory_cost(pe * (acc_bits + mult_bits + shift_bits + offset_bits), nf, "auto", rom=True)
    if weight_storage == "ddr":
        weights = memory_cost(pe * simd * w_bits, sf, "auto")
        replay = memory_cost(simd * in_bits, group * sf, "bram")  # sf_mvau.v asks for block RAM
    else:
        weights = memory_cost(pe * simd * w_bits, sf * nf, "logic" if weight_storage == "lutram" else "bram",
                              rom=True)
        replay = memory_cost(simd * in_bits, sf, "auto") if sf > 1 else Cost()
    return weights + params + replay


# --- measurement (yosys) ------------------------------------------------------------------------------------------

SOURCES = {"sf_requant": ["sf_requant.v", "sf_round_clamp.v"], "sf_add": ["sf_add.v", "sf_round_clamp.v"],
           "sf_mvau": ["sf_mvau.v", "sf_adder_tree.v", "sf_round_clamp.v"]}
MEMORY = "sf_memory"  # a bare memory (measure("sf_memory", {"WIDTH", "DEPTH", "ROM", "STYLE"}))
_RAM_STYLE = {"auto": "", "bram": "block", "lutram": "distributed", "uram": "ultra", "logic": "logic"}


def memory_verilog(width: int, depth: int, rom: bool, style: str) -> str:
    """A bare memory with a registered read port (and a write port unless `rom`), in ram_style `style`."""
    attr = f'(* ram_style = "{_RAM_STYLE[style]}" *) ' if _RAM_STYLE[style] else ""
    aw = max(1, clog2(depth))
    write = "" if rom else "if (we) mem[waddr] <= wdata;"
    init = 'initial $readmemh("init.hex", mem);' if rom else ""
    return (f"module {MEMORY} (input wire clk, input wire we, input wire [{aw - 1}:0] waddr,\n"
            f"    input wire [{width - 1}:0] wdata, input wire re, input wire [{aw - 1}:0] raddr,\n"
            f"    output reg [{width - 1}:0] rdata);\n"
            f"    {attr}reg [{width - 1}:0] mem[0:{depth - 1}];\n    {init}\n"
            f"    always @(posedge clk) begin\n        {write}\n        if (re) rdata <= mem[raddr];\n    end\n"
            "endmodule\n")


def predicted(module: str, params: dict) -> Cost:
    """kernel_cost, or memory_cost for the bare memory of measure() (as synth.py's flow maps it)."""
    if module == MEMORY:
        depth, style = int(params["DEPTH"]), params.get("STYLE", "auto")
        if 256 < depth <= 512 and style != "lutram":  # synth.py's flow overrides ram_style there
            style = "bram"
        return memory_cost(int(params["WIDTH"]), depth, style, bool(params.get("ROM", 0)))
    return kernel_cost(module, params)
