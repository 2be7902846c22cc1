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
    """``relative`` for many files: each folder is resolved once (many drafts share one folder).
    ``being_written``: the files are being written meanwhile (their writer confirms them afterwards)."""
    site_dir = Path(site).resolve()
    folders: dict[Path, Path | None] = {}
    out = {}
    for target in map(Path, targets):
        if not being_written and not target.is_file():
            continue
        if target.parent not in folders:
            try:
                folders[target.parent] = target.parent.resolve()
            except OSError:
                folders[target.parent] = None
        folder = folders[target.parent]
        if folder is None:
            continue
        path = folder / target.name
        if path.is_symlink():
            path = path.resolve()
        try:
            rel = os.path.relpath(path, site_dir)
        except ValueError:  # another drive (Windows)
            continue
        out[target] = rel.replace(os.sep, "/")
    return out
