"""Each report's own facts kept in the warehouse (``report_facts``, ``report_sentences``; migration 009), so
that a run judges stored reports again — a neighbour of a changed report, or every report after the rules
changed — from what was read once, never by parsing their raw bytes again.

The facts are those ``xxgk.pipeline.describe`` computes in the parser workers (cell values, prose numbers,
structure facts, the section texts the copying checks compare, where each cell was printed), before the
register and the other reports add theirs. They are stored as compressed JSON (dates and tuples tagged,
so that they come back exactly as they were: the same findings, the same fingerprints), with the parser
version that produced them. The shingles and sentences of the section texts are not stored in the JSON
(they are computed again from the texts when needed); the sentences are kept apart, one row per report,
section and sentence, so that the reports sharing a sentence with a changed report are found in SQL.

Where each cell was printed (``where``: ~40 % of a report's JSON, read only for the cells of a finding) is
stored as a JSON text inside the JSON and decoded on first use (``Printed``): a rules change judges 30,000
stored reports, and most of them have no finding. Facts stored before (``where`` as an object) decode as
they did.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from sys import intern
from typing import Any

import duckdb
import orjson  # Prefect's own JSON library: ~20× faster than json here, where every report is encoded
import pandas as pd

from parsing.model import Report
from rules.cross import SIMILARITY_SECTIONS
from rules.facts import Facts
from rules.findings import WHERE

NOT_STORED = ("pieces.s", "sents.s")  # derived from the section texts again when needed
_DATE, _TUPLE, _NAN, _REPORT = "$date", "$tuple", "$nan", "$report"
_AS_IS = frozenset({str, int, bool, type(None)})


def encode(facts: Facts, report: Report) -> bytes:
    """One report's own facts (and what a finding needs of the report itself) as compressed JSON."""
    plain = dict(facts)  # the same keys in the same order; only the few values JSON has no type for change
    for key in [k for k, v in facts.items() if type(v) not in _JSON or v != v]:
        if key.startswith(NOT_STORED):
            del plain[key]
        elif key == WHERE:
            plain[key] = Printed.text_of(plain[key])
        else:
            plain[key] = _plain(plain[key])
    plain[_REPORT] = {"parse_status": report.parse_status, "problems": list(report.problems),
                      "source_format": report.source_format}
    return zlib.compress(orjson.dumps(plain), 1)


_JSON = frozenset({str, int, bool, float, type(None)})  # written by JSON as they are (but a float NaN)


def _plain(value: Any) -> Any:
    """JSON for what JSON has no type for: tuples, dates, NaN (JSON would write null: not the same)."""
    kind = type(value)
    if kind is float:
        return value if value == value else {_NAN: 1}
    if kind in _AS_IS:
        return value
    if kind is tuple:
        return {_TUPLE: [_plain(v) for v in value]}
    if kind is dict:
        return {k: v if type(v) in _AS_IS else _plain(v) for k, v in value.items()}
    if kind is list:
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    return value


def decode(blob: bytes, path: str | None = None) -> tuple[Report, Facts]:
    """The stored facts, and a report standing for the parsed one (no cells, no sections: what ``judge``
    and ``with_register`` read of it). ``path``: where the file is now (it may have moved). The texts of
    ``where`` (cell id → where it was printed: "第20行", …) repeat across cells and reports: each is kept
    once (``sys.intern``) — they were 37 KB of a report's 61 KB of decoded facts."""
    facts: Facts = {k: v if type(v) is not dict else _typed(v) for k, v in orjson.loads(zlib.decompress(blob)).items()}
    where = facts.get(WHERE)
    if type(where) is str:
        facts[WHERE] = Printed(where)
    elif type(where) is dict:  # stored before ``where`` was kept as a text
        facts[WHERE] = _interned(where)
    meta = facts.pop(_REPORT)
    if path is not None:
        facts["file"] = path
    published = facts.get("published_on")
    report = Report(file=facts.get("file") or "", source_format=meta["source_format"], sha256=facts["report_id"],
                    parse_status=meta["parse_status"], body=facts.get("body"), year=facts.get("year"),
                    edition=facts.get("edition"), problems=tuple(meta["problems"]),
                    preface=f"发布日期：{published.isoformat()}" if published else "",
                    table_editions={k: v for k in ("t2", "t3") if (v := facts.get(f"{k}_edition"))})
    return report, facts


def _interned(where: dict) -> dict:
    return {k: intern(v) if type(v) is str else v for k, v in where.items()}


