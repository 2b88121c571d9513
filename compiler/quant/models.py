"""Float SqueezeNet 1.0 / 1.1 (and the paper's simple-bypass variants) with torchvision's state_dict keys.

torchvision itself is not importable beside torch 2.13 here, so the architecture is restated; module indices and
names match `torchvision.models.squeezenet1_0/1_1` exactly, so published weights load with strict=True.
"""
import torch
from torch import nn

from ..errors import UserError, require_file

# Per arch: conv1 (out_channels, kernel), then the `features` layout after conv1+ReLU: "M" = max pool,
# a tuple = Fire(in_channels, squeeze, expand1x1, expand3x3).
_LAYOUTS = {
    "squeezenet1_0": ((96, 7), ["M", (96, 16, 64, 64), (128, 16, 64, 64), (128, 32, 128, 128), "M",
                                (256, 32, 128, 128), (256, 48, 192, 192), (384, 48, 192, 192),
                                (384, 64, 256, 256), "M", (512, 64, 256, 256)]),
    "squeezenet1_1": ((64, 3), ["M", (64, 16, 64, 64), (128, 16, 64, 64), "M", (128, 32, 128, 128),
                                (256, 32, 128, 128), "M", (256, 48, 192, 192), (384, 48, 192, 192),
                                (384, 64, 256, 256), (512, 64, 256, 256)]),
}
ARCHS = tuple(a for base in _LAYOUTS for a in (base, base + "_bypass"))


def parse_arch(arch: str) -> tuple[str, bool]:
    """'squeezenet1_1_bypass' -> ('squeezenet1_1', True); unknown names -> UserError listing the known ones."""
    if arch not in ARCHS:
        raise UserError(f"unknown architecture {arch!r}", why=f"known: {', '.join(ARCHS)}")
    return arch.removesuffix("_bypass"), arch.endswith("_bypass")


def fire_layout(arch: str):
    """[(features index, (in, squeeze, e1, e3), has_bypass)] for every Fire module of `arch`, in order."""
    base, bypass = parse_arch(arch)
    return [(i + 2, spec, bypass and spec[0] == spec[2] + spec[3])
            for i, spec in enumerate(_LAYOUTS[base][1]) if spec != "M"]


class FloatLayers:
    """Layer factory of the float network; `build_quant_model` swaps in brevitas layers at the same names."""

    branch_activations = False  # a ReLU per expand branch (torchvision's Fire) rather than one after the concat

    def conv(self, cin, cout, kernel, stride=1, padding=0):
        """A float Conv2d with bias."""
        return nn.Conv2d(cin, cout, kernel_size=kernel, stride=stride, padding=padding)

    def input(self):
        """The input stage: an identity here; QuantLayers quantizes the input."""
        return nn.Identity()

    def relu(self, last=False):
        """An in-place ReLU; `last` (conv10's) matters to QuantLayers only."""
        return nn.ReLU(inplace=True)

    def add(self):
        """The simple bypass: a plain float sum (Add)."""
        return Add()


class Add(nn.Module):
    """The float simple bypass: a Fire module's output plus its input."""

    def forward(self, y, x):
        return y + x


class Fire(nn.Module):
    """torchvision's Fire, with ONE ReLU after the concat: ReLU(cat(a, b)) == cat(ReLU(a), ReLU(b)) and the
    quantized network needs a single scale for the concat (unless `layers.branch_activations`: torchvision's ReLU
    per branch, as DirectLayers has it). With `bypass` the input is added to the output (the paper's "simple
    bypass"). ReLUs hold no parameters, so the state_dict keys are torchvision's."""

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes, bypass=False, layers=None):
        super().__init__()
        layers = layers or FloatLayers()
        self.squeeze = layers.conv(inplanes, squeeze_planes, 1)
        self.squeeze_activation = layers.relu()
        self.expand1x1 = layers.conv(squeeze_planes, expand1x1_planes, 1)
        self.expand3x3 = layers.conv(squeeze_planes, expand3x3_planes, 3, padding=1)
        if layers.branch_activations:
            self.expand1x1_activation, self.expand3x3_activation = layers.relu(), layers.relu()
        else:
            self.expand_activation = layers.relu()
        self.bypass = layers.add() if bypass else None

    def forward(self, x):
        s = self.squeeze_activation(self.squeeze(x))
        if hasattr(self, "expand_activation"):
            y = self.expand_activation(torch.cat([self.expand1x1(s), self.expand3x3(s)], 1))
        else:
            y = torch.cat([self.expand1x1_activation(self.expand1x1(s)), self.expand3x3_activation(self.expand3x3(s))],
                          1)
        return y if self.bypass is None else self.bypass(y, x)


