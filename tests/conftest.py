"""Fixtures shared by the test files."""
import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# tests/host/ drives the PYNQ driver, whose pynq pins numpy<2: it runs in .venv-host (`make test`), not in .venv.
collect_ignore = [] if importlib.util.find_spec("pynq") else ["host"]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (trained weights, photos, synsets): skipped when absent locally, a failure in CI."""
    path = REPO.parent / "shared"
    if not (path / "models").is_dir() or not (path / "data").is_dir():
        message = f"../shared not present: {path} holds the trained weights and photos these tests need"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
