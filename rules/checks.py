"""What each rule checks, per report, as *scopes*; and the plain-Python ("bare") verdict for each.

A scope is one thing a rule checks: one identity (a column, row or group of a table), the set of cells a
range rule covers, or one fact. Great Expectations (``expectations/``) decides the same scopes over a
whole batch; the bare verdicts are the reference it is tested against and what the benchmark compares.
"""
from __future__ import annotations

from dataclasses import dataclass

from rules import layout
from rules.arithmetic import GROUPS, Identity
from rules.catalogue import Rule, catalogue
from rules.facts import Facts


@dataclass(frozen=True)
class Scope:
    """One checked unit of a rule: an identity, a range over cells, or a fact."""

    rule_id: str
    key: str
    cells: tuple[str, ...]
    identity: Identity | None = None
    fact: str | None = None


def tables_for(facts: Facts) -> dict[str, layout.Table]:
    t2 = layout.edition(facts.get("t2_edition") or _default(facts)).t2
    ed3 = layout.edition(facts.get("t3_edition") or _default(facts))
    return {"t2": t2, "t3": ed3.t3, "t4": ed3.t4}


def _default(facts: Facts) -> str:
    year = facts.get("year")
    return layout.edition_for_year(year).id if year else "2021"


def identity_scopes(rule: Rule, tables: dict[str, layout.Table]) -> list[Scope]:
    group = rule.check.get("identities")
    make = GROUPS[group]
    table = tables[group.split("_")[0]]
    relation = rule.check.get("relation", "eq")
    out = []
    for identity in make(table):
        if relation != identity.relation:
            identity = Identity(identity.rule, identity.scope, identity.lhs, identity.rhs, relation)
        out.append(Scope(rule.id, identity.key, identity.cells, identity=identity))
    return out


def range_cells(rule: Rule, tables: dict[str, layout.Table]) -> tuple[str, ...]:
    prefix = rule.check.get("cells")
    excluded = set(rule.check.get("except_cols", ()))
    table = tables[prefix.split(".")[0]]
    return tuple(cid for cid in table.cell_ids() if cid.startswith(prefix) and cid.split(".")[2] not in excluded)


def scopes(rule: Rule, facts: Facts) -> list[Scope]:
    """The scopes of ``rule`` for the report described by ``facts`` (its own table layouts)."""
    tables = tables_for(facts)
    if rule.check.kind == "identity":
        return identity_scopes(rule, tables)
    if rule.check.kind == "range":
        return [Scope(rule.id, rule.check.get("cells"), range_cells(rule, tables))]
    fact = rule.check.get("fact")
    return [Scope(rule.id, fact, (), fact=fact)]


def range_violations(rule: Rule, cells: tuple[str, ...], facts: Facts) -> list[str]:
    """Cells whose known value lies outside the rule's range (or is not a whole number when required)."""
    lo, hi, whole = rule.check.get("min"), rule.check.get("max"), rule.check.get("whole", False)
    out = []
    for cid in cells:
        value = facts.get(cid)
        if value is None:
            continue
        if (lo is not None and value < lo) or (hi is not None and value > hi) or (whole and value != int(value)):
            out.append(cid)
    return out


def unknown_inputs(rule: Rule, scope: Scope, facts: Facts) -> list[str]:
    """Inputs of a scope that are not known (missing, text, n/a, or a blank that is not a zero)."""
    if scope.fact:
        return [scope.fact] if facts.get(scope.fact) is None else []
    unknown = [cid for cid in scope.cells if facts.get(cid) is None]
    if rule.check.kind == "range" and rule.check.get("max") is None and rule.check.get("min") == 0:
        unknown = [cid for cid in unknown if cid not in facts.get("sign_free_cells", ())]
    return unknown


def bare_fails(rule: Rule, scope: Scope, facts: Facts) -> bool:
    """The plain-Python verdict: True when the scope's known inputs break the rule."""
    if scope.identity is not None:
        return scope.identity.holds(facts, float(rule.params.get("tolerance", 0))) is False
    if scope.fact:
        return facts.get(scope.fact) is False
    return bool(range_violations(rule, scope.cells, facts))


def all_rules() -> list[Rule]:
    return list(catalogue().values())
