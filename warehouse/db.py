"""The DuckDB warehouse: the raw archive, one-transaction loads, bodies and reviews. Opening it (bounded
waiting, migrations, the snapshot) is ``warehouse.connection``'s, whose names are importable from here too."""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from warehouse import digests

from warehouse.connection import (DEFAULT_DB, DEFAULT_MEMORY, MIGRATIONS, DuplicateFindings,  # noqa: F401
                                  UnknownFingerprint, WarehouseBusy, WarehouseError, WarehouseMissing, _bounded,
                                  _open, connect, connect_reader, kept_open, memory_limit, migrate, probe_writable,
                                  refresh_snapshot, release_kept, snapshot_path, sparing_a_core,
                                  wait_for_snapshot)


# ---------------------------------------------------------------- raw archive


def archive_raw(root: Path, sha256: str, data: bytes) -> Path:
    """Keep the source bytes under ``root/ab/abcdef…`` (content-addressed; written once, atomically)."""
    target = root / sha256[:2] / sha256
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, target)
    return target


# ---------------------------------------------------------------- loading


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: datetime
    finished_at: datetime
    flow_run_id: str | None
    n_reports: int
    n_new: int
    n_failed: int
    docs_path: str | None
    catalogue: str
    files: pd.DataFrame | None = None  # every file found: path, sha256, size_bytes, outcome, reason, is_new
    years: tuple[int, ...] | None = None
    register_path: str | None = None


def known_report_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT report_id FROM reports").fetchall()}


def load_run(con: duckdb.DuckDBPyConnection, run: RunRecord, reports: pd.DataFrame, cells: pd.DataFrame,
             findings: pd.DataFrame, carry_from: str | None = None, carry_ids: list[str] | None = None,
             cell_files: list[str] | None = None) -> None:
    """One transaction: the run row, reports and cells not yet stored, this run's findings (and findings
    carried over unchanged from run ``carry_from`` for ``carry_ids``). On any error nothing is written.
    Cells come as a frame, or as Parquet files written by the parser workers (``cell_files``)."""
    begin_run(con, reports, cells, cell_files)
    finish_run(con, run, findings, carry_from, carry_ids)


def begin_run(con: duckdb.DuckDBPyConnection, reports: pd.DataFrame | None, cells: pd.DataFrame | None = None,
              cell_files: list[str] | None = None) -> None:
    """``load_run``'s first half: open the transaction and write the reports (and their cells) not yet
    stored. Nothing is visible until ``finish_run`` commits; on an error here it is rolled back."""
    con.execute("BEGIN TRANSACTION")
    with _rolled_back_on_error(con):
        known = known_report_ids(con)
        new = reports[~reports["report_id"].isin(known)].drop_duplicates("report_id") \
            if reports is not None and not reports.empty else None
        if new is None or new.empty:  # nothing new, or every report re-read from the archive: stored already
            return
        _insert(con, "reports", new)
        if cells is not None and not cells.empty:
            _insert(con, "cells", _cells_of(cells, new["report_id"]))
        if cell_files:
            _insert_cell_files(con, cell_files, new["report_id"])


def finish_run(con: duckdb.DuckDBPyConnection, run: RunRecord, findings: pd.DataFrame,
               carry_from: str | None = None, carry_ids: list[str] | None = None,
               finding_files: list[str] | None = None, carried: list[str] | None = None,
               ahead: "Ahead | None" = None) -> None:
    """``load_run``'s second half, in the transaction ``begin_run`` opened: the run row (whose primary key
    refuses a run loaded twice), the findings (new and carried over), the run's verdicts, then the commit;
    on any error the whole transaction is rolled back. A batch with two findings for one report and rule is
    refused. ``carried``: the reports whose findings were copied from run ``carry_from`` (by ``carry_ids``
    here, or earlier in the transaction) and whose stored rows did not change: their verdicts are taken
    from that run's (``store_verdicts``). ``ahead``: what ``write_ahead`` wrote of the run earlier in the
    transaction (its files, its carried reports' verdicts), not written again."""
    with _rolled_back_on_error(con):
        _refuse_duplicate_findings(findings)
        _insert_run_row(con, run, carry_from)
        if ahead is not None and ahead.files:
            _count_run_files(con, run.run_id)
        elif run.files is not None:
            _insert_run_files(con, run.run_id, run.files)
            _count_run_files(con, run.run_id)
        if carry_from and carry_ids:
            _carry(con, run.run_id, carry_from, carry_ids)
        _insert(con, "findings", findings)
        if finding_files:  # findings the batches kept on disk (``write_findings_parquet``)
            con.execute("INSERT INTO findings BY NAME SELECT * FROM read_parquet(?)", [list(finding_files)])
        if ahead is not None and ahead.verdicts:
            _finish_verdicts(con, run.run_id, findings, finding_files)
        else:
            store_verdicts(con, run.run_id, carry_from, carried if carried is not None else carry_ids)
        _store_digests(con, run.run_id, None if ahead is not None and ahead.digests else carry_from,
                       carried if carried is not None else carry_ids)
        con.execute("COMMIT")


