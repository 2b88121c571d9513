"""Pass 1, load: read an ONNX file into a checked, static-shaped model description.

Everything that can be wrong with the file itself (unreadable, not ONNX, unsupported opset, dynamic or odd input
shape, bad metadata) is reported here as one UserError, before any lowering starts.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from squeezeflow.host.preprocess import PRESETS, PreprocessSpec

from ..errors import UserError, require_file

MIN_OPSET, MAX_OPSET = 13, 20
QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general")
PREPROCESS_KEY = "squeezeflow.preprocess"


@dataclass
class LoadedModel:
    """What load_onnx found: the checked ModelProto, the file's SHA-256, the single image input (name and
    [C, H, W]) and the model's metadata properties."""

    path: Path
    model: object  # onnx.ModelProto
    sha256: str
    input_name: str
    input_shape: list[int]  # [C, H, W]
    metadata: dict[str, str]


def load_onnx(path) -> LoadedModel:
    """Read, check and describe the ONNX file at `path`; any problem with the file is raised as one UserError."""
    import onnx

    path = require_file(path, "model file")
    data = path.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises DecodeError, RuntimeWarning-derived and others
        raise UserError("not a readable ONNX model", str(path), _first_line(exc)) from None
    if not model.HasField("graph") or not model.graph.node:
        raise UserError("ONNX model has no graph nodes", str(path))
    _check_opset(model, path)
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError) as exc:
        raise UserError("invalid ONNX model", str(path), _first_line(exc)) from None
    initializers = {init.name for init in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise UserError("model must have exactly one image input", str(path), f"it has {len(inputs)}")
    if len(model.graph.output) != 1:
        raise UserError("model must have exactly one output", str(path), f"it has {len(model.graph.output)}")
    name, shape = inputs[0].name, _static_input_shape(inputs[0], path)
    metadata = {p.key: p.value for p in model.metadata_props}
    return LoadedModel(path, model, hashlib.sha256(data).hexdigest(), name, shape, metadata)


def _check_opset(model, path):
    """Reject a missing or unsupported default-domain opset, or an operator domain other than ONNX and QONNX."""
    versions = {o.domain: o.version for o in model.opset_import}
    default = versions.get("", versions.get("ai.onnx"))
    if default is None:
        raise UserError("model declares no default-domain opset", str(path))
    if not MIN_OPSET <= default <= MAX_OPSET:
        raise UserError(f"opset {default} is not supported", str(path), f"supported: {MIN_OPSET} to {MAX_OPSET}")
    for domain in versions:
        if domain not in ("", "ai.onnx") + QONNX_DOMAINS:
            raise UserError(f"operator domain {domain!r} is not supported", str(path))


def _static_input_shape(value_info, path) -> list[int]:
    """The input's [C, H, W]: it must be NCHW with batch 1 (or symbolic) and fixed, non-empty C, H and W."""
    tensor_type = value_info.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]
    where = f"{path}: input {value_info.name!r}"
    if len(dims) != 4:
        raise UserError("input must be an NCHW image batch", where, f"it has rank {len(dims)}")
    if dims[0] not in (None, 1):
        raise UserError("input batch dimension must be 1 or symbolic", where, f"it is {dims[0]}")
    if None in dims[1:] or min(dims[1:]) < 1:
        raise UserError("input has a dynamic or empty C/H/W dimension", where, f"shape {dims}")
    return dims[1:]


def preprocess_from_metadata(metadata: dict[str, str], where: str) -> dict | None:
    """The model's own preprocessing spec, validated, or None when the model has none."""
    text = metadata.get(PREPROCESS_KEY)
    if text is None:
        return None
    return parse_preprocess(text, f"{where}: metadata {PREPROCESS_KEY}")


def parse_preprocess(text: str, where: str) -> dict:
    """The preprocessing spec in JSON `text`, validated and normalized by PreprocessSpec, as a dict."""
    try:
        return json.loads(PreprocessSpec.from_json(text).to_json())
    except (ValueError, TypeError, KeyError) as exc:
        raise UserError("invalid preprocessing spec", where, _first_line(exc)) from None


def resolve_preprocess(option: str | None, loaded: LoadedModel) -> tuple[dict, str | None]:
    """Preprocessing spec for the IR: `--preprocess` wins, then the model's metadata, then torchvision.

    Returns (spec as a dict, warning or None). A spec whose input_size is not the model's is rejected.
    """
    size = tuple(loaded.input_shape[1:])
    warning = None
    if option in PRESETS:
        spec, where = json.loads(PRESETS[option](input_size=size).to_json()), f"--preprocess {option}"
    elif option:
        spec, where = parse_preprocess(require_file(option, "preprocessing spec").read_text(), option), option
    else:
        where = f"{loaded.path}: metadata {PREPROCESS_KEY}"
        spec = preprocess_from_metadata(loaded.metadata, str(loaded.path))
        if spec is None:
            spec = json.loads(PRESETS["torchvision"](input_size=size).to_json())
            warning = (f"{loaded.path} has no {PREPROCESS_KEY} metadata: assuming torchvision preprocessing "
                       "(pass --preprocess torchvision|caffe|SPEC.json to choose)")
    if tuple(spec["input_size"]) != size:
        raise UserError(f"preprocessing input_size {spec['input_size']} does not match the model input {list(size)}",
                        where)
    return spec, warning


def _first_line(exc: Exception) -> str:
    """The first line of an exception's message (or its type name), at most 300 characters, for a UserError."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
