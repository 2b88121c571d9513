"""C simulation of the generated HLS C++: g++ build time, seconds per image and bit-exactness against the golden model.

SqueezeNet 1.1 (trained, W6A8, 224x224, calibrated on 64 photos of the sample) over --count photos, then
SqueezeNet 1.0 (random weights, caffe preprocessing, 227x227) once over a few, to show that it compiles and is
bit-exact. Targets: build < 90 s, csim < 5 s/image.

    .venv/bin/python bench/csim_speed.py [--count 20] [--json]
"""
import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from squeezeflow.compiler.datasets import list_images
from squeezeflow.compiler.pipeline import compile_model, write_build
from squeezeflow.compiler.quant.quantize import quantize
from squeezeflow.compiler.sim import csim

SHARED = Path(__file__).resolve().parents[2] / "shared"
BUILD_TARGET_S, IMAGE_TARGET_S = 90.0, 5.0


def measure(name, arch, weights, calib, photos, workdir: Path) -> dict:
    model = quantize(arch, weights, calib, workdir / f"{name}.onnx")
    start = time.perf_counter()
    net, arrays = compile_model(model)
    build = write_build(workdir / name, net, arrays)
    compile_s = time.perf_counter() - start
    folder = workdir / f"{name}-photos"
    folder.mkdir()
    for path in photos:
        shutil.copy(path, folder)
    build_s = csim.build(build)["seconds"]
    result = csim.simulate(build, folder)
    result.pop("build_seconds")  # measured above, uncached
    return {"model": name, "input": net.input_shape, "compile_s": compile_s, "build_s": build_s, **result}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=SHARED / "models" / "squeezenet1_1_imagenet.pth", type=Path)
    ap.add_argument("--images", default=SHARED / "data" / "imagenet_sample", type=Path)
    ap.add_argument("--count", type=int, default=20, help="photos simulated with SqueezeNet 1.1 (default 20)")
    ap.add_argument("--count-1-0", type=int, default=4, help="photos simulated with SqueezeNet 1.0 (default 4)")
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = ap.parse_args(argv)

    images = list_images(args.images)
    calib, photos = images[-64:], images[: args.count]  # calibration photos are never the simulated ones
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure("squeezenet1_1 W6A8 trained", "squeezenet1_1", args.weights, calib, photos, Path(tmp)),
                measure("squeezenet1_0 W6A8 random", "squeezenet1_0", None, calib[:16], photos[: args.count_1_0],
                        Path(tmp))]

    print(f"{'model':<28}{'input':>14}{'compile':>9}{'g++':>8}{'images':>8}{'s/image':>9}{'top-1':>7}  bit-exact")
    for r in rows:
        top1 = f"{100 * r['top1']:.0f}%" if "top1" in r else "-"
        print(f"{r['model']:<28}{'x'.join(map(str, r['input'])):>14}{r['compile_s']:>8.1f}s{r['build_s']:>7.1f}s"
              f"{r['n']:>8}{r['seconds_per_image']:>9.2f}{top1:>7}  {'yes' if r['bit_exact'] else 'NO'}")
    print(f"targets: g++ build < {BUILD_TARGET_S:.0f} s, csim < {IMAGE_TARGET_S:.0f} s/image, bit-exact")
    if args.json:
        print(json.dumps(rows))
    ok = all(r["bit_exact"] and r["build_s"] < BUILD_TARGET_S and r["seconds_per_image"] < IMAGE_TARGET_S
             for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
