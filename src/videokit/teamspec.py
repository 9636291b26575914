"""What the team service is: where it keeps its state, and what ``videokit team up`` sets up.

Plain data and addresses; the service itself (Prefect server, pools, workers) is ``flows.team``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from .teamlogin import ensure_secret

DEFAULT_PORT = 4200


def team_home() -> Path:
    """``VIDEOKIT_TEAM_HOME``, else ``$XDG_DATA_HOME/videokit/team`` (``~/.local/share``)."""
    explicit = os.environ.get("VIDEOKIT_TEAM_HOME")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "videokit" / "team"


@dataclass(frozen=True)
class Team:
    """What ``team up`` sets up."""

    project: Path
    home: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1
    runs_per_worker: int = 3  # a batch waiting for its videos takes one of them
    watch: bool = True
    watch_every_s: float = 60.0
    quiet_s: float = 30.0
    asr_slots: int = 1
    asr_pool: str | None = None
    cache_dir: Path | None = None
    public_url: str | None = None  # how browsers and other machines reach the server
    database: str | None = None  # postgresql://…; None: SQLite in the team folder
    store: str | None = None  # s3://…: the project lives in object storage (flows/stored.py)

    @property
    def reach_at(self) -> str:
        """The address this machine reaches the server at (it may listen on every address)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host

    @property
    def url(self) -> str:
        return f"http://{_bracketed(self.reach_at)}:{self.port}/api"

    @property
    def public(self) -> str:
        """The server's address for others: the UI's API calls and the workers' ``--server``.

        Listening on every address means other machines are meant to connect, and the browser
        runs on theirs: ``127.0.0.1`` would be their own machine. This machine's host name is
        what a small team's network resolves (DNS or mDNS) without anyone configuring it;
        ``--public-url`` names another (an IP address, a name behind a proxy) where it does not.
        """
        if self.public_url:
            return self.public_url.rstrip("/").removesuffix("/api")
        host = socket.gethostname() if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{_bracketed(host)}:{self.port}"

    @property
    def ui_api_url(self) -> str:
        return f"{self.public}/api"

    @property
    def ui_origins(self) -> list[str]:
        """Where the UI is opened from: the only origins whose pages may call the API."""
        local = [f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"]
        own = self.url.removesuffix("/api")
        return list(dict.fromkeys([self.public, own, *local]))

    @property
    def auth(self) -> str:
        """The team's login (``user:secret``), made at the first call."""
        return ensure_secret(self.home)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
