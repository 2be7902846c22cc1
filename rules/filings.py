"""REG-MISSING: registered bodies with no report for a year (pure Python; needs the register)."""
from __future__ import annotations

from datetime import date

from rules.catalogue import catalogue
from rules.facts import Facts, deadline
from rules.findings import Finding, fingerprint
from rules.register import Body

RULE = "REG-MISSING"


def missing_filings(bodies: list[Body], facts: list[Facts], years: set[int], today: date | None = None) -> list[Finding]:
    """One finding per (registered body, year) with no report: ``fail`` once the body's publication
    deadline has passed, ``not_assessable`` before it."""
    today = today or date.today()
    filed = {(f.get("body_id"), f.get("year")) for f in facts}
    out = []
    for year in sorted(years):
        for body in bodies:
            if (body.body_id, year) not in filed:
                out.append(_missing(body, year, today))
    return out


def _missing(body: Body, year: int, today: date) -> Finding:
    rule = catalogue()[RULE]
    limit = deadline(RULE, body.kind, year)
    overdue = limit is not None and today > limit
    if overdue:
        message = f"机关名录中的“{body.name}”（{body.body_id}）未发现 {year} 年度报告（公布期限 {limit.isoformat()} 已过）"
    else:
        message = f"“{body.name}”（{body.body_id}）尚未发现 {year} 年度报告，公布期限未到或未知"
    fp = fingerprint(RULE, body.name, year, (), {"body_id": body.body_id})
    return Finding(report_id=f"missing:{body.body_id}:{year}", rule_id=RULE,
                   status="fail" if overdue else "not_assessable", severity=rule.severity, message=message,
                   fingerprint=fp, body=body.name, year=year, title=rule.title, body_id=body.body_id)
