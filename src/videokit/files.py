"""Writing files so that a reader never sees half of one.

Every output goes to a temporary name in the target's folder and is renamed into place: the rename
is atomic on one file system, so a crash leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .encodings import decode_text
from .errors import TranscriptError, VideokitError


@contextmanager
def temporary_beside(target: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target``, on error it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp creates 0600; published files must be readable by the web server.
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise VideokitError(
                "the disk is full; nothing was replaced",
                path=target,
                stage="write",
                hint="free some space and run again: finished files are kept",
            ) from None
        raise
    finally:
        tmp.unlink(missing_ok=True)


def link_or_copy(src: Path, dst: Path) -> None:
    """``dst`` becomes the same bytes as ``src``: a hard link where it can (no second copy of a
    video on disk), else a copy; replaced atomically either way."""
    with temporary_beside(dst) as tmp:
        tmp.unlink()
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)


def write_text(target: Path, text: str) -> None:
    with temporary_beside(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: Path, data: Any, *, indent: int | None = 1) -> None:
    """The one way videokit writes JSON: UTF-8, readable, atomic, ending in a newline."""
    write_text(target, json.dumps(data, ensure_ascii=False, indent=indent) + "\n")


def read_json(path: Path) -> Any:
    """JSON from a file videokit wrote; ``ValueError`` (not a crash) for a damaged one."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 ({err})") from None


def remove_partials(root: Path) -> int:
    """Delete the ``.part`` files a killed run left below ``root``; returns how many."""
    count = 0
    if root.is_dir():
        for part in root.rglob(".*.part"):
            if part.is_file() and not part.is_symlink():
                part.unlink(missing_ok=True)
                count += 1
    return count


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (videos and models do not fit comfortably in memory)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_text_file(path: Path, what: str) -> str:
    """A side file (glossary, manuscript, title file) as text, by the rules of :func:`decode_text`.

    ``what`` names the file for a person ("glossary", "manuscript"). A file that cannot be read
    at all is a :class:`TranscriptError` naming it, never an ``OSError`` from deep inside a run.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TranscriptError(
            f"the {what} cannot be read ({err.strerror or err})",
            path=path,
            stage="input",
            hint="check that the file exists and may be read",
        ) from None
    try:
        return decode_text(data, path, stage="input")
    except TranscriptError as err:
        raise TranscriptError(
            f"the {what}: {err.message}",
            path=path,
            stage="input",
            hint="save it as UTF-8 (in Notepad: Save as, encoding UTF-8)",
        ) from None
