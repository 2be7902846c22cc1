"""What a run reads from and writes to the warehouse (the flows call these; one writer per run)."""
from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from rules.verdicts import VERDICTS
from warehouse import db, last_run
from warehouse.rows import cell_rows, finding_rows, report_rows, storable

if TYPE_CHECKING:
    from parsing import Report
    from flows.nightly import RunState
    from xxgk.pipeline import SourceFile
    from xxgk.settings import RunSettings


@dataclass(frozen=True)
class PreviousRun:
    """The latest completed run: what its findings depend on besides the reports (``signature``), and the
    reports it judged or carried (``present``)."""

    run_id: str
    signature: str
    present: frozenset[str]


@dataclass(frozen=True)
class RunPlan:
    """Which files to parse (new bytes), which stored reports to parse again from the raw archive (read by
    another parser version, or stored before facts were kept), and every report of the run in the order
    its files were found (``present``: report id, path)."""

    to_parse: list["SourceFile"] = field(default_factory=list)
    to_reparse: list[tuple[str, str]] = field(default_factory=list)
    present: list[tuple[str, str]] = field(default_factory=list)
    previous: PreviousRun | None = None

    @property
    def carry_from(self) -> str | None:
        return self.previous.run_id if self.previous else None


def plan_run(db_path: Path, sources: list["SourceFile"], parser: str, wait: float = 30.0) -> RunPlan:
    """New bytes are parsed; known bytes are read from the warehouse (their stored facts), and parsed again
    from the raw archive only when their facts were read by another parser version (``parser``)."""
    from warehouse import facts_store

    con = db.connect(db_path, wait_seconds=wait)
    try:
        known = db.known_report_ids(con)
        versions = facts_store.parser_versions(con)
        previous = _previous_run(con, db_path)
    finally:
        con.close()
    unique = _unique(sources)
    stale = [(s.sha256, str(s.path)) for s in unique if s.sha256 in known and versions.get(s.sha256) != parser]
    return RunPlan(to_parse=_lacking(unique, known), to_reparse=stale,
                   present=[(s.sha256, str(s.path)) for s in unique], previous=previous)


def _previous_run(con: duckdb.DuckDBPyConnection, db_path: Path) -> PreviousRun | None:
    latest = db.latest_run(con)
    if latest is None:
        return None
    loaded = last_run.recall(db_path, latest[0])  # loaded by this process: its reports are known
    present = loaded.present if loaded is not None else \
        frozenset(con.execute(last_run.PRESENT_SQL, [latest[0]]).fetchnumpy()["report_id"].tolist())
    return PreviousRun(latest[0], latest[1], present)


def _unique(sources: list["SourceFile"]) -> list["SourceFile"]:
    """One source per distinct content (its first path), in order."""
    return list({s.sha256: s for s in reversed(sources)}.values())[::-1]


def _lacking(unique: list["SourceFile"], known: set[str]) -> list["SourceFile"]:
    """The sources whose bytes are not stored yet."""
    return [s for s in unique if s.sha256 not in known]


def new_sources(db_path: Path, sources: list["SourceFile"]) -> list["SourceFile"] | None:
    """The sources whose bytes the warehouse does not hold yet (``plan_run``'s ``to_parse``), read without
    waiting and without writing; None when the warehouse cannot be read right now (another process holds
    it, or it is not a warehouse)."""
    if not Path(db_path).exists():
        return _unique(sources)
    try:
        con = db.connect(db_path, read_only=True, wait_seconds=0)
    except (db.WarehouseError, duckdb.Error):
        return None
    try:
        known = db.known_report_ids(con)
    except duckdb.Error:
        return None
    finally:
        con.close()
    return _lacking(_unique(sources), known)


