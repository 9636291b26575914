"""The team service's login: Prefect's basic authentication, with a secret kept in a file.

The secret is made at the first ``team up`` in the team folder (``api-auth``, ``user:secret``,
readable by its owner only) and handed to every process through its environment, never its
command line (which any user of the machine can read). A client elsewhere gets it from a copy
of the file (``--auth-file``) or ``$VIDEOKIT_TEAM_AUTH``.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from .errors import VideokitError

AUTH_FILE = "api-auth"  # in the team folder: "videokit:<secret>", mode 0600
AUTH_USER = "videokit"
AUTH_ENV = "VIDEOKIT_TEAM_AUTH"  # the login, for a worker or `team status` on another machine
PREFECT_ENV = "PREFECT_API_AUTH_STRING"  # Prefect's own client setting for the same login


def ensure_secret(home: Path) -> str:
    """The team's login from its file in ``home``, made on the first call."""
    path = home / AUTH_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        # Made with its mode, never chmod-ed afterwards: no moment where others may read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret(path)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"{AUTH_USER}:{secrets.token_urlsafe(32)}\n")
    return read_secret(path)


def new_secret(home: Path) -> Path:
    """Replace the login in ``home`` by a new one; returns its file."""
    (home / AUTH_FILE).unlink(missing_ok=True)
    ensure_secret(home)
    return home / AUTH_FILE


def read_secret(path: Path) -> str:
    """A login (``user:secret``) from a file that only its owner may read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise VideokitError(
            f"the team's login cannot be read: {err.strerror}",
            path=path,
            stage="team",
            hint=f"copy it from the server machine's team folder (file {AUTH_FILE})",
        ) from err
    if mode & 0o077:
        raise VideokitError(
            "the team's login file may be read by other users",
            path=path,
            stage="team",
            hint=f"make it yours alone: chmod 600 {path}",
        )
    if ":" not in text:
        raise VideokitError(
            "the team's login file does not hold 'user:secret'",
            path=path,
            stage="team",
            hint=f"copy it again from the server machine's team folder (file {AUTH_FILE})",
        )
    return text


def client_auth(home: Path, auth_file: Path | None = None) -> str | None:
    """The login a client here uses: ``--auth-file``, ``$VIDEOKIT_TEAM_AUTH``, Prefect's own
    ``$PREFECT_API_AUTH_STRING``, else this machine's team folder (the server's machine)."""
    if auth_file is not None:
        return read_secret(auth_file)
    for name in (AUTH_ENV, PREFECT_ENV):
        if os.environ.get(name):
            return os.environ[name]
    if (home / AUTH_FILE).is_file():
        return read_secret(home / AUTH_FILE)
    return None


def basic_auth(auth: str | None) -> dict[str, str]:
    """The HTTP header that sends ``auth`` (``user:secret``); none without a login."""
    if not auth:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
