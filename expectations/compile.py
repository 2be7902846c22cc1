"""Compile the rule catalogue into GX expectation suites (built in code, every run).

One expectation per scope: per identity (a column, row or group of a table), per range rule, per fact
rule. Each carries ``meta`` (rule id, scope key, severity, basis) and Chinese ``notes`` that Data Docs
show, so a reviewer sees which clause each line enforces.
"""
from __future__ import annotations

from dataclasses import dataclass

from rules import layout
from rules.arithmetic import Identity
from rules.catalogue import Rule, catalogue
from rules.checks import identities_for, range_cells
from rules.findings import scope_name

SUITES = {"structure": "xxgk_structure", "table2": "xxgk_table2", "table3": "xxgk_table3",
          "table4": "xxgk_table4", "prose": "xxgk_prose"}


@dataclass(frozen=True)
class Planned:
    """One expectation to build: which suite, which GX class, its arguments and its meta."""

    suite: str
    kind: str
    kwargs: dict
    meta: dict
    notes: str


def suite_of(rule: Rule) -> str:
    head = rule.id.split("-")[0]
    return SUITES.get({"STR": "structure", "VER": "structure", "T2": "table2", "T3": "table3",
                       "T4": "table4"}.get(head, "prose"))


def _tables(edition_id: str) -> dict[str, layout.Table]:
    ed = layout.edition(edition_id)
    return {"t2": ed.t2, "t3": ed.t3, "t4": ed.t4}


def _editions(rule: Rule) -> list[str]:
    return [e for e in layout.EDITIONS if e in rule.editions or "hybrid" in rule.editions]


def _meta(rule: Rule, key: str, label: str) -> dict:
    return {"rule_id": rule.id, "scope": key, "scope_label": label, "severity": rule.severity,
            "title": rule.title, "basis": rule.basis, "source": rule.source}


def _notes(rule: Rule, label: str) -> str:
    level = "错误" if rule.severity == "error" else "警示"
    return f"【{rule.id}】{rule.title}（{level}）{('——' + label) if label else ''}。依据：{rule.basis}"


def plan_identities(rule: Rule) -> list[Planned]:
    group = rule.check.get("identities")
    relation = rule.check.get("relation", "eq")
    seen: dict[str, tuple[Identity, str]] = {}
    for edition_id in _editions(rule):
        tables = _tables(edition_id)
        for identity in identities_for(rule, tables):
            seen.setdefault(identity.key, (identity, scope_name(identity.cells, tables)))
    tolerance = float(rule.params.get("tolerance", 0))
    return [Planned(suite_of(rule), "balance",
                    {"column_list": list(i.cells), "n_lhs": len(i.lhs), "tolerance": tolerance,
                     "relation": relation}, _meta(rule, key, label), _notes(rule, label))
            for key, (i, label) in seen.items()]


def plan_range(rule: Rule) -> list[Planned]:
    cells: dict[str, None] = {}
    for edition_id in _editions(rule):
        cells.update(dict.fromkeys(range_cells(rule, _tables(edition_id))))
    kwargs = {"column_list": list(cells), "min_value": rule.check.get("min"), "max_value": rule.check.get("max"),
              "whole": bool(rule.check.get("whole", False)), "below": rule.check.get("below")}
    key = rule.check.get("cells") or rule.id
    return [Planned(suite_of(rule), "range", kwargs, _meta(rule, key, ""), _notes(rule, ""))]


def plan_fact(rule: Rule) -> list[Planned]:
    fact = rule.check.get("fact")
    return [Planned(suite_of(rule), "fact", {"column": fact, "value_set": [True]},
                    _meta(rule, fact, ""), _notes(rule, ""))]


def plan(rules: list[Rule] | None = None) -> list[Planned]:
    """Every expectation of every suite, from the catalogue."""
    makers = {"identity": plan_identities, "range": plan_range, "fact": plan_fact}
    return [p for rule in (rules or list(catalogue().values())) for p in makers[rule.check.kind](rule)]


def columns(planned: list[Planned]) -> list[str]:
    """Every numeric column the planned expectations read (cells, prose numbers, previous-year cells …)."""
    seen: dict[str, None] = {}
    for item in planned:
        if item.kind != "fact":
            seen.update(dict.fromkeys(item.kwargs["column_list"]))
    return list(seen)


def build_suites(planned: list[Planned]) -> dict[str, object]:
    """GX ExpectationSuite objects by name (GX imported here, not at module import)."""
    import great_expectations as gx

    from expectations.custom import ExpectCellSumsToBalance, ExpectCellsWithinRange, ExpectReportFact

    classes = {"balance": ExpectCellSumsToBalance, "range": ExpectCellsWithinRange, "fact": ExpectReportFact}
    suites: dict[str, object] = {}
    for item in planned:
        suite = suites.setdefault(item.suite, gx.ExpectationSuite(name=item.suite))
        suite.add_expectation(classes[item.kind](**item.kwargs, meta=item.meta, notes=item.notes))
    return suites
