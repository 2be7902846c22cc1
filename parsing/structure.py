"""The parts of a report outside its tables: title (body and year), the six sections, the edition."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from parsing.align import STRONG, Alignment, fit
from parsing.model import Section
from parsing.text import TextMap, compact, has_label, label_body, literal_first
from rules import layout

_GAP = r"[\s\u00a0\u3000]*"
_TITLE = re.compile(
    rf"(?P<pre>[\u4e00-\u9fff（）()·]*){_GAP}(?P<year>(?:19|20)\d{{2}}){_GAP}年{_GAP}度?{_GAP}"
    rf"(?P<mid>[\u4e00-\u9fff（）()·]*?){_GAP}政{_GAP}府{_GAP}信{_GAP}息{_GAP}公{_GAP}开{_GAP}(?:工{_GAP}作{_GAP})?"
    rf"(?:年{_GAP}度{_GAP})?报{_GAP}告"
)


@dataclass(frozen=True)
class Title:
    body: str | None
    year: int | None
    end: int


def find_title(text: str, limit: int) -> Title:
    """Body name and report year from the title, e.g. 相城镇人民政府2020年政府信息公开工作年度报告."""
    match = _TITLE.search(text, 0, max(limit, 0) or min(len(text), 3000))
    if match is None:
        return Title(None, None, 0)
    body = compact(match["mid"]) or compact(match["pre"])
    return Title(_clean_body(body), int(match["year"]), match.end())


def _clean_body(body: str) -> str | None:
    body = body.strip("（）()·")
    return body or None


def section_heading(text: str, section: layout.Section, start: int) -> re.Match[str] | None:
    """The heading ``一、总体情况`` (numeral, separator, any accepted title variant): the earliest, and on a tie
    the first variant."""
    combined = _headings_regex(section.numeral, section.label.all)
    if combined is not None:
        return combined.search(text, start)
    best = None
    for title in section.label.all:
        pattern = _heading_regex(section.numeral, title)
        match = pattern.search(text, start)
        if match and (best is None or match.start() < best.start()):
            best = match
    return best


@cache
def _heading_regex(numeral: str, title: str) -> re.Pattern[str]:
    return re.compile(rf"{numeral}{_GAP}[、.．，,]?{_GAP}{label_body(title)}")


_SEPARATORS = "、.．，,"


@cache
def _headings_regex(numeral: str, titles: tuple[str, ...]) -> re.Pattern[str] | None:
    """All variants' headings as one pattern (one search instead of one per variant), when it finds what
    searching variant by variant finds: when every variant begins with a character that no gap or separator
    can be, the only place a title can begin after the numeral is past all the gap and the separator, where
    the pattern's greedy first try puts it; there the variants are tried in order. The leftmost match is
    thus the earliest variant's, the first variant's on a tie, and the same match. None otherwise."""
    if not all(_plain_first(title) for title in titles):
        return None
    bodies = "|".join(label_body(title) for title in titles)
    return re.compile(rf"{numeral}{_GAP}[{_SEPARATORS}]?{_GAP}(?:{bodies})")


def _plain_first(title: str) -> bool:
    """Whether the title's pattern begins with its first character itself, neither a gap nor a separator."""
    first = literal_first(title)
    return bool(first) and first not in _SEPARATORS


def find_sections(textmap: TextMap, alignments: list[Alignment] | None = None) -> list[Section]:
    """The six sections in printed order; a section whose heading is absent is left out. Headings the exact
    pass misses are aligned to the template (``align_headings``); non-exact matches go to ``alignments``."""
    text = textmap.text
    heads: list[tuple[int, int, int, str]] = []  # number, start, end, printed heading
    cursor = 0
    for spec in layout.sections():
        match = section_heading(text, spec, cursor)
        if match:
            heads.append((spec.number, match.start(), match.end(), match.group(0)))
            cursor = match.end()
    if len(heads) < len(layout.sections()):
        heads = align_headings(textmap, heads, alignments if alignments is not None else [])
    out = []
    for i, (number, start, end_, printed) in enumerate(heads):
        end = heads[i + 1][1] if i + 1 < len(heads) else len(text)
        body = text[end_:end]
        out.append(Section(number, compact(printed), body.strip(), start, textmap.where(start), end_))
    return out


