"""Which county a body counts in, following the register's parent chain (``bodies.parent_id``, ``kind``).

- A county government (kind ``county_gov``) heads its own county and counts in it; a body whose chain of
  parents reaches a county government counts in that county.
- The city government (``city_gov``) and bodies whose chain reaches it without passing a county government
  (the city's departments, development zones…) are 市本级 (``CITY_KEY``).
- Bodies without a parent (and bodies not in the register) are unassigned (key ``None``): listed, never
  ranked as a county.
- A register that names no kinds on a chain keeps the simple rule: the direct parent is the county.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CITY_KEY = "（市本级）"
CITY_NAME = "市本级"
UNASSIGNED = "（未归属区县）"
COUNTY_KIND, CITY_KIND = "county_gov", "city_gov"


def county_keys(register: Iterable[Mapping[str, Any]]) -> dict[str, str | None]:
    """body_id → the key of its county (the county government's body_id), ``CITY_KEY``, or None."""
    rows = {r["body_id"]: r for r in register}
    return {body_id: _county_of(body_id, rows) for body_id in rows}


def _county_of(body_id: str, rows: Mapping[str, Mapping[str, Any]]) -> str | None:
    chain, seen, node = [], set(), body_id
    while node is not None and node in rows and node not in seen:
        seen.add(node)
        chain.append(rows[node])
        node = rows[node].get("parent_id")
    for row in chain:
        if row.get("kind") == COUNTY_KIND:
            return row["body_id"]
    if any(row.get("kind") == CITY_KIND for row in chain):
        return CITY_KEY
    if any(row.get("kind") for row in chain[1:]):
        return None                     # a chain of known kinds that reaches neither a county nor the city
    parent = rows[body_id].get("parent_id")
    return parent if parent is not None else None


def county_names(register: Iterable[Mapping[str, Any]], keys: Iterable[str | None]) -> dict[str | None, str]:
    """The name shown for each county key: the county government's name, 市本级, or unassigned."""
    names = {r["body_id"]: r["name"] for r in register}
    out: dict[str | None, str] = {}
    for key in keys:
        out[key] = CITY_NAME if key == CITY_KEY else UNASSIGNED if key is None else (names.get(key) or key)
    return out


def level(key: str | None) -> str:
    """``county`` (ranked), ``city`` (市本级) or ``none`` (unassigned)."""
    return "city" if key == CITY_KEY else "none" if key is None else "county"
