"""Safe names derived from untrusted ids: page file names, Excel sheet names, notice file names."""
from __future__ import annotations

import hashlib
import re

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
SHEET_MAX = 31


def digest(text: str, n: int = 16) -> str:
    """The first ``n`` hex digits of the sha256 of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def slug(text: str, prefix: str = "x") -> str:
    """A file-name stem for ``text``: the text itself when it is plain ASCII (letters, digits, ``-``, ``_``; at
    most 64 characters; not a reserved device name), else ``prefix-`` and a hash. Never contains a path
    separator or ``..``."""
    text = str(text)
    if _PLAIN.fullmatch(text) and text.lower() not in _WINDOWS_RESERVED:
        return text
    return f"{prefix}-{digest(text)}"


def assign_slugs(sources: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Unique slugs for ``{key: (text, prefix)}``, unique even on case-insensitive file systems: a clash
    falls back to the hash of the key."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for key in sorted(sources):
        text, prefix = sources[key]
        candidate = slug(text, prefix)
        if candidate.lower() in taken:
            candidate = f"{prefix}-{digest('key:' + key, 24)}"
        taken.add(candidate.lower())
        out[key] = candidate
    return out


def sheet_names(names: list[str]) -> list[str]:
    """Excel sheet names for ``names`` (same order): no ``[]:*?/\\``, no leading/trailing apostrophe,
    at most 31 characters, unique ignoring case, never empty or the reserved ``History``."""
    taken: set[str] = set()
    out = []
    for name in names:
        base = _SHEET_BAD.sub("_", str(name or "")).strip().strip("'").strip() or "未命名"
        if base.lower() == "history":
            base = "History_"
        candidate, n = base[:SHEET_MAX], 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"~{n}"
            candidate = base[:SHEET_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def file_label(text: str, limit: int = 30) -> str:
    """Letters and digits of ``text`` (any script), at most ``limit`` of them, for a readable file name."""
    return "".join(ch for ch in str(text or "") if ch.isalnum())[:limit]
