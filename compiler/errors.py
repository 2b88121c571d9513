"""One exception type for every problem the user can fix; the CLI turns it into one line and exit code 2."""

from pathlib import Path


class UserError(Exception):
    """Bad input: the message says what, where and why, on one line."""

    def __init__(self, what: str, where: str | None = None, why: str | None = None):
        parts = [what]
        if where:
            parts.append(f"at {where}")
        if why:
            parts.append(why)
        super().__init__(": ".join(parts))


def require_file(path, kind: str = "file"):
    """Return `path` as a Path if it is a readable file, else raise UserError naming it."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{kind} not found", str(p))
    if not p.is_file():
        raise UserError(f"{kind} is not a file", str(p))
    try:
        with open(p, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise UserError(f"{kind} cannot be read", str(p), exc.strerror or str(exc)) from None
    return p
