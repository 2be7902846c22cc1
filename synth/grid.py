"""The three statutory tables as printed grids (cells with rowspan/colspan), built from ``rules.layout``.

A grid is format-neutral: HTML prints it with ``rowspan``/``colspan``, Word merges the cells, text prints
one cell (or one row) per line. Value cells carry their canonical cell id.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby

from rules.arithmetic import outcome_rows
from rules.layout import Row, Table
from synth.spec import Number, format_value

# 第二十条 item of each table-2 row (templates.md §3.1 / §3.2).
T2_ITEMS = {"rules": "一", "normative": "一", "licensing": "五", "other_services": "五",
            "penalty": "六", "enforcement": "六", "fees": "八", "procurement": "九"}
T2_WIDTH = 4
T3_LABEL_COLS = 3
T3_CHECK = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_RESULTS = "三、本年度办理结果"
T3_GROUPS = {"denied": "（三）不予公开", "unavailable": "（四）无法提供",
             "not_handled": "（五）不予处理", "other": "（六）其他处理"}
T3_PREFIX = {"new": "一、", "carried_in": "二、", "carried_out": "四、", "granted": "（一）", "partial": "（二）"}
T3_SUFFIX = {"partial": "（区分处理的，只计这一情形，不计其他情形）"}
T3_APPLICANT_ORGS = "法人或其他组织"
T4_LITIGATION = "行政诉讼"
_SUB_ROW = re.compile(r"(?P<group>.+)_(?P<n>\d+)$")


@dataclass(frozen=True)
class GridCell:
    """One printed cell. ``cell_id`` is set on value cells only."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    cell_id: str | None = None


@dataclass(frozen=True)
class Grid:
    """A table as rows of the cells that *start* in each row (HTML order)."""

    table_id: str
    width: int
    rows: tuple[tuple[GridCell, ...], ...]


@dataclass(frozen=True)
class Placed:
    """A cell at its top-left grid position."""

    row: int
    col: int
    cell: GridCell


def _value(cell_id: str, values: Mapping[str, Number], colspan: int = 1) -> GridCell:
    return GridCell(format_value(values.get(cell_id)), colspan=colspan, cell_id=cell_id)


# ---------------------------------------------------------------- table 2


def table2_grid(t2: Table, values: Mapping[str, Number]) -> Grid:
    """表二: one block per 第二十条 item — item header, column header, then the item's rows."""
    rows: list[tuple[GridCell, ...]] = []
    for item, group in groupby(t2.rows, key=lambda r: T2_ITEMS[r.id]):
        block = list(group)
        rows.append((GridCell(f"第二十条第（{item}）项", colspan=T2_WIDTH),))
        rows.append((GridCell("信息内容"), *_spread([t2.column(c).label.text for c in block[0].cols])))
        rows.extend(_t2_row(t2, row, values) for row in block)
    return Grid("t2", T2_WIDTH, tuple(rows))


def _spread(texts: list[str]) -> tuple[GridCell, ...]:
    """Header cells filling the three value columns (the last one spans what is left)."""
    last = T2_WIDTH - len(texts)
    return tuple(GridCell(t, colspan=last if i == len(texts) - 1 else 1) for i, t in enumerate(texts))


def _t2_row(t2: Table, row: Row, values: Mapping[str, Number]) -> tuple[GridCell, ...]:
    last = T2_WIDTH - len(row.cols)
    cells = [_value(f"t2.{row.id}.{col}", values, last if i == len(row.cols) - 1 else 1)
             for i, col in enumerate(row.cols)]
    return (GridCell(row.label.text), *cells)


# ---------------------------------------------------------------- table 3


def table3_grid(t3: Table, values: Mapping[str, Number]) -> Grid:
    """表三: three header rows, then one row per canonical row with group cells spanning their rows."""
    outcomes = outcome_rows(t3) + ["result_total"]
    rows = list(_t3_header(t3))
    for row in t3.rows:
        cells = list(_t3_group_cells(t3, row, outcomes))
        cells.append(GridCell(t3_label(row), colspan=_t3_label_span(row, outcomes)))
        cells.extend(_value(f"t3.{row.id}.{col}", values) for col in row.cols)
        rows.append(tuple(cells))
    return Grid("t3", T3_LABEL_COLS + len(t3.columns), tuple(rows))


