"""Fixtures of the host driver tests. They run in .venv-host (pynq 4.0.0, numpy<2: `make test` runs them there) and
never import the compiler: the builds they drive are made by tests/host/prepare_build.py, run with the main venv's
python (.venv, numpy 2, torch) and cached in out/host-tests/ until the compiler's sources change.
"""
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
MAIN_PYTHON = REPO / ".venv" / "bin" / "python"
CACHE = REPO / "out" / "host-tests"


@dataclass
class Prepared:
    build: Path  # the build folder: manifest.json, sim/, hls/csim/libsqueezeflow.so
    images: list[Path]
    logits: np.ndarray  # the golden model's, one row per image

    @property
    def library(self) -> Path:
        return self.build / "hls" / "csim" / "libsqueezeflow.so"

    def image(self, name: str) -> Path:
        return next(p for p in self.images if p.stem == name)

    def golden(self, name: str) -> np.ndarray:
        return self.logits[self.images.index(self.image(name))]


def prepare(kind: str, *extra: str) -> Prepared:
    if not MAIN_PYTHON.is_file():
        pytest.fail(f"{MAIN_PYTHON} not found: the host tests build their models with the main venv (make setup)")
    out = CACHE / kind
    proc = subprocess.run([str(MAIN_PYTHON), str(Path(__file__).with_name("prepare_build.py")), str(out), kind,
                           *extra], capture_output=True, text=True)
    if proc.returncode:
        pytest.fail(f"prepare_build.py {kind} failed:\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    golden = json.loads((out / "golden.json").read_text())
    return Prepared(out / "build", [out / "images" / name for name in golden["images"]],
                    np.asarray(golden["logits"], np.int64))


@pytest.fixture(scope="session")
def small() -> Prepared:
    """SqueezeNet 1.1, random weights, 64x64, 10 classes; chelsea, coffee and 3 foolbox photos."""
    return prepare("small")


@pytest.fixture(scope="session")
def small_ddr() -> Prepared:
    """The small model compiled with conv10's weights streamed from DDR (a second, MM2S-only DMA); same images."""
    return prepare("small_ddr")


@pytest.fixture(scope="session")
def trained(shared_dir) -> Prepared:
    """The trained W6A8 SqueezeNet 1.1 (224x224, ImageNet) of ../shared; chelsea and coffee."""
    return prepare("trained", "--shared", str(shared_dir))


@pytest.fixture(scope="module")
def overlay(small):
    """The small model on the simulated board, in batches of 2 so that a few images make several batches."""
    from squeezeflow.host.driver import SqueezeFlowOverlay

    with SqueezeFlowOverlay(small.build, batch_size=2, timeout=60) as ov:
        yield ov
