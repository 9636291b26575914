"""Background processes videokit starts, waits for, and stops: a Prefect server, team workers.

Two kinds of owner use it. ``videokit produce`` starts a server that must end with it, however it
ends: the kernel stops the child when its parent dies (:func:`die_with_parent`). ``videokit team``
starts processes that outlive the command: each runs in a session of its own (so it is stopped
as a whole, never orphaned) and is remembered by a pid file (:class:`Supervisor`), so that a
later ``team down`` finds it again.

A pid alone does not name a process for good: it is reused after a reboot or a crash. The pid
file records the process's start time with it, and only that very process is ever signalled.
Linux only (``/proc``, ``prctl``); where these are missing, nothing is recorded or armed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
POLL_S = 0.2


def die_with_parent() -> None:
    """For ``preexec_fn``: the child gets SIGTERM when its parent dies (between fork and exec,
    it only sets the death signal; nothing else runs there)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_taken(host: str, port: int) -> bool:
    """Whether something already accepts connections at ``host:port``."""
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc); ``None`` if unknown.

    With the pid, this names one process for good: a pid is reused, a start time with it is not.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22; the name before ")" may hold spaces


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it, whatever their sessions (from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children.get(tree[-1], [])
    return tree


def running(pid: int) -> bool:
    """Whether ``pid`` still runs and is ours to signal; a dead child of this process is reaped
    (it is a zombie until then)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except OSError:  # gone, or another user's
        return False
    return True


def wait_until(
    condition: Callable[[], bool],
    timeout_s: float,
    *,
    while_: Callable[[], bool] = lambda: True,
    every_s: float = POLL_S,
) -> bool:
    """Whether ``condition`` held within ``timeout_s``; gives up early once ``while_`` fails
    (the process that would make it true has died)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        if not while_():
            return False
        time.sleep(every_s)
    return condition()


def stop(pid: int, timeout_s: float, *, group: bool, drains: bool = False) -> None:
    """Stop ``pid``: SIGTERM, up to ``timeout_s`` to end, then SIGKILL.

    ``group``: it leads a process group of its own, and whatever is left of the group is killed
    at the end. ``drains``: the SIGTERM goes to it alone, because it stops its children itself (a
    worker hands its runs back; a SIGTERM to its whole group would crash them instead).
    """
    with contextlib.suppress(ProcessLookupError):
        (os.killpg if group and not drains else os.kill)(pid, signal.SIGTERM)
    if wait_until(lambda: not running(pid), timeout_s):
        return
    with contextlib.suppress(ProcessLookupError):
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)  # what a stuck process left
    if not group:
        wait_until(lambda: not running(pid), timeout_s)


def stop_child(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Stop a child started without a session of its own (see :func:`stop`)."""
    if process.poll() is None:
        stop(process.pid, timeout_s, group=False)
    process.poll()  # its exit status, now that it is reaped


@dataclass(frozen=True)
class Supervisor:
    """Processes started in their own sessions, each remembered by ``<home>/<name>.pid`` with
    its output in ``<home>/<name>.log``."""

    home: Path
    # What the command line of a process named by an old pid file (a bare pid, no start time)
    # must hold for it to be taken for one of ours.
    ours: tuple[bytes, ...] = ()

    def pid_file(self, name: str) -> Path:
        return self.home / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.home / f"{name}.log"

    def names(self, prefix: str) -> list[str]:
        """The names with a pid file that start with ``prefix``, sorted."""
        return sorted(p.stem for p in self.home.glob(f"{prefix}*.pid"))

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> int:
        """Start ``command`` in the background and remember it as ``name``; returns its pid."""
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_file(name).open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        record = {"pid": process.pid, "started": start_time(process.pid), "command": command[:3]}
        self.pid_file(name).write_text(json.dumps(record))
        return process.pid

    def alive(self, name: str) -> int | None:
        """The pid in ``name``'s pid file if that very process still runs.

        A stale pid file may name a process that has nothing to do with us (the pid was reused):
        it is checked against the start time recorded with it, so a stranger is never signalled.
        """
        try:
            data = json.loads(self.pid_file(name).read_text())
            pid, started = (
                (data, None) if isinstance(data, int) else (int(data["pid"]), data["started"])
            )
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if not running(pid):
            return None
        now = start_time(pid)
        if started is None:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                return pid if now is None else None
            return pid if any(mark in command for mark in self.ours) else None
        return pid if now is None or now == started else None

    def stop(self, name: str, timeout_s: float, *, drains: bool = False) -> bool:
        """Stop ``name`` and what it started (see :func:`stop`); ``False`` if it was not running."""
        pid = self.alive(name)
        self.pid_file(name).unlink(missing_ok=True)
        if pid is None:
            return False
        stop(pid, timeout_s, group=True, drains=drains)
        return True
