"""Compile the rule catalogue into GX expectation suites (built in code, once per run).

One expectation per rule. An expectation decides every *scope* of its rule (each identity — a column,
row or group of a table —, the cells of a range rule, or a fact) in one vectorised pass and reports the
failing report ids per scope, so the verdicts stay per scope while GX evaluates ~30 expectations
instead of ~100. Each expectation carries ``meta`` (rule id, severity, title, basis, the scopes with
their Chinese labels) and Chinese ``notes`` that Data Docs show, so a reviewer sees which clause each
line enforces and which reports break it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache

from rules import layout
from rules.arithmetic import Identity
from rules.catalogue import Rule, catalogue
from rules.checks import identities_for, range_cells
from rules.findings import scope_name

SUITES = {"structure": "xxgk_structure", "table2": "xxgk_table2", "table3": "xxgk_table3",
          "table4": "xxgk_table4", "prose": "xxgk_prose"}
SUITE_TITLES = {"xxgk_structure": "报告结构与表格版式", "xxgk_table2": "表二 主动公开政府信息情况",
                "xxgk_table3": "表三 收到和处理政府信息公开申请情况", "xxgk_table4": "表四 行政复议和行政诉讼情况",
                "xxgk_prose": "正文数字、发布与跨报告核对"}
ID_COLUMN = "report_id"


@dataclass(frozen=True)
class Planned:
    """One expectation to build: which suite, which GX class, its arguments and its meta.

    ``scopes`` are the rule's scopes as ``(key, label)``; the expectation reports a verdict for each."""

    suite: str
    kind: str
    kwargs: dict
    meta: dict
    notes: str
    scopes: tuple[tuple[str, str], ...]

    @property
    def rule_id(self) -> str:
        return self.meta["rule_id"]

    def reads(self) -> list[str]:
        """The frame columns this expectation reads (besides ``report_id``)."""
        if self.kind == "fact":
            return [self.kwargs["column"]]
        if self.kind == "range":
            return list(self.kwargs["column_list"])
        return list(dict.fromkeys(c for sides in map(parse_sum, self.kwargs["scopes"].values())
                                  for side in sides for c in side))


def suite_of(rule: Rule) -> str:
    head = rule.id.split("-")[0]
    return SUITES.get({"STR": "structure", "VER": "structure", "T2": "table2", "T3": "table3",
                       "T4": "table4"}.get(head, "prose"))


def _tables(edition_id: str) -> dict[str, layout.Table]:
    ed = layout.edition(edition_id)
    return {"t2": ed.t2, "t3": ed.t3, "t4": ed.t4}


def _editions(rule: Rule) -> list[str]:
    return [e for e in layout.EDITIONS if e in rule.editions or "hybrid" in rule.editions]


def _meta(rule: Rule, scopes: list[tuple[str, str]]) -> dict:
    return {"rule_id": rule.id, "severity": rule.severity, "title": rule.title, "basis": rule.basis,
            "source": rule.source, "scopes": dict(scopes)}


def format_sum(lhs: tuple[str, ...], rhs: tuple[str, ...]) -> str:
    """An identity as text: ``"a + b = c + d"`` (cell ids never hold spaces, ``+`` or ``=``)."""
    for cid in (*lhs, *rhs):
        if not cid or any(ch in cid for ch in " +="):
            raise ValueError(f"cell id {cid!r} cannot be written in an identity")
    return f"{' + '.join(lhs)} = {' + '.join(rhs)}"


def parse_sum(text: str) -> tuple[list[str], list[str]]:
    """The two sides of ``format_sum``'s text."""
    lhs, rhs = text.split(" = ")
    return [c for c in lhs.split(" + ") if c], [c for c in rhs.split(" + ") if c]


def _notes(rule: Rule, scopes: list[tuple[str, str]]) -> str:
    level = "错误" if rule.severity == "error" else "警示"
    labels = [label for _, label in scopes if label]
    where = f"；检查范围：{'、'.join(labels)}" if labels else ""
    return f"【{rule.id}】{rule.title}（{level}）。依据：{rule.basis}{where}"


