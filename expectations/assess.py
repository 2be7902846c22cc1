"""What Data Docs say about each report, per rule: 不通过 / 无法判断 / 通过 / 不适用, and who the report is.

Great Expectations decides which reports *break* a rule (``runner.read_verdicts``). Whether a report that does
not break it was actually *checked* is decided the way ``rules.findings.judge`` decides it, in the same order:
an unreadable file, a rule that needs the register without one, a rule that does not apply (edition, kind of
body) or whose body kind is unknown, a report with no scope to check, a failing scope, an unknown input, else a
pass. The counts Data Docs print therefore agree with the findings the audit list is made of
(``tests/test_data_docs.py`` holds them to that). A run's Data Docs count the findings themselves
(``tally_findings``, ``expectations.rundocs``); ``tally`` serves a validation without findings. ``complete``
tells the judge, per rule, the reports whose inputs are all known. Pure Python (no GX import).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath, PureWindowsPath

import numpy as np
import pandas as pd

from rules.catalogue import Rule, catalogue
from rules.checks import input_names, layout_key, scopes, unknown_inputs
from rules.findings import applicable

STATUSES = ("fail", "not_assessable", "pass", "not_applicable")
STATUS_LABELS = {"fail": "不通过", "not_assessable": "无法判断", "pass": "通过", "not_applicable": "不适用"}
Verdicts = Mapping[tuple[str, str], Collection[str]]


@dataclass
class RuleTally:
    """The reports of one rule by status: how many of each (``counts``) and their ids in batch order
    (``ids``: every id, or the first ``keep[status]`` of each status when ``keep`` is given — what Data Docs
    name; a run's tally over 30,000 reports need not hold every id of every rule)."""

    rule_id: str
    ids: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in STATUSES})
    counts: dict[str, int] | None = None  # None: the lengths of ``ids``
    keep: Mapping[str, int] | None = None  # per status, how many ids are kept (None: all)

    def __post_init__(self) -> None:
        if self.counts is None:
            self.counts = {s: len(self.ids[s]) for s in STATUSES}

    def count(self, status: str) -> int:
        return self.counts[status]  # type: ignore[index]

    def add(self, status: str, report_id: str) -> None:
        """Count one report of ``status`` (its id kept while fewer than ``keep`` are)."""
        self.counts[status] += 1  # type: ignore[index]
        ids = self.ids[status]
        if self.keep is None or len(ids) < self.keep.get(status, 0):
            ids.append(report_id)

    def merge(self, other: RuleTally) -> None:
        """Add the reports of ``other`` (a later batch of the same run) after these."""
        for status in STATUSES:
            self.counts[status] += other.count(status)  # type: ignore[index]
            room = len(other.ids[status]) if self.keep is None else self.keep.get(status, 0) - len(self.ids[status])
            self.ids[status].extend(other.ids[status][:max(room, 0)])

    @property
    def status(self) -> str:
        """The rule over the batch, as a report's verdict is made: any failure → 不通过; else any report not
        assessable → 无法判断; else 通过 (不适用 when it applies to no report)."""
        for status in ("fail", "not_assessable", "pass"):
            if self.count(status):
                return status
        return "not_applicable"


def tally_findings(findings: Iterable, keep: Mapping[str, int] | None = None) -> dict[str, RuleTally]:
    """Per rule id, the reports by status as the findings say (``rules.findings.Finding``: ``rule_id``,
    ``status``, ``report_id``): Data Docs made from these agree with the audit list by construction."""
    out = {rule_id: RuleTally(rule_id, keep=keep) for rule_id in catalogue()}
    for finding in findings:
        tallied = out.get(finding.rule_id)
        if tallied is None:
            tallied = out[finding.rule_id] = RuleTally(finding.rule_id, keep=keep)
        tallied.add(finding.status, finding.report_id)
    return out


