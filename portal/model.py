"""The portal's plain data: runs, reports, bodies, findings and cells as loaded from the warehouse
(``portal.data`` loads them). Every string comes from the database and is untrusted: the renderers escape it.
"""
from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from portal.counties import level
from portal.verdicts import worst
from rules.verdicts import VERDICTS

SERIES_CELLS = ("t3.new.total", "t3.granted.total", "t3.partial.total", "t3.result_total.total")
PREV = "prev."                  # a cross-report cell: the same cell of the body's previous-year report
TABLE_CELL = re.compile(r"(prev\.)?t[234]\.")
SEVERITY_ORDER = {"error": 0, "warning": 1}
_RANK = {v: i for i, v in enumerate(VERDICTS)}     # ``worst`` as ranks: the first of VERDICTS counts
_UNRANKED = len(VERDICTS)
STATUS_ORDER = {"fail": 0, "not_assessable": 1, "not_applicable": 2, "pass": 3}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a build runs. A build makes some hundred thousand
    objects that live until it ends (and no reference cycles to speak of): each collection they trigger
    would walk every object of the process — pandas, DuckDB, lxml… — which costs a 10,000-report rebuild
    about a fifth of its time. Reference counting still frees everything as usual; the collector is
    re-enabled (when it was) on the way out."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class once:  # noqa: N801 - used like functools.cached_property
    """``functools.cached_property`` without its lock (Python 3.11 takes it on each first access, which
    adds up over tens of thousands of objects). The snapshot is built and read by one thread."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn, self.name, self.__doc__ = fn, fn.__name__, fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


@dataclass(frozen=True)
class Run:
    run_id: str
    started_at: datetime | None
    finished_at: datetime | None
    n_reports: int | None
    docs_path: str | None
    catalogue: str | None
    years: tuple[int, ...] | None = None       # the years the run checked (None: every year present)
    docs_run: str | None = None                # the run whose Data Docs ``docs_path`` is (None: this one)


class Cell(NamedTuple):
    """One stored table cell (immutable; a tuple, so that thousands are built cheaply)."""

    cell_id: str
    state: str | None
    value: float | None
    raw: str | None
    locator: str | None


class Finding(NamedTuple):
    """One finding of the latest run with its latest review (immutable)."""

    report_id: str
    rule_id: str
    status: str
    severity: str
    message: str | None
    cell_ids: tuple[str, ...]
    expected: tuple[float, ...]
    observed: tuple[float, ...]
    locators: tuple[str, ...]
    fingerprint: str
    year: int | None = None
    body_id: str | None = None
    body_name: str | None = None
    decision: str | None = None
    reason: str | None = None
    reviewer: str | None = None
    decided_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """A fail whose latest review is not a waiver."""
        return self.status == "fail" and self.decision != "waived"

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return STATUS_ORDER.get(self.status, 9), SEVERITY_ORDER.get(self.severity, 9), self.rule_id


@dataclass(eq=False)
class Report:
    """A report of the latest run.

    ``findings`` holds the findings the pages spell out: its fails, and (once its details are read) those
    “not assessable”. The rules it passed or that did not apply are only named: ``quiet`` maps ``pass`` and
    ``not_applicable`` to their rule ids (ordered by severity, then id). ``cells`` holds the stored cells
    its fails cite (and those the next year's fails cite as ``prev.``), ``series`` the numbers of the yearly
    charts (``SERIES_CELLS`` whose state is ``number``).

    The details — ``source_format``, ``parse_status``, ``problems``, ``body_kind``, ``published_on``,
    ``quiet``, ``series``, ``cells`` and the “not assessable” findings — only a body's own page and its 整改通知
    draft show; ``detailed`` says whether they were read (``load`` reads them; ``load(details=False)`` leaves
    them to ``Snapshot.read_details``). ``edition`` is always read (the overview names it).

    ``digest`` changes whenever anything shown of the report changes: it is computed in the database from the
    report's id (the sha256 of its bytes), when it was stored, a hash of its stored columns, the digest of the
    run's findings of it (every column; ``warehouse.digests``, stored with the run) and a hash of the latest
    review of each of them that has one (``portal.data._reports``). Its cells are not
    read for it: the warehouse stores a report's cells once, with the report, and never rewrites them
    (``reports`` and ``cells`` only grow; a report stored again gets a new ``ingested_at``)."""

    report_id: str
    body_key: str
    body_name: str | None
    year: int | None
    source_path: str | None
    digest: str = ""
    detailed: bool = False
    edition: str | None = None
    source_format: str | None = None
    parse_status: str | None = None
    problems: tuple[str, ...] = ()
    body_kind: str | None = None
    published_on: date | None = None
    verdict: str = "needs_review"                # non_compliant / needs_review / compliant (portal.verdicts)
    reasons: tuple[str, ...] = ()
    findings: list[Finding] = field(default_factory=list)
    cells: dict[str, Cell] = field(default_factory=dict)
    quiet: dict[str, tuple[str, ...]] = field(default_factory=dict)
    series: dict[str, float] = field(default_factory=dict)

    def drop_details(self) -> None:
        """Forget the details (see above; ``edition`` stays): a build that renders many pages reads them a
        group of bodies at a time and lets each group's go (``Snapshot.in_groups``)."""
        self.source_format = self.parse_status = self.body_kind = self.published_on = None
        self.problems, self.quiet, self.series, self.cells = (), {}, {}, {}
        self.findings = [f for f in self.findings if f.status == "fail"]
        self.detailed = False

    @once
    def open_fails(self) -> list[Finding]:
        """Open fails, by status, severity, rule (computed once: a loaded snapshot is not changed)."""
        fails = [f for f in self.findings if f.status == "fail" and f.decision != "waived"]
        return sorted(fails, key=lambda f: f.sort_key) if len(fails) > 1 else fails

    @once
    def non_compliant(self) -> bool:
        """Its verdict is 不合规: an open error-level fail on what was read (a fail that rests on OCR makes
        it 待核实 instead — ``rules.verdicts``)."""
        return self.verdict == "non_compliant"


@dataclass(eq=False)
class Body:
    key: str
    body_id: str | None
    name: str
    kind: str | None
    county: str | None
    registered: bool
    slug: str = ""
    reports: list[Report] = field(default_factory=list)
    gaps: list[Finding] = field(default_factory=list)   # findings without a report (e.g. REG-MISSING)

    def years(self) -> list[int]:
        return sorted({r.year for r in self.reports if r.year is not None})

    @once
    def digest(self) -> str:
        """Changes whenever anything stored about the body, its reports or its findings changes (its county's
        name aside)."""
        return _digest((self.key, self.body_id, self.name, self.kind, self.county, self.registered, self.slug,
                        [r.digest for r in self.reports], [tuple(f) for f in self.gaps]))

    @property
    def kind_shown(self) -> str | None:
        """The register's kind, else the kind the latest report states."""
        return self.kind or next((r.body_kind for r in reversed(self.reports) if r.body_kind), None)

    def gap_years(self) -> list[int]:
        return sorted({f.year for f in self.gaps if f.year is not None})

    def reports_of(self, year: int | None) -> tuple[Report, ...]:
        return self._by_year.get(year, ())

    @once
    def _by_year(self) -> dict[int | None, tuple[Report, ...]]:
        """Reports by year (computed once: a loaded snapshot is not changed)."""
        out: dict[int | None, list[Report]] = {}
        for report in self.reports:
            out.setdefault(report.year, []).append(report)
        return {year: tuple(reports) for year, reports in out.items()}

    def cell(self, report: Report | None, cell_id: str) -> tuple[Cell | None, str]:
        """The stored cell a finding cites, and where it comes from: ``prev.<id>`` is read from this body's
        previous-year report; an id that is no table cell (e.g. a similarity score) is derived."""
        if not TABLE_CELL.match(cell_id):
            return None, "派生指标，不是年报中的单元格"
        if report is None:
            return None, ""
        if not cell_id.startswith(PREV):
            return report.cells.get(cell_id), ""
        for prev in self.reports_of(report.year - 1) if report.year is not None else []:
            if cell_id[len(PREV):] in prev.cells:
                return prev.cells[cell_id[len(PREV):]], f"上年报告 {prev.source_path or prev.report_id}"
        return None, "上年报告"

    def gaps_of(self, year: int | None) -> list[Finding]:
        return sorted((f for f in self.gaps if f.year == year), key=lambda f: f.sort_key)

    def non_compliant_in(self, year: int | None) -> bool:
        """A report of ``year`` has an open error-level fail."""
        return year in self._non_compliant_years

    @once
    def _non_compliant_years(self) -> frozenset[int | None]:
        return frozenset(r.year for r in self.reports if r.non_compliant)

    @once
    def non_compliant(self) -> bool:
        """Some report, or a missing filing, is 不合规 (only such bodies get a 整改通知 draft)."""
        return self.verdict == "non_compliant"

    def verdict_in(self, year: int | None) -> str | None:
        """The verdict of the body's reports (and missing filings) of ``year``: the worst of them; None when
        there is neither."""
        return self._verdicts.get(year)

    @once
    def verdict(self) -> str | None:
        """The worst verdict of all its reports and missing filings (None: nothing of it was checked;
        worked out once, like ``_verdicts``: a loaded snapshot is not changed)."""
        return worst(list(self._verdicts.values()))

    @once
    def _verdicts(self) -> dict[int | None, str | None]:
        """Per year, ``worst`` of its reports' verdicts and missing filings' (kept as the best rank so far,
        ``_UNRANKED`` for a year with none ``worst`` knows: None)."""
        by_year: dict[int | None, int] = {}
        for report in self.reports:
            rank = _RANK.get(report.verdict, _UNRANKED)
            if by_year.get(report.year, _UNRANKED + 1) > rank:
                by_year[report.year] = rank
        for f in self.gaps:
            if f.severity == "error" and f.decision != "waived" and f.status in ("fail", "not_assessable"):
                rank = _RANK["non_compliant" if f.status == "fail" else "needs_review"]
                if by_year.get(f.year, _UNRANKED + 1) > rank:
                    by_year[f.year] = rank
        return {year: VERDICTS[rank] if rank < _UNRANKED else None for year, rank in by_year.items()}

    def missing_in(self, year: int | None) -> Finding | None:
        """The open finding that says the body did not publish a report of ``year`` (REG-MISSING)."""
        return self._missing.get(year) if self.gaps and not self.reports_of(year) else None

    @once
    def _missing(self) -> dict[int | None, Finding]:
        """Per year, the first (``gaps_of`` order) of its findings without a report that is open or could
        not be decided (computed once: a loaded snapshot is not changed)."""
        out: dict[int | None, Finding] = {}
        for f in sorted(self.gaps, key=lambda f: f.sort_key):
            if f.year not in out and f.status in ("fail", "not_assessable") and f.decision != "waived":
                out[f.year] = f
        return out

    @once
    def open_fails(self) -> list[tuple[Report | None, Finding]]:
        """Open fails by year: each report's (``report`` set), then those without a report (``None``).
        Computed once: a loaded snapshot is not changed."""
        if not self.gaps and not any(r.open_fails for r in self.reports):
            return []
        years = sorted({r.year for r in self.reports} | {f.year for f in self.gaps}, key=_year_order)
        return [pair for y in years for pair in
                [(r, f) for r in self.reports_of(y) for f in r.open_fails]
                + [(None, f) for f in self.gaps_of(y) if f.is_open]]


@dataclass(frozen=True)
class County:
    key: str | None
    name: str

    @property
    def level(self) -> str:
        """``county`` (ranked among counties), ``city`` (市本级) or ``none`` (unassigned)."""
        return level(self.key)


def _digest(parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _year_order(year: int | None) -> int:
    return year if year is not None else 99999
