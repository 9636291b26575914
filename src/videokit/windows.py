"""Cutting a recording into decoding windows of at most 30 s, at pauses.

Whisper reads 30 s at a time. Decoding windows side by side in a batch needs the cuts decided
before decoding starts, so they are made where the speaker pauses (a quiet stretch in the audio's
level, by :data:`videokit.speech.DECODING`), never inside a word. Long silences are left out of
every window: nothing is decoded there, which is also where Whisper invents text.

Pure logic on a list of frame levels (dBFS), so it is tested without audio or a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import speech
from .speech import DECODING, UNREAD, SpeechPolicy

MAX_WINDOW_MS = 30_000


@dataclass(frozen=True)
class Pauses:
    """How speech is told from silence (by ``level``, and by a speech detector's probabilities
    with ``detector``) and where windows may be cut."""

    level: SpeechPolicy = DECODING
    detector: SpeechPolicy = UNREAD
    # A pause at least this long ends a window even when the next speech would fit: Whisper
    # reading over a long silence is where it hallucinates.
    split_ms: int = 2_000
    max_ms: int = MAX_WINDOW_MS
    # A stretch this long in which the speech detector hears no speech is not decoded at all:
    # Whisper reads room noise, hum or music as made-up text, slowly. Shorter stretches are left
    # to the level test: a wrong call there would cut into speech.
    unread_ms: int = 10_000
    # Sound kept in the decoded part on each side of such a stretch: the detector finds a soft
    # onset up to a few hundred ms late, and a second of noise costs Whisper nothing.
    unread_margin_ms: int = 1_000

    def __post_init__(self) -> None:
        if self.max_ms < 4 * self.frame_ms:
            raise ValueError("windows need max_ms of several frames")

    @property
    def frame_ms(self) -> int:
        """The frame the levels are given in."""
        return self.level.frame


DEFAULT_PAUSES = Pauses()


def unread_stretches(
    probabilities: Sequence[float], frame_ms: int, pauses: Pauses = DEFAULT_PAUSES
) -> list[tuple[int, int]]:
    """Stretches ``(start_ms, end_ms)`` of at least ``unread_ms`` without speech, from a speech
    detector's probability per frame of ``frame_ms``.

    Each stretch leaves ``unread_margin_ms`` at both ends (but not at the recording's ends) to
    the decoded part, so a soft word at its edge is not lost.
    """
    need, pad = pauses.unread_ms, pauses.unread_margin_ms
    total = len(probabilities) * frame_ms
    said = speech.stretches(
        speech.detected(probabilities, pauses.detector), pauses.detector, frame_ms
    )
    out: list[tuple[int, int]] = []
    for a, b in speech.gaps(said, total):
        a, b = a + (pad if a else 0), b - (pad if b < total else 0)
        if b - a >= need:
            out.append((a, b))
    return out


def _masked(
    levels: Sequence[float], unread: Sequence[tuple[int, int]], frame_ms: int
) -> list[float]:
    out = list(levels)
    for a, b in unread:
        out[a // frame_ms : b // frame_ms] = [-math.inf] * len(out[a // frame_ms : b // frame_ms])
    return out


def _quietest_cut(levels: Sequence[float], a: int, b: int, max_frames: int) -> int:
    """Where to cut a span longer than a window: the quietest frame of its second half."""
    lo, hi = a + max_frames // 2, a + max_frames
    best = min(range(lo, hi), key=lambda k: (levels[k], -k))  # ties: the later, fuller window
    return max(best, a + 1)


def windows(
    levels: Sequence[float],
    pauses: Pauses = DEFAULT_PAUSES,
    unread: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Decoding windows as ``(start_ms, end_ms)``: ordered, disjoint, each at most ``max_ms``.

    Every speech frame lies in exactly one window. Speech is packed greedily into a window until
    the next stretch would overflow it or follows a long pause; a stretch longer than a window
    (no pause for 30 s) is cut at its quietest moment. Nothing in ``unread`` (see
    :func:`unread_stretches`) is in any window.
    """
    # The threshold comes from the whole recording: without the unread stretches' quiet frames
    # the floor would rise, and soft speech elsewhere would fall out of every window.
    limit = speech.threshold(levels, pauses.level)
    if unread:
        levels = _masked(levels, unread, pauses.frame_ms)
    f = pauses.frame_ms
    said = speech.stretches(speech.voiced(levels, pauses.level, limit), pauses.level)
    max_frames = pauses.max_ms // f
    split = pauses.split_ms // f
    out: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for a, b in ((a // f, b // f) for a, b in said):
        while b - a > max_frames:  # speech without a pause: cut it at a quiet moment
            if current is not None:
                out.append(current)
                current = None
            cut = _quietest_cut(levels, a, b, max_frames)
            out.append((a, cut))
            a = cut
        if current is not None and (b - current[0] > max_frames or a - current[1] >= split):
            out.append(current)
            current = None
        current = (a, b) if current is None else (current[0], b)
    if current is not None:
        out.append(current)
    return [(a * f, b * f) for a, b in out]


# Lanes of at least this many windows, for more context at the cost of a smaller batch. Measured
# on the samples (bench/asr.py, base, CPU): 3 instead of 1 took 15 % longer and read no better.
MIN_LANE_WINDOWS = 1


def lanes(
    counts: Sequence[int],
    conditioned: Sequence[bool],
    target: int,
    min_windows: int = MIN_LANE_WINDOWS,
) -> list[list[int]]:
    """How many lanes each recording's windows are read in, and how many windows each lane holds.

    A lane is a run of consecutive windows of one recording, read one after the other so each
    window is decoded knowing the text before it (Whisper's ``condition_on_previous_text``);
    lanes side by side make the batch. About ``target`` lanes in all (the batch size), shared
    out by window count, each recording at least one, and no more than leave each lane
    ``min_windows`` (the first window of a lane is read without context); lanes of one recording
    differ by at most one window. A recording that is not ``conditioned`` has every window in a
    lane of its own.

    Returns, per recording, its lanes' window counts in order (summing to its count).
    """
    if len(counts) != len(conditioned):
        raise ValueError("one 'conditioned' per recording")
    total = sum(n for n, c in zip(counts, conditioned) if c)
    out: list[list[int]] = []
    for n, cond in zip(counts, conditioned):
        if n <= 0:
            out.append([])
            continue
        if cond:
            share = round(max(1, target) * n / total)
            k = max(1, min(n, share, n // max(1, min_windows)))
        else:
            k = n
        base, extra = divmod(n, k)
        out.append([base + 1] * extra + [base] * (k - extra))
    return out
