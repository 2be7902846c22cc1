"""The ``nightly`` deployment on a cron schedule (default 02:00 Asia/Shanghai) for a running Prefect server."""
from __future__ import annotations

from prefect.schedules import Cron

from flows.nightly import nightly

DEFAULT_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "Asia/Shanghai"


def build_deployment(parameters: dict, cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE,
                     name: str = "nightly"):  # noqa: ANN201 - prefect RunnerDeployment
    """The deployment object (not yet registered): ``nightly`` with its parameters and schedule."""
    return nightly.to_deployment(name=name, schedules=[Cron(cron, timezone=timezone)], parameters=parameters,
                                 description="政府信息公开工作年度报告 夜间检查", tags=["xxgk"])


def serve(parameters: dict, cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE) -> None:
    """Register the deployment with the Prefect server and serve its scheduled runs (blocks)."""
    from prefect import serve as prefect_serve

    prefect_serve(build_deployment(parameters, cron, timezone))
