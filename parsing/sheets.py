"""Spreadsheets (.xlsx; .xls/.et after conversion) → cell lines, like the Word reader's tables.

Each sheet is read by its grid: every distinct cell once, at its top-left position (a merged range is one
cell), one *cell line* per cell and an empty line after each row — so the table parser matches rows and
columns by their printed labels exactly as in a Word table. A formula whose value was never computed (a
sheet written by a program, never opened in Excel) is not a blank and not a 0: it becomes a text cell
saying so, which no rule reads as a number. A workbook that holds none of the statutory tables says so.
"""
from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time

from parsing.errors import EncryptedDocument, NotADocument, TooLarge

MAX_CELLS = 200_000
UNCOMPUTED = "〔公式未计算，无数值〕"
NO_TABLE = "电子表格中没有找到政府信息公开年度报告的统计表（表二、表三或表四的行标签），不像一份年度报告"


def read_xlsx(data: bytes, label: str = ".xlsx") -> list:
    """The cell lines of every sheet of the workbook ``data`` (``label`` names the file type in reasons).
    Raises ``NotADocument`` when it cannot be opened or holds no statutory table."""
    from parsing.readers import Line

    values, formulas = _open(data, label), _open(data, label, formulas=True)
    lines: list[Line] = []
    count = 0
    for sheet, formula_sheet in zip(values.worksheets, formulas.worksheets):
        count += (sheet.max_row or 0) * (sheet.max_column or 0)
        if count > MAX_CELLS:
            raise TooLarge(f"电子表格单元格过多（超过 {MAX_CELLS} 个），不像一份年度报告")
        lines.extend(_sheet_lines(sheet, formula_sheet, Line))
    if not holds_statutory_table("\n".join(line.text for line in lines)):
        raise NotADocument(NO_TABLE)
    return lines


def _open(data: bytes, label: str, formulas: bool = False):  # noqa: ANN202 - openpyxl Workbook
    import openpyxl

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise EncryptedDocument(f"{label} 文件受密码保护（已加密），无法读取；请提供未加密的文件")
    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=not formulas, read_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError, IndexError, AttributeError) as exc:
        raise NotADocument(f"{label} 电子表格已损坏或不完整，无法打开（{exc.__class__.__name__}）") from None


def _sheet_lines(sheet, formula_sheet, line_type: type) -> Iterator:  # noqa: ANN001 - openpyxl Worksheet
    covered = _covered(sheet)
    for r, row in enumerate(sheet.iter_rows(), start=1):
        cells = []
        for c, cell in enumerate(row, start=1):
            if (r, c) in covered:
                continue
            text = cell_text(cell.value)
            if cell.value is None and _is_formula(formula_sheet.cell(r, c).value):
                text = UNCOMPUTED
            cells.append(line_type(text, f"工作表“{sheet.title}”{cell.coordinate}格", True))
        if any(line.text for line in cells):
            yield from cells
            yield line_type("", f"工作表“{sheet.title}”第{r}行末")


def _covered(sheet) -> set[tuple[int, int]]:  # noqa: ANN001
    """The positions inside merged ranges other than each range's top-left cell."""
    out: set[tuple[int, int]] = set()
    for merged in sheet.merged_cells.ranges:
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                if (row, col) != (merged.min_row, merged.min_col):
                    out.add((row, col))
    return out


def _is_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith("=")


def cell_text(value: object) -> str:
    """A cell's value as printed: integers plainly, other numbers to 10 significant digits (no float noise),
    text with its whitespace runs collapsed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return " ".join(str(value).split())


def holds_statutory_table(text: str) -> bool:
    """Whether ``text`` prints the labels of a statutory table: at least three row labels of 表二 or 表三,
    or table 四's anchor with its header words (in either edition)."""
    from parsing.text import has_label
    from rules import layout

    for edition in layout.EDITIONS:
        tables = layout.edition(edition).tables()
        for table in tables[:2]:
            found = sum(1 for row in table.rows if any(has_label(text, label) for label in row.label.all))
            if found >= 3:
                return True
        t4 = tables[2]
        if any(has_label(text, a) for a in t4.anchors) and sum(has_label(text, w) for w in t4.markers) >= 5:
            return True
    return False
