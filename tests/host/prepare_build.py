"""Builds what the host tests drive, in the main venv (the host venv has no compiler): run by tests/host/conftest.py.

    .venv/bin/python tests/host/prepare_build.py OUT {small|small_ddr|trained} [--shared DIR]

OUT/build/: `squeezeflow quantize` + `compile` of SqueezeNet 1.1 (small: random weights, 64x64, 10 classes;
small_ddr: the same model compiled with conv10's weights streamed from DDR (--config, CONFIGS); trained: ../shared's
ImageNet weights, 224x224, W6A8) with the C simulation library built; OUT/images/: skimage's chelsea and coffee as
PNG (and, small kinds only, foolbox's first ImageNet photos); OUT/golden.json: the golden model's logits of every
image, {"images": [file names], "logits": [[...]]}. Nothing is redone while the sources it depends on and the
arguments are unchanged: the quantized model (the slow step) keyed by the quantizer's sources, and taken from a
sibling OUT/../small/ that holds it under the same key (small_ddr quantizes what small does), the rest by compiler/,
hw/, templates/, the host's codec and preprocessing and this script, less what the HLS build never uses (the RTL
and bitstream flows), so that work on those does not rebuild these.
"""
import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUANTIZE_SOURCES = ["compiler/quant/quantize.py", "compiler/quant/models.py", "compiler/datasets.py",
                    "host/preprocess.py"]
BUILD_SOURCES = ["compiler", "hw", "templates", "host/codec.py", "host/preprocess.py", "tests/host/prepare_build.py"]
UNUSED = ["hw/rtl", "templates/rtl", "templates/vivado", "compiler/backends/emit_rtl.py", "compiler/sim/rtlsim.py",
          "compiler/sim/synth.py", "compiler/backends/bitstream.py", "compiler/demo.py", "compiler/quant/evaluate.py"]
FOOLBOX_PHOTOS = 3
# kind -> (the kind whose quantized model it compiles, the compile's --config or None)
KINDS = {"small": ("small", None), "trained": ("trained", None),
         "small_ddr": ("small", {"layers": {"conv10": {"weight_storage": "ddr"}}})}


def source_key(argv, sources) -> str:
    digest = hashlib.sha256(json.dumps(argv).encode())
    for root in sources:
        path = REPO / root
        for file in sorted([path] if path.is_file() else path.rglob("*")):
            unused = any(file.is_relative_to(REPO / u) for u in UNUSED)
            if file.is_file() and "__pycache__" not in file.parts and not unused:
                digest.update(file.relative_to(REPO).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("kind", choices=tuple(KINDS))
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    base, config = KINDS[args.kind]
    key, stamp = source_key(sys.argv[2:], BUILD_SOURCES), args.out / "key.txt"
    model_key, model_stamp = source_key([base, *sys.argv[3:]], QUANTIZE_SOURCES), args.out / "model.key"
    if stamp.is_file() and stamp.read_text() == key:
        return 0

    import numpy as np
    import skimage.data
    from PIL import Image

    from squeezeflow.compiler import cli
    from squeezeflow.compiler.datasets import foolbox_dir
    from squeezeflow.compiler.golden import golden_classifier
    from squeezeflow.compiler.ir import load_build
    from squeezeflow.compiler.sim import csim
    from squeezeflow.host.preprocess import PreprocessSpec, preprocess

    images, build, model = args.out / "images", args.out / "build", args.out / "model.onnx"
    for stale in (images, build):
        shutil.rmtree(stale, ignore_errors=True)
    images.mkdir(parents=True)
    if base == "small":
        quantize = ["--num-classes", "10", "--input-size", "64", "64", "--calib", str(foolbox_dir())]
    else:
        quantize = ["--weights", str(args.shared / "models" / "squeezenet1_1_imagenet.pth"),
                    "--calib", str(args.shared / "data" / "imagenet_sample"), "--calib-count", "64"]
    sibling = args.out.parent / base
    if not (model_stamp.is_file() and model_stamp.read_text() == model_key and model.is_file()):
        if (sibling / "model.onnx").is_file() and (sibling / "model.key").is_file() \
                and (sibling / "model.key").read_text() == model_key:
            shutil.copyfile(sibling / "model.onnx", model)
        elif cli.main(["quantize", "--arch", "squeezenet1_1", *quantize, "-o", str(model)]):
            return 1
        model_stamp.write_text(model_key)
    compile_args = ["compile", str(model), "-o", str(build)]
    if config:
        (args.out / "config.json").write_text(json.dumps(config))
        compile_args += ["--config", str(args.out / "config.json")]
    if cli.main(compile_args):
        return 1
    csim.shared_library(build)

    for name in ("chelsea", "coffee"):
        Image.fromarray(getattr(skimage.data, name)()).save(images / f"{name}.png")
    if base == "small":
        for photo in sorted(foolbox_dir().glob("imagenet_*.jpg"))[:FOOLBOX_PHOTOS]:
            shutil.copy(photo, images)
    net, arrays = load_build(build)
    spec, classify = PreprocessSpec(**net.preprocess), golden_classifier(net, arrays)
    files = sorted(images.iterdir())
    logits = classify(np.stack([preprocess(f, spec) for f in files]))
    (args.out / "golden.json").write_text(json.dumps({"images": [f.name for f in files],
                                                      "logits": logits.astype(int).tolist()}))
    stamp.write_text(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
