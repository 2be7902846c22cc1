"""Reading the stored facts of the reports a run judges, batch by batch: those parsed by this run (in memory
or left in the staging folder by the parser workers, ``Fresh``) and the others from the warehouse
(``warehouse.facts_store``: ``report_facts``, ``report_sentences``), decoded when a batch is judged — in full,
or (``_light``) only their sentences, with their texts decoded on first use (``LazyText``). ``Judging`` is
what a run validates (planned by ``xxgk.incremental``): its batches, read here (``Judging.materialise``, or
``Judging.shipped`` for a worker of a cluster)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

import duckdb
import numpy as np
import pandas as pd

from parsing import Report
from rules.cross import SIMILARITY_SECTIONS, previous_cells, shingles_of
from rules.facts import Facts
from warehouse import facts_store
from warehouse.facts_store import decode

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
        con.register("wanted_staged", ids_frame(wanted))
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
        pairs, read_only = [], []  # read_only: the decoded reports this batch reads but does not judge
        for rid in batch.ids:
            parsed = self.sources.get(rid)
            if parsed is not None:
                pairs.append(parsed)
            elif rid in batch.reused:
                report, kept = self.kept[rid]
                pairs.append((report, dict(kept)))
            elif rid in batch.light:
                pairs.append(_light(rid, blobs.pop(rid), self.paths[rid], self.named[rid], sentences))
            elif rid in batch.judged:
                pairs.append(_decoded(blobs.pop(rid), self.paths[rid], sentences))
            else:
                report, facts = _decoded(blobs.pop(rid), self.paths[rid], sentences)
                read_only.append(len(pairs))
                pairs.append((report, _context_of(facts)))  # only what is read, at once: a year of reports
        kept = [n for n, rid in enumerate(batch.ids) if rid in batch.kept]
        add_pieces([pairs[n][1] for n in (*read_only, *kept)])
        for n in kept:
            self.kept[batch.ids[n]] = (pairs[n][0], _context_of(pairs[n][1]))
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


def add_pieces(facts: list[Facts]) -> None:
    """The shingles of the compared texts (``pieces.s<n>``) of ``facts`` that lack them, computed together
    (``rules.cross.shingles_of``), once: this batch compares a report with its own previous year, the later
    one compares the next year's report with it (``rules.cross.add_cross_facts`` takes the shingles it is
    given, else computes them from the text)."""
    for number in SIMILARITY_SECTIONS:
        todo = [f for f in facts if f"pieces.s{number}" not in f and isinstance(f.get(f"text.s{number}"), str)
                and f[f"text.s{number}"]]
        for f, pieces in zip(todo, shingles_of([f[f"text.s{number}"] for f in todo])):
            f[f"pieces.s{number}"] = pieces


def _context_of(facts: Facts) -> Facts:
    """What a later batch reads of a report judged now (``context_facts``), with the shingles of its compared
    texts when they are known (``add_pieces``)."""
    return {k: facts[k] for k in (*context_facts(), *(f"pieces.s{n}" for n in SIMILARITY_SECTIONS)) if k in facts}


def _decoded(blob: bytes, path: str, sentences: "Sentences | None") -> tuple[Report, Facts]:
    """A report decoded from its stored facts, with its sentences as the warehouse keeps them
    (``report_sentences``: the copying checks would otherwise hash every sentence of its texts again)."""
    report, facts = decode(blob, path)
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
            self.facts = decode(self.blob, self.path)[1]
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
        codes, ids = pd.factorize(frame["report_id"].to_numpy(dtype=object))  # grouped by integer codes:
        order = np.lexsort((frame["section"].to_numpy(), codes))  # sorting the ids themselves cost twice as much
        codes = codes[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.empty(0, dtype=np.int64)
        stops = np.r_[starts[1:], len(codes)]
        self.spans = dict(zip(ids[codes[starts]].tolist(), zip(starts.tolist(), stops.tolist())))
        self.section = frame["section"].to_numpy(dtype=np.int8)[order]
        self.sentence = frame["sentence"].to_numpy(dtype=np.int64)[order]
        self.length = frame["length"].to_numpy(dtype=np.int64)[order]
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
        found = {number: {} for number in SIMILARITY_SECTIONS}
        for number in SIMILARITY_SECTIONS:
            facts[f"sents.s{number}"] = found[number]
        for section, sentence, length in zip(self.section[start:stop].tolist(), self.sentence[start:stop].tolist(),
                                             self.length[start:stop].tolist()):
            found[section][sentence] = length


_SENTENCE_COLUMNS = ["report_id", "section", "sentence", "length"]


def _read_sentences(con: duckdb.DuckDBPyConnection, report_ids: set[str], fresh: Fresh) -> Sentences:
    """The sentences of ``report_ids``: from this run's parse (``fresh``: those parsed now, perhaps by
    another parser version than stored ones), else as stored (``report_sentences``)."""
    parsed = report_ids & fresh.parsed
    frames = {"parsed_ids": ids_frame(parsed), "stored_ids": ids_frame(report_ids - parsed)}
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


def ids_frame(ids) -> pd.DataFrame:  # noqa: ANN001 - any iterable of report ids
    """The report ids as a one-column frame (``report_id``) a query can name once registered."""
    return pd.DataFrame({"report_id": list(ids)}, dtype="string")
