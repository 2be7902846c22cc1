"""The rule catalogue (``rules/catalogue.yaml``) as frozen records. Pure data, no Prefect/GX import."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

CATALOGUE = Path(__file__).parent / "catalogue.yaml"
Severity = Literal["error", "warning"]
Status = Literal["pass", "fail", "not_assessable", "not_applicable"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "not_assessable", "not_applicable")


@dataclass(frozen=True)
class Check:
    """How a rule is decided: ``identity``, ``range`` or ``fact`` (see rules/checks.py)."""

    kind: Literal["identity", "range", "fact"]
    options: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    editions: tuple[str, ...]
    basis: str
    source: str
    check: Check
    message: str
    bodies: tuple[str, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()

    def applies_to_edition(self, edition: str | None) -> bool:
        return edition is None or edition in self.editions


def _rule(spec: dict[str, Any]) -> Rule:
    check = dict(spec["check"])
    kind = check.pop("kind")
    return Rule(
        id=spec["id"], title=spec["title"], severity=spec["severity"], editions=tuple(spec["editions"]),
        basis=spec["basis"], source=spec["source"], check=Check(kind, check), message=spec["message"],
        bodies=tuple(spec["bodies"]) if spec.get("bodies") else None, params=dict(spec.get("params") or {}),
        requires=tuple(spec.get("requires") or ()),
    )


@cache
def catalogue() -> dict[str, Rule]:
    """Every single-report rule, by id, in catalogue order."""
    with open(CATALOGUE, encoding="utf-8") as fh:
        specs = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["rules"]
    rules = [_rule(s) for s in specs]
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate rule id in rules/catalogue.yaml")
    return {r.id: r for r in rules}