class SqueezeNet(nn.Module):
    """SqueezeNet `arch` (1.0 or 1.1, optionally with simple bypasses) with torchvision's module names, built from
    `layers` (float by default, QuantLayers for brevitas)."""

    def __init__(self, arch: str = "squeezenet1_1", num_classes: int = 1000, layers=None):
        super().__init__()
        if num_classes < 1:
            raise UserError(f"num_classes must be at least 1, not {num_classes}")
        layers = layers or FloatLayers()
        self.arch = arch
        (out1, k1), layout = _LAYOUTS[parse_arch(arch)[0]]
        fires = {index: (spec, bypass) for index, spec, bypass in fire_layout(arch)}
        self.input_quant = layers.input()
        modules = [layers.conv(3, out1, k1, stride=2), layers.relu()]
        for index in range(2, 2 + len(layout)):  # max pools: 3x3/2 with ceil_mode, as torchvision
            modules.append(Fire(*fires[index][0], bypass=fires[index][1], layers=layers) if index in fires
                           else nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True))
        self.features = nn.Sequential(*modules)
        self.classifier = nn.Sequential(nn.Dropout(p=0.5), layers.conv(512, num_classes, 1),
                                        layers.relu(last=True), nn.AdaptiveAvgPool2d((1, 1)))
        self._init_weights()

    def _init_weights(self):
        # torchvision's initialisation, so random-weight models behave like its untrained ones
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is self.classifier[1]:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(self.input_quant(x))), 1)


def build_float_model(arch: str = "squeezenet1_1", num_classes: int = 1000) -> SqueezeNet:
    """The float `arch` with `num_classes` outputs, initialised as torchvision does (random weights)."""
    return SqueezeNet(arch, num_classes)


