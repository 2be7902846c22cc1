"""The arithmetic identities of tables 3 and 4 (勾稽关系), as data over canonical cell ids.

One definition serves three users: the parser (to split glued digits only when the identities leave
exactly one reading), the rule catalogue, and the Great Expectations suites.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from rules.layout import Table

OUTCOME_ROWS_FIRST = "granted"
OUTCOME_ROWS_END = "result_total"
APPLICANT_COLUMNS = ("natural", "commercial", "research", "nonprofit", "legal", "other_org")


@dataclass(frozen=True)
class Identity:
    """``sum(lhs) == sum(rhs)`` (or ``>=`` when ``relation`` is ``ge``) over canonical cell ids;
    ``rule`` is the rule id it belongs to, ``scope`` the printed column, row or group it covers."""

    rule: str
    scope: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    relation: str = "eq"

    @property
    def cells(self) -> tuple[str, ...]:
        return self.lhs + self.rhs

    @cached_property
    def key(self) -> str:
        """A short stable id of this identity (same cells → same key, whichever edition it came from)."""
        return hashlib.sha1("|".join((self.relation, *self.lhs, "=", *self.rhs)).encode()).hexdigest()[:10]

    def holds(self, values: dict[str, float | None], tolerance: float = 0.0) -> bool | None:
        """True/False, or None when an input is unknown (missing or NaN)."""
        lhs = _total(self.lhs, values)
        rhs = _total(self.rhs, values)
        if lhs is None or rhs is None:
            return None
        return lhs >= rhs - tolerance if self.relation == "ge" else abs(lhs - rhs) <= tolerance + 1e-9


def _total(cells: tuple[str, ...], values: dict[str, float | None]) -> float | None:
    """The sum of the cells' values (added in order, as ``sum`` does), None when one is unknown."""
    total = 0
    for cid in cells:
        value = values.get(cid)
        if value is None or value != value:
            return None
        total += value
    return total


def outcome_rows(t3: Table) -> list[str]:
    """Row ids from 三（一）予以公开 up to, not including, 三（七）总计."""
    ids = [row.id for row in t3.rows]
    return ids[ids.index(OUTCOME_ROWS_FIRST):ids.index(OUTCOME_ROWS_END)]


def t3_balance(t3: Table) -> list[Identity]:
    """Per column: 一 + 二 = 三（七）总计 + 四 — the identity printed in the table itself."""
    return [Identity("T3-BALANCE", col, (f"t3.new.{col}", f"t3.carried_in.{col}"),
                     (f"t3.result_total.{col}", f"t3.carried_out.{col}")) for col in t3.columns]


def t3_result_sum(t3: Table) -> list[Identity]:
    """Per column: 三（七）总计 = the sum of every outcome row （一）…（六）."""
    rows = outcome_rows(t3)
    return [Identity("T3-RESULT-SUM", col, (f"t3.result_total.{col}",),
                     tuple(f"t3.{row}.{col}" for row in rows)) for col in t3.columns]


def t3_row_total(t3: Table) -> list[Identity]:
    """Per row: 总计 = 自然人 + the five kinds of 法人或其他组织."""
    return [Identity("T3-ROW-TOTAL", row.id, (f"t3.{row.id}.total",),
                     tuple(f"t3.{row.id}.{col}" for col in APPLICANT_COLUMNS)) for row in t3.rows]


def t4_sums(t4: Table) -> list[Identity]:
    """Per group: 结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计."""
    parts = ("upheld", "corrected", "other", "pending")
    return [Identity("T4-SUMS", row.id, (f"t4.{row.id}.total",),
                     tuple(f"t4.{row.id}.{p}" for p in parts)) for row in t4.rows]


def t2_cumulative(t2: Table) -> list[Identity]:
    """2019 edition: 对外公开总数量 ≥ 本年新公开数量 (the total is cumulative)."""
    return [Identity("T2-CUMULATIVE", row.id, (f"t2.{row.id}.total_published",), (f"t2.{row.id}.new_published",),
                     "ge") for row in t2.rows if "total_published" in row.cols]


PREV = "prev."  # facts of the same body's previous-year report carry this prefix


def x_carry(t3: Table) -> list[Identity]:
    """Per column: 二、上年结转 (year N) = 四、结转下年度继续办理 (year N−1) of the same body."""
    return [Identity("X-CARRY", col, (f"t3.carried_in.{col}",), (f"{PREV}t3.carried_out.{col}",))
            for col in t3.columns]


def x_in_force(t2: Table) -> list[Identity]:
    """2021 edition, per row: 现行有效(N) + 本年废止(N) = 现行有效(N−1) + 本年制发(N)."""
    return [Identity("X-IN-FORCE", row.id, (f"t2.{row.id}.in_force", f"t2.{row.id}.repealed"),
                     (f"{PREV}t2.{row.id}.in_force", f"t2.{row.id}.issued")) for row in t2.rows if "in_force" in row.cols]


def x_prev_items(t2: Table) -> list[Identity]:
    """2019 edition, per row: 上一年项目数量(N) = 上一年项目数量(N−1) + 本年增/减(N−1)."""
    return [Identity("X-PREV-ITEMS", row.id, (f"t2.{row.id}.prev_items",),
                     (f"{PREV}t2.{row.id}.prev_items", f"{PREV}t2.{row.id}.change"))
            for row in t2.rows if "prev_items" in row.cols]


# group name → (table it is built from, builder)
GROUPS = {"t3_balance": ("t3", t3_balance), "t3_result_sum": ("t3", t3_result_sum),
          "t3_row_total": ("t3", t3_row_total), "t4_sums": ("t4", t4_sums), "t2_cumulative": ("t2", t2_cumulative),
          "x_carry": ("t3", x_carry), "x_in_force": ("t2", x_in_force), "x_prev_items": ("t2", x_prev_items)}


def identities(table: Table) -> list[Identity]:
    """Every arithmetic identity that holds inside ``table`` (none for table 2)."""
    if table.id == "t3":
        return t3_row_total(table) + t3_balance(table) + t3_result_sum(table)
    if table.id == "t4":
        return t4_sums(table)
    return []
