"""Labelled image folders: ImageNet-named photos (`n01440764_*.JPEG`) and foolbox's bundled ImageNet samples.

Labels of ImageNet names come from the synsets file (`nXXXXXXXX name, synonyms` per line, in class-index order);
foolbox's samples (`imagenet_07_609.jpg`: sample 07, class 609) carry the class index in the name, so they need no
synsets file and make a labelled set even without ../shared.
"""
import importlib.util
import os
import re
from functools import lru_cache
from pathlib import Path

from squeezeflow.host.preprocess import load_image

from .errors import UserError

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")
REPO_ROOT = Path(__file__).resolve().parents[1]
_WNID = re.compile(r"^(n\d{8})_")
_FOOLBOX = re.compile(r"^imagenet_\d+_(\d+)$")


def synsets_path() -> Path | None:
    """$SQUEEZEFLOW_SYNSETS, else ../shared/data/imagenet_synsets.txt beside the repository; None if absent."""
    env = os.environ.get("SQUEEZEFLOW_SYNSETS")
    if env:
        if not Path(env).is_file():
            raise UserError("synsets file not found", env, "set by SQUEEZEFLOW_SYNSETS")
        return Path(env)
    default = REPO_ROOT.parent / "shared" / "data" / "imagenet_synsets.txt"
    return default if default.is_file() else None


@lru_cache(maxsize=4)
def _read_synsets(path: Path) -> tuple[dict[str, int], list[str]]:
    """({wnid: class index}, [class name]) from a synsets file."""
    wnids, names = {}, []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        wnid, _, name = line.strip().partition(" ")
        if not re.fullmatch(r"n\d{8}", wnid):
            raise UserError("malformed synsets line", f"{path}:{lineno}", "expected 'nXXXXXXXX name, synonyms'")
        wnids[wnid] = len(names)
        names.append(name.split(",")[0].strip() or wnid)
    return wnids, names


def class_names() -> list[str] | None:
    """The 1000 ImageNet class names (first synonym) in class-index order, or None without a synsets file."""
    path = synsets_path()
    return list(_read_synsets(path)[1]) if path else None


def list_images(folder) -> list[Path]:
    """Image files (.jpeg/.jpg/.png, any case) directly in `folder`, sorted by name; none -> UserError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError("image folder not found", str(folder))
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise UserError("no images in folder", str(folder), f"expected files ending in {', '.join(IMAGE_SUFFIXES)}")
    return files


def label_of(path: Path) -> int | None:
    """Class index from an ImageNet (`nXXXXXXXX_*`) or foolbox (`imagenet_NN_CLASS`) file name, else None."""
    if m := _FOOLBOX.match(path.stem):
        return int(m.group(1))
    if m := _WNID.match(path.name):
        synsets = synsets_path()
        if synsets is None:
            raise UserError("cannot label ImageNet file names without the synsets file", str(path),
                            "set SQUEEZEFLOW_SYNSETS to an imagenet_synsets.txt")
        index = _read_synsets(synsets)[0].get(m.group(1))
        if index is None:
            raise UserError(f"synset {m.group(1)} is not in {synsets}", str(path))
        return index
    return None


def labelled_images(folder, limit: int | None = None) -> list[tuple[Path, int]]:
    """[(path, class index)] for the first `limit` images of `folder`; an unlabelled name -> UserError."""
    files = list_images(folder)[:limit]
    out = []
    for path in files:
        label = label_of(path)
        if label is None:
            raise UserError("cannot tell the class of an image from its name", str(path),
                            "expected nXXXXXXXX_*.JPEG (ImageNet synset) or imagenet_NN_CLASS.jpg")
        out.append((path, label))
    return out


def foolbox_dir() -> Path | None:
    """foolbox's sample folder (its 20 ImageNet JPEGs sit beside MNIST/CIFAR PNGs), or None if not installed."""
    spec = importlib.util.find_spec("foolbox")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "data"
    return folder if folder.is_dir() else None


def foolbox_imagenet() -> list[tuple[Path, int]]:
    """foolbox's 20 labelled 512x512 ImageNet samples, [(path, class index)] sorted by name."""
    folder = foolbox_dir()
    if folder is None:
        raise UserError("foolbox is not installed", why="its bundled ImageNet samples are needed")
    return [(p, label_of(p)) for p in sorted(folder.glob("imagenet_*.jpg")) if _FOOLBOX.match(p.stem)]


def read_rgb(path: Path):
    """HWC uint8 RGB array of an image file; unreadable -> UserError naming it."""
    try:
        return load_image(path)
    except (OSError, ValueError, SyntaxError) as exc:  # PIL raises these for truncated/corrupt files
        raise UserError("cannot read image", str(path), str(exc).splitlines()[0] if str(exc) else None) from None


def check_limit(limit):
    """Reject a --limit below 1 with a UserError; None (no limit) passes."""
    if limit is not None and limit < 1:
        raise UserError(f"--limit must be at least 1, not {limit}")