def file_stamps(db_path: Path, wait: float = 30.0, read_only: bool = False) -> dict[str, tuple[str, str]]:
    """path -> (stamp, sha256) of the report files the latest completed run found and hashed
    (``run_files.stamp``, migration 012); empty when there is none or the warehouse cannot be read now
    (``read_only``: without waiting and without writing — every file is then hashed)."""
    if not Path(db_path).exists():
        return {}
    try:
        con = db.connect(db_path, read_only=read_only, wait_seconds=wait)
    except (db.WarehouseError, duckdb.Error):
        if read_only:
            return {}
        raise
    try:
        latest = db.latest_run(con)
        if latest is None or "stamp" not in db._columns(con, "run_files"):  # noqa: SLF001
            return {}
        loaded = last_run.recall(db_path, latest[0])  # loaded by this process: its files' stamps are known
        return dict(loaded.stamps) if loaded is not None else last_run.stamps_of(con, latest[0])
    except duckdb.Error:
        if read_only:
            return {}
        raise
    finally:
        con.close()


@dataclass
class StagedLoad:
    """A run's load begun before its findings exist: the open connection, whose transaction already holds
    the run's new reports and cells (``begin_load``); ``finish_load`` adds the findings and commits."""

    con: duckdb.DuckDBPyConnection
    body_ids: dict[str, str | None]
    ahead: db.Ahead | None = None  # what ``db.write_ahead`` wrote of the run: not written again
    pending: last_run.Pending | None = None  # what the load read of its run meanwhile (``last_run``)


def load(settings: "RunSettings", state: "RunState", flow_run_id: str | None) -> None:
    """Write the run in one transaction (see ``db.load_run``)."""
    finish_load(begin_load(settings, state), settings, state, flow_run_id)


def begin_load(settings: "RunSettings", state: "RunState", beside_rules: bool = False) -> StagedLoad:
    """Refresh the register and write the run's new reports and cells, their stored facts, the findings the
    run carries over from the last run (``carry``: the reports no change reached, known since the planning),
    the run's files and its carried reports' verdicts (``db.write_ahead``) in a transaction left open: none
    of it needs the run's new findings, so the run writes it while its rules run. ``beside_rules``: the
    rules run meanwhile, and DuckDB leaves them a core (``db.sparing_a_core``)."""
    con = db.connect(settings.db, wait_seconds=settings.lock_wait)
    try:
        with db.sparing_a_core(con) if beside_rules else contextlib.nullcontext():
            return _begin_load(con, settings, state)
    except BaseException:
        con.close()
        raise


def _begin_load(con: duckdb.DuckDBPyConnection, settings: "RunSettings", state: "RunState") -> StagedLoad:
    matches = settings.matches(state.reports)
    body_ids = {rid: m.body_id for rid, m in matches.items()}
    if settings.bodies:
        _refresh_bodies(con, bodies_frame(settings))
    cells = None if state.cell_files else cell_rows(state.reports, state.cell_rows)
    reports = _report_frame(settings, state, matches, body_ids)
    db.begin_run(con, reports, cells, cell_files=state.cell_files)
    with db._rolled_back_on_error(con):  # noqa: SLF001 - the transaction begin_run opened
        _replace_reparsed(con, state, reports, cells)
        _store_facts(con, state)
        clock = _Clock(state.timings, "load_begun.")
        carry(con, state.run_id, state.carry_from, state.carried)  # known since the planning: copied
        clock.mark("carry")  # while the rules run, not after them
    unchanged, had = _unchanged(state), state.previous_present  # the carry copied every finding they had
    ahead = db.write_ahead(con, state.run_id, files_frame(settings, state), state.carry_from, unchanged,
                           [rid for rid in unchanged if rid in had])
    with db._rolled_back_on_error(con):  # noqa: SLF001
        pending = last_run.read_ahead(con, state.run_id, frozenset(rid for rid in state.carried if rid in had))
    clock.mark("ahead")
    return StagedLoad(con, body_ids, ahead, pending)


def _unchanged(state: "RunState") -> list[str]:
    """The carried reports whose stored rows the run did not change (not parsed again): their verdicts are
    those of the run their findings came from."""
    return [rid for rid in state.carried if rid not in state.reparsed]


