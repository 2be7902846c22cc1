"""Reports and findings as DataFrames in the warehouse's column layout."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import chain
from pathlib import Path
from datetime import date, datetime

import duckdb
import pandas as pd

from parsing.model import Report
from rules.facts import publication_date
from rules.findings import Finding
from rules.register import Match


def storable(text: str | None) -> str | None:
    """Text DuckDB can store: a file name that is not valid UTF-8 (bytes kept by Python as surrogates,
    e.g. GBK names from a Windows zip) is written with its undecodable bytes as ``\\xNN``."""
    if text is None:
        return None
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def report_rows(reports: Iterable[Report], body_ids: dict[str, str | None], kinds: dict[str, str | None],
                raw_paths: dict[str, str], ingested_at: datetime,
                matches: dict[str, Match] | None = None,
                published: Mapping[str, date | None] | None = None) -> pd.DataFrame:
    """One row per report (keyed by the sha256 of its bytes); ``published`` gives publication dates found
    already (else they are read from each report)."""
    reports, matches = list(reports), matches or {}
    published = published if published is not None else {
        r.report_id: publication_date(r) if r.parse_status != "failed" else None for r in reports}
    rows = [{
        "report_id": r.report_id, "body_id": body_ids.get(r.report_id), "body_name": r.body, "year": r.year,
        "edition": r.edition, "source_path": storable(r.file), "source_format": r.source_format,
        "parse_status": r.parse_status, "ingested_at": ingested_at, "problems": list(r.problems),
        "size_bytes": None, "raw_path": raw_paths.get(r.report_id),
        "sections": [str(s.number) for s in r.sections], "body_kind": kinds.get(r.report_id),
        "match_confidence": matches[r.report_id].confidence if r.report_id in matches else None,
        "match_how": matches[r.report_id].how if r.report_id in matches else None,
        "published_on": published.get(r.report_id),
        "t2_edition": r.table_editions.get("t2") or None, "t3_edition": r.table_editions.get("t3") or None,
    } for r in reports]
    return pd.DataFrame(rows)


CELL_COLUMNS = ("report_id", "cell_id", "state", "value", "raw", "locator", "reason", "note")
CellColumns = tuple[list, ...]  # one list per CELL_COLUMNS entry


def report_cell_rows(report: Report) -> CellColumns:
    """One report's canonical cells as columns (built where the report was parsed, in a worker)."""
    cells = report.cells
    return ([report.report_id] * len(cells), list(cells), [c.state for c in cells.values()],
            [float(c.value) if c.value is not None else None for c in cells.values()],
            [c.raw for c in cells.values()], [str(c.locator) if c.locator else None for c in cells.values()],
            [c.reason for c in cells.values()], [c.note or None for c in cells.values()])


def cell_rows(reports: Iterable[Report], prepared: Iterable[CellColumns] | None = None) -> pd.DataFrame:
    """One row per (report, canonical cell), with its state, value, printed text and locator; ``prepared``
    gives each report's columns already built (``report_cell_rows``), in the order of ``reports``."""
    parts = list(prepared if prepared is not None else map(report_cell_rows, reports))
    return pd.DataFrame({name: list(chain.from_iterable(part[i] for part in parts))
                         for i, name in enumerate(CELL_COLUMNS)})


def write_cells_parquet(parts: Iterable[CellColumns], path: Path) -> Path:
    """Cell rows (``report_cell_rows`` of several reports) as one Parquet file, through an in-memory DuckDB
    (used by the parser workers: the main process then loads the files without touching the rows)."""
    frame = cell_rows([], list(parts))
    con = duckdb.connect()
    try:
        con.register("chunk_cells", frame)
        con.execute(f"COPY chunk_cells TO '{_sql_path(path)}' (FORMAT parquet)")
    finally:
        con.close()
    return path


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def finding_rows(run_id: str, findings: Iterable[Finding], body_ids: dict[str, str | None]) -> pd.DataFrame:
    """One row per (run, report, rule), built column by column (most findings are passes, whose list
    columns are empty: they share one empty list)."""
    findings = list(findings)
    empty: list = []
    columns = {
        "run_id": [run_id] * len(findings),
        "report_id": [f.report_id for f in findings],
        "body_id": [f.body_id or body_ids.get(f.report_id) for f in findings],
        "year": [f.year for f in findings],
        "rule_id": [f.rule_id for f in findings],
        "status": [f.status for f in findings],
        "severity": [f.severity for f in findings],
        "message": [f.message for f in findings],
        "cell_ids": [list(f.cell_ids) if f.cell_ids else empty for f in findings],
        "fingerprint": [f.fingerprint for f in findings],
        "expected": [[float(x) for x in f.expected] if f.expected else empty for f in findings],
        "observed": [[float(x) for x in f.observed] if f.observed else empty for f in findings],
        "locators": [list(f.locators) if f.locators else empty for f in findings],
        "body_name": [f.body for f in findings],
    }
    return pd.DataFrame(columns)
