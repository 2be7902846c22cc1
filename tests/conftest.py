"""Shared fixtures. Tests read the shared corpus in place (never copied into the repo) and run offline."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
LABELS = sorted((CORPUS / "labels").glob("*.json")) if (CORPUS / "labels").is_dir() else []

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def load_label(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def latest_findings(db: Path) -> set[tuple]:
    """The findings of the latest run of warehouse ``db``: (rule, report, status, fingerprint, message)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return set(con.execute("SELECT rule_id, report_id, status, fingerprint, message FROM findings "
                               "WHERE run_id = (SELECT run_id FROM latest_run)").fetchall())
    finally:
        con.close()


def need_shared() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present on this machine")


@pytest.fixture(autouse=True, scope="session")
def _isolated_prefect_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Prefect never touches the user's ~/.prefect during tests."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect_home"))