def _replace_reparsed(con: duckdb.DuckDBPyConnection, state: "RunState", reports: pd.DataFrame,
                      cells: pd.DataFrame | None) -> None:
    """Reports parsed again by a new parser version: their row and cells as that parser reads them."""
    if not state.reparsed:
        return
    ids = pd.Series(sorted(state.reparsed), dtype="string")
    with db._registered(con, "reparsed_ids", pd.DataFrame({"report_id": ids})):  # noqa: SLF001
        for table in ("cells", "reports"):
            con.execute(f"DELETE FROM {table} WHERE report_id IN (SELECT report_id FROM reparsed_ids)")
    db._insert(con, "reports", reports[reports["report_id"].isin(state.reparsed)])  # noqa: SLF001
    if state.cell_files:
        db._insert_cell_files(con, state.cell_files, ids)  # noqa: SLF001
    elif cells is not None and not cells.empty:
        db._insert(con, "cells", cells[cells["report_id"].isin(state.reparsed)])  # noqa: SLF001


def _store_facts(con: duckdb.DuckDBPyConnection, state: "RunState") -> None:
    """The parsed reports' own facts and sentences (``report_facts``, ``report_sentences``): kept in memory
    (a small run), or left in the staging folder by the parser workers (``stage_facts``)."""
    from warehouse import facts_store
    from xxgk.pipeline import parser_version

    kept = [(r.report_id, blob) for r, blob in zip(state.reports, state.stored) if blob is not None]
    frame = facts_store.facts_frame([rid for rid, _ in kept], [blob for _, blob in kept], parser_version())
    facts_store.write(con, frame.drop_duplicates("report_id"), state.sentences.drop_duplicates(
        ["report_id", "section", "sentence"]) if state.sentences is not None else facts_store.sentences_frame([]))
    if state.facts_files:
        write_staged_facts(con, state.facts_files, parser_version())


# ---------------------------------------------------------------- facts left in the staging folder

_STAGING_LOCK = threading.Lock()
_STAGING_CON: list[duckdb.DuckDBPyConnection] = []  # this process's in-memory DuckDB for staging files


def stage_facts(report_ids: list[str], blobs: list[bytes | None], sentences: pd.DataFrame, facts_path: Path,
                sentences_path: Path) -> None:
    """A chunk's stored facts (``report_id``, ``facts``) and sentences (as ``report_sentences``) as two
    Parquet files of the staging folder (written by a parser worker). The run then keeps only the reports'
    ids: the planning reads the sentences, each batch its reports' facts, and the load copies both into the
    warehouse, from these files."""
    kept = [(rid, blob) for rid, blob in zip(report_ids, blobs) if blob is not None]
    facts = pd.DataFrame({"report_id": pd.Series([rid for rid, _ in kept], dtype=object),
                          "facts": pd.Series([blob for _, blob in kept], dtype=object)})
    with _STAGING_LOCK:
        if not _STAGING_CON:
            _STAGING_CON.append(duckdb.connect(config={"threads": 1}))
        con = _STAGING_CON[0]
        with db._registered(con, "chunk_facts", facts), db._registered(con, "chunk_sentences", sentences):  # noqa: SLF001
            con.execute(f"COPY (SELECT report_id::VARCHAR AS report_id, facts::BLOB AS facts FROM chunk_facts) "
                        f"TO '{_sql_path(facts_path)}' (FORMAT parquet)")
            con.execute(f"COPY (SELECT {STAGED_SENTENCES} FROM chunk_sentences) "
                        f"TO '{_sql_path(sentences_path)}' (FORMAT parquet)")


STAGED_SENTENCES = ("report_id::VARCHAR AS report_id, year::INTEGER AS year, section::TINYINT AS section, "
                    "sentence::BIGINT AS sentence, length::INTEGER AS length")


def _sql_path(path: Path | str) -> str:
    return str(path).replace("'", "''")


def write_staged_facts(con: duckdb.DuckDBPyConnection, facts_files: list[str], parser_version: str) -> None:
    """Store (or replace) the facts and sentences the parser workers left in the staging folder."""
    from xxgk.pipeline import staged_sentences

    files = list(facts_files)
    sentence_files = [staged_sentences(name) for name in files]
    staged = "(SELECT report_id FROM read_parquet(?))"
    con.execute(f"DELETE FROM report_facts WHERE report_id IN {staged}", [files])
    con.execute(f"DELETE FROM report_sentences WHERE report_id IN {staged}", [files])
    con.execute("INSERT INTO report_facts (report_id, parser_version, facts) "
                "SELECT DISTINCT ON (report_id) report_id, ?, facts FROM read_parquet(?)", [parser_version, files])
    con.execute("INSERT INTO report_sentences (report_id, year, section, sentence, length) "
                "SELECT DISTINCT report_id, year, section, sentence, length FROM read_parquet(?)", [sentence_files])


