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
5. Approval freezes the content: ``history/<slug>/<seq>/`` keeps what was approved, by whom and
   why. A video is approved while its content is the approved content. Events are ordered by
   their sequence number (the folder name), never by the clock: a clock set wrong cannot put an
   old approval after a newer withdrawal. Folders named by time are records from before
   sequence numbers, and come first, in name order.

6. State that can be lost is rebuilt: without ``.state/<slug>.json`` (a run killed at the wrong
   moment, a copied folder) or with an unreadable one, the views on disk are taken as they are and
   the history says what was approved. An approval whose copy is damaged is skipped for the last
   good one, and the run says so.
7. A manuscript is never ignored: a new or changed ``media/<slug>.manuscript.txt`` becomes the
   version in force while nobody has edited the video, and a ``.new-draft`` beside the edits after.
8. Withdrawing a video (``videokit unpublish``) is an event in the history like an approval; the
   newest event decides whether the video is on the site.

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

from .edits import (
    END_SLACK_MS,
    decode_text,
    parse_review_text,
    parse_srt,
    review_text,
    to_review_srt,
    transcript_from_cues,
    word_count,
)
from .errors import TranscriptError, VideokitError
from .files import write_json, write_text
from .history import Approval as Approval
from .history import History
from .history import Withdrawal as Withdrawal
from .naming import review_names
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


class SaveConflict(VideokitError):
    """A save that would overwrite a version the editor has not seen; both versions are kept."""

    stage = "review"


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
    refused: bool = False  # an editor's file was refused this run: the run must not end "ok"


# Speech, even fast, stays under about 25 characters a second over a whole video; text far beyond
# that belongs to another video (or is pasted twice) and would only make unreadable captions.
MAX_TEXT_CPS = 30


def check_text_fits(text: str, duration_ms: int, path: Path | None) -> None:
    chars = len(" ".join(text.split()))
    seconds = max(duration_ms, 1) / 1000
    if chars / seconds > MAX_TEXT_CPS:
        raise TranscriptError(
            f"the text is far too long for the video: {word_count(text):,} words "
            f"({chars:,} characters) for {seconds:.1f} s, {chars / seconds:.0f} characters a "
            f"second where speech stays under {MAX_TEXT_CPS}",
            path=path,
            stage="review",
            hint="check that the text belongs to this video",
        )


def check_publishable(cues: Sequence[Cue], duration_ms: int, path: Path | None = None) -> None:
    """What every published version must be: captions, in order, inside the video, with text."""
    if not cues:
        raise TranscriptError(
            "there are no captions to publish",
            path=path,
            stage="approve",
            hint="write the spoken text in the review files, run 'videokit produce', then approve",
        )
    previous_end = 0
    for i, cue in enumerate(cues, 1):
        problem = ""
        if cue.start_ms < previous_end:
            problem = f"caption {i} overlaps caption {i - 1}"
        elif duration_ms and cue.end_ms > duration_ms + END_SLACK_MS:
            problem = f"caption {i} ends after the video ({cue.end_ms} > {duration_ms} ms)"
        if problem:
            raise TranscriptError(
                problem, path=path, stage="approve", hint="correct the times and run produce again"
            )
        previous_end = cue.end_ms


@dataclass
class _State:
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
    def from_dict(cls, data: Any) -> _State:
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


