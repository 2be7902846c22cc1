"""Reports and findings as DataFrames in the warehouse's column layout."""
from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from itertools import chain
from operator import attrgetter
from pathlib import Path
from datetime import date, datetime

import duckdb
import numpy as np
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
    """One report's canonical cells as columns (built where the report was parsed, in a worker): the cells'
    fields taken in one pass (``attrgetter`` over the cells, transposed by ``zip``)."""
    cells = report.cells
    if not cells:
        return tuple([] for _ in CELL_COLUMNS)
    states, values, raws, locators, reasons, notes = zip(*map(_CELL_FIELDS, cells.values()))
    return ([report.report_id] * len(cells), list(cells), list(states),
            [None if v is None else float(v) for v in values], list(raws),
            [None if loc is None else str(loc) for loc in locators], list(reasons), [n or None for n in notes])


_CELL_FIELDS = attrgetter("state", "value", "raw", "locator", "reason", "note")


def cell_rows(reports: Iterable[Report], prepared: Iterable[CellColumns] | None = None) -> pd.DataFrame:
    """One row per (report, canonical cell), with its state, value, printed text and locator; ``prepared``
    gives each report's columns already built (``report_cell_rows``), in the order of ``reports``."""
    parts = list(prepared if prepared is not None else map(report_cell_rows, reports))
    return pd.DataFrame({name: list(chain.from_iterable(part[i] for part in parts))
                         for i, name in enumerate(CELL_COLUMNS)})


# The Parquet file's columns, typed (a column that holds only NULLs in one chunk keeps its type)
_PARQUET_SELECT = ("SELECT report_id::VARCHAR AS report_id, cell_id::VARCHAR AS cell_id, state::VARCHAR AS state, "
                   "value::DOUBLE AS value, raw::VARCHAR AS raw, locator::VARCHAR AS locator, "
                   "reason::VARCHAR AS reason, note::VARCHAR AS note FROM chunk_cells")
_PARQUET_LOCK = threading.Lock()
_PARQUET_CON: list = []  # this process's in-memory DuckDB for writing Parquet files (made once)


def write_cells_parquet(parts: Iterable[CellColumns], path: Path) -> Path:
    """Cell rows (``report_cell_rows`` of several reports) as one Parquet file, through an in-memory DuckDB
    (used by the parser workers: the main process then loads the files without touching the rows). The
    columns reach DuckDB as numpy object arrays (a pandas frame would first convert every text to its
    string type), and one connection per process serves every chunk (opening one cost ~30 ms a chunk)."""
    parts = list(parts)
    columns = {name: _objects(chain.from_iterable(part[i] for part in parts)) for i, name in enumerate(CELL_COLUMNS)}
    with _PARQUET_LOCK:
        if not _PARQUET_CON:
            _PARQUET_CON.append(duckdb.connect(config={"threads": 1}))
        con = _PARQUET_CON[0]
        con.register("chunk_cells", columns)
        try:
            con.execute(f"COPY ({_PARQUET_SELECT}) TO '{_sql_path(path)}' (FORMAT parquet)")
        finally:
            con.unregister("chunk_cells")
    return path


def _objects(items: Iterable) -> np.ndarray:
    found = list(items)
    out = np.empty(len(found), dtype=object)
    out[:] = found
    return out


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
