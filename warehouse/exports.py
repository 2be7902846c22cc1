"""The audit list for people: CSV and XLSX with Chinese headers (the 待核实 list beside it), the open findings
with their fingerprints, and a short summary on the terminal. Everything is read through a read-only
connection (``db.connect_reader``): no reader ever creates or blocks the warehouse."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from rules.verdicts import VERDICT_LABELS

from warehouse import db

HEADERS = {"body_id": "机关编码", "body_name": "机关名称", "year": "年度", "n_errors": "错误数",
           "n_warnings": "警示数", "rule_ids": "不合规规则", "run_id": "运行编号", "details": "问题说明",
           "republished": "已重新发布", "verdict": "结论"}
PENDING_HEADERS = {"body_id": "机关编码", "body_name": "机关名称", "year": "年度", "source_path": "文件",
                   "reasons": "待核实原因", "report_id": "报告编号"}
WIDTHS = {"结论": 8, "机关编码": 16, "机关名称": 28, "年度": 8, "错误数": 8, "警示数": 8, "不合规规则": 30, "运行编号": 24,
          "问题说明": 90, "已重新发布": 11, "文件": 40, "待核实原因": 90, "报告编号": 20}
WRAPPED = frozenset({"问题说明", "待核实原因"})
AUDIT_SHEET, PENDING_SHEET = "整改清单", "待核实"


@dataclass(frozen=True)
class AuditExport:
    frame: pd.DataFrame
    csv: Path
    xlsx: Path
    pending: pd.DataFrame | None = None
    pending_csv: Path | None = None

    @property
    def n_rows(self) -> int:
        """Rows of the audit list: one per body and year (机关年度), not bodies."""
        return len(self.frame)

    @property
    def n_bodies(self) -> int:
        """Distinct bodies (机关) on the audit list."""
        return _distinct_bodies(self.frame)

    @property
    def n_error_bodies(self) -> int:
        """Distinct bodies (机关) with at least one open error-severity fail."""
        return _distinct_bodies(self.frame[self.frame["n_errors"] > 0]) if not self.frame.empty else 0


def _distinct_bodies(frame: pd.DataFrame) -> int:
    if frame.empty:
        return 0
    return int(frame["body_id"].fillna(frame["body_name"]).nunique())


def _read(db_path: Path, query: str, params: list | None = None) -> pd.DataFrame:
    con, _ = db.connect_reader(Path(db_path))
    try:
        return con.execute(query, params or []).df()
    except duckdb.CatalogException as exc:
        raise db.WarehouseError(f"仓库 {db_path} 缺少所需的表或视图（请先用当前版本运行一次 xxgk run）：{exc}") from None
    finally:
        con.close()


def _year_filter(year: int | None, column: str = "year") -> tuple[str, list]:
    return (f" WHERE {column} = ?", [year]) if year else ("", [])


def audit_frame(db_path: Path, year: int | None = None) -> pd.DataFrame:
    """The audit list (optionally one year), read through a read-only connection."""
    where, params = _year_filter(year)
    return _read(db_path, "SELECT * FROM audit_list" + where, params)


def findings_frame(db_path: Path, year: int | None = None) -> pd.DataFrame:
    """The open findings of the latest run (``open_findings``: fails not waived), with the fingerprint that
    ``xxgk review`` takes; errors first."""
    where, params = _year_filter(year)
    return _read(db_path, "SELECT fingerprint, body_id, body_name, year, rule_id, severity, message, report_id, "
                 f"review_decision FROM open_findings{where} ORDER BY severity, body_name, year, rule_id", params)


PENDING_QUERY = """
SELECT v.body_id, v.body_name, v.year, {path} AS source_path, v.reasons, v.report_id
FROM report_verdicts v LEFT JOIN reports r ON r.report_id = v.report_id
WHERE v.verdict = 'needs_review'{year}
ORDER BY v.body_name NULLS LAST, v.year, source_path
"""
RUN_FILE_PATH = ("coalesce(r.source_path, (SELECT any_value(f.path) FROM run_files f JOIN latest_run l "
                 "ON f.run_id = l.run_id WHERE f.sha256 = v.report_id))")


def pending_frame(db_path: Path, year: int | None = None) -> pd.DataFrame:
    """The reports of the latest run that need review (待核实: ``report_verdicts``), with their file and
    the reasons (what could not be read or checked)."""
    con, _ = db.connect_reader(Path(db_path))
    try:
        return _pending(con, year, required=True)
    finally:
        con.close()


def _pending(con: duckdb.DuckDBPyConnection, year: int | None, required: bool) -> pd.DataFrame:
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "report_verdicts" not in names:
        if required:
            raise db.WarehouseError("仓库中还没有 report_verdicts 视图（迁移 007）：请先用当前版本运行一次 xxgk run")
        return pd.DataFrame(columns=list(PENDING_HEADERS))
    path = RUN_FILE_PATH if "run_files" in names else "r.source_path"
    query = PENDING_QUERY.format(path=path, year=" AND v.year = ?" if year else "")
    return con.execute(query, [year] if year else []).df()


def chinese(frame: pd.DataFrame, headers: dict[str, str] = HEADERS) -> pd.DataFrame:
    """The frame as people read it: Chinese headers, booleans as 是/否, lists joined with 、."""
    out = frame.copy()
    if "verdict" in out.columns:
        out["verdict"] = out["verdict"].map(lambda v: VERDICT_LABELS.get(v, v))
    for column in out.columns:
        if column == "republished" or out[column].dtype == bool:
            out[column] = out[column].map(lambda v: "" if v is None or v is pd.NA else ("是" if v else "否"))
        elif out[column].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
            out[column] = out[column].map(_joined)
    return out.rename(columns=headers)


def _joined(value: object) -> object:
    if value is None or isinstance(value, (str, float)):
        return value
    return "、".join(str(v) for v in value) if hasattr(value, "__len__") else value


def write_audit(db_path: Path, out_dir: Path) -> AuditExport:
    """``audit_list.csv`` and ``audit_list.xlsx`` (sheets 整改清单 and 待核实) and ``pending_list.csv``, each
    written atomically (a half-written file never replaces the previous one)."""
    con, _ = db.connect_reader(Path(db_path), wait_seconds=30)
    try:
        frame = con.execute("SELECT * FROM audit_list").df()
        pending = _pending(con, None, required=False)
    finally:
        con.close()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, xlsx, pending_csv = out_dir / "audit_list.csv", out_dir / "audit_list.xlsx", out_dir / "pending_list.csv"
    table, waiting = chinese(frame), chinese(pending, PENDING_HEADERS)
    _atomic(csv, lambda p: table.to_csv(p, index=False, encoding="utf-8-sig"))
    _atomic(pending_csv, lambda p: waiting.to_csv(p, index=False, encoding="utf-8-sig"))
    _atomic(xlsx, lambda p: write_formatted_xlsx(p, {AUDIT_SHEET: table, PENDING_SHEET: waiting}))
    return AuditExport(frame, csv, xlsx, pending, pending_csv)


def _atomic(path: Path, write) -> None:  # noqa: ANN001 - Callable[[Path], None]
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_formatted_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """A workbook formatted like the by-county one (``portal.xlsx``): per sheet a bold header row frozen
    below it, a filter over the table, column widths for Chinese text, long text wrapped. Text is always
    text (an inline string, never a formula). Written by ``portal.xlsx`` (openpyxl took seconds for the
    audit list of a large warehouse, on every night)."""
    from portal.xlsx import Sheet, write_workbook

    return write_workbook(path, [Sheet(title, list(frame.columns), _plain_rows(frame),
                                       [WIDTHS.get(name, 14) for name in frame.columns],
                                       frozenset(i for i, name in enumerate(frame.columns) if name in WRAPPED))
                                 for title, frame in sheets.items()])


def _plain_rows(frame: pd.DataFrame) -> list[list[object]]:
    """The rows as plain Python values: None for a missing value (an empty cell, never 0)."""
    return [[_xlsx_value(v) for v in row] for row in frame.itertuples(index=False)]


def _xlsx_value(value: object) -> object:
    if value is None or isinstance(value, str):
        return value                             # characters XML cannot hold are dropped by portal.xlsx
    if isinstance(value, float):                 # (numpy's too) NaN: an empty cell, never 0
        return None if value != value else float(value)
    if pd.isna(value) is True:                   # pd.NA, NaT, numpy's NaT: an empty cell, never 0
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def print_top(export: AuditExport, top: int = 10) -> None:
    """The audit list in a few lines: bodies (机关) and body-years (机关年度) counted apart, then the top rows
    as a table aligned for Chinese text."""
    from xxgk import terminal

    print(f"审计清单：{export.n_bodies} 个机关、{export.n_rows} 个机关年度有未处理的不合规项"
          f"（其中有错误级问题的机关 {export.n_error_bodies} 个）；清单：{export.csv}  {export.xlsx}")
    if export.pending is not None and not export.pending.empty:
        print(f"待核实报告：{len(export.pending)} 份，见 {export.pending_csv}（及 {export.xlsx.name} 的“待核实”页）")
    if export.frame.empty:
        return
    columns = ["verdict", "body_name", "year", "n_errors", "n_warnings", "rule_ids"]
    rows = chinese(export.frame.head(top)[columns]).itertuples(index=False)
    print(terminal.table([HEADERS[c] for c in columns], rows, max_width=50))
    if export.n_rows > top:
        print(f"……另有 {export.n_rows - top} 行，见 {export.csv.name} 或 xxgk audit")
