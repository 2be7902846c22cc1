"""The audit list split by county: one XLSX sheet per county (bodies grouped by ``parent_id``).

Same columns and Chinese headers as ``out/audit_list.xlsx``; every sheet has a frozen, bold header row
and a filter. Text from the database is always written as text (never as a formula).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from portal.data import UNASSIGNED
from portal.names import sheet_names
from portal.xlsx import Sheet, write_workbook
from warehouse import db
from warehouse.exports import HEADERS

FILE_NAME = "audit_by_county.xlsx"
COLUMNS = tuple(HEADERS)
WIDTHS = {"body_id": 14, "body_name": 28, "year": 8, "n_errors": 8, "n_warnings": 8, "rule_ids": 30,
          "run_id": 24, "details": 80}


# A row without body_id (e.g. a missing filing) belongs to the registered body of exactly that name.
COUNTY_QUERY = """
SELECT a.*, coalesce(b.parent_id, (SELECT any_value(n.parent_id) FROM bodies n
                                   WHERE a.body_id IS NULL AND n.name = a.body_name)) AS county
FROM audit_list a LEFT JOIN bodies b ON b.body_id = a.body_id
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
        register = con.execute("SELECT body_id, name, parent_id FROM bodies").fetchall()
        cursor = con.execute(COUNTY_QUERY)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()
    labels = {body_id: name for body_id, name, _ in register}
    keys = sorted({parent for _, _, parent in register if parent is not None})
    sheets = {k: CountySheet(k, labels.get(k) or k) for k in keys}
    for row in rows:
        key = row["county"] if row["county"] in sheets else None
        sheets.setdefault(key, CountySheet(None, UNASSIGNED)).rows.append(row)
    return list(sheets.values()) or [CountySheet(None, UNASSIGNED)]


def write_audit_by_county(db_path: Path, out_dir: Path) -> Path:
    """Write ``out_dir/audit_by_county.xlsx`` (one sheet per county) from the latest completed run."""
    sheets = county_sheets(db_path)
    headers = [HEADERS[name] for name in COLUMNS]
    widths = [WIDTHS.get(name, 12) for name in COLUMNS]
    book = [Sheet(title, headers, [[_value(row.get(name)) for name in COLUMNS] for row in sheet.rows], widths)
            for sheet, title in zip(sheets, sheet_names([s.name for s in sheets]))]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_workbook(out_dir / FILE_NAME, book)


def _value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
