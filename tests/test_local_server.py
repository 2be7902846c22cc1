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


def _answering(status: int, headers: list | None = None):
    async def app(scope, receive, send) -> None:  # noqa: ANN001
        await send({"type": "http.response.start", "status": status, "headers": headers or []})
        await send({"type": "http.response.body", "body": b"{}"})
    return app


def _call(app, scope_type: str = "http") -> list[dict]:  # noqa: ANN001
    import asyncio

    sent: list[dict] = []

    async def send(message) -> None:  # noqa: ANN001
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request"}

    asyncio.run(app({"type": scope_type}, receive, send))
    return sent


def _retry_after(sent: list[dict]) -> list[bytes]:
    return [value for name, value in sent[0]["headers"] if name == b"retry-after"]


def test_a_busy_answer_says_retry_soon_and_backs_off_while_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prefect's client waits 2 s, 4 s… after a bare 503; the temporary server's 503 names a short wait,
    doubled for each other 503 of the last ten seconds, capped."""
    clock = [100.0]
    monkeypatch.setattr(local_server.time, "monotonic", lambda: clock[0])
    app = local_server.RetrySoon(_answering(503))
    assert [_retry_after(_call(app)) for _ in range(3)] == [[b"0.050"], [b"0.100"], [b"0.200"]]
    assert _retry_after(_call(app)) == [b"0.400"]
    for _ in range(20):
        last = _retry_after(_call(app))
    assert last == [b"30.000"]
    clock[0] += local_server.RetrySoon.WINDOW + 1  # quiet for a while: a lone conflict again
    assert _retry_after(_call(app)) == [b"0.050"]


def test_other_answers_and_the_servers_own_hint_are_left_alone() -> None:
    assert _retry_after(_call(local_server.RetrySoon(_answering(200)))) == []
    assert _retry_after(_call(local_server.RetrySoon(_answering(503, [(b"retry-after", b"7")])))) == [b"7"]


def test_the_retry_hint_reaches_prefects_client() -> None:
    """Prefect's client reads a fractional ``Retry-After`` (else it would fall back to its own back-off)."""
    from prefect.client.base import _parse_retry_after

    assert _parse_retry_after("0.050") == pytest.approx(0.05)


def test_no_early_server_when_the_environment_names_an_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setattr(local_server.subprocess, "Popen", lambda *a, **k: pytest.fail("no server expected"))
    assert local_server.start_early() is False


def test_the_early_server_process_steps_aside_when_the_settings_name_an_api(monkeypatch) -> None:
    """A profile (or prefect.toml) may name an API that the environment does not: the server process
    launched early reads Prefect's settings and exits at once."""
    monkeypatch.setenv(local_server.UNLESS_API, "1")
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert local_server.main(["1"]) == local_server.NOT_NEEDED


def test_the_early_server_is_launched_lean_and_unless_an_api(no_server_configured, monkeypatch) -> None:
    launched: list[dict] = []

    class Launched:
        def __init__(self, command: list[str], env: dict) -> None:
            launched.append(env)

        def poll(self) -> int:
            return 0

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(local_server.subprocess, "Popen", Launched)
    assert local_server.start_early() is True
    env = launched[0]
    assert env[local_server.UNLESS_API] == "1" and env["PREFECT__SERVER_EPHEMERAL"] == "1"
    assert all(env[key] == "false" for key in local_server.LEAN_SERVICES)


def test_a_server_that_stepped_aside_is_launched_again_when_this_process_runs_locally(
        no_server_configured, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = iter([["python3", "-c", f"raise SystemExit({local_server.NOT_NEEDED})"],
                     ["python3", "-c", "raise SystemExit(1)"]])
    monkeypatch.setattr(local_server, "_command", lambda port: next(commands))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert local_server.start_early() is True
    local_server._SERVER.wait()  # noqa: SLF001 - the first stepped aside
    with pytest.raises(local_server.LocalServerError, match="status 1"):
        local_server.api_url(timeout=30)


def test_a_run_given_its_head_start_before_prefect_is_not_given_another(monkeypatch, tmp_path) -> None:
    from flows import nightly
    from xxgk import pool, stages

    monkeypatch.setattr(stages, "head_start", lambda settings: pytest.fail("a second head start"))
    monkeypatch.setattr(pool, "hashed_before", lambda: {str(tmp_path / "a.txt"): ("stamp", "sha")})
    nightly._head_start({"inputs": [str(tmp_path)], "db": str(tmp_path / "w.duckdb")})
    monkeypatch.setattr(pool, "hashed_before", lambda: {})
    started: list = []
    monkeypatch.setattr(stages, "head_start", lambda settings: started.append(settings) or 0)
    nightly._head_start({"inputs": [str(tmp_path)], "db": str(tmp_path / "w.duckdb")})
    assert len(started) == 1


def test_at_exit_the_server_is_told_to_end_but_not_waited_for(tmp_path) -> None:
    """A process that launched the server ends without waiting for its shutdown (~0.2 s each ``xxgk run``);
    the server was told (SIGTERM) and ends on its own."""
    import os
    import subprocess
    import sys
    import time

    slow = ("import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: (time.sleep(1.5), sys.exit(0))); "
            "print('up', flush=True); time.sleep(60)")
    code = ("import sys, time; from flows import local_server; "
            f"local_server._command = lambda port: [sys.executable, '-c', {slow!r}]; "
            "local_server.start(); print(local_server._SERVER.pid, flush=True); time.sleep(1.0)")
    out = tmp_path / "out.txt"
    with out.open("w") as sink:  # a file, not a pipe: the server shares it, and a pipe stays open until it ends
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO, stdout=sink, stderr=sink, timeout=60)
    pid = int(out.read_text().split()[0])
    assert done.returncode == 0, out.read_text()
    shutdown = time.monotonic()
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        try:
            if open(f"/proc/{pid}/stat").read().split(") ")[1].startswith("Z"):
                break  # ended, not yet reaped by its new parent
        except OSError:
            break
        time.sleep(0.1)
    assert time.monotonic() < deadline, "the server did not end after its launcher exited"
    assert "up" in out.read_text()
    assert time.monotonic() - shutdown > 0.5, "its launcher waited for its shutdown (1.5 s here)"


def test_a_server_launched_for_a_refused_run_is_killed_without_waiting_for_its_imports(monkeypatch) -> None:
    """``discard`` (the run's checks refused it): a server still importing, which would act on a request to
    end only seconds later, is killed at once."""
    import sys
    import time

    slow = ("import signal, time; signal.signal(signal.SIGTERM, lambda *a: time.sleep(5)); "
            "print('up', flush=True); time.sleep(60)")
    monkeypatch.setattr(local_server, "_command", lambda port: [sys.executable, "-c", slow])
    local_server.start()
    server = local_server._SERVER  # noqa: SLF001
    time.sleep(0.5)
    started = time.monotonic()
    local_server.discard()
    assert time.monotonic() - started < 2 and server.poll() is not None and local_server._SERVER is None  # noqa: SLF001
