"""A Prefect server for one ``videokit produce`` that ends with it, however it ends.

Prefect's own temporary server outlives a run that is killed (``kill -9``, a closed laptop lid
followed by a crash): it is a child process nobody stops. On Linux videokit starts the server
itself and asks the kernel to stop it when videokit's process dies (``PR_SET_PDEATHSIG``). Where
that is not available, or when ``PREFECT_API_URL`` names a server already, nothing changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prefect_command() -> list[str] | None:
    beside = Path(sys.executable).with_name("prefect")
    found = str(beside) if beside.is_file() else shutil.which("prefect")
    return [found] if found else None


@contextmanager
def server_for_this_run(log: Path | None = None) -> Iterator[str | None]:
    """Yield the API URL of a server that stops with this process, or ``None`` (Prefect decides)."""
    command = _prefect_command()
    if os.environ.get("PREFECT_API_URL") or not sys.platform.startswith("linux") or not command:
        yield None
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    out = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [*command, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"],
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PREFECT_SERVER_UI_ENABLED": "false"},
        preexec_fn=_die_with_parent,  # only sets the death signal; nothing else runs there
    )
    try:
        if not _healthy(url, process):
            process.terminate()
            yield None  # Prefect starts its own temporary server instead
            return
        os.environ["PREFECT_API_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("PREFECT_API_URL", None)
    finally:
        _flush_prefect()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
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


def _healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    limit = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))
    deadline = time.monotonic() + limit
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if client.get(f"{url}/health").status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    return False
