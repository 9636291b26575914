"""Who may write what, when: locks that let several runs share one project safely.

A team runs videokit on a schedule, by hand and from more than one machine at once, so two runs
can meet in the same output folder. The rules:

- every run holds the **run lock** shared for as long as it works; a run that finds itself alone
  (it can take the lock exclusively for a moment) removes the half-written files a killed run left,
  which it could not do safely while another run is writing;
- a video's outputs are written only under that **video's lock**: a second run that wants the same
  video waits for it (and then finds the draft in the cache), or skips it with a message;
- the site index, manifest and zip are written under the **index lock**, so that the last writer
  sees every video published before it.

All are ``flock`` locks on files in ``<out>/.locks/``: the operating system drops them when the
process ends however it ends (``kill -9`` included), so a dead run never leaves one stuck. They work
on a network share that supports ``flock`` (NFSv4, SMB with POSIX locks).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import VideokitError

LOCK_DIR = ".locks"
RUN_LOCK = "run.lock"
INDEX_LOCK = "index.lock"
# How long a run waits for a video another run is producing: a draft of a long talk on a slow
# machine takes this order of time; after it, the video is skipped with a message.
VIDEO_WAIT_S = 3600.0
POLL_S = 1.0


def _lock_file(out: Path, name: str) -> Path:
    folder = out / LOCK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _holder() -> str:
    now = dt.datetime.now().isoformat(timespec="seconds")
    return f"pid {os.getpid()} on {socket.gethostname()}, since {now}"


def _say_who(handle: IO[str]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(_holder())
    handle.flush()


def _who(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "another run"
    except OSError:
        return "another run"


def _try(handle: IO[str], mode: int) -> bool:
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def run_lock(out: Path, when_alone: Callable[[], None] | None = None) -> Iterator[bool]:
    """Hold the project's run lock (shared) while the body runs; yield whether the run started
    alone. ``when_alone`` runs first, and only while no other run holds the lock."""
    with _lock_file(out, RUN_LOCK).open("a+", encoding="utf-8") as handle:
        alone = _try(handle, fcntl.LOCK_EX)
        if alone and when_alone is not None:
            when_alone()
        # From exclusive to shared (or waiting for a starting run to finish its clean-up).
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield alone
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def video_lock(
    out: Path,
    slug: str,
    *,
    wait_s: float = VIDEO_WAIT_S,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold ``slug``'s lock while the body writes its outputs.

    If another run holds it, say so once through ``on_wait`` (with who holds it) and wait up to
    ``wait_s`` seconds; then give up with a :class:`VideokitError` (stage ``lock``).
    """
    path = _lock_file(out, f"video-{slug}.lock")
    with path.open("a+", encoding="utf-8") as handle:
        if not _try(handle, fcntl.LOCK_EX):
            if on_wait is not None:
                on_wait(_who(path))
            deadline = time.monotonic() + wait_s
            while not _try(handle, fcntl.LOCK_EX):
                if time.monotonic() >= deadline:
                    raise VideokitError(
                        f"another run is producing '{slug}' ({_who(path)}); waited {wait_s:.0f} s",
                        path=out,
                        stage="lock",
                        hint="try again when that run has finished",
                    ) from None
                time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
        _say_who(handle)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def index_lock(out: Path) -> Iterator[None]:
    """Hold the lock for the site index, manifest and zip (brief: waits for the holder)."""
    with _lock_file(out, INDEX_LOCK).open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
