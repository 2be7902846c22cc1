"""The files next to the site that its pages link to: the run's Data Docs, the 整改通知 drafts, the
spreadsheets. Paths are relative to the site root and exist when the pages are written."""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Links:
    docs: str = "—"                                          # markup: a link to the Data Docs, or a note
    notices: Mapping[str, str] = field(default_factory=dict)  # body key → its 整改通知 draft
    downloads: tuple[tuple[str, str], ...] = ()               # (label, file)

    def notice(self, body_key: str, root: str = "") -> str | None:
        """The path of ``body_key``'s notice draft from a page ``root`` below the site root, or None."""
        rel = self.notices.get(body_key)
        return root + rel if rel else None


def relative(target: Path, site: Path) -> str | None:
    """``target`` relative to the folder ``site`` (``/`` separators) when it is an existing file."""
    return relative_all([target], site).get(Path(target))


def relative_all(targets: Iterable[Path], site: Path, being_written: bool = False) -> dict[Path, str]:
    """``relative`` for many files: each folder is resolved once, and its path from the site worked out once
    (many drafts share one folder). ``being_written``: the files are being written meanwhile (their writer
    confirms them afterwards)."""
    site_dir = Path(site).resolve()
    folders: dict[Path, tuple[str, str | None] | None] = {}   # folder → (resolved, from the site)
    out = {}
    for target in map(Path, targets):
        if not being_written and not target.is_file():
            continue
        if target.parent not in folders:
            folders[target.parent] = _folder(target.parent, site_dir)
        folder = folders[target.parent]
        if folder is None:
            continue
        resolved, from_site = folder
        path = os.path.join(resolved, target.name)
        if os.path.islink(path) or from_site is None or target.name in ("", ".", ".."):
            try:
                rel = os.path.relpath(os.path.realpath(path), site_dir)
            except ValueError:  # another drive (Windows)
                continue
        else:
            rel = target.name if from_site == os.curdir else os.path.join(from_site, target.name)
        out[target] = rel.replace(os.sep, "/")
    return out


def _folder(folder: Path, site_dir: Path) -> tuple[str, str | None] | None:
    """``folder`` resolved and its path from ``site_dir`` (None when it cannot be told); None when ``folder``
    cannot be resolved."""
    try:
        resolved = str(folder.resolve())
    except OSError:
        return None
    try:
        return resolved, os.path.relpath(resolved, site_dir)
    except ValueError:  # another drive (Windows)
        return resolved, None
