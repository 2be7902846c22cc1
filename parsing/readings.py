"""From the tokens printed after a row label to the row's cells — without inventing a value.

A *reading* assigns one token to each cell of a row. When the row has exactly as many tokens as cells
there is one reading. When digits of neighbouring cells are glued together (``898989``) or a stray token
is present, there are several; the template's arithmetic identities may eliminate all but one. A cell
gets a value only when every remaining reading agrees on it; otherwise it is ``missing``.
"""
from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import NamedTuple

from parsing.text import Token, to_number
from rules.arithmetic import Identity

Reading = tuple[Token, ...]
MAX_READINGS = 20_000
_PIECE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?")
_GLUE = re.compile(r"[+\-−–]?\d+(?:\.\d+)?")


class RowTokens(NamedTuple):
    """The tokens of one row after trimming label fragments, and the row's cell ids (a named tuple: made for
    every row of every report, and cheaper to make than a frozen dataclass)."""

    row_id: str
    cell_ids: tuple[str, ...]
    tokens: tuple[Token, ...]


_VALUE_KINDS = frozenset({"number", "na", "missing"})  # a placeholder (value unknown) holds its cell's place


def trim(tokens: list[Token], n: int) -> list[Token]:
    """Drop label fragments before the values and text after them; drop edge blanks beyond ``n``.
    The row ends at the first break after its last value (number or n/a): the cells after it belong to the
    next row's label columns (empty cells, group headers such as （三）不予公开). Breaks before the last value,
    or before any other token, are skipped — except a grid's row end after cells followed by words or numbers
    that are not cells (``_free_after``)."""
    last = len(tokens) - 1  # the last value
    while last >= 0 and tokens[last].kind not in _VALUE_KINDS:
        last -= 1
    out: list[Token] = []
    begun = False  # whether a token other than a break was seen
    valued = False  # whether ``out`` holds a token other than text
    for index, token in enumerate(tokens):
        kind = token.kind
        if kind == "break":
            if begun and (index > last or (valued and out[-1].cell and token.where.endswith(ROW_END)
                                           and _free_after(tokens, index))):
                break
            continue
        begun = True
        if kind == "text":
            if not valued:
                continue
            if not token.cell or index > last:  # words after the last value: the next label or header
                break
        else:
            valued = True
        out.append(token)
    while out and out[-1].kind == "text":
        out.pop()
    while len(out) > n and out[0].kind == "blank":
        out.pop(0)
    while len(out) > n and out[-1].kind == "blank":
        out.pop()
    return out


ROW_END = "行末"  # how a grid reader names the line that ends a table row (网页表格1第3行末, 第2页第5行末)


def _free_after(tokens: list[Token], index: int) -> bool:
    """Whether the first token after the row end at ``index`` is not a table cell: a row of a grid (a web or
    Word table, a table read from positions) ends at its row end, and numbers printed as text after it (a
    value on a line of its own that no row could take) are not this row's."""
    for token in tokens[index + 1:]:
        if token.kind != "break":
            return not token.cell
    return False


def readings(tokens: list[Token], n: int, glued: bool = False) -> list[Reading]:
    """Every way to read ``tokens`` as ``n`` cells (empty when there is none, or too many to try).
    Fewer tokens than cells are split into glued numbers only in a glued document (``glued``), except a
    token no single number prints (``007``), which is split anywhere."""
    if len(tokens) == n:
        return [tuple(tokens)]
    if len(tokens) > n:
        values = _without_blanks(tokens, n)
        if values is not None:
            return readings(values, n, glued)
        if math.comb(len(tokens), n) > MAX_READINGS:
            return []
        return [tuple(c) for c in itertools.combinations(tokens, n)] + _joined_readings(tokens, n)
    if not tokens or any(t.kind != "number" or not _GLUE.fullmatch(_digits(t)) for t in tokens):
        return []
    return _glued_readings(tokens, n, glued)


def _without_blanks(tokens: list[Token], n: int) -> list[Token] | None:
    """The values of a row that prints at least ``n`` values and, beside them, only empty fields — text
    flattened with a separator between every piece of a page (a web page's ``&nbsp;`` spans inside a cell
    become fields of their own) has more fields than cells, but no empty field takes a cell while the
    values fill the row. ``None`` when the row holds no empty field, any text, or fewer values than cells."""
    values = [t for t in tokens if t.kind != "blank"]
    if len(values) == len(tokens) or len(values) < n or any(t.kind not in _VALUE_KINDS for t in values):
        return None
    return values


def _joined_readings(tokens: list[Token], n: int) -> list[Reading]:
    """Readings that join neighbouring one-digit tokens into one number: the digits of one cell printed apart
    (a page flattened with a separator between the pieces of a cell, ``2 0`` for 20). Only joins that make a
    number as printed (no leading zero); the table's identities decide, as for glued digits."""
    out: list[Reading] = []

    def walk(start: int, left: int, done: tuple[Token, ...]) -> None:
        if len(out) > MAX_READINGS:
            return
        rest = len(tokens) - start
        if left == 0 or rest == left:
            if rest == left:
                out.append(done + tuple(tokens[start:]))
            return
        for stop in range(start + 2, start + 2 + rest - left):
            piece = tokens[start:stop]
            digits = "".join(t.raw for t in piece)
            if not (all(t.kind == "number" and len(t.raw) == 1 and t.raw.isdigit() for t in piece)
                    and _PIECE.fullmatch(digits)):
                break
            walk(stop, left - 1, done + (replace(piece[0], raw=digits, value=int(digits), glued=" ".join(
                t.raw for t in piece)),))
        walk(start + 1, left - 1, done + (tokens[start],))

    if n > 0:
        walk(0, n, ())
    return [r for r in out if len(r) == n and any(t.glued for t in r)] if len(out) <= MAX_READINGS else []


