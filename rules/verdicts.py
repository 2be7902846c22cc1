"""One verdict per report: 不合规, 待核实 or 合规 — never "compliant" by default.

An office acts on what the product says, so a report is 合规 only when every error rule that applies to it
was decided on numbers and text we read, and passed. Pure Python (no Prefect, no GX): the CLI, the
warehouse view ``report_verdicts`` (migration 007, which mirrors ``report_verdict`` in SQL and is tested
against it), the report site and the notices all show these three outcomes.

* ``non_compliant`` (不合规): an error-severity rule failed on cells that were read (a waived fail does not
  count).
* ``needs_review`` (待核实): the report could not be fully checked — the file could not be read, its format is
  not supported, an error rule that concerns the document itself is ``not_assessable`` (cells missing,
  a table not found …), or an error rule failed only on digits read by OCR from a scan (to be checked
  against the original before anyone is told to correct them). The reasons say which rules and why.
* ``compliant`` (合规): every applicable error rule passed.

Two error rules concern the report's context rather than its content: REG-MISSING (on a report that exists,
the filing is evident; it is not assessable only when no register was given) and REG-LATE (not assessable
when neither the document nor its page gives a publication date). Their ``not_assessable`` does not make a
report 待核实; it is named among the reasons as a caveat ("未核对：…"), so 合规 never hides it.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from parsing.model import SCANNED_NOTE

VERDICTS = ("non_compliant", "needs_review", "compliant")
VERDICT_LABELS = {"non_compliant": "不合规", "needs_review": "待核实", "compliant": "合规"}
CONTEXT_RULES = frozenset({"REG-MISSING", "REG-LATE"})
UNREADABLE_STATUSES = frozenset({"failed", "unsupported"})
CAVEAT = "未核对："
OCR_MARK = "OCR"  # in a cell's locator: the digits were read from a scan by OCR (parsing.ocr)
OCR_PREFIX = "需对照原件核实（依据扫描件的文字识别结果）："


class FindingLike(Protocol):
    rule_id: str
    status: str
    severity: str
    message: str
    fingerprint: str


@dataclass(frozen=True)
class Verdict:
    """The verdict on one report and the Chinese reasons behind it (what failed, what could not be read)."""

    verdict: str
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]


def report_verdict(parse_status: str | None, findings: Iterable[FindingLike], waived: Collection[str] = (),
                   problems: Sequence[str] = ()) -> Verdict:
    """The verdict on a report from its parse status, its findings (one per rule) and the fingerprints a
    reviewer waived. ``problems``: what the reader recorded (quoted when the file could not be read)."""
    errors = [f for f in findings if f.severity == "error"]
    open_fails = [f for f in errors if f.status == "fail" and f.fingerprint not in waived]
    scanned = any(p.startswith(SCANNED_NOTE) for p in problems)
    fails = [f for f in open_fails if not rests_on_ocr(f, scanned)]
    ocr_fails = [f for f in open_fails if rests_on_ocr(f, scanned)]
    unassessed = [f for f in errors if f.status == "not_assessable" and f.rule_id not in CONTEXT_RULES]
    caveats = [f for f in errors if f.status == "not_assessable" and f.rule_id in CONTEXT_RULES]
    if fails:
        return Verdict("non_compliant", _reasons(fails, "") + _reasons(ocr_fails, OCR_PREFIX)
                       + _reasons(unassessed, "无法判断：", strip=True))
    if parse_status in UNREADABLE_STATUSES:
        return Verdict("needs_review", unreadable_reasons(parse_status, problems))
    if ocr_fails or unassessed:
        return Verdict("needs_review", _reasons(ocr_fails, OCR_PREFIX) + _reasons(unassessed, "无法判断：", strip=True)
                       + _reasons(caveats, CAVEAT, strip=True))
    return Verdict("compliant", _reasons(caveats, CAVEAT, strip=True))


def rests_on_ocr(finding: FindingLike, scanned: bool = False) -> bool:
    """Whether a finding rests on what OCR recognised from a scan: its cells' locators say OCR, or it names
    no printed cell at all (a section or row not found, a fact of the text) in a report that was read (partly)
    by OCR (``scanned``). A fail that rests on OCR is 待核实 — the original must be looked at — never 不合规."""
    locators = getattr(finding, "locators", ()) or ()
    return any(OCR_MARK in where for where in locators) or (scanned and not locators)


def missing_verdict(finding: FindingLike, waived: Collection[str] = ()) -> Verdict:
    """The verdict on a registered body's year with no report (a REG-MISSING finding): 不合规 once the
    deadline has passed (unless waived), 待核实 before it or when the deadline is unknown."""
    if finding.status == "fail" and finding.fingerprint not in waived:
        return Verdict("non_compliant", (finding.message,))
    if finding.status == "fail":
        return Verdict("compliant", ())
    return Verdict("needs_review", (_message(finding.message, strip=True),))


def unreadable_reasons(parse_status: str, problems: Sequence[str]) -> tuple[str, ...]:
    """Why a file that could not be read is 待核实 (its first problems quoted)."""
    head = "文件格式不受支持，未能检查" if parse_status == "unsupported" else "文件无法读取，未能检查"
    return (head + (f"：{problems[0]}" if problems else ""), *problems[1:3])


def _reasons(findings: Sequence[FindingLike], prefix: str, strip: bool = False) -> tuple[str, ...]:
    return tuple(f"{prefix}{f.rule_id} {_message(f.message, strip)}" for f in sorted(findings, key=_rule_id))


def _rule_id(finding: FindingLike) -> str:
    return finding.rule_id


def _message(message: str, strip: bool) -> str:
    """The finding's own message; a not-assessable one loses its leading 无法判断：(the prefix says it)."""
    return message.removeprefix("无法判断：") if strip else message


def verdict_counts(verdicts: Iterable[Verdict]) -> dict[str, int]:
    """How many reports got each verdict (every verdict present, zero included)."""
    counts = dict.fromkeys(VERDICTS, 0)
    for v in verdicts:
        counts[v.verdict] += 1
    return counts
