"""Reads and writes of the harvest's evidence (migration 008: ``harvests``, ``fetches``, ``fetch_log``, views
``report_sources`` and ``harvest_outcomes``; migration 011: one report per article — ``fetches.role``,
``report_sha256``, ``page_title``, ``choice``, table ``file_readings``, view ``report_files``).

A harvest is written in one transaction at its end (the warehouse has one writer); what a harvest needs
from earlier ones (the validators of each URL for a conditional GET, the reports each body-year had) is
read once at its start.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from warehouse import db

FETCH_COLUMNS = ("fetch_id", "harvest_id", "body_id", "year", "url", "final_url", "http_status", "fetched_at",
                 "sha256", "page_date", "outcome", "content_type", "last_modified", "etag", "parent_url",
                 "parent_sha256", "source_url", "title", "date_source", "file_type", "size_bytes", "path",
                 "republished", "previous_sha256", "error", "role", "report_sha256", "page_title", "choice")
LOG_COLUMNS = ("harvest_id", "body_id", "role", "url", "final_url", "http_status", "result", "fetched_at", "sha256",
               "content_type", "last_modified", "etag", "attempts", "error")
READING_COLUMNS = ("sha256", "file_type", "year", "cells_read", "sections_read", "parse_status", "read_at")
OUTCOMES = ("report", "attachment", "not_found", "unreachable", "skipped", "unchanged")
ROLES = ("report", "duplicate", "annex")


@dataclass(frozen=True)
class KnownUrl:
    """The last complete fetch of a URL: what to send back for a conditional GET, and its bytes' sha256."""

    etag: str | None
    last_modified: str | None
    sha256: str
    content_type: str | None


@dataclass
class PreviousHarvests:
    """What earlier harvests left: per URL its last complete fetch; per (body, year) the report files (sha256)
    the latest harvest that found one fetched, and where each sha256 was placed for ingest."""

    urls: dict[str, KnownUrl] = field(default_factory=dict)
    reports: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    placed: dict[str, str] = field(default_factory=dict)
    readings: dict[str, tuple] = field(default_factory=dict)  # sha256 → (year, cells, sections, parse_status)


def _reader(path: Path) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection, or None when there is no warehouse yet (or it predates migration 008)."""
    if not Path(path).exists():
        return None
    con = db.connect(Path(path), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not {"fetches", "fetch_log"} <= tables:
        con.close()
        return None
    return con


def previous_harvests(path: Path) -> PreviousHarvests:
    """Read once at the start of a harvest (empty when there was none)."""
    con = _reader(path)
    if con is None:
        return PreviousHarvests()
    try:
        urls = con.execute("""
            SELECT DISTINCT ON (url) url, etag, last_modified, sha256, content_type FROM fetch_log
            WHERE result = 'ok' AND sha256 IS NOT NULL ORDER BY url, fetched_at DESC""").fetchall()
        reports = con.execute("""
            WITH found AS (SELECT body_id, year, max(harvest_id) AS harvest_id FROM fetches
                           WHERE outcome IN ('report', 'attachment', 'unchanged') AND year IS NOT NULL
                           GROUP BY body_id, year)
            SELECT f.body_id, f.year, list(DISTINCT f.sha256) FROM fetches f JOIN found USING (body_id, year, harvest_id)
            WHERE f.outcome IN ('report', 'attachment', 'unchanged') AND f.path IS NOT NULL
            GROUP BY f.body_id, f.year""").fetchall()
        placed = con.execute("SELECT DISTINCT ON (sha256) sha256, path FROM fetches WHERE path IS NOT NULL "
                             "ORDER BY sha256, fetched_at DESC").fetchall()
        readings = _readings(con)
    finally:
        con.close()
    return PreviousHarvests({u: KnownUrl(e, lm, sha, ct) for u, e, lm, sha, ct in urls},
                            {(b, y): set(shas) for b, y, shas in reports}, dict(placed), readings)


def _readings(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """What earlier harvests read of the files they had to compare (empty before migration 011)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "file_readings" not in tables:
        return {}
    rows = con.execute("SELECT sha256, year, cells_read, sections_read, parse_status FROM file_readings").fetchall()
    return {sha: tuple(rest) for sha, *rest in rows}


