"""Which stretches of detected speech a draft has no segment for.

The known failure of batched Whisper is silent: a window's text stops early and the rest of the
window is never read (faster-whisper's batched pipeline has the same report). The speech detector
(:mod:`videokit.vad`) hears speech independently of the recogniser, so a detected stretch that no
segment overlaps is speech the draft left out. Pure logic on times; the caller asks the detector.
"""

from __future__ import annotations

from collections.abc import Sequence

from .transcript import Transcript
from .windows import DEFAULT_PAUSES

MIN_SPEECH_MS = 300  # shorter detections are clicks and breaths as often as words
BRIDGE_MS = 500  # pauses within a sentence do not split it


def detected_speech(
    probabilities: Sequence[float],
    frame_ms: int,
    threshold: float = DEFAULT_PAUSES.speech_probability,
) -> list[tuple[int, int]]:
    """Stretches ``(start_ms, end_ms)`` the detector calls speech, short pauses bridged."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, p in enumerate([*probabilities, 0.0]):
        speech = i < len(probabilities) and p >= threshold
        if speech and start is None:
            start = i
        elif not speech and start is not None:
            a, b = start * frame_ms, i * frame_ms
            if spans and a - spans[-1][1] <= BRIDGE_MS:
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
            start = None
    return [(a, b) for a, b in spans if b - a >= MIN_SPEECH_MS]


def uncovered(speech: Sequence[tuple[int, int]], transcript: Transcript) -> list[tuple[int, int]]:
    """The parts of detected ``speech`` that lie outside every segment of ``transcript``, in
    order (a stretch read half-way is reported for its other half)."""
    covered = sorted((s.start_ms, s.end_ms) for s in transcript.segments)
    out: list[tuple[int, int]] = []
    for a, b in speech:
        at = a
        for s, e in covered:
            if e <= at or s >= b:
                continue
            if s - at >= MIN_SPEECH_MS:
                out.append((at, s))
            at = max(at, e)
        if b - at >= MIN_SPEECH_MS:
            out.append((at, b))
    return out
