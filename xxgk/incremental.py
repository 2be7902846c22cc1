"""Which reports a run judges, and what it reads of the others: the nightly run costs what changed.

A run's reports are those whose files it found (``present``, in the order their files were found). Most of
them were judged by the last run under the same rules and register: their findings are copied (carried).
Judged again are only the reports a change can reach:

* the reports that are new to the run (new bytes, or known bytes the last run did not have);
* for every report that came or went: the same body's reports of the next year (their ``prev.*`` facts,
  X-CARRY, X-IN-FORCE, X-PREV-ITEMS, DUP-PREVIOUS read it);
* the same year's reports sharing a sentence with it (DUP-PEER), unless that sentence is boilerplate before
  and after the change (more than ``BOILERPLATE_SHARE`` reports hold it: then it counts for nobody).

REG-MISSING is decided again every run for every registered body and year (it is cheap). When the rules or
the register or the years changed, or the parser did (reports were read again), every report is judged —
from its stored facts. The reports judged are checked together with what they read — the same body's
reports of the previous year and the reports sharing a sentence that is not boilerplate — taken from the
warehouse (``warehouse.facts_store``), in the run's order, so that the cross-report facts come out exactly
as in a run over every report (the test compares the two night after night).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import duckdb
import pandas as pd

from parsing import Report
from rules.cross import BOILERPLATE_SHARE, body_key
from rules.facts import Facts
from warehouse import facts_store

if TYPE_CHECKING:
    from warehouse.store import RunPlan
    from xxgk.settings import RunSettings


@dataclass
class Judging:
    """What a run validates: a batch of reports in the run's order, of which ``judged`` ones get findings
    (the others are read only); ``filed``: body id and year of every report of the run (REG-MISSING)."""

    reports: list[Report] = field(default_factory=list)
    facts: list[Facts] = field(default_factory=list)
    judged: list[bool] = field(default_factory=list)
    common: set[tuple[int | None, int, int]] | None = None
    filed: list[Facts] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # reports of the last run whose files are gone
    present: list[str] = field(default_factory=list)  # every report of the run, in its order
    everything: bool = True

    @property
    def n_judged(self) -> int:
        return sum(self.judged)


class _Named(NamedTuple):
    report_id: str
    body: str | None


@dataclass(frozen=True)
class _Index:
    """Every report of the run: its position, printed name, year and body key."""

    order: dict[str, int]
    names: dict[str, str | None]
    years: dict[str, int | None]
    keys: dict[str, str | None]

    def by_body_year(self) -> dict[tuple[str | None, int | None], list[str]]:
        out: dict[tuple, list[str]] = defaultdict(list)
        for rid in self.order:
            if self.keys[rid] and self.years[rid]:
                out[(self.keys[rid], int(self.years[rid]))].append(rid)
        return out


def plan_judging(settings: "RunSettings", plan: "RunPlan", parsed: list[Report], parsed_facts: list[Facts],
                 sentences: pd.DataFrame, signature: str) -> Judging:
    """The batch a run validates, and the reports whose findings it carries (see the module's text)."""
    from warehouse import db

    con = db.connect(settings.db, wait_seconds=settings.lock_wait)
    try:
        return _plan(con, settings, plan, parsed, parsed_facts, sentences, signature)
    finally:
        con.close()


def _plan(con: duckdb.DuckDBPyConnection, settings: "RunSettings", plan: "RunPlan", parsed: list[Report],
          parsed_facts: list[Facts], sentences: pd.DataFrame, signature: str) -> Judging:
    fresh = {r.report_id: (r, f) for r, f in zip(parsed, parsed_facts)}
    paths = dict(plan.present)
    for r in parsed:
        paths.setdefault(r.report_id, r.file)
    stored = _stored_names(con)
    index = _index(settings, paths, fresh, stored)
    previous = plan.previous
    everything = previous is None or previous.signature != signature or bool(plan.to_reparse)
    if everything:
        judged = list(index.order)
    else:
        judged = _affected(con, index, stored, settings, set(previous.present), fresh, sentences)
    judging = _batch(con, index, judged, paths, fresh, sentences, everything)
    judging.carried = [] if everything else [rid for rid in index.order if rid not in set(judged)]
    judging.filed = [{"body_id": _body_id(settings, index.names[rid]), "year": index.years[rid]}
                     for rid in index.order] if settings.register else []
    judging.years = sorted({int(y) for y in index.years.values() if y})
    judging.withdrawn = sorted(previous.present - set(index.order)) if previous else []
    judging.present = list(index.order)
    return judging


def _stored_names(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, int | None]]:
    return {rid: (name, year) for rid, name, year in con.execute("SELECT report_id, body_name, year FROM reports").fetchall()}


def _index(settings: "RunSettings", paths: dict[str, str], fresh: dict, stored: dict) -> _Index:
    names, years = {}, {}
    for rid in paths:
        if rid in fresh:
            names[rid], years[rid] = fresh[rid][0].body, fresh[rid][0].year
        else:
            names[rid], years[rid] = stored.get(rid, (None, None))
    keys = {rid: body_key(names[rid], _body_id(settings, names[rid])) for rid in paths}
    return _Index({rid: i for i, rid in enumerate(paths)}, names, years, keys)


def _body_id(settings: "RunSettings", name: str | None) -> str | None:
    if not settings.register:
        return None
    return settings.matches([_Named("", name)])[""].body_id


