"""`squeezeflow quantize`: post-training quantization of a SqueezeNet with brevitas, exported as QCDQ or QONNX.

The quantization scheme is the contract with the compiler front end (see models.QuantLayers). torch and brevitas
are imported inside functions so that `squeezeflow --help` does not pay for them.
"""
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from squeezeflow.host import preprocess as pp
from squeezeflow.host.preprocess import preprocess

from ..datasets import list_images, read_rgb
from ..errors import UserError
from .models import (build_direct_model, build_float_model, build_quant_model, copy_float_weights, infer_arch,
                     load_weights, parse_arch, read_state_dict)

PREPROCESS_KEY = "squeezeflow.preprocess"
BATCH = 16
PTQ = ("gptq", "basic")
STYLES = ("squeezeflow", "direct")


def add_arguments(parser):
    parser.add_argument("--arch", default="squeezenet1_1", help="squeezenet1_0, squeezenet1_1 or *_bypass")
    parser.add_argument("--weights", metavar="W.pth", help="float state_dict (torchvision key names); "
                        "without it the weights are random")
    parser.add_argument("--calib", metavar="DIR", required=True, help="folder of calibration images")
    parser.add_argument("--calib-count", type=int, default=64, metavar="N", help="use up to N images (default 64)")
    parser.add_argument("--wbits", type=int, default=6, help="weight bits, 2..8 (default 6)")
    parser.add_argument("--abits", type=int, default=8, help="activation bits, 2..8 (default 8)")
    parser.add_argument("--format", choices=("qcdq", "qonnx"), default="qcdq", help="ONNX flavour (default qcdq)")
    parser.add_argument("--ptq", choices=PTQ, default="gptq",
                        help="gptq (default): calibration + GPTQ weight rounding + bias correction; "
                             "basic: calibration + bias correction only, several times faster, less accurate")
    parser.add_argument("--style", choices=STYLES, default="squeezeflow",
                        help="squeezeflow (default): one quantizer after each Fire concat, Int32 biases, as the "
                             "compiler prefers; direct: brevitas as its users commonly write it, a QuantReLU per "
                             "Fire branch (per-branch scales), float biases, per-channel weights "
                             "(docs/arithmetic.md)")
    parser.add_argument("--num-classes", type=int, metavar="N",
                        help="classifier width (default: from --weights, else 1000)")
    parser.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"),
                        help="model input size (default: the preprocessing preset's, 224 or 227)")
    parser.add_argument("--preprocess", metavar="PRESET|FILE.json",
                        help="torchvision, caffe or a spec JSON file (default: caffe for squeezenet1_0*, "
                             "else torchvision)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.onnx", help="where to write the model")


def run(args):
    for name in ("wbits", "abits"):
        if not 2 <= getattr(args, name) <= 8:
            raise UserError(f"--{name} must be 2..8, not {getattr(args, name)}")
    if args.calib_count < 1:
        raise UserError(f"--calib-count must be at least 1, not {args.calib_count}")

    calib = list_images(args.calib)[:args.calib_count]
    spec = resolve_preprocess(args.arch, args.preprocess, args.input_size)
    if args.weights is None:
        print("WARNING: NO --weights GIVEN: QUANTIZING RANDOMLY INITIALISED WEIGHTS; "
              "THE MODEL WILL NOT CLASSIFY ANYTHING", file=sys.stderr)
    quantize(args.arch, args.weights, calib, args.output, wbits=args.wbits, abits=args.abits, fmt=args.format,
             num_classes=args.num_classes, spec=spec, ptq=args.ptq, style=args.style)
    print(f"wrote {args.output} ({args.arch}, W{args.wbits}A{args.abits}, {args.format}, {args.style} style, "
          f"calibrated on {len(calib)} images)")


def resolve_preprocess(arch: str, preprocess: str | None, input_size):
    """Preprocessing spec from a preset name (sized to `input_size` if given) or a JSON file (whose input_size
    must then equal `input_size`); None picks the arch's default preset."""

    base = parse_arch(arch)[0]
    preprocess = preprocess or ("caffe" if base == "squeezenet1_0" else "torchvision")
    if preprocess in pp.PRESETS:
        return pp.PRESETS[preprocess](*([tuple(input_size)] if input_size else []))
    path = Path(preprocess)
    if not path.is_file():
        raise UserError(f"--preprocess is neither {' nor '.join(pp.PRESETS)} nor a file", preprocess)
    try:
        spec = pp.PreprocessSpec.from_json(path.read_text())
    except ValueError as exc:
        raise UserError("bad preprocessing spec", str(path), str(exc)) from None
    if input_size and list(input_size) != spec.input_size:
        raise UserError(f"input size {list(input_size)} contradicts the spec's input_size {spec.input_size}",
                        str(path))
    return spec


