"""What the portal reads from the warehouse: one read-only snapshot of the latest completed run.

Everything here is plain data (dataclasses and named tuples of str / int / float). Every string comes from
the database and is untrusted: the renderers escape it, and file names are derived through ``portal.names``.

Built for warehouses of many thousand reports: passes are never loaded one by one (a report's passed rules
come as a bit set aggregated in the database, the rule pages' counts as one ``GROUP BY``), and what only a
body's own page shows is read for the bodies whose page is rendered (``Snapshot.read_details``). Each report
and body carries a digest of what the pages show of it, so that a rebuild renders only what changed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from portal.counties import UNASSIGNED, county_keys, county_names
from portal.model import (PREV, SERIES_CELLS, SEVERITY_ORDER, STATUS_ORDER, TABLE_CELL, Body, Cell, County, Finding,
                          Report, Run, _year_order, collector_paused, once)
from portal.names import assign_slugs
from portal.verdicts import ProblemFile, ReportVerdict, load_problem_files, load_verdicts
from warehouse import db, digests

__all__ = ["UNASSIGNED", "PREV", "SERIES_CELLS", "SEVERITY_ORDER", "STATUS_ORDER", "TABLE_CELL", "QUIET", "Snapshot",
           "Body", "Report", "Finding", "Cell", "County", "Run", "load", "collector_paused", "once", "_year_order"]

GROUP = 2500                                # bodies whose details a build holds at once (``in_groups``)


@dataclass(eq=False)
class Snapshot:
    """The latest completed run as the portal shows it.

    ``rule_status`` counts every finding of the run by rule and status (passes included: they are counted in
    the database, not loaded one by one)."""

    run: Run | None
    bodies: dict[str, Body]
    counties: dict[str | None, County]
    registered: bool
    rule_status: dict[str, dict[str, int]] = field(default_factory=dict)
    source: Path | None = None                                   # the warehouse it was read from
    quiet_pairs: list[tuple[str, str]] = field(default_factory=list)   # (rule, severity) pairs of the run
    problem_files: list[ProblemFile] = field(default_factory=list)  # files of the run not read in full
    verdicts: dict[str, ReportVerdict] = field(default_factory=dict)   # report id → verdict (with files)
    harvest: dict | None = None                                  # the latest harvest's summary (xxgk harvest)
    withdrawn: list[dict] = field(default_factory=list)          # reports whose file is gone (withdrawn_reports)

    def read_details(self, bodies: Iterable[Body]) -> None:
        """Read the details of the reports of ``bodies`` not read yet (see ``Report``), in one query."""
        self._read_reports([r for b in bodies for r in b.reports if not r.detailed])

    def in_groups(self, bodies: Iterable[Body], wanted: Callable[[Body], bool] = lambda body: True,
                  size: int | None = None, also: Iterable[Body] = ()) -> Iterator[list[Body]]:
        """``bodies`` a group of ``size`` at a time, with the details of the group's ``wanted`` bodies read;
        the details read for a group are dropped when the next group is asked for (so that a build that
        renders every page holds one group's details, not all; ``size`` defaults to ``GROUP``). The details
        of ``also`` (bodies a later pass needs) are read with the first group's, in the same query, and kept."""
        bodies, con, size = list(bodies), None, size or GROUP
        kept = {id(r) for b in also for r in b.reports}
        extra = [r for b in also for r in b.reports if not r.detailed]
        try:
            for start in range(0, len(bodies), size):
                group = bodies[start:start + size]
                fresh = [r for b in group if wanted(b) for r in b.reports if not r.detailed]
                read = {id(r) for r in fresh}
                todo, extra = [*fresh, *(r for r in extra if not r.detailed and id(r) not in read)], []
                if todo and self.run is not None and self.source is not None:
                    con = con or db.connect(self.source, read_only=True)
                    _details(con, self, todo)
                try:
                    yield group
                finally:
                    for report in fresh:
                        if id(report) not in kept:
                            report.drop_details()
        finally:
            if con is not None:
                con.close()

    def _read_reports(self, todo: list[Report]) -> None:
        if not todo or self.run is None or self.source is None:
            return
        con = db.connect(self.source, read_only=True)
        try:
            _details(con, self, todo)
        finally:
            con.close()

    @once
    def reports(self) -> list[Report]:
        """Every report of the latest run (computed once: the snapshot is not changed after loading)."""
        return [r for b in self.bodies.values() for r in b.reports]

    @once
    def _gap_years(self) -> frozenset[int]:
        return frozenset(f.year for b in self.bodies.values() for f in b.gaps if f.year is not None)

    @once
    def _years(self) -> list[int]:
        scope = set(self.run.years or ()) if self.run is not None else set()
        return sorted({r.year for r in self.reports if r.year is not None} | self._gap_years | scope)

    def years(self) -> list[int]:
        """The years the overview shows: the years the run checked (``runs.years``) when recorded, and the
        years of its reports and of its missing filings."""
        return list(self._years)

    def in_scope(self, year: int | None) -> bool:
        """The run checked ``year`` for missing filings: a year of ``runs.years`` (when recorded), else a
        year with a missing-filing finding (a year with neither report nor such a finding was not checked)."""
        if self.run is not None and self.run.years is not None:
            return year in self.run.years
        return year in self._gap_years

    def county_of(self, body: Body) -> County:
        return self.counties.get(body.county) or self.counties[None]

    def rule_ids(self) -> set[str]:
        """Every rule id with a finding in the run."""
        return set(self.rule_status)

    @once
    def fails_by_rule(self) -> dict[str, list[tuple[Body, Report | None, Finding]]]:
        """Every fail of the run (open or waived) by rule, with its body and report (None: no report)."""
        out: dict[str, list[tuple[Body, Report | None, Finding]]] = {}
        for body in self.bodies.values():
            for report in body.reports:
                for f in report.findings:
                    if f.status == "fail":
                        out.setdefault(f.rule_id, []).append((body, report, f))
            for f in body.gaps:
                if f.status == "fail":
                    out.setdefault(f.rule_id, []).append((body, None, f))
        return out


def load(db_path: Path, details: bool = True) -> Snapshot:
    """Read the latest completed run (reports, findings with review decisions, the cells they cite and the
    yearly series) and the register, through one read-only connection. With ``details=False`` what only the
    body pages show is left out (``Snapshot.read_details`` reads it for the bodies that need it)."""
    con = db.connect(Path(db_path), read_only=True)
    try:
        snap = _snapshot(con)
        snap.source = Path(db_path)
        if details:
            _details(con, snap, snap.reports)
        return snap
    finally:
        con.close()


def _snapshot(con: duckdb.DuckDBPyConnection) -> Snapshot:
    register = _rows(con, "SELECT body_id, name, kind, parent_id FROM bodies ORDER BY body_id")
    run = _latest_run(con)
    places = county_keys(register)
    bodies = {f"id:{r['body_id']}": _registered(r, places) for r in register}
    verdicts: dict[str, ReportVerdict] = {}
    problem_files: list[ProblemFile] = []
    rule_status: dict[str, dict[str, int]] = {}
    pairs: list[tuple[str, str]] = []
    if run is not None:
        pairs, rule_status = _rule_counts(con, run.run_id)
        reports = _reports(con, run.run_id)
        verdicts = load_verdicts(con, run.run_id)
        problem_files = load_problem_files(con, run.run_id)
        for report_id, report in reports.items():
            found = verdicts.get(report_id)
            report.verdict, report.reasons = (found.verdict, found.reasons) if found else (
                "needs_review", ("未能取得该报告的判定",))
        gaps = _attach_fails(con, run.run_id, reports)
        for report in reports.values():     # in report order (year, ingested_at, report id)
            _body_for(bodies, report.body_key, report.body_name).reports.append(report)
        named = _registered_names(bodies)
        for finding in gaps:
            _body_for(bodies, _gap_key(named, finding), finding.body_name).gaps.append(finding)
    slugs = assign_slugs({k: _slug_source(b) for k, b in bodies.items()})
    for key, body in bodies.items():
        body.slug = slugs[key]
    return Snapshot(run, bodies, _counties(register, bodies), bool(register), rule_status, quiet_pairs=pairs,
                    problem_files=problem_files, verdicts=verdicts, harvest=_latest_harvest(con),
                    withdrawn=_withdrawn(con))


def _rule_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[tuple[str, str]], dict[str, dict[str, int]]]:
    """The run's (rule, severity) pairs, sorted, and its findings counted by rule and status (one pass over
    the run's findings)."""
    rows = con.execute("SELECT rule_id, severity, status, count(*) FROM findings WHERE run_id = ? GROUP BY ALL",
                       [run_id]).fetchall()
    pairs = sorted({(rule_id, severity) for rule_id, severity, _, _ in rows})
    counted: dict[tuple[str, str], int] = {}
    for rule_id, _, status, n in rows:
        counted[rule_id, status] = counted.get((rule_id, status), 0) + n
    rule_status: dict[str, dict[str, int]] = {}
    for (rule_id, status), n in sorted(counted.items()):
        rule_status.setdefault(rule_id, {})[status] = n
    return pairs, rule_status


