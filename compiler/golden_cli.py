"""`squeezeflow run BUILD/`: classify images with the integer golden model of a compiled build."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import UserError


def add_arguments(parser):
    parser.add_argument("build", metavar="BUILD", help="folder written by `squeezeflow compile`")
    parser.add_argument("--images", required=True, metavar="DIR", help="labelled images (ImageNet file names)")
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N images (sorted by name)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def load_build(build) -> tuple:
    """(Network, arrays) of a build folder, or a UserError saying what is wrong with it."""
    from . import ir

    build = Path(build)
    if not (build / "ir.json").is_file() or not (build / "weights.npz").is_file():
        raise UserError("not a squeezeflow build (ir.json and weights.npz expected)", str(build))
    try:
        return ir.load(build)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise UserError("cannot read the build", str(build), str(exc).splitlines()[0]) from None


def input_quantizer(net):
    """float NCHW batch -> the network's integer input, as the host driver quantizes it."""
    from squeezeflow.host.codec import quantize_input

    t = net.input_type
    return lambda x: quantize_input(x, t.scale, t.zero_point, t.lo, t.hi)


def golden_classifier(net, arrays):
    from .golden import Golden

    golden, quantize = Golden(net, arrays), input_quantizer(net)
    return lambda x: golden.run(quantize(x))


def check_limit(limit):
    if limit is not None and limit < 1:
        raise UserError(f"--limit must be at least 1, not {limit}")


def run(args) -> int:
    from squeezeflow.host.preprocess import PreprocessSpec

    from .datasets import labelled_images
    from .evaluate import accuracy

    check_limit(args.limit)
    net, arrays = load_build(args.build)
    samples = labelled_images(args.images, args.limit)
    spec = PreprocessSpec(**net.preprocess)
    result = accuracy(golden_classifier(net, arrays), samples, spec, desc="golden model")
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{net.name} (golden model): top-1 {100 * result['top1']:.2f}%  top-5 {100 * result['top5']:.2f}%  "
              f"(n={result['n']})")
    return 0