def _planned(rule: Rule, kind: str, kwargs: dict, scopes: list[tuple[str, str]]) -> Planned:
    return Planned(suite_of(rule), kind, kwargs, _meta(rule, scopes), _notes(rule, scopes), tuple(scopes))


def plan_identities(rule: Rule) -> list[Planned]:
    seen: dict[str, tuple[Identity, str]] = {}
    for edition_id in _editions(rule):
        tables = _tables(edition_id)
        for identity in identities_for(rule, tables):
            seen.setdefault(identity.key, (identity, scope_name(identity.cells, tables)))
    if not seen:
        return []
    kwargs = {"scopes": {key: format_sum(i.lhs, i.rhs) for key, (i, _) in seen.items()},
              "tolerance": float(rule.params.get("tolerance", 0)), "relation": rule.check.get("relation", "eq")}
    return [_planned(rule, "balance", kwargs, [(key, label) for key, (_, label) in seen.items()])]


def plan_range(rule: Rule) -> list[Planned]:
    cells: dict[str, None] = {}
    for edition_id in _editions(rule):
        cells.update(dict.fromkeys(range_cells(rule, _tables(edition_id))))
    kwargs = {"column_list": list(cells), "min_value": rule.check.get("min"), "max_value": rule.check.get("max"),
              "whole": bool(rule.check.get("whole", False)), "below": rule.check.get("below")}
    key = rule.check.get("cells") or rule.id
    return [_planned(rule, "range", {**kwargs, "scope": key}, [(key, "")])]


def plan_fact(rule: Rule) -> list[Planned]:
    fact = rule.check.get("fact")
    return [_planned(rule, "fact", {"column": fact, "value_set": [True], "scope": fact}, [(fact, "")])]


_MAKERS = {"identity": plan_identities, "range": plan_range, "fact": plan_fact}


def plan(rules: list[Rule] | None = None) -> list[Planned]:
    """Every expectation of every suite (one per rule), from the catalogue."""
    if rules is None:
        return list(_catalogue_plan())
    return [p for rule in rules for p in _MAKERS[rule.check.kind](rule)]


@cache
def _catalogue_plan() -> tuple[Planned, ...]:
    return tuple(p for rule in catalogue().values() for p in _MAKERS[rule.check.kind](rule))


def scope_keys(planned: list[Planned]) -> list[tuple[str, str]]:
    """Every (rule id, scope key) the planned expectations decide."""
    return [(p.rule_id, key) for p in planned for key, _ in p.scopes]


def columns(planned: list[Planned]) -> list[str]:
    """Every numeric column the planned expectations read (cells, prose numbers, previous-year cells …)."""
    seen: dict[str, None] = {}
    for item in planned:
        if item.kind != "fact":
            seen.update(dict.fromkeys(item.reads()))
    return list(seen)


def fact_columns(planned: list[Planned]) -> list[str]:
    """Every report fact the planned expectations read."""
    return list(dict.fromkeys(item.kwargs["column"] for item in planned if item.kind == "fact"))


def suite_columns(planned: list[Planned]) -> dict[str, list[str]]:
    """Per suite name, the frame columns its expectations read (``report_id`` first)."""
    out: dict[str, dict[str, None]] = {}
    for item in planned:
        out.setdefault(item.suite, {ID_COLUMN: None}).update(dict.fromkeys(item.reads()))
    return {name: list(cols) for name, cols in out.items()}


def build_suites(planned: list[Planned]) -> dict[str, object]:
    """GX ExpectationSuite objects by name (GX imported here, not at module import)."""
    import great_expectations as gx

    from expectations.custom import ExpectCellSumsToBalance, ExpectCellsWithinRange, ExpectReportFact

    classes = {"balance": ExpectCellSumsToBalance, "range": ExpectCellsWithinRange, "fact": ExpectReportFact}
    grouped: dict[str, list] = {}
    for item in planned:
        # copies: the plan is cached and shared by every run of the process
        grouped.setdefault(item.suite, []).append(classes[item.kind](
            **copy.deepcopy(item.kwargs), id_column=ID_COLUMN, meta=copy.deepcopy(item.meta), notes=item.notes))
    # the constructor takes the expectations as they are: no per-expectation "already in the suite?" scan
    return {name: gx.ExpectationSuite(name=name, expectations=items) for name, items in grouped.items()}