def _t3_header(t3: Table) -> tuple[tuple[GridCell, ...], ...]:
    labels = [c.label.text for c in t3.columns.values()]
    orgs = labels[1:-1]
    return (
        (GridCell(T3_CHECK, rowspan=3, colspan=T3_LABEL_COLS), GridCell("申请人情况", colspan=len(labels))),
        (GridCell(labels[0], rowspan=2), GridCell(T3_APPLICANT_ORGS, colspan=len(orgs)),
         GridCell(labels[-1], rowspan=2)),
        tuple(GridCell(text) for text in orgs),
    )


def _group(row: Row) -> tuple[str, int] | None:
    match = _SUB_ROW.fullmatch(row.id)
    if match and match["group"] in T3_GROUPS:
        return match["group"], int(match["n"])
    return None


def t3_label(row: Row) -> str:
    """The printed label of a table-3 row, e.g. 一、本年新收… / （二）部分公开（…） / 3.其他."""
    sub = _group(row)
    if sub:
        return f"{sub[1]}.{row.label.text}"
    return T3_PREFIX.get(row.id, "") + row.label.text + T3_SUFFIX.get(row.id, "")


def _t3_label_span(row: Row, outcomes: list[str]) -> int:
    if row.id not in outcomes:
        return T3_LABEL_COLS
    return 1 if _group(row) else T3_LABEL_COLS - 1


def _t3_group_cells(t3: Table, row: Row, outcomes: list[str]) -> tuple[GridCell, ...]:
    cells: list[GridCell] = []
    if row.id == outcomes[0]:
        cells.append(GridCell(T3_RESULTS, rowspan=len(outcomes)))
    sub = _group(row)
    if sub and sub[1] == 1:
        size = sum(1 for r in t3.rows if (_group(r) or ("", 0))[0] == sub[0])
        cells.append(GridCell(T3_GROUPS[sub[0]], rowspan=size))
    return tuple(cells)


# ---------------------------------------------------------------- table 4


def table4_grid(t4: Table, values: Mapping[str, Number]) -> Grid:
    """表四: 行政复议 | 行政诉讼 (未经复议直接起诉, 复议后起诉), five columns each, one value row."""
    review, *suits = t4.rows
    cols = [c.label.text for c in t4.columns.values()]
    n = len(cols)
    return Grid("t4", n * len(t4.rows), (
        (GridCell(review.label.text, colspan=n), GridCell(T4_LITIGATION, colspan=n * len(suits))),
        (*(GridCell(c, rowspan=2) for c in cols), *(GridCell(s.label.text, colspan=n) for s in suits)),
        tuple(GridCell(c) for _ in suits for c in cols),
        tuple(_value(cid, values) for cid in t4.cell_ids()),
    ))


# ---------------------------------------------------------------- placement


def place(grid: Grid) -> list[Placed]:
    """Every cell at its top-left position (the HTML table layout algorithm)."""
    taken: set[tuple[int, int]] = set()
    out: list[Placed] = []
    for r, row in enumerate(grid.rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append(Placed(r, c, cell))
            taken.update((r + i, c + j) for i in range(cell.rowspan) for j in range(cell.colspan))
            c += cell.colspan
    return out


def printed_rows(grid: Grid, continuations: bool) -> list[list[GridCell]]:
    """Per grid row, the cells in column order; with ``continuations`` a vertically merged cell
    reappears as an empty cell in each later row it covers (as Word-to-text conversion prints it)."""
    rows: list[list[tuple[int, GridCell]]] = [[] for _ in grid.rows]
    for p in place(grid):
        rows[p.row].append((p.col, p.cell))
        if continuations:
            for r in range(p.row + 1, p.row + p.cell.rowspan):
                rows[r].append((p.col, GridCell("", colspan=p.cell.colspan)))
    return [[cell for _, cell in sorted(row, key=lambda x: x[0])] for row in rows]


def grids(edition_tables: tuple[Table, Table, Table], values: Mapping[str, Number]) -> dict[int, Grid]:
    """The grid printed in each of sections 二, 三 and 四."""
    t2, t3, t4 = edition_tables
    return {2: table2_grid(t2, values), 3: table3_grid(t3, values), 4: table4_grid(t4, values)}
