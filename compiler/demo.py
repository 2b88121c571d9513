"""`make demo`: the main job end to end, through the same commands a user types.

quantize (brevitas, W6A8) -> evaluate in onnxruntime -> compile and plan for the board (IR, HLS, report) -> classify
with the integer golden model -> C-simulate the generated HLS on photos. Then the same for a model quantized the way
brevitas users commonly write it (`quantize --style direct`: per-branch scales, float biases), which the compiler
reads at a common finer scale. With ../shared it uses the trained SqueezeNet 1.1 and real ImageNet photos; without
it, random weights (announced loudly) and the photos that ship with foolbox.
"""
from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from pathlib import Path

from . import cli
from .datasets import foolbox_imagenet


def step(title: str, argv: list[str]) -> None:
    """Print `title` and the command, run it through the squeezeflow CLI, and exit with its status if it fails."""
    print(f"\n=== {title}\n$ squeezeflow {shlex.join(argv)}", flush=True)
    code = cli.main(argv)
    if code:
        sys.exit(code)


def main(argv=None) -> int:
    """Run the demo's steps (see the module docstring) into --out; a failing step exits with its status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default="../shared", help="the shared data folder (weights, photos)")
    parser.add_argument("--out", default="out", help="where models and builds go")
    parser.add_argument("--arch", default="squeezenet1_1")
    parser.add_argument("--board", default="ultra96v2")
    parser.add_argument("--eval-limit", type=int, default=100, help="photos to evaluate on (default 100)")
    parser.add_argument("--csim-limit", type=int, default=4, help="photos to C-simulate (default 4)")
    args = parser.parse_args(argv)

    shared, out = Path(args.shared), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = shared / "models" / f"{args.arch.removesuffix('_bypass')}_imagenet.pth"
    photos = shared / "data" / "imagenet_sample"
    if not photos.is_dir():
        photos = out / "photos"  # foolbox's folder also holds MNIST/CIFAR samples: copy its ImageNet ones
        photos.mkdir(exist_ok=True)
        for path, _ in foolbox_imagenet():
            shutil.copy(path, photos / path.name)
        print(f"note: {shared}/data/imagenet_sample not found: using foolbox's 20 ImageNet photos ({photos})")
    model = out / f"{args.arch}_w6a8.onnx"
    build = out / "build"

    quantize = ["quantize", "--arch", args.arch, "--calib", str(photos), "--calib-count", "64", "-o", str(model)]
    if weights.is_file():
        quantize[3:3] = ["--weights", str(weights)]
    else:
        print(f"\n!!! {weights} not found: the demo quantizes RANDOM weights; accuracy figures will be near zero. !!!")
    step("1. quantize with brevitas (6-bit weights, 8-bit activations) and export QCDQ ONNX", quantize)
    step("2. evaluate the quantized ONNX in onnxruntime",
         ["eval", str(model), "--images", str(photos), "--limit", str(args.eval_limit)])
    step(f"3. compile: ONNX -> integer IR -> plan for the {args.board} (folding, weight placement, FIFOs) -> HLS "
         f"project, report.json/.html", ["compile", str(model), "-o", str(build), "--board", args.board])
    step("4. classify with the integer golden model",
         ["run", str(build), "--images", str(photos), "--limit", str(args.eval_limit)])
    if "csim" in cli.VERBS:
        step("5. C-simulate the generated HLS C++ (bit-exact against the golden model)",
             ["csim", str(build), "--images", str(photos), "--limit", str(args.csim_limit)])
    if args.arch.endswith("_bypass"):
        print("\nnote: the direct-style steps are skipped: a bypass sum of per-branch-scale concats is not supported")
    else:
        direct, direct_build = out / f"{args.arch}_w6a8_direct.onnx", out / "build_direct"
        step("6. quantize the way brevitas users commonly write it: a QuantReLU per Fire branch (per-branch scales, "
             "no quantizer after the concats), float biases", [*quantize[:-2], "--style", "direct", "--ptq", "basic",
                                                              "-o", str(direct)])
        step("7. evaluate it in onnxruntime", ["eval", str(direct), "--images", str(photos),
                                               "--limit", str(args.eval_limit)])
        step("8. compile it: each concat at a common finer scale, float biases added exactly",
             ["compile", str(direct), "-o", str(direct_build), "--board", args.board])
        step("9. classify with its golden model", ["run", str(direct_build), "--images", str(photos),
                                                   "--limit", str(args.eval_limit)])
        if "csim" in cli.VERBS:
            step("10. C-simulate its HLS C++", ["csim", str(direct_build), "--images", str(photos),
                                                "--limit", str(args.csim_limit)])
    print(f"\ndemo done: model {model}, build {build}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
