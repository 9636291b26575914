"""The team server's database: SQLite in the team folder, or PostgreSQL (``team up --database``).

The address is kept in the team folder (mode 0600: it may hold a password, though ``~/.pgpass``
or ``$PGPASSWORD`` is the better place), so a later ``team up`` uses it without being told. Which
database the running server was started with is kept as a digest beside its pid file, so that
``team up`` with another address restarts it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from videokit.errors import VideokitError

FILE = "database"  # in the team folder: the PostgreSQL address team up last used
STARTED_WITH = "server.database"  # in the team folder: digest of the running server's database
SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


def prefect_url(url: str) -> str:
    """Prefect's form (SQLAlchemy with asyncpg) of a ``postgresql://`` address."""
    if not url.startswith(SCHEMES):
        raise VideokitError(
            f"not a PostgreSQL address: {url.split('@')[-1]!r}",  # never the password
            stage="team",
            hint="give --database postgresql://USER@HOST:5432/DATABASE (the password in "
            "~/.pgpass or $PGPASSWORD, never on the command line)",
        )
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


def remembered(home: Path, given: str | None) -> str | None:
    """``given`` (kept for the next ``team up``), else the one kept, else ``None`` (SQLite)."""
    path = home / FILE
    if given:
        prefect_url(given)  # refused before anything is kept
        home.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        # Made with its mode, never chmod-ed afterwards: no moment where others may read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(given + "\n")
        return given
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def mark(url: str | None) -> str:
    """Which database, without its address."""
    return hashlib.sha256((url or "sqlite").encode()).hexdigest()[:16]


def remember_start(home: Path, url: str | None) -> None:
    (home / STARTED_WITH).write_text(mark(url))


def started_with(home: Path) -> str:
    try:
        return (home / STARTED_WITH).read_text().strip()
    except OSError:  # a server started before videokit kept the mark: it used SQLite
        return mark(None)
