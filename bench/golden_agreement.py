"""Golden model vs onnxruntime on trained SqueezeNet 1.1 W6A8: per-layer and end-to-end agreement, and speed.

Needs ../shared (trained weights and the 500-photo sample). Prints a table; record the figures in docs/.
    python bench/golden_agreement.py [--shared ../shared] [--limit N] [--formats qcdq,qdq,direct,direct10]

Formats: qcdq (`squeezeflow quantize`'s brevitas export), qdq (onnxruntime's quantize_static), direct (brevitas
written the direct way, per-branch scales and no quantizer after the concats: factory.brevitas_direct_model,
W6 per-channel A8), direct10 (the same for SqueezeNet 1.0 at 227x227 with Caffe preprocessing; random weights, as
no trained 1.0 is at hand: the agreement, not the accuracy, is the figure).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import factory  # noqa: E402  (test model recipes: brevitas QCDQ, onnxruntime QDQ)

from squeezeflow.compiler.datasets import foolbox_imagenet, labelled_images, read_rgb
from squeezeflow.compiler.golden import Golden, input_quantizer
from squeezeflow.compiler.pipeline import compile_model
from squeezeflow.compiler.sim import reference
from squeezeflow.host.preprocess import PreprocessSpec, preprocess  # noqa: E402


def topk(logits, labels):
    ranked = np.argsort(-logits, axis=1, kind="stable")[:, :5]
    return (ranked[:, 0] == labels).mean(), (ranked == labels[:, None]).any(axis=1).mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--limit", type=int, default=None, help="photos from the sample (default all 500)")
    parser.add_argument("--formats", default="qcdq,qdq,direct,direct10")
    args = parser.parse_args()
    shared = Path(args.shared)
    weights = shared / "models" / "squeezenet1_1_imagenet.pth"
    if not weights.is_file():
        sys.exit(f"needs {weights} (../shared)")
    samples = labelled_images(shared / "data" / "imagenet_sample", args.limit) + foolbox_imagenet()
    labels = np.array([label for _, label in samples])

    for fmt in args.formats.split(","):
        arch, preprocessing = "squeezenet1_1", "torchvision"
        if fmt == "qcdq":
            model = factory.brevitas_model(arch, fmt, 224, 1000, str(weights))
        elif fmt == "qdq":
            model = factory.ort_qdq_model(arch, 224, 1000, str(weights))
        elif fmt == "direct":
            model = factory.brevitas_direct_model(arch, "qcdq", 224, 1000, str(weights), per_channel=True)
        elif fmt == "direct10":
            arch, preprocessing = "squeezenet1_0", "caffe"
            model = factory.brevitas_direct_model(arch, "qcdq", 227, 1000, per_channel=True)
        else:
            sys.exit(f"unknown format {fmt!r}")
        net, arrays = compile_model(model, warn=lambda m: None, preprocess=preprocessing)
        spec = PreprocessSpec(**net.preprocess)
        x = np.stack([preprocess(read_rgb(p), spec) for p, _ in samples])
        size = net.input_shape[1]
        print(f"\n== {fmt}: {arch} W6A8 {size}x{size}, {len(samples)} photos ({len(samples) - 20} sample + 20 "
              f"foolbox)")

        print("per layer (8 photos, each layer fed onnxruntime's own inputs):")
        print(f"  {'onnxruntime mode':<18}{'layers':>7}{'values':>12}{'identical':>12}{'worst layer':>28}{'max diff':>9}")
        for optimized in (False, True):
            res = reference.per_layer(net, arrays, model, x[:8], optimized)
            total, equal = sum(r.total for r in res), sum(r.equal for r in res)
            worst = min(res, key=lambda r: r.fraction_equal)
            print(f"  {'optimized' if optimized else 'node by node':<18}{len(res):>7}{total:>12}"
                  f"{100 * equal / total:>11.4f}%{f'{worst.layer} {100 * worst.fraction_equal:.3f}%':>28}"
                  f"{max(r.max_diff for r in res):>9}")

        golden, quantize = Golden(net, arrays), input_quantizer(net)
        start = time.perf_counter()
        gold = np.concatenate([golden.run(quantize(x[i:i + 1])) for i in range(len(x))])
        per_image = (time.perf_counter() - start) / len(x)
        print("end to end:")
        print(f"  {'executor':<26}{'top-1':>8}{'top-5':>8}{'top-1 agreement with golden':>30}")
        g1, g5 = topk(gold.astype(np.float64), labels)
        print(f"  {'golden (integer)':<26}{100 * g1:>7.2f}%{100 * g5:>7.2f}%{'':>30}")
        for optimized in (False, True):
            sess = reference.session(model, optimized)
            name = sess.get_inputs()[0].name
            ort = np.concatenate([sess.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])
            o1, o5 = topk(ort, labels)
            agree = (ort.argmax(1) == np.argsort(-gold, axis=1, kind="stable")[:, 0]).mean()
            print(f"  {'onnxruntime ' + ('optimized' if optimized else 'node by node'):<26}{100 * o1:>7.2f}%"
                  f"{100 * o5:>7.2f}%{100 * agree:>29.2f}%")
        print(f"golden model speed: {per_image:.3f} s per {size}x{size} image (batch 1, this machine)")


if __name__ == "__main__":
    main()
