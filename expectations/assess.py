"""What Data Docs say about each report, per rule: 不通过 / 无法判断 / 通过 / 不适用, and who the report is.

Great Expectations decides which reports *break* a rule (``runner.read_verdicts``). Whether a report that does
not break it was actually *checked* is decided the way ``rules.findings.judge`` decides it, in the same order:
an unreadable file, a rule that needs the register without one, a rule that does not apply (edition, kind of
body) or whose body kind is unknown, a report with no scope to check, a failing scope, an unknown input, else a
pass. The counts Data Docs print therefore agree with the findings the audit list is made of
(``tests/test_data_docs.py`` holds them to that). Pure Python (no GX import).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath, PureWindowsPath

from rules.catalogue import Rule, catalogue
from rules.checks import scopes, unknown_inputs
from rules.findings import applicable

STATUSES = ("fail", "not_assessable", "pass", "not_applicable")
STATUS_LABELS = {"fail": "不通过", "not_assessable": "无法判断", "pass": "通过", "not_applicable": "不适用"}
Verdicts = Mapping[tuple[str, str], Collection[str]]


@dataclass
class RuleTally:
    """The reports of one rule by status (report ids in batch order)."""

    rule_id: str
    ids: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in STATUSES})

    def count(self, status: str) -> int:
        return len(self.ids[status])

    @property
    def status(self) -> str:
        """The rule over the batch, as a report's verdict is made: any failure → 不通过; else any report not
        assessable → 无法判断; else 通过 (不适用 when it applies to no report)."""
        for status in ("fail", "not_assessable", "pass"):
            if self.ids[status]:
                return status
        return "not_applicable"


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


def tally(facts: Sequence[Mapping], verdicts: Verdicts, failed: Collection[str] = ()) -> dict[str, RuleTally]:
    """Per rule id, the reports by status. ``failed``: ids of reports whose file could not be parsed.
    Report after report (``known_names`` is remembered for the last report asked about)."""
    rules = list(catalogue().values())
    out = {rule.id: RuleTally(rule.id) for rule in rules}
    for one in facts:
        unreadable = one["report_id"] in failed
        for rule in rules:
            out[rule.id].ids[status_of(rule, one, verdicts, unreadable)].append(one["report_id"])
    return out


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
