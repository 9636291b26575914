"""The approval history of each video: ``history/<slug>/<seq>/`` in the review folder.

Each event (an approval or a withdrawal) is a folder claimed by its sequence number, holding the
record and, for an approval, a frozen copy of what was approved. Events are ordered by that
number, never by the clock: a clock set wrong cannot put an old approval after a newer
withdrawal. Folders named by time are records from before sequence numbers, and come first, in
name order. An event folder without its record (a copy being written, or one taken back) is no
event, so a record is always written last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import VideokitError
from .files import write_json
from .transcript import Cue, Transcript


def content_sha(transcript: Transcript, cues: Sequence[Cue]) -> str:
    """Identity of what would be published: cue times and text, paragraph text and speakers."""
    blob = json.dumps(
        [[c.to_dict() for c in cues], [[s.text, s.speaker] for s in transcript.segments]],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Approval:
    slug: str
    editor: str
    note: str
    time: str
    content_sha: str  # :func:`content_sha` of what was approved
    source: str
    video_sha256: str = ""  # the video the captions were checked against ("" in old records)
    seq: int = 0  # its place in the video's history (0: not recorded yet, or an old record)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: Any) -> Approval:
        if not isinstance(d, dict):
            raise ValueError("an approval record is a JSON object")
        fields = ("slug", "editor", "note", "time", "content_sha", "source")
        if any(not isinstance(d.get(k), str) for k in fields):
            raise ValueError("an approval record lacks a field")
        slug, editor, note, time, sha, source = (str(d[k]) for k in fields)
        return cls(slug, editor, note, time, sha, source, str(d.get("video_sha256", "")), _seq(d))


@dataclass(frozen=True)
class Withdrawal:
    """An explicit, logged decision to take a video off the site."""

    slug: str
    editor: str
    reason: str
    time: str  # information only: the order is ``seq``
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: Any) -> Withdrawal:
        if not isinstance(d, dict):
            raise ValueError("a withdrawal record is a JSON object")
        fields = ("slug", "editor", "reason", "time")
        if any(not isinstance(d.get(k), str) for k in fields):
            raise ValueError("a withdrawal record lacks a field")
        slug, editor, reason, time = (str(d[k]) for k in fields)
        return cls(slug, editor, reason, time, _seq(d))


def _seq(d: dict[str, Any]) -> int:
    seq = d.get("seq", 0)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValueError("an event's sequence number is not a whole number")
    return seq


# A sequence-numbered event folder; anything else in the history is an older record or a copy.
_SEQ_NAME = re.compile(r"[0-9]{6,9}")
SEQ_DIGITS = 6


def event_order(folder: Path) -> tuple[int, int, str]:
    """Sort key of a history folder: older time-named records first, then by sequence number."""
    if _SEQ_NAME.fullmatch(folder.name):
        return (1, int(folder.name), "")
    return (0, 0, folder.name)


class History:
    """One review folder's histories: read and write events of any video in it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, slug: str) -> Path:
        return self.root / "history" / slug

    def events(self, slug: str) -> list[tuple[Path, Approval | Withdrawal | None]]:
        """Every approval and withdrawal, oldest first; ``None`` for a damaged record."""
        found: list[tuple[Path, Approval | Withdrawal | None]] = []
        folders = [p for p in self.folder(slug).glob("*") if p.is_dir()]
        for folder in sorted(folders, key=event_order):
            event: Approval | Withdrawal | None = None
            seq = event_order(folder)[1]
            try:
                if (folder / "approval.json").is_file():
                    data = json.loads((folder / "approval.json").read_text(encoding="utf-8"))
                    event = replace(Approval.from_dict(data), seq=seq)
                elif (folder / "withdrawal.json").is_file():
                    data = json.loads((folder / "withdrawal.json").read_text(encoding="utf-8"))
                    event = replace(Withdrawal.from_dict(data), seq=seq)
                else:
                    continue  # superseded copies, or an approval that never completed
            except (OSError, ValueError, TypeError):
                event = None
            found.append((folder, event))
        return found

    def approved_content(
        self, slug: str, notes: list[str] | None = None
    ) -> tuple[Transcript, tuple[Cue, ...]] | None:
        """The content of the newest approval whose copy is intact, exactly as approved.

        A damaged newest approval falls back to the one before it, and says so in ``notes``; a
        withdrawal newer than every approval means nothing is approved for the site.
        """
        skipped = 0
        for folder, event in reversed(self.events(slug)):
            if isinstance(event, Withdrawal):
                return None
            if not isinstance(event, Approval):
                skipped += 1
                continue
            try:
                data = json.loads((folder / "content.json").read_text(encoding="utf-8"))
                content = (
                    Transcript.from_dict(data["transcript"]),
                    tuple(Cue.from_dict(c) for c in data["cues"]),
                )
            except (OSError, ValueError, TypeError, KeyError, AttributeError):
                skipped += 1
                continue
            if content_sha(*content) != event.content_sha:
                skipped += 1  # a copy changed after approval is not what the editor approved
                continue
            if skipped and notes is not None:
                notes.append(
                    f"{skipped} newer approval record(s) in {self.folder(slug)} are damaged; "
                    f"the site shows the last intact one instead, approved {event.time} by "
                    f"{event.editor}"
                )
            return content
        return None

    def approvals(self, slug: str) -> list[Approval]:
        return [e for _, e in self.events(slug) if isinstance(e, Approval)]

    def withdrawn(self, slug: str) -> Withdrawal | None:
        """The withdrawal in force: one newer than every approval."""
        for _, event in reversed(self.events(slug)):
            if isinstance(event, Withdrawal):
                return event
            if isinstance(event, Approval):
                return None
        return None

    def record(
        self, approval: Approval, copies: Sequence[Path], content: dict[str, Any]
    ) -> Approval:
        """Freeze the approved ``content`` and ``copies`` of the editors' files in the history;
        returns the approval with its ``seq``.

        The approval record is written last, so an approval without its copies is never seen as
        complete. A history that cannot be written raises with its path, leaving no record.
        """
        with self._writing(approval.slug, "approve") as (folder, seq):
            for path in copies:
                if path.is_file():
                    shutil.copy2(path, folder / path.name)
            write_json(folder / "content.json", content)
            recorded = replace(approval, seq=seq)
            write_json(folder / "approval.json", recorded.to_dict())
        return recorded

    def revoke(self, approval: Approval) -> None:
        """Undo :meth:`record` when what it approved could not be published.

        The record goes first, so that a failure half-way leaves an incomplete folder, which
        counts as no event, rather than an approval nobody can see on the site.
        """
        folder = self.folder(approval.slug) / f"{approval.seq:0{SEQ_DIGITS}d}"
        if approval.seq <= 0 or not folder.is_dir():
            return
        try:
            (folder / "approval.json").unlink(missing_ok=True)
        except OSError as err:
            raise VideokitError(
                f"the approval could not be published, and its record could not be taken back "
                f"({err.strerror})",
                path=folder,
                stage="approve",
                hint="delete this folder by hand, then approve again",
            ) from None
        shutil.rmtree(folder, ignore_errors=True)

    def withdraw(self, slug: str, editor: str, reason: str) -> Withdrawal:
        """Record that ``slug`` is taken off the site; a later approval publishes it again."""
        if not editor.strip():
            raise VideokitError(
                "withdrawing a video needs the editor's name",
                stage="unpublish",
                hint="add --editor 'Your Name'",
            )
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        with self._writing(slug, "unpublish") as (folder, seq):
            withdrawal = Withdrawal(slug, editor.strip(), reason, now, seq)
            write_json(folder / "withdrawal.json", withdrawal.to_dict())
        return withdrawal

    def next_seq(self, slug: str) -> int:
        """One more than the highest sequence number in the history (1 for a new one)."""
        folders = self.folder(slug).glob("*") if self.folder(slug).is_dir() else ()
        return 1 + max((event_order(p)[1] for p in folders), default=0)

    @contextmanager
    def _writing(self, slug: str, stage: str) -> Iterator[tuple[Path, int]]:
        """A new event folder, claimed by its sequence number; removed again if writing fails.

        ``mkdir`` is the claim: two processes cannot both create the same number, and the loser
        takes the next one. Callers hold the video's lock, so that race is only a safety net.
        """
        try:
            seq = self.next_seq(slug)
            self.folder(slug).mkdir(parents=True, exist_ok=True)
            while True:
                folder = self.folder(slug) / f"{seq:0{SEQ_DIGITS}d}"
                try:
                    folder.mkdir()
                    break
                except FileExistsError:
                    seq += 1
        except OSError as err:
            raise _history_error(self.folder(slug), err, stage) from None
        try:
            yield folder, seq
        except OSError as err:
            shutil.rmtree(folder, ignore_errors=True)
            raise _history_error(folder, err, stage) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise


def _history_error(path: Path, err: OSError, stage: str) -> VideokitError:
    what = "approval" if stage == "approve" else "withdrawal"
    return VideokitError(
        f"the {what} could not be recorded in the review history ({err.strerror or err}); "
        "nothing was changed on the site",
        path=path,
        stage=stage,
        hint="make the review folder writable (history/<video> must be a folder), then try again",
    )
