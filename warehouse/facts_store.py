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
"""
from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from parsing.model import Report
from rules.cross import SIMILARITY_SECTIONS
from rules.facts import Facts

NOT_STORED = ("pieces.s", "sents.s")  # derived from the section texts again when needed
_DATE, _TUPLE, _REPORT = "$date", "$tuple", "$report"


def encode(facts: Facts, report: Report) -> bytes:
    """One report's own facts (and what a finding needs of the report itself) as compressed JSON."""
    plain = {k: _plain(v) for k, v in facts.items() if not k.startswith(NOT_STORED)}
    plain[_REPORT] = {"parse_status": report.parse_status, "problems": list(report.problems),
                      "source_format": report.source_format}
    return zlib.compress(json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return {_TUPLE: [_plain(v) for v in value]}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def decode(blob: bytes, path: str | None = None) -> tuple[Report, Facts]:
    """The stored facts, and a report standing for the parsed one (no cells, no sections: what ``judge``
    and ``with_register`` read of it). ``path``: where the file is now (it may have moved)."""
    facts: Facts = json.loads(zlib.decompress(blob), object_hook=_typed)
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


def _typed(obj: dict) -> Any:
    if len(obj) == 1:
        if _TUPLE in obj:
            return tuple(obj[_TUPLE])
        if _DATE in obj:
            return date.fromisoformat(obj[_DATE])
    return obj


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


def read(con: duckdb.DuckDBPyConnection, paths: dict[str, str]) -> dict[str, tuple[Report, Facts]]:
    """The stored facts of the reports ``paths`` names (report id → where the file is now)."""
    if not paths:
        return {}
    from warehouse.db import _registered

    with _registered(con, "wanted_facts", pd.DataFrame({"report_id": pd.Series(list(paths), dtype="string")})):
        rows = con.execute("SELECT f.report_id, f.facts FROM report_facts f "
                           "JOIN wanted_facts w USING (report_id)").fetchall()
    return {rid: decode(blob, paths[rid]) for rid, blob in rows}
