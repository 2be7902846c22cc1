"""Offline and quiet defaults for every entry point: no analytics, no telemetry, no network."""
from __future__ import annotations

import os

DEFAULTS = {
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def apply() -> None:
    """Set the offline defaults unless the environment already chose a value."""
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