def finish_load(staged: StagedLoad, settings: "RunSettings", state: "RunState", flow_run_id: str | None) -> None:
    """The run's findings and its row, then the commit (``db.finish_run``); the snapshot is refreshed."""
    from xxgk.pipeline import catalogue_version

    judged = state.judging.n_judged if state.judging is not None else len(state.reports)
    run = db.RunRecord(state.run_id, state.started_at, datetime.now(timezone.utc).replace(tzinfo=None),
                       flow_run_id, judged + len(state.carried), len(state.reports),
                       sum(r.parse_status == "failed" for r in state.reports),
                       str(state.docs_index) if state.docs_index else None,
                       settings.signature(catalogue_version()),
                       None if staged.ahead is not None and staged.ahead.files else files_frame(settings, state),
                       settings.years, str(settings.register) if settings.register else None)
    clock = _Clock(state.timings, "load.")
    try:
        with db._rolled_back_on_error(staged.con):  # noqa: SLF001 - the transaction begin_run opened
            if state.judging is not None:
                mark_withdrawn(staged.con, state.run_id, run.finished_at, state.judging.withdrawn,
                               state.judging.present)
        in_memory = [f for f in state.finding_frames if isinstance(f, pd.DataFrame)]
        findings = pd.concat([*in_memory, finding_rows(state.run_id, state.findings, staged.body_ids)],
                             ignore_index=True)
        on_disk = [f.path for f in state.finding_frames if isinstance(f, StagedFindings)]
        state.finding_frames = [f for f in state.finding_frames if isinstance(f, StagedFindings)]
        db.finish_run(staged.con, run, findings, state.carry_from, finding_files=on_disk, carried=_unchanged(state),
                      ahead=staged.ahead)
        clock.mark("commit")
        if staged.pending is not None and not on_disk:
            last_run.committed(settings.db, staged.pending, findings)
    finally:
        staged.con.close()  # the last connection (a large run let the warehouse go): written into the file
    clock.mark("close")
    db.refresh_snapshot(settings.db, background=True)  # while the summary runs (reading the warehouse still
    # held open, ``kept_open``: checkpointed first, in the same thread); the outcome waits for it


class _Clock:
    """Seconds between marks, kept in a run's timings under ``prefix`` + name (what a load's parts cost)."""

    def __init__(self, timings: dict[str, float], prefix: str) -> None:
        self.timings, self.prefix, self.last = timings, prefix, time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[self.prefix + name] = now - self.last
        self.last = now


SPILL_ROWS = 50_000  # a batch's findings past this many rows wait for the load in a Parquet file


@dataclass(frozen=True)
class StagedFindings:
    """A batch's findings (warehouse rows) kept in a Parquet file of the staging folder until the load: a
    large run's findings (~920,000 rows at 30,000 reports, ~1 GB as frames) never all sit in memory."""

    path: str
    n_rows: int


def stage_findings(rows: pd.DataFrame, folder: Path) -> "pd.DataFrame | StagedFindings":
    """``rows`` as they are when few, else written to ``folder`` (typed as the ``findings`` table)."""
    import uuid

    if len(rows) < SPILL_ROWS:
        return rows
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"findings-{uuid.uuid4().hex}.parquet"
    db.write_findings_parquet(rows, path)
    return StagedFindings(str(path), len(rows))


def carry(con: duckdb.DuckDBPyConnection, run_id: str, from_run: str | None, report_ids: list[str]) -> None:
    """Copy run ``from_run``'s findings of the reports no change reached into run ``run_id`` (not its
    REG-MISSING findings: those are decided again by every run)."""
    if not from_run or not report_ids:
        return
    cols = [c for c in db._columns(con, "findings") if c != "run_id"]  # noqa: SLF001
    with db._registered(con, "carried_ids", pd.DataFrame({"report_id": pd.Series(report_ids, dtype="string")})):  # noqa: SLF001
        con.execute(f"INSERT INTO findings (run_id, {', '.join(cols)}) SELECT ?, {', '.join('f.' + c for c in cols)} "
                    "FROM findings f WHERE f.run_id = ? AND f.report_id IN (SELECT report_id FROM carried_ids)",
                    [run_id, from_run])


