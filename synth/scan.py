"""Synthetic *scans* and old-format copies of a rendered report, made with the same programs the readers use.

    pdf = print_pdf(docx_bytes)               # LibreOffice prints the Word file to PDF (with its text layer)
    scan = scan_pdf(pdf, dpi=150)             # every page rasterised (pdftoppm) and rebuilt as an image-only PDF
    doc = convert_to(docx_bytes, ".docx", "doc")

Needs LibreOffice (``soffice``) and poppler's ``pdftoppm``; ``image_pdf`` alone needs nothing (it writes a
minimal PDF around grayscale images itself: no text layer, one image per page).
"""
from __future__ import annotations

import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np

from parsing import convert
from parsing.ocr_deskew import rotate
from parsing.pages import read_pgm


def convert_to(data: bytes, suffix: str, target: str, timeout: float = 120) -> bytes:
    """``data`` (a file ending in ``suffix``) converted by LibreOffice to ``target`` (e.g. "doc", "pdf", "xls")."""
    program = convert.soffice()
    if program is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="xxgk-synth-") as work:
        source = Path(work) / f"input{suffix}"
        source.write_bytes(data)
        profile = convert._profile_url()  # the process's LibreOffice profile (made once, not per call)
        subprocess.run([program, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to",
                        target, "--outdir", work, str(source)], check=True, capture_output=True, timeout=timeout)
        return Path(work, f"input.{target.split(':')[0]}").read_bytes()


def print_pdf(docx: bytes) -> bytes:
    """The Word file printed to PDF by LibreOffice."""
    return convert_to(docx, ".docx", "pdf")


def rasterise(pdf: bytes, dpi: int) -> list[np.ndarray]:
    """Every page of ``pdf`` as a grayscale image (uint8, 0 = black) at ``dpi``."""
    with tempfile.TemporaryDirectory(prefix="xxgk-synth-") as work:
        source = Path(work, "input.pdf")
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(source), str(Path(work, "page"))], check=True,
                       capture_output=True, timeout=120)
        return [read_pgm(path.read_bytes()) for path in sorted(Path(work).glob("page*.pgm"))]


def scan_pdf(pdf: bytes, dpi: int = 150, noise: float = 0.0, seed: int = 0, skew: float | list[float] = 0.0,
             blur: int = 0, pages: list[int] | None = None) -> bytes:
    """``pdf`` as a scan: its pages rasterised at ``dpi`` and put back into a PDF with no text layer. Like a
    real scanner: ``skew`` turns every page (or page i by ``skew[i]``) counter-clockwise by that many degrees,
    ``blur`` > 0 softens it (a box blur of that radius in pixels), ``noise`` > 0 adds grey speckle of that
    standard deviation. ``pages`` (1-based) keeps only those pages."""
    images = rasterise(pdf, dpi)
    if pages is not None:
        images = [images[p - 1] for p in pages]
    angles = skew if isinstance(skew, list) else [skew] * len(images)
    images = [rotate(img, angle) if angle else img for img, angle in zip(images, angles)]
    if blur:
        images = [box_blur(img, blur) for img in images]
    if noise:
        rng = np.random.default_rng(seed)
        images = [np.clip(img.astype(np.int16) + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)
                  for img in images]
    return image_pdf(images, dpi)


def box_blur(image: np.ndarray, radius: int) -> np.ndarray:
    """Each pixel the mean of the (2·radius + 1)² square around it (edges repeated)."""
    size = 2 * radius + 1
    padded = np.pad(image.astype(np.float32), radius, mode="edge")
    for axis in (0, 1):
        sums = np.cumsum(padded, axis=axis, dtype=np.float32)
        sums = np.concatenate([np.zeros_like(sums.take([0], axis=axis)), sums], axis=axis)
        length = padded.shape[axis] - size + 1
        padded = (sums.take(range(size, size + length), axis=axis) - sums.take(range(length), axis=axis)) / size
    return (padded + 0.5).clip(0, 255).astype(np.uint8)


def image_pdf(images: list[np.ndarray], dpi: int) -> bytes:
    """A PDF with one grayscale image per page (A4-like page size from the image size at ``dpi``)."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for image in images:
        height, width = image.shape
        stream = zlib.compress(np.ascontiguousarray(image, dtype=np.uint8).tobytes())
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        image_id, content_id, page_id = len(objects) + 1, len(objects) + 2, len(objects) + 3
        objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                       b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, len(stream))
                       + stream + b"\nendstream")
        content = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (w_pt, h_pt)
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R"
                       b" >> >> /Contents %d 0 R >>" % (w_pt, h_pt, image_id, content_id))
        kids.append(page_id)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    from synth.pdf import serialise

    return serialise(objects, 1, b"1.4")
