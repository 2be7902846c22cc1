"""Web pages: running text as lines, every table cell as one cell line (merged cells keep their columns)."""
from __future__ import annotations

import re

from parsing.errors import TooLarge
from parsing.lines import Line
from parsing.text_reader import decode_text

# BeautifulSoup builds one object per element (~30 µs and ~400 bytes each; a real report has < 50,000): the
# markup ("<") a page, or the XML parts of a Word file, may hold.
MAX_MARKUP_TAGS = 250_000


_BLOCK_TAGS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "section", "article",
               "header", "footer", "blockquote", "pre", "title", "ul", "ol", "dd", "dt", "center", "form"}
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "head")
# ``<embed>`` is a void element, but libxml2's HTML parser nests everything after an unclosed one inside it (and
# likewise after an unclosed ``<object>``, whose content is the fallback a browser without the plugin shows):
# the tag goes, its content stays — dropping it would drop the rest of the page (a Flash video above a report).
_UNWRAP_TAGS = ("object", "embed")


def decode_html(data: bytes) -> str:
    """Decode an HTML page, honouring a declared GB charset (GB2312 pages routinely use GBK characters)."""
    declared = re.search(rb"charset\s*=\s*[\"']?\s*([\w-]+)", data[:4096], re.I)
    name = declared.group(1).decode("ascii", "ignore").lower() if declared else ""
    if name in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936"):
        try:  # a page re-saved as UTF-8 under its old GB declaration: GBK text is practically never valid UTF-8
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("gb18030", errors="replace")
    return decode_text(data)


def _read_html(data: bytes) -> list[Line]:
    from bs4 import BeautifulSoup

    text = decode_html(data)
    tags = text.count("<")
    if tags > MAX_MARKUP_TAGS:
        raise TooLarge(f"网页标记过多（{tags} 个“<”，上限 {MAX_MARKUP_TAGS}），不像一份年度报告")
    soup = BeautifulSoup(text, "lxml")
    for tag in soup(list(_DROP_TAGS)):
        tag.decompose()
    for tag in soup(list(_UNWRAP_TAGS)):
        tag.unwrap()
    walker = _HtmlWalker()
    walker.walk(soup.body or soup)
    walker.flush()
    return walker.lines


_FLUSH = object()  # stack marker of ``_HtmlWalker.walk``: end of a block element


class _HtmlWalker:
    """Depth-first walk that emits running text as lines and every table cell as one cell line.
    Iterative (an explicit stack): a page nested thousands of levels deep cannot exhaust Python's stack."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buffer: list[str] = []
        self.paragraph = 0
        self.table = 0

    def flush(self) -> None:
        text = "".join(self.buffer).strip()
        self.buffer = []
        if text:
            self.paragraph += 1
            for part in text.split("\n"):
                self.lines.append(Line(part, f"网页第{self.paragraph}段"))

    def walk(self, node) -> None:  # noqa: ANN001 - bs4 node
        from bs4 import NavigableString, Tag

        stack: list = list(reversed(node.contents))
        while stack:
            child = stack.pop()
            if child is _FLUSH:
                self.flush()
            elif isinstance(child, NavigableString):
                if type(child).__name__ in ("Comment", "Doctype", "ProcessingInstruction", "Declaration"):
                    continue
                self.buffer.append(re.sub(r"[ \t\r\n]+", " ", str(child)))
            elif isinstance(child, Tag):
                if child.name == "table":
                    self.flush()
                    self._table(child)
                elif child.name in _BLOCK_TAGS:
                    self.flush()
                    stack.append(_FLUSH)  # after the block's children
                    stack.extend(reversed(child.contents))
                else:
                    stack.extend(reversed(child.contents))

    def _table(self, table) -> None:  # noqa: ANN001
        self.table += 1
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        spans = RowSpans()
        for r, tr in enumerate(rows, start=1):
            cells = [td for td in tr.find_all(["td", "th"]) if td.find_parent("tr") is tr]
            spans.next_row()
            for c, td in enumerate(cells, start=1):
                for _ in range(spans.covered_before()):
                    self.lines.append(Line(MERGED, f"网页表格{self.table}第{r}行（上方合并单元格）", True))
                text = td.get_text("", strip=False)
                text = re.sub(r"\s+", " ", text).strip(" \u00a0\u3000")
                self.lines.append(Line(text, f"网页表格{self.table}第{r}行第{c}格", True))
                spans.place(_span(td.get("rowspan")), _span(td.get("colspan")))
            self.lines.append(Line("", f"网页表格{self.table}第{r}行末"))


MAX_SPAN = 1000  # a declared rowspan/colspan above this is read as this (a table of a report is far smaller)
MERGED = "〔与上方单元格合并〕"  # the cell line of a grid position a cell from a row above covers


def _span(value: object) -> int:
    """A rowspan/colspan attribute as a count (1 when absent or not a number)."""
    try:
        return min(max(int(str(value).strip()), 1), MAX_SPAN) if value is not None else 1
    except ValueError:
        return 1


class RowSpans:
    """Which grid positions of the current row are covered by a cell of a row above (rowspan / vMerge), so
    that a row's cells keep their columns: a covered position between two cells becomes one ``MERGED`` cell
    line (the cells after it are not moved one column left). A position covered after the row's last cell
    gets none (a row that is short at its end is short, as printed)."""

    def __init__(self) -> None:
        self._below: dict[int, int] = {}  # column → rows still covered below the current one
        self._covered: dict[int, int] = {}
        self._col = 0

    def next_row(self) -> None:
        self._covered = {c: n for c, n in self._below.items() if n > 0}
        self._below = {c: n - 1 for c, n in self._covered.items() if n > 1}
        self._col = 0

    def covered_before(self) -> int:
        """How many covered positions come before the next cell of this row (and skips them)."""
        count = 0
        while self._col in self._covered:
            self._col += 1
            count += 1
        return count

    def place(self, rowspan: int, colspan: int) -> None:
        """The next cell of this row, spanning ``rowspan`` rows and ``colspan`` columns."""
        if rowspan > 1:
            for c in range(self._col, self._col + colspan):
                self._below[c] = max(self._below.get(c, 0), rowspan - 1)
        self._col += colspan
