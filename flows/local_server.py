"""Prefect's local (temporary) API server, started early.

With no ``PREFECT_API_URL``, Prefect starts a temporary server when the first flow of a process calls its
API: it imports the whole server package in the calling process (~5 s here) only to launch the very same
``uvicorn`` command in a subprocess, then waits for it (~6 s more). ``start()`` launches that command
itself, first thing, without the import, so that the run's own warm-up (parser processes, Great
Expectations) happens on the other core while the server starts; ``api_url()`` then waits for it. The
server is Prefect's own app with Prefect's own settings for a temporary server; it lives as long as this
process, like Prefect's.

One difference: its "busy, retry" answers (503) say when to retry (``RetrySoon``). The temporary server
keeps its state in SQLite; a request that reads, then writes (creating a subflow's flow run or its tracking
task run) fails at once with "database is locked" when one of the server's own services (recording task
runs and events) committed in between, and answers 503. Told nothing, Prefect's client waits 2 s, then 4, 8…
before retrying: measured here, one nightly run in three lost 2 s that way, once or twice, for a retry that
succeeds at once. With the hint it retries after 0.05 s, doubling while the conflicts go on.
"""
from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

__all__ = ["LocalServerError", "RetrySoon", "api_url", "create_app", "start"]

PORT_IN_USE = 3  # uvicorn's exit status when it cannot bind the port
_SERVER: subprocess.Popen | None = None
_PORT: int | None = None


class LocalServerError(RuntimeError):
    """The temporary Prefect server did not answer in time (or exited)."""


def start() -> bool:
    """Launch the temporary server in the background (once per process); returns at once, True when it
    launched it now (False: it runs already)."""
    global _SERVER, _PORT
    if _SERVER is not None and _SERVER.poll() is None:
        return False
    _PORT = _free_port()
    _SERVER = subprocess.Popen(_command(_PORT), env=_environment())
    atexit.register(stop)
    return True


START_LIMIT = 90.0  # s: Prefect's own default (20 s) is too short on a busy machine (measured: > 20 s at load 11)


def api_url(timeout: float | None = None) -> str:
    """The server's API address, once it answers its health check (started here if need be)."""
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    start()
    limit = timeout or max(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), START_LIMIT)
    deadline = time.monotonic() + limit
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            if _SERVER is not None and _SERVER.poll() == PORT_IN_USE:  # lost a race for the port: again
                start()
            elif _SERVER is not None and _SERVER.poll() is not None:
                raise LocalServerError(f"the temporary Prefect server exited with status {_SERVER.returncode}")
            elif _healthy(client, _url()):
                return _url()
            time.sleep(0.05)
    raise LocalServerError(f"the temporary Prefect server did not answer within {limit} s")


def stop() -> None:
    """Terminate the server (at exit), once the logs this process still owes it are delivered."""
    global _SERVER
    if _SERVER is not None and _SERVER.poll() is None:
        _deliver_pending_logs()
        _SERVER.terminate()
        try:
            _SERVER.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _SERVER.kill()
            _SERVER.wait()
    _SERVER = None


def _deliver_pending_logs() -> None:
    if "prefect.logging.handlers" in sys.modules:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=5)


def _url() -> str:
    return f"http://127.0.0.1:{_PORT}/api"


def _healthy(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(f"{url}/health").status_code == 200
    except httpx.TransportError:
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(port: int) -> list[str]:
    """The command Prefect's own ``SubprocessASGIServer`` runs (prefect 3.9), with this module's factory."""
    import prefect

    return [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
            f"{__name__}:create_app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on"]


def create_app() -> RetrySoon:
    """The temporary server's app (called by uvicorn, in the server process): Prefect's own, whose 503
    answers say when to retry."""
    from prefect.server.api.server import create_app as prefect_app

    return RetrySoon(prefect_app())


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


class RetrySoon:
    """ASGI middleware: a 503 answer without ``Retry-After`` gets one, ``FIRST`` seconds, doubled for each
    other 503 of the last ``WINDOW`` seconds (at most ``LONGEST``): a lone conflict is retried at once,
    while lasting trouble backs off as Prefect's client would (with ``CLIENT_RETRIES`` attempts the
    client's patience stays about a minute, as with its own back-off)."""

    FIRST, WINDOW, LONGEST = 0.05, 10.0, 30.0

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self._recent: deque[float] = deque()

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_hint(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 503:
                headers = list(message.get("headers") or [])
                if not any(name.lower() == b"retry-after" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"retry-after", b"%.3f" % self.delay())]}
            await send(message)

        return await self.app(scope, receive, send_with_hint)

    def delay(self) -> float:
        """Seconds to wait before retrying, counting this 503 among the recent ones."""
        now = time.monotonic()
        while self._recent and now - self._recent[0] > self.WINDOW:
            self._recent.popleft()
        self._recent.append(now)
        return min(self.FIRST * 2 ** (len(self._recent) - 1), self.LONGEST)


CLIENT_RETRIES = 10  # Prefect's client: attempts after a 503 (its default, 5, assumes waits of 2 to 32 s)


# A temporary server registers no block types at start (unless this environment asks for it): checking
# whether they changed imports every installed Prefect collection (prefect-dask: Dask) in the server, ~0.8 s
# of its start, and the nightly flow uses no block. A full server (``prefect server start``) registers them.
NO_BLOCK_REGISTRATION = {"PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
                         "PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false"}


def _environment() -> dict[str, str]:
    """This process's environment and Prefect settings, with the flags Prefect sets for a temporary server
    (no UI; the server knows it is temporary)."""
    from prefect.settings import get_current_settings

    return {**NO_BLOCK_REGISTRATION, **os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1", **get_current_settings().to_environment_variables(exclude_unset=True)}
