"""A report's three statutory tables as an .xlsx workbook (one sheet, the tables one under another, merged
cells merged), the way an office puts them in a spreadsheet attachment."""
from __future__ import annotations

import io

from rules import layout
from synth.grid import grids, place
from synth.spec import ReportSpec, title


def render_xlsx(spec: ReportSpec, numbers_as_text: bool = False) -> bytes:
    """The workbook; values are numbers (or their printed text with ``numbers_as_text``)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "统计表"
    sheet.cell(1, 1, title(spec))
    row = 3
    for number, grid in sorted(grids(layout.edition(spec.edition).tables(), spec.cells).items()):
        sheet.cell(row, 1, f"{'二三四'[number - 2]}、{layout.sections()[number - 1].label.text}")
        row += 1
        for placed in place(grid):
            value = placed.cell.text
            if placed.cell.cell_id and value and not numbers_as_text:
                value = spec.cells[placed.cell.cell_id]
            sheet.cell(row + placed.row, placed.col + 1, value if value != "" else None)
            if placed.cell.rowspan > 1 or placed.cell.colspan > 1:
                sheet.merge_cells(start_row=row + placed.row, start_column=placed.col + 1,
                                  end_row=row + placed.row + placed.cell.rowspan - 1,
                                  end_column=placed.col + placed.cell.colspan)
        row += len(grid.rows) + 2
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
