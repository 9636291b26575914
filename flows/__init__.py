"""Prefect flows over the videokit library.

Importing this package sets quiet, offline-clean Prefect defaults before Prefect itself is
imported; a setting the user has made (environment or profile) always wins.
"""

from __future__ import annotations

import os
from pathlib import Path


def _prefect_defaults() -> None:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    defaults = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_HOME": str(cache / "videokit" / "prefect"),
        # A busy laptop can take longer than Prefect's default to start its temporary server.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


_prefect_defaults()
