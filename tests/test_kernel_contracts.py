"""Each kernel's contract is written once, in its class (compiler/kernels/): these tests hold the other places that
spell it to the class.

- The HLS header declares the configuration the class's Config generates (`struct <kernel>_config`, the same members
  in the same order, typedefs for CType members), and a generated struct that leaves a member out fails to compile.
- The Verilog parameters the class gives for every process of a real build are parameters of its Verilog twin, and
  its stream ports are ports of it.
- A Config refuses a value of the wrong type (a numpy integer would reach dataflow.json and the C++ as such).
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import factory
from squeezeflow.compiler.dataflow import graph
from squeezeflow.compiler.kernels.base import REGISTRY, kernel, verilog_params
from squeezeflow.compiler.pipeline import compile_model
from squeezeflow.compiler.sim.csim import ap_types_dir
from squeezeflow.hw import spec

HW = Path(spec.__file__).resolve().parent


def declared_members(base: str) -> list[tuple[str, str]]:
    """(kind, name) of the members `struct <base>` declares in hw/hls/, its own base's first."""
    for header in sorted((HW / "hls").glob("*.h")):
        found = re.search(rf"^struct {base}(?: : (\w+))? {{\n(.*?)^}};", header.read_text(), re.S | re.M)
        if found:
            inherited = declared_members(found.group(1)) if found.group(1) else []
            own = []
            for line in found.group(2).splitlines():
                typedef = re.match(r"\s+typedef unset (\w+);", line)
                integer = re.match(r"\s+static const int (\w+);", line)
                string = re.match(r"\s+static const char\* const (\w+);", line)
                assert typedef or integer or string, f"{header.name}: {line!r}"
                own.append(("type", typedef[1]) if typedef else ("int", integer[1]) if integer else ("str", string[1]))
            return inherited + own
    raise AssertionError(f"no struct {base} in hw/hls/")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_header_declares_the_config(name):
    config = kernel(name).Config
    generated = [(kind, member) for kind, member, _ in config.members(_example(config))]
    assert declared_members(config.hls_base) == generated


def _example(config):
    """A Config of that class with every member set (the values do not matter here)."""
    return config(**{f.name: 1 if f.type == "int" else "x" for f in fields(config)})


def test_a_missing_member_fails_compilation(tmp_path):
    """The base struct's declaration without a definition is not a constant: where a kernel needs one (a template
    argument, an array bound, a static_assert) it does not compile."""
    source = tmp_path / "missing.cpp"
    source.write_text('#include "sf_window.h"\n'
                      "struct cfg : sf::window_config { static const int LANES = 1; };\n"
                      "static_assert(cfg::LANES * cfg::ROWS > 0, \"a window buffers rows\");\n"
                      "int main() { return 0; }\n")
    command = [os.environ.get("CXX", "g++"), "-std=c++17", "-fsyntax-only", "-isystem", str(ap_types_dir()),
               "-I", str(HW / "hls"), str(source)]
    proc = subprocess.run(command, capture_output=True, text=True)
    assert proc.returncode != 0 and "ROWS" in proc.stderr, proc.stderr
    source.write_text(source.read_text().replace("LANES = 1;", "LANES = 1; static const int ROWS = 2;"))
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0


def verilog_interface(module: str) -> tuple[set[str], set[str]]:
    """(parameter names, port names) of hw/rtl/<module>.v."""
    text = (HW / "rtl" / f"{module}.v").read_text()
    start = text.index(f"module {module}")
    header = text[start:text.index(");", start)]
    return (set(re.findall(r"parameter\s+(?:integer\s+)?(?:\[[^\]]*\]\s*)?(\w+)\s*=", header)),
            set(re.findall(r"(?:input|output)\s+(?:wire|reg)?\s*(?:signed\s*)?(?:\[[^\]]*\]\s*)?(\w+)", header)))


def test_verilog_parameters_and_ports_are_the_twins():
    """Every process of two real builds (64x64): SqueezeNet 1.1 with bypass, conv10's weights from DDR, and
    onnxruntime's QDQ SqueezeNet 1.0, whose concats requantize an input. Between them they use every kernel but
    sf::maxpool, which only a padded max pool whose last windows clip needs (graph.pool_is_separable); no SqueezeNet
    has one."""
    seen = set()
    for model, config in [(factory.brevitas_model("squeezenet1_1_bypass"),
                           {"layers": {"conv10": {"weight_storage": "ddr"}}}),
                          (factory.ort_qdq_model("squeezenet1_0"), None)]:
        net, arrays = compile_model(model, warn=lambda m: None, config=config)
        for p in graph.build_graph(net, arrays, weights=False).processes:
            k = kernel(p.kernel)
            parameters, ports = verilog_interface(k.module)
            assert set(verilog_params(net, p)) <= parameters, (p.name, set(verilog_params(net, p)) - parameters)
            for port in k.in_ports + k.out_ports:
                assert {f"{port}_tdata", f"{port}_tvalid", f"{port}_tready"} <= ports, (p.name, port)
            seen.add(p.kernel)
    assert seen == set(REGISTRY) - {"maxpool"}, set(REGISTRY) - seen


def test_config_refuses_wrong_types():
    config = kernel("duplicate").Config
    assert config(word_t="ap_uint<8>", WORDS=4).members() == [("type", "word_t", "ap_uint<8>"), ("int", "WORDS", 4)]
    for bad in (dict(word_t="ap_uint<8>", WORDS=np.int64(4)), dict(word_t="ap_uint<8>", WORDS=True),
                dict(word_t=8, WORDS=4)):
        with pytest.raises(TypeError, match="DuplicateConfig"):
            config(**bad)
