"""The review desk's files: the two views of each video's captions in the review folder, and
the state that remembers them (``.state/<slug>.json``): the hash of each view as videokit last
wrote and read it, and the version in force.

Rule 1 of the desk (:mod:`videokit.review`) is kept here, where views are written: a view whose
file differs from what videokit last saw is an editor's unread edit and is never written over; an
edit already read that a newer edit supersedes is copied into the history first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .edits import to_review_srt
from .errors import VideokitError
from .files import write_json, write_text
from .history import History
from .naming import review_names
from .textview import review_text
from .transcript import Cue, Transcript

Status = Literal["draft", "in review", "approved"]
Source = Literal["draft", "manuscript", "srt", "txt"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


@dataclass
class ReviewState:
    """What the desk keeps of one video between runs: the views' hashes, the version in force."""

    source: Source = "draft"
    seen: dict[str, str | None] = field(default_factory=dict)  # hashes as last read or written
    written: dict[str, str | None] = field(default_factory=dict)  # hashes as videokit wrote them
    draft_sha: str = ""
    edited: bool = False
    transcript: dict[str, Any] | None = None
    cues: list[dict[str, Any]] = field(default_factory=list)
    manuscript_sha: str = ""
    refused: dict[str, list[str]] = field(default_factory=dict)  # view -> [file hash, message]

    def content(self) -> tuple[Transcript, tuple[Cue, ...]] | None:
        if self.transcript is None:
            return None
        return Transcript.from_dict(self.transcript), tuple(Cue.from_dict(c) for c in self.cues)

    @classmethod
    def from_dict(cls, data: Any) -> ReviewState:
        """A state file as written, or ``ValueError``: a damaged one is rebuilt, never trusted."""
        if not isinstance(data, dict) or set(data) - set(cls.__dataclass_fields__):
            raise ValueError("not a review state record")
        try:
            state = cls(**data)
            content = state.content()
        except (TypeError, KeyError, AttributeError) as err:
            raise ValueError(f"damaged review state: {err}") from None
        if state.source not in ("draft", "manuscript", "srt", "txt") or content is None:
            raise ValueError("damaged review state")
        if not all(isinstance(v, dict) for v in (state.seen, state.written, state.refused)):
            raise ValueError("damaged review state")
        return state


class DeskFiles:
    """One review folder's views and states (the base of :class:`videokit.review.ReviewDesk`)."""

    def __init__(self, root: Path, language: str = "da") -> None:
        self.root = root
        self.history = History(root)
        self.language = language  # names the SRT view: <slug>.<language>.srt

    # -- paths -------------------------------------------------------------------------------------
    def srt_path(self, slug: str) -> Path:
        return self.root / review_names(slug, self.language)["srt"]

    def txt_path(self, slug: str) -> Path:
        return self.root / review_names(slug, self.language)["txt"]

    def state_path(self, slug: str) -> Path:
        return self.root / ".state" / f"{slug}.json"

    def history_dir(self, slug: str) -> Path:
        return self.history.folder(slug)

    # -- state -------------------------------------------------------------------------------------
    def _produced(self, slug: str, stage: str, hint: str) -> tuple[ReviewState, Any]:
        """The video's state and its content in force, or a clear refusal: never produced."""
        state = self._load(slug)
        content = state.content() if state else None
        if state is None or content is None:
            raise VideokitError(
                f"no video '{slug}' has been produced", path=self.root, stage=stage, hint=hint
            )
        return state, content

    def _load(self, slug: str) -> ReviewState | None:
        """The saved state; ``None`` when it is missing or damaged (the caller rebuilds it)."""
        try:
            return ReviewState.from_dict(
                json.loads(self.state_path(slug).read_text(encoding="utf-8"))
            )
        except (OSError, ValueError, RecursionError):
            return None

    def _save(self, slug: str, state: ReviewState) -> None:
        write_json(self.state_path(slug), state.__dict__, indent=None)

    def _current_sha(self, path: Path) -> str | None:
        try:
            return sha(path.read_bytes())
        except (FileNotFoundError, IsADirectoryError):
            return None

    def _write_view(self, slug: str, key: str, text: str, state: ReviewState) -> None:
        path = self.srt_path(slug) if key == "srt" else self.txt_path(slug)
        current = self._current_sha(path)
        if current not in (None, state.written.get(key)):
            if current != state.seen.get(key):
                return  # rule 1: an edit not yet read is the editor's, whatever the caller wants
            # An edit already read and superseded by a newer edit of the other view: keep a copy.
            self._keep_superseded(slug, path)
        write_text(path, text)
        state.seen[key] = state.written[key] = sha(text.encode("utf-8"))

    def _write_views(
        self,
        slug: str,
        transcript: Transcript,
        cues: Sequence[Cue],
        state: ReviewState,
        skip: str | None = None,
    ) -> None:
        if skip != "srt":
            self._write_view(slug, "srt", to_review_srt(cues), state)
        if skip != "txt":
            self._write_view(slug, "txt", review_text(transcript), state)

    def _keep_superseded(self, slug: str, path: Path) -> None:
        """A copy of an edit about to be replaced, in the history (rule 1: never lost)."""
        backup = self.history_dir(slug) / "superseded" / f"{stamp()}-{path.name}"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, backup)

    def _has_views(self, slug: str) -> bool:
        return self.srt_path(slug).is_file() or self.txt_path(slug).is_file()

    def current(self, slug: str) -> tuple[Transcript, tuple[Cue, ...]] | None:
        """The version in force as last read, unchecked (:meth:`ReviewDesk.in_force` checks it)."""
        state = self._load(slug)
        return state.content() if state else None

    def slugs(self) -> list[str]:
        return sorted(p.stem for p in (self.root / ".state").glob("*.json"))
