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

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from parsing import Report
from rules.cross import BOILERPLATE_SHARE, CANDIDATE_SHARE, body_key
from rules.facts import Facts
from xxgk.stored_facts import (Batch, FactsReader, Fresh, Judging, LazyText, Sentences, Shipped,  # noqa: F401
                               context_facts, ids_frame as _ids)

if TYPE_CHECKING:
    from warehouse.store import RunPlan
    from xxgk.settings import RunSettings


BATCH = 10_000  # reports judged in one batch; a run judging more judges them year by year, in parts of at
# most BATCH (``year_parts``: a whole year, as a rule), each with what its reports read: a batch's decoded
# facts, GX frame and findings cost ~0.1 MB per report judged (measured at 100,000 reports)
LARGE_RUN = 5  # past this many BATCHes judged, parts of at most BATCH // 4 (the run's own state is larger)


def thin(n_parsed: int) -> bool:
    """Whether a run parsing ``n_parsed`` reports (new and re-read) has the parser workers leave the reports'
    stored facts and sentences in the staging folder and keeps only their ids (``pipeline.slim``): a run
    that judges in batches reads them back batch by batch."""
    return n_parsed > BATCH


@dataclass(frozen=True)
class _Index:
    """Every report of the run: its position, printed name, year and body key."""

    order: dict[str, int]
    names: dict[str, str | None]
    years: dict[str, int | None]
    keys: dict[str, str | None]
    body_ids: dict[str, str | None]

    def by_body_year(self) -> dict[tuple[str | None, int | None], list[str]]:
        """The run's reports by body key and year, in the run's order (worked out once: the planning of an
        incremental run asks twice, for the next years reached and for the previous years read)."""
        found = self.__dict__.get("_by_body_year")
        if found is None:
            out: dict[tuple, list[str]] = defaultdict(list)
            for rid in self.order:
                if self.keys[rid] and self.years[rid]:
                    out[(self.keys[rid], int(self.years[rid]))].append(rid)
            found = self.__dict__["_by_body_year"] = dict(out)
        return found


def plan_judging(settings: "RunSettings", plan: "RunPlan", parsed: list[Report], parsed_facts: list[Facts],
                 parsed_blobs: list[bytes | None], sentences: Fresh, signature: str) -> Judging:
    """The batch a run validates, and the reports whose findings it carries (see the module's text)."""
    from warehouse import db

    con = db.connect(settings.db, wait_seconds=settings.lock_wait)
    try:
        judging = _plan(con, settings, plan, parsed, parsed_facts, parsed_blobs, sentences, signature)
    except BaseException:
        con.close()
        raise
    if judging.reader is not None and judging.batches:
        judging.reader.con = con  # read batch by batch while validating (``Judging.close``)
    else:
        con.close()
    return judging


def _plan(con: duckdb.DuckDBPyConnection, settings: "RunSettings", plan: "RunPlan", parsed: list[Report],
          parsed_facts: list[Facts], parsed_blobs: list[bytes | None], sentences: Fresh,
          signature: str) -> Judging:
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
    judging = Judging(_batches(con, index, judged, sentences, everything), everything=everything)
    needed = {rid for b in judging.batches for rid in b.ids}
    judging.paths = {rid: paths[rid] for rid in needed}
    if len(judging.batches) == 1:  # kept as parsed (a large run keeps them slim: decoded per batch)
        judging.sources = {rid: fresh[rid] for rid in needed if rid in fresh and "text.s1" in fresh[rid][1]}
    in_memory = {r.report_id: blob for r, blob in zip(parsed, parsed_blobs)
                 if blob and r.report_id in needed and r.report_id not in judging.sources}
    _check_stored(con, needed - set(judging.sources) - set(in_memory) - set(sentences.staged))
    judging.reader = FactsReader(None, sentences, in_memory)
    judging.named = {rid: (index.names[rid], index.years[rid]) for b in judging.batches for rid in b.light}
    for batch in judging.batches:
        for rid in batch.reused:
            judging.readers_left[rid] = judging.readers_left.get(rid, 0) + 1
    judged_ids = set(judged)
    judging.carried = [] if everything else [rid for rid in index.order if rid not in judged_ids]
    judging.filed = [{"body_id": index.body_ids[rid], "year": index.years[rid]}
                     for rid in index.order] if settings.register else []
    judging.years = sorted({int(y) for y in index.years.values() if y})
    judging.withdrawn = sorted(previous.present - set(index.order)) if previous else []
    judging.present = list(index.order)
    return judging


