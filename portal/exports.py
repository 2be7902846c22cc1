"""The audit list split by county: one XLSX sheet per county (the register's parent chain, see
``portal.counties``: a county government in its own county, city-level bodies on a 市本级 sheet, bodies
without a parent on the unassigned sheet).

Same columns and Chinese headers as ``out/audit_list.xlsx``; every sheet has a frozen, bold header row
and a filter. Text from the database is always written as text (never as a formula).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.counties import CITY_KEY, UNASSIGNED, county_keys, county_names
from portal.names import sheet_names
from portal.verdicts import OUTCOME_LABELS, VERDICT_LABELS, load_problem_files, load_verdicts, worst
from portal.xlsx import ILLEGAL_CHARACTERS, Sheet, write_workbook
from warehouse import db
from warehouse.exports import HEADERS

FILE_NAME = "audit_by_county.xlsx"
COLUMNS = ("verdict", *HEADERS)
ALL_HEADERS = {"verdict": "结论", **HEADERS}
PENDING_SHEET, FILES_SHEET = "待核实", "未能读取的文件"
PENDING_HEADERS = ("机关编码", "机关名称", "年度", "文件", "待核实原因")
FILES_HEADERS = ("文件", "结果", "原因")
WIDTHS = {"verdict": 8, "body_id": 14, "body_name": 28, "year": 8, "n_errors": 8, "n_warnings": 8, "rule_ids": 30,
          "run_id": 24, "details": 80}


# A row without body_id (e.g. a missing filing) belongs to the registered body of exactly that name.
COUNTY_QUERY = """
SELECT a.*, coalesce(a.body_id, (SELECT any_value(n.body_id) FROM bodies n
                                 WHERE a.body_id IS NULL AND n.name = a.body_name)) AS register_id
FROM audit_list a
ORDER BY a.n_errors DESC, a.n_warnings DESC, a.body_name, a.year
"""


@dataclass
class CountySheet:
    key: str | None
    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def county_sheets(db_path: Path) -> list[CountySheet]:
    """The audit list grouped by county: every county of the register (even one with no row), then the
    bodies without a county when they have rows (or when there is nothing else)."""
    con = db.connect(Path(db_path), read_only=True)
    try:
        cursor = con.execute("SELECT body_id, name, kind, parent_id FROM bodies ORDER BY body_id")
        register = [dict(zip([d[0] for d in cursor.description], row)) for row in cursor.fetchall()]
        cursor = con.execute(COUNTY_QUERY)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()
    verdicts = _body_year_verdicts(db_path)
    for row in rows:
        row["verdict"] = VERDICT_LABELS.get(verdicts.get((row["body_id"] or row["body_name"], row["year"])) or "",
                                            "—")
    places = county_keys(register)
    keys = sorted({k for k in places.values() if k is not None and k != CITY_KEY})
    if CITY_KEY in places.values():
        keys.append(CITY_KEY)
    labels = county_names(register, [*keys, None])
    sheets = {k: CountySheet(k, labels[k]) for k in keys}
    for row in rows:
        key = places.get(row.pop("register_id"))
        sheets.setdefault(key if key in sheets else None, CountySheet(None, UNASSIGNED)).rows.append(row)
    return list(sheets.values()) or [CountySheet(None, UNASSIGNED)]


def _body_year_verdicts(db_path: Path) -> dict[tuple[str, int | None], str]:
    """(body id or printed name, year) → the worst verdict of its reports and missing filings in the latest
    completed run."""
    con = db.connect(Path(db_path), read_only=True)
    try:
        run = con.execute("SELECT run_id FROM latest_run").fetchall()
        if not run:
            return {}
        verdicts = load_verdicts(con, run[0][0])
        keys = con.execute("SELECT DISTINCT report_id, coalesce(body_id, body_name), year FROM findings "
                           "WHERE run_id = ?", [run[0][0]]).fetchall()
    finally:
        con.close()
    grouped: dict[tuple[str, int | None], list[str]] = {}
    for report_id, key, year in keys:
        if report_id in verdicts:
            grouped.setdefault((key, year), []).append(verdicts[report_id].verdict)
    return {k: worst(v) or "" for k, v in grouped.items()}


def review_rows(db_path: Path) -> tuple[list[list[Any]], list[list[Any]]]:
    """(the reports to review — 待核实 — with their reasons, the files not read in full) of the latest run."""
    con = db.connect(Path(db_path), read_only=True)
    try:
        run = con.execute("SELECT run_id FROM latest_run").fetchall()
        if not run:
            return [], []
        verdicts = load_verdicts(con, run[0][0])
        files = load_problem_files(con, run[0][0])
        pending = [rid for rid, v in verdicts.items() if v.verdict == "needs_review"]
        found = con.execute("""
            SELECT f.report_id, any_value(f.body_id), any_value(f.body_name), any_value(f.year),
                   any_value(r.source_path)
            FROM findings f LEFT JOIN reports r USING (report_id)
            WHERE f.run_id = ? AND f.report_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY f.report_id
            ORDER BY 3, 4""", [run[0][0], pending]).fetchall()
    finally:
        con.close()
    reviews = [[body_id, name, year, path, "；".join(verdicts[rid].reasons)]
               for rid, body_id, name, year, path in found]
    return reviews, [[f.path, OUTCOME_LABELS.get(f.outcome, f.outcome), f.reason] for f in files]


def write_audit_by_county(db_path: Path, out_dir: Path) -> Path:
    """Write ``out_dir/audit_by_county.xlsx`` from the latest completed run: one sheet per county (each row
    with its verdict: 不合规 / 待核实 / 合规), then the reports to review (待核实, with the reasons) and the
    files that could not be read in full."""
    sheets = county_sheets(db_path)
    headers = [ALL_HEADERS[name] for name in COLUMNS]
    widths = [WIDTHS.get(name, 12) for name in COLUMNS]
    reviews, files = review_rows(db_path)
    titles = sheet_names([s.name for s in sheets] + [PENDING_SHEET, FILES_SHEET])
    book = [Sheet(title, headers, [[_value(row.get(name)) for name in COLUMNS] for row in sheet.rows], widths)
            for sheet, title in zip(sheets, titles)]
    book.append(Sheet(titles[-2], PENDING_HEADERS, [[_value(v) for v in row] for row in reviews],
                      (14, 28, 8, 40, 100)))
    book.append(Sheet(titles[-1], FILES_HEADERS, [[_value(v) for v in row] for row in files], (60, 12, 100)))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_workbook(out_dir / FILE_NAME, book)


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS.sub("", value)
    return value
