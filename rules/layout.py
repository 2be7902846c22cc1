"""The two template editions, loaded from the YAML files in ``rules/templates/``.

Pure data: nothing about the printed layout of a report is written in Python. The parser, the rules
and the generators all read these objects, so a label variant added to the YAML is honoured everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATES_DIR = Path(__file__).parent / "templates"
EDITIONS = ("2019", "2021")


@dataclass(frozen=True)
class Label:
    """A printed label with the variants real reports print for it."""

    text: str
    variants: tuple[str, ...] = ()
    numbered: int | None = None

    @property
    def all(self) -> tuple[str, ...]:
        return (self.text, *self.variants)


@dataclass(frozen=True)
class Column:
    id: str
    label: Label
    signed: bool = False
    money: bool = False
    unit: str | None = None


@dataclass(frozen=True)
class Row:
    id: str
    label: Label
    cols: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """One statutory table: its rows (in printed order), columns and anchors (text that opens it)."""

    id: str
    rows: tuple[Row, ...]
    columns: dict[str, Column]
    anchors: tuple[str, ...]
    markers: tuple[str, ...] = ()

    def cell_ids(self) -> tuple[str, ...]:
        cached = self.__dict__.get("_cell_ids")
        if cached is None:
            cached = tuple(f"{self.id}.{row.id}.{col}" for row in self.rows for col in row.cols)
            self.__dict__["_cell_ids"] = cached  # frozen dataclass: memoised outside __setattr__
        return cached

    def column(self, col_id: str) -> Column:
        return self.columns[col_id]


@dataclass(frozen=True)
class Section:
    number: int
    numeral: str
    label: Label
    keywords: tuple[tuple[str, ...], ...] = ()  # one word of each group names the section's heading


@dataclass(frozen=True)
class Edition:
    """One template edition: its years, table 2, table 3 (with its （六） rows) and table 4."""

    id: str
    notice: str
    first_year: int
    last_year: int | None
    t2: Table
    t3: Table
    t4: Table

    def tables(self) -> tuple[Table, Table, Table]:
        return (self.t2, self.t3, self.t4)

    def cell_ids(self) -> list[str]:
        return [cid for table in self.tables() for cid in table.cell_ids()]

    def covers(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)


def _read(name: str) -> dict[str, Any]:
    with open(TEMPLATES_DIR / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _label(spec: dict[str, Any]) -> Label:
    return Label(str(spec["label"]), tuple(spec.get("variants", ())), spec.get("numbered"))


def _column(col_id: str, spec: dict[str, Any]) -> Column:
    return Column(col_id, _label(spec), bool(spec.get("signed")), bool(spec.get("money")), spec.get("unit"))


def _rows(specs: list[dict[str, Any]], cols: tuple[str, ...] | None = None) -> tuple[Row, ...]:
    return tuple(Row(s["id"], _label(s), tuple(s.get("cols", ())) or cols or ()) for s in specs)


def _table2(spec: dict[str, Any]) -> Table:
    columns = {cid: _column(cid, c) for cid, c in spec["columns"].items()}
    return Table("t2", _rows(spec["rows"]), columns, tuple(spec["anchors"]), tuple(spec["markers"]))


def _table3(edition_spec: dict[str, Any]) -> Table:
    common = _read("table3.yaml")
    columns = {c["id"]: _column(c["id"], c) for c in common["columns"]}
    col_ids = tuple(columns)
    specs = common["rows_head"] + edition_spec["other_rows"] + common["rows_tail"]
    markers = tuple(edition_spec.get("markers", ()))
    return Table("t3", _rows(specs, col_ids), columns, tuple(common["anchors"]), markers)


def _table4() -> Table:
    spec = _read("table4.yaml")
    columns = {c["id"]: _column(c["id"], c) for c in spec["columns"]}
    rows = tuple(Row(g["id"], _label(g), tuple(columns)) for g in spec["groups"])
    return Table("t4", rows, columns, tuple(spec["anchors"]), tuple(spec["header_words"]))


@cache
def edition(edition_id: str) -> Edition:
    """The layout of one edition (``"2019"`` or ``"2021"``)."""
    spec = _read(f"edition_{edition_id}.yaml")
    years = spec["years"]
    return Edition(
        id=str(spec["edition"]),
        notice=spec["notice"],
        first_year=int(years["first"]),
        last_year=years["last"],
        t2=_table2(spec["table2"]),
        t3=_table3(spec["table3"]),
        t4=_table4(),
    )


@cache
def sections() -> tuple[Section, ...]:
    """The six sections 一…六 with their accepted title variants."""
    return tuple(
        Section(int(s["number"]), s["numeral"], _label({"label": s["title"], "variants": s.get("variants", [])}),
                tuple(tuple(group) for group in s.get("keywords", ())))
        for s in _read("sections.yaml")["sections"]
    )


def edition_for_year(year: int) -> Edition:
    """The edition a report of ``year`` must follow (2019 edition up to 2020, 2021 edition after)."""
    for edition_id in EDITIONS:
        ed = edition(edition_id)
        if ed.covers(year):
            return ed
    return edition(EDITIONS[0]) if year < edition(EDITIONS[0]).first_year else edition(EDITIONS[-1])


@cache
def all_cell_ids() -> tuple[str, ...]:
    """Every canonical cell id of either edition, in printed order, without duplicates."""
    seen: dict[str, None] = {}
    for edition_id in EDITIONS:
        seen.update(dict.fromkeys(edition(edition_id).cell_ids()))
    return tuple(seen)
