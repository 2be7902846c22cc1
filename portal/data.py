"""What the portal reads from the warehouse: one read-only snapshot of the latest completed run.

Everything here is plain data (dataclasses of str / int / float). Every string comes from the database and
is untrusted: the renderers escape it, and file names are derived through ``portal.names``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from portal.names import assign_slugs
from warehouse import db

UNASSIGNED = "（未归属区县）"
SERIES_CELLS = ("t3.new.total", "t3.granted.total", "t3.partial.total", "t3.result_total.total")
PREV = "prev."                  # a cross-report cell: the same cell of the body's previous-year report
TABLE_CELL = re.compile(r"(prev\.)?t[234]\.")
SEVERITY_ORDER = {"error": 0, "warning": 1}
STATUS_ORDER = {"fail": 0, "not_assessable": 1, "not_applicable": 2, "pass": 3}


@dataclass(frozen=True)
class Run:
    run_id: str
    started_at: datetime | None
    finished_at: datetime | None
    n_reports: int | None
    docs_path: str | None
    catalogue: str | None


@dataclass(frozen=True)
class Cell:
    cell_id: str
    state: str | None
    value: float | None
    raw: str | None
    locator: str | None


@dataclass(frozen=True)
class Finding:
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


@dataclass
class Report:
    report_id: str
    body_key: str
    body_name: str | None
    year: int | None
    edition: str | None
    source_path: str | None
    source_format: str | None
    parse_status: str | None
    problems: tuple[str, ...]
    ingested_at: datetime | None
    body_kind: str | None = None
    findings: list[Finding] = field(default_factory=list)
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def open_fails(self) -> list[Finding]:
        return sorted((f for f in self.findings if f.is_open), key=lambda f: f.sort_key)

    @property
    def non_compliant(self) -> bool:
        """Has an open error-level fail in the latest run."""
        return any(f.severity == "error" for f in self.open_fails)


@dataclass
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

    @property
    def kind_shown(self) -> str | None:
        """The register's kind, else the kind the latest report states."""
        return self.kind or next((r.body_kind for r in reversed(self.reports) if r.body_kind), None)

    def gap_years(self) -> list[int]:
        return sorted({f.year for f in self.gaps if f.year is not None})

    def reports_of(self, year: int | None) -> list[Report]:
        return [r for r in self.reports if r.year == year]

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
        return any(r.non_compliant for r in self.reports_of(year))

    @property
    def non_compliant(self) -> bool:
        """Some report, or a finding without a report (a missing filing), has an open error-level fail."""
        return any(f.severity == "error" for _, f in self.open_fails)

    @property
    def open_fails(self) -> list[tuple[Report | None, Finding]]:
        """Open fails by year: each report's (``report`` set), then those without a report (``None``)."""
        years = sorted({r.year for r in self.reports} | {f.year for f in self.gaps}, key=_year_order)
        return [pair for y in years for pair in
                [(r, f) for r in self.reports_of(y) for f in r.open_fails]
                + [(None, f) for f in self.gaps_of(y) if f.is_open]]


@dataclass(frozen=True)
class County:
    key: str | None
    name: str


@dataclass
class Snapshot:
    """The latest completed run as the portal shows it."""

    run: Run | None
    bodies: dict[str, Body]
    counties: dict[str | None, County]
    registered: bool

    @cached_property
    def reports(self) -> list[Report]:
        """Every report of the latest run (computed once: the snapshot is not changed after loading)."""
        return [r for b in self.bodies.values() for r in b.reports]

    @cached_property
    def _years(self) -> list[int]:
        return sorted({r.year for r in self.reports if r.year is not None})

    def years(self) -> list[int]:
        """The report years of the latest run."""
        return list(self._years)

    def county_of(self, body: Body) -> County:
        return self.counties.get(body.county) or self.counties[None]


def load(db_path: Path) -> Snapshot:
    """Read the latest completed run (reports, findings with review decisions, the cells they cite and the
    yearly series) and the register, through one read-only connection."""
    con = db.connect(Path(db_path), read_only=True)
    try:
        return _snapshot(con)
    finally:
        con.close()


def _snapshot(con: duckdb.DuckDBPyConnection) -> Snapshot:
    register = _rows(con, "SELECT body_id, name, kind, parent_id FROM bodies ORDER BY body_id")
    run = _latest_run(con)
    bodies = {f"id:{r['body_id']}": _registered(r) for r in register}
    if run is not None:
        reports = _reports(con, run.run_id)
        gaps = _attach_findings(con, run.run_id, reports)
        _attach_cells(con, run.run_id, reports)
        for report in reports.values():
            _body_for(bodies, report.body_key, report.body_name).reports.append(report)
        for finding in gaps:
            _body_for(bodies, _gap_key(bodies, finding), finding.body_name).gaps.append(finding)
    for body in bodies.values():
        body.reports.sort(key=_report_order)
    slugs = assign_slugs({k: _slug_source(b) for k, b in bodies.items()})
    for key, body in bodies.items():
        body.slug = slugs[key]
    return Snapshot(run, bodies, _counties(register, bodies), bool(register))


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _latest_run(con: duckdb.DuckDBPyConnection) -> Run | None:
    rows = _rows(con, "SELECT r.run_id, r.started_at, r.finished_at, r.n_reports, r.docs_path, r.catalogue "
                      "FROM runs r JOIN latest_run l USING (run_id)")
    return Run(**rows[0]) if rows else None


