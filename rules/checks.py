"""What each rule checks, per report, as *scopes*; and the plain-Python ("bare") verdict for each.

A scope is one thing a rule checks: one identity (a column, row or group of a table), the set of cells a
range rule covers, or one fact. Great Expectations (``expectations/``) decides the same scopes over a
whole batch; the bare verdicts are the reference it is tested against and what the benchmark compares.
"""
from __future__ import annotations

import fnmatch
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


_IDENTITIES: dict[tuple, list[Identity]] = {}


def identities_for(rule: Rule, tables: dict[str, layout.Table]) -> list[Identity]:
    """The identities an identity rule checks on a report with these table layouts (memoised: the
    layouts are a handful of shared objects)."""
    key = (rule.id, id(tables["t2"]), id(tables["t3"]), id(tables["t4"]))
    if key not in _IDENTITIES:
        _IDENTITIES[key] = _build_identities(rule, tables)
    return _IDENTITIES[key]


def _build_identities(rule: Rule, tables: dict[str, layout.Table]) -> list[Identity]:
    group = rule.check.get("identities")
    if group == "statements":
        return statement_identities(rule, tables)
    table_id, make = GROUPS[group]
    relation = rule.check.get("relation", "eq")
    return [Identity(i.rule, i.scope, i.lhs, i.rhs, relation) if i.relation != relation else i
            for i in make(tables[table_id])]


def statement_identities(rule: Rule, tables: dict[str, layout.Table]) -> list[Identity]:
    """Prose number = sum of its table cells, one identity per statement kind (rules/prose.py)."""
    ids = [cid for table in tables.values() for cid in table.cell_ids()]
    ids += [f"rowtotal.t3.{row.id}" for row in tables["t3"].rows]
    out = []
    for key, spec in rule.params["statements"].items():
        cells = tuple(cid for pattern in spec["cells"] for cid in ids if fnmatch.fnmatchcase(cid, pattern))
        if cells:
            out.append(Identity(rule.id, key, (f"prose.{key}",), cells))
    return out


def identity_scopes(rule: Rule, tables: dict[str, layout.Table]) -> list[Scope]:
    return [Scope(rule.id, i.key, i.cells, identity=i) for i in identities_for(rule, tables)]


def range_cells(rule: Rule, tables: dict[str, layout.Table]) -> tuple[str, ...]:
    if rule.check.get("columns"):
        return tuple(rule.check.get("columns"))
    prefix = rule.check.get("cells")
    excluded = set(rule.check.get("except_cols", ()))
    table = tables[prefix.split(".")[0]]
    return tuple(cid for cid in table.cell_ids() if cid.startswith(prefix) and cid.split(".")[2] not in excluded)


def scopes(rule: Rule, facts: Facts) -> list[Scope]:
    """The scopes of ``rule`` for the report described by ``facts`` (its own table layouts)."""
    found = _layout_scopes(rule, _layout_key(facts))
    if rule.check.kind == "identity" and rule.check.get("optional"):  # only what the report states is checked
        return [s for s in found if all(facts.get(c) is not None for c in s.identity.lhs)]  # type: ignore[union-attr]
    return list(found)


def _layout_key(facts: Facts) -> tuple[str, str]:
    default = None if facts.get("t2_edition") and facts.get("t3_edition") else _default(facts)
    return facts.get("t2_edition") or default, facts.get("t3_edition") or default  # type: ignore[return-value]


_SCOPES: dict[tuple[str, tuple[str, str]], tuple[Scope, ...]] = {}


def _layout_scopes(rule: Rule, layout_key: tuple[str, str]) -> tuple[Scope, ...]:
    """The scopes of ``rule`` on one combination of table editions (memoised: there are a handful)."""
    key = (rule.id, layout_key)
    if key not in _SCOPES:
        t2, t3 = layout.edition(layout_key[0]), layout.edition(layout_key[1])
        tables = {"t2": t2.t2, "t3": t3.t3, "t4": t3.t4}
        if rule.check.kind == "identity":
            found = identity_scopes(rule, tables)
        elif rule.check.kind == "range":
            found = [Scope(rule.id, rule.check.get("cells") or rule.id, range_cells(rule, tables))]
        else:
            fact = rule.check.get("fact")
            found = [Scope(rule.id, fact, (), fact=fact)]
        _SCOPES[key] = tuple(found)
    return _SCOPES[key]


def all_scope_cells() -> frozenset[str]:
    """Every input any rule reads, over every combination of table editions."""
    combos = [(a, b) for a in layout.EDITIONS for b in layout.EDITIONS]
    return frozenset(c for rule in catalogue().values() for combo in combos
                     for scope in _layout_scopes(rule, combo) for c in scope.cells)


def range_violations(rule: Rule, cells: tuple[str, ...], facts: Facts) -> list[str]:
    """Cells whose known value lies outside the rule's range (or is not a whole number when required)."""
    lo, hi, whole = rule.check.get("min"), rule.check.get("max"), rule.check.get("whole", False)
    below = rule.check.get("below")
    out = []
    for cid in cells:
        value = facts.get(cid)
        if value is None:
            continue
        if ((lo is not None and value < lo) or (hi is not None and value > hi) or (whole and value != int(value))
                or (below is not None and value >= below)):
            out.append(cid)
    return out


KNOWN = "__known__"  # facts key: the names whose value is known (computed once per report, when first asked)


def known_names(facts: Facts) -> frozenset[str]:
    """The names in ``facts`` whose value is not None. Memoised in ``facts`` itself: ask only once the
    facts are complete (after the cross-report facts), as ``judge`` does."""
    known = facts.get(KNOWN)
    if known is None:
        known = facts[KNOWN] = frozenset(k for k, v in facts.items() if v is not None)
    return known


def unknown_inputs(rule: Rule, scope: Scope, facts: Facts) -> list[str]:
    """Inputs of a scope that are not known (missing, text, n/a, or a blank that is not a zero)."""
    if scope.fact:
        return [scope.fact] if facts.get(scope.fact) is None else []
    if known_names(facts).issuperset(scope.cells):
        return []
    unknown = [cid for cid in scope.cells if facts.get(cid) is None]
    if rule.check.kind == "range" and rule.check.get("max") is None and rule.check.get("min") == 0:
        unknown = [cid for cid in unknown if cid not in facts.get("sign_free_cells", ())]
    return unknown


def bare_fails(rule: Rule, scope: Scope, facts: Facts) -> bool:
    """The plain-Python verdict: True when the scope's known inputs break the rule."""
    if scope.identity is not None:
        if not known_names(facts).issuperset(scope.cells):
            return False  # an unknown input: the identity cannot be broken by what is known
        return scope.identity.holds(facts, float(rule.params.get("tolerance", 0))) is False
    if scope.fact:
        return facts.get(scope.fact) is False
    return bool(range_violations(rule, scope.cells, facts))


def all_rules() -> list[Rule]:
    return list(catalogue().values())
