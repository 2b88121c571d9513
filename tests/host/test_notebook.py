"""notebooks/squeezenet_pynq.ipynb runs unchanged here (software backend, the small build) and pynq can deliver it."""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK = NOTEBOOKS / "squeezenet_pynq.ipynb"


def _json_lines(nb) -> dict:
    """Every JSON object line the notebook printed, merged."""
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith("{"):
                    found.update(json.loads(line))
    return found


def test_notebook_runs(small, monkeypatch):
    monkeypatch.setenv("SQUEEZEFLOW_OVERLAY", str(small.build))
    monkeypatch.setenv("SQUEEZEFLOW_PHOTOS", str(small.images[0].parent))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    printed = _json_lines(nb)
    top5 = printed["top5"]
    assert printed["image"] == "chelsea" and len(top5) == 5
    assert [p["index"] for p in top5] == list(np.argsort(-small.golden("chelsea"), kind="stable")[:5])
    assert printed["benchmark"]["fps"] > 0 and printed["benchmark"]["backend"] == "software"
    outputs = [o for cell in nb.cells for o in cell.get("outputs", [])]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 1  # the images with their bar charts
    assert any("software backend" in o.get("text", "") for o in outputs)  # the backend's log line
    assert any(o.get("text", "").startswith("estimated ") and " fps at " in o.get("text", "")
               for o in outputs)  # the planner's report of the build


def test_pynq_delivers_the_notebook(tmp_path):
    """`pynq get-notebooks` finds the `pynq.notebooks` entry point and copies notebooks/."""
    pynq_cli = Path(sys.executable).with_name("pynq")
    proc = subprocess.run([str(pynq_cli), "get-notebooks", "squeezeflow", "--ignore-overlays", "--force",
                           "--path", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "squeezeflow" / NOTEBOOK.name).is_file()
