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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from parsing import Report
from rules.cross import BOILERPLATE_SHARE, CANDIDATE_SHARE, SIMILARITY_SECTIONS, body_key, previous_cells
from rules.facts import Facts
from warehouse import facts_store

if TYPE_CHECKING:
    from warehouse.store import RunPlan
    from xxgk.settings import RunSettings


BATCH = 10_000  # reports judged in one batch; a run judging more judges them year by year, in parts of at
# most BATCH // 2 (``year_parts``), each with what its reports read: a batch's decoded facts, GX frame and
# findings cost ~0.1 MB per report judged (measured at 100,000 reports)
LARGE_RUN = 5  # past this many BATCHes judged, parts of at most BATCH // 4 (the run's own state is larger)


def thin(n_parsed: int) -> bool:
    """Whether a run parsing ``n_parsed`` reports (new and re-read) has the parser workers leave the reports'
    stored facts and sentences in the staging folder and keeps only their ids (``pipeline.slim``): a run
    that judges in batches reads them back batch by batch."""
    return n_parsed > BATCH


@dataclass(frozen=True)
class Fresh:
    """The sentences and stored facts of the reports this run parsed (``parsed``): in memory (``frame``;
    their stored facts are the parser's ``stored``), or left in the staging folder by the parser workers
    (``staged``: report id → its chunk's facts file, the sentences beside it)."""

    frame: pd.DataFrame | None = None
    staged: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    parsed: frozenset[str] = frozenset()

    @contextmanager
    def visible(self, con: duckdb.DuckDBPyConnection, report_ids: Iterable[str] | None = None) -> Iterator[str]:
        """The sentences as a subquery over ``con`` (report_id, year, section, sentence, length), which the
        queries name ``fresh_sentences``; ``report_ids``: only the staging files holding those reports are
        read."""
        from warehouse.store import STAGED_SENTENCES
        from xxgk.pipeline import staged_sentences

        frame = self.frame if self.frame is not None else facts_store.sentences_frame([])
        files = self.files if report_ids is None else sorted({self.staged[r] for r in report_ids if r in self.staged})
        parts = [f"SELECT {STAGED_SENTENCES} FROM fresh_frame"]
        if files:
            listed = ", ".join("'" + staged_sentences(f).replace("'", "''") + "'" for f in files)
            parts.append(f"SELECT {STAGED_SENTENCES} FROM read_parquet([{listed}])")
        con.register("fresh_frame", frame)
        try:
            yield "(" + " UNION ALL ".join(parts) + ")"
        finally:
            con.unregister("fresh_frame")

    def staged_blobs(self, con: duckdb.DuckDBPyConnection, report_ids: Iterable[str]) -> dict[str, bytes]:
        """The stored facts of the reports named that the parser workers left in the staging folder."""
        wanted = [rid for rid in report_ids if rid in self.staged]
        if not wanted:
            return {}
        files = sorted({self.staged[rid] for rid in wanted})
        con.register("wanted_staged", _ids(wanted))
        try:
            return dict(con.execute("SELECT report_id, facts FROM read_parquet(?) WHERE report_id IN "
                                    "(SELECT report_id FROM wanted_staged)", [files]).fetchall())
        finally:
            con.unregister("wanted_staged")


@dataclass
class FactsReader:
    """Reads the stored facts and sentences of a batch's reports when it is judged: those parsed by this run
    from memory (``blobs``) or the staging folder (``fresh``), the others from the warehouse
    (``report_facts``, ``report_sentences``). A large run keeps no report's facts between its batches. ``con``:
    the planning's connection, kept open until validation ends (``close``): a connection opened while the
    load's thread opens its own could race DuckDB's creation of the database instance."""

    con: duckdb.DuckDBPyConnection | None
    fresh: Fresh
    blobs: dict[str, bytes] = field(default_factory=dict)

    def read(self, report_ids: list[str]) -> tuple[dict[str, bytes], "Sentences"]:
        """The stored form of the reports' facts, and their sentences."""
        if self.con is None:
            raise RuntimeError("validation is over: the stored facts are no longer read")
        con = self.con
        blobs = {rid: self.blobs[rid] for rid in report_ids if rid in self.blobs}
        blobs.update(self.fresh.staged_blobs(con, [rid for rid in report_ids if rid not in blobs]))
        blobs.update(facts_store.read_blobs(con, [rid for rid in report_ids if rid not in blobs]))
        lacking = set(report_ids) - set(blobs)
        if lacking:
            raise RuntimeError(f"仓库中缺少 {len(lacking)} 份报告的事实数据（如 {min(lacking)[:12]}），请重新运行")
        return blobs, _read_sentences(con, set(report_ids), self.fresh)

    def close(self) -> None:
        """Close the connection (validation is over)."""
        if self.con is not None:
            self.con.close()
            self.con = None


