"""Second readings of single table cells of a scanned page (used by ``parsing.ocr``).

The page pass (Tesseract's Chinese model over the whole page) reads labels well but values badly: a lone digit
is read as a Chinese glyph (0 → 口, 1 → 工 or 丨) or skipped, and a small header cell is sometimes read with
confidence 0 or not at all. Two passes read such cells again from their own crop, all cells of a pass at once
(the crops stacked on one white strip: one Tesseract call per pass, not one per cell):

- the *digit pass*: every cell whose page reading looks like a value (see ``value_like``), read by the English
  model limited to digits and n/a marks;
- the *label pass*: every other cell with ink whose page reading is missing or below ``MIN_LABEL_CONFIDENCE``,
  read again by the Chinese model, line by line.

A second reading is only a candidate: ``parsing.ocr`` keeps whichever reading is the more confident and records
that confidence; a digit reading below its threshold is never used. No value is ever derived from anything
but the ink of its own cell.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from parsing.ruling import GridCell, TableGrid

MIN_LABEL_CONFIDENCE = 60.0
DIGIT_CHARACTERS = "0123456789.-/%"
DIGIT_HEIGHT = 36  # pixels: the height digits are enlarged to before they are read
INK = 128  # gray level below which a pixel is ink (the page has had its ruling lines erased)
_STRIP_GAP = 24
_ALONE = 4  # at most this many cells of a page read one by one (each a Tesseract call)
_LINE_CROPS = 12  # crops side by side on one line at most (Tesseract loses its way on a longer line)
_CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_WIDTH = 0.7  # a printed Chinese character is at least this wide for its height (a digit is about 0.55)

Recognise = Callable[..., list]  # parsing.ocr.recognise with the program bound
CellKey = tuple[int, int]  # (table index, cell index)


def inner(image: np.ndarray, cell: GridCell) -> np.ndarray:
    pad = 4  # the ruling lines are already erased: only their anti-aliased edge is left out
    return image[cell.top + pad:cell.bottom - pad, cell.left + pad:cell.right - pad]


def has_ink(image: np.ndarray, cell: GridCell) -> bool:
    crop = inner(image, cell)
    return crop.size > 0 and int((crop < INK).sum()) >= 12


def ink_box(image: np.ndarray, margin: int = 4) -> np.ndarray:
    """The part of ``image`` that holds ink, with a small white margin kept."""
    ys, xs = np.nonzero(image < INK)
    if ys.size == 0:
        return image
    top, bottom = max(0, ys.min() - margin), min(image.shape[0], ys.max() + margin + 1)
    left, right = max(0, xs.min() - margin), min(image.shape[1], xs.max() + margin + 1)
    return image[top:bottom, left:right]


def text_rows(crop: np.ndarray) -> list[tuple[int, int]]:
    """The printed lines of a cell crop as (top, bottom) pixel rows: runs of rows holding ink."""
    inked = (crop < INK).any(axis=1)
    rows, start = [], None
    for y, flag in enumerate(inked.tolist() + [False]):
        if flag and start is None:
            start = y
        elif not flag and start is not None:
            rows.append((start, y))
            start = None
    return rows


def too_narrow_for_chinese(crop: np.ndarray, n_chinese: int) -> bool:
    """Whether the ink of a cell is too narrow to hold the ``n_chinese`` Chinese characters read from it: a
    Chinese character is about as wide as it is tall, a digit about half as wide, so a cell of digits read as
    Chinese glyphs (0 read as 口口) shows itself by its shape."""
    rows = [r for r in text_rows(crop) if r[1] - r[0] >= 4]
    if not rows or n_chinese < 1:
        return False
    height = max(b - t for t, b in rows)
    width = int((crop < INK).any(axis=0).sum())  # inked columns (the gaps between words left out)
    return width < CJK_WIDTH * height * n_chinese / len(rows)


def value_like(words: list, crop: np.ndarray, min_confidence: float) -> bool:
    """Whether the page pass read the cell as a value: no words, or no Chinese, or one or two characters read
    with low confidence (Tesseract's Chinese model reads a lone 1 as 工 or 丨), or Chinese glyphs the cell's
    ink is too narrow to hold (see ``too_narrow_for_chinese``)."""
    if not words:
        return True
    text = "".join(w.text for w in words)
    n_chinese = len(_CJK.findall(text))
    if n_chinese < 2 or (len(text) == 2 and min(w.conf for w in words) < min_confidence):
        return True
    return too_narrow_for_chinese(ink_box(crop), n_chinese)


def digit_pass(recognise: Recognise, image: np.ndarray, tables: list[TableGrid],
               placed: dict[CellKey, list], min_confidence: float) -> dict[CellKey, tuple[str, float]]:
    """Every value-like cell with ink read again, all at once: the cells' insides stacked into one image, read
    by Tesseract's English model limited to digits and n/a marks. (text, confidence) by (table, cell)."""
    crops, keys = [], []
    for t, table in enumerate(tables):
        for i, cell in enumerate(table.cells):
            if not has_ink(image, cell) or not value_like(placed.get((t, i), []), inner(image, cell), min_confidence):
                continue
            crop = ink_box(inner(image, cell))
            rows = [r for r in text_rows(crop) if r[1] - r[0] >= 4]
            if len(rows) == 1:  # a number is printed on one line
                crops.append(upscale(crop, DIGIT_HEIGHT / (rows[0][1] - rows[0][0])))
                keys.append((t, i))
    if not crops:
        return {}
    digits = ("-c", f"tessedit_char_whitelist={DIGIT_CHARACTERS}")
    found = read_strip(recognise, crops, vertical=True, lang="eng", extra=digits)
    # a lone short number the block reading skipped, or read with a low confidence (the block reading now and
    # then gives a clear 0 confidence 0): those cells again, side by side as one line; the surer reading kept
    again = [i for i in range(len(crops)) if i not in found or _confidence(found[i]) < min_confidence]
    for chunk in (again[k:k + _LINE_CROPS] for k in range(0, len(again), _LINE_CROPS)):
        second = read_strip(recognise, [crops[i] for i in chunk], vertical=False, lang="eng", extra=digits)
        for j, words in second.items():
            if chunk[j] not in found or _confidence(words) > _confidence(found[chunk[j]]):
                found[chunk[j]] = words
    for i in [i for i in range(len(crops)) if i not in found or _confidence(found[i]) < min_confidence][:_ALONE]:
        alone = read_strip(recognise, [crops[i]], vertical=False, lang="eng", extra=digits).get(0)
        if alone and (i not in found or _confidence(alone) > _confidence(found[i])):
            found[i] = alone  # the last few still unsure: each on its own line
    return {keys[i]: (" ".join(w.text for w in sorted(ws, key=lambda w: w.left)), _confidence(ws))
            for i, ws in found.items()}


def _confidence(words: list) -> float:
    return min(w.conf for w in words)


def label_pass(recognise: Recognise, image: np.ndarray, tables: list[TableGrid], placed: dict[CellKey, list],
               skip: set[CellKey]) -> dict[CellKey, list]:
    """Every cell with ink (other than those in ``skip``) that the page pass read unsurely or not at all, read
    again by the Chinese model: each printed line of each cell on its own strip line. Words by (table, cell),
    their ``line`` field numbering the cell's printed lines."""
    pieces, owners = [], []
    for t, table in enumerate(tables):
        for i, cell in enumerate(table.cells):
            words = placed.get((t, i), [])
            if (t, i) in skip or (words and min(w.conf for w in words) >= MIN_LABEL_CONFIDENCE):
                continue
            if not has_ink(image, cell):
                continue
            crop = ink_box(inner(image, cell))
            for n, (top, bottom) in enumerate(text_rows(crop)):
                if bottom - top >= 6:
                    pieces.append(ink_box(crop[top:bottom]))
                    owners.append(((t, i), n))
    if not pieces:
        return {}
    found = read_strip(recognise, pieces, vertical=True, lang="chi_sim", psm=6)
    out: dict[CellKey, list] = {}
    for index, words in sorted(found.items()):
        key, n = owners[index]
        out.setdefault(key, []).extend(_renumbered(w, n) for w in words)
    return out


def _renumbered(word, n: int):  # noqa: ANN001, ANN202 - parsing.ocr.Word
    from dataclasses import replace

    return replace(word, line=(0, 0, n))


def upscale(crop: np.ndarray, factor: float) -> np.ndarray:
    """``crop`` enlarged ``factor`` times (1 to 3; nearest pixel). Tesseract reads a lone digit far better
    at about ``DIGIT_HEIGHT`` pixels than at the 20 or so a 150-200 dpi scan gives it."""
    factor = min(3.0, factor)
    if factor <= 1.05:
        return crop
    height, width = crop.shape
    ys = (np.arange(round(height * factor)) / factor).astype(np.int64)
    xs = (np.arange(round(width * factor)) / factor).astype(np.int64)
    return crop[ys][:, xs]


def read_strip(recognise: Recognise, crops: list[np.ndarray], vertical: bool, lang: str,
               extra: tuple[str, ...] = (), psm: int | None = None) -> dict[int, list]:
    """The crops on one white image (stacked, or side by side) read at once; words by crop index."""
    along = [c.shape[0 if vertical else 1] for c in crops]
    across = max(c.shape[1 if vertical else 0] for c in crops) + 2 * _STRIP_GAP
    starts = np.cumsum([_STRIP_GAP] + [n + _STRIP_GAP for n in along[:-1]])
    length = int(starts[-1] + along[-1] + _STRIP_GAP)
    strip = np.full((length, across) if vertical else (across, length), 255, dtype=np.uint8)
    for crop, start in zip(crops, starts.tolist()):
        h, w = crop.shape
        if vertical:
            strip[start:start + h, _STRIP_GAP:_STRIP_GAP + w] = crop
        else:
            strip[_STRIP_GAP:_STRIP_GAP + h, start:start + w] = crop
    words = recognise(strip, "单元格", psm=psm or (6 if vertical else 7), lang=lang, extra=extra)
    found: dict[int, list] = {}
    for word in words:
        index = int(np.searchsorted(starts, word.centre[1 if vertical else 0], side="right")) - 1
        if index >= 0:
            found.setdefault(index, []).append(word)
    return found
