"""What every hostile sample says about itself."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

READABLE = ("ok", "partial")
REFUSED = ("failed",)
DAMAGED = ("failed", "partial")


@dataclass(frozen=True)
class Sample:
    """One generated file.

    ``expect``: the parse statuses it may end with. ``reason``: a word the first problem must contain when
    the file is refused (empty: any non-empty reason). ``bad``: the content itself is broken or hostile, so an
    ``ok`` status would be a lie (readable reports with hostile markup or names are not ``bad``).
    ``payloads``: it carries script payloads into report text. ``bounded``: parsing it must stay within the
    time and memory bounds of ``parse_bytes`` (the bombs)."""

    path: Path
    kind: str
    expect: tuple[str, ...]
    reason: str = ""
    bad: bool = True
    payloads: bool = False
    bounded: bool = False


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path
