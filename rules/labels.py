"""How cells and scopes are named in findings and Data Docs (Chinese, as printed in the template)."""
from __future__ import annotations

from functools import cache

from rules import layout
from rules.arithmetic import PREV
from rules.catalogue import catalogue

TABLE_NAMES = {"t2": "表二", "t3": "表三", "t4": "表四"}
SHORT_ROWS = {"new": "本年新收", "carried_in": "上年结转", "result_total": "办理结果总计", "carried_out": "结转下年度"}
DERIVED = {
    "dup.prev_s1": "第一部分与本机关上年报告的相似度", "dup.prev_s5": "第五部分与本机关上年报告的相似度",
    "dup.peer_s1": "第一部分与同年其他机关报告的最高相似度", "dup.peer_s5": "第五部分与同年其他机关报告的最高相似度",
}
Tables = dict[str, layout.Table]
ROWTOTAL = "rowtotal."


@cache
def _statement_labels() -> dict[str, str]:
    out = {}
    for rule in catalogue().values():
        for key, spec in (rule.params.get("statements") or {}).items():
            out[f"prose.{key}"] = spec["label"]
    return out


def is_table_cell(cid: str) -> bool:
    return cid.count(".") == 2 and cid.split(".")[0] in TABLE_NAMES


def _row(table: layout.Table, row_id: str) -> layout.Row:
    return next(r for r in table.rows if r.id == row_id)


def cell_label(cid: str, tables: Tables) -> str:
    """表三“（一）予以公开·自然人”; 上年报告表三“…”; 正文所述收到申请数; 第一部分与…的相似度."""
    if cid.startswith(PREV):
        return "上年报告" + cell_label(cid[len(PREV):], tables)
    if cid.startswith(ROWTOTAL):
        table_id, row_id = cid[len(ROWTOTAL):].split(".")
        return f"{TABLE_NAMES[table_id]}“{_row(tables[table_id], row_id).label.text}”行总计"
    if not is_table_cell(cid):
        return _statement_labels().get(cid) or DERIVED.get(cid, cid)
    table_id, row_id, col_id = cid.split(".")
    table = tables[table_id]
    return f"{TABLE_NAMES[table_id]}“{_row(table, row_id).label.text}·{table.column(col_id).label.text}”"


def scope_label(cells: tuple[str, ...], tables: Tables) -> str:
    """表三“总计”列 / 表三“（一）予以公开”行 / 表四“行政复议”组 / 正文所述收到申请数."""
    own = [c.removeprefix(PREV) for c in cells if is_table_cell(c.removeprefix(PREV))]
    if len(own) < len(cells) and not any(c.startswith(PREV) for c in cells):
        return cell_label(cells[0], tables)
    suffix = "（与本机关上年报告对照）" if any(c.startswith(PREV) for c in cells) else ""
    table_id = own[0].split(".")[0]
    rows = {c.split(".")[1] for c in own}
    cols = {c.split(".")[2] for c in own}
    table = tables[table_id]
    if table_id == "t4" and len(rows) == 1:
        return f"表四“{_row(table, next(iter(rows))).label.text}”组{suffix}"
    if len(cols) == 1:
        return f"{TABLE_NAMES[table_id]}“{table.column(next(iter(cols))).label.text}”列{suffix}"
    return f"{TABLE_NAMES[table_id]}“{_row(table, next(iter(rows))).label.text}”行{suffix}"


def term_label(cid: str, all_cells: tuple[str, ...], tables: Tables) -> str:
    """A term of a sum, named by what distinguishes it within its scope (row name in a column, …)."""
    if cid.startswith(PREV):
        return "上年" + term_label(cid[len(PREV):], tuple(c.removeprefix(PREV) for c in all_cells), tables)
    if not is_table_cell(cid):
        return cell_label(cid, tables)
    own = [c.removeprefix(PREV) for c in all_cells if is_table_cell(c.removeprefix(PREV))]
    if len(own) < len(all_cells) and not any(c.startswith(PREV) for c in all_cells):
        return cell_label(cid, tables)
    table_id, row_id, col_id = cid.split(".")
    table = tables[table_id]
    if table_id == "t4" or len({c.split(".")[1] for c in own}) == 1:
        return table.column(col_id).label.text
    return SHORT_ROWS.get(row_id) or _row(table, row_id).label.text
