"""The parser's fast paths give exactly what the plain code they replace gives.

The hot spots of ``parsing`` were rewritten for speed (label search, the header walk of table 4, section
headings, tokens, row trimming, reading text and its footers, a locator's text, the hand-written ``__init__``
of the frozen model classes). Each is checked here against a straightforward reference — the code it
replaced — on generated text made of the pieces that matter (labels, item numbers, digits, whitespace,
brackets, quotes, separators). Speed itself is measured by running the parser over a corpus, not by timed
tests.
"""
from __future__ import annotations

import dataclasses
import inspect
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsing import api, readings, structure, text
from parsing.model import Cell, Locator
from parsing.readers import Document, Line, _read_text, _text_line
from parsing.text import LabelWalk, TextMap, find_label, label_regex
from rules import layout

FAST = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
THOROUGH = settings(FAST, max_examples=1000)  # the label search: item numbers must meet labels often enough


def _labels() -> list[str]:
    labels: set[str] = set()
    for edition_id in layout.EDITIONS:
        for table in layout.edition(edition_id).tables():
            labels.update(table.anchors, table.markers)
            for row in table.rows:
                labels.update(row.label.all)
    return sorted(labels)


LABELS = _labels()
TRICKY = ["“三安全”", "一二", "（七）总计", "1号", "十、其他", "三类信息", "a.b", "其 他", "：说明"]
ITEM_NUMBERS = [f"{d}{sep}" for d in "123456789" for sep in ".、．,，"] + [
    f"{o}{n}{c}" for n in ("一", "五", "九", "十", "十二", "二十") for o, c in (("（", "）"), ("(", ")"), ("（", ")"))] + [
    f"{n}{sep}" for n in ("一", "四", "十", "十一") for sep in "、.．"]
PIECES = ["12", "0", "7", " ", "\n", "\t", "\u3000", "\u00a0", "“", "”", "（", "）", "、", ".", "，", "其他", "总计",
          "合计", "行政复议", "结果维持", "维持", "纠正", "四", "第", "页", "-", "—", "1 .", "（ 三 ）", *ITEM_NUMBERS]


