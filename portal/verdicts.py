"""Three outcomes per report — 不合规 / 待核实 / 合规 — and the files a run could not read, as the portal
loads them.

The one place the portal learns a report's verdict: the warehouse view ``report_verdicts`` (one row per
report of the latest completed run, also failed and unsupported files and missing filings), which mirrors
``rules.verdicts.report_verdict``. Warnings never change a verdict.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from rules.verdicts import VERDICT_LABELS, VERDICTS  # noqa: F401 - VERDICT_LABELS: the portal reads it from here

BADGE_CLASS = {"non_compliant": "err", "needs_review": "pending", "compliant": "ok"}
OUTCOME_LABELS = {"ok": "正常", "partial": "部分识别", "failed": "无法读取", "unsupported": "格式不支持"}


@dataclass(frozen=True)
class ReportVerdict:
    verdict: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProblemFile:
    """A file of the run that could not be fully read."""

    path: str
    outcome: str                 # partial / failed / unsupported
    reason: str | None
    report_id: str | None = None


def worst(verdicts: list[str]) -> str | None:
    """The verdict that counts for a group of reports (None for no report)."""
    return next((v for v in VERDICTS if v in verdicts), None)


def load_verdicts(con: duckdb.DuckDBPyConnection, run_id: str, only: str | None = None) -> dict[str, ReportVerdict]:
    """report_id → its verdict and reasons in the latest completed run (the warehouse view
    ``report_verdicts``, migration 007, which mirrors ``rules.verdicts.report_verdict``). ``run_id`` is that
    run: the view knows no other. ``only``: the reports of that verdict only."""
    where, params = (" WHERE verdict = ?", [only]) if only is not None else ("", [])
    rows = con.execute(f"SELECT report_id, verdict, reasons FROM report_verdicts{where}", params).fetchall()
    shared: dict[tuple[str, tuple[str, ...]], ReportVerdict] = {}   # most verdicts are alike (no reason)
    out = {}
    for rid, v, reasons in rows:
        if v in VERDICTS:
            key = (v, tuple(reasons or ()))
            out[rid] = shared.get(key) or shared.setdefault(key, ReportVerdict(*key))
    return out


def load_problem_files(con: duckdb.DuckDBPyConnection, run_id: str) -> list[ProblemFile]:
    """The run's files that were not read in full (``run_files``: every file the run found; files that are
    not documents at all, such as a register beside the reports, are not problems)."""
    rows = con.execute("SELECT path, outcome, reason, sha256 FROM run_files WHERE run_id = ? "
                       "AND outcome IN ('partial', 'failed', 'unsupported') ORDER BY outcome, path",
                       [run_id]).fetchall()
    return [ProblemFile(*row) for row in rows]


def counts(verdicts: Mapping[Any, ReportVerdict]) -> dict[str, int]:
    out = dict.fromkeys(VERDICTS, 0)
    for v in verdicts.values():
        out[v.verdict] += 1
    return out
