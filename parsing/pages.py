"""PDF pages → grayscale images (poppler's ``pdftoppm``), read as numpy arrays (0 = black, 255 = white)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from parsing.errors import ReadError

RENDER_TIMEOUT = 60.0
RENDERER_MISSING = "文字识别程序未安装（poppler-utils 的 pdftoppm），无法识别扫描件；请运行 scripts/install-system-deps 后重新检查"


class OcrUnavailable(ReadError):
    """A program OCR needs (pdftoppm, tesseract or its Chinese model) is not installed."""


def pdftoppm() -> str | None:
    """The renderer: ``$XXGK_PDFTOPPM`` when set (empty = not installed), else ``pdftoppm`` on the PATH."""
    configured = os.environ.get("XXGK_PDFTOPPM")
    if configured is not None:
        return shutil.which(configured) if configured else None
    return shutil.which("pdftoppm")


def render_page(pdf_path: Path, page: int, dpi: int) -> np.ndarray:
    """Page ``page`` (1-based) of the PDF file at ``pdf_path`` as a grayscale image at ``dpi``."""
    program = pdftoppm()
    if program is None:
        raise OcrUnavailable(RENDERER_MISSING)
    with tempfile.TemporaryDirectory(prefix="xxgk-page-") as work:
        out = Path(work, "page")
        try:
            done = subprocess.run([program, "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), "-singlefile",
                                   str(pdf_path), str(out)], capture_output=True, timeout=RENDER_TIMEOUT,
                                  start_new_session=True)
        except subprocess.TimeoutExpired:
            raise ReadError(f"PDF 第{page}页渲染为图像超过 {RENDER_TIMEOUT:g} 秒，已终止；页面可能过于复杂") from None
        image = out.with_suffix(".pgm")
        if done.returncode != 0 or not image.is_file():
            raise ReadError(f"PDF 第{page}页无法渲染为图像（pdftoppm 退出码 {done.returncode}），文件可能已损坏")
        return read_pgm(image.read_bytes())


_PGM_HEADER = re.compile(rb"P5\s+(?:#[^\n]*\n\s*)*(\d+)\s+(?:#[^\n]*\n\s*)*(\d+)\s+(?:#[^\n]*\n\s*)*(\d+)\s")


def read_pgm(data: bytes) -> np.ndarray:
    """A binary PGM (P5, 8-bit) image as a 2-D uint8 array."""
    match = _PGM_HEADER.match(data)
    if match is None or int(match[3]) > 255:
        raise ValueError("not an 8-bit binary PGM image")
    width, height = int(match[1]), int(match[2])
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height, offset=match.end())
    return pixels.reshape(height, width)


def write_pgm(image: np.ndarray) -> bytes:
    """A 2-D uint8 array as a binary PGM file."""
    height, width = image.shape
    return b"P5\n%d %d\n255\n" % (width, height) + np.ascontiguousarray(image, dtype=np.uint8).tobytes()
