"""The nightly deployment's runs served in this process (``xxgk serve --in-process``).

Prefect 3's runner (``prefect.serve``, what ``xxgk serve`` uses) starts each scheduled flow run in a new
spawned interpreter: every night pays the imports again (Prefect, Great Expectations, pandas, DuckDB, the
parser and the rules: ~8–10 s of CPU here) and keeps nothing of the night before. Here the deployment is
registered the same way (same name, schedule and parameters: ``flows.deploy.build_deployment``), and this
process asks the server every ``POLL_SECONDS`` for its runs that are due, claims each one (``Pending``: a
second server process polling the same deployment cannot claim it too) and runs it itself with Prefect's
flow engine — the same flow, states, logs and task runs as a spawned run. The imports are made once; what a
process keeps between runs is checked against its source each night (the register by its content, the
files by their stamps), so a night run here judges exactly as a night run in a fresh interpreter.

Runs are taken one at a time, oldest first. A run that fails ends ``Failed`` (the flow engine records it)
and serving goes on; only an interruption (Ctrl-C) or ``stop`` ends it.
"""
from __future__ import annotations

import datetime
import logging
import threading
from uuid import UUID

from flows.deploy import DEFAULT_CRON, DEFAULT_TIMEZONE, build_deployment

POLL_SECONDS = 15.0
log = logging.getLogger(__name__)


def serve_in_process(parameters: dict, cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE,
                     poll_seconds: float = POLL_SECONDS, stop: threading.Event | None = None) -> None:
    """Register the deployment with the Prefect server and run its due runs in this process until ``stop``
    is set (blocks)."""
    from xxgk import stages

    deployment_id = build_deployment(parameters, cron, timezone).apply()
    stages.warm_up(str(parameters.get("engine") or "gx"))  # the imports, once for every night to come
    stop = stop or threading.Event()
    while not stop.is_set():
        run_due(deployment_id)
        stop.wait(poll_seconds)


def run_due(deployment_id: UUID) -> list[UUID]:
    """Claim and run, one after the other, the deployment's runs scheduled up to now; the ids of those run."""
    ran = []
    for flow_run in _due(deployment_id):
        if _claim(flow_run.id):
            _run(flow_run.id)
            ran.append(flow_run.id)
    return ran


def _due(deployment_id: UUID) -> list:
    from prefect.client.orchestration import get_client

    now = datetime.datetime.now(datetime.timezone.utc)
    with get_client(sync_client=True) as client:
        runs = client.get_scheduled_flow_runs_for_deployments([deployment_id], scheduled_before=now)
    return sorted(runs, key=lambda run: run.next_scheduled_start_time or now)


def _claim(flow_run_id: UUID) -> bool:
    """Move the run from Scheduled to Pending; False when the server refuses (another process took it)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.responses import SetStateStatus
    from prefect.states import Pending

    with get_client(sync_client=True) as client:
        result = client.set_flow_run_state(flow_run_id, Pending())
    return result.status == SetStateStatus.ACCEPT


def _run(flow_run_id: UUID) -> None:
    """Run the claimed flow run here with Prefect's flow engine (its parameters are the deployment's)."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow

    from flows.nightly import nightly

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
    state = run_flow(nightly, flow_run=flow_run, return_type="state")
    log.info("flow run %s: %s", flow_run_id, getattr(state, "name", state))
