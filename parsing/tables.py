"""Find the rows of a statutory table by their printed labels and read their cells."""
from __future__ import annotations

import re
from dataclasses import dataclass

from parsing.model import Cell, Locator
from parsing.readings import RowTokens, Reading, agreed, readings, resolve, trim
from parsing.text import TextMap, Token, compact, find_label, region_tokens
from rules.arithmetic import identities
from rules.layout import Row, Table


@dataclass(frozen=True)
class FoundRow:
    row: Row
    label_start: int
    label_end: int
    printed: str


@dataclass(frozen=True)
class TableResult:
    cells: dict[str, Cell]
    problems: tuple[str, ...]
    found: bool


TABLE_NAMES = {"t2": "表二", "t3": "表三", "t4": "表四"}


def table_start(textmap: TextMap, table: Table, start: int, end: int) -> int | None:
    """Where the table opens: the earliest of its anchor texts within [start, end)."""
    match = find_label(textmap.text, table.anchors, start, end)
    return match.start() if match else None


def find_rows(text: str, table: Table, start: int, end: int) -> list[FoundRow]:
    """Each row's label, searched in printed order; a row whose label is absent is skipped."""
    found: list[FoundRow] = []
    cursor = start
    for row in table.rows:
        match = find_label(text, row.label.all, cursor, end, row.label.numbered)
        if match:
            found.append(FoundRow(row, match.start(), match.end(), compact(match.group(0))))
            cursor = match.end()
    return found


def extract_rows(textmap: TextMap, table: Table, start: int, end: int, glued: bool = False) -> TableResult:
    """Table 2 or 3: one labelled row after another."""
    found = find_rows(textmap.text, table, start, end)
    if not found:
        return _absent(table)
    spans = [(f, f.label_end, nxt.label_start) for f, nxt in zip(found, found[1:])]
    spans.append((found[-1], found[-1].label_end, end))
    rows = [_row_tokens(textmap, table, f.row, a, b, glued) for f, a, b in spans]
    printed = {f.row.id: f.printed for f in found}
    return _cells(table, rows, printed)


def extract_t4(textmap: TextMap, table: Table, start: int, end: int, glued: bool = False) -> TableResult:
    """Table 4: a header of group and column words, then one row of 15 values."""
    values_start = _after_header(textmap.text, table, start, end)
    if values_start is None:
        return _absent(table)
    tokens = trim(region_tokens(textmap, values_start, end), 15)
    cell_ids = tuple(table.cell_ids())
    rows = [(RowTokens("all", cell_ids, tuple(tokens)), readings(tokens, len(cell_ids), glued))]
    printed = {row.id: row.label.text for row in table.rows}
    return _cells(table, rows, printed)


MIN_HEADER_WORDS = 5


def _after_header(text: str, table: Table, start: int, end: int) -> int | None:
    """End of the printed header: the anchor (行政复议) followed by the longest run of header words
    with no digit between them (at least ``MIN_HEADER_WORDS``). Prose that mentions 行政复议 loses."""
    best: tuple[int, int] | None = None
    pos = start
    while (anchor := find_label(text, table.anchors, pos, end)) is not None:
        words, header_end = _header_walk(text, table.markers, anchor.end(), end)
        if words >= MIN_HEADER_WORDS and (best is None or words > best[0]):
            best = (words, header_end)
        pos = anchor.end()
    return best[1] if best else None


def _header_walk(text: str, words: tuple[str, ...], pos: int, end: int) -> tuple[int, int]:
    count = 0
    while (match := find_label(text, words, pos, end)) is not None and not re.search(r"\d", text[pos:match.start()]):
        count += 1
        pos = match.end()
    return count, pos


def _row_tokens(textmap: TextMap, table: Table, row: Row, a: int, b: int,
                glued: bool) -> tuple[RowTokens, list[Reading]]:
    tokens = trim(region_tokens(textmap, a, b), len(row.cols))
    cell_ids = tuple(f"{table.id}.{row.id}.{col}" for col in row.cols)
    return RowTokens(row.id, cell_ids, tuple(tokens)), readings(tokens, len(row.cols), glued)


def _cells(table: Table, rows: list[tuple[RowTokens, list[Reading]]], printed: dict[str, str]) -> TableResult:
    candidates = resolve(rows, identities(table))
    by_row = {row.row_id: (row, opts) for row, opts in rows}
    cells: dict[str, Cell] = {}
    problems: list[str] = []
    for row in table.rows:
        for col in row.cols:
            cid = f"{table.id}.{row.id}.{col}"
            cells[cid] = _cell(cid, table, row, col, candidates.get(cid, []), printed.get(row.id), by_row)
    problems.extend(_row_problems(table, rows, printed, cells))
    return TableResult(cells, tuple(problems), True)


def _cell(cid: str, table: Table, row: Row, col: str, options: list[Token], printed: str | None,
          by_row: dict) -> Cell:
    column = table.column(col).label.text
    row_label = printed or row.label.text
    token = agreed(options)
    if printed is None:
        return Cell(cid, "missing", note="未找到该行", reason="row_absent")
    if token is None:
        raw = _row_raw(table, row, by_row)
        where = _row_where(table, row, by_row)
        if options:
            return Cell(cid, "missing", None, raw, Locator(where, row_label, column) if where else None,
                        "该行有多种读法（数字粘连或多出的值），按表内勾稽关系仍无法唯一确定", "ambiguous")
        return Cell(cid, "missing", None, raw, Locator(where, row_label, column) if where else None,
                    "该行找到的值少于列数，无法确定对应列", "lost")
    note = f"由粘连数字“{token.glued}”拆分（唯一读法）" if token.glued else ""
    value = token.value if token.kind == "number" else None
    return Cell(cid, token.kind, value, token.raw, Locator(token.where, row_label, column), note)


def _row_raw(table: Table, row: Row, by_row: dict) -> str:
    entry = by_row.get(row.id) or by_row.get("all")
    return " ".join(t.raw for t in entry[0].tokens) if entry else ""


def _row_where(table: Table, row: Row, by_row: dict) -> str:
    entry = by_row.get(row.id) or by_row.get("all")
    return entry[0].tokens[0].where if entry and entry[0].tokens else ""


def _row_problems(table: Table, rows: list[tuple[RowTokens, list[Reading]]], printed: dict[str, str],
                  cells: dict[str, Cell]) -> list[str]:
    name = TABLE_NAMES[table.id]
    problems = []
    for row in table.rows:
        if table.id != "t4" and row.id not in printed:
            problems.append(f"{name}未找到“{row.label.text}”行")
    for row_tokens, _ in rows:
        lost = [cid for cid in row_tokens.cell_ids if cells[cid].state == "missing"]
        if lost:
            label = printed.get(row_tokens.row_id, name)
            problems.append(f"{name}“{label}”：找到 {len(row_tokens.tokens)} 个单元格值（应有 "
                            f"{len(row_tokens.cell_ids)} 个），{len(lost)} 格无法唯一确定，记为缺失")
    return problems


def _absent(table: Table) -> TableResult:
    cells = {cid: Cell(cid, "missing", note="未找到该表", reason="table_absent") for cid in table.cell_ids()}
    return TableResult(cells, (f"未找到{TABLE_NAMES[table.id]}",), False)
