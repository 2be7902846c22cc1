"""The audit list for people: CSV and XLSX with Chinese headers, and a short table on the terminal."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from warehouse import db

HEADERS = {"body_id": "机关编码", "body_name": "机关名称", "year": "年度", "n_errors": "错误数",
           "n_warnings": "警示数", "rule_ids": "不合规规则", "run_id": "运行编号", "details": "问题说明",
           "republished": "已重新发布"}


@dataclass(frozen=True)
class AuditExport:
    frame: pd.DataFrame
    csv: Path
    xlsx: Path

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def n_error_bodies(self) -> int:
        return int((self.frame["n_errors"] > 0).sum()) if not self.frame.empty else 0


def audit_frame(db_path: Path, year: int | None = None) -> pd.DataFrame:
    """The audit list (optionally one year), read through a read-only connection."""
    con = db.connect(db_path, read_only=True)
    try:
        query = "SELECT * FROM audit_list" + (" WHERE year = ?" if year else "")
        return con.execute(query, [year] if year else []).df()
    finally:
        con.close()


def chinese(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if "republished" in out:
        out["republished"] = out["republished"].map(lambda v: "是" if v else "")
    if "rule_ids" in out:
        out["rule_ids"] = out["rule_ids"].map(lambda ids: "、".join(ids) if ids is not None else "")
    return out.rename(columns=HEADERS)


def write_audit(db_path: Path, out_dir: Path) -> AuditExport:
    frame = audit_frame(db_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, xlsx = out_dir / "audit_list.csv", out_dir / "audit_list.xlsx"
    table = chinese(frame)
    table.to_csv(csv, index=False, encoding="utf-8-sig")
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        table.to_excel(writer, index=False, sheet_name="整改清单")
        writer.sheets["整改清单"].freeze_panes = "A2"
    return AuditExport(frame, csv, xlsx)


def print_top(export: AuditExport, top: int = 10) -> None:
    print(f"不合规机关：{export.n_rows} 个（其中有错误的 {export.n_error_bodies} 个）；清单：{export.csv}  {export.xlsx}")
    for row in export.frame.head(top).itertuples():
        rules = "、".join(row.rule_ids) if row.rule_ids is not None else ""
        print(f"  {row.body_name or row.body_id} {row.year}年  错误 {row.n_errors}  警示 {row.n_warnings}  {rules}")
