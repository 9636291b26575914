"""What the review studio keeps between its runs: its key, each editor's unsaved work, and the
unsure words an editor has checked.

Both live in the output folder's ``studio/`` folder, never in the review files: saving stays the
editor's act. The key is kept so that a tab opened before a restart still works after it (the
studio still listens on loopback only); it is readable by its owner only. Unsaved work is one
JSON file per video and editor (the page's own random id), written within a second of each change
and removed when the editor saves or drops it; a studio that crashed or restarted offers it back.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import read_json, write_json

STUDIO_DIR = "studio"
KEY_FILE = "key"
EDITOR_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def studio_dir(out: Path) -> Path:
    return out / STUDIO_DIR


def project_key(out: Path) -> str:
    """The studio's key for this project: made once, then read back (owner-only file)."""
    path = studio_dir(out) / KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 24:
            return key
    except (OSError, UnicodeDecodeError):
        pass
    key = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 from the start: a key that is briefly world-readable is a leaked key.
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    os.chmod(path.with_suffix(".tmp"), 0o600)
    os.replace(path.with_suffix(".tmp"), path)
    return key


@dataclass(frozen=True)
class Unsaved:
    """One editor's unsaved cues for a video, on top of the saved version ``sha``."""

    editor: str
    sha: str | None
    cues: tuple[dict[str, Any], ...]
    time: str

    def to_dict(self) -> dict[str, Any]:
        return {"editor": self.editor, "sha": self.sha, "cues": list(self.cues), "time": self.time}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Unsaved:
        cues = data["cues"]
        if not isinstance(cues, list) or not all(isinstance(c, dict) for c in cues):
            raise ValueError("cues must be a list of objects")
        sha = data.get("sha")
        return cls(
            str(data["editor"]), None if sha is None else str(sha), tuple(cues), str(data["time"])
        )


class UnsavedStore:
    """Unsaved work by video and editor, under ``out/studio/unsaved``."""

    def __init__(self, out: Path) -> None:
        self.root = studio_dir(out) / "unsaved"

    def _path(self, slug: str, editor: str) -> Path:
        if not EDITOR_ID.fullmatch(editor):
            raise ValueError(f"not an editor id: {editor!r}")
        return self.root / slug / f"{editor}.json"

    def put(self, slug: str, work: Unsaved) -> None:
        write_json(self._path(slug, work.editor), work.to_dict(), indent=None)

    def get(self, slug: str, editor: str) -> Unsaved | None:
        try:
            return Unsaved.from_dict(read_json(self._path(slug, editor)))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # none, or damaged: nothing to offer

    def drop(self, slug: str, editor: str) -> None:
        self._path(slug, editor).unlink(missing_ok=True)


class CheckedWords:
    """Unsure words of the machine draft an editor has listened to and kept, per video: each as
    its time in the draft and its text, so the flag goes for that word only (``out/studio/checked``)."""

    def __init__(self, out: Path) -> None:
        self.root = studio_dir(out) / "checked"

    def get(self, slug: str) -> set[tuple[int, str]]:
        try:
            return {(int(t), str(w)) for t, w in read_json(self.root / f"{slug}.json")}
        except (OSError, ValueError, TypeError):
            return set()

    def add(self, slug: str, words: set[tuple[int, str]]) -> None:
        kept = self.get(slug) | words
        write_json(self.root / f"{slug}.json", sorted([t, w] for t, w in kept), indent=None)
