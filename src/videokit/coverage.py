"""Which stretches of detected speech a draft has no segment for.

The known failure of batched Whisper is silent: a window's text stops early and the rest of the
window is never read (faster-whisper's batched pipeline has the same report). The speech detector
(:mod:`videokit.vad`) hears speech independently of the recogniser, so a detected stretch that no
segment overlaps is speech the draft left out. Pure logic on times; the caller asks the detector.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import speech
from .speech import COVERAGE, SpeechPolicy
from .transcript import Transcript

MIN_SPEECH_MS = COVERAGE.min_speech_ms


def detected_speech(
    probabilities: Sequence[float], frame_ms: int, policy: SpeechPolicy = COVERAGE
) -> list[tuple[int, int]]:
    """Stretches ``(start_ms, end_ms)`` the detector calls speech, short pauses bridged
    (:data:`videokit.speech.COVERAGE`)."""
    return speech.stretches(speech.detected(probabilities, policy), policy, frame_ms)


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
