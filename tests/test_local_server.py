"""``xxgk run``'s own path: no Prefect server configured, so ``run_local`` launches Prefect's temporary
server itself (``flows.local_server``), runs the nightly flow against it, and the server ends with the
process (here: with ``stop``)."""
from __future__ import annotations

import shutil

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings

from conftest import REPO
from flows import local_server
from flows.nightly import run_local

SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"


@pytest.fixture()
def no_server_configured():
    """No API address; the startup allowance ``xxgk run`` gives (a first start migrates a new database)."""
    with temporary_settings(updates={PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: 180},
                            restore_defaults={PREFECT_API_URL}):
        yield
    local_server.stop()


def test_run_local_starts_the_temporary_server_and_runs_the_flow(no_server_configured, tmp_path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SEED, inputs / SEED.name)
    outcome = run_local(inputs=[str(inputs)], db=str(tmp_path / "w.duckdb"), docs=str(tmp_path / "docs"),
                        out=str(tmp_path / "out"))
    assert outcome["n_files"] == 1 and outcome["n_parsed"] == 1
    url = local_server.api_url(timeout=5)  # the same server, still up for the next flow of this process
    assert httpx.get(f"{url}/health").status_code == 200
    server = local_server._SERVER  # noqa: SLF001
    local_server.stop()
    assert server is not None and server.poll() is not None


def test_a_server_that_exits_is_reported(no_server_configured, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_server, "_command", lambda port: ["python3", "-c", "raise SystemExit(1)"])
    with pytest.raises(local_server.LocalServerError, match="status 1"):
        local_server.api_url(timeout=30)
