"""Pieces of the overview kept between builds. The overview is written every night (it names the run), but
most of its rows show bodies that did not change: each such row is kept under the digest of everything it
shows (``Fragments.get``) and only the rows of changed bodies are rendered again. What a build does not use
is dropped when it is saved."""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Hashable
from pathlib import Path

from portal.digests import digest

FILE = ".overview-fragments.json"
VERSION = 1


class Fragments:
    """Rendered markup by key, read from (and saved into) ``folder``; ``context`` (the digest of what every
    piece depends on: this code, the rule catalogue, the rule pages, the years) is part of every key. With
    ``folder`` None nothing is read or saved."""

    def __init__(self, folder: Path | None, context: str) -> None:
        self.path = Path(folder) / FILE if folder is not None else None
        self.context = context
        self.stored = self._read() if self.path is not None else {}
        self.used: dict[str, str] = {}
        self.made = 0

    def _read(self) -> dict[str, str]:
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            pieces = stored["pieces"] if stored.get("version") == VERSION else {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pieces = {}
        return pieces if isinstance(pieces, dict) else {}

    def get(self, key: Hashable, make: Callable[[], str]) -> str:
        """The markup kept under ``key`` (with the context), else ``make()`` (then kept)."""
        name = digest((self.context, key))
        text = self.stored.get(name)
        if not isinstance(text, str):
            text = make()
            self.made += 1
        self.used[name] = text
        return text

    def save(self) -> None:
        """Keep the pieces this build used (only those) for the next build."""
        if self.path is None:
            return
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.part")
        partial.write_text(json.dumps({"version": VERSION, "pieces": self.used}, ensure_ascii=False),
                           encoding="utf-8")
        os.replace(partial, self.path)