def record_harvest(path: Path, harvest: dict, fetch_rows: list[dict], log_rows: list[dict],
                   wait_seconds: float = 30.0, readings: Iterable[dict] = ()) -> None:
    """The harvest's row, its evidence, its crawl log and what it read of new files, in one transaction
    (nothing on error)."""
    bad = {r["outcome"] for r in fetch_rows} - set(OUTCOMES)
    bad |= {f"role {r['role']}" for r in fetch_rows if r.get("role") is not None and r["role"] not in ROLES}
    if bad:
        raise ValueError(f"unknown fetch outcomes or roles {sorted(bad)}")
    con = db.connect(Path(path), wait_seconds=wait_seconds)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            _insert(con, "harvests", pd.DataFrame([_harvest_row(harvest)]))
            _insert(con, "fetches", pd.DataFrame(fetch_rows, columns=list(FETCH_COLUMNS)))
            _insert(con, "fetch_log", pd.DataFrame(log_rows, columns=list(LOG_COLUMNS)))
            _insert_readings(con, list(readings))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()


def _harvest_row(summary: dict) -> dict:
    return {"harvest_id": summary["harvest_id"], "started_at": summary["started_at"],
            "finished_at": summary["finished_at"], "register_path": summary.get("register"),
            "years": summary.get("years"), "user_agent": summary.get("user_agent"),
            "n_bodies": summary["bodies"], "n_reached": summary["bodies_reached"],
            "n_unreachable": summary["bodies_unreachable"], "n_reports": summary["reports_found"],
            "n_new": summary["new"], "n_changed": summary["changed"], "n_unchanged": summary["unchanged"],
            "n_requests": summary["requests"], "summary": json.dumps(summary, ensure_ascii=False, default=str)}


def _insert_readings(con: duckdb.DuckDBPyConnection, readings: list[dict]) -> None:
    """Readings of files not read before (a file's bytes are read once: its sha256 is the key)."""
    known = {r[0] for r in con.execute("SELECT sha256 FROM file_readings").fetchall()}
    fresh = list({r["sha256"]: r for r in readings if r["sha256"] not in known}.values())
    _insert(con, "file_readings", pd.DataFrame(fresh, columns=list(READING_COLUMNS)))


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    columns = ", ".join(frame.columns)
    con.execute(f"SET pandas_analyze_sample = {max(len(frame), 1000)}")
    con.register("incoming_rows", frame.astype(object).where(frame.notna(), None))
    try:
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows")
    finally:
        con.unregister("incoming_rows")


# ---------------------------------------------------------------- what the pipeline reads


def site_outcomes(path: Path) -> dict[tuple[str, int], tuple[str, str]]:
    """(body_id, year) → (status, detail) of the latest harvest that looked for that body-year: ``found``,
    ``not_found`` or ``unreachable`` (view ``harvest_outcomes``). Empty when nothing was harvested."""
    con = _reader(path)
    if con is None:
        return {}
    try:
        rows = con.execute("SELECT body_id, year, status, detail FROM harvest_outcomes").fetchall()
    finally:
        con.close()
    return {(b, int(y)): (s, d or "") for b, y, s, d in rows}


def page_dates(path: Path) -> dict[str, date]:
    """report_id (sha256) → the publication date printed on the page the report was harvested from."""
    con = _reader(path)
    if con is None:
        return {}
    try:
        rows = con.execute("SELECT report_id, page_date FROM report_sources WHERE page_date IS NOT NULL").fetchall()
    finally:
        con.close()
    return dict(rows)


def run_evidence(path: Path) -> tuple[dict[tuple[str, int], tuple[str, str]], dict[str, date]]:
    """``site_outcomes`` and ``page_dates`` through one read-only connection (what a run reads)."""
    con = _reader(path)
    if con is None:
        return {}, {}
    try:
        outcomes = con.execute("SELECT body_id, year, status, detail FROM harvest_outcomes").fetchall()
        dates = con.execute("SELECT report_id, page_date FROM report_sources WHERE page_date IS NOT NULL").fetchall()
    finally:
        con.close()
    return {(b, int(y)): (s, d or "") for b, y, s, d in outcomes}, dict(dates)


def latest_summary(path: Path) -> dict | None:
    """The summary of the latest harvest (as recorded), or None."""
    con = _reader(path)
    if con is None:
        return None
    try:
        row = con.execute("SELECT summary FROM harvests ORDER BY harvest_id DESC LIMIT 1").fetchall()
    finally:
        con.close()
    return json.loads(row[0][0]) if row and row[0][0] else None