def mark_withdrawn(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime, withdrawn: list[str],
                   present: list[str]) -> None:
    """Record the reports of the last run whose files this run no longer found as withdrawn by it, and
    clear the mark of withdrawn reports whose files are back."""
    frames = {"withdrawn_ids": pd.DataFrame({"report_id": pd.Series(withdrawn, dtype="string")}),
              "present_ids": pd.DataFrame({"report_id": pd.Series(present, dtype="string")})}
    with db._registered(con, "withdrawn_ids", frames["withdrawn_ids"]), \
            db._registered(con, "present_ids", frames["present_ids"]):  # noqa: SLF001
        con.execute("UPDATE reports SET withdrawn_at = ?, withdrawn_in_run = ? "
                    "WHERE report_id IN (SELECT report_id FROM withdrawn_ids) AND withdrawn_at IS NULL", [at, run_id])
        con.execute("UPDATE reports SET withdrawn_at = NULL, withdrawn_in_run = NULL "
                    "WHERE withdrawn_at IS NOT NULL AND report_id IN (SELECT report_id FROM present_ids)")


def abandon_load(staged: StagedLoad) -> None:
    """Roll back a load that will not be finished (the run failed after ``begin_load``)."""
    try:
        staged.con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # the transaction is gone already (a failed statement ended it)
    finally:
        staged.con.close()


def _report_frame(settings: "RunSettings", state: "RunState", matches: dict,
                  body_ids: dict[str, str | None]) -> pd.DataFrame:
    kinds = settings.register_kinds(matches)
    sizes = {s.sha256: s.size for s in state.sources}
    raw = {r.report_id: str(path) for r in state.reports if (path := _archived(settings.raw_root, r))}
    published = {f["report_id"]: f["published_on"] for f in state.facts if "published_on" in f} \
        if len(state.facts) == len(state.reports) else None
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    reports = report_rows(state.reports, body_ids, kinds, raw, now, matches, published)
    if not reports.empty:
        reports["size_bytes"] = reports["report_id"].map(sizes)
    return reports


def _archived(raw_root: Path, report: "Report") -> Path | None:
    """Where the report's raw bytes are kept: every readable file is archived before it is parsed, so only
    a failed report needs a look at the disk (an unreadable or refused file has no archived bytes)."""
    path = raw_root / report.report_id[:2] / report.report_id
    return path if report.parse_status != "failed" or path.exists() else None


BODY_COLUMNS = ("body_id", "name", "kind", "parent_id", "aliases")


def _refresh_bodies(con: duckdb.DuckDBPyConnection, bodies: pd.DataFrame) -> None:
    """The register into ``bodies`` (``db.upsert_bodies``), unless the table holds it already, row for row in
    the same order (the register did not change since the last run: 6,000 rows not deleted and written again)."""
    stored = con.execute(f"SELECT {', '.join(BODY_COLUMNS)} FROM bodies ORDER BY rowid").fetchall()
    wanted = zip(*(bodies[c].tolist() for c in BODY_COLUMNS))
    if stored != [tuple(_as_stored(c, v) for c, v in zip(BODY_COLUMNS, row)) for row in wanted]:
        db.upsert_bodies(con, bodies)


