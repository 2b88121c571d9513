"""The SqueezeFlow PYNQ driver: classify images with the accelerator, or without a board with its C simulation.

    from squeezeflow.host.driver import SqueezeFlowOverlay

    with SqueezeFlowOverlay("squeezeflow.bit") as overlay:   # squeezeflow.hwh and squeezeflow.json beside it
        overlay.classify(["cat.jpg", pil_image, hwc_array], top_k=5)   # per image [(index, label, probability)]
        overlay.predict(images)                                       # (N, classes) int32 logits
        overlay.benchmark(100)                                        # {"fps", "latency_ms", ...}

Artefacts. `path` is a published bitstream, <model>.bit with its .hwh and its manifest <model>.json beside it
(`squeezeflow bitstream` publishes the three), or, for the software backend, a build folder: BUILD/manifest.json,
whose "files" entry names the simulated board's overlay and the C simulation library (compiler/backends/manifest.py). IP
instance names come from the manifest's `overlay` section (the block design's), else from its `ip` section (and
`weights_from_ddr`).

Backends. On a board (pynq finds a device) pynq's Overlay programs the bitstream and its AXI DMA driver streams the
frames. Without one, or with backend="software", the same code runs on a simulated board (sim_device.SimDevice: pynq's
Overlay, DMA driver and allocate() unmodified; the accelerator computed by the C simulation library, so the logits are
the accelerator's bit for bit). A log line says which backend runs. The model hash the accelerator reports (its
model_hash register; with the RTL back end, the all-input AXI GPIO the block design reads it through) must be the
manifest's, or the overlay is refused.

Streaming. The accelerator is started once, with auto-restart, and reads frames back to back (its input ignores
TLAST); it ends every output frame with TLAST, which ends an S2MM transfer. So a batch is one MM2S transfer and one
S2MM transfer per frame, into buffers allocated once and reused. While the accelerator works on a batch, the host
preprocesses the next one into the other input buffer, collecting finished outputs between images. A channel that
does not complete within `timeout` seconds raises DmaTimeout naming it; the overlay is unusable afterwards.

Weights from DDR. When the manifest's `weights_from_ddr` is set, a layer reads its weights from the accelerator's
weights port, one copy of the weight image per frame (hw/spec.py WEIGHTS_PORT). The image (`beats` little-endian
uint64 beats in the file `weights_from_ddr.file`, relative to the manifest's folder) is copied once into a buffer of
batch_size copies; each batch starts, before its input transfer, one MM2S transfer of frames x image bytes on the
second, MM2S-only DMA (`weights_from_ddr.dma`), waited for with the batch's other channels.

Images: paths, PIL images or arrays, one or a sequence (a 4-D array is a batch). host/preprocess.py `load_image`
converts them: grayscale replicated to RGB, alpha dropped, 16-bit values scaled to 8 bits by round(v / 257), float
arrays taken as 0..1; any size (PIL's decompression-bomb limit applies to files). Anything else raises ValueError
naming the image. An empty sequence gives (0, classes) logits and no results.

numpy (1.x or 2.x), pillow and pynq only: this runs on PYNQ board images.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from .codec import pack_frames, quantize_input, unpack_logits
from .preprocess import PreprocessSpec, preprocess

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1
MANIFEST_KEYS = ("manifest_version", "name", "model_hash32", "input", "output", "preprocess", "labels", "ip",
                 "weights_from_ddr", "files")
BACKENDS = ("auto", "pynq", "software")
# Seconds one DMA wait may take: a frame takes milliseconds on the FPGA, seconds in C simulation.
TIMEOUT = {"pynq": 5.0, "software": 300.0}
POLL_SECONDS = 50e-6
OUTPUT_ROW_BYTES = 64  # output frames start 64-byte aligned: S2MM needs alignment to its memory-map data width
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


class ModelMismatch(RuntimeError):
    """The accelerator was built from another model than the manifest describes."""


class DmaTimeout(TimeoutError):
    """A DMA channel did not complete in time; the message names it."""


class Prediction(NamedTuple):
    index: int
    label: str
    probability: float


def load_manifest(path) -> dict:
    """A manifest written by `squeezeflow compile`, checked for the keys the driver reads."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"manifest {path} not found: `squeezeflow compile` writes BUILD/manifest.json; "
                                "beside a bitstream it is a copy named like the bitstream (.json)")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"manifest {path} is not valid JSON ({exc})") from None
    missing = [k for k in MANIFEST_KEYS if k not in manifest] if isinstance(manifest, dict) else list(MANIFEST_KEYS)
    if missing:
        raise ValueError(f"{path} is not a squeezeflow manifest (missing {', '.join(missing)})")
    if manifest["manifest_version"] != MANIFEST_VERSION:
        raise ValueError(f"{path}: manifest version {manifest['manifest_version']}, this driver reads "
                         f"{MANIFEST_VERSION}: recompile the model or update squeezeflow")
    return manifest