@dataclass(frozen=True)
class Batch:
    """Reports validated together, in the run's order: those ``judged`` and those they read."""

    ids: list[str]
    judged: frozenset[str]
    common: set[tuple[int | None, int, int]] | None = None
    light: frozenset[str] = frozenset()  # read only for their sentences (``_light``), not decoded in full
    reused: frozenset[str] = frozenset()  # read as an earlier batch judged them (``Judging.kept``), not again
    kept: frozenset[str] = frozenset()  # judged here and read by a later batch: what it reads is kept



@dataclass
class Judging:
    """What a run validates: batches of reports (``materialise`` gives their reports and facts, parsed now
    or stored); ``filed``: body id and year of every report of the run (REG-MISSING)."""

    batches: list[Batch] = field(default_factory=list)
    sources: dict[str, tuple[Report, Facts]] = field(default_factory=dict)  # parsed (the run's only batch)
    reader: FactsReader | None = None  # the stored facts of the others, read batch by batch
    paths: dict[str, str] = field(default_factory=dict)
    filed: list[Facts] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # reports of the last run whose files are gone
    present: list[str] = field(default_factory=list)  # every report of the run, in its order
    everything: bool = True
    named: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)  # light ones: name, year
    kept: dict[str, tuple[Report, Facts]] = field(default_factory=dict)  # judged, read again by a later batch
    readers_left: dict[str, int] = field(default_factory=dict)  # of those: how many later batches read them

    @property
    def n_judged(self) -> int:
        return sum(len(b.judged) for b in self.batches)

    def close(self) -> None:
        """Validation is over: close the connection the batches were read through."""
        if self.reader is not None:
            self.reader.close()

    def release(self) -> None:
        """The run is loaded: let go of the reports and facts judging read (the counts and ids stay)."""
        for held in (self.sources, self.paths, self.named, self.kept, self.readers_left):
            held.clear()
        self.filed = []

    def _read(self, batch: Batch) -> tuple[dict[str, bytes], "Sentences | None"]:
        wanted = [rid for rid in batch.ids if rid not in self.sources and rid not in batch.reused]
        if not wanted or self.reader is None:
            return {}, None
        return self.reader.read(wanted)

    def shipped(self, batch: Batch) -> "Shipped":
        """The batch as it travels to a worker of a cluster (stored facts, decoded there)."""
        blobs, sentences = self.reader.read(list(batch.ids)) if self.reader is not None else ({}, None)
        return Shipped(batch, blobs, {rid: self.paths[rid] for rid in batch.ids},
                       sentences, {rid: self.named[rid] for rid in batch.light})

    def materialise(self, batch: Batch) -> tuple[list[Report], list[Facts], list[bool]]:
        """The batch's reports and facts (decoded from their stored form, read now, unless this is the run's
        only batch and the report was parsed by it: its facts are in memory already)."""
        blobs, sentences = self._read(batch)
        pairs = []
        for rid in batch.ids:
            parsed = self.sources.get(rid)
            if parsed is not None:
                pairs.append(parsed)
            elif rid in batch.reused:
                report, kept = self.kept[rid]
                pairs.append((report, dict(kept)))
            elif rid in batch.light:
                pairs.append(_light(rid, blobs.pop(rid), self.paths[rid], self.named[rid], sentences))
            else:
                pairs.append(_decoded(blobs.pop(rid), self.paths[rid], sentences))
        for rid, (report, facts) in zip(batch.ids, pairs):
            if rid in batch.kept:
                self.kept[rid] = (report, {k: facts[k] for k in context_facts() if k in facts})
        for rid in batch.reused:
            self.readers_left[rid] -= 1
            if not self.readers_left[rid]:
                del self.kept[rid], self.readers_left[rid]
        return [r for r, _ in pairs], [f for _, f in pairs], [rid in batch.judged for rid in batch.ids]


