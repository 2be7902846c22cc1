"""Real reports in broken encodings: stray invalid UTF-8 bytes, a file that is half UTF-8 and half GBK,
UTF-8 encoded surrogates and overlong forms, UTF-16 without a byte-order mark, an HTML page declaring GB2312
around UTF-8 text, and NUL bytes sprinkled through the text."""
from __future__ import annotations

import random
from pathlib import Path

from hostile.base import DAMAGED, READABLE, Sample, write
from hostile.synthetic import body_name, good_spec, render


def _text(seed: int, fmt: str = "txt") -> str:
    return render(good_spec(seed, body_name(70 + seed % 10)), fmt).decode("utf-8")


def stray_bytes(seed: int = 500, share: float = 0.002) -> bytes:
    """UTF-8 with invalid bytes between characters (a damaged copy): ~0.2 % of the characters."""
    rng = random.Random(seed)
    out = bytearray()
    for ch in _text(seed):
        if rng.random() < share:
            out.append(rng.choice((0x80, 0xBF, 0xC0, 0xFE, 0xFF)))
        out += ch.encode("utf-8")
    return bytes(out)


def half_and_half(seed: int = 501) -> bytes:
    """The first half of the report in UTF-8, the second half in GBK."""
    text = _text(seed)
    middle = text.index("三、") if "三、" in text else len(text) // 2
    return text[:middle].encode("utf-8") + text[middle:].encode("gbk")


def half_and_half_reversed(seed: int = 502) -> bytes:
    text = _text(seed)
    middle = len(text) // 2
    return text[:middle].encode("gbk") + text[middle:].encode("utf-8")


def encoded_surrogates(seed: int = 503) -> bytes:
    """UTF-8 text with CESU-style surrogates and overlong forms spliced into the prose."""
    data = _text(seed).encode("utf-8")
    junk = b"\xed\xa0\x80\xed\xb0\x80\xc0\xaf\xe0\x80\xaf"
    return data.replace("主动公开".encode(), junk + "主动公开".encode(), 3)


def utf16_without_bom(seed: int = 504) -> bytes:
    return _text(seed).encode("utf-16-le")


def html_wrong_charset(seed: int = 505) -> bytes:
    """A page declaring GB2312 whose bytes are UTF-8."""
    return _text(seed, "html").replace('<meta charset="utf-8">', '<meta charset="gb2312">', 1).encode("utf-8")


def sprinkled_nuls(seed: int = 506) -> bytes:
    rng = random.Random(seed)
    return b"".join(ch.encode("utf-8") + (b"\x00" if rng.random() < 0.05 else b"") for ch in _text(seed))


def write_encodings(folder: Path) -> list[Sample]:
    cases = [("stray_bytes.txt", stray_bytes(), "enc-stray-bytes"),
             ("half_utf8_half_gbk.txt", half_and_half(), "enc-half-utf8-gbk"),
             ("half_gbk_half_utf8.txt", half_and_half_reversed(), "enc-half-gbk-utf8"),
             ("surrogates.txt", encoded_surrogates(), "enc-surrogates"),
             ("nuls.txt", sprinkled_nuls(), "enc-nuls")]
    samples = [Sample(write(folder / name, data), kind, DAMAGED) for name, data, kind in cases]
    # readable after all (the encoding is recognised from the bytes), so ok is the honest status
    samples.append(Sample(write(folder / "utf16_nobom.txt", utf16_without_bom()), "enc-utf16-nobom", READABLE,
                          bad=False))
    samples.append(Sample(write(folder / "wrong_charset.html", html_wrong_charset()), "enc-wrong-charset", READABLE,
                          bad=False))
    return samples