def _as_stored(column: str, value: object) -> object:
    """A value of the bodies frame as DuckDB gives it back: a missing value (None, NaN) NULL, aliases a list."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return list(value) if column == "aliases" else value


def bodies_frame(settings: "RunSettings") -> pd.DataFrame:
    return pd.DataFrame([{"body_id": b.body_id, "name": b.name, "kind": b.kind, "parent_id": b.parent_id,
                          "aliases": list(b.aliases)} for b in settings.bodies])


NOT_READ = "无法读取文件（权限不足，或文件在读取时被移动或删除）"


def files_frame(settings: "RunSettings", state: "RunState") -> pd.DataFrame:
    """Every file the run found, for ``run_files``: report files (their outcome is their stored parse
    status, filled in by the load), files that could not be read, files in an unsupported format, and files
    that are not documents. Built column by column (30,000 report files: no row tuples)."""
    from xxgk.pipeline import unsupported_reason

    sources, new_ids = state.sources, state.new_ids
    columns: dict[str, list] = {"path": [str(s.path) for s in sources], "sha256": [s.sha256 for s in sources],
                                "size_bytes": [s.size for s in sources], "outcome": [None] * len(sources),
                                "reason": [None] * len(sources), "is_new": [s.sha256 in new_ids for s in sources],
                                "stamp": [s.stamp for s in sources]}
    rows = [(p, None, None, "failed", NOT_READ, True, None) for p in state.unreadable]
    for path, source in state.unsupported:
        rows.append((path, source.sha256, source.size, "unsupported", storable(unsupported_reason(path)), True, None)
                    if source else (path, None, None, "failed", NOT_READ, True, None))
    rows += [(p, None, None, "ignored", storable(f"不是报告文档（{p.suffix.lower()}），未检查"), False, None)
             for p in state.ignored]
    for row in rows:
        for name, value in zip(columns, (str(row[0]), *row[1:])):
            columns[name].append(value)
    columns["path"] = _storable_all(columns["path"])
    return pd.DataFrame({name: pd.Series(values, dtype=FILE_TYPES[name]) for name, values in columns.items()})


FILE_TYPES = {"path": "string", "sha256": "string", "size_bytes": "Int64", "outcome": "string", "reason": "string",
              "is_new": "boolean", "stamp": "string"}


def _storable_all(texts: list[str]) -> list[str]:
    """``storable`` of each text; at once when none holds an undecodable byte (the usual case)."""
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        return [storable(t) for t in texts]
    return texts


def run_accounting(db_path: Path, run_id: str) -> dict:
    """What ``xxgk run`` reports after a run: the files found and what became of them, the failed and
    unsupported files with their reasons, and the verdicts of the latest run (份 = reports, 机关 = bodies).
    Read from the snapshot the load just refreshed (never blocks, never creates a warehouse)."""
    db.wait_for_snapshot(db_path)
    con = db.connect(db.snapshot_path(db_path), read_only=True, wait_seconds=0)
    try:
        files = con.execute("SELECT outcome, is_new, count(*) FROM run_files WHERE run_id = ? GROUP BY ALL",
                            [run_id]).fetchall()
        problems = con.execute("SELECT path, outcome, reason FROM run_files WHERE run_id = ? AND outcome IN "
                               "('failed', 'partial', 'unsupported') ORDER BY outcome, path", [run_id]).fetchall()
        verdicts = con.execute("SELECT verdict, count(*) FILTER (WHERE NOT report_id LIKE 'missing:%'), "
                               "count(DISTINCT coalesce(body_id, body_name, report_id)), "
                               "count(*) FILTER (WHERE report_id LIKE 'missing:%') "
                               "FROM report_verdicts GROUP BY verdict").fetchall()
    finally:
        con.close()
    return {"files": _file_counts(files), "problem_files": [{"path": p, "outcome": o, "reason": r} for p, o, r in problems],
            "verdicts": {v: next((n for k, n, _, _ in verdicts if k == v), 0) for v in VERDICTS},
            "bodies": {v: next((b for k, _, b, _ in verdicts if k == v), 0) for v in ("non_compliant", "needs_review")},
            "missing_filings": {v: next((m for k, _, _, m in verdicts if k == v), 0)
                                for v in ("non_compliant", "needs_review")}}


def _file_counts(rows: list[tuple]) -> dict[str, int]:
    counts = dict.fromkeys(("found", "ok", "partial", "failed", "unsupported", "ignored", "new", "unchanged"), 0)
    for outcome, is_new, n in rows:
        counts[outcome] += n
        if outcome != "ignored":
            counts["found"] += n
            counts["new" if is_new else "unchanged"] += n
    return counts
