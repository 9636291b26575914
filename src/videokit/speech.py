"""Is this speech? One level measure, one threshold rule, and the policy each use keeps.

Several steps ask the question, and each needs a different answer to it: the decoding windows must
never cut a soft word off (so they call a lot speech), the alignment must find the pauses between
sentences even under a music bed, the hallucination guard must only take text out over silence,
and a sound track with nothing on it at all is refused before Whisper reads it. Each asks with its
own :class:`SpeechPolicy`, defined here side by side, so the differences are visible and named.

A frame is speech when its level (:func:`levels_dbfs`, dBFS) is above the policy's
:func:`threshold`: an absolute floor, or a bar set from the recording itself (over its quiet
frames, within reach of its loud ones), so room tone or hum is not speech and a quiet recording is
not all silence. Speech frames become stretches (:func:`stretches`): clicks shorter than
``min_sound_ms`` dropped, ``pad_ms`` kept around each, gaps shorter than ``min_gap_ms`` bridged,
stretches shorter than ``min_speech_ms`` dropped. A speech detector's probabilities
(:mod:`videokit.vad`) become frames by ``min_probability`` and stretches the same way.

Pure logic on samples and numbers (numpy); decoding audio is :mod:`videokit.media`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from .audio import SAMPLE_RATE

Span = tuple[int, int]
"""A stretch of the recording, (start_ms, end_ms)."""

Measure = Literal["peak", "rms"]

QUIET_PERCENTILE = 10  # the quiet reference: room tone, a noise or music bed under the voice
_POWER_FLOOR = 1e-12  # RMS of digital silence: -120 dBFS, so percentiles stay finite


@dataclass(frozen=True)
class SpeechPolicy:
    """When a frame of audio is speech, and how speech frames make stretches.

    The bar is ``max(floor_dbfs, loud - below_loud_db, min(quiet + above_quiet_db, loud -
    quiet_cap_db))``, and never above ``loud - headroom_db`` once ``loud`` reaches
    ``headroom_from_dbfs``, each relative term left out when its parameter is None; ``quiet`` is the
    recording's 10th percentile of frame level, ``loud`` its ``loud_percentile`` (ranked, or
    ``interpolated`` between frames as numpy does).
    """

    # The frame the level is measured over; None for a speech detector's probabilities, whose
    # frame the detector sets.
    frame_ms: int | None = None
    measure: Measure = "peak"
    floor_dbfs: float = -math.inf  # never speech at or below this level
    above_quiet_db: float | None = None  # speech stands this far over the quiet frames ...
    quiet_cap_db: float | None = None  # ... but that bar never comes closer than this to the loud
    below_loud_db: float | None = None  # speech is never further than this below the loud frames
    headroom_db: float | None = None  # whatever the floor, frames this close to the loud are speech
    headroom_from_dbfs: float = -math.inf  # ... in a recording whose loud frames reach this
    loud_percentile: float = 100.0
    interpolated: bool = False
    min_probability: float = 0.5  # a detector's probability from which a frame is speech
    min_sound_ms: int = 0  # sound shorter than this (a click, a breath) is not speech
    pad_ms: int = 0  # kept on both sides of speech, so a soft word edge is not cut off
    min_gap_ms: int = 0  # a gap shorter than this lies inside the speech around it
    min_speech_ms: int = 0  # a stretch shorter than this (once gaps are bridged) is dropped

    def __post_init__(self) -> None:
        if self.frame_ms is not None and self.frame_ms <= 0:
            raise ValueError("a speech policy's frame_ms must be positive")
        if min(self.min_sound_ms, self.pad_ms, self.min_gap_ms, self.min_speech_ms) < 0:
            raise ValueError("a speech policy's lengths cannot be negative")

    @property
    def frame(self) -> int:
        """``frame_ms`` of a policy that measures levels."""
        if self.frame_ms is None:
            raise ValueError("this policy reads a speech detector's probabilities, not levels")
        return self.frame_ms

    @property
    def relative(self) -> bool:
        """Whether the bar depends on the recording (else it is ``floor_dbfs`` alone)."""
        return (
            self.above_quiet_db is not None
            or self.below_loud_db is not None
            or self.headroom_db is not None
        )


# -- the policy of each use ------------------------------------------------------------------------

# Decoding windows (videokit.windows): 20 ms peaks. Calls much speech: a word left out of every
# window is lost, a second of silence in one costs nothing. Within 20 dB of the loudest frame is
# speech whatever the quiet floor, so hum cannot hide it; gaps up to 300 ms (15 frames, so
# anything under 320 ms) are inside a sentence.
DECODING = SpeechPolicy(
    frame_ms=20,
    floor_dbfs=-55.0,
    above_quiet_db=8.0,
    quiet_cap_db=20.0,
    pad_ms=200,
    min_gap_ms=320,
)
# The studio's timeline (videokit.timeline) draws what decoding hears: cue edges snap to it.
TIMELINE = DECODING
# The speech detector's frames (silero VAD) that may be speech; a long stretch without one is not
# decoded at all (videokit.windows.unread_stretches). Below silero's own 0.5, so that unsure
# frames are decoded rather than skipped.
UNREAD = SpeechPolicy(min_probability=0.3)
# Detected speech a draft has no segment for (videokit.coverage): shorter detections are clicks
# and breaths as often as words; pauses within a sentence do not split it.
COVERAGE = replace(UNREAD, min_gap_ms=500, min_speech_ms=300)
# Forced alignment (videokit.align_pauses): 10 ms RMS frames, whose arithmetic the alignment
# assumes. The loud reference is the 99th percentile, so one click does not make the whole video
# silent; -70 dBFS keeps digital silence silent; the quiet reference matters when the pauses are
# not silent, and is never allowed closer than 18 dB to the loud frames, so speech with hardly a
# pause in it keeps its quieter sounds. A silence of 200 ms parts two stretches no word spans
# (read Danish pauses about 0.2 s at a comma, 0.4-1 s between sentences; stops inside a word are
# shorter), and sound under 60 ms inside it does not end it.
ALIGNMENT = SpeechPolicy(
    frame_ms=10,
    measure="rms",
    floor_dbfs=-70.0,
    above_quiet_db=5.0,
    quiet_cap_db=18.0,
    below_loud_db=35.0,
    loud_percentile=99.0,
    interpolated=True,
    min_sound_ms=60,
    min_gap_ms=200,
)
# A sound track is silent (refused before Whisper reads it) when nothing in it reaches -50 dBFS.
SILENT_TRACK = SpeechPolicy(frame_ms=100, floor_dbfs=-50.0)
# The hallucination guard (videokit.guard): text over 100 ms windows that all peak under -45 dBFS
# lies over silence: cutting a real word is worse than keeping a stray one. A track recorded too
# quietly for that (its loudest window under -25 dBFS), but not so quietly that it is refused as
# silent, has the bar 20 dB under its loudest window instead, or the guard would remove its
# whole draft.
GUARD = SpeechPolicy(
    frame_ms=100, floor_dbfs=-45.0, headroom_db=20.0, headroom_from_dbfs=SILENT_TRACK.floor_dbfs
)


# -- levels ----------------------------------------------------------------------------------------


def peak_dbfs(samples: np.ndarray) -> float:
    """Loudest sample relative to full scale; -inf for digital silence."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 20 * float(np.log10(peak)) if peak > 0 else float("-inf")


