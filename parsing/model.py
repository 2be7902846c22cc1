"""The canonical record every reader produces: one ``Report`` per document.

A cell is never silently turned into 0: each cell carries its state (``number``, ``blank``, ``na``,
``text`` or ``missing``), the text as printed and where in the source it was printed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CellState = Literal["number", "blank", "na", "text", "missing"]
ParseStatus = Literal["ok", "partial", "failed"]
# Why a cell is missing: its table or row is not printed at all, fewer values than columns were found
# (lost in extraction), or glued digits allow more than one reading.
# ``unplaced``: numbers are printed where the row should be, under a label too unlike the template's to be
# sure whose they are.
MissingReason = Literal["table_absent", "row_absent", "lost", "ambiguous", "unplaced", "unreadable"]


# The problem a report read (partly) by OCR carries first: its digits and its structure were recognised from page
# images, so a rule that fails on them makes it 待核实 (``rules.verdicts``), never 不合规 on its own.
SCANNED_NOTE = "本文件含扫描页，经文字识别（OCR）读取"

@dataclass(frozen=True, init=False)
class Locator:
    """Where a value was printed: page/line (or table cell), printed row label and column."""

    where: str
    row: str | None = None
    column: str | None = None

    def __init__(self, where: str, row: str | None = None, column: str | None = None) -> None:
        # Written out (see ``Cell.__init__``): the fields in order, nothing else.
        fields = self.__dict__
        fields["where"] = where
        fields["row"] = row
        fields["column"] = column

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "row": self.row, "column": self.column}

    def __str__(self) -> str:
        where, row, column = self.where, self.row, self.column
        if where and row and column:  # a table cell's locator: one format, not a join of the parts printed
            return f"{where} “{row}”行 “{column}”列"
        parts = [where, f"“{row}”行" if row else "", f"“{column}”列" if column else ""]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True, init=False)
class Cell:
    """One canonical table cell (id from cell-ids.md) as found in the document."""

    id: str
    state: CellState
    value: float | int | None = None
    raw: str = ""
    locator: Locator | None = None
    note: str = ""
    reason: MissingReason | None = None

    def __init__(self, id: str, state: CellState, value: float | int | None = None, raw: str = "",  # noqa: A002
                 locator: Locator | None = None, note: str = "", reason: MissingReason | None = None) -> None:
        # Written out instead of generated: a frozen dataclass's own __init__ sets each field through
        # object.__setattr__, which makes it about twice as slow, and a report makes hundreds of cells.
        # The object is the same (fields in order in its __dict__; still frozen, compared, hashed and
        # pickled as before); tests/test_parsing_speed.py checks this signature against the fields.
        fields = self.__dict__
        fields["id"] = id
        fields["state"] = state
        fields["value"] = value
        fields["raw"] = raw
        fields["locator"] = locator
        fields["note"] = note
        fields["reason"] = reason

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "value": self.value, "raw": self.raw}
        out["locator"] = self.locator.to_json() if self.locator else None
        if self.note:
            out["note"] = self.note
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Section:
    """One of the six top-level sections 一…六 as printed."""

    number: int
    title: str
    text: str
    position: int
    where: str = ""
    heading_end: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "chars": len(self.text), "where": self.where}


@dataclass(frozen=True)
class Report:
    """A parsed annual report. ``cells`` maps canonical cell id → ``Cell``."""

    file: str
    source_format: str
    sha256: str
    parse_status: ParseStatus
    body: str | None = None
    year: int | None = None
    edition: str | None = None
    problems: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    cells: dict[str, Cell] = field(default_factory=dict)
    preface: str = ""
    table_editions: dict[str, str] = field(default_factory=dict)
    # headings and row labels not printed as the template words them (parsing.align.Alignment); anything
    # not listed matched exactly (confidence 1.0)
    alignments: tuple[Any, ...] = ()
    # where the year was read: title / period (统计期限) / text / published (page date) / file_name
    year_source: str | None = None
    # where the body's name was read when not from the title: signature / preface (None: the title)
    body_source: str | None = None

    @property
    def report_id(self) -> str:
        return self.sha256

    def section(self, number: int) -> Section | None:
        return next((s for s in self.sections if s.number == number), None)

    def count(self, state: CellState) -> int:
        return sum(1 for c in self.cells.values() if c.state == state)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "report_id": self.report_id,
            "body": self.body,
            "year": self.year,
            "year_source": self.year_source,
            "body_source": self.body_source or ("title" if self.body else None),
            "edition": self.edition,
            "parse_status": self.parse_status,
            "problems": list(self.problems),
            "alignments": [a.to_json() for a in self.alignments],
            "sections": [s.to_json() for s in self.sections],
            "cells": {cid: c.to_json() for cid, c in self.cells.items()},
        }