class Printed(Mapping[str, str]):
    """Where each cell was printed (cell id → "第20行", …), as stored: a JSON text, decoded on first use, its
    texts kept once (``sys.intern``: they repeat across cells and reports)."""

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._map: dict[str, str] | None = None

    def _loaded(self) -> dict[str, str]:
        if self._map is None:
            self._map = _interned(orjson.loads(self._text or "{}"))
            self._text = None
        return self._map

    def __getitem__(self, cell_id: str) -> str:
        return self._loaded()[cell_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def __repr__(self) -> str:
        return f"Printed({self._loaded()!r})"

    @staticmethod
    def text_of(where: Mapping[str, str]) -> str:
        """The JSON text stored for ``where`` (the very text it was decoded from, when not decoded yet)."""
        if isinstance(where, Printed) and where._text is not None:
            return where._text
        return orjson.dumps(dict(where)).decode()


_NESTED = frozenset({dict, list})


def _typed(value: Any) -> Any:  # noqa: ANN401 - any decoded JSON value
    """``_plain`` undone, calling itself only for nested dicts and lists (6 million calls over 30,000
    reports' ``where`` otherwise)."""
    if type(value) is list:
        return [v if type(v) not in _NESTED else _typed(v) for v in value]
    if type(value) is not dict:
        return value
    if len(value) == 1:
        if _TUPLE in value:
            return tuple(v if type(v) not in _NESTED else _typed(v) for v in value[_TUPLE])
        if _DATE in value:
            return date.fromisoformat(value[_DATE])
        if _NAN in value:
            return float("nan")
    return {k: v if type(v) not in _NESTED else _typed(v) for k, v in value.items()}


# ---------------------------------------------------------------- frames written at load


def facts_frame(report_ids: list[str], blobs: list[bytes], parser_version: str) -> pd.DataFrame:
    return pd.DataFrame({"report_id": report_ids, "parser_version": [parser_version] * len(report_ids),
                         "facts": blobs})


def sentences_frame(facts: Iterable[Facts]) -> pd.DataFrame:
    """One row per (report, compared section, sentence): the index of the copying checks."""
    from rules.cross import report_sentence_keys

    rows: dict[str, list] = {"report_id": [], "year": [], "section": [], "sentence": [], "length": []}
    for f in facts:
        for number in SIMILARITY_SECTIONS:
            found = report_sentence_keys(f, number)
            rows["report_id"] += [f["report_id"]] * len(found)
            rows["year"] += [f.get("year")] * len(found)
            rows["section"] += [number] * len(found)
            rows["sentence"] += list(found)
            rows["length"] += list(found.values())
    return pd.DataFrame(rows).astype({"year": "Int64", "section": "int8", "sentence": "int64", "length": "int32"})


def write(con: duckdb.DuckDBPyConnection, facts: pd.DataFrame, sentences: pd.DataFrame) -> None:
    """Store (or replace: the parser changed) the facts and sentences of the reports in ``facts``."""
    if facts.empty:
        return
    from warehouse.db import _registered

    with _registered(con, "fresh_facts", facts), _registered(con, "fresh_sentences", sentences):
        con.execute("DELETE FROM report_facts WHERE report_id IN (SELECT report_id FROM fresh_facts)")
        con.execute("DELETE FROM report_sentences WHERE report_id IN (SELECT report_id FROM fresh_facts)")
        con.execute("INSERT INTO report_facts (report_id, parser_version, facts) "
                    "SELECT report_id, parser_version, facts FROM fresh_facts")
        con.execute("INSERT INTO report_sentences (report_id, year, section, sentence, length) "
                    "SELECT report_id, year, section, sentence, length FROM fresh_sentences")


# ---------------------------------------------------------------- reading


def parser_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Report id → the parser version its stored facts come from."""
    return dict(con.execute("SELECT report_id, parser_version FROM report_facts").fetchall())


def read_blobs(con: duckdb.DuckDBPyConnection, report_ids: Iterable[str]) -> dict[str, bytes]:
    """The stored facts (as stored: ``decode`` them) of the reports named."""
    from warehouse.db import _registered

    wanted = pd.DataFrame({"report_id": pd.Series(list(report_ids), dtype="string")})
    if wanted.empty:
        return {}
    with _registered(con, "wanted_facts", wanted):
        rows = con.execute("SELECT f.report_id, f.facts FROM report_facts f "
                           "JOIN wanted_facts w USING (report_id)").fetchall()
    return dict(rows)


def read(con: duckdb.DuckDBPyConnection, paths: dict[str, str]) -> dict[str, tuple[Report, Facts]]:
    """The stored facts of the reports ``paths`` names (report id → where the file is now), decoded."""
    return {rid: decode(blob, paths[rid]) for rid, blob in read_blobs(con, paths).items()}
