"""A simulated PYNQ board on which pynq's own Overlay, AXI DMA driver and allocate() run unmodified.

`SimDevice` is a `pynq.Device` with the REGISTER_RW capability (as pynq's remote and mock devices): every MMIO access
of pynq's drivers arrives as a `read_registers`/`write_registers` call, routed to register models of the IP that the
overlay's .hwh places at that address:
- the AXI DMA in direct register mode (PG021): per channel the control (run/stop, reset), status (halted, idle,
  errors, IOC) and address registers, and the length register whose write starts a transfer; when a layer streams
  its weights from DDR, a second one, MM2S only (the .hwh's c_include_s2mm), feeds the accelerator's weights port;
- the accelerator: the ap_ctrl_hs CTRL register and the read-only model_hash register Vitis HLS generates (offsets
  from the .hwh's register map); its computation is the C simulation library (libsqueezeflow.so: the generated HLS
  C++ compiled by `squeezeflow csim`, called through ctypes), so its output is the accelerator's, bit for bit. A
  frame computes once its input frame and, with weights from DDR, its frame of the weights stream (sf_weight_beats()
  beats, as the weights DMA moved them out of the host's buffer) have arrived;
- every other address is a plain register file standing for the processing system; it starts with the PLL setting
  pynq's Clocks needs to program the PL clocks the .hwh asks for.
`allocate` returns real PynqBuffers in host memory at made-up physical addresses; the DMA model reads and writes
them by address. The fabric (the DMA engine and the accelerator) runs in its own thread, as the PL runs beside the
CPU: transfers complete while the host does something else, and the host learns of it from the status registers.
"""
from __future__ import annotations

import ctypes
import logging
import threading
import weakref
from collections import deque
from pathlib import Path

import numpy as np
import pynq
from pynq.buffer import PynqBuffer
from pynqmetadata.frontends import Metadata
from pynqmetadata.views.runtime import RuntimeMetadataParser

log = logging.getLogger(__name__)

BEAT_BYTES = 8  # the C ABI's beats are uint64
# PG021 direct register mode: channel register blocks and the registers within one.
MM2S, S2MM = 0x00, 0x30
DMACR, DMASR, ADDRESS, ADDRESS_MSB, LENGTH = 0x00, 0x04, 0x18, 0x1C, 0x28
RUN_STOP, SOFT_RESET = 0x1, 0x4
HALTED, IDLE, INTERNAL_ERROR, DECODE_ERROR, IOC_IRQ, IRQS = 0x1, 0x2, 0x10, 0x40, 0x1000, 0x7000
# Vitis HLS ap_ctrl_hs CTRL bits.
AP_START, AP_DONE, AP_IDLE, AUTO_RESTART = 0x1, 0x2, 0x4, 0x80
# Output frames the accelerator holds while S2MM does not take them; beyond that it stops reading its input.
OUTPUT_FRAMES = 2
# Zynq UltraScale+ CRL_APB.IOPLL_CTRL: FBDIV 90, DIV2, so 33.333 MHz * 90 / 2 = 1500 MHz for the PL clocks.
PS_RESET_VALUES = {0xFF5E0020: 0x0001_5A00}
FIRST_BUFFER_ADDRESS, PAGE = 0x1000_0000, 0x1000


