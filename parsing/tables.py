"""Find the rows of a statutory table by their printed labels and read their cells."""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from dataclasses import dataclass
from typing import NamedTuple

from parsing.align import Alignment
from parsing.model import Cell, Locator
from parsing.readings import RowTokens, Reading, agreed, readings, resolve_split, trim
from parsing.rowalign import align_rows, needs_alignment
from parsing.text import ITEM_PREFIX, LabelWalk, TextMap, Token, compact, find_label, label_body, region_tokens
from rules.arithmetic import Identity, identities
from rules.layout import Row, Table


class FoundRow(NamedTuple):
    """A row label found in the text (a named tuple: made for every row of every report, and cheaper to make
    than a frozen dataclass)."""

    row: Row
    label_start: int
    label_end: int
    printed: str


@dataclass(frozen=True)
class TableResult:
    cells: dict[str, Cell]
    problems: tuple[str, ...]
    found: bool
    alignments: tuple[Alignment, ...] = ()


TABLE_NAMES = {"t2": "表二", "t3": "表三", "t4": "表四"}
_DIGIT = re.compile(r"\d")
_NO_OPTIONS: tuple[Token, ...] = ()


@dataclass(frozen=True)
class _Plan:
    """What every report reads from one table's layout, worked out once per ``Table`` object."""

    table: Table
    identities: list[Identity]
    # each row with its (cell id, printed column label) pairs, in printed order
    cells: tuple[tuple[Row, tuple[tuple[str, str], ...]], ...]
    row_cells: dict[int, tuple[str, ...]]  # id(row) → the row's cell ids
    labels: tuple[tuple[Row, tuple[str, ...], int | None], ...]  # each row with its label variants and number


_PLANS: dict[int, _Plan] = {}
_MAX_PLANS = 64  # tables are few (two editions' layouts, cached by rules.layout); a safety bound only


def _plan(table: Table) -> _Plan:
    """The cached plan of ``table`` (keyed by identity: a ``Table`` is frozen and holds a dict, so it is not
    hashable; the plan keeps the table alive, so its id cannot be reused while the entry exists)."""
    plan = _PLANS.get(id(table))
    if plan is None or plan.table is not table:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[id(table)] = _make_plan(table)
    return plan


def _make_plan(table: Table) -> _Plan:
    row_cells = {id(row): tuple(f"{table.id}.{row.id}.{col}" for col in row.cols) for row in table.rows}
    cells = tuple((row, tuple((cid, table.column(col).label.text) for cid, col in zip(row_cells[id(row)], row.cols)))
                  for row in table.rows)
    labels = tuple((row, row.label.all, row.label.numbered) for row in table.rows)
    return _Plan(table, identities(table), cells, row_cells, labels)


def table_start(textmap: TextMap, table: Table, start: int, end: int) -> int | None:
    """Where the table opens: the earliest of its anchor texts within [start, end)."""
    match = find_label(textmap.text, table.anchors, start, end)
    return match.start() if match else None


def find_rows(text: str, table: Table, start: int, end: int, broken: list[FoundRow] | None = None) -> list[FoundRow]:
    """Each row's label, searched in printed order; a row whose label is absent is skipped. A label printed
    in two parts around its row's values (``broken_label``) is found too, and listed in ``broken``."""
    found: list[FoundRow] = []
    cursor = start
    for row, labels, numbered in _plan(table).labels:
        match = find_label(text, labels, cursor, end, numbered)
        if match:
            found.append(FoundRow(row, match.start(), match.end(), compact(match.group(0))))
            cursor = match.end()
        elif (split := broken_label(text, labels, cursor, end)) is not None:
            first, rest = split
            found.append(FoundRow(row, first.start(), first.end(), compact(first.group(0) + rest["tail"])))
            if broken is not None:
                broken.append(found[-1])
            cursor = rest.end()
    return found


MIN_PART = 2  # characters of a label printed on each side of its values (a shorter part could be anything)
_VALUE_RUN = r"[\s\u00a0\u3000]*(?:[+\-−–]?\d+(?:\.\d+)?[\s\u00a0\u3000]*)+"
_SHORT_LINES = r"(?:[^\d\n]{1,4}\n)*"  # pieces of a group label's column (不予处 / 理) between the two parts
_BROKEN_REACH = 240  # characters after the search start where a broken label's first part may begin


def broken_label(text: str, labels: tuple[str, ...], start: int, end: int) -> tuple[re.Match[str], re.Match[str]] | None:
    """A row label printed in two parts with the row's values between them, as a text layer prints a label
    wrapped over lines beside values centred in its cell (``2.其他法律 0 0 0 0 0 0 0`` / ``公开`` /
    ``行政法规禁止公开``): the first part, then the values (digits glued to it included), then at most a few
    short lines of a group label's column, then the rest — together exactly the label (any whitespace). Each
    part has at least ``MIN_PART`` characters. Returns the matches of the first part and of the rest."""
    limit = min(end, start + _BROKEN_REACH)
    for label in labels:
        chars = compact(label)
        for cut in range(MIN_PART, len(chars) - MIN_PART + 1):
            first = _first_part(chars[:cut]).search(text, start, limit)
            if first is None:
                continue
            rest = _rest_part(chars[cut:]).match(text, first.end(), end)
            if rest is not None:
                return first, rest
    return None