def _digits(token: Token) -> str:
    text = re.sub(r"(万元|元|件|个|项|条|人次|%|％)$", "", token.raw.strip()).replace(",", "")
    return text.replace("−", "-").replace("–", "-").lstrip("+")


def _may_split(token: Token, glued: bool) -> bool:
    return glued or not _PIECE.fullmatch(_digits(token))


def _glued_readings(tokens: list[Token], n: int, glued: bool) -> list[Reading]:
    options = []
    for k in _compositions(len(tokens), n):
        if any(parts > 1 and not _may_split(t, glued) for t, parts in zip(tokens, k)):
            continue
        counts = [_count_splits(_digits(t), parts) for t, parts in zip(tokens, k)]
        if 0 in counts:
            continue
        if math.prod(counts) > MAX_READINGS:
            return []
        per_token = [_splits(_digits(t), parts) for t, parts in zip(tokens, k)]
        for combo in itertools.product(*per_token):
            options.append(tuple(_piece(t, p) for t, pieces in zip(tokens, combo) for p in pieces))
            if len(options) > MAX_READINGS:
                return []
    return options


def _piece(token: Token, piece: str) -> Token:
    if piece == _digits(token):
        return token
    return replace(token, raw=piece, value=to_number(piece), unit=None, glued=token.raw)


def _compositions(m: int, n: int) -> list[tuple[int, ...]]:
    """Ways to give each of m tokens at least one of n cells."""
    if m > n:
        return []
    return [tuple(b - a for a, b in zip((0, *cuts), (*cuts, n)))
            for cuts in itertools.combinations(range(1, n), m - 1)]


@cache
def _count_splits(s: str, k: int) -> int:
    if k == 1:
        return 1 if _PIECE.fullmatch(s) else 0
    return sum(_count_splits(s[end:], k - 1) for end in range(1, len(s)) if _PIECE.fullmatch(s[:end]))


@cache
def _splits(s: str, k: int) -> tuple[tuple[str, ...], ...]:
    """All ways to cut digit string ``s`` into ``k`` numbers without leading zeros."""
    if k == 1:
        return ((s,),) if _PIECE.fullmatch(s) else ()
    out = []
    for end in range(1, len(s)):
        head = s[:end]
        if _PIECE.fullmatch(head):
            out.extend((head, *rest) for rest in _splits(s[end:], k - 1))
    return tuple(out)


# ---------------------------------------------------------------- resolution by identities


def _holds(identity: Identity, values: dict[str, Token]) -> bool | None:
    numbers = {cid: _number(values.get(cid)) for cid in identity.cells}  # all that ``holds`` reads
    return identity.holds(numbers)


def _number(token: Token | None) -> float | int | None:
    return token.value if token is not None and token.kind == "number" else None


def _assign(row: RowTokens, reading: Reading) -> dict[str, Token]:
    return dict(zip(row.cell_ids, reading))


def _consistent(values: dict[str, Token], identities: list[Identity]) -> bool:
    return all(_holds(i, values) is not False for i in identities)


def resolve(rows: list[tuple[RowTokens, list[Reading]]], identities: list[Identity]) -> dict[str, list[Token]]:
    """For each cell id, the tokens it could be (one element = determined; empty = no reading)."""
    fixed, open_candidates = resolve_split(rows, identities)
    candidates: dict[str, list[Token]] = {cid: [tok] for cid, tok in fixed.items()}
    candidates.update(open_candidates)
    return candidates


def resolve_split(rows: list[tuple[RowTokens, list[Reading]]],
                  identities: list[Identity]) -> tuple[dict[str, Token], dict[str, list[Token]]]:
    """``resolve`` in two parts: the token of each cell of a row with a single reading, and the candidate
    tokens of each cell of a row with several (these take precedence when a cell id is in both)."""
    fixed: dict[str, Token] = {}
    open_rows: list[tuple[RowTokens, list[Reading]]] = []
    for row, options in rows:
        if len(options) == 1:
            fixed.update(zip(row.cell_ids, options[0]))
        elif options:
            open_rows.append((row, _filter_alone(row, options, identities)))
    open_candidates: dict[str, list[Token]] = {}
    if open_rows:
        joint = _joint(open_rows, fixed, identities)
        for row, options in open_rows:
            for cid in row.cell_ids:
                open_candidates[cid] = joint.get(cid) or [_assign(row, r)[cid] for r in options]
    return fixed, open_candidates


def _filter_alone(row: RowTokens, options: list[Reading], identities: list[Identity]) -> list[Reading]:
    inside = [i for i in identities if set(i.cells) <= set(row.cell_ids)]
    kept = [r for r in options if _consistent(_assign(row, r), inside)]
    return kept or options


def _joint(open_rows: list[tuple[RowTokens, list[Reading]]], fixed: dict[str, Token],
           identities: list[Identity]) -> dict[str, list[Token]]:
    if not open_rows or math.prod(len(o) for _, o in open_rows) > MAX_READINGS:
        return {}
    open_cells = {cid for row, _ in open_rows for cid in row.cell_ids}
    relevant = [i for i in identities if open_cells & set(i.cells)]
    found: dict[str, list[Token]] = {}
    for combo in itertools.product(*(o for _, o in open_rows)):
        values = dict(fixed)
        for (row, _), reading in zip(open_rows, combo):
            values.update(_assign(row, reading))
        if _consistent(values, relevant):
            for cid in open_cells:
                found.setdefault(cid, []).append(values[cid])
    return found


def agreed(options: Sequence[Token]) -> Token | None:
    """The token when every reading gives the cell the same state and value, else None."""
    if not options:
        return None
    first = options[0]
    same = all(t.kind == first.kind and t.value == first.value for t in options[1:])
    return first if same else None
