"""A report as a list of printed blocks (paragraphs and table grids), shared by every renderer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from rules import layout
from synth.grid import Grid, grids
from synth.spec import ReportSpec, heading, preface, section_texts, title


@dataclass(frozen=True)
class Para:
    """A paragraph: the title, a section heading or body text."""

    text: str
    kind: Literal["title", "heading", "body"] = "body"


Block = Union[Para, Grid]


def blocks(spec: ReportSpec) -> list[Block]:
    """The report in printed order: title, preface, then each heading with its prose (and table)."""
    tables = grids(layout.edition(spec.edition).tables(), spec.cells)
    out: list[Block] = [Para(title(spec), "title"), *(Para(p) for p in preface(spec))]
    for number, prose in section_texts(spec).items():
        out.append(Para(heading(number), "heading"))
        out.extend(paragraphs(prose))
        if number in tables:
            out.append(tables[number])
    return out


def paragraphs(prose: str) -> list[Para]:
    """Body paragraphs of a section's prose (one per non-empty line)."""
    return [Para(line.strip()) for line in prose.splitlines() if line.strip()]
