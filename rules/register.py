"""The register of reporting bodies (``--register`` CSV or YAML) and matching printed names to it.

Pure data + pure Python. A printed name is matched exactly, through an alias, or after dropping the
usual suffixes (人民政府, 办事处, 管委会); anything else is left unmatched (never a silent guess).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from rules.bodies import BODY_KINDS

_SUFFIXES = re.compile(r"(人民政府|办事处|管理委员会|管委会)$")


@dataclass(frozen=True)
class Body:
    body_id: str
    name: str
    kind: str | None
    parent_id: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    body_id: str | None
    confidence: float
    how: str


def load_register(path: Path) -> list[Body]:
    """Read a register: CSV with columns body_id,name,kind,parent_id,aliases (aliases separated by ; or |),
    or YAML with a list of the same fields under ``bodies``."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = yaml.safe_load(path.read_text(encoding="utf-8")).get("bodies", [])
    else:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    return [_body(row) for row in rows]


def _body(row: dict) -> Body:
    aliases = row.get("aliases") or ()
    if isinstance(aliases, str):
        aliases = tuple(a.strip() for a in re.split(r"[;|；]", aliases) if a.strip())
    kind = (row.get("kind") or "").strip() or None
    if kind is not None and kind not in BODY_KINDS:
        raise ValueError(f"register: unknown kind {kind!r} for {row.get('name')!r}")
    return Body(str(row["body_id"]).strip(), str(row["name"]).strip(), kind,
                (str(row.get("parent_id") or "").strip() or None), tuple(aliases))


def _key(name: str) -> str:
    return _SUFFIXES.sub("", re.sub(r"\s+", "", name))


def match_name(name: str | None, bodies: list[Body]) -> Match:
    """The register entry a printed name refers to, with a confidence; ambiguous or unknown → no id."""
    if not name:
        return Match(None, 0.0, "no name printed")
    exact = [b for b in bodies if name == b.name or name in b.aliases]
    if len(exact) == 1:
        return Match(exact[0].body_id, 1.0, "exact")
    loose = [b for b in bodies if _key(name) in {_key(b.name), *map(_key, b.aliases)}]
    if len(loose) == 1:
        return Match(loose[0].body_id, 0.9, "suffix")
    return Match(None, 0.0, "ambiguous" if len(exact) + len(loose) > 1 else "unmatched")
