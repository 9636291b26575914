"""How many videos a process works on at once, and whose turn it is to make a draft.

Drafts are made one at a time in a process: one model in memory, which is not made for two
callers. Across processes and machines a shared limit (the flows' named concurrency limit, one
model per GPU) decides as well; the caller hands it in as a context manager.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from . import hardware

VIDEOS_AT_ONCE_ENV = "VIDEOKIT_VIDEOS_AT_ONCE"

_one_draft_here = threading.Lock()


def videos_at_once() -> int:
    """``VIDEOKIT_VIDEOS_AT_ONCE``, else what the machine allows (``hardware.videos_at_once``)."""
    chosen = os.environ.get(VIDEOS_AT_ONCE_ENV, "").strip()
    if chosen.isdigit() and int(chosen) >= 1:
        return int(chosen)
    return hardware.videos_at_once(os.cpu_count() or 1)


@contextlib.contextmanager
def draft_turn(
    shared: Callable[[], AbstractContextManager[object]] | None = None,
) -> Iterator[None]:
    """Hold this process's one draft slot, and ``shared()``'s slot too when one is given."""
    with _one_draft_here:
        if shared is None:
            yield
            return
        with shared():
            yield