def _check_stored(con: duckdb.DuckDBPyConnection, report_ids: set[str]) -> None:
    """Refuse to plan a run whose batches would read facts the warehouse does not hold."""
    if not report_ids:
        return
    con.register("wanted_ids", _ids(report_ids))
    try:
        held = {row[0] for row in con.execute("SELECT DISTINCT report_id FROM report_facts "
                                              "WHERE report_id IN (SELECT report_id FROM wanted_ids)").fetchall()}
    finally:
        con.unregister("wanted_ids")
    lacking = report_ids - held
    if lacking:
        raise RuntimeError(f"仓库中缺少 {len(lacking)} 份报告的事实数据（如 {min(lacking)[:12]}），请重新运行")


def _stored_names(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, int | None]]:
    return {rid: (name, year) for rid, name, year in con.execute("SELECT report_id, body_name, year FROM reports").fetchall()}


def _index(settings: "RunSettings", paths: dict[str, str], fresh: dict, stored: dict) -> _Index:
    names, years = {}, {}
    for rid in paths:
        if rid in fresh:
            names[rid], years[rid] = fresh[rid][0].body, fresh[rid][0].year
        else:
            names[rid], years[rid] = stored.get(rid, (None, None))
    named = {name: (body_id, body_key(name, body_id))
             for name in set(names.values()) for body_id in (_body_id(settings, name),)}  # once per name
    keys = {rid: named[names[rid]][1] for rid in paths}
    body_ids = {rid: named[names[rid]][0] for rid in paths}
    return _Index({rid: i for i, rid in enumerate(paths)}, names, years, keys, body_ids)


def _body_id(settings: "RunSettings", name: str | None) -> str | None:
    if not settings.register:
        return None
    return settings._match(name).body_id  # noqa: SLF001 - matched once per name (``RunSettings.matches``)


def _affected(con: duckdb.DuckDBPyConnection, index: _Index, stored: dict, settings: "RunSettings",
              previous: set[str], fresh: dict, sentences: Fresh) -> list[str]:
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
        sharing = _sharing_a_sentence(con, index, previous, came | went, sentences) - affected
        keys = dict(index.keys)
        for rid in went:
            name = stored.get(rid, (None, None))[0]
            keys[rid] = body_key(name, _body_id(settings, name))
        affected.update(_peer_changed(con, index, previous, sharing, keys, sentences))
    return [rid for rid in index.order if rid in affected]


