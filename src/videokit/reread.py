"""Speech a draft left out, read again; and what is still left out, said so.

The known silent failure of batched Whisper (openai-whisper's batched windows here, and
faster-whisper's batched pipeline alike): a window's text ends early, with an end of text the
model was sure of, and the rest of the window is never read. The speech detector
(:mod:`videokit.vad`) hears speech independently of the recogniser, so a detected stretch that no
segment covers (:func:`videokit.coverage.uncovered`) is read again on its own, by the same
engine, and its segments join the draft. What a second reading still leaves out becomes an
:class:`~videokit.transcript.Unread` stretch with the reason ``left out``, which the run reports
(an editor must caption it by hand), instead of vanishing without a trace.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from . import coverage
from .asr import AudioJob
from .audio import SAMPLE_RATE
from .engines import Engine
from .transcript import Segment, Transcript, Unread

# A stretch is read with this much sound either side: a word cut at its first or last phoneme
# is misread, and the detector's edges are 32-ms frames.
PAD_MS = 300
PASSES = 2  # a stretch left out twice is not read a third time: report it


@functools.cache
def rule_digest() -> str:
    """Part of the draft cache key: a change to how gaps are read again makes drafts anew."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def _shifted(segment: Segment, offset_ms: int, limit_ms: int) -> Segment:
    def at(ms: int) -> int:
        return min(ms + offset_ms, limit_ms)

    words = tuple(
        replace(w, start_ms=at(w.start_ms), end_ms=max(at(w.start_ms), at(w.end_ms)))
        for w in segment.words
    )
    start = at(segment.start_ms)
    return replace(segment, start_ms=start, end_ms=max(start, at(segment.end_ms)), words=words)


def _inside(segment: Segment, gap: tuple[int, int]) -> bool:
    """The segment belongs to the gap: its middle lies in it (text already in the draft on
    either side, read again in the padding, does not)."""
    middle = (segment.start_ms + segment.end_ms) // 2
    return gap[0] <= middle < gap[1]


def merged(draft: Transcript, found: Sequence[Segment]) -> Transcript:
    """``draft`` with ``found`` segments added in time order."""
    segments = sorted((*draft.segments, *found), key=lambda s: (s.start_ms, s.end_ms))
    return replace(draft, segments=tuple(segments))


def left_out(draft: Transcript, gaps: Sequence[tuple[int, int]]) -> Transcript:
    """``draft`` with each of ``gaps`` recorded as speech left out."""
    unread = sorted(
        (*draft.unread, *(Unread(a, b, "left out") for a, b in gaps)),
        key=lambda u: (u.start_ms, u.end_ms),
    )
    return replace(draft, unread=tuple(unread))


def fill_gaps(
    engine: Engine,
    job: AudioJob,
    draft: Transcript,
    probabilities: Sequence[float] | None,
    frame_ms: int,
) -> Transcript:
    """``draft`` with the detected speech it left out read again (at most :data:`PASSES` times),
    and what is still not covered recorded as ``left out``.

    ``probabilities`` are the speech detector's per frame of ``frame_ms``; ``None`` (no detector)
    leaves the draft as it is.
    """
    if probabilities is None:
        return draft
    speech = coverage.detected_speech(probabilities, frame_ms)
    end_ms = draft.duration_ms
    for _ in range(PASSES):
        gaps = coverage.uncovered(speech, draft)
        if not gaps:
            return draft
        found: list[Segment] = []
        for gap in gaps:
            a, b = max(0, gap[0] - PAD_MS), min(end_ms, gap[1] + PAD_MS)
            piece = job.audio[a * SAMPLE_RATE // 1000 : b * SAMPLE_RATE // 1000]
            read = engine.transcribe(
                piece, job.options, source_sha256=job.source_sha256, path=job.path
            )
            found.extend(
                s for s in (_shifted(seg, a, end_ms) for seg in read.segments) if _inside(s, gap)
            )
        if not found:
            break
        draft = merged(draft, found)
    return left_out(draft, coverage.uncovered(speech, draft))
