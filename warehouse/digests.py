"""Per-report digests of a run's findings (``run_digests``, migration 015): what the report site compares to
decide which pages changed, stored when the run is loaded instead of hashed from every finding when read.

A report's row combines one DuckDB ``hash()`` per finding (over ``FINDING_COLUMNS``: everything but the run
id) by exclusive or (``h1``) and by sum (``h2``): two 64-bit checks that do not depend on the findings' order
(a finding's rule id is in its hash and a report has one finding per rule). Reviews are not part of them;
``reviewed_sql`` gives the part of the reviewed findings when read."""
from __future__ import annotations

import duckdb

FINDING_COLUMNS = ("report_id", "rule_id", "status", "severity", "message", "cell_ids", "expected", "observed",
                   "locators", "fingerprint", "year", "body_id", "body_name")
_HASHED = ", ".join(f"f.{c}" for c in FINDING_COLUMNS)


def hashed_sql(where: str) -> str:
    """A query of ``(report_id, body_id, h1, h2)`` over the findings ``f`` that ``where`` keeps (SQL; its
    parameters are the caller's), one row per report."""
    return f"""
        SELECT report_id, any_value(body_id) AS body_id, bit_xor(h) AS h1, sum(h::HUGEINT) AS h2
        FROM (SELECT f.report_id, f.body_id, hash({_HASHED}) AS h FROM findings f WHERE {where})
        GROUP BY report_id"""


def reviewed_sql() -> str:
    """A query of ``(report_id, hr)`` for the findings of run ``?`` with a review (``latest_reviews``): the
    hash of each finding's fingerprint with its latest decision, combined per report by exclusive or."""
    return """
        SELECT f.report_id, bit_xor(hash(f.fingerprint, v.decision, v.reason, v.reviewer, v.decided_at)) AS hr
        FROM findings f JOIN latest_reviews v USING (fingerprint)
        WHERE f.run_id = ?
        GROUP BY f.report_id"""


def available(con: duckdb.DuckDBPyConnection) -> bool:
    """The warehouse has ``run_digests`` (migration 015; a reader of an older file does without)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'run_digests'")
                .fetchall()[0][0])


def stored(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Run ``run_id``'s digests were stored (then for every report it has findings of)."""
    return available(con) and bool(con.execute("SELECT EXISTS (SELECT 1 FROM run_digests WHERE run_id = ?)",
                                               [run_id]).fetchall()[0][0])


def copy_carried(con: duckdb.DuckDBPyConnection, run_id: str, from_run: str, carried_table: str) -> None:
    """In the load's transaction: the digests of run ``from_run`` for the reports listed in ``carried_table``
    (a table or view with a ``report_id`` column), whose findings run ``run_id`` copied unchanged."""
    con.execute(f"""
        INSERT INTO run_digests (run_id, report_id, body_id, h1, h2)
        SELECT ?, d.report_id, d.body_id, d.h1, d.h2 FROM run_digests d
        WHERE d.run_id = ? AND d.report_id IN (SELECT report_id FROM {carried_table})""", [run_id, from_run])


def refresh(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Hash run ``run_id``'s digests again from its findings: what a script that changes a run's stored
    findings afterwards must call (the load writes a run's findings once; nothing in this project changes
    them later), else the report site would not see the change."""
    if available(con):
        con.execute("DELETE FROM run_digests WHERE run_id = ?", [run_id])
        complete(con, run_id)


def complete(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """In the load's transaction, once all of run ``run_id``'s findings are written: hash the reports that
    have no digest yet (all but those ``copy_carried`` copied)."""
    where = "f.run_id = ? AND f.report_id NOT IN (SELECT report_id FROM run_digests WHERE run_id = ?)"
    con.execute(f"INSERT INTO run_digests (run_id, report_id, body_id, h1, h2) "
                f"SELECT ?, report_id, body_id, h1, h2 FROM ({hashed_sql(where)})", [run_id, run_id, run_id])
