"""What the rest of the pipeline reads from the harvests (pure functions over the warehouse's evidence).

* ``site_outcomes(db)`` — per (body, year) what the body's website showed, for REG-MISSING
  (``rules.filings.missing_filings(..., harvest=site_outcomes(db))``);
* ``page_dates(db)`` and ``with_page_dates(facts, dates)`` — REG-LATE: a harvested report whose document
  prints no publication date is judged by the date printed on the page it was published on. Call it after
  the facts are matched to the register (``rules.facts.with_register`` fixes the body's kind, hence its
  deadline, and recomputes ``published_on_time`` from the document when the kind changes).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rules.facts import Facts, deadline
from rules.filings import SiteOutcome
from warehouse import fetches


def site_outcomes(db: Path) -> dict[tuple[str, int], SiteOutcome]:
    """(body_id, year) → found / not_found / unreachable, from the latest harvest that looked (empty when the
    warehouse holds no harvest: REG-MISSING then behaves as without harvesting)."""
    return {key: SiteOutcome(status, detail) for key, (status, detail) in fetches.site_outcomes(db).items()}


def page_dates(db: Path) -> dict[str, date]:
    """report_id (the file's sha256) → the publication date printed on its web page."""
    return fetches.page_dates(db)


@dataclass(frozen=True)
class HarvestEvidence:
    """What a run needs from the harvests, read at once: per (body, year) the site outcome (REG-MISSING),
    per report its page's date (REG-LATE), and a signature of both (empty when nothing was harvested)."""

    outcomes: dict[tuple[str, int], SiteOutcome]
    page_dates: dict[str, date]

    @property
    def signature(self) -> str:
        """Part of a run's signature: findings are not carried over from a run that saw other evidence
        (a site unreachable then and reached now, a page date learnt since)."""
        if not self.outcomes and not self.page_dates:
            return ""
        digest = hashlib.sha256()
        for key, outcome in sorted(self.outcomes.items()):
            digest.update(f"{key}:{outcome.status};".encode())
        for report_id, day in sorted(self.page_dates.items()):
            digest.update(f"{report_id}:{day};".encode())
        return "harvest:" + digest.hexdigest()[:16]


def read(db: Path) -> HarvestEvidence:
    """The harvests' evidence for a run (empty when the warehouse holds no harvest)."""
    outcomes, dates = fetches.run_evidence(db)
    return HarvestEvidence({key: SiteOutcome(status, detail) for key, (status, detail) in outcomes.items()}, dates)


def harvested_folder(db: Path) -> Path:
    """Where harvests place the report files for ingest (beside the warehouse)."""
    return Path(db).parent / "harvested"


def with_page_dates(facts: list[Facts], dates: Mapping[str, date]) -> int:
    """Give each report whose document prints no publication date the date printed on its web page
    (``published_on``, ``published_on_source = "page"``) and judge REG-LATE on it. In place; returns how
    many reports got a page date. A date the document prints always wins. Idempotent: call it at ingest
    (so the ``reports`` row gets the date) and again once the register fixed each body's kind."""
    given = 0
    for f in facts:
        page_date = dates.get(str(f.get("report_id")))
        if page_date is None or (f.get("published_on") is not None and f.get("published_on_source") != "page"):
            continue
        f["published_on"], f["published_on_source"] = page_date, "page"
        f["published_on_time"], f["published_on_time__detail"] = on_time_by_page(page_date, f.get("body_kind"),
                                                                                 f.get("year"))
        given += 1
    return given


def on_time_by_page(published: date, kind: str | None, year: int | None) -> tuple[bool | None, str]:
    """REG-LATE's fact from the page's date (the same deadlines as ``rules.facts.published_on_time``)."""
    if year is None:
        return None, "未识别报告年度，无法判断是否按期公布"
    limit = deadline("REG-LATE", kind, int(year))
    if limit is None:
        return None, "机关类别未知，无法确定公布期限"
    on_time = published <= limit
    return on_time, "" if on_time else \
        f"报告所在网页的发布日期为 {published.isoformat()}（报告正文未印发布日期），晚于 {limit.isoformat()} 的公布期限"
