"""Straightening a scanned page before its tables are found (used by ``parsing.ocr``).

A page fed to a scanner a degree or two askew has ruling lines that climb across the page: a table's rows
can no longer be told apart by horizontal runs of ink. The skew is measured from the page's own long
straight things — ruling lines and the baselines of text lines: sheared by the right angle, the ink falls
into a few sharp horizontal bands, so the horizontal ink profile is most peaked (largest sum of squares) at
the page's skew. The page is then rotated back (bilinear, white fill) before anything else reads it.

Both steps are plain numpy; no value depends on them other than through the image OCR reads.
"""
from __future__ import annotations

import math

import numpy as np

MAX_SKEW_DEGREES = 5.0  # a page more askew than this is not straightened (the search does not look further)
MIN_SKEW_DEGREES = 0.1  # below this the page is left as it is (a straight scan is not resampled)
DARK = 160
_MAX_POINTS = 150_000


def skew_angle(gray: np.ndarray, max_degrees: float = MAX_SKEW_DEGREES) -> float:
    """The angle (degrees, counter-clockwise positive, as ``rotate`` takes it) the page's content is turned
    by; 0.0 for a page with too little ink to tell."""
    ys, xs = np.nonzero(gray < DARK)
    if ys.size < 500:
        return 0.0
    if ys.size > _MAX_POINTS:  # a dense page: an even sample of its ink is as good
        step = ys.size // _MAX_POINTS + 1
        ys, xs = ys[::step], xs[::step]
    ys, xs = ys.astype(np.float64), xs.astype(np.float64) - xs.mean()
    coarse = _best(ys, xs, np.arange(-max_degrees, max_degrees + 1e-9, 0.25), scale=0.5)
    fine = _best(ys, xs, np.arange(coarse - 0.25, coarse + 0.25 + 1e-9, 0.02), scale=1.0)
    return float(round(fine, 2))


def _best(ys: np.ndarray, xs: np.ndarray, angles: np.ndarray, scale: float) -> float:
    """The angle among ``angles`` whose shear makes the ink's row profile (binned at ``scale``) most peaked."""
    scores = []
    for angle in angles:
        rows = np.floor((ys + xs * math.tan(math.radians(angle))) * scale).astype(np.int64)  # (round() would bin unevenly)
        counts = np.bincount(rows - rows.min())
        scores.append(float(np.dot(counts, counts)))
    return float(angles[int(np.argmax(scores))])


def rotate(gray: np.ndarray, degrees: float) -> np.ndarray:
    """``gray`` turned counter-clockwise by ``degrees`` about its centre, same size, white where the page
    had nothing. Three shears (Paeth): each moves whole rows or columns by a fraction of a pixel (linear
    interpolation), exact for a rotation and much cheaper than resampling every pixel in two dimensions."""
    theta = math.radians(degrees)
    along, across = math.tan(theta / 2), -math.sin(theta)
    image = gray.astype(np.float32)
    image = _shear_rows(image, along)
    image = np.ascontiguousarray(_shear_rows(np.ascontiguousarray(image.T), across).T)
    image = _shear_rows(image, along)
    return (image + 0.5).clip(0, 255).astype(np.uint8)


def _shear_rows(image: np.ndarray, factor: float) -> np.ndarray:
    """Each row moved right by ``factor`` × its distance below the centre row (linear interpolation, white
    fill): ``out[j] = (1 - f) · in[j - k] + f · in[j - k - 1]`` for a shift of k + f pixels."""
    height, width = image.shape
    out = np.full((height, width), 255, dtype=np.float32)
    padded = np.full(width + 2, 255, dtype=np.float32)  # padded[m + 1] = in[m]; white beyond both ends
    centre = (height - 1) / 2
    for y in range(height):
        shift = factor * (y - centre)
        whole = math.floor(shift)
        part = shift - whole
        padded[1:-1] = image[y]
        moved = padded[1:] * (1 - part) + padded[:-1] * part  # moved[i] = (1 - f) · in[i] + f · in[i - 1]
        lo, hi = max(0, whole), min(width, width + whole + 1)
        if lo < hi:
            out[y, lo:hi] = moved[lo - whole:hi - whole]
    return out


def paper_level(gray: np.ndarray) -> int:
    """The gray level from which a pixel is paper: the page's median (most of a page is paper) less three
    times the spread of the paper's own speckle (at least 24 levels). Whitening what is lighter than this
    leaves the ink (and its anti-aliased edge) as it was and spares OCR the scanner's noise."""
    paper = float(np.median(gray))
    light = gray[gray >= paper - 40]
    spread = float(np.median(np.abs(light.astype(np.float32) - paper))) * 1.4826 if light.size else 0.0
    return int(paper - max(24.0, 3.0 * spread))


def deskew(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """The page straightened, and the skew it had (degrees; 0.0 when it was left as it was)."""
    angle = skew_angle(gray)
    if abs(angle) < MIN_SKEW_DEGREES:
        return gray, 0.0
    return rotate(gray, -angle), angle
