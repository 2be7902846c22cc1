"""The ``harvest`` flow: fetch each registered body's reports from its website (before ingest).

Flows only orchestrate: the work is ``xxgk.harvest.stage`` (the same functions ``xxgk harvest --plain``
calls). Bodies are harvested in chunks, each chunk a Prefect task (grouped by host; several bodies at a
time inside a task); the one HTTP client of the harvest is shared by every task (they run in threads of
this process), so each host's limits (requests at a time, delay, robots.txt) hold across tasks. The
evidence is written once, at the end, by the flow (the warehouse has one writer).
"""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.utilities.annotations import quote

from rules.register import Body, load_register
from xxgk.harvest import stage
from xxgk.harvest.client import ClientSettings

_HARVESTS: dict[str, stage.Harvest] = {}  # a harvest in progress, handed to its tasks by id
CHUNK = 20


@task(name="harvest bodies", cache_policy=NO_CACHE)
def harvest_chunk(harvest_id: str, bodies: list) -> int:
    """Harvest one chunk of bodies; returns how many body-years got a report file."""
    results = stage.harvest_bodies(_HARVESTS[harvest_id], list(bodies))
    return sum(1 for r in results for row in r.rows if row.get("path"))


@flow(name="harvest", validate_parameters=False)
def harvest(register: str, db: str = "warehouse/xxgk.duckdb", years: list[int] | None = None,
            user_agent: str | None = None, delay: float | None = None, per_host: int | None = None,
            timeout: float | None = None) -> dict:
    """Fetch the reports of every body of ``register`` that gives a ``source_url``, for ``years`` (default:
    every year the sites list, and the last complete year), into the warehouse ``db``'s raw archive and
    harvested folder, with the evidence in ``fetches``. Parameters are plain values (deployments carry them)."""
    client = ClientSettings(**{k: v for k, v in {"user_agent": user_agent, "delay": delay, "per_host": per_host,
                                                 "timeout": timeout}.items() if v is not None})
    settings = stage.HarvestSettings(Path(db), Path(register), tuple(years) if years else None, client)
    return harvest_stage(settings)


def harvest_stage(settings: stage.HarvestSettings, bodies: list[Body] | None = None,
                  progress: stage.Progress | None = None) -> dict:
    """The harvest inside the calling flow: one task per chunk of bodies, then the evidence written."""
    current = stage.begin(settings, bodies if bodies is not None else load_register(settings.register), progress)
    _HARVESTS[current.harvest_id] = current
    try:
        futures = [harvest_chunk.submit(current.harvest_id, quote(chunk)) for chunk in stage.chunks(current.bodies, CHUNK)]
        wait(futures)
        for future in futures:
            future.result()  # a task that failed fails the flow (a body's own faults never do: they are evidence)
        summary = stage.finish(current)
    finally:
        current.ctx.client.close()
        _HARVESTS.pop(current.harvest_id, None)
    get_run_logger().info("harvest %s: %d bodies, %d reached, %d reports (%d new, %d changed, %d unchanged; one per "
                          "article, %d more files of theirs kept and linked), %d unreachable", summary["harvest_id"],
                          summary["bodies"], summary["bodies_reached"], summary["reports_found"], summary["new"],
                          summary["changed"], summary["unchanged"], summary.get("linked_files", 0),
                          summary["bodies_unreachable"])
    return summary


@flow(name="harvest", validate_parameters=False)
def _harvest_settings_flow(settings: stage.HarvestSettings, bodies: list, progress=None) -> dict:  # noqa: ANN001
    return harvest_stage(settings, bodies, progress)


def run_harvest_flow(settings: stage.HarvestSettings, bodies: list[Body] | None = None,
                     progress: stage.Progress | None = None) -> dict:
    """``xxgk harvest``: the flow in this process, on Prefect's temporary local server when no server is
    configured (launched first, as ``xxgk run`` does)."""
    from prefect.settings import (PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
                                  temporary_settings)

    from flows import local_server

    updates: dict = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    if not PREFECT_API_URL.value():
        local_server.start()
        updates.update({PREFECT_API_URL: local_server.api_url(), PREFECT_CLIENT_MAX_RETRIES: local_server.CLIENT_RETRIES})
    with temporary_settings(updates=updates):
        return _harvest_settings_flow(settings, bodies if bodies is not None else load_register(settings.register),
                                      progress)