def calibration_batches(images, spec):
    """Preprocessed float32 NCHW batches of `images` (paths), with a progress bar on stderr."""
    import torch
    from tqdm import tqdm



    arrays = []
    with tqdm(total=len(images), desc="loading images", unit="img", leave=False) as bar:  # `with`: an error
        for path in images:  # clears the bar before the CLI prints its one-line message
            arrays.append(preprocess(read_rgb(path), spec))
            bar.update()
    return [torch.from_numpy(np.stack(arrays[i:i + BATCH])) for i in range(0, len(arrays), BATCH)]


def build_calibrated(arch, weights, images, spec, wbits=6, abits=8, num_classes=None, ptq="gptq",
                     style="squeezeflow"):
    """Float model -> brevitas model with the same weights -> post-training quantization:
    activation ranges from calibration (percentile statistics), GPTQ weight rounding (act_order; skipped with
    ptq="basic"), bias correction. GPTQ matters at 6 bits: top-1 agreement with the float model on ImageNet
    photos rises from ~90% to ~95%."""
    import torch
    from brevitas.graph.calibrate import bias_correction_mode, calibration_mode
    from brevitas.graph.gptq import gptq_mode
    from tqdm import tqdm


    torch.manual_seed(0)  # random-init models must repeat exactly
    if num_classes is None:
        num_classes = infer_arch(read_state_dict(weights))[1] if weights else 1000
    float_model = build_float_model(arch, num_classes)
    if weights:
        load_weights(float_model, weights)
    float_model.eval()
    try:
        with torch.no_grad():
            float_model(torch.zeros(1, 3, *spec.input_size))
    except RuntimeError as exc:
        raise UserError(f"input size {spec.input_size} is too small for {arch}", why=str(exc).splitlines()[0]) from None

    model = (build_quant_model(arch, num_classes, wbits, abits) if style == "squeezeflow"
             else build_direct_model(arch, num_classes, wbits, abits))
    copy_float_weights(model, float_model)
    model.eval()
    batches = calibration_batches(images, spec)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # float sums depend on how threads split them: same bytes on any core count
    try:
        with torch.no_grad():
            with calibration_mode(model):
                for x in tqdm(batches, desc="calibrating activations", unit="batch", leave=False):
                    model(x)
            model(batches[0])  # the first quantized call fixes the MSE weight scales that GPTQ rounds against
            if ptq == "gptq":
                with gptq_mode(model, act_order=True) as gptq:
                    for _ in tqdm(range(gptq.num_layers), desc="GPTQ", unit="layer", leave=False):
                        for x in batches:
                            gptq.model(x)
                        gptq.update()
            with bias_correction_mode(model):
                for x in tqdm(batches, desc="correcting biases", unit="batch", leave=False):
                    model(x)
    finally:
        torch.set_num_threads(threads)
    return model


def export(model, path, spec, fmt="qcdq", metadata=None):
    """Export `model` to `path` atomically (temp file + rename), with the preprocessing spec in metadata_props."""
    import onnx
    import torch
    from brevitas.export import export_onnx_qcdq, export_qonnx

    exporter = {"qcdq": export_onnx_qcdq, "qonnx": export_qonnx}[fmt]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".squeezeflow-") as tmp:
        raw = os.path.join(tmp, "raw.onnx")
        exporter(model, torch.zeros(1, 3, *spec.input_size), export_path=raw, dynamo=False,
                 keep_initializers_as_inputs=False, opset_version=13, input_names=["input"],
                 output_names=["logits"])
        proto = onnx.load(raw)
        props = {PREPROCESS_KEY: spec.to_json(), **(metadata or {})}
        onnx.helper.set_model_props(proto, props)
        final = os.path.join(tmp, "final.onnx")
        onnx.save(proto, final)
        os.replace(final, path)
    return path


def quantize(arch, weights, images, output, wbits=6, abits=8, fmt="qcdq", num_classes=None, spec=None, ptq="gptq",
             style="squeezeflow"):
    """Quantize and export; `images` are calibration image paths. Returns the output path."""
    spec = spec or resolve_preprocess(arch, None, None)
    model = build_calibrated(arch, weights, images, spec, wbits, abits, num_classes, ptq, style)
    meta = {"squeezeflow.arch": arch, "squeezeflow.wbits": str(wbits), "squeezeflow.abits": str(abits),
            "squeezeflow.ptq": ptq, "squeezeflow.style": style}
    return export(model, output, spec, fmt, meta)
