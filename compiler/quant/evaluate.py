"""`squeezeflow eval`: top-1/top-5 accuracy of a float .pth or a quantized .onnx over a labelled image folder."""
import json
import sys

import numpy as np

from squeezeflow.host.preprocess import PreprocessSpec, preprocess, torchvision

from .. import onnxrt
from ..datasets import labelled_images, read_rgb
from ..errors import UserError, require_file
from .models import build_float_model, infer_arch, load_weights, read_state_dict
from .quantize import PREPROCESS_KEY, resolve_preprocess


def add_arguments(parser):
    parser.add_argument("model", metavar="MODEL", help="a .pth state_dict or an .onnx model")
    parser.add_argument("--images", required=True, metavar="DIR",
                        help="labelled images: nXXXXXXXX_*.JPEG (ImageNet synsets) or imagenet_NN_CLASS.jpg")
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N images (sorted by name)")
    parser.add_argument("--arch", help="architecture of a .pth (default: inferred, plain not bypass)")
    parser.add_argument("--preprocess", metavar="PRESET|FILE.json",
                        help="override the preprocessing (default: the .onnx metadata, else torchvision)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args):
    path = require_file(args.model, "model")
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    samples = labelled_images(args.images, args.limit)
    if path.suffix.lower() == ".onnx":
        classify, spec = onnx_classifier(path, args.preprocess)
    elif path.suffix.lower() in (".pth", ".pt"):
        classify, spec = torch_classifier(path, args.arch, args.preprocess)
    else:
        raise UserError("model must be a .pth or .onnx file", str(path))
    result = {"model": str(path), **accuracy(classify, samples, spec)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{path.name}: {accuracy_text(result)}  (n={result['n']})")


def torch_classifier(path, arch=None, preprocess=None):
    """(batch NCHW float32 ndarray -> logits ndarray, preprocessing spec) for a float state_dict."""
    import torch



    inferred, num_classes = infer_arch(read_state_dict(path))
    model = load_weights(build_float_model(arch or inferred, num_classes), path).eval()

    def classify(x):
        """Float NCHW batch -> logits of the torch model, without autograd."""
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    return classify, resolve_preprocess("squeezenet1_1", preprocess, None) if preprocess else torchvision()


def onnx_classifier(path, preprocess=None):
    """(classify, spec) for an .onnx: onnxruntime for QCDQ/float graphs, qonnx's executor for QONNX graphs."""
    import onnx



    try:
        proto = onnx.load(str(path))
    except Exception as exc:  # onnx raises DecodeError and friends for non-ONNX files
        raise UserError("cannot read ONNX model", str(path), f"{type(exc).__name__}: {exc}") from None
    props = {p.key: p.value for p in proto.metadata_props}
    input_name = proto.graph.input[0].name
    dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    input_size = dims[2:] if len(dims) == 4 and all(dims[2:]) else None
    if preprocess:
        spec = resolve_preprocess("squeezenet1_1", preprocess, input_size)
    elif PREPROCESS_KEY in props:
        try:
            spec = PreprocessSpec.from_json(props[PREPROCESS_KEY])
        except ValueError as exc:
            raise UserError("bad preprocessing metadata", str(path), str(exc)) from None
    else:
        print(f"warning: {path} has no {PREPROCESS_KEY} metadata; assuming torchvision preprocessing",
              file=sys.stderr)
        spec = torchvision(*([input_size] if input_size else []))
    if any(n.domain.startswith("qonnx") for n in proto.graph.node):
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.core.onnx_exec import execute_onnx
        from qonnx.transformation.infer_shapes import InferShapes

        wrapper = ModelWrapper(proto).transform(InferShapes())  # qonnx's executor needs every shape
        output_name = proto.graph.output[0].name

        def classify(x):
            """Float NCHW batch -> logits, one frame at a time through qonnx's executor."""
            return np.concatenate([execute_onnx(wrapper, {input_name: x[i:i + 1]})[output_name]
                                   for i in range(len(x))])
    else:
        try:  # node by node, as brevitas computes the QDQ graph, not onnxruntime's fused integer kernels
            session = onnxrt.session(proto, optimized=False)
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
            raise UserError("onnxruntime cannot load the model", str(path), str(exc).splitlines()[0]) from None

        def classify(x):
            """Float NCHW batch -> logits, one frame at a time through onnxruntime."""
            return np.concatenate([session.run(None, {input_name: x[i:i + 1]})[0] for i in range(len(x))])

    return classify, spec


def accuracy(classify, samples, spec, batch=16, desc="evaluating") -> dict:
    """{'top1', 'top5', 'n'} of `classify` over [(path, label)], fractions in 0..1; progress bar on stderr."""
    from tqdm import tqdm



    top1 = top5 = 0
    with tqdm(total=len(samples), desc=desc, unit="img", leave=False) as bar:
        for i in range(0, len(samples), batch):
            chunk = samples[i:i + batch]
            logits = classify(np.stack([preprocess(read_rgb(p), spec) for p, _ in chunk]))
            ranked = np.argsort(-logits, axis=1, kind="stable")[:, :5]
            labels = np.array([label for _, label in chunk])
            top1 += int((ranked[:, 0] == labels).sum())
            top5 += int((ranked == labels[:, None]).any(axis=1).sum())
            bar.update(len(chunk))
    return {"top1": top1 / len(samples), "top5": top5 / len(samples), "n": len(samples)}


def accuracy_text(result: dict) -> str:
    """An accuracy dict as the verbs print it: "top-1 65.00%  top-5 87.00%"."""
    return f"top-1 {100 * result['top1']:.2f}%  top-5 {100 * result['top5']:.2f}%"