class ReviewDesk:
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
    def _load(self, slug: str) -> _State | None:
        """The saved state; ``None`` when it is missing or damaged (the caller rebuilds it)."""
        try:
            return _State.from_dict(json.loads(self.state_path(slug).read_text(encoding="utf-8")))
        except (OSError, ValueError, RecursionError):
            return None

    def _save(self, slug: str, state: _State) -> None:
        write_json(self.state_path(slug), state.__dict__, indent=None)

    def _current_sha(self, path: Path) -> str | None:
        try:
            return _sha(path.read_bytes())
        except (FileNotFoundError, IsADirectoryError):
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
            self._write_view(slug, "srt", to_review_srt(cues), state)
        if skip != "txt":
            self._write_view(slug, "txt", review_text(transcript), state)

    def _status(self, slug: str, state: _State, sha: str) -> tuple[Status, Approval | None]:
        # One read of the history: approved when its newest event approves exactly this content.
        events = [e for _, e in self.history.events(slug) if e is not None]
        latest = events[-1] if events else None
        if isinstance(latest, Approval) and latest.content_sha == sha:
            return "approved", latest
        approved_before = any(isinstance(e, Approval) for e in events)
        return ("in review" if state.edited or approved_before else "draft"), None

    def approved_content(
        self, slug: str, notes: list[str] | None = None
    ) -> tuple[Transcript, tuple[Cue, ...]] | None:
        """The content of the newest approval whose copy is intact, exactly as approved.

        A damaged newest approval falls back to the one before it, and says so in ``notes``; a
        withdrawal newer than every approval means nothing is approved for the site.
        """
        skipped = 0
        for folder, event in reversed(self.history.events(slug)):
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
                    f"{skipped} newer approval record(s) in {self.history_dir(slug)} are damaged; "
                    f"the site shows the last intact one instead, approved {event.time} by "
                    f"{event.editor}"
                )
            return content
        return None

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
        manuscript_sha = _sha(manuscript.encode()) if manuscript and manuscript.strip() else ""
        problems: list[VideokitError] = []
        notes: list[str] = []
        refused = False
        state = self._load(slug)
        if state is None and self.state_path(slug).exists():
            notes.append(
                f"the review state {self.state_path(slug)} was damaged; rebuilt from the "
                "review files and the history"
            )
        if state is None and not self._has_views(slug):
            state = _State(draft_sha=draft_sha, manuscript_sha=manuscript_sha)
            transcript, cues, source = self._from_draft(
                draft, draft_cues, manuscript, align, layout_cues, problems
            )
            state.source = source
            self._write_views(slug, transcript, cues, state)
        else:
            if state is None:
                state = self._rebuild(slug, draft, draft_cues, layout_cues, align, notes)
            transcript, cues, refused = self._reconcile_views(
                slug, state, draft, draft_cues, draft_sha, align, layout_cues, problems, notes
            )
            if manuscript_sha and manuscript_sha != state.manuscript_sha and not refused:
                transcript, cues = self._new_manuscript(
                    slug,
                    state,
                    (transcript, cues),
                    manuscript or "",
                    align,
                    layout_cues,
                    problems,
                    notes,
                )
            state.manuscript_sha = manuscript_sha or state.manuscript_sha

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
            refused,
        )

    def _has_views(self, slug: str) -> bool:
        return self.srt_path(slug).is_file() or self.txt_path(slug).is_file()

    def _read_srt(self, slug: str, draft: Transcript) -> tuple[Transcript, tuple[Cue, ...]]:
        path = self.srt_path(slug)
        text = decode_text(path.read_bytes(), path)
        cues = tuple(parse_srt(text, path, duration_ms=draft.duration_ms))
        return transcript_from_cues(cues, draft), cues

    def _read_txt(
        self,
        slug: str,
        draft: Transcript,
        align: Callable[[str], Transcript],
        layout_cues: Callable[[Transcript], Sequence[Cue]],
    ) -> tuple[Transcript, tuple[Cue, ...]]:
        path = self.txt_path(slug)
        text = decode_text(path.read_bytes(), path)
        if not text.strip():
            raise TranscriptError(
                "the text is empty",
                path=path,
                stage="review",
                hint="write the spoken text, or delete the file to get the draft back",
            )
        if not parse_review_text(text):
            raise TranscriptError(
                "the text holds no words to caption (only speaker names?)",
                path=path,
                stage="review",
                hint="write the spoken text under the speaker's name",
            )
        check_text_fits(text, draft.duration_ms, path)
        aligned = align(text)
        cues = tuple(layout_cues(aligned))
        if not cues:
            raise TranscriptError(
                "the text holds no words to caption (only speaker names?)",
                path=path,
                stage="review",
                hint="write the spoken text under the speaker's name",
            )
        return aligned, cues

    def _rebuild(
        self,
        slug: str,
        draft: Transcript,
        draft_cues: Sequence[Cue],
        layout_cues: Callable[[Transcript], Sequence[Cue]],
        align: Callable[[str], Transcript],
        notes: list[str],
    ) -> _State:
        """A state for views on disk whose record was lost: the files are taken as they are.

        The SRT view wins when it reads (its times are exact); a view that still equals what the
        draft would write is not an edit.
        """
        state = _State(draft_sha=_sha(draft.to_json().encode()))
        draft_views = {"srt": to_review_srt(draft_cues), "txt": review_text(draft)}
        untouched = True
        for key, path in (("srt", self.srt_path(slug)), ("txt", self.txt_path(slug))):
            now = self._current_sha(path)
            state.seen[key] = now
            if now == _sha(draft_views[key].encode()):
                state.written[key] = now
            elif now is not None:
                untouched = False
        content: tuple[Transcript, tuple[Cue, ...]] | None = None
        if untouched:
            content, state.source = (draft, tuple(draft_cues)), "draft"
        for key in ("srt", "txt"):
            if content is not None:
                break
            try:
                if key == "srt" and self.srt_path(slug).is_file():
                    content, state.source = self._read_srt(slug, draft), "srt"
                elif key == "txt" and self.txt_path(slug).is_file():
                    content, state.source = self._read_txt(slug, draft, align, layout_cues), "txt"
            except VideokitError:
                continue
        if content is None:
            content, state.source = (draft, tuple(draft_cues)), "draft"
        state.edited = state.source != "draft" or bool(self.approvals(slug))
        state.transcript = content[0].to_dict()
        state.cues = [c.to_dict() for c in content[1]]
        notes.append(
            f"the review state of '{slug}' was missing; rebuilt from {self.root} "
            f"(text in force: {state.source})"
        )
        return state

    def _reconcile_views(
        self,
        slug: str,
        state: _State,
        draft: Transcript,
        draft_cues: Sequence[Cue],
        draft_sha: str,
        align: Callable[[str], Transcript],
        layout_cues: Callable[[Transcript], Sequence[Cue]],
        problems: list[VideokitError],
        notes: list[str],
    ) -> tuple[Transcript, tuple[Cue, ...], bool]:
        srt_now = self._current_sha(self.srt_path(slug))
        txt_now = self._current_sha(self.txt_path(slug))
        srt_edited = srt_now is not None and srt_now != state.seen.get("srt")
        txt_edited = txt_now is not None and txt_now != state.seen.get("txt")
        last_good = state.content()
        new_content: tuple[Transcript, tuple[Cue, ...]] | None = None
        skip: str | None = None
        refused = False
        if srt_edited and txt_edited:
            refused = True
            problems.append(
                TranscriptError(
                    "both the SRT and the text were edited since the last run",
                    path=self.root,
                    stage="review",
                    hint=f"keep one edit: delete {self.srt_path(slug).name} or "
                    f"{self.txt_path(slug).name} "
                    "and it will be rewritten from the other",
                )
            )
        elif srt_edited or txt_edited:
            key, now = ("srt", srt_now) if srt_edited else ("txt", txt_now)
            try:
                if key == "srt":
                    new_content = self._read_srt(slug, draft)
                else:
                    new_content = self._read_txt(slug, draft, align, layout_cues)
                state.source, skip = key, key  # type: ignore[assignment]
                state.seen[key] = now
                state.refused.pop(key, None)
            except VideokitError as err:
                refused = True
                problems.append(err)
                state.refused[key] = [now or "", str(err)]
        if new_content is not None:
            state.edited = True
            self._write_views(slug, *new_content, state, skip=skip)
        elif last_good is not None and (
            state.edited or bool(self.approvals(slug)) or draft_sha == state.draft_sha or refused
        ):
            new_content = last_good
            # Views the editor deleted come back from the version in force; the view that is the
            # source stays exactly as the editor left it, and so does a refused edit (rule 1).
            source_view = {"srt": self.srt_path(slug), "txt": self.txt_path(slug)}.get(state.source)
            keep = state.source if source_view and source_view.exists() else None
            self._write_views(slug, *new_content, state, skip=keep)
            if draft_sha != state.draft_sha and (state.edited or self.approvals(slug)):
                self._write_new_draft(slug, draft, draft_cues)
                notes.append(self._draft_difference(new_content[1], draft_cues))
                state.draft_sha = draft_sha
        else:
            # Nobody has touched this video: a new draft simply replaces the old one.
            fresh_t, fresh_c, state.source = self._from_draft(
                draft, draft_cues, None, align, layout_cues, problems
            )
            new_content = (fresh_t, fresh_c)
            state.draft_sha = draft_sha
            self._write_views(slug, fresh_t, fresh_c, state)
        return new_content[0], new_content[1], refused

    def _new_manuscript(
        self,
        slug: str,
        state: _State,
        current: tuple[Transcript, tuple[Cue, ...]],
        manuscript: str,
        align: Callable[[str], Transcript],
        layout_cues: Callable[[Transcript], Sequence[Cue]],
        problems: list[VideokitError],
        notes: list[str],
    ) -> tuple[Transcript, tuple[Cue, ...]]:
        """A manuscript added or changed since the last run: in force, or beside the edits."""
        try:
            check_text_fits(manuscript, current[0].duration_ms, None)
            aligned = align(manuscript)
            cues = tuple(layout_cues(aligned))
        except VideokitError as err:
            problems.append(err)
            return current
        if not cues:
            return current
        if state.edited or self.approvals(slug):
            self._write_new_draft(slug, aligned, cues)
            notes.append(
                "the manuscript is new or changed; its aligned text is in the review folder as "
                ".new-draft files, beside the edits (which stay in force)"
            )
            return current
        state.source = "manuscript"
        self._write_views(slug, aligned, cues, state)
        notes.append("the manuscript is new or changed: its text is now the version in force")
        return aligned, cues

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
                check_text_fits(manuscript, draft.duration_ms, None)
                aligned = align(manuscript)
                cues = tuple(layout_cues(aligned))
                if cues:
                    return aligned, cues, "manuscript"
            except VideokitError as err:
                problems.append(err)
        return draft, tuple(draft_cues), "draft"

    def _write_new_draft(self, slug: str, draft: Transcript, cues: Sequence[Cue]) -> None:
        names = review_names(slug, self.language)
        write_text(self.root / names["new_srt"], to_review_srt(cues))
        write_text(self.root / names["new_txt"], review_text(draft))

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

    def use_condensed(self, slug: str, cues: Sequence[Cue]) -> None:
        """Put cues in force whose text an editor condensed (accepted proposals, see
        :mod:`videokit.condense_review`): the SRT view shows them; the transcript and its text
        view keep every word said."""
        state = self._load(slug)
        content = state.content() if state else None
        if state is None or content is None:
            return
        if self._current_sha(self.srt_path(slug)) not in (None, state.seen.get("srt")):
            raise SaveConflict(
                "the SRT view holds an edit no run has read yet",
                path=self.srt_path(slug),
                stage="review",
                hint="run 'videokit produce' so the edit is read, then decide on the proposal",
            )
        state.edited = True
        self._write_views(slug, content[0], cues, state, skip="txt")
        state.cues = [c.to_dict() for c in cues]
        self._save(slug, state)

    # -- approving ---------------------------------------------------------------------------------
    def in_force(self, slug: str) -> tuple[_State, tuple[Transcript, tuple[Cue, ...]]]:
        """The version an approval would freeze, checked: unread or refused edits block it."""
        state = self._load(slug)
        content = state.content() if state else None
        if state is None or content is None:
            raise VideokitError(
                f"no video '{slug}' has been produced",
                path=self.root,
                stage="approve",
                hint="run 'videokit produce' first; 'videokit status' lists the videos",
            )
        for key, path in (("srt", self.srt_path(slug)), ("txt", self.txt_path(slug))):
            now = self._current_sha(path)
            if now in (None, state.seen.get(key)):
                continue
            refusal = state.refused.get(key)
            if refusal and refusal[0] == now:
                raise VideokitError(
                    f"the edit was refused: {refusal[1]}",
                    path=path,
                    stage="approve",
                    hint="fix the file and run 'videokit produce', then approve",
                )
            raise VideokitError(
                "has edits that have not been checked yet",
                path=path,
                stage="approve",
                hint="run 'videokit produce' so the edits are checked, then approve",
            )
        check_publishable(content[1], content[0].duration_ms, self.srt_path(slug))
        return state, content

    def approve(
        self,
        slug: str,
        editor: str,
        note: str = "",
        now: dt.datetime | None = None,
        video_sha256: str = "",
    ) -> Approval:
        """Check and record an approval of the version in force (see :meth:`record_approval`)."""
        return self.record_approval(self.prepare_approval(slug, editor, note, now, video_sha256))

    def prepare_approval(
        self,
        slug: str,
        editor: str,
        note: str = "",
        now: dt.datetime | None = None,
        video_sha256: str = "",
    ) -> Approval:
        """The approval that would be recorded, after every check; nothing is written yet."""
        if not editor.strip():
            raise VideokitError(
                "an approval needs the editor's name",
                stage="approve",
                hint="add --editor 'Your Name'",
            )
        state, (transcript, cues) = self.in_force(slug)
        when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        return Approval(
            slug,
            editor.strip(),
            note,
            when.isoformat(),
            content_sha(transcript, cues),
            state.source,
            video_sha256,
        )

    def record_approval(self, approval: Approval, extra: Sequence[Path] = ()) -> Approval:
        """Freeze the version in force in the history (:meth:`History.record`), if it is still
        the content that was checked; returns the approval with its ``seq``. ``extra`` are more
        of the editors' files that the approval covers (their decisions on on-screen text)."""
        state, content = self.in_force(approval.slug)
        if content_sha(*content) != approval.content_sha:
            raise VideokitError(
                "the captions changed while the approval was being published",
                path=self.root,
                stage="approve",
                hint="check the captions again and approve once more",
            )
        return self.history.record(
            approval,
            (self.srt_path(approval.slug), self.txt_path(approval.slug), *extra),
            {"transcript": state.transcript, "cues": state.cues},
        )

    def revoke_approval(self, approval: Approval) -> None:
        self.history.revoke(approval)

    def withdraw(self, slug: str, editor: str, reason: str) -> Withdrawal:
        return self.history.withdraw(slug, editor, reason)

    def next_seq(self, slug: str) -> int:
        return self.history.next_seq(slug)

    def approvals(self, slug: str) -> list[Approval]:
        return self.history.approvals(slug)

    def withdrawn(self, slug: str) -> Withdrawal | None:
        return self.history.withdrawn(slug)

    def current(self, slug: str) -> tuple[Transcript, tuple[Cue, ...]] | None:
        """The version in force as last read, unchecked (:meth:`in_force` checks it)."""
        state = self._load(slug)
        return state.content() if state else None

    # -- saving from the studio --------------------------------------------------------------------
    def view_sha(self, slug: str) -> str | None:
        """The hash of the SRT view as it is on disk now: what a save must find unchanged."""
        return self._current_sha(self.srt_path(slug))

    def save_srt(self, slug: str, text: str, expected_sha: str | None) -> str:
        """Write an editor's SRT view and read it at once, as a run reads a file edit.

        Refused with :class:`SaveConflict` when the SRT file is no longer the one the editor
        loaded (``expected_sha``), or the text view holds an edit not read yet: the editor's
        version is then kept in ``history/<slug>/conflicts/`` and the file on disk stays as it is.
        A malformed version is refused with the same line-numbered errors as a file edit, and
        nothing is written. Returns the hash of the file written.
        """
        state = self._load(slug)
        content = state.content() if state else None
        if state is None or content is None:
            raise VideokitError(
                f"no video '{slug}' has been produced",
                path=self.root,
                stage="review",
                hint="run 'videokit produce' first",
            )
        path, txt = self.srt_path(slug), self.txt_path(slug)
        if self._current_sha(path) != expected_sha:
            kept = self._keep_conflict(slug, path.name, text)
            raise SaveConflict(
                "the captions were changed elsewhere (another window, or the file on disk) "
                "since they were loaded",
                path=path,
                stage="review",
                hint=f"your version is kept in {kept}; reload to see the newer version",
            )
        if self._current_sha(txt) not in (None, state.seen.get("txt")):
            kept = self._keep_conflict(slug, path.name, text)
            raise SaveConflict(
                "the text view has an edit that has not been read yet",
                path=txt,
                stage="review",
                hint=f"your version is kept in {kept}; run 'videokit produce' to read the edit",
            )
        base = content[0]
        cues = tuple(parse_srt(text, path, duration_ms=base.duration_ms))
        try:
            return self._write_save(slug, state, base, cues, text)
        except OSError as err:
            raise VideokitError(
                f"the captions could not be saved ({err.strerror or err})",
                path=err.filename or path,
                stage="review",
                hint="make the review folder writable and save again; the page keeps your text",
            ) from None

    def _write_save(
        self, slug: str, state: _State, base: Transcript, cues: tuple[Cue, ...], text: str
    ) -> str:
        path = self.srt_path(slug)
        current = self._current_sha(path)
        if current is not None and current != state.written.get("srt"):
            # The file being replaced is an edit (read or not): the history keeps it.
            backup = self.history_dir(slug) / "superseded" / f"{_stamp()}-{path.name}"
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup)
        write_text(path, text)
        written = self._current_sha(path) or ""
        transcript = transcript_from_cues(cues, base)
        state.source, state.edited = "srt", True
        state.seen["srt"] = written
        state.refused.pop("srt", None)
        self._write_views(slug, transcript, cues, state, skip="srt")
        state.transcript, state.cues = transcript.to_dict(), [c.to_dict() for c in cues]
        self._save(slug, state)
        return written

    def _keep_conflict(self, slug: str, name: str, text: str) -> Path:
        kept = self.history_dir(slug) / "conflicts" / f"{_stamp()}-{name}"
        try:
            write_text(kept, text)
        except OSError as err:
            raise VideokitError(
                f"the captions were changed elsewhere, and your version could not be kept "
                f"({err.strerror or err})",
                path=kept,
                stage="review",
                hint="copy your text somewhere safe, make the review folder writable, reload",
            ) from None
        return kept

    def status(self, slug: str) -> tuple[Status, Source] | None:
        state = self._load(slug)
        content = state.content() if state else None
        if state is None or content is None:
            return None
        return self._status(slug, state, content_sha(*content))[0], state.source

    def slugs(self) -> list[str]:
        return sorted(p.stem for p in (self.root / ".state").glob("*.json"))
