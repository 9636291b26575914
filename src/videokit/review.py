"""The editors' desk: review files, which version is in force, and approvals.

For each video the review folder (default ``review/``) holds two views of the same captions:

- ``<slug>.da.srt``: cues with times, for Subtitle Edit or any text editor;
- ``<slug>.txt``: the transcript as paragraphs (``Navn: `` starts a speaker's paragraph).

Rules, in order of importance:

1. A file an editor touched is never overwritten. videokit remembers the hash of each file as it
   last saw it (``.state/<slug>.json``); a different hash means an editor changed it.
2. The newest edit is the version in force: an edited SRT is used as the editor left it (times and
   text), an edited text is aligned to the audio. The other view is rewritten to match, if the
   editor has not touched it. Editing both before a run is refused: which one should win is the
   editor's call, not videokit's.
3. A malformed edit is reported with its file and line, and the last good version stays in use.
4. A new machine draft (new model, changed video) never replaces edited captions: it is written
   beside them as ``<slug>.new-draft.da.srt`` / ``.new-draft.txt``.
5. Approval freezes the content: ``history/<slug>/<time>/`` keeps what was approved, by whom and
   why. A video is approved while its content is the approved content.

Status: ``draft`` (no person has touched it), ``in review`` (edited, not approved, or changed since
approval), ``approved``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import captions as fmt
from .edits import decode_text, parse_srt, review_text, transcript_from_cues
from .errors import TranscriptError, VideokitError
from .files import write_text
from .transcript import Cue, Transcript

Status = Literal["draft", "in review", "approved"]
Source = Literal["draft", "manuscript", "srt", "txt"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def content_sha(transcript: Transcript, cues: Sequence[Cue]) -> str:
    """Identity of what would be published: cue times and text, paragraph text and speakers."""
    blob = json.dumps(
        [[c.to_dict() for c in cues], [[s.text, s.speaker] for s in transcript.segments]],
        ensure_ascii=False,
    )
    return _sha(blob.encode())


@dataclass(frozen=True)
class Approval:
    slug: str
    editor: str
    note: str
    time: str
    content_sha: str
    source: str
    video_sha256: str = ""  # the video the captions were checked against ("" in old records)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Outcome:
    """What the desk decided for one video in one run."""

    status: Status
    source: Source
    transcript: Transcript
    cues: tuple[Cue, ...]
    content_sha: str
    problems: tuple[VideokitError, ...] = ()
    notes: tuple[str, ...] = ()
    approval: Approval | None = None


@dataclass
class _State:
    source: Source = "draft"
    seen: dict[str, str | None] = field(default_factory=dict)  # hashes as last read or written
    written: dict[str, str | None] = field(default_factory=dict)  # hashes as videokit wrote them
    draft_sha: str = ""
    edited: bool = False
    transcript: dict[str, Any] | None = None
    cues: list[dict[str, Any]] = field(default_factory=list)

    def content(self) -> tuple[Transcript, tuple[Cue, ...]] | None:
        if self.transcript is None:
            return None
        return Transcript.from_dict(self.transcript), tuple(Cue.from_dict(c) for c in self.cues)


class ReviewDesk:
    def __init__(self, root: Path) -> None:
        self.root = root

    # -- paths -------------------------------------------------------------------------------------
    def srt_path(self, slug: str) -> Path:
        return self.root / f"{slug}.da.srt"

    def txt_path(self, slug: str) -> Path:
        return self.root / f"{slug}.txt"

    def _state_path(self, slug: str) -> Path:
        return self.root / ".state" / f"{slug}.json"

    def history_dir(self, slug: str) -> Path:
        return self.root / "history" / slug

    # -- state -------------------------------------------------------------------------------------
    def _load(self, slug: str) -> _State | None:
        try:
            data = json.loads(self._state_path(slug).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return _State(**data)

    def _save(self, slug: str, state: _State) -> None:
        write_text(self._state_path(slug), json.dumps(state.__dict__, ensure_ascii=False) + "\n")

    def _current_sha(self, path: Path) -> str | None:
        try:
            return _sha(path.read_bytes())
        except FileNotFoundError:
            return None

    def _write_view(self, slug: str, key: str, text: str, state: _State) -> None:
        path = self.srt_path(slug) if key == "srt" else self.txt_path(slug)
        current = self._current_sha(path)
        if current not in (None, state.written.get(key)):
            if current != state.seen.get(key):
                return  # rule 1: an edit not yet read is the editor's, whatever the caller wants
            # An edit already read and superseded by a newer edit of the other view: keep a copy.
            backup = self.history_dir(slug) / "superseded" / f"{_stamp()}-{path.name}"
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup)
        write_text(path, text)
        state.seen[key] = state.written[key] = _sha(text.encode("utf-8"))

    def _write_views(
        self,
        slug: str,
        transcript: Transcript,
        cues: Sequence[Cue],
        state: _State,
        skip: str | None = None,
    ) -> None:
        if skip != "srt":
            self._write_view(slug, "srt", fmt.to_srt(cues), state)
        if skip != "txt":
            self._write_view(slug, "txt", review_text(transcript), state)

    # -- approvals ---------------------------------------------------------------------------------
    def approvals(self, slug: str) -> list[Approval]:
        found = []
        for path in sorted(self.history_dir(slug).glob("*/approval.json")):
            try:
                found.append(Approval(**json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError):
                continue
        return found

    def _status(self, slug: str, state: _State, sha: str) -> tuple[Status, Approval | None]:
        approvals = self.approvals(slug)
        if approvals and approvals[-1].content_sha == sha:
            return "approved", approvals[-1]
        return ("in review" if state.edited or approvals else "draft"), None

    # -- the decision ------------------------------------------------------------------------------
    def reconcile(
        self,
        slug: str,
        draft: Transcript,
        draft_cues: Sequence[Cue],
        *,
        align: Callable[[str], Transcript],
        layout_cues: Callable[[Transcript], Sequence[Cue]],
        manuscript: str | None = None,
    ) -> Outcome:
        """Decide which version is in force, keep both views in step, never lose an edit."""
        draft_sha = _sha(draft.to_json().encode())
        state = self._load(slug)
        problems: list[VideokitError] = []
        notes: list[str] = []

        if state is None:
            state = _State(draft_sha=draft_sha)
            transcript, cues, source = self._from_draft(
                draft, draft_cues, manuscript, align, layout_cues, problems
            )
            state.source = source
            self._write_views(slug, transcript, cues, state)
        else:
            srt_now = self._current_sha(self.srt_path(slug))
            txt_now = self._current_sha(self.txt_path(slug))
            srt_edited = srt_now is not None and srt_now != state.seen.get("srt")
            txt_edited = txt_now is not None and txt_now != state.seen.get("txt")
            last_good = state.content()
            new_content: tuple[Transcript, tuple[Cue, ...]] | None = None
            skip: str | None = None
            if srt_edited and txt_edited:
                problems.append(
                    TranscriptError(
                        "both the SRT and the text were edited since the last run",
                        path=self.root,
                        stage="review",
                        hint=f"keep one edit: delete {slug}.da.srt or {slug}.txt "
                        "and it will be rewritten from the other",
                    )
                )
            elif srt_edited:
                try:
                    path = self.srt_path(slug)
                    cues = tuple(parse_srt(decode_text(path.read_bytes(), path), path))
                    new_content = (transcript_from_cues(cues, draft), cues)
                    state.source, skip = "srt", "srt"
                    state.seen["srt"] = srt_now
                except VideokitError as err:
                    problems.append(err)
            elif txt_edited:
                try:
                    path = self.txt_path(slug)
                    text = decode_text(path.read_bytes(), path)
                    if not text.strip():
                        raise TranscriptError(
                            "the text is empty",
                            path=path,
                            stage="review",
                            hint="delete the file to get the draft back",
                        )
                    aligned = align(text)
                    new_content = (aligned, tuple(layout_cues(aligned)))
                    state.source, skip = "txt", "txt"
                    state.seen["txt"] = txt_now
                except VideokitError as err:
                    problems.append(err)
            if new_content is not None:
                state.edited = True
                self._write_views(slug, *new_content, state, skip=skip)
            elif last_good is not None and (
                state.edited or bool(self.approvals(slug)) or draft_sha == state.draft_sha
            ):
                new_content = last_good
                # Views the editor deleted come back from the version in force; the view that
                # is the source stays exactly as the editor left it.
                source_view = {"srt": self.srt_path(slug), "txt": self.txt_path(slug)}.get(
                    state.source
                )
                self._write_views(
                    slug,
                    *new_content,
                    state,
                    skip=state.source if source_view and source_view.exists() else None,
                )
                if draft_sha != state.draft_sha and (state.edited or self.approvals(slug)):
                    self._write_new_draft(slug, draft, draft_cues)
                    notes.append(self._draft_difference(new_content[1], draft_cues))
            else:
                # Nobody has touched this video: a new draft simply replaces the old one.
                fresh_t, fresh_c, state.source = self._from_draft(
                    draft, draft_cues, manuscript, align, layout_cues, problems
                )
                new_content = (fresh_t, fresh_c)
                state.draft_sha = draft_sha
                self._write_views(slug, fresh_t, fresh_c, state)
            transcript, cues = new_content

        state.transcript, state.cues = transcript.to_dict(), [c.to_dict() for c in cues]
        self._save(slug, state)
        sha = content_sha(transcript, cues)
        status, approval = self._status(slug, state, sha)
        return Outcome(
            status,
            state.source,
            transcript,
            tuple(cues),
            sha,
            tuple(problems),
            tuple(notes),
            approval,
        )

    def _from_draft(
        self,
        draft: Transcript,
        draft_cues: Sequence[Cue],
        manuscript: str | None,
        align: Callable[[str], Transcript],
        layout_cues: Callable[[Transcript], Sequence[Cue]],
        problems: list[VideokitError],
    ) -> tuple[Transcript, tuple[Cue, ...], Source]:
        if manuscript and manuscript.strip():
            try:
                aligned = align(manuscript)
                return aligned, tuple(layout_cues(aligned)), "manuscript"
            except VideokitError as err:
                problems.append(err)
        return draft, tuple(draft_cues), "draft"

    def _write_new_draft(self, slug: str, draft: Transcript, cues: Sequence[Cue]) -> None:
        write_text(self.root / f"{slug}.new-draft.da.srt", fmt.to_srt(cues))
        write_text(self.root / f"{slug}.new-draft.txt", review_text(draft))

    @staticmethod
    def _draft_difference(current: Sequence[Cue], new: Sequence[Cue]) -> str:
        import difflib

        a = [" ".join(c.lines) for c in current]
        b = [" ".join(c.lines) for c in new]
        changed = sum(
            1 for op in difflib.SequenceMatcher(a=a, b=b).get_opcodes() if op[0] != "equal"
        )
        return (
            f"a new machine draft differs from the edited captions in {changed} places; "
            f"it is in the review folder as .new-draft files, the edits stay in force"
        )

    # -- approving ---------------------------------------------------------------------------------
    def approve(
        self,
        slug: str,
        editor: str,
        note: str = "",
        now: dt.datetime | None = None,
        video_sha256: str = "",
    ) -> Approval:
        state = self._load(slug)
        content = state.content() if state else None
        if state is None or content is None:
            raise VideokitError(
                f"no video '{slug}' has been produced",
                path=self.root,
                stage="approve",
                hint="run 'videokit produce' first; 'videokit status' lists the videos",
            )
        if not editor.strip():
            raise VideokitError(
                "an approval needs the editor's name",
                stage="approve",
                hint="add --editor 'Your Name'",
            )
        for key, path in (("srt", self.srt_path(slug)), ("txt", self.txt_path(slug))):
            if self._current_sha(path) not in (None, state.seen.get(key)):
                raise VideokitError(
                    "has edits that have not been checked yet",
                    path=path,
                    stage="approve",
                    hint="run 'videokit produce' so the edits are checked, then approve",
                )
        transcript, cues = content
        when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        approval = Approval(
            slug,
            editor.strip(),
            note,
            when.isoformat(),
            content_sha(transcript, cues),
            state.source,
            video_sha256,
        )
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        folder = self.history_dir(slug) / stamp
        n = 1
        while folder.exists():  # two approvals within a second keep both records
            n += 1
            folder = self.history_dir(slug) / f"{stamp}-{n}"
        folder.mkdir(parents=True)
        for path in (self.srt_path(slug), self.txt_path(slug)):
            if path.is_file():
                shutil.copy2(path, folder / path.name)
        write_text(
            folder / "content.json",
            json.dumps({"transcript": state.transcript, "cues": state.cues}, ensure_ascii=False)
            + "\n",
        )
        # Written last: an approval without its copies is never seen as complete.
        write_text(
            folder / "approval.json",
            json.dumps(approval.to_dict(), ensure_ascii=False, indent=1) + "\n",
        )
        return approval

    def approved_content(self, slug: str) -> tuple[Transcript, tuple[Cue, ...]] | None:
        """The content of the latest approval, exactly as approved."""
        folders = sorted(self.history_dir(slug).glob("*/approval.json"))
        if not folders:
            return None
        try:
            data = json.loads((folders[-1].parent / "content.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return (
            Transcript.from_dict(data["transcript"]),
            tuple(Cue.from_dict(c) for c in data["cues"]),
        )

    def status(self, slug: str) -> tuple[Status, Source] | None:
        state = self._load(slug)
        content = state.content() if state else None
        if state is None or content is None:
            return None
        return self._status(slug, state, content_sha(*content))[0], state.source

    def slugs(self) -> list[str]:
        return sorted(p.stem for p in (self.root / ".state").glob("*.json"))
