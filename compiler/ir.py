"""The integer dataflow IR: the single source of truth every later artefact is a view of.

A `Network` is a list of layers in topological (stream) order. Every tensor is CHW and integer; how its integers map
to real numbers is its `QType`. Arrays too large for JSON (weights, biases) live in `weights.npz` under
`<layer>.weight` (int8, OIHW) and `<layer>.bias` (int32); everything else, including per-channel requantization
parameters, is in `ir.json`.

Arithmetic contract (the golden model, the HLS kernels and the RTL kernels all implement exactly this):
- conv: acc[o] = bias[o] + sum_{c,ky,kx} weight[o,c,ky,kx] * x[c, y*sh+ky-pt, x*sw+kx-pl], where positions outside
  the input read `pad_value` (the input's zero point) and x is used as stored minus nothing: the input zero point is
  folded into `bias` by the front end. The result is `requant`ed.
- requant: y = clamp(round_half_even((acc * multiplier[c] + offset[c]) / 2**shift[c]) + zero_point, lo, hi). ReLU
  is the clamp (lo == zero_point), fused. `offset` (None: zeros) carries what an integer bias cannot: the fraction
  of an accumulator LSB of a float bias, in the product's units.
- maxpool: max over the window's positions that lie inside the input (ceil-mode windows are clipped, never padded).
- concat: channels of inputs[0] then inputs[1]; an input whose type differs from the output's is requantized,
  requant(x - x.zero_point), else passed through (`requant` entry None).
- add: y = clamp(round_half_even((ma * (a - za) + mb * (b - zb)) / 2**shift) + zero_point, lo, hi), za and zb the
  inputs' zero points, zero_point/lo/hi the output type's.
- gap: s = sum over all pixels of (x - x.zero_point); with `requant` the output is requant(s) (a quantized average),
  without it the output is s itself (int32 logits whose real value is s * out_type.scale).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import UserError

IR_VERSION = 1
NETWORK_INPUT = "input"


@dataclass
class QType:
    """Integer tensor type: value range [lo, hi] of a `bits`-bit integer, real value = scale * (q - zero_point)."""

    bits: int
    signed: bool
    zero_point: int
    scale: float
    lo: int
    hi: int

    def same_encoding(self, other: QType) -> bool:
        """Whether `other` has the same zero point, scale and range, so equal integers mean equal reals."""
        return (self.zero_point, self.scale, self.lo, self.hi) == (other.zero_point, other.scale, other.lo, other.hi)


@dataclass
class Requant:
    """Per-channel fixed-point rescale:
    y = clamp(round_half_even((acc * multiplier + offset) / 2**shift) + zero_point, lo, hi).

    A single-element `multiplier`/`shift` applies to every channel. `offset` (per channel, or None for zeros) is a
    float bias's fraction of an accumulator LSB times the multiplier: at most half the multiplier in magnitude.
    """

    multiplier: list[int]
    shift: list[int]
    zero_point: int
    lo: int
    hi: int
    offset: list[int] | None = None

    @property
    def relu(self) -> bool:
        """Whether the clamp drops every value below the zero point: a fused ReLU."""
        return self.lo >= self.zero_point

    @property
    def shift_base(self) -> int:
        """The least shift: hardware keeps each channel's excess over it (sf_round_clamp.v SHIFT_BASE)."""
        return min(self.shift)

    @property
    def offset_bits(self) -> int:
        """Bits of a signed type holding every offset (0 without offsets)."""
        return 0 if self.offset is None else max(abs(v) for v in self.offset).bit_length() + 1

    @property
    def shift_bits(self) -> int:
        """Bits of the largest excess over shift_base (at least one)."""
        return max(1, (max(self.shift) - self.shift_base).bit_length())


@dataclass
class Layer:
    """What every layer has: its name, the layers (or NETWORK_INPUT) it reads, its output's CHW shape and type."""

    name: str
    inputs: list[str]
    out_shape: list[int]  # [C, H, W]
    out_type: QType
    group: str = ""  # the SqueezeNet block this layer belongs to ("conv1", "fire2", "pool1", "conv10", ...)
    source: list[str] = field(default_factory=list)  # ONNX node names lowered into this layer

    kind = "layer"


