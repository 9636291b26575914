"""One model per process: loaded at first need and kept for every video the process produces.

A worker or a ``videokit produce`` run goes from one video to the next; loading the model once
per video would cost seconds each (about 15 s for a large model). Keyed on the model and the
``[asr]`` settings, since those choose the engine that holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .config import Settings
from .draft import ModelHandle
from .engines import AsrSettings

_handles: dict[tuple[str, AsrSettings], ModelHandle] = {}
_lock = threading.Lock()


def model_handle(ref: str, settings: Settings, log: Callable[[str], None]) -> ModelHandle:
    """This process's handle on model ``ref`` for ``settings``; ``log`` hears its provisioning
    (the first caller's ``log`` is kept: pass one that finds the current run's logger)."""
    with _lock:
        key = (ref, settings.asr)
        if key not in _handles:
            _handles[key] = ModelHandle(ref, log=log, settings=settings.asr)
        return _handles[key]
