"""Document parsing: any published annual report (txt, html, docx, pdf) → one canonical ``Report``."""
from parsing.api import parse_bytes, parse_file
from parsing.errors import ReadError
from parsing.model import Cell, Locator, Report, Section

__all__ = ["Cell", "Locator", "ReadError", "Report", "Section", "parse_bytes", "parse_file"]
