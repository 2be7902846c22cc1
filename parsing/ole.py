"""A minimal reader of OLE2 compound files (the container of .doc, .wps, .xls and .et), enough to tell what a
file holds before it is converted: which streams, whether it is password-protected, whether it is cut short.

Only the directory and the first bytes of two streams are read (no dependency, no full parse): the Word FIB's
``fEncrypted``/``fObfuscated`` flags, the workbook's ``FILEPASS`` record, and the ``EncryptedPackage`` stream of
a password-protected .docx/.xlsx (which Office stores in an OLE2 container too).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from parsing.errors import EncryptedDocument, NotADocument

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_HEADER_DIFAT = 109


@dataclass(frozen=True)
class OleInfo:
    """What an OLE2 file holds: ``kind`` is "word" (Word/WPS text document), "sheet" (Excel/ET workbook),
    "works" (Microsoft Works .wps) or "other"; ``streams`` the names of its streams."""

    kind: str
    streams: tuple[str, ...]


class _Cfb:
    def __init__(self, data: bytes) -> None:
        if not data.startswith(MAGIC) or len(data) < 512:
            raise NotADocument("文件不是完整的旧版 Office 复合文件（文件头不完整）")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise NotADocument("旧版 Office 复合文件的文件头已损坏")
        self.size = 1 << shift
        self.n_sectors = max(0, (len(data) - self.size) // self.size + (1 if len(data) % self.size else 0))
        (self.n_fat, self.dir_start, self.cutoff, self.minifat_start, self.n_minifat, self.difat_start,
         self.n_difat) = struct.unpack_from("<II4xIIIII", data, 0x2C)
        self.fat = self._fat()

    def sector(self, number: int) -> bytes:
        offset = (number + 1) * self.size
        if number >= 0xFFFFFFFA or offset + self.size > len(self.data):
            raise _Truncated()
        return self.data[offset:offset + self.size]

    def _fat(self) -> list[int]:
        difat = list(struct.unpack_from(f"<{_HEADER_DIFAT}I", self.data, 0x4C))
        sector, seen = self.difat_start, 0
        while sector not in (_END, _FREE) and seen <= self.n_difat:
            block = self.sector(sector)
            entries = struct.unpack(f"<{self.size // 4}I", block)
            difat.extend(entries[:-1])
            sector, seen = entries[-1], seen + 1
        fat: list[int] = []
        for number in difat[:self.n_fat]:
            fat.extend(struct.unpack(f"<{self.size // 4}I", self.sector(number)))
        return fat

    def chain(self, start: int, table: list[int], limit: int) -> list[int]:
        out: list[int] = []
        while start not in (_END, _FREE):
            if start >= len(table) or len(out) > limit:
                raise _Truncated()
            out.append(start)
            start = table[start]
        return out

    def read(self, start: int, size: int | None = None) -> bytes:
        data = b"".join(self.sector(n) for n in self.chain(start, self.fat, len(self.fat)))
        return data if size is None else data[:size]

    def entries(self) -> list[tuple[str, int, int, int]]:
        """(name, type, start sector, size) of every directory entry."""
        raw = self.read(self.dir_start)
        out = []
        for offset in range(0, len(raw) - 127, 128):
            length, kind = struct.unpack_from("<HB", raw, offset + 0x40)
            if kind not in (1, 2, 5) or not 2 <= length <= 64:
                continue
            name = raw[offset:offset + length - 2].decode("utf-16-le", "replace")
            start, size = struct.unpack_from("<II", raw, offset + 0x74)
            out.append((name, kind, start, size))
        return out

    def stream(self, entries: list[tuple[str, int, int, int]], name: str, want: int) -> bytes:
        """The first ``want`` bytes of stream ``name``."""
        entry = next(e for e in entries if e[0] == name and e[1] == 2)
        _, _, start, size = entry
        if size >= self.cutoff:
            return self.read(start, min(size, want))
        root = next(e for e in entries if e[1] == 5)
        ministream = self.read(root[2])
        minifat_raw = self.read(self.minifat_start) if self.n_minifat else b""
        minifat = list(struct.unpack(f"<{len(minifat_raw) // 4}I", minifat_raw))
        pieces = [ministream[n * 64:n * 64 + 64] for n in self.chain(start, minifat, len(minifat))]
        data = b"".join(pieces)
        if len(data) < size:
            raise _Truncated()
        return data[:min(size, want)]

    def check_complete(self, entries: list[tuple[str, int, int, int]]) -> None:
        """Every large stream's sectors lie within the file (a cut-off download fails here)."""
        for _, kind, start, size in entries:
            if kind == 2 and size >= self.cutoff:
                sectors = self.chain(start, self.fat, len(self.fat))
                if len(sectors) * self.size < size:
                    raise _Truncated()
                for number in sectors:
                    self.sector(number)


class _Truncated(Exception):
    pass


def inspect(data: bytes, kind_name: str = "旧版 Office") -> OleInfo:
    """What the OLE2 file ``data`` holds. Raises ``EncryptedDocument`` for a password-protected file and
    ``NotADocument`` for a damaged or truncated one (``kind_name`` names the file type in the reason)."""
    try:
        cfb = _Cfb(data)
        entries = cfb.entries()
        cfb.check_complete(entries)
        names = tuple(e[0] for e in entries if e[1] == 2)
        if "EncryptedPackage" in names or "EncryptionInfo" in names:
            raise EncryptedDocument(f"{kind_name} 文件受密码保护（已加密），无法读取；请提供未加密的文件")
        if "WordDocument" in names:
            _check_word(cfb.stream(entries, "WordDocument", 32), kind_name)
            return OleInfo("word", names)
        for book in ("Workbook", "Book", "WORKBOOK", "BOOK"):
            if book in names:
                _check_workbook(cfb.stream(entries, book, 1 << 16), kind_name)
                return OleInfo("sheet", names)
        return OleInfo("works" if "CONTENTS" in names else "other", names)
    except _Truncated:
        raise NotADocument(f"{kind_name} 文件不完整（可能下载中断或被截断），无法读取") from None
    except (struct.error, StopIteration, IndexError, ValueError, MemoryError):
        raise NotADocument(f"{kind_name} 文件已损坏，无法读取") from None


def _check_word(fib: bytes, kind_name: str) -> None:
    if len(fib) < 12:
        raise _Truncated()
    ident, flags = struct.unpack_from("<H8xH", fib, 0)
    if ident != 0xA5EC:
        raise NotADocument(f"{kind_name} 文件的 Word 文档流已损坏")
    if flags & 0x0100 or flags & 0x8000:  # fEncrypted, fObfuscated
        raise EncryptedDocument(f"{kind_name} 文件受密码保护（已加密），无法读取；请提供未加密的文件")


def _check_workbook(stream: bytes, kind_name: str) -> None:
    """A FILEPASS record (0x002F) among the workbook globals' records means the workbook is encrypted."""
    offset = 0
    while offset + 4 <= len(stream):
        record, length = struct.unpack_from("<HH", stream, offset)
        if record == 0x002F:
            raise EncryptedDocument(f"{kind_name} 文件受密码保护（已加密），无法读取；请提供未加密的文件")
        if record == 0x000A:  # EOF of the globals
            return
        offset += 4 + length