@cache
def _first_part(head: str) -> re.Pattern[str]:
    """The first part with the item number printed before it (2.其他法律), followed by values and a line end."""
    return re.compile(ITEM_PREFIX + label_body(head) + rf"(?={_VALUE_RUN}\n)")


@cache
def _rest_part(tail: str) -> re.Pattern[str]:
    return re.compile(rf"{_VALUE_RUN}{_SHORT_LINES}[\s\u00a0\u3000]*(?P<tail>{label_body(tail)})")


def extract_rows(textmap: TextMap, table: Table, start: int, end: int, glued: bool = False) -> TableResult:
    """Table 2 or 3: one labelled row after another. Rows the exact pass misses (or cuts short) are
    aligned to the template by similarity (``parsing.rowalign``)."""
    broken: list[FoundRow] = []
    found = find_rows(textmap.text, table, start, end, broken)
    if not found:
        return _absent(table)
    aligned = None
    if needs_alignment(table, found):
        aligned = align_rows(textmap, table, found, start, end, FoundRow)
        found = aligned.found
    spans = [(f, f.label_end, nxt.label_start) for f, nxt in zip(found, found[1:])]
    spans.append((found[-1], found[-1].label_end, end))
    row_cells = _plan(table).row_cells
    rows = [_unless_values_in_label(textmap, f, _row_tokens(textmap, f.row, row_cells[id(f.row)], a, b, glued))
            for f, a, b in spans]
    printed = {f.row.id: f.printed for f in found}
    if aligned is None:
        result = _cells(table, rows, printed)
    else:
        result = _aligned_cells(textmap, table, rows, printed, aligned)
    if not broken:
        return result
    split = tuple(Alignment("row", f"{table.id}.{f.row.id}", f.row.label.text, f.printed, 1.0, "标签被数值隔开",
                            textmap.where(f.label_start)) for f in broken)
    return TableResult(result.cells, result.problems, result.found, result.alignments + split)


def _aligned_cells(textmap: TextMap, table: Table, rows: list[tuple[RowTokens, list[Reading]]],
                   printed: dict[str, str], aligned) -> TableResult:  # noqa: ANN001 - RowAlignment
    """``_cells`` for an aligned table: the rows whose numbers are unplaced lose their readings (their cells
    are missing, ``unplaced``), and the non-exact matches travel with the result."""
    unplaced = aligned.unplaced
    kept = [(tokens, options) for tokens, options in rows if tokens.row_id not in unplaced]
    result = _cells(table, kept, {k: v for k, v in printed.items() if k not in unplaced})
    cells = dict(result.cells)
    name = TABLE_NAMES[table.id]
    problems = [p for p in result.problems if not any(f"“{r.label.text}”行" in p for r in table.rows
                                                      if r.id in unplaced)]
    for row in table.rows:
        if row.id not in unplaced:
            continue
        raw = unplaced[row.id]
        where = next((a.where for a in aligned.alignments if a.target == f"{table.id}.{row.id}"), "")
        for cid in _plan(table).row_cells[id(row)]:
            column = table.column(cid.split(".")[2]).label.text
            cells[cid] = Cell(cid, "missing", None, raw, Locator(where, raw, column) if where else None,
                              "文中有数字无法确定是否属于该行（标签与格式差异较大），记为未对应", "unplaced")
        problems.append(f"{name}“{row.label.text}”行：文中“{raw}”处的数字无法确定归属，记为未对应"
                        + (f"（{where}）" if where else ""))
    problems.extend(a.problem(name) for a in aligned.alignments if a.weak)
    return TableResult(cells, tuple(problems), True, tuple(aligned.alignments))


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
    """How many header words follow one another from ``pos`` with no digit between them, and where they end."""
    count = 0
    walk = LabelWalk(text, words, end)
    while (match := walk.find(pos)) is not None and _DIGIT.search(text, pos, match.start()) is None:
        count += 1
        pos = match.end()
    return count, pos


def _row_tokens(textmap: TextMap, row: Row, cell_ids: tuple[str, ...], a: int, b: int,
                glued: bool) -> tuple[RowTokens, list[Reading]]:
    tokens = trim(_own_line_values(textmap, region_tokens(textmap, a, b), a), len(row.cols))
    return RowTokens(row.id, cell_ids, tuple(tokens)), readings(tokens, len(row.cols), glued)


_FLOATING = frozenset({"number", "na"})