def _board_present() -> bool:
    import pynq

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pynq warns when it finds no device: that is the question asked here
        return bool(pynq.Device.devices)


def _locate(path, backend: str):
    """(bitstream, manifest, its folder, C simulation library or None) for a .bit or a build folder."""
    path = Path(path)
    if path.is_dir():
        if backend != "software":
            raise ValueError(f"{path} is a build folder, which holds no bitstream: pass the published <model>.bit "
                             "(bitstreams/<board>/), or backend='software'")
        manifest, folder = load_manifest(path / "manifest.json"), path
        bit, library = path / manifest["files"]["sim_overlay"], path / manifest["files"]["csim_library"]
    elif path.suffix == ".bit":
        manifest, folder, bit, library = load_manifest(path.with_suffix(".json")), path.parent, path, None
    else:
        raise ValueError(f"{path}: expected a bitstream (.bit) or a build folder")
    for file, what in ((bit, "bitstream"), (bit.with_suffix(".hwh"), "hardware handoff (pynq reads it)")):
        if not file.is_file():
            raise FileNotFoundError(f"{what} {file} not found")
    return bit, manifest, folder, library


def load_weight_image(folder, weights_from_ddr: dict) -> np.ndarray:
    """The manifest's weight image (`weights_from_ddr`, its file relative to the manifest's `folder`): `beats`
    little-endian uint64 beats, one frame of the accelerator's weights stream."""
    file, beats = Path(folder) / weights_from_ddr["file"], int(weights_from_ddr["beats"])
    if not file.is_file():
        raise FileNotFoundError(f"weight image {file} not found: layers {', '.join(weights_from_ddr['layers'])} "
                                "read their weights from DDR; `squeezeflow compile` writes it into the build, "
                                "`squeezeflow bitstream` publishes it beside the bitstream")
    size = file.stat().st_size
    if size != beats * 8:
        raise ValueError(f"weight image {file} is {size} bytes, the manifest expects {beats} beats ({beats * 8} "
                         "bytes): it is not this build's")
    return np.fromfile(file, "<u8")


def _as_list(images) -> list:
    if isinstance(images, (str, Path, Image.Image)) or (isinstance(images, np.ndarray) and images.ndim < 4):
        return [images]
    return list(images)


class _Batch:
    """A batch in flight: its frame indices and how many outputs have arrived."""

    def __init__(self, frames: range):
        self.frames, self.received, self.armed = frames, 0, False


