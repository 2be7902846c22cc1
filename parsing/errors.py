"""The one exception tree of the readers.

Every error a reader raises is a ``ReadError``: it carries a message a person understands (in Chinese,
for the oversight office) and says whether retrying can help (``transient``) or not (terminal).
The parser never lets any other exception escape: ``parsing.parse_bytes`` turns it into a
``failed`` report with the reason recorded.
"""
from __future__ import annotations


class ReadError(Exception):
    """A document could not be read. ``reason`` is the human-readable cause."""

    transient = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmptyDocument(ReadError):
    """The file has no bytes, or no text at all."""


class TooLarge(ReadError):
    """The file (or what it unpacks to) is larger than the configured limit."""


class NotADocument(ReadError):
    """The bytes are not a document of the format their name claims (binary junk, a fake .pdf …)."""


class EncryptedDocument(ReadError):
    """The document is password-protected."""


class NoTextLayer(ReadError):
    """A scanned PDF: pages without a text layer (needs OCR, which this pipeline does not do)."""


class TransientReadError(ReadError):
    """An I/O problem that may go away on retry (file vanished mid-read, share unavailable)."""

    transient = True
