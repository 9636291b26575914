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

The desk is given its timing functions when it is made (``align`` times an editor's text against
the audio, ``layout_cues`` lays a transcript out as captions); a desk that only reads or approves
needs neither. Its rooms: the views and their state, where rule 1 is kept (:mod:`.review_files`);
saves from the studio (:mod:`.review_saves`); what a text and a published version must be
(:mod:`.review_checks`); the approval history (:mod:`.history`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .edits import decode_text, parse_srt, to_review_srt, transcript_from_cues
from .errors import TranscriptError, VideokitError
from .files import write_text
from .history import Approval as Approval
from .history import Withdrawal as Withdrawal
from .history import content_sha
from .naming import review_names
from .review_checks import check_publishable, check_text_fits
from .review_files import ReviewState, Source, Status
from .review_files import sha as _sha
from .review_saves import DeskSaves
from .review_saves import SaveConflict as SaveConflict  # the desk's; the studio answers it
from .textview import parse_review_text, review_text
from .transcript import Cue, Transcript

Align = Callable[[str], Transcript]
"""Corrected text timed against the video's audio (alignment)."""
LayoutCues = Callable[[Transcript], Sequence[Cue]]
"""A transcript laid out as captions (the caption engine, with the run's norms)."""


def _untimed_align(_text: str) -> Transcript:
    raise TypeError("this review desk was made without an aligner: it reads, it cannot reconcile")


def _untimed_layout(_transcript: Transcript) -> Sequence[Cue]:
    raise TypeError("this review desk was made without a cue layout: it reads, it cannot reconcile")


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


@dataclass(frozen=True)
class Prepared:
    """An approval after every check, not recorded yet: what it approves, as it was checked."""

    approval: Approval
    transcript: Transcript
    cues: tuple[Cue, ...]
    frozen: dict[str, Any]  # the version in force as the history keeps it
    views: tuple[tuple[Path, str | None], ...]  # the editors' views and their hashes as checked


class ReviewDesk(DeskSaves):
    """One review folder's desk. ``align`` and ``layout_cues`` time an editor's text and lay it
    out as cues when :meth:`reconcile` takes it in; a desk that only reads or approves needs
    neither."""

    def __init__(
        self,
        root: Path,
        language: str = "da",
        *,
        align: Align = _untimed_align,
        layout_cues: LayoutCues = _untimed_layout,
    ) -> None:
        super().__init__(root, language)
        self.align = align
        self.layout_cues = layout_cues

    def _status(self, slug: str, state: ReviewState, sha: str) -> tuple[Status, Approval | None]:
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
        """What the site shows: :meth:`History.approved_content`."""
        return self.history.approved_content(slug, notes)

    # -- the decision ------------------------------------------------------------------------------
    def reconcile(
        self,
        slug: str,
        draft: Transcript,
        draft_cues: Sequence[Cue],
        *,
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
            state = ReviewState(draft_sha=draft_sha, manuscript_sha=manuscript_sha)
            transcript, cues, source = self._from_draft(draft, draft_cues, manuscript, problems)
            state.source = source
            self._write_views(slug, transcript, cues, state)
        else:
            if state is None:
                state = self._rebuild(slug, draft, draft_cues, notes)
            transcript, cues, refused = self._reconcile_views(
                slug, state, draft, draft_cues, draft_sha, problems, notes
            )
            if manuscript_sha and manuscript_sha != state.manuscript_sha and not refused:
                transcript, cues = self._new_manuscript(
                    slug, state, (transcript, cues), manuscript or "", problems, notes
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

    def _read_srt(self, slug: str, draft: Transcript) -> tuple[Transcript, tuple[Cue, ...]]:
        path = self.srt_path(slug)
        text = decode_text(path.read_bytes(), path)
        cues = tuple(parse_srt(text, path, duration_ms=draft.duration_ms))
        return transcript_from_cues(cues, draft), cues

    def _read_txt(
        self,
        slug: str,
        draft: Transcript,
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
        aligned = self.align(text)
        cues = tuple(self.layout_cues(aligned))
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
        notes: list[str],
    ) -> ReviewState:
        """A state for views on disk whose record was lost: the files are taken as they are.

        The SRT view wins when it reads (its times are exact); a view that still equals what the
        draft would write is not an edit.
        """
        state = ReviewState(draft_sha=_sha(draft.to_json().encode()))
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
                    content, state.source = self._read_txt(slug, draft), "txt"
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
        state: ReviewState,
        draft: Transcript,
        draft_cues: Sequence[Cue],
        draft_sha: str,
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
                read = self._read_srt if key == "srt" else self._read_txt
                new_content = read(slug, draft)
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
            fresh_t, fresh_c, state.source = self._from_draft(draft, draft_cues, None, problems)
            new_content = (fresh_t, fresh_c)
            state.draft_sha = draft_sha
            self._write_views(slug, fresh_t, fresh_c, state)
        return new_content[0], new_content[1], refused

    def _new_manuscript(
        self,
        slug: str,
        state: ReviewState,
        current: tuple[Transcript, tuple[Cue, ...]],
        manuscript: str,
        problems: list[VideokitError],
        notes: list[str],
    ) -> tuple[Transcript, tuple[Cue, ...]]:
        """A manuscript added or changed since the last run: in force, or beside the edits."""
        try:
            check_text_fits(manuscript, current[0].duration_ms, None)
            aligned = self.align(manuscript)
            cues = tuple(self.layout_cues(aligned))
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
        problems: list[VideokitError],
    ) -> tuple[Transcript, tuple[Cue, ...], Source]:
        if manuscript and manuscript.strip():
            try:
                check_text_fits(manuscript, draft.duration_ms, None)
                aligned = self.align(manuscript)
                cues = tuple(self.layout_cues(aligned))
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

    # -- approving ---------------------------------------------------------------------------------
    def in_force(self, slug: str) -> tuple[ReviewState, tuple[Transcript, tuple[Cue, ...]]]:
        """The version an approval would freeze, checked: unread or refused edits block it."""
        state, content = self._produced(
            slug, "approve", "run 'videokit produce' first; 'videokit status' lists the videos"
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
    ) -> Prepared:
        """The approval that would be recorded, after every check, with the version in force it
        approves (computed here, once per approval); nothing is written yet."""
        if not editor.strip():
            raise VideokitError(
                "an approval needs the editor's name",
                stage="approve",
                hint="add --editor 'Your Name'",
            )
        state, (transcript, cues) = self.in_force(slug)
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
        views = tuple((p, self._current_sha(p)) for p in (self.srt_path(slug), self.txt_path(slug)))
        frozen = {"transcript": state.transcript, "cues": state.cues}
        return Prepared(approval, transcript, cues, frozen, views)

    def record_approval(self, prepared: Prepared, extra: Sequence[Path] = ()) -> Approval:
        """Freeze the prepared version in the history (:meth:`History.record`), if the editors'
        views are still as they were checked; returns the approval with its ``seq``. ``extra``
        are more of the editors' files that the approval covers (their decisions on on-screen
        text)."""
        if any(self._current_sha(path) != seen for path, seen in prepared.views):
            raise VideokitError(
                "the captions changed while the approval was being published",
                path=self.root,
                stage="approve",
                hint="check the captions again and approve once more",
            )
        return self.history.record(
            prepared.approval, (*(path for path, _ in prepared.views), *extra), prepared.frozen
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

    def status(self, slug: str) -> tuple[Status, Source] | None:
        state = self._load(slug)
        content = state.content() if state else None
        if state is None or content is None:
            return None
        return self._status(slug, state, content_sha(*content))[0], state.source
