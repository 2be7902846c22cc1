"""Random but arithmetically consistent numbers for every cell of an edition.

Every identity of ``rules.arithmetic`` holds for the result: table 3 row totals, the per-column balance
一 + 二 = （七） + 四 with （七） equal to the sum of the outcome rows, and the table 4 group sums.
"""
from __future__ import annotations

import random

from rules import layout
from rules.arithmetic import APPLICANT_COLUMNS, outcome_rows
from rules.layout import Table
from synth.spec import Number

# Typical magnitude of each applicant column: most applications come from 自然人.
_SCALE = {"natural": 120, "commercial": 12, "research": 2, "nonprofit": 2, "legal": 8, "other_org": 4}
# Typical magnitude of table-2 counts: 处理决定 run to thousands, documents to tens.
_T2_SCALE = {"decisions": 5000, "prev_items": 300, "total_published": 400, "in_force": 150}


def consistent_cells(edition: str, rng: random.Random) -> dict[str, Number]:
    """Values for every cell id of ``edition`` ("2019" or "2021") satisfying all identities."""
    ed = layout.edition(edition)
    cells: dict[str, Number] = {}
    cells.update(table2_values(ed.t2, rng))
    cells.update(table3_values(ed.t3, rng))
    cells.update(table4_values(ed.t4, rng))
    return cells


def split(total: int, parts: int, rng: random.Random, active: int | None = None) -> list[int]:
    """``total`` cut into ``parts`` non-negative integers, non-zero in at most ``active`` of them."""
    active = min(parts, active or parts)
    chosen = rng.sample(range(parts), active)
    cuts = sorted(rng.randint(0, total) for _ in range(active - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, total])]
    out = [0] * parts
    for index, size in zip(chosen, sizes):
        out[index] = size
    return out


# ---------------------------------------------------------------- table 2


def table2_values(t2: Table, rng: random.Random) -> dict[str, Number]:
    """表二: counts, signed 本年增/减 (2019), money amounts with decimals."""
    out: dict[str, Number] = {}
    for row in t2.rows:
        for col in row.cols:
            out[f"t2.{row.id}.{col}"] = _t2_value(t2, col, rng)
        _cumulative(out, row.id)
    return out


def _t2_value(t2: Table, col: str, rng: random.Random) -> Number:
    column = t2.column(col)
    if column.money:
        return round(rng.uniform(0, 800), rng.choice((1, 2)))
    if column.signed:
        return rng.randint(-15, 25)
    return rng.choice((0, rng.randint(0, _T2_SCALE.get(col, 40))))


def _cumulative(out: dict[str, Number], row_id: str) -> None:
    """现行有效件数 / 对外公开总数量 are at least this year's count; 上一年项目数量 + 增/减 ≥ 0."""
    for this_year, total in (("issued", "in_force"), ("new_published", "total_published")):
        key, key_total = f"t2.{row_id}.{this_year}", f"t2.{row_id}.{total}"
        if key in out and key_total in out:
            out[key_total] = int(out[key]) + int(out[key_total])
    prev, change = f"t2.{row_id}.prev_items", f"t2.{row_id}.change"
    if prev in out and change in out:
        out[prev] = max(int(out[prev]), -int(out[change]))


# ---------------------------------------------------------------- table 3


def table3_values(t3: Table, rng: random.Random) -> dict[str, Number]:
    """表三: per applicant column a balanced set of rows, then the 总计 column as row sums."""
    out: dict[str, Number] = {}
    for col in APPLICANT_COLUMNS:
        out.update(_t3_column(t3, col, rng))
    for row in t3.rows:
        out[f"t3.{row.id}.total"] = sum(int(out[f"t3.{row.id}.{c}"]) for c in APPLICANT_COLUMNS)
    return out


def _t3_column(t3: Table, col: str, rng: random.Random) -> dict[str, int]:
    scale = _SCALE[col] if col == "natural" or rng.random() < 0.6 else 0
    new = rng.randint(0, scale)
    carried_in = rng.randint(0, scale // 5)
    carried_out = rng.randint(0, (new + carried_in) // 4)
    handled = new + carried_in - carried_out
    rows = outcome_rows(t3)
    parts = split(handled, len(rows), rng, active=rng.randint(1, 6))
    out = {f"t3.{row}.{col}": n for row, n in zip(rows, parts)}
    out.update({f"t3.new.{col}": new, f"t3.carried_in.{col}": carried_in,
                f"t3.result_total.{col}": handled, f"t3.carried_out.{col}": carried_out})
    return out


# ---------------------------------------------------------------- table 4


def table4_values(t4: Table, rng: random.Random) -> dict[str, int]:
    """表四: per group 结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计."""
    out: dict[str, int] = {}
    for row in t4.rows:
        parts = [rng.randint(0, rng.choice((0, 3, 20))) for _ in ("upheld", "corrected", "other", "pending")]
        for col, n in zip(("upheld", "corrected", "other", "pending"), parts):
            out[f"t4.{row.id}.{col}"] = n
        out[f"t4.{row.id}.total"] = sum(parts)
    return out