def _registered(row: dict[str, Any]) -> Body:
    return Body(key=f"id:{row['body_id']}", body_id=row["body_id"], name=row["name"] or row["body_id"],
                kind=row["kind"], county=row["parent_id"], registered=True)


def _reports(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Report]:
    rows = _rows(con, """
        SELECT r.*, f.body_id AS run_body_id
        FROM reports r
        JOIN (SELECT report_id, any_value(body_id) AS body_id FROM findings WHERE run_id = ? GROUP BY report_id) f
          USING (report_id)
        ORDER BY r.year, r.report_id""", [run_id])
    return {row["report_id"]: _report(row) for row in rows}


def _report(row: dict[str, Any]) -> Report:
    body_id = row["run_body_id"] or row["body_id"]
    key = f"id:{body_id}" if body_id else f"name:{row['body_name'] or ''}"
    return Report(report_id=row["report_id"], body_key=key, body_name=row["body_name"], year=row["year"],
                  edition=row["edition"], source_path=row["source_path"], source_format=row["source_format"],
                  parse_status=row["parse_status"], problems=tuple(row["problems"] or ()),
                  ingested_at=row["ingested_at"], body_kind=row.get("body_kind"))


def _attach_findings(con: duckdb.DuckDBPyConnection, run_id: str, reports: dict[str, Report]) -> list[Finding]:
    """Attach each finding to its report; return those without a stored report (missing filings)."""
    gaps = []
    rows = _rows(con, """
        SELECT f.report_id, f.rule_id, f.status, f.severity, f.message, f.cell_ids, f.expected, f.observed,
               f.locators, f.fingerprint, f.year, f.body_id, f.body_name,
               v.decision, v.reason, v.reviewer, v.decided_at
        FROM findings f LEFT JOIN latest_reviews v USING (fingerprint)
        WHERE f.run_id = ? ORDER BY f.report_id, f.rule_id""", [run_id])
    for row in rows:
        for name in ("cell_ids", "expected", "observed", "locators"):
            row[name] = tuple(row[name] or ())
        report = reports.get(row["report_id"])
        if report is not None:
            report.findings.append(Finding(**row))
        else:
            gaps.append(Finding(**row))
    return gaps


def _attach_cells(con: duckdb.DuckDBPyConnection, run_id: str, reports: dict[str, Report]) -> None:
    cited = {c for r in reports.values() for f in r.findings if f.status == "fail" for c in f.cell_ids}
    wanted = set(SERIES_CELLS) | cited | {c[len(PREV):] for c in cited if c.startswith(PREV)}
    if not wanted:
        return
    rows = _rows(con, """
        SELECT c.report_id, c.cell_id, c.state, c.value, c.raw, c.locator
        FROM cells c
        WHERE c.report_id IN (SELECT DISTINCT report_id FROM findings WHERE run_id = ?)
          AND list_contains(?, c.cell_id)""", [run_id, sorted(wanted)])
    for row in rows:
        report = reports.get(row.pop("report_id"))
        if report is not None:
            report.cells[row["cell_id"]] = Cell(**row)


def _body_for(bodies: dict[str, Body], key: str, printed: str | None) -> Body:
    body = bodies.get(key)
    if body is None:
        body_id = key[3:] if key.startswith("id:") else None
        body = Body(key=key, body_id=body_id, name=printed or "（未识别机关）", kind=None, county=None,
                    registered=False)
        bodies[key] = body
    return body


def _gap_key(bodies: dict[str, Body], finding: Finding) -> str:
    """A finding without a report belongs to its body_id, else to the registered body of that exact name."""
    if finding.body_id:
        return f"id:{finding.body_id}"
    named = [b.key for b in bodies.values() if b.registered and b.name == finding.body_name]
    return named[0] if len(named) == 1 else f"name:{finding.body_name or ''}"


def _slug_source(body: Body) -> tuple[str, str]:
    """(text, prefix): a registered id names its page; an unregistered name is hashed."""
    if body.body_id is not None:
        return body.body_id, "b"
    return "u-" + hashlib.sha256(body.key.encode("utf-8")).hexdigest()[:16], "u"


def _counties(register: list[dict[str, Any]], bodies: dict[str, Body]) -> dict[str | None, County]:
    names = {r["body_id"]: r["name"] for r in register}
    keys = {b.county for b in bodies.values() if b.county is not None}
    counties: dict[str | None, County] = {k: County(k, names.get(k) or k) for k in sorted(keys)}
    counties[None] = County(None, UNASSIGNED)
    return counties


def _year_order(year: int | None) -> int:
    return year if year is not None else 99999


def _report_order(report: Report) -> tuple[int, str, str]:
    return (_year_order(report.year), str(report.ingested_at or ""), report.report_id)
