"""Pass 3, recognize: check that the lowered layers form a SqueezeNet, and name them after its blocks.

Accepted: conv1 (any kernel, stride, padding) -> any mix of max pools and Fire modules (squeeze 1x1 -> expand 1x1
and expand 3x3 -> channel concat, optionally followed by an identity-bypass add of the Fire input) -> a 1x1
classifier conv -> global average pool. Layers are renamed `conv1`, `pool1`, `fire2_squeeze`, `fire2_expand1x1`,
`fire2_expand3x3`, `fire2_concat`, `fire3_bypass`, ..., `conv10`, `gap`: the names every report and generated file
uses. Anything else is rejected naming the first ONNX node that does not fit.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..errors import UserError


class _Walk:
    def __init__(self, layers: list[ir.Layer]):
        """Start a walk over `layers` with no layer renamed yet."""
        self.layers = layers
        self.by_name = {layer.name: layer for layer in layers}
        self.renames: dict[str, str] = {}

    def consumers(self, name: str) -> list[ir.Layer]:
        """The layers that read `name`, in layer order."""
        return [layer for layer in self.layers if name in layer.inputs]

    def reject(self, layer: ir.Layer, why: str):
        """Raise a UserError naming the first ONNX node lowered into `layer` (or the layer itself)."""
        node = layer.source[0] if layer.source else layer.name
        raise UserError(f"node {node!r} ({type(layer).__name__})", why=f"{why}; not a SqueezeNet-family topology")

    def name(self, layer: ir.Layer, new: str, role: str = ""):
        """Record `layer`'s new name (applied at the end) and, for a convolution, set its role now."""
        self.renames[layer.name] = new
        if isinstance(layer, ir.Conv):
            layer.role = role

    def only_consumer(self, name: str, where: ir.Layer) -> ir.Layer:
        """The single layer that reads `name`; rejects `where` if there are none or several."""
        users = self.consumers(name)
        if len(users) != 1:
            self.reject(where, f"its output feeds {len(users)} layers where one was expected")
        return users[0]


def recognize(layers: list[ir.Layer], arrays: dict[str, np.ndarray], output: str):
    """Validate and rename in place; returns (layers, arrays, output) with the new names."""
    walk = _Walk(layers)
    first = walk.consumers(ir.NETWORK_INPUT)
    if len(first) != 1 or not isinstance(first[0], ir.Conv):
        walk.reject(first[0] if first else layers[0], "the network must start with one convolution (conv1)")
    conv1 = first[0]
    walk.name(conv1, "conv1", "conv1")
    current, block, fire_index = conv1, "1", 2
    while True:
        users = walk.consumers(current.name)
        if len(users) == 1 and isinstance(users[0], ir.MaxPool):
            walk.name(users[0], f"pool{block}")
            current = users[0]
            continue
        if len(users) == 1 and isinstance(users[0], ir.GlobalAvgPool):
            break
        fire = _match_fire(walk, current, users, fire_index)
        if fire is not None:
            current, block, fire_index = fire, str(fire_index), fire_index + 1
            continue
        if len(users) == 1 and isinstance(users[0], ir.Conv) and users[0].kernel == [1, 1]:
            classifier = users[0]
            walk.name(classifier, f"conv{fire_index}", "classifier")
            gap = walk.only_consumer(classifier.name, classifier)
            if not isinstance(gap, ir.GlobalAvgPool):
                walk.reject(gap, "the classifier convolution must be followed by global average pooling")
            current = classifier
            break
        walk.reject(users[0] if users else current, "expected a max pool, a Fire module or the classifier")
    gap = walk.consumers(current.name)[0]
    walk.name(gap, "gap")
    if gap.name != output:
        walk.reject(gap, "global average pooling must produce the network output")
    if not any(isinstance(layer, ir.Conv) and layer.role == "classifier" for layer in layers):
        walk.reject(gap, "no 1x1 classifier convolution before the global pool")
    unvisited = [layer for layer in layers if layer.name not in walk.renames]
    if unvisited:
        walk.reject(unvisited[0], "layer is not part of the recognised network")
    return _apply_renames(layers, arrays, output, walk.renames)


def _match_fire(walk: _Walk, fire_input: ir.Layer, users: list[ir.Layer], index: int):
    """Match and name the Fire module fed by `fire_input`; returns its output layer (concat or bypass add).

    Returns None when `users` do not start a Fire module; rejects one whose expands, concat or bypass do not fit.
    """
    squeezes = [u for u in users if isinstance(u, ir.Conv)]
    adds = [u for u in users if isinstance(u, ir.Add)]
    if len(squeezes) != 1 or len(users) != len(squeezes) + len(adds) or len(adds) > 1:
        return None
    squeeze = squeezes[0]
    if squeeze.kernel != [1, 1] or squeeze.stride != [1, 1]:
        return None
    expands = walk.consumers(squeeze.name)
    if len(expands) != 2 or not all(isinstance(e, ir.Conv) for e in expands):
        return None
    e1 = [e for e in expands if e.kernel == [1, 1] and e.pad == [0, 0, 0, 0]]
    e3 = [e for e in expands if e.kernel == [3, 3] and e.pad == [1, 1, 1, 1]]
    if len(e1) != 1 or len(e3) != 1 or any(e.stride != [1, 1] for e in expands):
        walk.reject(expands[0], "a Fire module needs one 1x1 and one 3x3 (padding 1, stride 1) expand convolution")
    concat = walk.only_consumer(e1[0].name, e1[0])
    if not isinstance(concat, ir.Concat) or walk.only_consumer(e3[0].name, e3[0]) is not concat:
        walk.reject(concat, "the two expand convolutions must meet in one channel concat")
    fire = f"fire{index}"
    walk.name(squeeze, f"{fire}_squeeze", "squeeze")
    walk.name(e1[0], f"{fire}_expand1x1", "expand1x1")
    walk.name(e3[0], f"{fire}_expand3x3", "expand3x3")
    walk.name(concat, f"{fire}_concat")
    for layer in (squeeze, e1[0], e3[0], concat):
        layer.group = fire
    if not adds:
        return concat
    add = adds[0]
    if sorted(add.inputs) != sorted([fire_input.name, concat.name]):
        walk.reject(add, "a bypass must add the Fire module's input to its output")
    walk.name(add, f"{fire}_bypass")
    add.group = fire
    return add


def _apply_renames(layers, arrays, output, renames):
    """Rename layers and their inputs in place and give ungrouped layers their own name as group.

    Returns (layers, arrays re-keyed to the new names, new output name); arrays of unknown layers are dropped.
    """
    new_arrays = {}
    for layer in layers:
        old = layer.name
        layer.name = renames[old]
        layer.inputs = [renames.get(i, i) for i in layer.inputs]
        if not layer.group:
            layer.group = layer.name
        for suffix in ("weight", "bias"):
            if f"{old}.{suffix}" in arrays:
                new_arrays[f"{layer.name}.{suffix}"] = arrays[f"{old}.{suffix}"]
    return layers, new_arrays, renames[output]