# Where a heading may begin: its numeral as an item number (五、 / （五） / 第五部分), or a line start.
_HEAD_MARK = r"(?:第{n}部分|[（(]{n}[）)]|(?<![\u4e00-\u9fff]){n}(?![\u4e00-\u9fff]))[\s\u00a0\u3000]*[、.．，,：:]?"


def align_headings(textmap: TextMap, heads: list[tuple[int, int, int, str]],
                   alignments: list[Alignment]) -> list[tuple[int, int, int, str]]:
    """Missing headings fitted, in template order, into the text between the headings found: after the
    numeral (五、 / （五） / 第五部分, with or without ``#``), the title or one of its variants, worded a little
    differently. A strong fit is taken; a weak one is only recorded (``weak``)."""
    text = textmap.text
    by_number = {h[0]: h for h in heads}
    out: list[tuple[int, int, int, str]] = []
    for spec in layout.sections():
        if spec.number in by_number:
            out.append(by_number[spec.number])
            continue
        low = out[-1][2] if out else 0
        later = [h for h in heads if h[0] > spec.number]
        high = later[0][1] if later else len(text)
        found = _fit_heading(textmap, spec, low, high)
        if found is None:
            continue
        start, end, printed, confidence, how = found
        weak = confidence < STRONG
        alignments.append(Alignment("section", str(spec.number), spec.label.text, compact(printed), confidence,
                                    how, textmap.where(start), weak))
        if not weak:
            out.append((spec.number, start, end, printed))
    return out


KEYWORDS = 0.8       # a heading holding one keyword of each of its section's groups
SOME_KEYWORDS = 0.6  # of some groups only: weak
_HEADING_END = re.compile(r"[。；;！!？?，,\n]")


def _fit_heading(textmap: TextMap, spec: layout.Section, low: int,
                 high: int) -> tuple[int, int, str, float, str] | None:
    """(start, end, printed, confidence, how) of the best heading of ``spec`` in text[low:high]."""
    text = textmap.text
    best = None
    for mark in re.finditer(_HEAD_MARK.format(n=spec.numeral), text[low:high]):
        after = low + mark.end()
        for title in spec.label.all:
            reach = after + len(title) + 6
            got = fit(title, text, after, min(high, reach))
            if got is None or got.start > after + 2:
                continue
            if best is None or got.confidence > best[3]:
                best = (low + mark.start(), got.end, text[low + mark.start():got.end], got.confidence, "近似文字")
        named = _named_by_keywords(text, spec, after, high)
        if named is not None and (best is None or named[1] > best[3]):
            best = (low + mark.start(), named[0], text[low + mark.start():named[0]], named[1], "关键词")
    return best


def _named_by_keywords(text: str, spec: layout.Section, after: int, high: int) -> tuple[int, float] | None:
    """(end, confidence) of a heading holding keywords of the section's groups, within the first 24
    characters after its numeral and before the first punctuation: every group → ``KEYWORDS``, only some
    → ``SOME_KEYWORDS`` (weak); None when none."""
    if not spec.keywords:
        return None
    stop = _HEADING_END.search(text, after, min(high, after + 24))
    head = text[after:stop.start() if stop else min(high, after + 24)]
    ends = [[head.find(word) + len(word) for word in group if word in head] for group in spec.keywords]
    hit = [e for e in ends if e]
    if not hit or not head[:1].strip():
        return None
    confidence = KEYWORDS if len(hit) == len(ends) else SOME_KEYWORDS
    return after + max(max(e) for e in hit), confidence


def count_markers(text: str, markers: tuple[str, ...]) -> int:
    """How many of the markers ``find_label`` finds in ``text``."""
    return sum(1 for m in markers if has_label(text, m))


def table2_edition(region: str) -> str | None:
    """'2019' or '2021' from the 第二十条 table's column headers and rows (templates.md §1.3)."""
    old = count_markers(region, layout.edition("2019").t2.markers)
    new = count_markers(region, layout.edition("2021").t2.markers)
    if old == new == 0:
        return None
    return "2021" if new > old else "2019"


def table3_edition(region: str) -> str:
    """'2021' when （六）其他处理 is split into its three sub-rows, else '2019'."""
    return "2021" if count_markers(region, layout.edition("2021").t3.markers) else "2019"


def combine_editions(t2: str | None, t3: str | None) -> str | None:
    known = {e for e in (t2, t3) if e}
    if not known:
        return None
    return known.pop() if len(known) == 1 else "hybrid"
