"""The register of reporting bodies (``--register`` CSV or YAML) and matching printed names to it.

Pure data + pure Python. A printed name is matched exactly or through an alias (confidence 1.0), after
normalising (no 人民政府/办事处/管委会 suffix, no name of the city it sits in: 0.9), or with one character
misread (沭/沐, OCR slips: 0.7). Anything else — no candidate, or more than one — is unmatched, and the
report says so (REG-UNMATCHED); the pipeline never guesses silently.

A register may also give, per body, where the body publishes its reports (``source_url``: the 年报 list
page of its portal, or a direct article or attachment URL; several separated by ``;``). ``xxgk harvest``
fetches them. Every URL is checked on load: an error names the row, the body and the bad value in Chinese.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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
    source_urls: tuple[str, ...] = ()  # where the body publishes its reports (list pages or direct URLs)


class RegisterError(ValueError):
    """The register cannot be used as written (the message says which row and why, in Chinese)."""


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


REQUIRED_COLUMNS = ("body_id", "name")


def load_register(path: Path) -> list[Body]:
    """Read a register: CSV with columns body_id,name,kind,parent_id,aliases[,source_url] (aliases and
    source URLs separated by ; or |), or YAML with a list of the same fields under ``bodies`` (``source_url``
    may there also be a list). Raises ``RegisterError`` naming the row of any invalid entry."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rows = loaded.get("bodies", []) if isinstance(loaded, dict) else None
        if not isinstance(rows, list):
            raise RegisterError(f"机关名录 {path.name}：YAML 文件须在 bodies: 下列出各机关")
        first_row = 1
    else:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            absent = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
            if absent:
                raise RegisterError(f"机关名录 {path.name} 缺少列 {'、'.join(map(repr, absent))}"
                                    f"（需要 body_id,name,kind,parent_id,aliases）")
            rows = list(reader)
        first_row = 2  # line 1 holds the column names
    bodies = [_body(row, n) for n, row in enumerate(rows, start=first_row)]
    _refuse_duplicate_ids(bodies)
    return bodies


def _body(row: dict, line: int = 0) -> Body:
    where = f"机关名录第 {line} 行" if line else "机关名录"
    if not isinstance(row, dict):
        raise RegisterError(f"{where}：格式不正确（应为 body_id、name 等字段）")
    body_id, name = str(row.get("body_id") or "").strip(), str(row.get("name") or "").strip()
    if not body_id or not name:
        raise RegisterError(f"{where}：缺少 body_id 或 name（机关编码和名称必填）")
    kind = (str(row.get("kind") or "")).strip() or None
    if kind is not None and kind not in BODY_KINDS:
        raise RegisterError(f"{where}（{name}）：未知的机关类别 kind={kind!r}（unknown kind），"
                            f"应为 {'、'.join(BODY_KINDS)} 之一")
    return Body(body_id, name, kind, (str(row.get("parent_id") or "").strip() or None),
                _split(row.get("aliases")), source_urls(row.get("source_url"), f"{where}（{name}）"))


def _split(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else re.split(r"[;|；]", str(value))
    return tuple(str(a).strip() for a in items if str(a).strip())


def source_urls(value: object, where: str = "机关名录") -> tuple[str, ...]:
    """The URLs of a ``source_url`` entry (separated by ``;``, or a YAML list), each checked: an absolute
    http(s) address with a host, no spaces. Duplicates are dropped, order kept."""
    urls = _split(value)
    for url in urls:
        problem = url_problem(url)
        if problem:
            raise RegisterError(f"{where}：source_url 中的“{url}”不是有效的网址（{problem}）")
    return tuple(dict.fromkeys(urls))


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched as a report source (Chinese), or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "无法解析"
    if parts.scheme.lower() not in ("http", "https"):
        return "须以 http:// 或 https:// 开头"
    if not parts.hostname:
        return "缺少主机名"
    if re.search(r"\s", url):
        return "网址中不能有空格"
    return None


def _refuse_duplicate_ids(bodies: list[Body]) -> None:
    seen: dict[str, str] = {}
    for body in bodies:
        if body.body_id in seen:
            raise RegisterError(f"机关名录：机关编码 {body.body_id} 重复（{seen[body.body_id]}、{body.name}）")
        seen[body.body_id] = body.name


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
