"""A small XLSX writer for plain tables, much faster than openpyxl for a workbook of many small sheets.

Each sheet: a bold header row, frozen below it, with a filter, the given column widths, then the rows. Text
is always written as text (an inline string: never a formula, whatever it starts with); numbers as
numbers, booleans as booleans, ``None`` as an empty cell. The package is what openpyxl writes for such a
workbook, minus the parts Excel does not need (document properties, theme).
"""
from __future__ import annotations

import math
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")   # what openpyxl drops (ILLEGAL_CHARACTERS_RE)
_STYLES = (f'<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/>'
           '<family val="2"/></font><font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
           '</fonts><fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>'
           '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
           '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
           '<alignment vertical="top" wrapText="1"/></xf></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


@dataclass(frozen=True)
class Sheet:
    title: str                       # a valid sheet name (see ``portal.names.sheet_names``)
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float] = ()     # per column, in characters
    wrapped: frozenset[int] = frozenset()   # columns (0-based) whose cells below the header wrap, top-aligned


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` (at least one) to ``path``, atomically (a partial file is renamed into place)."""
    path = Path(path)
    parts = {"[Content_Types].xml": _content_types(len(sheets)), "_rels/.rels": _root_rels(),
             "xl/workbook.xml": _workbook(sheets), "xl/_rels/workbook.xml.rels": _workbook_rels(len(sheets)),
             "xl/styles.xml": HEAD + _STYLES}
    for i, sheet in enumerate(sheets, 1):
        parts[f"xl/worksheets/sheet{i}.xml"] = _sheet(sheet)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text.encode("utf-8"))
    os.replace(partial, path)
    return path


def get_column_letter(n: int) -> str:
    """The column's letters (1 → A, 27 → AA), as openpyxl's (not imported: it costs half a second)."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _content_types(n: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{CT}.worksheet+xml"/>'
                     for i in range(1, n + 1))
    return (HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{CT}.styles+xml"/>{sheets}</Types>')


def _root_rels() -> str:
    return (HEAD + f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>')


def _workbook_rels(n: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                     for i in range(1, n + 1))
    return (HEAD + f'<Relationships xmlns="{PKG_REL}">{sheets}'
            f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/></Relationships>')


def _workbook(sheets: Sequence[Sheet]) -> str:
    listed = "".join(f'<sheet name={quoteattr(s.title)} sheetId="{i}" r:id="rId{i}"/>'
                     for i, s in enumerate(sheets, 1))
    filters = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                      f"{escape(_quoted(s.title))}!{_absolute(_extent(s))}</definedName>"
                      for i, s in enumerate(sheets))
    return (HEAD + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><bookViews><workbookView activeTab="0"/>'
            f"</bookViews><sheets>{listed}</sheets><definedNames>{filters}</definedNames></workbook>")


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _extent(sheet: Sheet) -> str:
    """The header and the rows (at least one row below the header, as openpyxl's filter range)."""
    return f"A1:{get_column_letter(max(len(sheet.headers), 1))}{max(len(sheet.rows), 1) + 1}"


def _absolute(ref: str) -> str:
    return ":".join("$" + re.sub(r"(\d+)", r"$\1", part) for part in ref.split(":"))


def _sheet(sheet: Sheet) -> str:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(sheet.widths, 1))
    letters = [get_column_letter(i) for i in range(1, max(len(sheet.headers), *map(len, sheet.rows), 1) + 1)]
    rows = [_row(1, letters, sheet.headers, ' s="1"')]
    styles = [' s="2"' if i in sheet.wrapped else "" for i in range(len(letters))]
    rows += [_row(r, letters, values, styles) for r, values in enumerate(sheet.rows, 2)]
    return (HEAD + f'<worksheet xmlns="{MAIN}"><dimension ref="{_extent(sheet)}"/><sheetViews>'
            '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "")
            + f'<sheetData>{"".join(rows)}</sheetData><autoFilter ref="{_extent(sheet)}"/>'
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>')


def _row(r: int, letters: list[str], values: Sequence[Any], style: str | Sequence[str] = "") -> str:
    """One row; ``style`` one cell style for the row, or one per column."""
    styles = [style] * len(letters) if isinstance(style, str) else style
    cells = "".join(_cell(f"{letters[i]}{r}", v, styles[i]) for i, v in enumerate(values) if v is not None)
    return f'<row r="{r}">{cells}</row>'


def _cell(ref: str, value: Any, style: str) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    text = _NOT_XML.sub("", str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'