def _latest_harvest(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The summary the latest harvest recorded (migration 008), or None when nothing was ever harvested."""
    import json

    row = con.execute("SELECT summary FROM harvests ORDER BY harvest_id DESC LIMIT 1").fetchall()
    return json.loads(row[0][0]) if row and row[0][0] else None


def _withdrawn(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Reports whose file a later run no longer found (migration 010), with the report that replaced them."""
    if not con.execute("SELECT count(*) FROM reports WHERE withdrawn_at IS NOT NULL").fetchall()[0][0]:
        return []               # the view goes through the run's findings: not when there is nothing to find
    return _rows(con, "SELECT body_name, year, source_path, withdrawn_at, replaced_by FROM withdrawn_reports "
                      "ORDER BY withdrawn_at DESC, body_name, year")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _latest_run(con: duckdb.DuckDBPyConnection) -> Run | None:
    columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'runs'")
               .fetchall()}
    years = "r.years" if "years" in columns else "NULL"
    rows = _rows(con, "SELECT r.run_id, r.started_at, r.finished_at, r.n_reports, r.docs_path, r.catalogue, "
                      f"{years} AS years FROM runs r JOIN latest_run l USING (run_id)")
    if not rows:
        return None
    row = rows[0]
    row["years"] = tuple(sorted(int(y) for y in row["years"] if y is not None)) if row["years"] is not None else None
    run = Run(**row)
    return _with_docs(con, run)


