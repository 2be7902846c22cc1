"""Reports and findings as DataFrames in the warehouse's column layout."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

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
                matches: dict[str, Match] | None = None) -> pd.DataFrame:
    """One row per report (keyed by the sha256 of its bytes)."""
    matches = matches or {}
    rows = [{
        "report_id": r.report_id, "body_id": body_ids.get(r.report_id), "body_name": r.body, "year": r.year,
        "edition": r.edition, "source_path": storable(r.file), "source_format": r.source_format,
        "parse_status": r.parse_status, "ingested_at": ingested_at, "problems": list(r.problems),
        "size_bytes": None, "raw_path": raw_paths.get(r.report_id),
        "sections": [str(s.number) for s in r.sections], "body_kind": kinds.get(r.report_id),
        "match_confidence": matches[r.report_id].confidence if r.report_id in matches else None,
        "match_how": matches[r.report_id].how if r.report_id in matches else None,
        "published_on": publication_date(r) if r.parse_status != "failed" else None,
        "t2_edition": r.table_editions.get("t2") or None, "t3_edition": r.table_editions.get("t3") or None,
    } for r in reports]
    return pd.DataFrame(rows)


CELL_COLUMNS = ("report_id", "cell_id", "state", "value", "raw", "locator", "reason", "note")
CellRow = tuple  # one row of CELL_COLUMNS


def report_cell_rows(report: Report) -> list[CellRow]:
    """The rows of one report's canonical cells (built where the report was parsed, in a worker)."""
    rid = report.report_id
    return [(rid, cid, c.state, float(c.value) if c.value is not None else None, c.raw,
             str(c.locator) if c.locator else None, c.reason, c.note or None) for cid, c in report.cells.items()]


def cell_rows(reports: Iterable[Report], prepared: Iterable[list[CellRow]] | None = None) -> pd.DataFrame:
    """One row per (report, canonical cell), with its state, value, printed text and locator; ``prepared``
    gives the rows of each report already built (``report_cell_rows``), in the order of ``reports``."""
    rows: list[CellRow] = []
    for part in (prepared if prepared is not None else map(report_cell_rows, reports)):
        rows.extend(part)
    columns = list(zip(*rows)) if rows else [()] * len(CELL_COLUMNS)
    return pd.DataFrame({name: list(values) for name, values in zip(CELL_COLUMNS, columns)})


def finding_rows(run_id: str, findings: Iterable[Finding], body_ids: dict[str, str | None]) -> pd.DataFrame:
    """One row per (run, report, rule)."""
    rows = [{
        "run_id": run_id, "report_id": f.report_id, "body_id": f.body_id or body_ids.get(f.report_id), "year": f.year,
        "rule_id": f.rule_id, "status": f.status, "severity": f.severity, "message": f.message,
        "cell_ids": list(f.cell_ids), "fingerprint": f.fingerprint, "expected": [float(x) for x in f.expected],
        "observed": [float(x) for x in f.observed], "locators": list(f.locators), "body_name": f.body,
    } for f in findings]
    return pd.DataFrame(rows)