class SqueezeFlowOverlay:
    """The accelerator of a compiled model, behind pynq (see the module docstring)."""

    def __init__(self, path, backend: str = "auto", library=None, batch_size: int = 8,
                 timeout: float | None = None):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        try:
            import pynq
        except ImportError as exc:
            raise ImportError(f"the driver needs pynq ({exc}): pip install pynq==4.0.0 'numpy<2' "
                              "(`make` builds .venv-host with it)") from None
        if backend == "auto":
            backend = "pynq" if _board_present() else "software"
        bit, self.manifest, folder, default_library = _locate(path, backend)
        m = self.manifest
        overlay_section = m.get("overlay") or {}
        ip = {**m["ip"], **{k: v for k, v in overlay_section.items() if k in ("dma", "accelerator",
                                                                           "model_hash_ip")}}
        ip.setdefault("model_hash_ip", ip["accelerator"])
        ddr = m["weights_from_ddr"]
        self._weight_image = load_weight_image(folder, ddr) if ddr else None  # before anything needs freeing
        if ddr:
            ip["weights_dma"] = (overlay_section.get("weights_from_ddr") or {}).get("dma", ddr["dma"])
        self.backend, self.timeout = backend, timeout or TIMEOUT[backend]
        self.name, self.num_classes = m["name"], m["output"]["num_classes"]
        self.spec = PreprocessSpec(**m["preprocess"])
        self._in_bytes = m["input"]["beats"] * 8
        self._out_bytes = m["output"]["beats"] * 8
        self._buffers, self._stalled, self.overlay, self.weights_dma = [], None, None, None
        if backend == "software":
            from .sim_device import SimDevice

            library = library or default_library
            if library is None:
                raise ValueError("the software backend needs the C simulation library: pass library= "
                                 "(BUILD/hls/csim/libsqueezeflow.so) or a build folder")
            self.device = SimDevice(library, ip["dma"], ip["accelerator"], ip.get("weights_dma"))
            log.info("SqueezeFlow %s: software backend, C simulation %s on a simulated PYNQ device",
                     self.name, library)
        else:
            self.device = pynq.Device.active_device
            log.info("SqueezeFlow %s: pynq backend, bitstream %s on %s", self.name, bit, self.device.name)
        try:
            if backend == "software" and ddr and self.device.library.weight_bytes != self._weight_image.nbytes:
                raise ValueError(f"the C simulation library {self.device.library.path} reads "
                                 f"{self.device.library.weight_bytes // 8} weight beats per frame, the manifest's "
                                 f"weight image has {ddr['beats']}: they come from different builds")
            self.overlay = pynq.Overlay(str(bit), device=self.device)
            for name in dict.fromkeys([ip["dma"], ip["accelerator"], ip["model_hash_ip"], ip.get("weights_dma")]):
                if name is not None and name not in self.overlay.ip_dict:
                    raise RuntimeError(f"the overlay {bit} has no IP {name!r} (it has "
                                       f"{', '.join(self.overlay.ip_dict)})")
            self.ip, self.dma = ip, getattr(self.overlay, ip["dma"])
            # The weights DMA: MM2S only, replaying the weight image into the accelerator's weights port.
            self.weights_dma = getattr(self.overlay, ip["weights_dma"]) if ddr else None
            if self.weights_dma is not None and self.weights_dma.sendchannel is None:
                raise RuntimeError(f"the overlay's DMA {ip['weights_dma']!r} has no MM2S channel to stream weights")
            self._start()
            limit = self.dma.buffer_max_size // self._in_bytes
            if self.weights_dma is not None:
                limit = min(limit, self.weights_dma.buffer_max_size // self._weight_image.nbytes)
            self.batch_size = max(1, min(batch_size, limit))
            row = -(-self._out_bytes // OUTPUT_ROW_BYTES) * OUTPUT_ROW_BYTES
            self._inputs = [self._allocate((self.batch_size, self._in_bytes // 8)) for _ in range(2)]
            self._output = self._allocate((self.batch_size, row // 8))
            self._weights = None  # batch_size copies of the weight image, one per frame of a batch
            if self.weights_dma is not None:
                self._weights = self._allocate((self.batch_size, self._weight_image.size))
                self._weights[:] = self._weight_image
        except BaseException:
            self.close()
            raise

    def _allocate(self, shape):
        import pynq

        buf = pynq.allocate(shape, dtype=np.uint64, target=self.device)
        self._buffers.append(buf)
        return buf

    def _start(self) -> None:
        """Starts the accelerator for good (auto-restart) and checks the model hash it reports."""
        if self.ip["model_hash_ip"] != self.ip["accelerator"]:  # RTL top: free-running, hash on a GPIO's data register
            reported = getattr(self.overlay, self.ip["model_hash_ip"]).read(0)
        else:
            regs = getattr(self.overlay, self.ip["accelerator"]).register_map
            regs.CTRL.AUTO_RESTART = 1
            regs.CTRL.AP_START = 1
            deadline = time.monotonic() + 1.0  # the top writes the register as it starts
            while (reported := int(regs.model_hash)) == 0 and time.monotonic() < deadline:
                time.sleep(1e-3)
        expected = self.manifest["model_hash32"]
        if reported != expected:
            raise ModelMismatch(f"the accelerator reports model hash 0x{reported:08x}, the manifest of {self.name} "
                                f"expects 0x{expected:08x}: the bitstream (or C simulation library) was built from "
                                "another model; use the manifest of its build")

    # --- inference -----------------------------------------------------------------------------------------------

    def predict(self, images) -> np.ndarray:
        """Images -> (N, classes) int32 logits, exactly the accelerator's."""
        images = _as_list(images)
        t = self.manifest["input"]

        def fill(row, i):
            try:
                x = preprocess(images[i], self.spec)
            except (OSError, ValueError, TypeError, Image.DecompressionBombError) as exc:
                raise ValueError(f"image {i}: {exc}") from exc
            row[:] = pack_frames(quantize_input(x, t["scale"], t["zero_point"], t["lo"], t["hi"]))[0]

        return self._stream(len(images), fill)

    def classify(self, images, top_k: int = 5) -> list[list[Prediction]]:
        """Images -> per image the top_k classes, most probable first: softmax of the logits' real values."""
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, not {top_k}")
        out = self.manifest["output"]
        z = (self.predict(images).astype(np.float64) - out["zero_point"]) * out["scale"]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return [[Prediction(int(c), self.label(c), float(row[c])) for c in np.argsort(-row, kind="stable")[:top_k]]
                for row in p]

    def label(self, index: int) -> str:
        labels = self.manifest["labels"]
        return labels[index] if isinstance(labels, list) else f"{labels} class {index}"

    def benchmark(self, n: int = 100, latency_runs: int = 3) -> dict:
        """Streams n frames of a random image (preprocessing excluded): frames per second, and the median
        latency of single frames."""
        if n < 1:
            raise ValueError(f"benchmark needs at least one frame, not {n}")
        t = self.manifest["input"]
        q = np.random.default_rng(0).integers(t["lo"], t["hi"] + 1, size=t["shape"])
        frame = pack_frames(q)[0]

        def fill(row, i):
            row[:] = frame

        start = time.perf_counter()
        self._stream(n, fill)
        seconds = time.perf_counter() - start
        latencies = []
        for _ in range(latency_runs):
            start = time.perf_counter()
            self._stream(1, fill)
            latencies.append(time.perf_counter() - start)
        return {"backend": self.backend, "frames": n, "seconds": seconds, "fps": n / seconds,
                "latency_ms": 1000 * float(np.median(latencies)), "batch_size": self.batch_size}

    def _stream(self, n: int, fill) -> np.ndarray:
        """Runs n frames, fill(row, i) writing frame i into an input buffer row; -> (n, classes) logits."""
        if self._stalled:
            raise RuntimeError(f"the overlay is unusable after a DMA stall ({self._stalled}): load it again")
        if self.overlay is None:
            raise RuntimeError("the overlay is closed")
        logits = np.empty((n, self.num_classes), np.int32)
        running = None
        try:
            for b, start in enumerate(range(0, n, self.batch_size)):
                frames, buf = range(start, min(start + self.batch_size, n)), self._inputs[b % 2]
                for row, i in enumerate(frames):
                    fill(buf[row], i)
                    if running:
                        self._collect(running, logits, block=False)
                if running:
                    self._collect(running, logits, block=True)
                if self.weights_dma is not None:  # the batch's weights first: each frame reads one image
                    self.weights_dma.sendchannel.transfer(self._weights, 0, len(frames) * self._weight_image.nbytes)
                self.dma.sendchannel.transfer(buf, 0, len(frames) * self._in_bytes)
                running = _Batch(frames)
            if running:
                self._collect(running, logits, block=True)
        except BaseException:
            if running and not self._stalled:  # leave the DMA idle for the next call
                self._collect(running, logits, block=True)
            raise
        return logits

    def _collect(self, batch: _Batch, logits: np.ndarray, block: bool) -> None:
        """Receives the batch's output frames, one S2MM transfer each; without `block`, only those already done."""
        rx, row = self.dma.recvchannel, self._output.shape[1] * 8
        while batch.received < len(batch.frames):
            if not batch.armed:
                rx.transfer(self._output, batch.received * row, self._out_bytes)
                batch.armed = True
            if not block and not rx.idle:
                return
            frame = batch.frames[batch.received]
            self._wait(rx, "recvchannel (S2MM: accelerator -> memory)", frame)
            if rx.transferred != self._out_bytes:
                raise RuntimeError(f"the accelerator sent {rx.transferred} bytes for frame {frame}, "
                                   f"not {self._out_bytes}")
            batch.received, batch.armed = batch.received + 1, False
        self._wait(self.dma.sendchannel, "sendchannel (MM2S: memory -> accelerator)", batch.frames[-1])
        if self.weights_dma is not None:
            self._wait(self.weights_dma.sendchannel, "sendchannel (MM2S: weight image -> accelerator)",
                       batch.frames[-1], self.ip["weights_dma"])
        beats = self._output[:len(batch.frames), :self._out_bytes // 8]
        logits[batch.frames.start:batch.frames.stop] = unpack_logits(beats, self.num_classes)

    def _wait(self, channel, name: str, frame: int, dma: str | None = None) -> None:
        deadline = time.monotonic() + self.timeout
        while not channel.idle and not channel.error:
            if time.monotonic() > deadline:
                fault = getattr(self.device, "fault", None)
                tx, rx = self.dma.sendchannel, self.dma.recvchannel
                if channel is tx or channel is rx:
                    state = f"the other channel is {'idle' if (rx if channel is tx else tx).idle else 'busy too'}"
                    if self.weights_dma is not None:
                        idle = self.weights_dma.sendchannel.idle
                        state += f"; {self.ip['weights_dma']} sendchannel is {'idle' if idle else 'busy'}"
                else:  # the weights DMA's
                    state = f"{self.ip['dma']} sendchannel is {'idle' if tx.idle else 'busy'}, recvchannel " \
                            f"{'idle' if rx.idle else 'busy'}"
                self._stalled = (f"DMA timeout: {dma or self.ip['dma']} {name} did not complete frame {frame} "
                                 f"within {self.timeout:g} s; {state}" + (f"; {fault}" if fault else ""))
                raise DmaTimeout(self._stalled)
            time.sleep(POLL_SECONDS)
        channel.wait()  # pynq's: raises on a DMA error, invalidates the buffer after S2MM

    # --- lifetime ------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the DMA buffers (and stops the simulated board)."""
        for buf in self._buffers:
            buf.freebuffer()
        self._buffers = []
        if self.overlay is not None:
            self.overlay.free()
            self.overlay = None
        if self.backend == "software":
            self.device.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return (f"SqueezeFlowOverlay({self.name!r}, backend={self.backend!r}, input {self.manifest['input']['shape']}, "
                f"{self.num_classes} classes)")


def _image_files(paths, limit) -> list[Path]:
    files = []
    for path in map(Path, paths):
        files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if path.is_dir() else [path]
    return files[:limit]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m squeezeflow.host.driver",
                                     description="Classify images with the SqueezeFlow accelerator or its software "
                                                 "backend.")
    parser.add_argument("overlay", help="a .bit (its .hwh and .json beside it) or a build folder")
    parser.add_argument("images", nargs="+", help="image files or folders")
    parser.add_argument("--limit", type=int, help="classify at most this many images")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--backend", default="auto", choices=BACKENDS)
    parser.add_argument("--benchmark", type=int, default=0, metavar="N", help="then stream N frames for fps")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        files = _image_files(args.images, args.limit)
        with SqueezeFlowOverlay(args.overlay, backend=args.backend) as overlay:
            for path, top in zip(files, overlay.classify(files, args.top_k)):
                print(f"{path.name}: " + ", ".join(f"{p.label} {100 * p.probability:.1f}%" for p in top))
            if args.benchmark:
                result = overlay.benchmark(args.benchmark)
                print(f"{result['fps']:.2f} frames/s, latency {result['latency_ms']:.1f} ms ({overlay.backend})")
    except (OSError, ValueError, RuntimeError) as exc:  # DmaTimeout and ModelMismatch included
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
