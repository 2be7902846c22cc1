"""The register of reporting bodies (``--register`` CSV or YAML) and matching printed names to it.

Pure data + pure Python. A printed name is matched exactly or through an alias (confidence 1.0), after
normalising (no 人民政府/办事处/管委会 suffix, no name of the city it sits in: 0.9), or with one character
misread (沭/沐, OCR slips: 0.7). Anything else — no candidate, or more than one — is unmatched, and the
report says so (REG-UNMATCHED); the pipeline never guesses silently.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from rules.bodies import BODY_KINDS

_SUFFIX = re.compile(r"(人民政府|政府|办事处|管理委员会|管委会)$")
_PARENT = re.compile(r"^.+?(?:省|自治区|市|自治州|州|地区|盟)(?=.*(?:县|区|旗|镇|乡|街道))")


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
    candidates: tuple[str, ...] = ()


def normal_name(name: str) -> str:
    """洪泽区人民政府, 淮安市洪泽区人民政府 → 洪泽区 (no spaces, suffix or enclosing city)."""
    key = _SUFFIX.sub("", re.sub(r"[\s\u00a0\u3000]+", "", name))
    return _PARENT.sub("", key)


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


def _names(body: Body) -> set[str]:
    return {body.name, *body.aliases}


def _one_slip(a: str, b: str) -> bool:
    return len(a) == len(b) >= 3 and sum(x != y for x, y in zip(a, b)) == 1


class RegisterIndex:
    """The register indexed by exact and normalised names (built once per run; matching is a lookup)."""

    def __init__(self, bodies: list[Body]) -> None:
        self.exact: dict[str, list[Body]] = {}
        self.normal: dict[str, list[Body]] = {}
        self.by_length: dict[int, list[tuple[str, Body]]] = {}
        for body in bodies:
            for name in _names(body):
                _add(self.exact, name, body)
                key = normal_name(name)
                _add(self.normal, key, body)
                self.by_length.setdefault(len(key), []).append((key, body))

    def match(self, name: str | None) -> Match:
        """The register entry a printed name refers to, with a confidence; ambiguous or unknown → no id."""
        if not name:
            return Match(None, 0.0, "no name printed")
        key = normal_name(name)
        steps = (("exact", 1.0, lambda: self.exact.get(name, [])),
                 ("normalised", 0.9, lambda: self.normal.get(key, [])),
                 ("one character differs", 0.7,
                  lambda: [b for other, b in self.by_length.get(len(key), []) if _one_slip(key, other)]))
        for how, confidence, hits_of in steps:
            unique = list({b.body_id: b for b in hits_of()}.values())
            if len(unique) == 1:
                return Match(unique[0].body_id, confidence, how)
            if len(unique) > 1:
                return Match(None, 0.0, f"ambiguous ({how})", tuple(b.name for b in unique))
        return Match(None, 0.0, "unmatched")


def _add(index: dict[str, list[Body]], key: str, body: Body) -> None:
    index.setdefault(key, []).append(body)


def match_name(name: str | None, bodies: list[Body]) -> Match:
    """Match one printed name (builds the index; use ``RegisterIndex`` for many names)."""
    return RegisterIndex(bodies).match(name)
