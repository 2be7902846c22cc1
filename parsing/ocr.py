"""Scanned PDF pages → lines, through Tesseract OCR with its Chinese model (``chi_sim``, no network).

A page is OCR'd when its text layer holds no Chinese character and the page draws an image (a scan), or has
no text at all. The page is rendered (``parsing.pages``, ``OCR_DPI``), straightened when it was scanned
askew (``parsing.ocr_deskew``), its ruling lines give the table grids (``parsing.ruling``) and are erased,
Tesseract reads the words with their boxes and confidences once per page, and each word goes to the cell
its centre lies in. Cells whose page reading looks like a value, or is unsure, are read again from their own
crop (``parsing.ocr_cells``: digits by the English model limited to digits, labels by the Chinese model);
the surer reading is kept. Every table cell becomes one cell line, like the Word reader's; text outside
tables becomes ordinary lines; a row a page break split in two is joined again (``parsing.ocr_split``).

Honesty: every OCR'd line says so in its locator with its confidence ("第2页 OCR表格1第3行第2格 置信度 87").
A cell holding digits read below ``MIN_DIGIT_CONFIDENCE`` (``MIN_OVERRIDE_CONFIDENCE`` where the page pass
surely read Chinese there), or ink that no word was read from, is printed as ``UNREADABLE`` — a text, never
a number, never a blank (a blank may count as 0) — so its canonical cell can only be missing or not
assessable. Nothing is guessed, and no value is derived from other values (the table's arithmetic is never
used to read a cell).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from parsing.errors import ReadError, TooLarge
from parsing.pages import OcrUnavailable, render_page, write_pgm
from parsing import ocr_cells
from parsing.ocr_deskew import deskew, paper_level
from parsing.ocr_split import join_split_rows
from parsing.ruling import GridCell, TableGrid, find_tables

OCR_DPI = int(os.environ.get("XXGK_OCR_DPI", "200"))
MIN_DIGIT_CONFIDENCE = 60.0
MIN_OVERRIDE_CONFIDENCE = 85.0  # the digit pass replaces a Chinese character the page pass read (工 for 1)
MAX_OCR_PAGES = 60
BLANK_INK_PIXELS = 20  # a page with fewer ink pixels than this is blank
OCR_TIMEOUT = float(os.environ.get("XXGK_OCR_TIMEOUT", "120"))
UNREADABLE = "〔OCR无法辨认〕"
TESSERACT_MISSING = "文字识别程序未安装（Tesseract 及其中文模型 chi_sim），无法识别扫描件；请运行 scripts/install-system-deps 后重新检查"
PAGE_SECONDS: list[float] = []  # OCR time of every page OCR'd in this process (for the benchmark)
PAGE_SKEWS: list[float] = []  # the skew (degrees) every page OCR'd in this process was straightened by
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")
_DIGIT_RUN = re.compile(r"\d{3,}")  # a number of three digits or more: never part of a statutory label
_ITEM_NUMBER = re.compile(r"^\s*\d{1,2}\s*[.、．]")
_DASHES = re.compile(r"[一—–\-－_]{1,3}")


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    right: int
    bottom: int
    conf: float
    line: tuple[int, int, int]  # tesseract's block, paragraph, line

    @property
    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2


def with_scanned_pages(data: bytes, pages, per_page: list[list]) -> list:  # noqa: ANN001 - pypdf pages
    """The lines of every page: its text layer, or OCR'd lines for a scanned page (see the module doc).
    When a page is scanned but OCR finds no Chinese on it either, its text layer (if any) is kept."""
    scanned = [number for number, (page, lines) in enumerate(zip(pages, per_page), start=1)
               if _needs_ocr(page, lines)]
    if not scanned:
        return [line for lines in per_page for line in lines]
    if len(scanned) > MAX_OCR_PAGES:
        raise TooLarge(f"扫描件共 {len(scanned)} 页需要文字识别，超过上限 {MAX_OCR_PAGES} 页")
    out: list[list] = []
    recognised_pages: set[int] = set()
    with tempfile.TemporaryDirectory(prefix="xxgk-ocr-") as work:
        path = Path(work, "input.pdf")
        path.write_bytes(data)
        for number, lines in enumerate(per_page, start=1):
            if number in scanned:
                recognised = ocr_page(path, number)
                if any(_CJK.search(ln.text) for ln in recognised) or not lines:
                    lines = recognised
                    recognised_pages.add(number - 1)
            out.append(lines)
    return [line for lines in join_split_rows(out, recognised_pages) for line in lines]


def _needs_ocr(page, lines: list) -> bool:  # noqa: ANN001
    text = "".join(line.text for line in lines)
    if _CJK.search(text):
        return False
    return not text.strip() or _draws_image(page)


def _draws_image(page) -> bool:  # noqa: ANN001 - pypdf page
    try:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        if xobjects is None:
            return False
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.get_object().values())
    except (AttributeError, KeyError, TypeError, ValueError):
        return False


def tesseract() -> str | None:
    """The OCR program: ``$XXGK_TESSERACT`` when set (empty = not installed), else ``tesseract`` on the PATH —
    and only when its ``chi_sim`` model is installed."""
    configured = os.environ.get("XXGK_TESSERACT")
    program = (shutil.which(configured) if configured else None) if configured is not None else shutil.which("tesseract")
    return program if program and _has_chinese(program) else None


_LANGS: dict[str, bool] = {}


def _has_chinese(program: str) -> bool:
    if program not in _LANGS:
        try:
            done = subprocess.run([program, "--list-langs"], capture_output=True, timeout=30, text=True)
            _LANGS[program] = "chi_sim" in done.stdout.split()
        except (OSError, subprocess.TimeoutExpired):
            _LANGS[program] = False
    return _LANGS[program]


def ocr_page(pdf_path: Path, number: int, dpi: int | None = None) -> list:
    """The lines of page ``number`` of a scanned PDF (see the module doc), rendered at ``dpi`` (default
    ``OCR_DPI``, read at call time)."""
    dpi = dpi or OCR_DPI
    program = tesseract()
    if program is None:
        raise OcrUnavailable(TESSERACT_MISSING)
    started = time.perf_counter()
    gray = render_page(pdf_path, number, dpi)
    if int((gray < ocr_cells.INK).sum()) < BLANK_INK_PIXELS:
        PAGE_SECONDS.append(time.perf_counter() - started)
        PAGE_SKEWS.append(0.0)
        return []  # a blank page: nothing to read (no Tesseract run)
    gray, skew = deskew(gray)
    PAGE_SKEWS.append(skew)
    tables, rules = find_tables(gray, dpi)
    clean = np.where(_grow(rules) | (gray >= paper_level(gray)), 255, gray).astype(np.uint8)
    words = recognise(program, clean, f"第{number}页", psm=3)
    lines = page_lines(number, clean, tables, words, program)
    PAGE_SECONDS.append(time.perf_counter() - started)
    return lines


def _grow(mask: np.ndarray) -> np.ndarray:
    """The mask widened by one pixel each way (anti-aliased edges of a ruling line go too)."""
    grown = mask.copy()
    grown[1:, :] |= mask[:-1, :]
    grown[:-1, :] |= mask[1:, :]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    return grown


def recognise(program: str, image: np.ndarray, what: str, psm: int = 3, lang: str = "chi_sim",
              extra: tuple[str, ...] = ()) -> list[Word]:
    """Tesseract's words (text, box, confidence) on ``image``."""
    with tempfile.TemporaryDirectory(prefix="xxgk-tess-") as work:
        source = Path(work, "page.pgm")
        source.write_bytes(write_pgm(image))
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run([program, str(source), "stdout", "-l", lang, "--psm", str(psm), *extra, "tsv"],
                                  capture_output=True, timeout=OCR_TIMEOUT, env=env, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise ReadError(f"{what}文字识别超过 {OCR_TIMEOUT:g} 秒未完成，已终止") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise ReadError(f"{what}文字识别失败（tesseract 退出码 {done.returncode}：{message[0][:100]}）")
    return parse_tsv(done.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> list[Word]:
    """Tesseract TSV rows of level 5 (words) with non-empty text."""
    words = []
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5" or not parts[11].strip():
            continue
        block, par, line = int(parts[2]), int(parts[3]), int(parts[4])
        left, top, width, height = (int(p) for p in parts[6:10])
        words.append(Word(parts[11].strip(), left, top, left + width, top + height, float(parts[10]),
                          (block, par, line)))
    return words


def page_lines(number: int, image: np.ndarray, tables: list[TableGrid], words: list[Word], program: str) -> list:
    """Lines of the page in reading order: text lines above/below tables and each table's cell lines."""
    from parsing.readers import Line

    placed: dict[tuple[int, int], list[Word]] = {}
    free: list[Word] = []
    for word in words:
        spot = _cell_of(word, tables)
        (placed.setdefault(spot, []) if spot else free).append(word)
    blocks: list[tuple[float, list[Line]]] = []
    read = partial(recognise, program)
    digits = ocr_cells.digit_pass(read, image, tables, placed, MIN_DIGIT_CONFIDENCE)
    sure = {key for key, (_, conf) in digits.items() if conf >= MIN_DIGIT_CONFIDENCE}
    labels = ocr_cells.label_pass(read, image, tables, placed, skip=sure)
    for t, table in enumerate(tables):
        cells = [_cell_line(number, t + 1, cell, _surer(placed.get((t, i), []), labels.get((t, i), [])),
                            digits.get((t, i)), image, Line)
                 for i, cell in enumerate(table.cells)]
        blocks.append((table.box[0], _with_row_ends(number, t + 1, table, cells, Line)))
    for n, line_words in enumerate(_tesseract_lines(free), start=1):
        conf = min(w.conf for w in line_words)
        blocks.append((line_words[0].top, [Line(_join(line_words), f"第{number}页 OCR第{n}行 置信度 {conf:.0f}")]))
    blocks.sort(key=lambda block: block[0])
    return [line for _, lines in blocks for line in lines]


def _surer(page_words: list[Word], cell_words: list[Word]) -> list[Word]:
    """The page pass's words of a cell, or the label pass's when they were read with more confidence."""
    if cell_words and (not page_words or min(w.conf for w in cell_words) > min(w.conf for w in page_words)):
        return cell_words
    return page_words


def _cell_of(word: Word, tables: list[TableGrid]) -> tuple[int, int] | None:
    x, y = word.centre
    for t, table in enumerate(tables):
        top, left, bottom, right = table.box
        if not (top <= y <= bottom and left <= x <= right):
            continue
        for i, cell in enumerate(table.cells):
            if cell.top <= y <= cell.bottom and cell.left <= x <= cell.right:
                return t, i
    return None


def _with_row_ends(number: int, t: int, table: TableGrid, cells: list, line_type: type) -> list:
    out = []
    for row in range(table.rows):
        out.extend(line for cell, line in zip(table.cells, cells) if cell.row == row)
        out.append(line_type("", f"第{number}页 OCR表格{t}第{row + 1}行末"))
    return out


def _cell_line(number: int, t: int, cell: GridCell, words: list[Word], digits: tuple[str, float] | None,
               image: np.ndarray, line_type: type):
    """One cell: the digit pass's reading when it read one, else the page pass's words (see the module doc)."""
    where = f"第{number}页 OCR表格{t}第{cell.row + 1}行第{cell.col + 1}格"
    text, conf = (_join(_reading_order(words)), min(w.conf for w in words)) if words else ("", 100.0)
    if digits is not None:
        contested = _contested(words, text, conf, image, cell)
        needed = MIN_OVERRIDE_CONFIDENCE if contested else MIN_DIGIT_CONFIDENCE
        if digits[1] >= needed:
            return line_type(digits[0], f"{where} 置信度 {digits[1]:.0f}", True)
        if len(_CJK.findall(text)) < 2 or not contested:
            return line_type(UNREADABLE, f"{where} 置信度 {digits[1]:.0f}（低于 {needed:.0f}，“{digits[0]}”未采用）", True)
    if not words:
        if ocr_cells.has_ink(image, cell):
            return line_type(UNREADABLE, f"{where} 有字迹但未能识别", True)
        return line_type("", f"{where} 置信度 100（空白）", True)
    if conf < MIN_DIGIT_CONFIDENCE and (len(_CJK.findall(text)) < 2 or _DIGIT.search(_ITEM_NUMBER.sub("", text))):
        # a value read unsurely, or digits in a label read unsurely (other than its item number: "1.")
        return line_type(UNREADABLE, f"{where} 置信度 {conf:.0f}（低于 {MIN_DIGIT_CONFIDENCE:.0f}，“{text}”未采用）", True)
    if _CJK.search(text) and _DIGIT_RUN.search(re.sub(r"\s+", "", _ITEM_NUMBER.sub("", text))):
        # values recognised inside a label: the grid missed a ruling there, so this row's cells cannot be
        # trusted to be in their columns (a blank beside it may hold a value): the row is not read at all
        return line_type(UNREADABLE, f"{where} 置信度 {conf:.0f}（标签中混入数字“{text}”，本行未采用）", True)
    if _DASHES.fullmatch(text):
        text = "—"  # a dash printed alone in a cell (OCR reads it as 一 or -): the n/a marker
    return line_type(text, f"{where} 置信度 {conf:.0f}", True)


def _contested(words: list[Word], text: str, conf: float, image: np.ndarray, cell: GridCell) -> bool:
    """Whether the page pass's Chinese reading of a cell competes with its digit reading: Chinese read with
    confidence, in ink wide enough to hold it (digits read as narrow Chinese glyphs compete with nothing)."""
    n_chinese = len(_CJK.findall(text))
    if not n_chinese or conf < MIN_DIGIT_CONFIDENCE:
        return False
    crop = ocr_cells.ink_box(ocr_cells.inner(image, cell))
    return not ocr_cells.too_narrow_for_chinese(crop, n_chinese)


def _reading_order(words: list[Word]) -> list[Word]:
    return [w for line in _tesseract_lines(words) for w in line]


def astuple_rest(word: Word) -> tuple:
    return word.left, word.top, word.right, word.bottom, word.conf, word.line


def _tesseract_lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped by the line Tesseract read them in, top to bottom, each line left to right."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    return sorted((sorted(ws, key=lambda w: w.left) for ws in lines.values()), key=lambda ws: min(w.top for w in ws))


_QUOTES = str.maketrans("", "", "“”\"‘’'「」")


def _join(words: list[Word]) -> str:
    """Words joined: no space between Chinese characters (Tesseract splits them), one between others. Quote
    marks are left out: Tesseract reads specks and stroke ends as quotes, and labels match without them."""
    out = ""
    for word in (Word(w.text.translate(_QUOTES), *astuple_rest(w)) for w in words):
        if not word.text:
            continue
        if out and not (_CJK.match(out[-1]) or _CJK.match(word.text[0])):
            out += " "
        out += word.text
    return out
