"""Prefect's local (temporary) API server, started early.

With no ``PREFECT_API_URL``, Prefect starts a temporary server when the first flow of a process calls its
API: it imports the whole server package in the calling process (~5 s here) only to launch the very same
``uvicorn`` command in a subprocess, then waits for it (~6 s more). ``start()`` launches that command
itself, first thing, without the import, so that the run's own warm-up (parser processes, Great
Expectations) happens on the other core while the server starts; ``api_url()`` then waits for it. The
server is Prefect's own app with Prefect's own settings for a temporary server; it lives as long as this
process, like Prefect's.

``start_early()`` goes further, for ``xxgk run`` in a fresh interpreter: it launches the server before
Prefect itself is imported in this process (that import alone takes seconds), and the server process decides
for itself whether it is wanted (``main``: it exits at once, ``NOT_NEEDED``, when Prefect's settings name an
API — a profile, prefect.toml…); when the environment names one, nothing is launched.

The temporary server runs without the services a local run never uses (``LEAN_SERVICES``: automations —
triggers and their actions —, the event and log streams for UI clients); it still records task runs and
events, as Prefect's own temporary server does.

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

__all__ = ["LocalServerError", "RetrySoon", "api_url", "create_app", "discard", "main", "ready", "start", "start_early",
           "stop"]

PORT_IN_USE = 3  # uvicorn's exit status when it cannot bind the port
NOT_NEEDED = 4   # the server process's exit status when Prefect's settings name an API (no temporary server)
UNLESS_API = "XXGK_LOCAL_SERVER_UNLESS_API"  # set by ``start_early``: the server process checks the settings
_SERVER: subprocess.Popen | None = None
_PORT: int | None = None


class LocalServerError(RuntimeError):
    """The temporary Prefect server did not answer in time (or exited)."""


def start() -> bool:
    """Launch the temporary server in the background (once per process); returns at once, True when it
    launched it now (False: it runs already)."""
    if _running():
        return False
    _launch(_environment())
    return True


def start_early() -> bool:
    """``start`` before Prefect is imported (first thing in ``xxgk run``): Prefect's settings are read by the
    server process, which exits at once (``NOT_NEEDED``) when they name an API. Nothing is launched when the
    environment names one (``PREFECT_API_URL``) or the server runs already. True when it launched it now."""
    if os.environ.get("PREFECT_API_URL") or _running():
        return False
    _launch({**NO_BLOCK_REGISTRATION, **LEAN_SERVICES, **os.environ, **TEMPORARY, UNLESS_API: "1"})
    return True


def ready() -> bool:
    """The server launched by this process answers its health check now."""
    if not _running():
        return False
    with _client() as client:
        return _healthy(client, _url())


def _running() -> bool:
    return _SERVER is not None and _SERVER.poll() is None


def _launch(environment: dict[str, str]) -> None:
    global _SERVER, _PORT
    _PORT = _free_port()
    _SERVER = subprocess.Popen(_command(_PORT), env=environment)
    atexit.register(stop, wait=False)


START_LIMIT = 90.0  # s: Prefect's own default (20 s) is too short on a busy machine (measured: > 20 s at load 11)


def api_url(timeout: float | None = None) -> str:
    """The server's API address, once it answers its health check (started here if need be)."""
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    start()
    limit = timeout or max(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), START_LIMIT)
    deadline = time.monotonic() + limit
    with _client() as client:
        while time.monotonic() < deadline:
            if _SERVER is not None and _SERVER.poll() == PORT_IN_USE:  # lost a race for the port: again
                start()
            elif _SERVER is not None and _SERVER.poll() == NOT_NEEDED:  # launched early, then an API was named
                start()
            elif _SERVER is not None and _SERVER.poll() is not None:
                raise LocalServerError(f"the temporary Prefect server exited with status {_SERVER.returncode}")
            elif _healthy(client, _url()):
                return _url()
            time.sleep(0.05)
    raise LocalServerError(f"the temporary Prefect server did not answer within {limit} s")


def stop(wait: bool = True) -> None:
    """Terminate the server, once the logs this process still owes it are delivered; with ``wait``, wait
    for it to end (killed after 5 s). At this process's exit it is not waited for (its shutdown takes
    ~0.2 s, which every ``xxgk run`` would spend waiting): it ends on its own."""
    global _SERVER
    if _SERVER is not None and _SERVER.poll() is None:
        _deliver_pending_logs()
        _SERVER.terminate()
        if wait:
            try:
                _SERVER.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _SERVER.kill()
                _SERVER.wait()
    _SERVER = None


def discard() -> None:
    """Kill the server launched for a run that does not take place (its checks refused it): it has served
    nothing. Not asked to end: during its imports (~3 s) it does not act on the request to end, and the
    refusal would wait for them."""
    global _SERVER
    if _SERVER is not None and _SERVER.poll() is None:
        _SERVER.kill()
        _SERVER.wait()
    _SERVER = None


def _deliver_pending_logs() -> None:
    if "prefect.logging.handlers" in sys.modules:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=5)


def _url() -> str:
    return f"http://127.0.0.1:{_PORT}/api"


def _client() -> httpx.Client:
    """A client for the health check of this process's server: plain HTTP to 127.0.0.1, so no certificate
    store is loaded (``httpx.Client()`` loads one: 30-70 ms per client here, twice per run), and no proxy of the
    environment (``*_PROXY``) is asked to reach 127.0.0.1."""
    return httpx.Client(verify=False, trust_env=False)  # noqa: S501 - never HTTPS: the server is http://127.0.0.1


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
    """This module as a program (``main``): Prefect's own app, served by uvicorn as Prefect's
    ``SubprocessASGIServer`` serves it (prefect 3.9), unless Prefect's settings name an API. Launched
    without importing Prefect here."""
    return [sys.executable, "-m", "flows.local_server", str(port)]


def main(argv: list[str] | None = None) -> int:
    """The server process: serve the temporary server's app on 127.0.0.1 at the port given, until
    terminated; ``PORT_IN_USE`` when the port is taken. Launched by ``start_early`` (``UNLESS_API`` set):
    ``NOT_NEEDED`` at once when Prefect's settings (environment, profile, prefect.toml…) name an API."""
    port = int((sys.argv[1:] if argv is None else argv)[0])
    if os.environ.pop(UNLESS_API, None):
        from prefect.settings import PREFECT_API_URL

        if PREFECT_API_URL.value():
            return NOT_NEEDED
    import uvicorn

    uvicorn.run(create_app, factory=True, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    return 0


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


# Services of Prefect's temporary server that a local run never uses (unless this environment asks for them):
# automations (reactive and proactive triggers, and their actions) and the event and log streams that feed
# UI clients. Task runs and events are still recorded.
LEAN_SERVICES = {"PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
                 "PREFECT_SERVER_EVENTS_STREAM_OUT_ENABLED": "false",
                 "PREFECT_SERVER_LOGS_STREAM_OUT_ENABLED": "false"}
# The flags Prefect sets for a temporary server (no UI; the server knows it is temporary)
TEMPORARY = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def _environment() -> dict[str, str]:
    """This process's environment and Prefect settings, with the flags Prefect sets for a temporary server."""
    from prefect.settings import get_current_settings

    return {**NO_BLOCK_REGISTRATION, **LEAN_SERVICES, **os.environ, **TEMPORARY,
            **get_current_settings().to_environment_variables(exclude_unset=True)}


if __name__ == "__main__":
    sys.exit(main())
