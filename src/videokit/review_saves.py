"""Saves from the studio: an editor's version written into the review folder and read at once,
as a run reads a file edit, and never over a version the editor has not seen.

A save that would overwrite such a version is a :class:`SaveConflict`; the editor's text is then
kept in ``history/<slug>/conflicts/`` and the file on disk stays as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .edits import parse_srt, transcript_from_cues
from .errors import VideokitError
from .files import write_text
from .review_files import DeskFiles, ReviewState, stamp
from .transcript import Cue, Transcript


class SaveConflict(VideokitError):
    """A save that would overwrite a version the editor has not seen; both versions are kept."""

    stage = "review"


class DeskSaves(DeskFiles):
    """The review desk's saves (the base of :class:`videokit.review.ReviewDesk`)."""

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
        state, content = self._produced(slug, "review", "run 'videokit produce' first")
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
        self, slug: str, state: ReviewState, base: Transcript, cues: tuple[Cue, ...], text: str
    ) -> str:
        path = self.srt_path(slug)
        current = self._current_sha(path)
        if current is not None and current != state.written.get("srt"):
            # The file being replaced is an edit (read or not): the history keeps it.
            self._keep_superseded(slug, path)
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
        kept = self.history_dir(slug) / "conflicts" / f"{stamp()}-{name}"
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