def simd_words(fan_in: int, simd: int) -> int:
    """SIMD words per output pixel (a convolution's SF): the fan-in, its last word zero-padded when SIMD does not
    divide it (a windowed convolution's SIMD need not: its window words are regrouped into SIMD lanes pixel by pixel,
    against zero weights)."""
    return -(-fan_in // simd)


@dataclass
class Conv(Layer):
    """A convolution with its requantization (module docstring) and, once planned, its folding and placement."""

    kernel: list[int] = field(default_factory=lambda: [1, 1])  # [kh, kw]
    stride: list[int] = field(default_factory=lambda: [1, 1])  # [sh, sw]
    pad: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # [top, left, bottom, right]
    in_channels: int = 0
    weight_bits: int = 8
    acc_bits: int = 32
    pad_value: int = 0
    requant: Requant | None = None
    role: str = ""  # "conv1", "squeeze", "expand1x1", "expand3x3", "classifier"
    simd: int = 1  # input values (channels; for a windowed one, of its fan-in) consumed per cycle (the planner sets it)
    pe: int = 1  # output channels produced in parallel
    weight_storage: str = "bram"  # where the weights live on chip: hw/spec.py WEIGHT_STORAGES (HLS BIND_STORAGE)
    mac: str = "dsp"  # how the SIMD x PE multiplications map: hw/spec.py MAC_IMPLS
    # weights from DDR: output rows computed per pass over the weights (0: all, one pass a frame); fewer rows buffer
    # less input and read the weights more often
    ddr_rows: int = 0

    kind = "conv"

    @property
    def fan_in(self) -> int:
        """Input values per output value: input channels x kernel height x kernel width."""
        return self.in_channels * self.kernel[0] * self.kernel[1]

    @property
    def sf(self) -> int:
        """SIMD words per output pixel at the current SIMD (simd_words)."""
        return simd_words(self.fan_in, self.simd)

    @property
    def macs(self) -> int:
        """Multiply-accumulates per frame."""
        c, h, w = self.out_shape
        return c * h * w * self.fan_in

    @property
    def windowed(self) -> bool:
        """Whether it reads its input through a window generator (not a pointwise 1x1, stride 1, unpadded)."""
        return list(self.kernel) != [1, 1] or list(self.stride) != [1, 1] or any(self.pad)

    @property
    def weight_group(self) -> int:
        """Output pixels per pass over streamed weights (the last pass takes the rest)."""
        _, h, w = self.out_shape
        return min(self.ddr_rows or h, h) * w

    @property
    def weight_passes(self) -> int:
        """Passes over streamed weights per frame."""
        _, h, w = self.out_shape
        return -(-h * w // self.weight_group)


@dataclass
class MaxPool(Layer):
    """Max pooling; its output keeps its input's type."""

    kernel: list[int] = field(default_factory=lambda: [3, 3])
    stride: list[int] = field(default_factory=lambda: [2, 2])
    pad: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    kind = "maxpool"


@dataclass
class Concat(Layer):
    """Channel concatenation of two inputs, each passed through or requantized into the output's type."""

    requant: list[Requant | None] = field(default_factory=list)  # one per input
    kind = "concat"


@dataclass
class Add(Layer):
    """The simple bypass: two inputs added through fixed-point multipliers and one rounding."""

    multiplier: list[int] = field(default_factory=list)  # [ma, mb]
    shift: int = 0
    kind = "add"


@dataclass
class GlobalAvgPool(Layer):
    """Global average pooling: the per-channel sum, requantized or kept as int32 logits."""

    requant: Requant | None = None
    kind = "gap"


LAYER_KINDS = {cls.kind: cls for cls in (Conv, MaxPool, Concat, Add, GlobalAvgPool)}


@dataclass
class Network:
    """The whole model: its layers in stream order, input type and preprocessing, labels, target board and clock."""

    name: str
    model_sha256: str
    input_shape: list[int]  # [C, H, W]
    input_type: QType
    preprocess: dict
    labels: list[str] | str
    layers: list[Layer]
    output: str  # name of the layer whose output is the logits
    ir_version: int = IR_VERSION
    board: str = "ultra96v2"  # the target board (compiler/boards.py): part and resources
    clock_mhz: float = 250.0  # the PL clock the plan is made for (the board's default unless --clock)

    def layer(self, name: str) -> Layer:
        """The layer called `name`; KeyError if there is none."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def consumers(self, name: str) -> list[Layer]:
        """The layers that read `name` (a layer or NETWORK_INPUT), in stream order."""
        return [layer for layer in self.layers if name in layer.inputs]

    def shape_of(self, name: str) -> list[int]:
        """The CHW shape of `name`'s output (a layer, or NETWORK_INPUT for the network input)."""
        return self.input_shape if name == NETWORK_INPUT else self.layer(name).out_shape

    def type_of(self, name: str) -> QType:
        """The QType of `name`'s output (a layer, or NETWORK_INPUT for the network input)."""
        return self.input_type if name == NETWORK_INPUT else self.layer(name).out_type

    @property
    def output_layer(self) -> Layer:
        """The layer whose output is the logits."""
        return self.layer(self.output)

    @property
    def num_classes(self) -> int:
        """Classes of the logits: the output layer's channels."""
        return self.output_layer.out_shape[0]

    # --- serialisation -------------------------------------------------------------------------------------------

    def to_json(self) -> str:
        """The ir.json text: every field, each layer with its `kind`, keys sorted so that equal networks give equal
        bytes."""
        doc = dataclasses.asdict(self)
        doc["layers"] = [{"kind": layer.kind, **dataclasses.asdict(layer)} for layer in self.layers]
        return json.dumps(doc, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Network:
        """The Network of an ir.json text; ValueError if another IR version wrote it."""
        doc = json.loads(text)
        if doc.get("ir_version") != IR_VERSION:
            raise ValueError(f"IR version {doc.get('ir_version')} is not {IR_VERSION}: recompile the model")
        doc["input_type"] = QType(**doc["input_type"])
        doc["layers"] = [_layer_from_dict(d) for d in doc["layers"]]
        return cls(**doc)


def _layer_from_dict(d: dict) -> Layer:
    d = dict(d)
    layer_cls = LAYER_KINDS[d.pop("kind")]
    d["out_type"] = QType(**d["out_type"])
    if layer_cls is Conv or layer_cls is GlobalAvgPool:
        d["requant"] = Requant(**d["requant"]) if d.get("requant") else None
    if layer_cls is Concat:
        d["requant"] = [Requant(**r) if r else None for r in d["requant"]]
    return layer_cls(**d)


# --- weights.npz, written byte-for-byte reproducibly ------------------------------------------------------------

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like np.savez but deterministic: sorted names, fixed timestamps, so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=_FIXED_ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a weights.npz."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save(build_dir: Path, net: Network, arrays: dict[str, np.ndarray]) -> None:
    """BUILD/ir.json and BUILD/weights.npz, byte-for-byte reproducible."""
    (build_dir / "ir.json").write_text(net.to_json())
    save_arrays(build_dir / "weights.npz", arrays)


def load(build_dir: Path) -> tuple[Network, dict[str, np.ndarray]]:
    """(Network, arrays) of BUILD/ir.json and BUILD/weights.npz (load_build checks the folder first)."""
    net = Network.from_json((build_dir / "ir.json").read_text())
    return net, load_arrays(build_dir / "weights.npz")


def load_build(build) -> tuple:
    """(Network, arrays) of a build folder, or a UserError saying what is wrong with it."""
    build = Path(build)
    if not (build / "ir.json").is_file() or not (build / "weights.npz").is_file():
        raise UserError("not a squeezeflow build (ir.json and weights.npz expected)", str(build))
    try:
        return load(build)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise UserError("cannot read the build", str(build), str(exc).splitlines()[0]) from None