def status_of(rule: Rule, facts: Mapping, verdicts: Verdicts, unreadable: bool = False) -> str:
    """One report's status for ``rule`` (``judge``'s decision without its message)."""
    if unreadable:
        return "not_assessable"
    if "register" in rule.requires and not facts.get("register_loaded"):
        return "not_assessable"
    applies = applicable(rule, facts)  # type: ignore[arg-type]
    if applies is False:
        return "not_applicable"
    if applies is None:
        return "not_assessable"
    checked = scopes(rule, facts)  # type: ignore[arg-type]
    if not checked:
        return "not_assessable"
    report_id = facts["report_id"]
    if any(report_id in verdicts.get((rule.id, scope.key), ()) for scope in checked):
        return "fail"
    return "not_assessable" if unknown_inputs(rule, checked, facts) else "pass"  # type: ignore[arg-type]


def tally(df: pd.DataFrame, facts: Sequence[Mapping], verdicts: Verdicts,
          failed: Collection[str] = ()) -> dict[str, RuleTally]:
    """Per rule id, the reports by status: ``status_of`` for every rule and report, decided in bulk.

    ``df`` is ``runner.frame(facts)`` (one row per report, NaN / None = unknown), ``failed`` the ids of
    reports whose file could not be parsed. What depends only on a report's profile (edition, kind of body,
    register, table layouts, year) is decided once per profile and rule; within a profile, a failing scope
    makes 不通过, else all inputs known makes 通过, else 无法判断 — one numpy test over the rows. Only the
    cases ``judge`` decides from more than that (optional statements; a range rule's cells that may be left
    blank) go through ``status_of`` itself; ``tests/test_data_docs.py`` holds the result equal to ``judge``."""
    ids = [f["report_id"] for f in facts]
    id_array = np.empty(len(ids), dtype=object)
    id_array[:] = ids
    row_of = {report_id: i for i, report_id in enumerate(ids)}
    known = df.notna().to_numpy()
    column = {name: i for i, name in enumerate(df.columns)}
    groups: dict[tuple, list[int]] = {}
    for i, one in enumerate(facts):
        if ids[i] not in failed:
            groups.setdefault(tuple(one.get(name) for name in _PROFILE), []).append(i)
    rules = list(catalogue().values())
    exact = _exact(rules, facts, verdicts, failed)  # report after report: ``known_names`` stays remembered
    out = {}
    for rule in rules:
        codes = np.full(len(ids), _CODE["not_assessable"], dtype=np.int8)  # unreadable files stay so
        if rule.id in exact:
            codes = exact[rule.id]
        else:
            for rows in groups.values():
                codes[rows] = _group_codes(rule, [facts[i] for i in rows], np.asarray(rows), known, column, row_of,
                                           verdicts)
        out[rule.id] = RuleTally(rule.id, {s: id_array[codes == _CODE[s]].tolist() for s in STATUSES})
    return out


def complete(df: pd.DataFrame, facts: Sequence[Mapping]) -> dict[str, set[str]]:
    """Per rule id, the reports whose every input of the rule is known in ``df`` (``runner.frame(facts)``:
    NaN / None = unknown), found per table layout in one numpy test: for them ``unknown_inputs`` finds
    nothing (a value known in the frame is known in the facts). A rule reading a column the frame lacks
    names no report (the judge then looks at the facts, as always)."""
    known = df.notna().to_numpy()
    column = {name: i for i, name in enumerate(df.columns)}
    ids = np.empty(len(facts), dtype=object)
    ids[:] = [f["report_id"] for f in facts]
    layouts: dict[tuple[str, str], list[int]] = {}
    for i, one in enumerate(facts):
        layouts.setdefault(layout_key(one), []).append(i)  # type: ignore[arg-type]
    out: dict[str, set[str]] = {}
    for rule in catalogue().values():
        found = out[rule.id] = set()
        for layout, rows in layouts.items():
            names = input_names(rule, layout)
            if any(name not in column for name in names):
                continue
            where = np.asarray(rows)
            if names:
                where = where[known[np.ix_(where, [column[name] for name in names])].all(axis=1)]
            found.update(ids[where].tolist())
    return out


def _optional(rule: Rule) -> bool:
    return rule.check.kind == "identity" and bool(rule.check.get("optional"))