def _own_line_values(textmap: TextMap, tokens: list[Token], label_end: int) -> list[Token]:
    """A row printed on its label's line (``行政许可   396   278``: a PDF's text laid out by position) keeps
    only that line's tokens. Numbers on lines of their own between two such rows float: a value centred
    higher or lower in its cell than the label (``442`` a line above, ``7`` a line below) cannot be told to
    belong to this row or the next, so it is not taken — the row then has fewer values than columns and its
    cells are missing, never filled from the next row. Cell lines (web and Word tables) and rows whose
    values follow the label on lines of their own are unchanged."""
    if any(t.cell for t in tokens):
        return tokens
    where = textmap.where(label_end)
    inline = [t for t in tokens if t.where == where]
    if not any(t.kind in _FLOATING for t in inline):
        return tokens
    if not any(t.kind in _FLOATING and t.where != where for t in tokens):
        return tokens
    return inline


def _unless_values_in_label(textmap: TextMap, found: FoundRow,
                            row: tuple[RowTokens, list[Reading]]) -> tuple[RowTokens, list[Reading]]:
    """A label matched across table rows (broken over a page) with value cells printed between its parts,
    and nothing but blanks after it: whether the values are the ones between or the blanks after cannot be
    told, so the row has no reading (its cells are missing, never blank)."""
    tokens, options = row
    if any(t.kind in ("number", "na", "missing") for t in tokens.tokens):
        return row
    inside = region_tokens(textmap, found.label_start, found.label_end)
    if not any(t.cell and t.kind in ("number", "na") for t in inside):
        return row
    return tokens, []


def _cells(table: Table, rows: list[tuple[RowTokens, list[Reading]]], printed: dict[str, str]) -> TableResult:
    plan = _plan(table)
    fixed, open_candidates = resolve_split(rows, plan.identities)
    by_row: dict | None = None  # made when first needed
    missing = False  # whether a cell is missing (only ``_cell`` makes one)
    cells: dict[str, Cell] = {}
    for row, columns in plan.cells:
        label = printed.get(row.id)
        for cid, column in columns:
            token = None if cid in open_candidates else fixed.get(cid)
            if token is not None and label and not token.glued and token.kind != "missing":  # ``_cell`` inlined
                value = token.value if token.kind == "number" else None
                cells[cid] = Cell(cid, token.kind, value, token.raw, Locator(token.where, label, column), "")
                continue
            options = open_candidates.get(cid) or ((token,) if token is not None else _NO_OPTIONS)
            if by_row is None:
                by_row = {row_tokens.row_id: (row_tokens, opts) for row_tokens, opts in rows}
            cell = cells[cid] = _cell(cid, table, row, column, options, label, by_row)
            missing = missing or cell.state == "missing"
    return TableResult(cells, tuple(_row_problems(table, rows, printed, cells, missing)), True)


def _cell(cid: str, table: Table, row: Row, column: str, options: Sequence[Token], printed: str | None,
          by_row: dict) -> Cell:
    """One cell from the tokens its readings give it; ``column`` is the printed column label."""
    if printed is None:
        return Cell(cid, "missing", note="未找到该行", reason="row_absent")
    row_label = printed or row.label.text
    token = options[0] if len(options) == 1 else agreed(options)
    if token is None:
        raw = _row_raw(table, row, by_row)
        where = _row_where(table, row, by_row)
        if options:
            return Cell(cid, "missing", None, raw, Locator(where, row_label, column) if where else None,
                        "该行有多种读法（数字粘连或多出的值），按表内勾稽关系仍无法唯一确定", "ambiguous")
        return Cell(cid, "missing", None, raw, Locator(where, row_label, column) if where else None,
                    "该行找到的值少于列数，无法确定对应列", "lost")
    if token.kind == "missing":  # a reader's placeholder: the cell's place is known, its value is not
        return Cell(cid, "missing", None, token.raw, Locator(token.where, row_label, column),
                    f"单元格内容无法确定（{token.raw}）", "unreadable")
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
                  cells: dict[str, Cell], missing: bool = True) -> list[str]:
    """Rows not found, and found rows with missing cells (none when ``missing`` is false)."""
    name = TABLE_NAMES[table.id]
    problems = []
    for row in table.rows:
        if table.id != "t4" and row.id not in printed:
            problems.append(f"{name}未找到“{row.label.text}”行")
    for row_tokens, _ in rows if missing else ():
        lost = [cid for cid in row_tokens.cell_ids if cells[cid].state == "missing"]
        if lost:
            label = printed.get(row_tokens.row_id, name)
            problems.append(f"{name}“{label}”：找到 {len(row_tokens.tokens)} 个单元格值（应有 "
                            f"{len(row_tokens.cell_ids)} 个），{len(lost)} 格无法唯一确定，记为缺失")
    return problems


def _absent(table: Table) -> TableResult:
    cells = {cid: Cell(cid, "missing", note="未找到该表", reason="table_absent") for cid in table.cell_ids()}
    return TableResult(cells, (f"未找到{TABLE_NAMES[table.id]}",), False)
