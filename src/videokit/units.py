"""A team worker as a service: the systemd unit that brings it back after a reboot.

Pure text: the caller says where the unit goes (``team worker --install``). The unit stops the
worker the way it drains: the stop signal to the worker alone (``KillMode=mixed``), which lets its
runs finish or hands them back to the pool, and the rest of its processes killed only once
``TimeoutStopSec`` has passed.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkerService:
    """One worker of a team, as ``videokit team worker`` would start it."""

    command: tuple[str, ...]  # the videokit program (the console script, or python -m ...)
    server: str
    pool: str
    auth_file: Path
    stop_s: float
    name: str | None = None
    cache_dir: Path | None = None
    limit: int | None = None
    system: bool = False  # a system unit (root's systemd) rather than the user's own
    user: str | None = None  # a system unit's account; the user unit runs as its owner

    @property
    def unit_name(self) -> str:
        suffix = f"-{self.name}" if self.name else ""
        # systemd refuses a unit name with spaces or slashes (a worker's name may have them).
        return (
            re.sub(r"[^A-Za-z0-9:_.\-]", "-", f"videokit-worker-{self.pool}{suffix}") + ".service"
        )

    def argv(self) -> list[str]:
        argv = [*self.command, "team", "worker", "--server", self.server, "--pool", self.pool]
        argv += ["--auth-file", str(self.auth_file)]
        if self.name:
            argv += ["--name", self.name]
        if self.cache_dir:
            argv += ["--cache", str(self.cache_dir)]
        if self.limit:
            argv += ["--limit", str(self.limit)]
        return argv


def _quoted(argv: list[str]) -> str:
    # systemd splits ExecStart like a shell for quotes, but expands % and $ itself.
    return " ".join(shlex.quote(a).replace("%", "%%").replace("$", "$$") for a in argv)


def worker_unit(service: WorkerService) -> str:
    """The unit file's text."""
    lines = [
        "[Unit]",
        f"Description=videokit worker (pool {service.pool}) for {service.server}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={_quoted(service.argv())}",
        "Environment=PYTHONUNBUFFERED=1",
    ]
    if service.system and service.user:
        lines.append(f"User={service.user}")
    lines += [
        # The worker alone gets SIGTERM and drains; SIGKILL for what is left after the timeout.
        "KillMode=mixed",
        "KillSignal=SIGTERM",
        f"TimeoutStopSec={int(service.stop_s)}",
        "Restart=on-failure",
        "RestartSec=10",
        "",
        "[Install]",
        f"WantedBy={'multi-user.target' if service.system else 'default.target'}",
        "",
    ]
    return "\n".join(lines)


def enable_hint(service: WorkerService, path: Path) -> str:
    """What to run after writing the unit to ``path``."""
    if service.system:
        return f"sudo systemctl daemon-reload && sudo systemctl enable --now {service.unit_name}"
    return (
        f"systemctl --user daemon-reload && systemctl --user enable --now {service.unit_name}"
        f" (and once, so that it starts at boot without a login: loginctl enable-linger)"
        f"; the unit is {path}"
    )
