"""Float .pth vs quantized QCDQ (onnxruntime) top-1/top-5 on the ImageNet photo sample.

No evaluation photo is ever used to calibrate the model that classifies it: the sample (sorted by name) is split
into two halves by alternate position, and each half is classified by a model calibrated on foolbox's 20 ImageNet
samples plus photos from the OTHER half (two-fold). Float accuracy is over the same images.

    .venv/bin/python bench/quant_accuracy.py [--wbits 6 --abits 8 --calib-count 64]
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

from squeezeflow.compiler.datasets import foolbox_imagenet, labelled_images
from squeezeflow.compiler.quant.evaluate import accuracy, onnx_classifier, torch_classifier
from squeezeflow.compiler.quant.quantize import PTQ, quantize, resolve_preprocess

SHARED = Path(__file__).resolve().parents[2] / "shared"


def recording(classify, samples, top1: dict):
    """`classify` that also records each image's top-1 class; accuracy() calls it on samples in order."""
    paths, done = [p for p, _ in samples], 0

    def wrapped(x):
        nonlocal done
        logits = classify(x)
        top1.update(zip(paths[done:done + len(x)], logits.argmax(1).tolist()))
        done += len(x)
        return logits

    return wrapped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=SHARED / "models" / "squeezenet1_1_imagenet.pth", type=Path)
    ap.add_argument("--images", default=SHARED / "data" / "imagenet_sample", type=Path)
    ap.add_argument("--arch", default="squeezenet1_1")
    ap.add_argument("--wbits", type=int, default=6)
    ap.add_argument("--abits", type=int, default=8)
    ap.add_argument("--ptq", choices=PTQ, default="gptq")
    ap.add_argument("--calib-count", type=int, default=64, help="calibration images per fold (foolbox's 20 first)")
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = ap.parse_args(argv)

    samples = labelled_images(args.images)
    folds = [samples[0::2], samples[1::2]]
    spec = resolve_preprocess(args.arch, None, None)
    float_top1, quant_top1 = {}, {}  # image path -> predicted class, for the top-1 agreement
    float_classify, float_spec = torch_classifier(args.weights, args.arch)
    float_acc = accuracy(recording(float_classify, samples, float_top1), samples, float_spec, desc="float")

    hits = {"top1": 0.0, "top5": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for k, evaluated in enumerate(folds):
            calib = [p for p, _ in foolbox_imagenet() + folds[1 - k]][:args.calib_count]
            onnx_path = quantize(args.arch, args.weights, calib, Path(tmp) / f"fold{k}.onnx", wbits=args.wbits,
                                 abits=args.abits, spec=spec, ptq=args.ptq)
            classify, qspec = onnx_classifier(onnx_path)
            acc = accuracy(recording(classify, evaluated, quant_top1), evaluated, qspec,
                           desc=f"W{args.wbits}A{args.abits} fold {k}")
            for key in hits:
                hits[key] += acc[key] * acc["n"]
    quant_acc = {key: value / len(samples) for key, value in hits.items()}
    agreement = sum(float_top1[p] == quant_top1[p] for p, _ in samples) / len(samples)

    name = f"W{args.wbits}A{args.abits} {args.ptq}"
    print(f"{args.arch} on {len(samples)} photos of {args.images.name}; quantized: QCDQ in onnxruntime, "
          f"calibrated on {args.calib_count} images per fold (foolbox + the other half)")
    print(f"{'model':<16}{'top-1':>8}{'top-5':>8}")
    print(f"{'float .pth':<16}{100 * float_acc['top1']:>7.1f}%{100 * float_acc['top5']:>7.1f}%")
    print(f"{name:<16}{100 * quant_acc['top1']:>7.1f}%{100 * quant_acc['top5']:>7.1f}%")
    d1, d5 = (100 * (quant_acc[k] - float_acc[k]) for k in ("top1", "top5"))
    print(f"{'difference':<16}{d1:>+7.1f} {d5:>+7.1f}  (target: >= -1.5 top-1, >= -1.0 top-5)")
    print(f"same top-1 class as float on {100 * agreement:.1f}% of the photos")
    if args.json:
        print(json.dumps({"float": float_acc, "quantized": quant_acc, "top1_agreement": agreement,
                          "n": len(samples)}))
    return 0 if d1 >= -1.5 and d5 >= -1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
