"""REG-MISSING: registered bodies with no report for a year (pure Python; needs the register).

《政府信息公开条例》第四十九条: each body publishes its annual report by its deadline. When the reports were
harvested from the bodies' own websites (``xxgk harvest``), what the harvest saw decides what "no report"
means: the site was reached and the year's report is not there → ``fail`` (once the deadline has passed);
the site could not be reached (or robots.txt forbade it) → ``not_assessable`` with the reason, so the body
is listed as 待核实, never as 不合规 on a network fault.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from rules.catalogue import catalogue
from rules.facts import Facts, deadline
from rules.findings import Finding, fingerprint
from rules.register import Body

RULE = "REG-MISSING"
SEARCHED = ("not_found", "found", "unreachable")


@dataclass(frozen=True)
class SiteOutcome:
    """What the harvest found for one (body, year) on the body's website.

    ``status``: ``not_found`` (every source reached; no report of the year there), ``found`` (a report of
    the year was fetched: it is on the site), ``unreachable`` (a source could not be fetched or checked —
    network failure, server error, robots.txt — so absence cannot be established). ``detail``: the reason
    or the URLs, in Chinese, quoted in the finding."""

    status: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in SEARCHED:
            raise ValueError(f"SiteOutcome.status must be one of {SEARCHED}, not {self.status!r}")


def missing_filings(bodies: list[Body], facts: list[Facts], years: set[int], today: date | None = None,
                    harvest: Mapping[tuple[str, int], SiteOutcome] | None = None) -> list[Finding]:
    """One finding per (registered body, year) with no report: ``fail`` once the body's publication
    deadline has passed, ``not_assessable`` before it. With ``harvest`` (body id, year → what the body's
    website showed), a body-year whose site could not be reached, or whose harvested report could not be
    read as that body's report of that year, is ``not_assessable`` (the reason says which)."""
    today = today or date.today()
    filed = {(f.get("body_id"), f.get("year")) for f in facts}
    seen = harvest or {}
    out = []
    for year in sorted(years):
        for body in bodies:
            if (body.body_id, year) not in filed:
                out.append(_missing(body, year, today, seen.get((body.body_id, year))))
    return out


def _missing(body: Body, year: int, today: date, site: SiteOutcome | None = None) -> Finding:
    rule = catalogue()[RULE]
    limit = deadline(RULE, body.kind, year)
    overdue = limit is not None and today > limit
    who = f"“{body.name}”（{body.body_id}）"
    status = "fail" if overdue else "not_assessable"
    if site is not None and site.status == "unreachable":
        status = "not_assessable"
        message = f"无法判断：{who}的网站未能访问，无法核实 {year} 年度报告是否公开（{site.detail}）"
    elif site is not None and site.status == "found":
        status = "not_assessable"
        message = (f"无法判断：已在{who}网站上找到 {year} 年度报告，但未能从中读出该机关该年度的报告，"
                   f"请人工核对（{site.detail}）")
    elif overdue:
        where = f"；已检索其网站 {site.detail}" if site is not None and site.detail else \
            ("；已检索其网站" if site is not None else "")
        message = f"机关名录中的{who}未发现 {year} 年度报告（公布期限 {limit.isoformat()} 已过{where}）"
    else:
        message = f"{who}尚未发现 {year} 年度报告，公布期限未到或未知"
    fp = fingerprint(RULE, body.name, year, (), {"body_id": body.body_id})
    return Finding(report_id=f"missing:{body.body_id}:{year}", rule_id=RULE, status=status,
                   severity=rule.severity, message=message, fingerprint=fp, body=body.name, year=year,
                   title=rule.title, body_id=body.body_id)
