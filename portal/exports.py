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
from portal.verdicts import OUTCOME_LABELS, VERDICT_LABELS, VERDICTS, load_problem_files, load_verdicts
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


# Each row of the audit list with the register id its county comes from (a row without body_id — e.g. a
# missing filing — belongs to the registered body of exactly that name) and its verdict: the worst verdict
# (``VERDICTS`` order) of the latest run's reports of that body and year (``report_verdicts``), a report
# counted under each body key and year its findings name (body_id, else the printed name).
COUNTY_QUERY = """
WITH verdicts AS (SELECT report_id, verdict FROM report_verdicts WHERE verdict IN (SELECT unnest(?::VARCHAR[]))),
keyed AS (SELECT DISTINCT f.report_id, coalesce(f.body_id, f.body_name) AS key, f.year
          FROM findings f JOIN latest_run l USING (run_id)),
worst AS (SELECT k.key, k.year, min(array_position(?::VARCHAR[], v.verdict)) AS rank
          FROM keyed k JOIN verdicts v USING (report_id) GROUP BY k.key, k.year)
SELECT a.*, coalesce(a.body_id, (SELECT any_value(n.body_id) FROM bodies n
                                 WHERE a.body_id IS NULL AND n.name = a.body_name)) AS register_id,
       w.rank AS verdict_rank
FROM audit_list a
LEFT JOIN worst w ON w.key IS NOT DISTINCT FROM CASE WHEN a.body_id IS NOT NULL AND a.body_id <> '' THEN a.body_id ELSE a.body_name END
                 AND w.year IS NOT DISTINCT FROM a.year
ORDER BY a.n_errors DESC, a.n_warnings DESC, a.body_name, a.year
"""
PENDING_QUERY = """
SELECT f.report_id, any_value(f.body_id), any_value(f.body_name), any_value(f.year), any_value(r.source_path)
FROM findings f LEFT JOIN reports r USING (report_id)
WHERE f.run_id = ? AND f.report_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY f.report_id
ORDER BY 3, 4"""


@dataclass
class CountySheet:
    key: str | None
    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CountyBook:
    """What the workbook shows, read through one read-only connection."""

    sheets: list[CountySheet]
    reviews: list[list[Any]]
    files: list[list[Any]]


def read_book(db_path: Path) -> CountyBook:
    """The county sheets (``county_sheets``) and the review rows (``review_rows``) in one read."""
    con = db.connect(Path(db_path), read_only=True)
    try:
        return CountyBook(_county_sheets(con), *_review_rows(con))
    finally:
        con.close()


def county_sheets(db_path: Path) -> list[CountySheet]:
    """The audit list grouped by county: every county of the register (even one with no row), then the
    bodies without a county when they have rows (or when there is nothing else)."""
    con = db.connect(Path(db_path), read_only=True)
    try:
        return _county_sheets(con)
    finally:
        con.close()


def _county_sheets(con: Any) -> list[CountySheet]:
    cursor = con.execute("SELECT body_id, name, kind, parent_id FROM bodies ORDER BY body_id")
    register = [dict(zip([d[0] for d in cursor.description], row)) for row in cursor.fetchall()]
    cursor = con.execute(COUNTY_QUERY, [list(VERDICTS), list(VERDICTS)])
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    for row in rows:
        rank = row.pop("verdict_rank")
        row["verdict"] = VERDICT_LABELS.get(VERDICTS[rank - 1], "—") if rank is not None else "—"
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


def review_rows(db_path: Path) -> tuple[list[list[Any]], list[list[Any]]]:
    """(the reports to review — 待核实 — with their reasons, the files not read in full) of the latest run."""
    con = db.connect(Path(db_path), read_only=True)
    try:
        return _review_rows(con)
    finally:
        con.close()


def _review_rows(con: Any) -> tuple[list[list[Any]], list[list[Any]]]:
    run = con.execute("SELECT run_id FROM latest_run").fetchall()
    if not run:
        return [], []
    verdicts = load_verdicts(con, run[0][0], only="needs_review")
    files = load_problem_files(con, run[0][0])
    pending = list(verdicts)
    found = con.execute(PENDING_QUERY, [run[0][0], pending]).fetchall()
    reviews = [[body_id, name, year, path, "；".join(verdicts[rid].reasons)]
               for rid, body_id, name, year, path in found]
    return reviews, [[f.path, OUTCOME_LABELS.get(f.outcome, f.outcome), f.reason] for f in files]


def write_audit_by_county(db_path: Path, out_dir: Path) -> Path:
    """Write ``out_dir/audit_by_county.xlsx`` from the latest completed run: one sheet per county (each row
    with its verdict: 不合规 / 待核实 / 合规), then the reports to review (待核实, with the reasons) and the
    files that could not be read in full."""
    book_data = read_book(db_path)
    sheets, reviews, files = book_data.sheets, book_data.reviews, book_data.files
    headers = [ALL_HEADERS[name] for name in COLUMNS]
    widths = [WIDTHS.get(name, 12) for name in COLUMNS]
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
