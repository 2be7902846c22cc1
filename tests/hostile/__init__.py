"""A hostile corpus, generated at test time into a folder (never committed as binary blobs).

    samples = write_hostile(tmp_path / "in")     # every hostile / broken document, with what to expect
    good = write_good(tmp_path / "in")           # a few clean synthetic reports (parse_status ok)

Each writer returns ``Sample`` records: the file, what kind of attack it is, which parse statuses are
acceptable and (for a refused file) a word its first problem must contain. Every sample's bytes are unique,
so each becomes its own row of the warehouse (reports are keyed by the sha256 of their bytes).
"""
from __future__ import annotations

from pathlib import Path

from hostile.base import Sample
from hostile.bombs import write_bombs
from hostile.encodings import write_encodings
from hostile.names import write_names
from hostile.scripts import PAYLOADS, write_script_reports
from hostile.synthetic import good_spec, write_good

__all__ = ["PAYLOADS", "Sample", "good_spec", "write_bombs", "write_encodings", "write_good", "write_hostile",
           "write_names", "write_script_reports"]


def write_hostile(folder: Path) -> list[Sample]:
    """Every kind of hostile document into ``folder`` (created when absent)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [*write_script_reports(folder / "scripts"), *write_bombs(folder / "bombs"),
            *write_names(folder / "names"), *write_encodings(folder / "encodings")]
