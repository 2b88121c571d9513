"""Shared fixtures. ../shared (trained weights, photos) is optional on a developer machine and required in CI."""
import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("SQUEEZEFLOW_SHARED", Path(__file__).resolve().parents[2] / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder: skipped with a reason where it is absent, a loud failure in CI (CI=true)."""
    if (SHARED / "models" / "squeezenet1_1_imagenet.pth").is_file():
        return SHARED
    message = f"../shared not present ({SHARED}): trained weights and ImageNet photos are needed"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must have it", pytrace=False)
    pytest.skip(message)