def _with_docs(con: duckdb.DuckDBPyConnection, run: Run) -> Run:
    """A run that wrote no Data Docs (it validated nothing new) links the latest completed run's that did:
    those cover the findings it carried."""
    if run.docs_path:
        return run
    rows = con.execute("SELECT run_id, docs_path FROM runs WHERE status = 'completed' AND docs_path IS NOT NULL "
                       "AND docs_path <> '' ORDER BY finished_at DESC NULLS LAST, run_id DESC LIMIT 1").fetchall()
    if not rows:
        return run
    return Run(run.run_id, run.started_at, run.finished_at, run.n_reports, rows[0][1], run.catalogue, run.years,
               docs_run=rows[0][0])


def _registered(row: dict[str, Any], places: dict[str, str | None]) -> Body:
    return Body(key=f"id:{row['body_id']}", body_id=row["body_id"], name=row["name"] or row["body_id"],
                kind=row["kind"], county=places.get(row["body_id"]), registered=True)


QUIET = ("pass", "not_applicable")          # statuses whose rules a page only names
_WORD = 62                                  # rule bits per BIGINT of a report's quiet sets
_FINDING = ("f.report_id, f.rule_id, f.status, f.severity, f.message, f.cell_ids, f.expected, f.observed, "
            "f.locators, f.fingerprint, f.year, f.body_id, f.body_name, v.decision, v.reason, v.reviewer, "
            "v.decided_at")
