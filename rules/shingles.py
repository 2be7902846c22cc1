"""The 8-character pieces (shingles) of a text, as the copying checks compare them (``rules.cross``).

A text's pieces are its overlapping 8-character windows once digits, spaces and punctuation (``NOISE``) are
taken out, each as a 64-bit polynomial hash of its 8 code points, distinct and sorted (numpy: comparing two
texts is one vectorised intersection). ``shingles_of`` computes those of many texts in one pass: a batch of
6,000 reports has 12,000 texts to compare, and numpy's cost per call (a dozen calls per text) was most of the
time spent on one text alone.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

SHINGLE = 8
NOISE = re.compile(r"[\s\d０-９,，、:：（）()“”\"'《》.．%％\-—]+")
_MULTIPLIER = 0x9E3779B97F4A7C15  # odd 64-bit constant: the windows' polynomial hash
_POWERS = {w: np.uint64(pow(_MULTIPLIER, w, 2**64)) for w in (1, 2, 4)}  # M, M², M⁴ (modulo 2**64)
assert SHINGLE == 8  # noqa: S101 - ``_windows`` doubles the window three times
_EMPTY = np.empty(0, dtype=np.uint64)
_BMP = 0x10000
_TABLE: list[np.ndarray] = []  # NOISE as a lookup table over the code points below _BMP (built on first use)


def shingles(text: str) -> np.ndarray:
    """The distinct overlapping 8-character pieces of the text without digits, spaces and punctuation,
    each as a 64-bit polynomial hash of its 8 code points (sorted)."""
    if len(text) < SHINGLE:
        return _EMPTY
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if points.max() >= _BMP:
        return _one(text)
    clean = points[~_noise_table()[points]]
    return _distinct(_windows(clean.astype(np.uint64))) if len(clean) >= SHINGLE else _EMPTY


TOGETHER = 32  # texts joined at a time: ~12,000 code points, arrays under 128 KB, which the allocator gives
# back at once (a batch's 12,000 texts at once took ~200 MB more at the peak of a rules change over 30,000
# reports; 256 at a time, ~90 MB more); as fast as larger groups (13.6 µs a text, 45 one at a time)


def shingles_of(texts: Sequence[str]) -> list[np.ndarray]:
    """``[shingles(t) for t in texts]``, computed ``TOGETHER`` texts at a time: their code points joined,
    the noise taken out through a lookup table, every window hashed at once; then each text's windows made
    distinct."""
    out: list[np.ndarray] = []
    for start in range(0, len(texts), TOGETHER):
        out += _together(texts[start:start + TOGETHER])
    return out


def _together(texts: Sequence[str]) -> list[np.ndarray]:
    out = [_EMPTY] * len(texts)
    wanted = [i for i, text in enumerate(texts) if len(text) >= SHINGLE]  # the noise only shortens a text
    if not wanted:
        return out
    points = np.frombuffer("".join(texts[i] for i in wanted).encode("utf-32-le"), dtype=np.uint32)
    if points.max() >= _BMP:  # a character beyond the table (rare): each text through the expression
        return [_one(text) for text in texts]
    keep = ~_noise_table()[points]
    ends = np.cumsum(np.fromiter((len(texts[i]) for i in wanted), dtype=np.int64, count=len(wanted)))
    kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    bounds = np.concatenate(([0], kept_before[ends]))  # each text's place among the kept code points
    keys = _windows(points[keep].astype(np.uint64))
    for n, i in enumerate(wanted):
        start, stop = int(bounds[n]), int(bounds[n + 1]) - SHINGLE + 1
        if stop > start:
            out[i] = _distinct(keys[start:stop])  # the texts' windows do not overlap: sorted in place
    return out


def _windows(points: np.ndarray) -> np.ndarray:
    """The hash of every window of ``SHINGLE`` code points (``len(points) - SHINGLE + 1`` of them):
    p[i]·M⁷ + p[i+1]·M⁶ + … + p[i+7] modulo 2⁶⁴, built by doubling the window (pairs, fours, eights: three
    passes over the points instead of seven)."""
    if len(points) < SHINGLE:
        return _EMPTY.copy()
    keys, scaled, n = points.copy(), np.empty_like(points), len(points)
    for width in (1, 2, 4):
        n -= width
        np.multiply(keys[:n], _POWERS[width], out=scaled[:n])  # wraps modulo 2**64
        np.add(scaled[:n], keys[width:width + n], out=keys[:n])
    return keys[:n]


def _one(text: str) -> np.ndarray:
    """One text's pieces, its noise taken out by the expression itself (any character)."""
    clean = NOISE.sub("", text)
    if len(clean) < SHINGLE:
        return _EMPTY
    return _distinct(_windows(np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)))


def _noise_table() -> np.ndarray:
    """Per code point below ``_BMP``: whether ``NOISE`` takes it out (the expression itself decides)."""
    if not _TABLE:
        table = np.zeros(_BMP, dtype=bool)
        every = "".join(map(chr, range(_BMP)))
        for found in NOISE.finditer(every):
            table[found.start():found.end()] = True
        _TABLE.append(table)
    return _TABLE[0]


def _distinct(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys)`` of a non-empty array (sorted in place): sorting and dropping repeats is several
    times faster than the hashing ``np.unique`` does for integers."""
    keys.sort()
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]
