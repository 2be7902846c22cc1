"""What each rule checks, per report, as *scopes*; and the plain-Python ("bare") verdict for each.

A scope is one thing a rule checks: one identity (a column, row or group of a table), the set of cells a
range rule covers, or one fact. Great Expectations (``expectations/``) decides the same scopes over a
whole batch; the bare verdicts are the reference it is tested against and what the benchmark compares.
"""
from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress, repeat
from operator import is_not

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


class Scopes(tuple):
    """The scopes of one rule on one report (a tuple of ``Scope``), and ``inputs``: the cells of every scope
    of the rule on the report's table layouts, including those left out (statements the report does not
    make), so that one test tells whether all the inputs are known."""

    inputs: frozenset[str]

    def __new__(cls, scopes: Iterable[Scope], inputs: frozenset[str] | None = None) -> Scopes:
        self = super().__new__(cls, scopes)
        self.inputs = frozenset(cid for scope in self for cid in scope.cells) if inputs is None else inputs
        return self


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


def scopes(rule: Rule, facts: Facts) -> Scopes:
    """The scopes of ``rule`` for the report described by ``facts`` (its own table layouts)."""
    found = _layout_scopes(rule, _layout_key(facts))
    if rule.check.kind == "identity" and rule.check.get("optional"):  # only what the report states is checked
        known = known_names(facts)
        return Scopes((s for s in found if known.issuperset(s.identity.lhs)), found.inputs)  # type: ignore[union-attr]
    return found


def layout_key(facts: Facts) -> tuple[str, str]:
    """The table editions (表二, 表三/四) a report's scopes are laid out on."""
    return _layout_key(facts)


def input_names(rule: Rule, layout: tuple[str, str]) -> tuple[str, ...]:
    """The names whose values, all known, leave ``unknown_inputs`` nothing to report for ``rule`` on a report
    of this layout: the facts of a fact rule, else the cells of every scope (statements left out included)."""
    found = _layout_scopes(rule, layout)
    if rule.check.kind == "fact":
        return tuple(scope.fact for scope in found if scope.fact)
    return tuple(sorted(found.inputs))


def _layout_key(facts: Facts) -> tuple[str, str]:
    t2, t3 = facts.get("t2_edition"), facts.get("t3_edition")
    if t2 and t3:
        return t2, t3
    default = _default(facts)
    return t2 or default, t3 or default


_SCOPES: dict[tuple[str, tuple[str, str]], Scopes] = {}


def _layout_scopes(rule: Rule, layout_key: tuple[str, str]) -> Scopes:
    """The scopes of ``rule`` on one combination of table editions (memoised: there are a handful)."""
    key = (rule.id, layout_key)
    found = _SCOPES.get(key)
    if found is None:
        found = _SCOPES[key] = _build_scopes(rule, layout_key)
    return found


def _build_scopes(rule: Rule, layout_key: tuple[str, str]) -> Scopes:
    t2, t3 = layout.edition(layout_key[0]), layout.edition(layout_key[1])
    tables = {"t2": t2.t2, "t3": t3.t3, "t4": t3.t4}
    if rule.check.kind == "identity":
        return Scopes(identity_scopes(rule, tables))
    if rule.check.kind == "range":
        return Scopes((Scope(rule.id, rule.check.get("cells") or rule.id, range_cells(rule, tables)),))
    fact = rule.check.get("fact")
    return Scopes((Scope(rule.id, fact, (), fact=fact),))


def all_scope_cells() -> frozenset[str]:
    """Every input any rule reads, over every combination of table editions."""
    combos = [(a, b) for a in layout.EDITIONS for b in layout.EDITIONS]
    return frozenset(c for rule in catalogue().values() for combo in combos
                     for scope in _layout_scopes(rule, combo) for c in scope.cells)


def range_violations(rule: Rule, cells: tuple[str, ...], facts: Facts) -> list[str]:
    """Cells whose known value lies outside the rule's range (or is not a whole number when required)."""
    values = list(map(facts.get, cells))
    if not any(_outside(rule, dict.fromkeys(values))):  # a table repeats few values: test each one once
        return []
    return list(compress(cells, _outside(rule, values)))


def _outside(rule: Rule, values: Iterable[float | None]) -> list[bool]:
    """For each value, whether it lies outside the range of ``rule`` (an unknown value, None, never does)."""
    lo, hi, whole = rule.check.get("min"), rule.check.get("max"), rule.check.get("whole", False)
    below = rule.check.get("below")
    return [value is not None and ((lo is not None and value < lo) or (hi is not None and value > hi)
                                   or (whole and value != int(value)) or (below is not None and value >= below))
            for value in values]


_KNOWN: tuple[Facts | None, frozenset[str]] = (None, frozenset())  # the last facts asked about, their known names


def known_names(facts: Facts) -> frozenset[str]:
    """The names in ``facts`` whose value is not None. Remembered for the last facts asked about (the judge
    asks rule after rule of one report): ask only once the facts are complete (after the cross-report
    facts), as ``judge`` does. Not kept in ``facts``: a set per report would stay alive with them."""
    global _KNOWN
    last, known = _KNOWN
    if last is not facts:
        known = frozenset(compress(facts, map(is_not, facts.values(), repeat(None))))
        _KNOWN = (facts, known)
    return known


def unknown_inputs(rule: Rule, checked: Scopes, facts: Facts) -> list[str]:
    """Inputs of the scopes that are not known (missing, text, n/a, or a blank that is not a zero), scope
    after scope (an input two scopes share is listed twice)."""
    if rule.check.kind == "fact":
        return [scope.fact for scope in checked if facts.get(scope.fact) is None]
    known = known_names(facts)
    if checked.inputs <= known:  # the common case: one test for all the scopes
        return []
    return [cid for scope in checked if not known.issuperset(scope.cells)
            for cid in _unknown_cells(rule, scope, facts)]


def _unknown_cells(rule: Rule, scope: Scope, facts: Facts) -> list[str]:
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
