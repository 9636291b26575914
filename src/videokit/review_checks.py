"""What an editor's text and every published version must be, checked before they are used.

Pure: the checks raise :class:`TranscriptError` with the file they are about, and read nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .edits import END_SLACK_MS, word_count
from .errors import TranscriptError
from .transcript import Cue

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