def _peer_changed(con: duckdb.DuckDBPyConnection, index: _Index, previous: set[str], candidates: set[str],
                  keys: dict[str, str | None], sentences: Fresh) -> set[str]:
    """Of the reports sharing a sentence with a changed one, those whose copying check can come out
    otherwise: their candidate peers (``rules.cross._best_peer``) computed from the stored sentences as
    the last run saw them and as this run sees them — the same reports close enough to compare texts
    with, or (none close) the same best share with the same peers — leave the result as it was. Only the
    sections where some report's share moved are read back: elsewhere both are worked out from the same
    shares."""
    if not candidates:
        return set()
    frames = {"present_ids": _ids(index.order), "previous_ids": _ids(previous),
              "candidate_ids": _ids(candidates)}
    sql = f"""
        WITH own AS (SELECT DISTINCT * FROM {_sentences_sql(_OF_IDS.format('candidate_ids'), length=True)}),
        k AS (SELECT DISTINCT y, section, sentence FROM own),
        h AS (SELECT *, report_id IN (SELECT report_id FROM present_ids) AS now,
                     report_id IN (SELECT report_id FROM previous_ids) AS before
              FROM (SELECT DISTINCT s.* FROM {_sentences_sql(_OF_YEARS.format('k'))} s
                    JOIN k USING (y, section, sentence))),
        c AS (SELECT y, section, sentence, count(*) FILTER (WHERE now) AS n_now,
                     count(*) FILTER (WHERE before) AS n_before FROM h GROUP BY ALL),
        pairs AS (SELECT o.report_id, o.y, o.section, h.report_id AS other,
                         sum(o.length) FILTER (WHERE h.now AND c.n_now <= {BOILERPLATE_SHARE}) AS shared_now,
                         sum(o.length) FILTER (WHERE h.before AND c.n_before <= {BOILERPLATE_SHARE}) AS shared_before
                  FROM own o JOIN h USING (y, section, sentence) JOIN c USING (y, section, sentence)
                  WHERE h.report_id <> o.report_id AND least(c.n_now, c.n_before) <= {BOILERPLATE_SHARE}
                  GROUP BY ALL),
        moved AS (SELECT DISTINCT report_id, y, section FROM pairs WHERE shared_now IS DISTINCT FROM shared_before)
        SELECT report_id, y, section, NULL, sum(length), NULL FROM own SEMI JOIN moved USING (report_id, y, section)
        GROUP BY ALL
        UNION ALL
        SELECT report_id, y, section, other, shared_now, shared_before
        FROM pairs SEMI JOIN moved USING (report_id, y, section)"""
    totals: dict[tuple[str, int, int], int] = {}
    shares: dict[tuple[str, int, int], list[tuple[str, int | None, int | None]]] = defaultdict(list)
    for rid, year, section, other, now, before in _query(con, frames, sql, sentences):
        if other is None:
            totals[(rid, year, section)] = now
        else:
            shares[(rid, year, section)].append((other, now, before))
    changed = set()
    for where, total in totals.items():
        rid = where[0]
        if rid not in changed:
            own = keys.get(rid)  # another body's reports only (``_best_peer``)
            others = [share for share in shares[where] if keys.get(share[0]) != own]
            if _peer_outcome(total, others, now=True) != _peer_outcome(total, others, now=False):
                changed.add(rid)
    return changed


def _peer_outcome(total: int, shares: list[tuple[str, int | None, int | None]], now: bool) -> tuple:
    """What ``rules.cross._best_peer`` decides from, for one report and section, with the run's reports
    (``now``) or the last run's: the reports close enough to compare texts with, else the best share and
    the reports that have it. ``shares``: per report of another body, the length of the sentences it shares
    with this one that are not boilerplate (more than ``BOILERPLATE_SHARE`` holders) now and before;
    ``total``: the length of all this one's sentences."""
    shared = {other: n for other, n_now, n_before in shares if (n := n_now if now else n_before)}
    total = total or 1
    close = frozenset(j for j, n in shared.items() if n / total >= CANDIDATE_SHARE)
    if close:
        return ("close", close)
    best = max(shared.values(), default=None)
    return ("best", best, frozenset(j for j, n in shared.items() if n == best))


def _sentences_sql(where: str = "", length: bool = False) -> str:
    """Every report's sentences (report_id, y, section, sentence and, with ``length``, its length): stored ones
    and those of the reports parsed by this run, each filtered by ``where`` (``_OF_IDS``, ``_OF_YEARS``).
    Written out where it is read, never as a common table expression read twice: DuckDB would copy every
    stored sentence into it (~40 ms at 30,000 reports) before filtering."""
    columns = "report_id, coalesce(year, -1) AS y, section, sentence" + (", length" if length else "")
    return f"(SELECT {columns} FROM report_sentences {where} UNION ALL SELECT {columns} FROM fresh_sentences {where})"


_OF_IDS = "WHERE report_id IN (SELECT report_id FROM {})"  # the sentences of the reports a frame names
_OF_YEARS = "WHERE coalesce(year, -1) IN (SELECT DISTINCT y FROM {})"  # of the years of a set of sentence keys:
# joined with that set, only these rows can match; an integer filter before the join spares it the others


