"""`squeezeflow run BUILD/`: classify images with the integer golden model of a compiled build."""
from __future__ import annotations

import json

from squeezeflow.host.preprocess import PreprocessSpec

from .datasets import check_limit, labelled_images
from .golden import golden_classifier
from .ir import load_build
from .quant.evaluate import accuracy, accuracy_text


def add_arguments(parser):
    parser.add_argument("build", metavar="BUILD", help="folder written by `squeezeflow compile`")
    parser.add_argument("--images", required=True, metavar="DIR", help="labelled images (ImageNet file names)")
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N images (sorted by name)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args) -> int:

    check_limit(args.limit)
    net, arrays = load_build(args.build)
    samples = labelled_images(args.images, args.limit)
    spec = PreprocessSpec(**net.preprocess)
    result = accuracy(golden_classifier(net, arrays), samples, spec, desc="golden model")
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{net.name} (golden model): {accuracy_text(result)}  (n={result['n']})")
    return 0