@dataclass(frozen=True)
class Shipped:
    """A batch with the stored form of its reports' facts: all a worker elsewhere needs to judge it."""

    batch: Batch
    blobs: dict[str, bytes]
    paths: dict[str, str]
    sentences: "Sentences | None" = None
    named: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)

    def materialise(self) -> tuple[list[Report], list[Facts], list[bool]]:
        pairs = [_light(rid, self.blobs[rid], self.paths[rid], self.named[rid], self.sentences)
                 if rid in self.batch.light else _decoded(self.blobs[rid], self.paths[rid], self.sentences)
                 for rid in self.batch.ids]
        return [r for r, _ in pairs], [f for _, f in pairs], [rid in self.batch.judged for rid in self.batch.ids]


@cache
def context_facts() -> tuple[str, ...]:
    """What a batch reads of a report it does not judge but reads as the previous year of one it judges
    (``rules.check.batch_facts``: the register's match and kind, the page's date; ``rules.cross``: the
    body, the year, the previous-year values, the texts and sentences compared): kept from the batch that
    judged it (year by year, the previous year is judged just before), not decoded again."""
    return ("report_id", "file", "body", "body_id", "year", "edition", "body_kind", "published_on",
            "published_on_source", *(f"{kind}.s{n}" for kind in ("text", "sents") for n in SIMILARITY_SECTIONS),
            *previous_cells())


def _decoded(blob: bytes, path: str, sentences: "Sentences | None") -> tuple[Report, Facts]:
    """A report decoded from its stored facts, with its sentences as the warehouse keeps them
    (``report_sentences``: the copying checks would otherwise hash every sentence of its texts again)."""
    report, facts = facts_store.decode(blob, path)
    if sentences is not None:
        sentences.add_to(facts)
    return report, facts


def _light(rid: str, blob: bytes, path: str, named: tuple[str | None, int | None],
           sentences: "Sentences | None") -> tuple[Report, Facts]:
    """A report the batch reads only for the copying checks of others (``rules.cross._best_peer``): its
    name, year and sentences, with its section texts decoded from the stored facts only if a judged report
    turns out close enough to compare texts with (rare: decoding every such report cost most of a night's
    judging)."""
    name, year = named
    report = Report(file=path, source_format="", sha256=rid, parse_status="ok", body=name, year=year)
    facts: Facts = {"report_id": rid, "file": path, "body": name, "year": year}
    if sentences is None or rid not in sentences.covered:
        raise RuntimeError(f"仓库中缺少报告 {rid[:12]} 的句子数据（report_sentences），请重新运行")
    sentences.add_to(facts)
    stored = _Stored(blob, path)
    for number in SIMILARITY_SECTIONS:
        facts[f"text.s{number}"] = LazyText(stored, f"text.s{number}")
    return report, facts


class _Stored:
    """A report's stored facts, decoded on first use."""

    def __init__(self, blob: bytes, path: str) -> None:
        self.blob, self.path, self.facts = blob, path, None

    def get(self, name: str) -> object:
        if self.facts is None:
            self.facts = facts_store.decode(self.blob, self.path)[1]
        return self.facts.get(name)


class LazyText:
    """A section text taken from the stored facts when first wanted (``rules.cross`` calls it)."""

    def __init__(self, stored: _Stored, name: str) -> None:
        self.stored, self.name = stored, name

    def __call__(self) -> str | None:
        return self.stored.get(self.name)

    def __bool__(self) -> bool:
        return bool(self())