def _exact(rules: list[Rule], facts: Sequence[Mapping], verdicts: Verdicts, failed: Collection[str]) -> dict:
    """Status codes of the rules on optional statements (which scopes are checked depends on each report's
    own cells), by ``status_of`` itself."""
    chosen = [rule for rule in rules if _optional(rule)]
    codes = {rule.id: np.empty(len(facts), dtype=np.int8) for rule in chosen}
    for i, one in enumerate(facts):
        unreadable = one["report_id"] in failed
        for rule in chosen:
            codes[rule.id][i] = _CODE[status_of(rule, one, verdicts, unreadable)]
    return codes


_PROFILE = ("edition", "body_kind", "register_loaded", "t2_edition", "t3_edition", "year")
_CODE = {status: code for code, status in enumerate(STATUSES)}


def _group_codes(rule: Rule, group: list[Mapping], rows: np.ndarray, known: np.ndarray, column: Mapping[str, int],
                 row_of: Mapping[str, int], verdicts: Verdicts) -> np.ndarray:
    """The status codes of one rule for the reports of one profile (``rows`` of the frame)."""
    decided, checked = _profiled(rule, group[0])
    if decided is not None:
        return np.full(len(rows), _CODE[decided], dtype=np.int8)
    if checked is None:
        return np.array([_CODE[status_of(rule, one, verdicts)] for one in group], dtype=np.int8)
    cells = [[s.fact] if rule.check.kind == "fact" else list(s.cells) for s in checked]  # type: ignore[union-attr]
    if any(name not in column for names in cells for name in names):
        return np.array([_CODE[status_of(rule, one, verdicts)] for one in group], dtype=np.int8)
    failing = np.zeros(len(known), dtype=bool)
    for scope in checked:  # type: ignore[union-attr]
        failing[[row_of[i] for i in verdicts.get((rule.id, scope.key), ()) if i in row_of]] = True
    failing = failing[rows]
    all_known = np.ones(len(rows), dtype=bool)
    for names in cells:  # judge: an unknown input of a checked scope (not of a statement left out)
        all_known &= known[np.ix_(rows, [column[name] for name in names])].all(axis=1)
    codes = np.where(failing, _CODE["fail"], np.where(all_known, _CODE["pass"], _CODE["not_assessable"]))
    if rule.check.kind == "range" and rule.check.get("max") is None and rule.check.get("min") == 0:
        for k in np.flatnonzero(~failing & ~all_known):  # cells that may be left blank (``sign_free_cells``)
            codes[k] = _CODE[status_of(rule, group[k], verdicts)]
    return codes.astype(np.int8)


def _profiled(rule: Rule, facts: Mapping) -> tuple[str | None, object]:
    """What a report's profile decides: a status (not applicable, not assessable), or None and the rule's
    scopes on the profile's layouts (None for optional statements: they depend on the report's own cells)."""
    if "register" in rule.requires and not facts.get("register_loaded"):
        return "not_assessable", None
    applies = applicable(rule, facts)  # type: ignore[arg-type]
    if applies is not True:
        return ("not_applicable" if applies is False else "not_assessable"), None
    if _optional(rule):
        return None, None
    checked = scopes(rule, facts)  # type: ignore[arg-type]
    return ("not_assessable", None) if not checked else (None, checked)


@dataclass(frozen=True)
class ReportName:
    """Who a report is, for a reader: the body as printed, the year, the file name, the sha256."""

    body: str
    year: str
    file: str
    report_id: str

    def text(self) -> str:
        return f"{self.body} {self.year} {self.file}"


def report_names(facts: Sequence[Mapping]) -> dict[str, ReportName]:
    """report_id → its name; an unknown body or year is said so, never left blank."""
    return {f["report_id"]: ReportName(str(f.get("body") or "（未识别机关）"),
                                       f"{f['year']} 年度" if f.get("year") else "（年度不明）",
                                       file_name(f.get("file")), str(f["report_id"]))
            for f in facts}


def file_name(path: object) -> str:
    """The file's own name (no folder of the office's server), from a POSIX or Windows path."""
    if not path:
        return "（文件名不明）"
    text = str(path)
    return (PureWindowsPath(text) if "\\" in text else PurePath(text)).name or text
