"""What the run this process loaded last left in the warehouse, kept in memory for the next run of the same
process (a served deployment, the nights of a benchmark): the stamps of its files (``store.file_stamps``) and
the reports it judged or carried (``store.plan_run``). The rows of a run never change once it is committed,
so they are taken from here only while that very run is still the warehouse's latest completed run (its id:
a run loaded since by another process, or a warehouse put back, reads the warehouse again). Each costs a
query of 30,000 rows (the stamps) or a pass over the run's ~900,000 findings (its reports) otherwise; here
they are read inside the load's transaction, while the rules run."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

STAMPS_SQL = ("SELECT path, stamp, sha256 FROM run_files WHERE run_id = ? AND stamp IS NOT NULL "
              "AND sha256 IS NOT NULL AND outcome <> 'unsupported'")
PRESENT_SQL = "SELECT DISTINCT report_id FROM findings WHERE run_id = ? AND NOT starts_with(report_id, 'missing:')"


@dataclass(frozen=True)
class Loaded:
    """A committed run's file stamps (path -> (stamp, sha256): ``STAMPS_SQL``) and reports (``PRESENT_SQL``)."""

    run_id: str
    stamps: dict[str, tuple[str, str]]
    present: frozenset[str]


@dataclass(frozen=True)
class Pending:
    """What a load read of its run before its findings existed: the stamps, and the carried reports."""

    run_id: str
    stamps: dict[str, tuple[str, str]]
    carried: frozenset[str]


_LOADED: dict[str, Loaded] = {}


def _key(db_path: Path) -> str:
    return str(Path(db_path).absolute())


def read_ahead(con: duckdb.DuckDBPyConnection, run_id: str, carried: frozenset[str]) -> Pending:
    """In the load's open transaction, after the run's files and carried findings were written. ``carried``:
    the reports the carry gave findings (the carried reports that had findings in the run they came from)."""
    forget_all()  # until this run commits, no run of this process is known as loaded
    return Pending(run_id, stamps_of(con, run_id), carried)


def stamps_of(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, tuple[str, str]]:
    """``STAMPS_SQL`` as path -> (stamp, sha256), fetched column by column (half the time of row tuples)."""
    found = con.execute(STAMPS_SQL, [run_id]).fetchnumpy()
    return dict(zip(found["path"].tolist(), zip(found["stamp"].tolist(), found["sha256"].tolist())))


def committed(db_path: Path, pending: Pending, findings: pd.DataFrame) -> None:
    """The run of ``pending`` is committed with ``findings`` written after ``read_ahead`` (all of them: none left
    in files), besides the carried ones: remember it as the last run loaded into ``db_path``."""
    fresh = {rid for rid in findings["report_id"].unique() if not str(rid).startswith("missing:")} \
        if not findings.empty else set()
    _LOADED[_key(db_path)] = Loaded(pending.run_id, pending.stamps, pending.carried | frozenset(fresh))


def recall(db_path: Path, run_id: str) -> Loaded | None:
    """The run ``run_id`` of ``db_path`` as this process loaded it, if it did (else None: read the warehouse)."""
    loaded = _LOADED.get(_key(db_path))
    return loaded if loaded is not None and loaded.run_id == run_id else None


def forget_all() -> None:
    _LOADED.clear()