def _sharing_a_sentence(con: duckdb.DuckDBPyConnection, index: _Index, previous: set[str], changed: set[str],
                        sentences: Fresh) -> set[str]:
    """Reports of the run holding a sentence of a changed report that was not boilerplate before or after."""
    frames = {"present_ids": _ids(index.order), "previous_ids": _ids(previous), "changed_ids": _ids(changed)}
    sql = f"""
        WITH d AS (SELECT DISTINCT y, section, sentence FROM {_sentences_sql(_OF_IDS.format('changed_ids'))}),
        h AS (SELECT DISTINCT s.* FROM {_sentences_sql(_OF_YEARS.format('d'))} s JOIN d USING (y, section, sentence)),
        c AS (SELECT y, section, sentence,
                     count(*) FILTER (WHERE report_id IN (SELECT report_id FROM present_ids)) AS n_after,
                     count(*) FILTER (WHERE report_id IN (SELECT report_id FROM previous_ids)) AS n_before
              FROM h GROUP BY ALL)
        SELECT DISTINCT h.report_id FROM h JOIN c USING (y, section, sentence)
        WHERE least(c.n_after, c.n_before) <= {BOILERPLATE_SHARE}
          AND h.report_id IN (SELECT report_id FROM present_ids)"""
    return {row[0] for row in _query(con, frames, sql, sentences)}


def _readers_of(con: duckdb.DuckDBPyConnection, index: _Index, parts: list[list[str]],
                sentences: Fresh) -> list[tuple[set[str], set[tuple[int | None, int, int]]]]:
    """Per part (the judged reports of a batch), what their copying checks read: the reports of the run
    sharing one of their sentences that is not boilerplate, and the sentences that are (``common``); all
    parts in one query over the run's sentences."""
    numbered = pd.DataFrame({"report_id": pd.Series([rid for part in parts for rid in part], dtype="string"),
                             "part": [n for n, part in enumerate(parts) for _ in part]})
    frames = {"present_ids": _ids(index.order), "judged_ids": numbered}
    sql = f"""
        WITH k AS (SELECT DISTINCT j.part, a.y, a.section, a.sentence
                   FROM {_sentences_sql(_OF_IDS.format('judged_ids'))} a JOIN judged_ids j USING (report_id)),
        keys AS (SELECT DISTINCT y, section, sentence FROM k),
        s AS (SELECT DISTINCT a.* FROM {_sentences_sql(_OF_YEARS.format('k'))} a JOIN keys USING (y, section, sentence)
              WHERE report_id IN (SELECT report_id FROM present_ids)),
        c AS (SELECT y, section, sentence, count(*) AS n FROM s GROUP BY ALL)
        SELECT DISTINCT k.part, s.report_id, NULL, NULL, NULL
        FROM k JOIN c USING (y, section, sentence) JOIN s USING (y, section, sentence) WHERE c.n <= {BOILERPLATE_SHARE}
        UNION ALL
        SELECT k.part, NULL, k.y, k.section, k.sentence FROM k JOIN c USING (y, section, sentence)
        WHERE c.n > {BOILERPLATE_SHARE}"""
    out: list[tuple[set[str], set[tuple[int | None, int, int]]]] = [(set(), set()) for _ in parts]
    for part, rid, y, section, sentence in _query(con, frames, sql, sentences):
        if rid is not None:
            out[part][0].add(rid)
        else:
            out[part][1].add((None if y == -1 else y, section, sentence))
    return out


def _query(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame], sql: str, fresh: Fresh) -> list[tuple]:
    """``sql``'s rows, with ``frames`` and the run's parsed sentences (``fresh_sentences``) visible to it."""
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        with fresh.visible(con) as rows:
            return con.execute(sql.replace("fresh_sentences", rows)).fetchall()
    finally:
        for name in frames:
            con.unregister(name)


