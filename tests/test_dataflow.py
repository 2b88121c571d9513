"""BUILD/dataflow.json: the dataflow graph saved with a build (compiler/dataflow/graph.py), what the simulators read."""
import json

import pytest

import factory
from squeezeflow.compiler.dataflow import graph
from squeezeflow.compiler.errors import UserError
from squeezeflow.compiler.pipeline import compile_model, write_build


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    net, arrays = compile_model(factory.brevitas_model("squeezenet1_1_bypass"), warn=lambda m: None)
    return write_build(tmp_path_factory.mktemp("dataflow") / "build", net, arrays), net, arrays


def test_saved_graph_is_the_graph_the_back_ends_get(build):
    folder, net, arrays = build
    text = (folder / graph.DATAFLOW_FILE).read_text()
    assert text == graph.build_graph(net, arrays).to_json()
    assert graph.load(folder).to_json() == text  # a lossless round trip


def test_saved_graph_holds_the_hardware(build):
    folder, net, _ = build
    doc = json.loads((folder / graph.DATAFLOW_FILE).read_text())
    kernels = [p["kernel"] for p in doc["processes"]]
    assert kernels[0] == "axis_in" and kernels[-1] == "axis_out"
    assert kernels.count("mvau") + kernels.count("mvau_streamed") == 26
    assert kernels.count("add") == 4 and kernels.count("concat") == 8
    streams = {s["name"]: s for s in doc["streams"]}
    assert all(s["depth"] >= 2 for s in streams.values())
    assert set(doc["taps"]) == {"input", *(layer.name for layer in net.layers)}
    loaded = graph.load(folder)
    assert all(s.producer is not None for s in loaded.streams if s.name != "input")
    assert {p.name for p in loaded.processes} == {p["name"] for p in doc["processes"]}


@pytest.mark.parametrize("damage", ["missing", "not json", "old version", "unknown stream"])
def test_a_damaged_graph_is_one_clear_error(build, tmp_path, damage):
    folder = tmp_path / "copy"
    folder.mkdir()
    doc = json.loads((build[0] / graph.DATAFLOW_FILE).read_text())
    text = {"missing": None, "not json": "{", "old version": json.dumps({**doc, "dataflow_version": 0}),
            "unknown stream": json.dumps({**doc, "taps": {"input": "nowhere"}})}[damage]
    if text is not None:
        (folder / graph.DATAFLOW_FILE).write_text(text)
    with pytest.raises(UserError, match="dataflow.json") as error:
        graph.load(folder)
    assert "\n" not in str(error.value)