@dataclass(frozen=True)
class Ahead:
    """What ``write_ahead`` wrote of a run before its findings existed: its files (``run_files``), the verdicts
    of its carried reports (``run_verdicts``, the others' worked out by ``finish_run``)."""

    files: bool
    verdicts: bool
    digests: bool = False  # the carried reports' digests (``run_digests``) were copied


def write_ahead(con: duckdb.DuckDBPyConnection, run_id: str, files: pd.DataFrame | None, carried_from: str | None,
                carried: list[str] | None, with_findings: list[str] | None = None) -> Ahead:
    """In the load's open transaction, after the reports and the carried findings (``begin_run``, the carry),
    while the rules run: the run's files and the verdicts of the reports it carried, neither of which depends
    on the new findings (``finish_run`` then adds the run's row and counts, and the other verdicts).
    ``with_findings``: those of ``carried`` the carry gave findings, when the caller knows them."""
    with _rolled_back_on_error(con):
        if files is not None:
            _insert_run_files(con, run_id, files)
        verdicts = "run_verdicts" in _tables(con) and keep_carried_verdicts(con, run_id, carried_from, carried,
                                                                           with_findings)
        return Ahead(files is not None, verdicts, _copy_carried_digests(con, run_id, carried_from, carried))


def _copy_carried_digests(con: duckdb.DuckDBPyConnection, run_id: str, carried_from: str | None,
                          carried: list[str] | None) -> bool:
    """The digests (``run_digests``) of the reports whose findings run ``run_id`` copied unchanged from run
    ``carried_from``, copied; False when the warehouse has no such table (nothing copied)."""
    if not digests.available(con):
        return False
    if carried_from and carried:
        ids = pd.DataFrame({"report_id": pd.Series(sorted(set(carried)), dtype="string")})
        with _registered(con, "digests_carried", ids):
            digests.copy_carried(con, run_id, carried_from, "digests_carried")
    return True


def _store_digests(con: duckdb.DuckDBPyConnection, run_id: str, carried_from: str | None,
                   carried: list[str] | None) -> None:
    """Run ``run_id``'s digests, once its findings are all written: those of its carried reports copied
    (unless ``write_ahead`` did: ``carried_from`` None), the others hashed."""
    if _copy_carried_digests(con, run_id, carried_from, carried):  # False: no ``run_digests`` table
        digests.complete(con, run_id)


def store_verdicts(con: duckdb.DuckDBPyConnection, run_id: str, carried_from: str | None = None,
                   carried: list[str] | None = None) -> None:
    """Work out the verdicts of run ``run_id`` — the latest completed run, in the transaction that wrote it
    or after a review — once, into ``run_verdicts`` (migration 013): ``report_verdicts`` reads them from there
    for as long as no review came since, instead of going through every finding of the run each time.

    ``carried``: reports whose findings the run copied unchanged from run ``carried_from`` (and whose
    ``reports`` rows it did not change). A report's verdict depends only on its findings, its ``reports`` row
    and the reviews, so when that run's stored verdicts took every review into account, theirs are copied
    and only the other reports' are worked out (``verdicts_scoped``, migration 014): a night judging 300 of
    30,000 reports does not go through 920,000 findings again."""
    if "run_verdicts" not in _tables(con):
        return
    con.execute("DELETE FROM run_verdicts WHERE run_id = ?", [run_id])
    con.execute("DELETE FROM run_verdicts_made WHERE run_id = ?", [run_id])
    if keep_carried_verdicts(con, run_id, carried_from, carried):
        _work_out_verdicts(con, run_id, "SELECT DISTINCT report_id FROM findings WHERE run_id = ?", [run_id])
    else:
        con.execute("INSERT INTO run_verdicts SELECT ?, * FROM report_verdicts_computed", [run_id])
    _verdicts_made(con, run_id)


