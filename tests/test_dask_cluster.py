"""A real Dask cluster past one machine: a scheduler and workers started as separate processes with the
``dask`` command line (as an office would start them on other machines), the reports and the warehouse
folder on storage they share (here: the same disk), on 127.0.0.1 only. The nightly flow parses its chunks
and judges its batches on the cluster's workers; the findings are those of a run on this machine alone.
The cluster is bounded: the workers end when the scheduler has been gone for 30 s or after 10 minutes,
the scheduler after 5 idle minutes, and the test stops both when it is done."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO
from conftest import latest_findings  # the latest run's findings, as the nights compare them

distributed = pytest.importorskip("distributed", reason="a Dask cluster needs the 'distributed' package")

from synth.city import generate_city  # noqa: E402
from xxgk import incremental  # noqa: E402

WORKERS = 2
START_TIMEOUT = 120  # s: the workers import the project (parser, rules, Prefect) before they register


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 (the address, while they run)."""
    cli = Path(sys.executable).with_name("dask")
    if not cli.exists():
        pytest.skip(f"the dask command line is not installed beside {sys.executable}")
    logs = tmp_path_factory.mktemp("dask-logs")
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    scheduler = subprocess.Popen([str(cli), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                  "--no-dashboard", "--idle-timeout", "300"], cwd=REPO, env=env,
                                 stdout=(logs / "scheduler.log").open("wb"), stderr=subprocess.STDOUT)
    worker = subprocess.Popen([str(cli), "worker", address, "--host", "127.0.0.1", "--nworkers", str(WORKERS),
                               "--nthreads", "1", "--no-dashboard", "--death-timeout", "30", "--lifetime", "600",
                               "--local-directory", str(logs)], cwd=REPO, env=env,
                              stdout=(logs / "worker.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        with distributed.Client(address, timeout=START_TIMEOUT) as client:
            client.wait_for_workers(WORKERS, timeout=START_TIMEOUT)
        yield address
    finally:
        _stop(worker)
        _stop(scheduler)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("city")
    generate_city(root, bodies=12, years=range(2021, 2024), formats=["txt", "html"], defect_rate=0.2, seed=7)
    return root


@pytest.fixture(scope="module")
def harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _run(city: Path, work: Path, **extra) -> dict:
    from flows.nightly import nightly

    return nightly(inputs=[str(city / "reports")], db=str(work / "w.duckdb"), register=str(city / "register.csv"),
                   docs=str(work / "docs"), out=str(work / "out"), **extra)




def _done_on_cluster(address: str) -> dict[str, int]:
    """How many tasks of each kind the cluster's scheduler has seen completed (by the task's name)."""
    def count(dask_scheduler) -> dict[str, int]:  # noqa: ANN001 - distributed.Scheduler
        return {name: sum(prefix.states.values()) for name, prefix in dask_scheduler.task_prefixes.items()}

    with distributed.Client(address, timeout=30) as client:
        return client.run_on_scheduler(count)


def test_a_nightly_run_on_a_dask_cluster_finds_what_a_run_on_this_machine_finds(cluster, city, harness, tmp_path,
                                                                                monkeypatch):
    started = time.monotonic()
    with monkeypatch.context() as patch:
        patch.setattr(incremental, "BATCH", 30)  # a batch per year: validation on the cluster too
        on_cluster = _run(city, tmp_path / "cluster", dask=cluster)
    assert time.monotonic() - started < 600
    seen = _done_on_cluster(cluster)
    assert any("parse" in name for name in seen), seen
    assert any("judge" in name for name in seen), seen
    alone = _run(city, tmp_path / "alone")  # one batch, parsed in this machine's parser processes
    assert on_cluster["n_parsed"] == alone["n_parsed"] > 30
    assert latest_findings(tmp_path / "cluster" / "w.duckdb") == latest_findings(tmp_path / "alone" / "w.duckdb")
    assert list((tmp_path / "cluster" / "docs").glob("*/batch-001/gx")), "each batch validated in its own GX folder"
