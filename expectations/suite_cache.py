"""The suites' pages of a run's Data Docs, rendered once per process.

Every run validates the same suites (compiled from the rule catalogue: ``expectations.compile``) and GX
renders a suite's page from the suite alone: a night in the same process wrote byte for byte the pages the
night before it wrote. So a run folder gets the suites' pages this process rendered and made offline
before for the same planned expectations (``remember``, keyed by their text: another catalogue, another
key), and GX renders the validation pages only (~20 % of building a small night's Data Docs).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_PAGES: dict[tuple[str, str], str] = {}  # (planned expectations' digest, suite name) -> its page, made offline


def digest(planned: Iterable[object]) -> str:
    """The key of the suites compiled from ``planned`` (``expectations.compile.Planned``: frozen, compared by
    value; their text holds every rule's kind, arguments, meta and notes)."""
    return hashlib.sha256(repr(list(planned)).encode("utf-8")).hexdigest()


def page(site_dir: Path, name: str) -> Path:
    """Where GX writes the page of suite ``name`` (``ExpectationSuiteIdentifier``) in a site."""
    return site_dir / "expectations" / f"{name}.html"


def write_known(site_dir: Path, key: str, names: Iterable[str]) -> dict[str, Path]:
    """Write the pages this process made before of the suites ``names`` (compiled as ``key``); the pages
    written, by suite name (GX need not render them)."""
    written = {}
    for name in names:
        text = _PAGES.get((key, name))
        if text is not None:
            path = page(site_dir, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written[name] = path
    return written


def remember(site_dir: Path, key: str, names: Iterable[str]) -> None:
    """Keep the pages of the suites ``names`` as they are now in ``site_dir`` (rendered and made offline)."""
    for name in names:
        path = page(site_dir, name)
        if (key, name) not in _PAGES and path.is_file():
            _PAGES[(key, name)] = path.read_text(encoding="utf-8")