class CsimLibrary:
    """libsqueezeflow.so: `sf_infer` runs frames of packed beats through the accelerator's C simulation."""

    def __init__(self, path):
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"C simulation library {path} not found: build it with "
                                    "`squeezeflow csim BUILD --images DIR`, or pass its path")
        self.path = path
        lib = self._lib = ctypes.CDLL(str(path.resolve()))
        beats = ctypes.POINTER(ctypes.c_uint64)
        lib.sf_infer.argtypes, lib.sf_infer.restype = [beats, ctypes.c_int, beats, beats], ctypes.c_int
        lib.sf_model_hash.restype = ctypes.c_uint32
        lib.sf_last_error.restype = ctypes.c_char_p
        self.model_hash = lib.sf_model_hash()
        self.in_bytes = lib.sf_input_beats() * BEAT_BYTES
        self.out_bytes = lib.sf_output_beats() * BEAT_BYTES
        self.weight_bytes = lib.sf_weight_beats() * BEAT_BYTES  # per frame, on the weights port (0: none)

    def infer(self, frame: bytes, weights: bytes = b"") -> bytes:
        """One input frame and its frame of the weights stream -> its output frame. ctypes releases the GIL for the
        call: the host runs meanwhile."""
        if len(frame) != self.in_bytes or len(weights) != self.weight_bytes:
            raise ValueError(f"a frame is {self.in_bytes} input and {self.weight_bytes} weight bytes, not "
                             f"{len(frame)} and {len(weights)}")
        beats = np.frombuffer(frame, "<u8")
        out = np.zeros(self.out_bytes // BEAT_BYTES, "<u8")
        ptr = ctypes.POINTER(ctypes.c_uint64)
        weight_beats = np.frombuffer(weights, "<u8").ctypes.data_as(ptr) if weights else None
        if self._lib.sf_infer(beats.ctypes.data_as(ptr), 1, out.ctypes.data_as(ptr), weight_beats):
            raise RuntimeError(f"C simulation failed: {self._lib.sf_last_error().decode()}")
        return out.tobytes()


class _Channel:
    def __init__(self):
        self.control, self.status, self.address, self.length = 0, HALTED, 0, 0
        self.source, self.position = None, 0  # MM2S: the bytes being sent
        self.target = None  # S2MM: the memory an output frame goes to


class _Dma:
    def __init__(self, device, ip):
        self.device = device
        self.has_s2mm = int(ip["parameters"].get("c_include_s2mm", 1)) == 1  # MM2S only: no S2MM registers
        self.mm2s, self.s2mm = _Channel(), _Channel()
        # What the engine moved since the PL was programmed (tests read them): bytes per direction, and the length
        # of every transfer started per direction.
        self.moved = {"mm2s": 0, "s2mm": 0}
        self.transfers = {"mm2s": [], "s2mm": []}

    def _channel(self, offset):
        if offset < S2MM:
            return self.mm2s, offset - MM2S
        return (self.s2mm, offset - S2MM) if self.has_s2mm else (None, offset)

    def read(self, offset):
        ch, reg = self._channel(offset)
        if ch is None:
            return 0
        values = {DMACR: ch.control, DMASR: ch.status, ADDRESS: ch.address & 0xFFFF_FFFF,
                  ADDRESS_MSB: ch.address >> 32, LENGTH: ch.length}
        return values.get(reg, 0)

    def write(self, offset, value):
        ch, reg = self._channel(offset)
        if ch is None:
            return
        if reg == DMACR:
            if value & SOFT_RESET:  # resets both channels, as on the IP
                self.mm2s, self.s2mm = _Channel(), _Channel()
                return
            ch.control = value
            ch.status = ch.status & ~HALTED if value & RUN_STOP else ch.status | HALTED
        elif reg == DMASR:
            ch.status &= ~(value & IRQS)  # write 1 to clear
        elif reg == ADDRESS:
            ch.address = (ch.address & ~0xFFFF_FFFF) | value
        elif reg == ADDRESS_MSB:
            ch.address = (ch.address & 0xFFFF_FFFF) | value << 32
        elif reg == LENGTH and not ch.status & HALTED:
            ch.length, ch.status = value, ch.status & ~IDLE
            self.transfers["mm2s" if ch is self.mm2s else "s2mm"].append(value)
            memory = self.device.memory(ch.address, value)
            if memory is None:  # no buffer there: the interconnect answers DECERR
                ch.status |= DECODE_ERROR | HALTED
            elif ch is self.mm2s:
                ch.source, ch.position = bytes(memory), 0  # the host must not touch it until the transfer is done
            else:
                ch.target = memory

    def send(self, n: int) -> bytes:
        """Up to n bytes of the MM2S stream; the transfer completes when its last byte is taken."""
        ch = self.mm2s
        if ch.source is None:
            return b""
        chunk = ch.source[ch.position:ch.position + n]
        ch.position += len(chunk)
        self.moved["mm2s"] += len(chunk)
        if ch.position == len(ch.source):
            ch.source, ch.status = None, ch.status | IDLE | IOC_IRQ
        return chunk

    def receive(self, frames: deque) -> None:
        """An output frame into the armed S2MM transfer: it ends at the frame's TLAST, LENGTH = bytes written."""
        ch = self.s2mm
        if ch.target is None or not frames:
            return
        frame = frames.popleft()
        n = min(len(frame), len(ch.target))
        ch.target[:n] = np.frombuffer(frame[:n], np.uint8)
        self.moved["s2mm"] += n
        ch.length, ch.target = n, None
        ch.status |= IDLE | IOC_IRQ | (INTERNAL_ERROR | HALTED if len(frame) > n else 0)


class _Accelerator:
    def __init__(self, device, ip):
        self.model_hash = device.library.model_hash
        self.ctrl = ip["registers"]["CTRL"]["address_offset"]
        self.hash_register = ip["registers"]["model_hash"]["address_offset"]
        self.started = self.auto_restart = self.done = self.hash_written = False
        self.stalled = False  # test hook: a hung accelerator, its input's TREADY low for good
        self.pending = bytearray()  # the input frame being received
        self.pending_weights = bytearray()  # its frame of the weights stream being received
        self.outputs = deque()  # finished output frames S2MM has not taken yet
        self.others = {}

    def read(self, offset):
        if offset == self.ctrl:
            value = (AP_START * self.started | AP_DONE * self.done | AP_IDLE * (not self.started)
                     | AUTO_RESTART * self.auto_restart)
            self.done = False  # clear on read
            return value
        if offset == self.hash_register:
            return self.model_hash if self.hash_written else 0
        return self.others.get(offset, 0)

    def write(self, offset, value):
        if offset == self.ctrl:
            self.auto_restart = bool(value & AUTO_RESTART)
            if value & AP_START:
                self.started = self.hash_written = True  # the top writes model_hash as soon as it runs
        elif offset != self.hash_register:
            self.others[offset] = value

    def finish(self, frame: bytes) -> None:
        self.outputs.append(frame)
        self.done, self.started = True, self.started and self.auto_restart


class SimDevice(pynq.Device):
    """A board whose PL holds the AXI DMA `dma`, the accelerator `accelerator` and, when the accelerator streams
    weights from DDR, the MM2S-only AXI DMA `weights_dma` feeding its weights port (instance names of the .hwh), the
    accelerator computing with the C simulation library `library`."""

    def __init__(self, library, dma: str, accelerator: str, weights_dma: str | None = None,
                 tag: str = "squeezeflow_sim"):
        super().__init__(tag)
        self.name = tag
        self.capabilities = {"REGISTER_RW": True}
        self.arch = "aarch64"  # a Zynq UltraScale+ PS: what pynq's Clocks programs
        self.library = CsimLibrary(library)
        if bool(weights_dma) != bool(self.library.weight_bytes):
            given = f"the weights DMA {weights_dma!r}" if weights_dma else "no weights DMA"
            raise ValueError(f"the C simulation library {self.library.path} reads "
                             f"{self.library.weight_bytes // BEAT_BYTES} weight beats per frame from DDR, but the "
                             f"board has {given}: the library and the manifest come from different builds")
        self.names = {"dma": dma, "accelerator": accelerator, "weights_dma": weights_dma}
        self.dma = self.accelerator = self.weights_dma = None
        self.fault = None  # why the simulated accelerator stopped, if it failed
        self._ps = dict(PS_RESET_VALUES)
        self._regions = []  # (base, end, model)
        self._buffers = {}  # physical address -> weak reference to the PynqBuffer there
        self._next_address = FIRST_BUFFER_ADDRESS
        self._cond = threading.Condition()
        self._closed = False
        self._thread = None

    # --- pynq.Device ---------------------------------------------------------------------------------------------

    def get_bitfile_metadata(self, bitfile_name, partial=False):
        hwh = Path(bitfile_name).with_suffix(".hwh")
        if not hwh.is_file():
            raise RuntimeError(f"Unable to find metadata for bitstream: {hwh} not found")
        return RuntimeMetadataParser(Metadata(input=str(hwh)))

    def download(self, bitstream, parser=None):
        """'Programs' the PL: the register models of the .hwh's DMAs and accelerator at their addresses."""
        models = {"dma": _Dma, "accelerator": _Accelerator, "weights_dma": _Dma}
        with self._cond:
            self._regions = []
            for role, name in self.names.items():
                if name is None:
                    continue
                ip = parser.ip_dict.get(name)
                if ip is None:
                    raise RuntimeError(f"the overlay {bitstream.bitfile_name} has no IP {name!r}")
                instance = models[role](self, ip)
                self._regions.append((ip["phys_addr"], ip["phys_addr"] + ip["addr_range"], instance))
                setattr(self, role, instance)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="squeezeflow-sim-fabric", daemon=True)
            self._thread.start()
        self.post_download(bitstream, parser)

    def allocate(self, shape, dtype, **kwargs):
        buf = PynqBuffer(shape, dtype, device=self, device_address=self._next_address, bo=self._next_address,
                         coherent=False)
        self._buffers[self._next_address] = weakref.ref(buf)
        self._next_address += -(-max(buf.nbytes, 1) // PAGE) * PAGE
        return buf

    def flush(self, bo, offset, vaddr, length):
        pass  # host memory is the device's memory: no cache to write back

    def invalidate(self, bo, offset, vaddr, length):
        pass

    def read_registers(self, address, length):
        with self._cond:
            return b"".join(self._read_word(address + i).to_bytes(4, "little") for i in range(0, length, 4))

    def write_registers(self, address, data):
        with self._cond:
            for i, value in enumerate(np.frombuffer(data, "<u4")):
                model, offset = self._decode(address + 4 * i)
                if model is None:
                    self._ps[address + 4 * i] = int(value)
                else:
                    model.write(offset, int(value))
            self._cond.notify_all()

    def close(self):
        """Stops the fabric thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    # --- the simulated system ------------------------------------------------------------------------------------

    def memory(self, address: int, nbytes: int):
        """The bytes [address, address + nbytes) of an allocated buffer, as a writable uint8 view, or None."""
        for base, ref in list(self._buffers.items()):
            buf = ref()
            if buf is None:
                del self._buffers[base]
            elif base <= address and address + nbytes <= base + buf.nbytes:
                return np.asarray(buf).reshape(-1).view(np.uint8)[address - base:address - base + nbytes]
        return None

    def _decode(self, address):
        for base, end, model in self._regions:
            if base <= address < end:
                return model, address - base
        return None, address

    def _read_word(self, address):
        model, offset = self._decode(address)
        return self._ps.get(address, 0) if model is None else model.read(offset)

    def _next_frame(self):
        """Moves the streams as far as they go; an input frame and its weights for the accelerator to compute (both
        arrived), or None."""
        dma, acc, lib = self.dma, self.accelerator, self.library
        dma.receive(acc.outputs)
        if not acc.started or acc.stalled or self.fault or len(acc.outputs) >= OUTPUT_FRAMES:
            return None
        acc.pending += dma.send(lib.in_bytes - len(acc.pending))
        if self.weights_dma is not None:  # read as it comes, beside the input (the layer reading it is downstream)
            acc.pending_weights += self.weights_dma.send(lib.weight_bytes - len(acc.pending_weights))
        if len(acc.pending) < lib.in_bytes or len(acc.pending_weights) < lib.weight_bytes:
            return None
        frame = bytes(acc.pending), bytes(acc.pending_weights)
        acc.pending, acc.pending_weights = bytearray(), bytearray()
        return frame

    def _run(self):
        while True:
            with self._cond:
                while not self._closed and (frame := self._next_frame()) is None:
                    self._cond.wait()
                if self._closed:
                    return
            try:
                out = self.library.infer(*frame)  # outside the lock: the host polls meanwhile
            except (RuntimeError, ValueError) as exc:
                log.error("%s: the simulated accelerator stops", exc)
                self.fault = str(exc)
                continue
            with self._cond:
                self.accelerator.finish(out)