def _texts(labels: list[str]) -> st.SearchStrategy[str]:
    """Text with the labels (whole, cut short, or after an item number and some gap) among other pieces."""
    label = st.sampled_from(labels + [lb[: max(1, len(lb) // 2)] for lb in labels])
    numbered = st.tuples(st.sampled_from(ITEM_NUMBERS), st.sampled_from(["", " ", "\n", "\u3000"]), label)
    pieces = st.one_of(st.sampled_from(PIECES), label, numbered.map("".join), numbered.map("".join))
    return st.lists(pieces, max_size=12).map("".join)


# ---------------------------------------------------------------- references: the code the fast paths replace


def ref_find_one(txt: str, label: str, start: int, end: int, numbered: int | None) -> re.Match[str] | None:
    full = label_regex(label, numbered)
    body_regex = re.compile(text.label_body(label))
    pos = start
    while (body := body_regex.search(txt, pos, end)) is not None:
        match = full.search(txt, max(start, body.start() - 16), body.end())
        if match is not None:
            return match
        pos = body.start() + 1
    return None


def ref_find_label(txt: str, labels: tuple[str, ...], start: int, end: int,
                   numbered: int | None = None) -> re.Match[str] | None:
    best = None
    for label in labels:
        match = ref_find_one(txt, label, start, end, numbered)
        if match and (best is None or (match.start(), -match.end()) < (best.start(), -best.end())):
            best = match
    return best


def span(match: re.Match[str] | None) -> tuple[int, int, str] | None:
    return None if match is None else (match.start(), match.end(), match.group(0))


# ---------------------------------------------------------------- labels


@THOROUGH
@given(data=st.data(), numbered=st.sampled_from([None, None, None, 1, 3]))
def test_find_label_matches_reference(data: st.DataObject, numbered: int | None) -> None:
    labels = tuple(data.draw(st.lists(st.sampled_from(LABELS + TRICKY), min_size=1, max_size=3, unique=True)))
    txt = data.draw(_texts(list(labels)))
    start = data.draw(st.integers(0, len(txt)))
    end = data.draw(st.integers(start, len(txt)))
    assert span(find_label(txt, labels, start, end, numbered)) == span(ref_find_label(txt, labels, start, end,
                                                                                      numbered))


@THOROUGH
@given(data=st.data())
def test_label_walk_matches_find_label(data: st.DataObject) -> None:
    words = tuple(data.draw(st.lists(st.sampled_from(LABELS + TRICKY), min_size=1, max_size=6, unique=True)))
    txt = data.draw(_texts(list(words)))
    end = data.draw(st.integers(0, len(txt)))
    steps = sorted(data.draw(st.lists(st.integers(0, end), max_size=8)))
    walk = LabelWalk(txt, words, end)
    for pos in steps:
        assert span(walk.find(pos)) == span(ref_find_label(txt, words, pos, end))


@FAST
@given(data=st.data())
def test_has_label_and_markers(data: st.DataObject) -> None:
    markers = tuple(data.draw(st.lists(st.sampled_from(LABELS + TRICKY), min_size=1, max_size=5, unique=True)))
    txt = data.draw(_texts(list(markers)))
    expected = sum(1 for m in markers if ref_find_label(txt, (m,), 0, len(txt)))
    assert structure.count_markers(txt, markers) == expected


def ref_section_heading(txt: str, section: layout.Section, start: int) -> re.Match[str] | None:
    best = None
    for title in section.label.all:
        match = structure._heading_regex(section.numeral, title).search(txt, start)
        if match and (best is None or match.start() < best.start()):
            best = match
    return best


@FAST
@given(data=st.data())
def test_section_heading_matches_reference(data: st.DataObject) -> None:
    section = data.draw(st.sampled_from(layout.sections()))
    titles = list(section.label.all)
    numbered = [f"{section.numeral}{sep}{t}" for t in titles for sep in ("、", " 、 ", "．", "", "\n")]
    txt = data.draw(st.lists(st.sampled_from(PIECES + titles + numbered + [section.numeral]), max_size=30)
                    .map("".join))
    start = data.draw(st.integers(0, len(txt)))
    assert span(structure.section_heading(txt, section, start)) == span(ref_section_heading(txt, section, start))


def test_combined_headings_refused_when_a_title_may_start_with_a_gap_or_separator() -> None:
    assert structure._headings_regex("一", ("总体情况", "“概述”")) is None
    assert structure._headings_regex("一", ("、情况",)) is None
    assert structure._headings_regex("一", ("总体情况", "概述")) is not None


@given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85\u00a0\u2028\u3000\u200bab一", max_size=30))
def test_compact_matches_regex(txt: str) -> None:
    assert text.compact(txt) == re.sub(r"[\s\u00a0\u3000]+", "", txt)


@given(st.text(alphabet="0123.a\n 5", max_size=12))
def test_looks_glued_matches_regex(region: str) -> None:
    assert api.looks_glued(region) == (re.search(r"(?<![\d.])0\d", region) is not None)


# ---------------------------------------------------------------- tokens


def ref_to_number(num: str) -> float | int:
    clean = num.replace(",", "").replace("−", "-").replace("–", "-").lstrip("+")
    return float(clean) if "." in clean else int(clean)


def ref_cell_token(txt: str, line: Line) -> tuple:
    stripped = txt.strip(text._SPACE + "\n")
    if not stripped:
        return ("blank", txt, line.where, True, None, None, "")
    if stripped in text.NA_TEXTS:
        return ("na", stripped, line.where, True, None, None, "")
    match = text._CELL_NUMBER.fullmatch(stripped)
    if match:
        return ("number", stripped, line.where, True, ref_to_number(match["num"]), match["unit"], "")
    if stripped.startswith("〔OCR") and stripped.endswith("〕"):
        return ("missing", stripped, line.where, True, None, None, "")
    return ("text", stripped, line.where, True, None, None, "")


def ref_free_tokens(txt: str, line: Line) -> list[tuple]:
    tokens: list[tuple] = []
    for chunk in txt.split():
        chunk = chunk.strip("\u00a0\u3000")
        if not chunk:
            continue
        if chunk in text.NA_TEXTS:
            tokens.append(("na", chunk, line.where, False, None, None, ""))
            continue
        pos = 0
        for match in text._NUMBER_TOKEN.finditer(chunk):
            if match.start() > pos:
                tokens.append(("text", chunk[pos:match.start()], line.where, False, None, None, ""))
            tokens.append(("number", match.group(0), line.where, False, ref_to_number(match["num"]), match["unit"],
                           ""))
            pos = match.end()
        if pos < len(chunk):
            tokens.append(("text", chunk[pos:], line.where, False, None, None, ""))
    return tokens


def ref_region_tokens(textmap: TextMap, start: int, end: int) -> list[tuple]:
    tokens: list[tuple] = []
    for txt, line, whole in textmap.pieces(start, end):
        if whole and not line.cell and not txt.strip():
            tokens.append(("break", "", line.where, False, None, None, ""))
        elif line.cell and whole:
            tokens.append(ref_cell_token(txt, line))
        else:
            tokens.extend(ref_free_tokens(txt, line))
    return tokens


def as_tuple(token: text.Token) -> tuple:
    return tuple(getattr(token, f.name) for f in dataclasses.fields(token))


def typed(values: list[tuple]) -> list[tuple]:
    return [tuple((type(v), v) for v in t) for t in values]


CELLS = st.text(alphabet="0123456789１２,.+-−–万元件%％ \t\u3000\u00a0/／—无a其", max_size=8)


@FAST
@given(CELLS)
def test_tokens_match_reference(cell: str) -> None:
    line = Line(cell, "第1行", True)
    assert typed([as_tuple(text.cell_token(cell, line))]) == typed([ref_cell_token(cell, line)])
    assert typed([as_tuple(t) for t in text.free_tokens(cell, line)]) == typed(ref_free_tokens(cell, line))
    number = cell.strip()
    if re.fullmatch(r"[+\-−–]?\d+(?:,\d{3})*(?:\.\d+)?", number):
        assert typed([(text.to_number(number),)]) == typed([(ref_to_number(number),)])


@FAST
@given(data=st.data())
def test_textmap_and_region_tokens_match_reference(data: st.DataObject) -> None:
    lines = tuple(Line(t, f"第{i}行", c) for i, (t, c) in enumerate(
        data.draw(st.lists(st.tuples(CELLS, st.booleans()), min_size=1, max_size=12)), start=1))
    textmap = TextMap(Document(lines, "txt"))
    offset, starts = 0, []
    for line in lines:
        starts.append(offset)
        offset += len(line.text) + 1
    assert textmap.line_starts == starts
    start = data.draw(st.integers(0, len(textmap.text)))
    end = data.draw(st.integers(0, len(textmap.text)))
    assert typed([as_tuple(t) for t in text.region_tokens(textmap, start, end)]) == typed(
        ref_region_tokens(textmap, start, end))


def ref_trim(tokens: list[text.Token], n: int) -> list[text.Token]:
    first = 0
    while first < len(tokens) and tokens[first].kind == "break":
        first += 1
    last = len(tokens) - 1
    while last >= first and tokens[last].kind not in ("number", "na", "missing"):
        last -= 1
    cut = next((i for i in range(last + 1, len(tokens)) if tokens[i].kind == "break"), len(tokens))
    for i in range(first, cut):  # a grid's row end after a cell, the next token not a cell: the row ends there
        after = next((t for t in tokens[i + 1:] if t.kind != "break"), None)
        before = [t for t in tokens[first:i] if t.kind != "break"]
        if (tokens[i].kind == "break" and tokens[i].where.endswith("行末") and after is not None and not after.cell
                and any(t.kind != "text" for t in before) and _kept_last_is_cell(before)):
            cut = i
            break
    out: list[text.Token] = []
    for index in (i for i in range(first, cut) if tokens[i].kind != "break"):
        token = tokens[index]
        if token.kind == "text":
            if not any(t.kind != "text" for t in out):
                continue
            if not token.cell or index > last:  # words after the last value end the row
                break
        out.append(token)
    while out and out[-1].kind == "text":
        out.pop()
    while len(out) > n and out[0].kind == "blank":
        out.pop(0)
    while len(out) > n and out[-1].kind == "blank":
        out.pop()
    return out


def _kept_last_is_cell(before: list[text.Token]) -> bool:
    """Whether the last token trim keeps of ``before`` (text before any value is dropped) is a cell."""
    kept = [t for i, t in enumerate(before) if t.kind != "text" or any(u.kind != "text" for u in before[:i])]
    return bool(kept) and kept[-1].cell


TOKENS = st.lists(st.builds(lambda kind, cell, where: text.Token(kind, kind, where, cell),
                            st.sampled_from(["number", "na", "blank", "text", "break", "missing"]), st.booleans(),
                            st.sampled_from(["第1行", "第1行末"])), max_size=12)


@FAST
@given(TOKENS, st.integers(0, 8))
def test_trim_matches_reference(tokens: list[text.Token], n: int) -> None:
    assert [id(t) for t in readings.trim(list(tokens), n)] == [id(t) for t in ref_trim(list(tokens), n)]


# ---------------------------------------------------------------- reading text


def ref_read_lines(raw_lines: list[str]) -> list[Line]:
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        lines.extend(_text_line(raw, f"第{number}行"))
    footer = re.compile(r"^\s*(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*[/，,]?\s*共\s*\d{1,3}\s*页)?)\s*$")
    return [Line("", ln.where, False) if footer.match(ln.text) else ln for ln in lines]


@FAST
@given(st.lists(st.lists(st.sampled_from(["规章", "0", "12", "|", "\t", " ", "- 4 -", "第 2 页", "—3—", "--", ":",
                                          "－5－", "–1–", "第3页共9页", "页", "\u3000"]),
                         max_size=6).map("".join), max_size=10),
       st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x85"]))
def test_read_text_matches_reference(raw_lines: list[str], newline: str) -> None:
    data = newline.join(["标题", *raw_lines]).encode("utf-8")
    from parsing.readers import decode_text
    assert _read_text(data) == ref_read_lines(decode_text(data).splitlines())


# ---------------------------------------------------------------- the model


def ref_locator_str(locator: Locator) -> str:
    row, column = locator.row, locator.column
    parts = [locator.where, f"“{row}”行" if row else "", f"“{column}”列" if column else ""]
    return " ".join(p for p in parts if p)


@FAST
@given(st.sampled_from(["", "第3行", "网页表格1第2行第3格"]), st.sampled_from([None, "", "规章", "（一）予以公开"]),
       st.sampled_from([None, "", "自然人", "总计"]))
def test_locator_str_matches_reference(where: str, row: str | None, column: str | None) -> None:
    locator = Locator(where, row, column)
    assert str(locator) == ref_locator_str(locator)


# ---------------------------------------------------------------- the hand-written __init__ of frozen classes


@pytest.mark.parametrize("cls", [Cell, Locator, Line])
def test_hand_written_init_matches_fields(cls: type) -> None:
    """Same parameters, in the same order with the same defaults, as the dataclass would generate, and an
    instance holds exactly its fields, in order (so it compares, hashes and pickles as before)."""
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [inspect.Parameter.empty if f.default is dataclasses.MISSING
                                           else f.default for f in fields]
    values = [f"v{i}" for i in range(len(fields))]
    obj = cls(*values)
    assert list(vars(obj).items()) == list(zip([f.name for f in fields], values))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, fields[0].name, "x")
    assert obj == cls(*values) and hash(obj) == hash(cls(*values))
