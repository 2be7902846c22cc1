"""Three outcomes per report — 不合规 / 待核实 / 合规 — and the files a run could not read, as the portal
loads them.

The one place the portal learns a report's verdict: the warehouse view ``report_verdicts`` (one row per
report of the latest completed run, also failed and unsupported files and missing filings) when the
warehouse has it; else the same semantics computed here from the run's findings (see
``rules/verdicts.py``): ``non_compliant`` when an error-level rule failed (not waived); else
``needs_review`` when the file could not be read (parse failed / unsupported) or an error-level rule could
not be assessed (not waived); else ``compliant``. Warnings never change a verdict.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

VERDICTS = ("non_compliant", "needs_review", "compliant")
VERDICT_LABELS = {"non_compliant": "不合规", "needs_review": "待核实", "compliant": "合规"}
BADGE_CLASS = {"non_compliant": "err", "needs_review": "pending", "compliant": "ok"}
OUTCOME_LABELS = {"ok": "正常", "partial": "部分识别", "failed": "无法读取", "unsupported": "格式不支持"}
UNREADABLE = ("failed", "unsupported")


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


def _has(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal",
                            [name]).fetchone()[0]
                or con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


def load_verdicts(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, ReportVerdict]:
    """report_id → its verdict and reasons for the run ``run_id`` (the latest completed run)."""
    if _has(con, "report_verdicts"):
        rows = con.execute("SELECT report_id, verdict, reasons FROM report_verdicts").fetchall()
        return {rid: ReportVerdict(v, tuple(reasons or ())) for rid, v, reasons in rows if v in VERDICTS}
    return _computed(con, run_id)


_FALLBACK = """
WITH f AS (
    SELECT f.report_id, f.rule_id, f.status, f.severity, f.message
    FROM findings f LEFT JOIN latest_reviews v USING (fingerprint)
    WHERE f.run_id = ? AND f.severity = 'error' AND f.status IN ('fail', 'not_assessable')
      AND coalesce(v.decision, '') <> 'waived'),
g AS (
    SELECT report_id,
           list(rule_id ORDER BY rule_id) FILTER (WHERE status = 'fail') AS failed,
           list(rule_id || '：' || coalesce(message, '') ORDER BY rule_id)
               FILTER (WHERE status = 'not_assessable') AS unassessed
    FROM f GROUP BY report_id),
r AS (SELECT DISTINCT report_id FROM findings WHERE run_id = ?)
SELECT r.report_id, rep.parse_status, rep.problems, g.failed, g.unassessed
FROM r LEFT JOIN g USING (report_id) LEFT JOIN reports rep USING (report_id)
"""


def _computed(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, ReportVerdict]:
    out = {}
    for report_id, parse_status, problems, failed, unassessed in con.execute(_FALLBACK, [run_id, run_id]).fetchall():
        out[report_id] = verdict_of(parse_status, failed or [], unassessed or [], problems or [])
    return out


def verdict_of(parse_status: str | None, failed: list[str], unassessed: list[str],
               problems: list[str]) -> ReportVerdict:
    """The verdict of one report from its open error fails (rule ids), its error rules not assessed
    (``rule：why``) and its parse status and problems."""
    if failed:
        return ReportVerdict("non_compliant", tuple(f"错误级规则未通过：{rule}" for rule in failed))
    reasons = []
    if parse_status in UNREADABLE:
        reasons.append(f"文件未能读取：{_some(problems) or '原因不详'}")
    elif parse_status == "partial":
        reasons.append(f"部分内容未能识别：{_some(problems) or '原因不详'}")
    reasons += [f"错误级规则 {item.replace('：', ' ', 1)}" for item in unassessed]
    if parse_status in UNREADABLE or unassessed:
        return ReportVerdict("needs_review", tuple(reasons))
    return ReportVerdict("compliant")


def _some(items: list[str], n: int = 3) -> str:
    """The first ``n`` of ``items`` and how many more there are."""
    shown = "；".join(items[:n])
    return shown + (f"……等 {len(items)} 处" if len(items) > n else "")


def load_problem_files(con: duckdb.DuckDBPyConnection, run_id: str) -> list[ProblemFile]:
    """The run's files that were not read in full: from ``run_files`` when the warehouse has it (every
    file the run found), else the run's reports whose parse failed or was partial."""
    if _has(con, "run_files"):
        rows = con.execute("SELECT path, outcome, reason, sha256 FROM run_files WHERE run_id = ? "
                           "AND outcome <> 'ok' ORDER BY outcome, path", [run_id]).fetchall()
        return [ProblemFile(*row) for row in rows]
    rows = con.execute("""
        SELECT r.source_path, r.parse_status, array_to_string(r.problems, '；'), r.report_id
        FROM reports r WHERE r.parse_status IN ('failed', 'partial', 'unsupported')
          AND r.report_id IN (SELECT report_id FROM findings WHERE run_id = ?)
        ORDER BY r.parse_status, r.source_path""", [run_id]).fetchall()
    return [ProblemFile(path or "—", status, reason or None, rid) for path, status, reason, rid in rows]


def counts(verdicts: Mapping[Any, ReportVerdict]) -> dict[str, int]:
    out = dict.fromkeys(VERDICTS, 0)
    for v in verdicts.values():
        out[v.verdict] += 1
    return out