_QUIET_SQL = ", ".join(f"'{s}'" for s in QUIET)


def _quiet_sql(pairs: list[tuple[str, str]], only: str = "") -> tuple[str, list[Any], int]:
    """A query of each report's quiet rules as bit sets over ``pairs`` (``{status}_{word}`` columns), its
    parameters (then the run id) and the number of words. ``only`` narrows it to some reports."""
    words = max(1, -(-len(pairs) // _WORD))
    bits = ", ".join(f"bit_or(CASE WHEN i // {_WORD} = {w} THEN 1::BIGINT << (i % {_WORD}) ELSE 0 END) "
                     f"FILTER (WHERE status = '{status}') AS {status}_{w}" for status in QUIET for w in range(words))
    sql = f"""
        SELECT f.report_id, any_value(f.body_id) AS run_body_id, {bits}
        FROM findings f
        JOIN (SELECT unnest(?::VARCHAR[]) AS rule_id, unnest(?::VARCHAR[]) AS severity,
                     unnest(?::BIGINT[]) AS i) ids USING (rule_id, severity)
        WHERE f.run_id = ? {only}
        GROUP BY f.report_id"""
    return sql, [[r for r, _ in pairs], [s for _, s in pairs], list(range(len(pairs)))], words


_SERIES_SQL = f"""
        SELECT report_id, {", ".join(f"max(value) FILTER (WHERE cell_id = '{c}') AS s{n}"
                                     for n, c in enumerate(SERIES_CELLS))}
        FROM cells
        WHERE cell_id IN ({", ".join(f"'{c}'" for c in SERIES_CELLS)}) AND state = 'number' AND value IS NOT NULL
          AND report_id IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY report_id"""


def _reports(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Report]:
    """The run's reports in report order, each with its digest (see ``Report``), computed in the database:
    its ``reports`` row, its findings' digests (``warehouse.digests``: stored when the run was loaded, else
    hashed from the findings now) and the latest reviews of its reviewed findings."""
    stored = ", ".join(f"r.{c}" for c in ("body_id", "body_name", "year", "edition", "source_path", "source_format",
                                          "parse_status", "problems", "body_kind", "published_on"))
    found = ("SELECT report_id, body_id, h1, h2 FROM run_digests WHERE run_id = ?" if digests.stored(con, run_id)
             else digests.hashed_sql("f.run_id = ?"))
    reviewed = (digests.reviewed_sql() if con.execute("SELECT EXISTS (SELECT 1 FROM reviews)").fetchall()[0][0]
                else "SELECT NULL::VARCHAR AS report_id, NULL::UBIGINT AS hr WHERE false")
    rows = con.execute(f"""
        WITH x AS ({found}), rv AS ({reviewed})
        SELECT r.report_id, r.body_id, r.body_name, r.year, r.source_path, r.edition, x.body_id,
               md5(concat_ws('|', r.report_id, r.ingested_at, hash({stored}), x.h1, x.h2, rv.hr))
        FROM reports r JOIN x USING (report_id) LEFT JOIN rv USING (report_id)
        ORDER BY r.year NULLS LAST, r.ingested_at NULLS FIRST, r.report_id""",
                       [run_id] + [run_id] * ("?" in reviewed)).fetchall()
    reports = {}
    for report_id, body_id, body_name, year, source_path, edition, run_body_id, digest in rows:
        body_id = run_body_id or body_id
        key = f"id:{body_id}" if body_id else f"name:{body_name or ''}"
        reports[report_id] = Report(report_id=report_id, body_key=key, body_name=body_name, year=year,
                                    source_path=source_path, digest=digest, edition=edition)
    return reports


def _details(con: duckdb.DuckDBPyConnection, snap: Snapshot, reports: list[Report]) -> None:
    """Read the details of ``reports`` (see ``Report``)."""
    if snap.run is None or not reports:
        return
    by_id = {r.report_id: r for r in reports}
    ids = list(by_id)
    quiet, params, words = _quiet_sql(snap.quiet_pairs, "AND f.report_id IN (SELECT unnest(?::VARCHAR[]))")
    rows = con.execute(f"""
        WITH q AS ({quiet}), s AS ({_SERIES_SQL})
        SELECT r.report_id, r.source_format, r.parse_status, r.problems, r.body_kind, r.published_on,
               q.* EXCLUDE (report_id, run_body_id), {", ".join(f"s.s{n}" for n in range(len(SERIES_CELLS)))}
        FROM reports r JOIN q USING (report_id) LEFT JOIN s USING (report_id)
        WHERE r.report_id IN (SELECT unnest(?::VARCHAR[]))""", [*params, snap.run.run_id, ids, ids, ids]).fetchall()
    decode = _QuietSets(snap.quiet_pairs)
    for row in rows:
        report = by_id[row[0]]
        report.source_format, report.parse_status = row[1:3]
        report.problems, report.body_kind, report.published_on = tuple(row[3] or ()), row[4], row[5]
        report.quiet = decode(row[6:6 + 2 * words], words)
        report.series = {c: v for c, v in zip(SERIES_CELLS, row[6 + 2 * words:]) if v is not None}
    for row in con.execute(f"""
            SELECT {_FINDING}
            FROM findings f LEFT JOIN latest_reviews v USING (fingerprint)
            WHERE f.run_id = ? AND f.status NOT IN ({_QUIET_SQL}, 'fail')
              AND f.report_id IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY f.report_id, f.rule_id""", [snap.run.run_id, ids]).fetchall():
        by_id[row[0]].findings.append(_finding(row))
    _attach_cells(con, snap, reports)
    for report in reports:
        report.detailed = True


class _QuietSets:
    """Bit sets of (rule, severity) pairs → ``{status: rule ids by severity, then id}``; the few distinct
    sets of a run are decoded once each."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        self.memo: dict[tuple[int | None, ...], dict[str, tuple[str, ...]]] = {}

    def __call__(self, masks: tuple[int | None, ...], words: int) -> dict[str, tuple[str, ...]]:
        masks = tuple(masks)
        quiet = self.memo.get(masks)
        if quiet is None:
            quiet = {}
            for n, status in enumerate(QUIET):
                chosen = [self.pairs[w * _WORD + b] for w in range(words)
                          if (mask := masks[n * words + w]) for b in range(_WORD) if mask >> b & 1]
                if chosen:
                    chosen.sort(key=lambda p: (SEVERITY_ORDER.get(p[1], 9), p[0]))
                    quiet[status] = tuple(rule_id for rule_id, _ in chosen)
            self.memo[masks] = quiet
        return quiet


def _finding(row: tuple) -> Finding:
    return Finding(*row[:5], tuple(row[5] or ()), tuple(row[6] or ()), tuple(row[7] or ()), tuple(row[8] or ()),
                   *row[9:])


def _attach_fails(con: duckdb.DuckDBPyConnection, run_id: str, reports: dict[str, Report]) -> list[Finding]:
    """Attach each fail to its report; return the findings without a stored report (missing filings),
    whatever their status."""
    gaps = []
    for row in con.execute(f"""
            SELECT {_FINDING}
            FROM findings f LEFT JOIN latest_reviews v USING (fingerprint)
            WHERE f.run_id = ? AND (f.status = 'fail' OR f.report_id NOT IN (SELECT report_id FROM reports))
            ORDER BY f.report_id, f.rule_id""", [run_id]).fetchall():
        finding = _finding(row)
        report = reports.get(finding.report_id)
        if report is not None:
            report.findings.append(finding)
        else:
            gaps.append(finding)
    return gaps


def _attach_cells(con: duckdb.DuckDBPyConnection, snap: Snapshot, reports: list[Report]) -> None:
    """Exactly the cells the fails of ``reports`` cite (a ``prev.`` cell from the same body's reports of the
    previous year)."""
    by_id: dict[str, Report] = {}
    pairs: set[tuple[str, str]] = set()
    for report in reports:
        by_id[report.report_id] = report
        for f in report.findings:
            if f.status != "fail":
                continue
            for cell_id in f.cell_ids:
                if not TABLE_CELL.match(cell_id):
                    continue                                # derived (e.g. a similarity score): no cell
                if not cell_id.startswith(PREV):
                    pairs.add((report.report_id, cell_id))
                elif report.year is not None:
                    for prev in _previous_year(snap, report):
                        by_id[prev.report_id] = prev
                        pairs.add((prev.report_id, cell_id[len(PREV):]))
    wanted = sorted(pairs)
    if not wanted:
        return
    # the cells of those reports and ids first (a filter in the scan: the pairs' join alone probed every cell)
    for row in con.execute("""
            WITH c AS (SELECT * FROM cells WHERE report_id IN (SELECT unnest(?::VARCHAR[]))
                                             AND cell_id IN (SELECT unnest(?::VARCHAR[])))
            SELECT c.report_id, c.cell_id, c.state, c.value, c.raw, c.locator
            FROM c
            JOIN (SELECT unnest(?::VARCHAR[]) AS report_id, unnest(?::VARCHAR[]) AS cell_id) w
              USING (report_id, cell_id)
            ORDER BY 1, 2""", [sorted({r for r, _ in wanted}), sorted({c for _, c in wanted}),
                               [r for r, _ in wanted], [c for _, c in wanted]]).fetchall():
        by_id[row[0]].cells[row[1]] = Cell(*row[1:])


def _previous_year(snap: Snapshot, report: Report) -> tuple[Report, ...]:
    """The reports of the run by the same body (key) of the year before ``report``'s."""
    body = snap.bodies.get(report.body_key)
    return body.reports_of(report.year - 1) if body is not None and report.year is not None else ()


def _body_for(bodies: dict[str, Body], key: str, printed: str | None) -> Body:
    body = bodies.get(key)
    if body is None:
        body_id = key[3:] if key.startswith("id:") else None
        body = Body(key=key, body_id=body_id, name=printed or "（未识别机关）", kind=None, county=None,
                    registered=False)
        bodies[key] = body
    return body


def _registered_names(bodies: dict[str, Body]) -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for body in bodies.values():
        if body.registered:
            named.setdefault(body.name, []).append(body.key)
    return named


def _gap_key(named: dict[str, list[str]], finding: Finding) -> str:
    """A finding without a report belongs to its body_id, else to the registered body of that exact name."""
    if finding.body_id:
        return f"id:{finding.body_id}"
    keys = named.get(finding.body_name, []) if finding.body_name is not None else []
    return keys[0] if len(keys) == 1 else f"name:{finding.body_name or ''}"


def _slug_source(body: Body) -> tuple[str, str]:
    """(text, prefix): a registered id names its page; an unregistered name is hashed."""
    if body.body_id is not None:
        return body.body_id, "b"
    return "u-" + hashlib.sha256(body.key.encode("utf-8")).hexdigest()[:16], "u"


def _counties(register: list[dict[str, Any]], bodies: dict[str, Body]) -> dict[str | None, County]:
    keys = sorted({b.county for b in bodies.values() if b.county is not None})
    names = county_names(register, [*keys, None])
    return {key: County(key, names[key]) for key in [*keys, None]}