def levels_dbfs(samples: np.ndarray, frame_ms: int, measure: Measure = "peak") -> np.ndarray:
    """The level of each consecutive frame of 16 kHz ``samples``, in dBFS.

    ``peak``: the loudest sample, -inf for digital silence, a short frame at the end included
    (a click there is heard). ``rms``: the root mean square of each whole frame, digital silence
    at -120 dBFS.
    """
    size = max(1, SAMPLE_RATE * frame_ms // 1000)
    if measure == "rms":
        n = len(samples) // size
        frames = np.asarray(samples[: n * size], dtype=np.float64).reshape(n, size)
        return np.asarray(10 * np.log10(np.mean(frames * frames, axis=1) + _POWER_FLOOR))
    count = -(-len(samples) // size)
    padded = np.zeros(count * size, dtype=np.float32)
    padded[: len(samples)] = np.abs(samples)
    with np.errstate(divide="ignore"):
        return np.asarray(20 * np.log10(padded.reshape(count, size).max(axis=1)), np.float64)


def levels(samples: np.ndarray, policy: SpeechPolicy) -> np.ndarray:
    """:func:`levels_dbfs` as ``policy`` measures them."""
    return levels_dbfs(samples, policy.frame, policy.measure)


# -- the threshold ---------------------------------------------------------------------------------


def _reference(ordered: np.ndarray, percentile: float, interpolated: bool) -> float:
    if interpolated:
        return float(np.percentile(ordered, percentile))
    return float(ordered[min(len(ordered) - 1, int(len(ordered) * percentile // 100))])


def threshold(frame_levels: Sequence[float] | np.ndarray, policy: SpeechPolicy) -> float:
    """The level speech must exceed in this recording; +inf when it is digital silence throughout
    and the bar is relative (nothing to measure it by)."""
    if not policy.relative:
        return policy.floor_dbfs
    values = np.asarray(frame_levels, dtype=np.float64)
    ordered = np.sort(values[np.isfinite(values)])
    if not ordered.size:
        return math.inf
    loud = _reference(ordered, policy.loud_percentile, policy.interpolated)
    bar = policy.floor_dbfs
    if policy.below_loud_db is not None:
        bar = max(bar, loud - policy.below_loud_db)
    if policy.above_quiet_db is not None:
        quiet = _reference(ordered, QUIET_PERCENTILE, policy.interpolated)
        over_quiet = quiet + policy.above_quiet_db
        if policy.quiet_cap_db is not None:
            over_quiet = min(over_quiet, loud - policy.quiet_cap_db)
        bar = max(bar, over_quiet)
    if policy.headroom_db is not None and loud >= policy.headroom_from_dbfs:
        bar = min(bar, loud - policy.headroom_db)
    return bar


def voiced(
    frame_levels: Sequence[float] | np.ndarray, policy: SpeechPolicy, limit: float | None = None
) -> np.ndarray:
    """Per frame: is it speech? ``limit`` overrides the recording's :func:`threshold`."""
    values = np.asarray(frame_levels, dtype=np.float64)
    bar = threshold(values, policy) if limit is None else limit
    return np.asarray(values > bar, dtype=bool)


def frames(samples: np.ndarray, policy: SpeechPolicy) -> np.ndarray:
    """Per frame of ``samples`` as ``policy`` measures them: is it speech?"""
    return voiced(levels(samples, policy), policy)


def detected(probabilities: Sequence[float], policy: SpeechPolicy) -> np.ndarray:
    """Per frame of a speech detector: is it speech (probability at least ``min_probability``)?"""
    return np.asarray(np.asarray(probabilities, dtype=np.float64) >= policy.min_probability)


def silent(samples: np.ndarray, policy: SpeechPolicy = SILENT_TRACK) -> bool:
    """Whether ``samples`` hold no speech at all under ``policy``."""
    return not bool(frames(samples, policy).any())


# -- stretches -------------------------------------------------------------------------------------


def runs(mask: Sequence[bool] | np.ndarray) -> list[Span]:
    """Frame ranges ``[a, b)`` where ``mask`` holds, in order."""
    flags = np.asarray(mask, dtype=np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags, [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def stretches(
    mask: Sequence[bool] | np.ndarray, policy: SpeechPolicy, frame_ms: int | None = None
) -> list[Span]:
    """Stretches of speech ``(start_ms, end_ms)`` from per-frame speech ``mask``, as ``policy``
    makes them: sorted, disjoint, inside ``0..len(mask) * frame_ms``.

    ``frame_ms`` (default: the policy's) is the length of one frame of ``mask``.
    """
    f = frame_ms if frame_ms is not None else policy.frame_ms
    if f is None or f <= 0:
        raise ValueError("stretches need the frame length")
    total = len(mask) * f
    out: list[Span] = []
    for a, b in runs(mask):
        if (b - a) * f < policy.min_sound_ms:
            continue
        start, end = max(0, a * f - policy.pad_ms), min(total, b * f + policy.pad_ms)
        if out and start - out[-1][1] < max(1, policy.min_gap_ms):  # padded ones may touch
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return [(a, b) for a, b in out if b - a >= policy.min_speech_ms]


def gaps(spans: Sequence[Span], total_ms: int, min_ms: int = 1) -> list[Span]:
    """The stretches of ``0..total_ms`` outside ``spans`` (sorted, disjoint) of at least ``min_ms``,
    the recording's edges included."""
    bounds = [0, *(t for span in spans for t in span), total_ms]
    return [
        (a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if b - a >= max(1, min_ms)
    ]