def _affected(con: duckdb.DuckDBPyConnection, index: _Index, stored: dict, settings: "RunSettings",
              previous: set[str], fresh: dict, sentences: pd.DataFrame) -> list[str]:
    """The reports of the run a change can reach (see the module's text), in the run's order."""
    present = set(index.order)
    came, went = present - previous, previous - present
    affected = came | set(fresh)  # a file that could not be read is read (and judged) again every run
    by_body_year = index.by_body_year()
    for rid in came | went:
        name, year = (index.names[rid], index.years[rid]) if rid in present else stored.get(rid, (None, None))
        key = body_key(name, _body_id(settings, name))
        if key and year:
            affected.update(by_body_year.get((key, int(year) + 1), ()))
    if came or went:
        affected.update(_sharing_a_sentence(con, index, previous, came | went, sentences))
    return [rid for rid in index.order if rid in affected]


def _sentences_sql() -> str:
    """Every report's sentences: stored ones and those of the reports parsed by this run."""
    return ("(SELECT report_id, coalesce(year, -1) AS y, section, sentence FROM report_sentences "
            "UNION ALL SELECT report_id, coalesce(year, -1) AS y, section, sentence FROM fresh_sentences)")


def _sharing_a_sentence(con: duckdb.DuckDBPyConnection, index: _Index, previous: set[str], changed: set[str],
                        sentences: pd.DataFrame) -> set[str]:
    """Reports of the run holding a sentence of a changed report that was not boilerplate before or after."""
    frames = {"fresh_sentences": sentences, "present_ids": _ids(index.order), "previous_ids": _ids(previous), "changed_ids": _ids(changed)}
    sql = f"""
        WITH s AS {_sentences_sql()},
        d AS (SELECT DISTINCT y, section, sentence FROM s WHERE report_id IN (SELECT report_id FROM changed_ids)),
        h AS (SELECT DISTINCT s.report_id, s.y, s.section, s.sentence FROM s JOIN d USING (y, section, sentence)),
        c AS (SELECT y, section, sentence,
                     count(*) FILTER (WHERE report_id IN (SELECT report_id FROM present_ids)) AS n_after,
                     count(*) FILTER (WHERE report_id IN (SELECT report_id FROM previous_ids)) AS n_before
              FROM h GROUP BY ALL)
        SELECT DISTINCT h.report_id FROM h JOIN c USING (y, section, sentence)
        WHERE least(c.n_after, c.n_before) <= {BOILERPLATE_SHARE}
          AND h.report_id IN (SELECT report_id FROM present_ids)"""
    return {row[0] for row in _query(con, frames, sql)}


def _readers_of(con: duckdb.DuckDBPyConnection, index: _Index, judged: list[str],
                sentences: pd.DataFrame) -> tuple[set[str], set[tuple[int | None, int, int]]]:
    """What the judged reports' copying checks read: the reports of the run sharing one of their sentences
    that is not boilerplate, and the sentences that are (``common``)."""
    frames = {"fresh_sentences": sentences, "present_ids": _ids(index.order), "judged_ids": _ids(judged)}
    sql = f"""
        WITH s AS (SELECT * FROM {_sentences_sql()} WHERE report_id IN (SELECT report_id FROM present_ids)),
        k AS (SELECT DISTINCT y, section, sentence FROM s WHERE report_id IN (SELECT report_id FROM judged_ids)),
        h AS (SELECT DISTINCT s.report_id, s.y, s.section, s.sentence FROM s JOIN k USING (y, section, sentence)),
        c AS (SELECT y, section, sentence, count(*) AS n FROM h GROUP BY ALL)
        SELECT h.report_id, NULL, NULL, NULL FROM h JOIN c USING (y, section, sentence) WHERE c.n <= {BOILERPLATE_SHARE}
        UNION ALL
        SELECT NULL, y, section, sentence FROM c WHERE n > {BOILERPLATE_SHARE}"""
    readers, common = set(), set()
    for rid, y, section, sentence in _query(con, frames, sql):
        if rid is not None:
            readers.add(rid)
        else:
            common.add((None if y == -1 else y, section, sentence))
    return readers, common


def _query(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame], sql: str) -> list[tuple]:
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        return con.execute(sql).fetchall()
    finally:
        for name in frames:
            con.unregister(name)


def _ids(ids) -> pd.DataFrame:  # noqa: ANN001 - any iterable of report ids
    return pd.DataFrame({"report_id": list(ids)}, dtype="string")


def _batch(con: duckdb.DuckDBPyConnection, index: _Index, judged: list[str], paths: dict[str, str], fresh: dict,
           sentences: pd.DataFrame, everything: bool) -> Judging:
    """The judged reports and what they read (the previous year of the same body, the reports sharing a
    sentence), in the run's order, with their facts (parsed now, else stored)."""
    wanted, common = set(judged), None
    if not everything and judged:
        by_body_year = index.by_body_year()
        for rid in judged:
            if index.keys[rid] and index.years[rid]:
                wanted.update(by_body_year.get((index.keys[rid], int(index.years[rid]) - 1), ()))
        readers, common = _readers_of(con, index, judged, sentences)
        wanted |= readers
    ordered = sorted(wanted, key=index.order.__getitem__)
    loaded = facts_store.read(con, {rid: paths[rid] for rid in ordered if rid not in fresh})
    lacking = [rid for rid in ordered if rid not in fresh and rid not in loaded]
    if lacking:
        raise RuntimeError(f"仓库中缺少 {len(lacking)} 份报告的事实数据（如 {lacking[0][:12]}），请重新运行")
    pairs = [fresh.get(rid) or loaded[rid] for rid in ordered]
    chosen = set(judged)
    return Judging([r for r, _ in pairs], [f for _, f in pairs], [rid in chosen for rid in ordered], common,
                   everything=everything)
