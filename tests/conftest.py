"""Fixtures shared by the test files."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