def _finish_verdicts(con: duckdb.DuckDBPyConnection, run_id: str, findings: pd.DataFrame | None,
                     finding_files: list[str] | None) -> None:
    """``store_verdicts`` of a run whose carried reports' verdicts ``write_ahead`` copied: the others are those
    of the reports with findings written since (the judged reports, the missing filings) and of the files
    that could not be read — the carried reports have no finding but those carried."""
    ids = findings["report_id"].astype("string").unique() if findings is not None and not findings.empty else []
    fresh = pd.DataFrame({"report_id": pd.Series(ids, dtype="string")})
    parts = ["SELECT report_id FROM verdicts_fresh"] + ["SELECT report_id FROM read_parquet(?)"] * bool(finding_files)
    with _registered(con, "verdicts_fresh", fresh):
        _work_out_verdicts(con, run_id, " UNION ".join(parts), [list(finding_files)] if finding_files else [])
    _verdicts_made(con, run_id)


def _verdicts_made(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute("INSERT INTO run_verdicts_made SELECT ?, (SELECT max(decided_at) FROM reviews)", [run_id])


def _verdicts_current(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Run ``run_id``'s stored verdicts exist and took every review stored so far into account."""
    return con.execute("SELECT count(*) > 0 FROM run_verdicts_made WHERE run_id = ? AND last_review IS NOT "
                       "DISTINCT FROM (SELECT max(decided_at) FROM reviews)", [run_id]).fetchall()[0][0]


def keep_carried_verdicts(con: duckdb.DuckDBPyConnection, run_id: str, from_run: str | None,
                          carried: list[str] | None, with_findings: list[str] | None = None) -> bool:
    """Copy the verdicts of the reports run ``run_id`` carried over from run ``from_run`` (those with findings
    in the run: ``verdicts_kept``, a temporary table of the transaction) when that run's stored verdicts took
    every review so far into account (see ``store_verdicts``); False when they are not to be copied.
    ``with_findings``: those reports, when the caller knows them (the carried reports that had findings in
    ``from_run``: the carry copied them all), instead of a pass over the run's findings."""
    if not from_run or not carried or "verdict_scope" not in _tables(con) or not _verdicts_current(con, from_run):
        return False
    _copy_carried_verdicts(con, run_id, from_run, carried, with_findings)
    return True


def _copy_carried_verdicts(con: duckdb.DuckDBPyConnection, run_id: str, from_run: str, carried: list[str],
                           with_findings: list[str] | None = None) -> None:
    if with_findings is not None:
        kept = pd.DataFrame({"report_id": pd.Series(sorted(set(with_findings)), dtype="string")})
        with _registered(con, "verdicts_with_findings", kept):
            con.execute("CREATE OR REPLACE TEMP TABLE verdicts_kept AS SELECT report_id FROM verdicts_with_findings")
    else:
        ids = pd.DataFrame({"report_id": pd.Series(sorted(set(carried)), dtype="string")})
        with _registered(con, "verdicts_carried", ids):
            con.execute("CREATE OR REPLACE TEMP TABLE verdicts_kept AS SELECT DISTINCT report_id FROM findings "
                        "WHERE run_id = ? AND report_id IN (SELECT report_id FROM verdicts_carried)", [run_id])
    con.execute("""
        INSERT INTO run_verdicts (run_id, report_id, body_id, body_name, year, verdict, reasons)
        SELECT ?, v.report_id, v.body_id, v.body_name, v.year, v.verdict, v.reasons FROM run_verdicts v
        WHERE v.run_id = ? AND v.report_id IN (SELECT report_id FROM verdicts_kept)""", [run_id, from_run])


def _work_out_verdicts(con: duckdb.DuckDBPyConnection, run_id: str, candidates: str, params: list) -> None:
    """The verdicts ``keep_carried_verdicts`` did not copy: of the reports ``candidates`` (SQL giving report
    ids) names and of the files the run could not read, those not kept (``verdicts_scoped``)."""
    try:
        con.execute(f"""
            INSERT INTO verdict_scope
            SELECT report_id FROM (
                {candidates}
                UNION
                SELECT coalesce(rf.sha256, 'unreadable:' || rf.path) FROM run_files rf
                WHERE rf.run_id = ? AND rf.outcome IN ('failed', 'unsupported'))
            WHERE report_id NOT IN (SELECT report_id FROM verdicts_kept)""", [*params, run_id])
        con.execute("INSERT INTO run_verdicts SELECT ?, * FROM verdicts_scoped(true, true)", [run_id])
        con.execute("DELETE FROM verdict_scope")
    finally:
        con.execute("DROP TABLE IF EXISTS verdicts_kept")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _insert_run_row(con: duckdb.DuckDBPyConnection, run: RunRecord, carry_from: str | None) -> None:
    """The run's row. A run that validated nothing (every finding carried over) keeps the Data Docs of the
    run its findings came from: those are the docs that cover them."""
    con.execute("INSERT INTO runs (run_id, started_at, finished_at, flow_run_id, n_reports, status, n_new, "
                "n_failed, docs_path, catalogue, years, register_path) VALUES (?, ?, ?, ?, ?, 'completed', ?, ?, "
                "coalesce(?, (SELECT docs_path FROM runs WHERE run_id = ?)), ?, ?, ?)",
                [run.run_id, run.started_at, run.finished_at, run.flow_run_id, run.n_reports, run.n_new,
                 run.n_failed, run.docs_path, carry_from, run.catalogue,
                 list(run.years) if run.years else None, run.register_path])


def _insert_run_files(con: duckdb.DuckDBPyConnection, run_id: str, files: pd.DataFrame) -> None:
    """Every file the run found (``run_files``): the outcome of a report file is its stored parse status
    (written by ``begin_run`` in this transaction, or by an earlier run), with its first problem as the
    reason when it was not read completely."""
    stamp = "f.stamp" if "stamp" in files.columns else "NULL"  # ``file_stamp`` (migration 012)
    with _registered(con, "found_files", files):
        con.execute(f"""
            INSERT INTO run_files (run_id, path, sha256, size_bytes, outcome, reason, is_new, stamp)
            SELECT ?, f.path, f.sha256, f.size_bytes, coalesce(f.outcome, r.parse_status, 'failed'),
                   coalesce(f.reason, CASE WHEN r.parse_status <> 'ok' THEN r.problems[1] END), f.is_new,
                   {stamp}
            FROM found_files f LEFT JOIN reports r ON r.report_id = f.sha256 AND f.outcome IS NULL""", [run_id])


def _count_run_files(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The run's row gets the counts of its files by outcome (one pass over them)."""
    con.execute("""
        UPDATE runs SET n_found = c.n_found, n_ok = c.n_ok, n_partial = c.n_partial, n_failed = c.n_failed,
                        n_unsupported = c.n_unsupported, n_unchanged = c.n_unchanged
        FROM (SELECT count(*) FILTER (WHERE outcome <> 'ignored') AS n_found,
                     count(*) FILTER (WHERE outcome = 'ok') AS n_ok,
                     count(*) FILTER (WHERE outcome = 'partial') AS n_partial,
                     count(*) FILTER (WHERE outcome = 'failed') AS n_failed,
                     count(*) FILTER (WHERE outcome = 'unsupported') AS n_unsupported,
                     count(*) FILTER (WHERE NOT is_new AND outcome NOT IN ('ignored', 'unsupported')) AS n_unchanged
              FROM run_files WHERE run_id = ?) c
        WHERE runs.run_id = ?""", [run_id, run_id])


def _refuse_duplicate_findings(findings: pd.DataFrame | None) -> None:
    """``findings`` has no index (migration 006): one finding per report and rule is checked here."""
    if findings is None or findings.empty:
        return
    twice = findings[findings.duplicated(["report_id", "rule_id"], keep=False)]
    if not twice.empty:
        pairs = sorted(set(zip(twice["report_id"].str[:12], twice["rule_id"])))[:5]
        raise DuplicateFindings(f"同一报告、同一规则有多条检查结果（{len(twice)} 条）：{pairs}")


@contextlib.contextmanager
def _rolled_back_on_error(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _insert_cell_files(con: duckdb.DuckDBPyConnection, files: list[str], report_ids: pd.Series) -> None:
    """The cell rows of the reports written now, read straight from the workers' Parquet files."""
    cols = ", ".join(c for c in _columns(con, "cells"))
    with _registered(con, "fresh_reports", pd.DataFrame({"report_id": list(report_ids)})):
        con.execute(f"INSERT INTO cells ({cols}) SELECT {cols} FROM read_parquet(?) "
                    "WHERE report_id IN (SELECT report_id FROM fresh_reports)", [list(files)])


def _cells_of(cells: pd.DataFrame, report_ids: pd.Series) -> pd.DataFrame:
    """The cell rows of the reports being written now: cells are only ever written with their report (whose
    primary key forbids a second copy), which keeps (report_id, cell_id) unique without an index."""
    wanted = set(report_ids)
    if set(cells["report_id"].unique()) <= wanted:
        return cells
    return cells[cells["report_id"].isin(wanted)]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return list(_column_types(con, table))


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {table}").fetchall()}


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append ``frame``'s rows to ``table`` (the columns both have). List columns travel as JSON text and
    are turned back into lists by DuckDB: scanning Python lists row by row costs twice as much."""
    if frame is None or frame.empty:
        return
    types = {c: t for c, t in _column_types(con, table).items() if c in frame.columns}
    lists = {c: t[:-2] for c, t in types.items() if t.endswith("[]")}
    incoming = frame[list(types)].assign(**{c: _as_json(frame[c]) for c in lists})
    select = ", ".join(f"from_json({c}, '[\"{lists[c]}\"]')" if c in lists else c for c in types)
    # DuckDB infers the type of a column of Python objects from a sample of its rows (1,000 by default):
    # a column whose sampled rows are all None (e.g. the first thousand findings all passes) would be
    # typed NULL and the first real value after the sample would fail to cast. Look at every row.
    con.execute(f"SET pandas_analyze_sample = {max(len(frame), 1000)}")
    with _registered(con, "incoming", incoming):
        con.execute(f"INSERT INTO {table} ({', '.join(types)}) SELECT {select} FROM incoming")


def _as_json(values: pd.Series) -> list[str | None]:
    """Each list (or tuple) as JSON text; a missing value (None, NaN) stays NULL, an empty list stays empty.
    One comprehension, no call per value: a batch's findings are ~180,000 rows of four list columns, most of
    them empty (a third less time than a function per value)."""
    dumps = json.dumps
    return [None if v is None or isinstance(v, float) else dumps(list(v), ensure_ascii=False) if len(v) else "[]"
            for v in values.tolist()]


FINDING_TYPES = {"run_id": "VARCHAR", "report_id": "VARCHAR", "body_id": "VARCHAR", "year": "INTEGER",
                 "rule_id": "VARCHAR", "status": "VARCHAR", "severity": "VARCHAR", "message": "VARCHAR",
                 "cell_ids": "VARCHAR[]", "fingerprint": "VARCHAR", "expected": "DOUBLE[]", "observed": "DOUBLE[]",
                 "locators": "VARCHAR[]", "body_name": "VARCHAR"}  # migration 001


def write_findings_parquet(rows: pd.DataFrame, path: Path) -> Path:
    """Finding rows (``warehouse.rows.finding_rows``) as a Parquet file typed as the ``findings`` table,
    through an in-memory DuckDB (list columns travel as JSON text, as in ``_insert``)."""
    types = {c: t for c, t in FINDING_TYPES.items() if c in rows.columns}
    lists = {c: t[:-2] for c, t in types.items() if t.endswith("[]")}
    incoming = rows[list(types)].assign(**{c: _as_json(rows[c]) for c in lists})
    select = ", ".join(f"from_json({c}, '[\"{lists[c]}\"]') AS {c}" if c in lists else f"{c}::{t} AS {c}"
                       for c, t in types.items())
    con = _bounded(duckdb.connect())
    try:
        con.execute(f"SET pandas_analyze_sample = {max(len(rows), 1000)}")
        con.register("incoming", incoming)
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT {select} FROM incoming) TO '{target}' (FORMAT parquet)")
    finally:
        con.close()
    return Path(path)


def _carry(con: duckdb.DuckDBPyConnection, run_id: str, from_run: str, report_ids: list[str]) -> None:
    """Copy run ``from_run``'s findings of unchanged reports (and its missing-filing findings: the same
    inputs, register and years give the same ones) into run ``run_id``."""
    cols = [c for c in _columns(con, "findings") if c != "run_id"]
    with _registered(con, "carried", pd.DataFrame({"report_id": report_ids})):
        con.execute(f"INSERT INTO findings (run_id, {', '.join(cols)}) SELECT ?, {', '.join('f.' + c for c in cols)} "
                    "FROM findings f WHERE f.run_id = ? AND (f.report_id IN (SELECT report_id FROM carried) "
                    "OR f.report_id LIKE 'missing:%')", [run_id, from_run])


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> Iterator[None]:
    """``frame`` visible to SQL as ``name`` for the block. The view is dropped afterwards only when the
    block succeeded: after a failed statement the transaction is aborted and any further call would raise
    "Current transaction is aborted", hiding the real error (the rollback drops the view anyway)."""
    con.register(name, frame)
    yield
    con.unregister(name)


def latest_run(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(run_id, catalogue version) of the latest completed run."""
    row = con.execute("SELECT run_id, catalogue FROM runs WHERE status = 'completed' "
                      "ORDER BY started_at DESC, run_id DESC LIMIT 1").fetchall()
    return (row[0][0], row[0][1]) if row else None


def validated_in(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT DISTINCT report_id FROM findings WHERE run_id = ?", [run_id]).fetchall()}


def record_failed_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime, flow_run_id: str | None,
                      reason: str) -> None:
    """A run that did not complete is recorded (status failed) without touching anything else."""
    con.execute("INSERT INTO runs (run_id, started_at, finished_at, flow_run_id, n_reports, status, docs_path) "
                "VALUES (?, ?, now(), ?, 0, 'failed', ?)", [run_id, started_at, flow_run_id, reason[:500]])


# ---------------------------------------------------------------- bodies and reviews


def upsert_bodies(con: duckdb.DuckDBPyConnection, bodies: pd.DataFrame) -> None:
    """Replace the register (bodies are reference data, re-read from the register file each run)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM bodies")
        _insert(con, "bodies", bodies)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def add_review(con: duckdb.DuckDBPyConnection, fingerprint: str, decision: str, reason: str,
               reviewer: str) -> None:
    """Record a reviewer's decision (append-only; the latest per fingerprint counts). Every decision names
    who made it and why: an empty reason or reviewer is refused."""
    if decision not in ("confirmed", "waived"):
        raise ValueError("decision must be 'confirmed' or 'waived'")
    if not reason.strip():
        raise ValueError("复核需要说明理由（--reason）")
    if not (reviewer or "").strip():
        raise ValueError("复核需要注明复核人（--reviewer）")
    found = con.execute("SELECT count(*) FROM findings WHERE fingerprint = ?", [fingerprint]).fetchall()[0][0]
    if not found:
        raise UnknownFingerprint(f"没有指纹为 {fingerprint} 的检查结果")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, now())", [fingerprint, decision, reason.strip(),
                                                                        reviewer.strip()])
        latest = latest_run(con)
        if latest is not None:  # the stored verdicts of the latest run, with this decision
            store_verdicts(con, latest[0])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
