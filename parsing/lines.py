"""The lines every reader makes of a document, and the page footers blanked out of them."""
from __future__ import annotations

import re
from dataclasses import dataclass

_FOOTER = re.compile(r"^\s*(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*[/，,]?\s*共\s*\d{1,3}\s*页)?)\s*$")


@dataclass(frozen=True, init=False)
class Line:
    """One line of a document. ``cell`` is true when the line is exactly one table cell."""

    text: str
    where: str
    cell: bool = False

    def __init__(self, text: str, where: str, cell: bool = False) -> None:
        # Written out (see ``parsing.model.Cell.__init__``): the fields in order, nothing else.
        fields = self.__dict__
        fields["text"] = text
        fields["where"] = where
        fields["cell"] = cell


@dataclass(frozen=True)
class Document:
    lines: tuple[Line, ...]
    source_format: str


_FOOTER_FIRST = frozenset("-－—–第")  # what a footer's first printed character is


def _is_footer(text: str) -> bool:
    """``_FOOTER.match(text)``, skipping the regex for a line whose first character cannot begin one."""
    first = text[:1]
    return (first in _FOOTER_FIRST or first.isspace()) and _FOOTER.match(text) is not None


def _drop_footers(lines: list[Line]) -> list[Line]:
    """Page footers such as "- 4 -" are printed inside tables by PDF extraction; blank them out."""
    return [Line("", ln.where, False) if _is_footer(ln.text) else ln for ln in lines]


# A footer's last printed character (a dash, or 页) followed by what may follow a line's text, or a cell's, in
# the text it was cut from: whitespace (line separators and tabs among it), a markdown "|", or the end. One
# pattern for each character: a pattern that begins with a given character is searched for quickly.
_FOOTER_ENDS = tuple(re.compile(rf"{re.escape(last)}(?=\s|\||$)") for last in "-－—–页")


def _may_have_footers(text: str) -> bool:
    """Whether a line cut from ``text`` can be a footer: a few searches of the whole text instead of a look at
    each line. A footer ends with a dash or 页 and then only whitespace, so its end is found by ``_FOOTER_ENDS``."""
    for footer_end in _FOOTER_ENDS:
        if footer_end.search(text) is not None:
            return True
    return False
