"""A report's stored facts decoded for judging: ``warehouse.facts_store.decode``'s result, made faster and
smaller. ``facts_store.decode`` undoes the JSON tags (tuples, dates, NaN) by visiting every value of every
nested dict and list — 200 calls a report for ``where`` alone (cell id → where it was printed), 6 million
over 30,000 reports; here only the nested dicts and lists are visited. ``where``'s texts ("第20行", …) repeat
across cells and reports: each is kept once (``sys.intern``), not once per cell — ``where`` was 37 KB of a
report's 61 KB of decoded facts. The result is equal to ``facts_store.decode``'s (``tests/test_side_judge.py``
holds them equal over a generated city); ``facts_store`` is left as it is (its module is part of the parser's
version, ``xxgk.pipeline.parser_version``)."""
from __future__ import annotations

import zlib
from datetime import date
from sys import intern
from typing import Any

import orjson

from parsing.model import Report
from rules.facts import Facts
from rules.findings import WHERE
from warehouse.facts_store import _DATE, _NAN, _REPORT, _TUPLE

_NESTED = frozenset({dict, list})


def decode(blob: bytes, path: str | None = None) -> tuple[Report, Facts]:
    """``warehouse.facts_store.decode(blob, path)``: the stored facts, and a report standing for the parsed one."""
    facts: Facts = {k: v if type(v) is not dict else _typed(v) for k, v in orjson.loads(zlib.decompress(blob)).items()}
    where = facts.get(WHERE)
    if type(where) is dict:
        facts[WHERE] = {k: intern(v) if type(v) is str else v for k, v in where.items()}
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


def _typed(value: Any) -> Any:  # noqa: ANN401 - any decoded JSON value
    """``facts_store._typed``: the tags undone, calling itself only for nested dicts and lists."""
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
