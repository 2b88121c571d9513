"""The Zynq boards SqueezeFlow targets: device resources (AMD/Xilinx product tables) and the PS to build around."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import UserError


@dataclass(frozen=True)
class Board:
    """A target board: its Vivado part and board part, the PS to build around, the device's resources and the
    default PL clock."""

    name: str
    title: str
    part: str
    board_part: str  # Vivado board file id, used when the board files are installed
    ps: str  # Vivado IP of the processing system
    dsp: int
    bram36: int
    uram: int
    lut: int
    ff: int
    lutram: int  # LUTs that can be distributed RAM (SLICEM), 64 bits each
    clock_mhz: float  # default PL clock

    @property
    def zynq_ultrascale(self) -> bool:
        """Whether the PS is a Zynq UltraScale+ one (zynq_ultra_ps_e) rather than a Zynq-7000."""
        return self.ps == "zynq_ultra_ps_e"

    @property
    def capacity(self) -> dict[str, int]:
        """What the device has of each resource, keyed as kernel_costs.RESOURCES."""
        return {"lut": self.lut, "lutram": self.lutram, "ff": self.ff, "dsp": self.dsp, "bram36": self.bram36,
                "uram": self.uram}

    @property
    def dsp_type(self) -> str:
        """The DSP slice of the device family (hw/spec.py DSP_PORTS)."""
        return "DSP48E2" if self.zynq_ultrascale else "DSP48E1"


BOARDS = {b.name: b for b in (
    Board("ultra96v2", "Avnet Ultra96-V2", "xczu3eg-sbva484-1-i", "avnet.com:ultra96v2:part0:1.2",
          "zynq_ultra_ps_e", dsp=360, bram36=216, uram=0, lut=70_560, ff=141_120, lutram=28_800, clock_mhz=250),
    Board("pynqz2", "TUL PYNQ-Z2", "xc7z020clg400-1", "tul.com.tw:pynq-z2:part0:1.0",
          "processing_system7", dsp=220, bram36=140, uram=0, lut=53_200, ff=106_400, lutram=17_400, clock_mhz=150),
    Board("zcu104", "AMD ZCU104", "xczu7ev-ffvc1156-2-e", "xilinx.com:zcu104:part0:1.1",
          "zynq_ultra_ps_e", dsp=1_728, bram36=312, uram=96, lut=230_400, ff=460_800, lutram=101_760,
          clock_mhz=300),
    Board("kv260", "AMD Kria KV260", "xck26-sfvc784-2LV-c", "xilinx.com:kv260_som:part0:1.4",
          "zynq_ultra_ps_e", dsp=1_248, bram36=144, uram=64, lut=117_120, ff=234_240, lutram=57_600,
          clock_mhz=300),
)}


def board(name: str) -> Board:
    """The board called `name`; an unknown name -> UserError listing the known ones."""
    if name not in BOARDS:
        raise UserError(f"unknown board {name!r}", why=f"known: {', '.join(BOARDS)}")
    return BOARDS[name]