def year_parts(judged: list[str], years: dict[str, int | None]) -> list[list[str]]:
    """The judged reports as the parts judged together: all of them when at most ``BATCH``, else year by
    year (the copying checks compare a report with the same year's reports only, and it reads the previous
    year of its own body only), each year in parts of at most ``BATCH`` of about the same size, in the run's
    order within a year (``BATCH // 4`` past ``LARGE_RUN`` batches: what the run keeps of every report grows
    with it, so its batches shrink). A part then reads only its year's peers and its bodies' previous year
    (judged by the part before: ``_reusing``); a year judged whole reads none of its peers from the
    warehouse (splitting a year of 6,000 reports in two cost a third more judging: each half read the other
    for the copying checks, and every batch costs GX a fixed ~0.5 s)."""
    if len(judged) <= BATCH:
        return [judged]
    by_year: dict[int | None, list[str]] = defaultdict(list)
    for rid in judged:
        by_year[years.get(rid)].append(rid)
    limit = max(BATCH if len(judged) <= LARGE_RUN * BATCH else BATCH // 4, 1)
    parts = []
    for year in sorted(by_year, key=lambda y: (y is None, y or 0)):
        group = by_year[year]
        size, longer = divmod(len(group), -(-len(group) // limit))  # as many parts as needed, sizes ±1
        start = 0
        for n in range(-(-len(group) // limit)):
            stop = start + size + (n < longer)
            parts.append(group[start:stop])
            start = stop
    return parts


def _batches(con: duckdb.DuckDBPyConnection, index: _Index, judged: list[str], sentences: Fresh,
             everything: bool) -> list[Batch]:
    """The judged reports in batches of bounded size, each with what its reports read (the same body's
    previous year, the reports sharing a sentence that is not boilerplate), in the run's order. A run that
    judges every report, and no more than ``BATCH``, judges them in one batch that reads nothing else."""
    if not judged:
        return []
    if everything and len(judged) <= BATCH:
        return [Batch(judged, frozenset(judged))]
    by_body_year = index.by_body_year()
    parts = year_parts(judged, index.years)
    batches = []
    for part, (readers, common) in zip(parts, _what_parts_read(con, index, parts, sentences, everything)):
        wanted = set(part)
        for rid in part:
            if index.keys[rid] and index.years[rid]:
                wanted.update(by_body_year.get((index.keys[rid], int(index.years[rid]) - 1), ()))
        batches.append(Batch(sorted(wanted | readers, key=index.order.__getitem__), frozenset(part), common,
                             frozenset(readers - wanted)))
    return _reusing(batches)


def _what_parts_read(con: duckdb.DuckDBPyConnection, index: _Index, parts: list[list[str]], sentences: Fresh,
                     everything: bool) -> list[tuple[set[str], set[tuple[int | None, int, int]]]]:
    """``_readers_of`` each part, but for a part that is the whole of its year in a run judging every
    report: the reports sharing a sentence with it are its own, and a sentence is boilerplate among the
    run's reports exactly when it is among the batch's (``rules.cross._Boilerplate``) — nothing to query."""
    per_year = Counter(index.years.get(part[0]) for part in parts)
    asked = [n for n, part in enumerate(parts) if not everything or per_year[index.years.get(part[0])] > 1]
    found = dict(zip(asked, _readers_of(con, index, [parts[n] for n in asked], sentences))) if asked else {}
    return [found.get(n, (set(), set())) for n in range(len(parts))]


def _reusing(batches: list[Batch]) -> list[Batch]:
    """Mark the reports a batch reads in full (not ``light``) that an earlier batch judged: that batch keeps
    what is read of them (``context_facts``) for this one, instead of their stored facts being decoded
    again (year by year, a part reads the previous year of its bodies: judged by the batches before)."""
    judged_in = {rid: n for n, batch in enumerate(batches) for rid in batch.judged}
    reused = [frozenset(rid for rid in batch.ids if rid not in batch.judged and rid not in batch.light
                        and judged_in.get(rid, n) < n) for n, batch in enumerate(batches)]
    read_later = set().union(*reused)
    return [replace(batch, reused=reused[n], kept=frozenset(batch.judged & read_later))
            for n, batch in enumerate(batches)]
