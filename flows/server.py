"""Prefect servers videokit starts: the command, the health check, the clients that talk to one.

Two owners start one: ``videokit team up`` (a server that stays up, :mod:`flows.team`) and
``videokit produce``, whose server ends with it however it ends (:func:`server_for_this_run`).
Prefect's own temporary server outlives a run that is killed (``kill -9``, a closed laptop lid
followed by a crash): it is a child process nobody stops. On Linux videokit starts the server
itself and asks the kernel to stop it when videokit's process dies. Where that is not available,
or when ``PREFECT_API_URL`` names a server already, nothing changes. The processes themselves are
started and stopped by :mod:`videokit.processes`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from videokit import processes
from videokit.teamlogin import basic_auth

STOP_S = 10.0  # a server's SIGTERM: this long to end before it is killed


def prefect_command() -> list[str]:
    """Prefect's command line program of this installation."""
    beside = Path(sys.executable).with_name("prefect")
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", "prefect"]


def start_command(host: str, port: int, *more: str) -> list[str]:
    return [*prefect_command(), "server", "start", "--host", host, "--port", str(port), *more]


def answer(url: str, path: str, auth: str | None, timeout_s: float = 2.0) -> int | None:
    """The HTTP status of ``GET url+path`` (with the login), ``None`` if nothing answers."""
    try:
        return httpx.get(f"{url}{path}", headers=basic_auth(auth), timeout=timeout_s).status_code
    except httpx.HTTPError:
        return None


def healthy(url: str, timeout_s: float = 2.0, auth: str | None = None) -> bool:
    """Whether a Prefect server answers at ``url``. Prefect 3.9 lets ``GET /health`` through
    without a login (for probes); the login is sent anyway for versions that do not."""
    return answer(url, "/health", auth, timeout_s) == 200


def wait_healthy(
    url: str, timeout_s: float, alive: Callable[[], bool], auth: str | None = None
) -> bool:
    """Whether the server at ``url`` became healthy within ``timeout_s`` while ``alive()``."""
    return processes.wait_until(lambda: healthy(url, auth=auth), timeout_s, while_=alive)


@contextmanager
def settings(url: str, auth: str | None) -> Iterator[None]:
    """Prefect's client settings for the server at ``url``, while the body runs."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_API_AUTH_STRING: auth}):
        yield


@contextmanager
def client(url: str, auth: str | None) -> Iterator[Any]:
    """A (synchronous) Prefect client for the server at ``url``."""
    from prefect.client.orchestration import get_client

    with settings(url, auth), get_client(sync_client=True) as c:
        yield c


@contextmanager
def server_for_this_run(log: Path | None = None) -> Iterator[str | None]:
    """Yield the API URL of a server that stops with this process, or ``None`` (Prefect decides)."""
    if os.environ.get("PREFECT_API_URL") or not sys.platform.startswith("linux"):
        yield None
        return
    port = processes.free_port()
    url = f"http://127.0.0.1:{port}/api"
    out = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        start_command("127.0.0.1", port, "--no-services"),
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PREFECT_SERVER_UI_ENABLED": "false"},
        preexec_fn=processes.die_with_parent,
    )
    try:
        limit = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))
        if not wait_healthy(url, limit, alive=lambda: process.poll() is None):
            processes.stop_child(process, STOP_S)
            yield None  # Prefect starts its own temporary server instead
            return
        os.environ["PREFECT_API_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("PREFECT_API_URL", None)
    finally:
        _flush_prefect()
        processes.stop_child(process, STOP_S)
        if log:
            out.close()  # type: ignore[union-attr]


def _flush_prefect() -> None:
    """Send the run's last logs and events before their server goes away."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):  # a log line lost is not worth a failed run
            worker.drain_all(timeout=10)