class Sentences:
    """The sentences of some reports (``sents.s1``, ``sents.s5``: sentence key → length), kept as three
    sorted numpy columns until a report's facts are decoded (a few bytes per sentence, not a dict)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        frame = frame.sort_values(["report_id", "section"], kind="stable")
        ids = frame["report_id"].to_numpy(dtype=object)
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.empty(0, dtype=np.int64)
        stops = np.r_[starts[1:], len(ids)]
        self.spans = {ids[a]: (int(a), int(b)) for a, b in zip(starts, stops)}
        self.section = frame["section"].to_numpy(dtype=np.int8)
        self.sentence = frame["sentence"].to_numpy(dtype=np.int64)
        self.length = frame["length"].to_numpy(dtype=np.int64)
        self.covered: frozenset[str] = frozenset()

    @classmethod
    def of(cls, frame: pd.DataFrame, covered: Iterable[str]) -> "Sentences":
        """``frame``'s sentences, standing for every sentence of the reports ``covered`` (a report of
        ``covered`` with no row has none)."""
        out = cls(frame)
        out.covered = frozenset(covered)
        return out

    def subset(self, report_ids: Iterable[str]) -> "Sentences":
        """The sentences of ``report_ids`` only (what a batch shipped to a cluster's worker needs)."""
        wanted = [rid for rid in report_ids if rid in self.covered]
        held = [rid for rid in wanted if rid in self.spans]
        spans = [self.spans[rid] for rid in held]
        rows = np.concatenate([np.arange(a, b) for a, b in spans]) if spans else np.empty(0, dtype=np.int64)
        frame = pd.DataFrame({"report_id": np.repeat(np.array(held, dtype=object), [b - a for a, b in spans]),
                              "section": self.section[rows], "sentence": self.sentence[rows],
                              "length": self.length[rows]})
        return Sentences.of(frame, wanted)

    def add_to(self, facts: Facts) -> None:
        """Give a decoded report's facts its sentences (nothing for a report not covered)."""
        rid = facts.get("report_id")
        if rid not in self.covered:
            return
        start, stop = self.spans.get(rid, (0, 0))
        for number in SIMILARITY_SECTIONS:
            facts[f"sents.s{number}"] = {}
        for section, sentence, length in zip(self.section[start:stop].tolist(), self.sentence[start:stop].tolist(),
                                             self.length[start:stop].tolist()):
            facts[f"sents.s{section}"][sentence] = length


_SENTENCE_COLUMNS = ["report_id", "section", "sentence", "length"]


def _read_sentences(con: duckdb.DuckDBPyConnection, report_ids: set[str], fresh: Fresh) -> Sentences:
    """The sentences of ``report_ids``: from this run's parse (``fresh``: those parsed now, perhaps by
    another parser version than stored ones), else as stored (``report_sentences``)."""
    parsed = report_ids & fresh.parsed
    frames = {"parsed_ids": _ids(parsed), "stored_ids": _ids(report_ids - parsed)}
    sql = ("SELECT DISTINCT report_id, section, sentence, length FROM fresh_sentences "
           "WHERE report_id IN (SELECT report_id FROM parsed_ids) UNION ALL "
           "SELECT DISTINCT report_id, section, sentence, length FROM report_sentences "
           "WHERE report_id IN (SELECT report_id FROM stored_ids)")
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        with fresh.visible(con, parsed) as rows:
            merged = con.execute(sql.replace("fresh_sentences", rows)).df()
    finally:
        for name in frames:
            con.unregister(name)
    return Sentences.of(merged, report_ids)


@dataclass(frozen=True)
class _Index:
    """Every report of the run: its position, printed name, year and body key."""

    order: dict[str, int]
    names: dict[str, str | None]
    years: dict[str, int | None]
    keys: dict[str, str | None]
    body_ids: dict[str, str | None]

    def by_body_year(self) -> dict[tuple[str | None, int | None], list[str]]:
        out: dict[tuple, list[str]] = defaultdict(list)
        for rid in self.order:
            if self.keys[rid] and self.years[rid]:
                out[(self.keys[rid], int(self.years[rid]))].append(rid)
        return out


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
    with, or (none close) the same best share with the same peers — leave the result as it was."""
    if not candidates:
        return set()
    frames = {"present_ids": _ids(index.order), "previous_ids": _ids(previous),
              "candidate_ids": _ids(candidates)}
    sql = f"""
        WITH s AS (SELECT report_id, coalesce(year, -1) AS y, section, sentence, length FROM report_sentences
                   UNION ALL SELECT report_id, coalesce(year, -1), section, sentence, length FROM fresh_sentences),
        own AS (SELECT DISTINCT * FROM s WHERE report_id IN (SELECT report_id FROM candidate_ids)),
        k AS (SELECT DISTINCT y, section, sentence FROM own),
        h AS (SELECT DISTINCT s.report_id, s.y, s.section, s.sentence,
                     s.report_id IN (SELECT report_id FROM present_ids) AS now,
                     s.report_id IN (SELECT report_id FROM previous_ids) AS before
              FROM s JOIN k USING (y, section, sentence)),
        c AS (SELECT y, section, sentence, count(*) FILTER (WHERE now) AS n_now,
                     count(*) FILTER (WHERE before) AS n_before FROM h GROUP BY ALL),
        pairs AS (SELECT o.report_id, o.y, o.section, h.report_id AS other,
                         sum(o.length) FILTER (WHERE h.now AND c.n_now <= {BOILERPLATE_SHARE}) AS shared_now,
                         sum(o.length) FILTER (WHERE h.before AND c.n_before <= {BOILERPLATE_SHARE}) AS shared_before
                  FROM own o JOIN h USING (y, section, sentence) JOIN c USING (y, section, sentence)
                  WHERE h.report_id <> o.report_id AND least(c.n_now, c.n_before) <= {BOILERPLATE_SHARE}
                  GROUP BY ALL)
        SELECT report_id, y, section, NULL, sum(length), NULL FROM own GROUP BY ALL
        UNION ALL
        SELECT report_id, y, section, other, shared_now, shared_before FROM pairs"""
    totals: dict[tuple[str, int, int], int] = {}
    shares: dict[tuple[str, int, int], list[tuple[str, int | None, int | None]]] = defaultdict(list)
    for rid, year, section, other, now, before in _query(con, frames, sql, sentences):
        if other is None:
            totals[(rid, year, section)] = now
        else:
            shares[(rid, year, section)].append((other, now, before))
    return {where[0] for where, total in totals.items()
            if _peer_outcome(where[0], total, shares[where], keys, now=True)
            != _peer_outcome(where[0], total, shares[where], keys, now=False)}


def _peer_outcome(rid: str, total: int, shares: list[tuple[str, int | None, int | None]],
                  keys: dict[str, str | None], now: bool) -> tuple:
    """What ``rules.cross._best_peer`` decides from, for one report and section, with the run's reports
    (``now``) or the last run's: the reports close enough to compare texts with, else the best share and
    the reports that have it. ``shares``: per other report, the length of the sentences it shares with
    this one that are not boilerplate (more than ``BOILERPLATE_SHARE`` holders) now and before; ``total``:
    the length of all this one's sentences."""
    shared = {other: n for other, n_now, n_before in shares
              if (n := n_now if now else n_before) and keys.get(other) != keys.get(rid)}
    total = total or 1
    close = frozenset(j for j, n in shared.items() if n / total >= CANDIDATE_SHARE)
    if close:
        return ("close", close)
    best = max(shared.values(), default=None)
    return ("best", best, frozenset(j for j, n in shared.items() if n == best))


def _sentences_sql() -> str:
    """Every report's sentences: stored ones and those of the reports parsed by this run."""
    return ("(SELECT report_id, coalesce(year, -1) AS y, section, sentence FROM report_sentences "
            "UNION ALL SELECT report_id, coalesce(year, -1) AS y, section, sentence FROM fresh_sentences)")


def _sharing_a_sentence(con: duckdb.DuckDBPyConnection, index: _Index, previous: set[str], changed: set[str],
                        sentences: Fresh) -> set[str]:
    """Reports of the run holding a sentence of a changed report that was not boilerplate before or after."""
    frames = {"present_ids": _ids(index.order), "previous_ids": _ids(previous), "changed_ids": _ids(changed)}
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
        WITH s AS (SELECT DISTINCT * FROM {_sentences_sql()} WHERE report_id IN (SELECT report_id FROM present_ids)),
        k AS (SELECT DISTINCT j.part, s.y, s.section, s.sentence FROM s JOIN judged_ids j USING (report_id)),
        c AS (SELECT y, section, sentence, count(*) AS n
              FROM s JOIN (SELECT DISTINCT y, section, sentence FROM k) USING (y, section, sentence) GROUP BY ALL)
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


def _ids(ids) -> pd.DataFrame:  # noqa: ANN001 - any iterable of report ids
    return pd.DataFrame({"report_id": list(ids)}, dtype="string")


def year_parts(judged: list[str], years: dict[str, int | None]) -> list[list[str]]:
    """The judged reports as the parts judged together: all of them when at most ``BATCH``, else year by
    year (the copying checks compare a report with the same year's reports only, and it reads the previous
    year of its own body only), each year in parts of at most ``BATCH // 2`` of about the same size, in the
    run's order within a year (``BATCH // 4`` past ``LARGE_RUN`` batches: what the run keeps of every report
    grows with it, so its batches shrink). A part then reads only its year's peers and its bodies' previous
    year."""
    if len(judged) <= BATCH:
        return [judged]
    by_year: dict[int | None, list[str]] = defaultdict(list)
    for rid in judged:
        by_year[years.get(rid)].append(rid)
    limit = max(BATCH // (2 if len(judged) <= LARGE_RUN * BATCH else 4), 1)
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
    for part, (readers, common) in zip(parts, _readers_of(con, index, parts, sentences)):
        wanted = set(part)
        for rid in part:
            if index.keys[rid] and index.years[rid]:
                wanted.update(by_body_year.get((index.keys[rid], int(index.years[rid]) - 1), ()))
        batches.append(Batch(sorted(wanted | readers, key=index.order.__getitem__), frozenset(part), common,
                             frozenset(readers - wanted)))
    return _reusing(batches)


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