def read_state_dict(path) -> dict:
    """Load a .pth state_dict (tensors only: weights_only=True) or raise UserError."""
    path = require_file(path, "weights file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt/pickled files
        raise UserError("cannot read weights", str(path), f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # training checkpoints wrap the weights
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError("weights file is not a PyTorch state_dict", str(path))
    return state


def infer_arch(state: dict) -> tuple[str, int]:
    """(arch, num_classes) from a state_dict: conv1 is 96x7x7 in 1.0 and 64x3x3 in 1.1 (bypass is invisible)."""
    conv1, conv10 = state.get("features.0.weight"), state.get("classifier.1.weight")
    if conv1 is None or conv10 is None:
        raise UserError("state_dict is not a SqueezeNet", why="features.0.weight or classifier.1.weight missing")
    for base, ((out1, k1), _) in _LAYOUTS.items():
        if tuple(conv1.shape) == (out1, 3, k1, k1):
            return base, conv10.shape[0]
    raise UserError("state_dict is not a SqueezeNet", why=f"features.0.weight has shape {tuple(conv1.shape)}")


def load_weights(model: nn.Module, path) -> nn.Module:
    """Load `path` into `model` strictly; a missing, unexpected or mis-shaped key becomes a UserError naming it."""
    state = read_state_dict(path)
    expected = model.state_dict()
    for key in expected:
        if key not in state:
            raise UserError(f"weights file lacks key {key!r}", str(path), f"does it match {model.arch}?")
        if state[key].shape != expected[key].shape:
            raise UserError(f"shape mismatch for {key!r}", str(path), f"file has {tuple(state[key].shape)}, "
                            f"{model.arch} needs {tuple(expected[key].shape)}")
    for key in state:
        if key not in expected:
            raise UserError(f"unexpected key {key!r} in weights file", str(path), f"does it match {model.arch}?")
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return model


class QuantLayers(FloatLayers):
    """brevitas layers implementing the quantization contract with the compiler front end:
    signed 8-bit input; convs with signed `wbits` per-output-channel weights (narrow range) and Int32 biases
    (hence QuantTensor inputs everywhere); unsigned `abits` per-tensor activations after every ReLU (one shared
    after each Fire concat) and after each bypass Add. conv10's activation returns a plain tensor, so global
    average pooling stays float.

    Weight scales are chosen by MSE once and then frozen (Int8WeightPerChannelFloat recomputes max|w| at every
    call): GPTQ rounds against a fixed grid, and MSE beats max-scaling at 6 bits."""

    def __init__(self, wbits: int, abits: int):
        from brevitas.quant import (
            Int8ActPerTensorFloat,
            Int8WeightPerChannelFloatMSE,
            Int32Bias,
            Uint8ActPerTensorFloat,
        )

        self.weight_quant = Int8WeightPerChannelFloatMSE.let(bit_width=wbits)
        self.act_quant = Uint8ActPerTensorFloat.let(bit_width=abits)
        self.input_quant, self.bias_quant = Int8ActPerTensorFloat, Int32Bias

    def conv(self, cin, cout, kernel, stride=1, padding=0):
        """A brevitas QuantConv2d: signed `wbits` per-output-channel weights (frozen MSE scales) and Int32 biases."""
        from brevitas.nn import QuantConv2d

        return QuantConv2d(cin, cout, kernel_size=kernel, stride=stride, padding=padding,
                           weight_quant=self.weight_quant, bias_quant=self.bias_quant)

    def input(self):
        """A QuantIdentity quantizing the input to signed 8 bits; returns a QuantTensor."""
        from brevitas.nn import QuantIdentity

        return QuantIdentity(act_quant=self.input_quant, return_quant_tensor=True)

    def relu(self, last=False):
        """A QuantReLU to unsigned `abits`; returns a QuantTensor, except the `last` one (conv10's), whose plain output
        keeps global average pooling float."""
        from brevitas.nn import QuantReLU

        return QuantReLU(act_quant=self.act_quant, return_quant_tensor=not last)

    def add(self):
        """A QuantAdd whose requantizer is a QuantReLU to unsigned `abits`; both operands are non-negative, so the ReLU
        only quantizes."""
        return QuantAdd(self.relu())


class QuantAdd(nn.Module):
    """Bypass: float add of the two dequantized operands (their scales differ), then one requantizer."""

    def __init__(self, requant):
        super().__init__()
        self.requant = requant

    def forward(self, y, x):
        # QuantTensors carry the dequantized tensor in .value; during calibration quantizers return plain tensors
        return self.requant(getattr(y, "value", y) + getattr(x, "value", x))


def copy_float_weights(model: nn.Module, float_model: nn.Module) -> nn.Module:
    """Load `float_model`'s weights into its brevitas twin `model` (the same module names). Only the quantizers'
    own state is left out; calibration sets it."""
    missing, unexpected = model.load_state_dict(float_model.state_dict(), strict=False)
    assert not unexpected and all("_quant" in k for k in missing), (unexpected, missing)
    return model


def build_quant_model(arch: str = "squeezenet1_1", num_classes: int = 1000, wbits: int = 6, abits: int = 8):
    """The brevitas twin of `build_float_model`: same module names, so float state_dicts load into it."""
    return SqueezeNet(arch, num_classes, layers=QuantLayers(wbits, abits))


class DirectLayers(FloatLayers):
    """brevitas layers as its users commonly write a quantized SqueezeNet, not to this compiler's contract: every
    ReLU its own QuantReLU (Uint8ActPerTensorFloat, plain-tensor output), so each Fire module's two expand branches
    get their own scales and nothing quantizes their concat or a bypass sum; every convolution a QuantConv2d with
    brevitas' default input_quant=None and a float bias; the input a QuantIdentity (Int8ActPerTensorFloat). The
    front end reads such concats at a common finer scale (docs/arithmetic.md)."""

    branch_activations = True

    def __init__(self, wbits: int, abits: int, per_channel: bool):
        from brevitas.quant import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat, Uint8ActPerTensorFloat

        self.weight_quant = (Int8WeightPerChannelFloat if per_channel else Int8WeightPerTensorFloat).let(
            bit_width=wbits)
        self.act_quant = Uint8ActPerTensorFloat.let(bit_width=abits)

    def conv(self, cin, cout, kernel, stride=1, padding=0):
        """A QuantConv2d with `wbits` weights, no input quantizer and a float bias."""
        from brevitas.nn import QuantConv2d

        return QuantConv2d(cin, cout, kernel, stride=stride, padding=padding, weight_quant=self.weight_quant)

    def input(self):
        """A QuantIdentity quantizing the input to signed 8 bits (a plain tensor out)."""
        from brevitas.nn import QuantIdentity
        from brevitas.quant import Int8ActPerTensorFloat

        return QuantIdentity(act_quant=Int8ActPerTensorFloat, return_quant_tensor=False)

    def relu(self, last=False):
        """A QuantReLU of its own, `abits` unsigned, a plain tensor out."""
        from brevitas.nn import QuantReLU

        return QuantReLU(act_quant=self.act_quant, return_quant_tensor=False)


def build_direct_model(arch: str = "squeezenet1_1", num_classes: int = 1000, wbits: int = 6, abits: int = 8,
                       per_channel: bool = True):
    """`arch` in brevitas as its users commonly write it (DirectLayers), with torchvision's module names for the
    convolutions, so float state_dicts load into it."""
    return SqueezeNet(arch, num_classes, layers=DirectLayers(wbits, abits, per_channel))
