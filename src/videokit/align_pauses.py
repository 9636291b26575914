"""The audio's pauses, for the alignment: where the speech is, and where no word can be.

A first alignment slides sentences across silences when the text has no full stops to hold on to;
the audio's pauses, not the text's punctuation, fix that (:mod:`videokit.align_runs`).
:func:`speech_frames` says per 10 ms whether there is speech (:data:`videokit.speech.ALIGNMENT`),
:func:`pauses` and :func:`speech_runs` cut the audio at its silences, and :func:`snap_to_speech`
moves word edges that lie in silence onto the speech. Pure logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from . import speech
from .align_windows import Span
from .speech import ALIGNMENT

# A silence this long parts two stretches of speech that no word spans; sound shorter than
# MIN_SOUND_MS inside it does not end it (see videokit.speech.ALIGNMENT).
PAUSE_MS = ALIGNMENT.min_gap_ms
MIN_SOUND_MS = ALIGNMENT.min_sound_ms


def speech_frames(audio: np.ndarray) -> np.ndarray:
    """Per 10 ms frame of 16 kHz ``audio``: is there speech (:data:`videokit.speech.ALIGNMENT`)?"""
    return speech.frames(audio, ALIGNMENT)


def pauses(voiced: np.ndarray, *, min_ms: int = PAUSE_MS) -> list[Span]:
    """Stretches without speech of at least ``min_ms``, the video's edges included.

    Sound shorter than :data:`MIN_SOUND_MS` inside a pause (a click, a breath, a note of the
    music bed poking through) does not end it.
    """
    said = speech.stretches(voiced, replace(ALIGNMENT, min_gap_ms=min_ms))
    return speech.gaps(said, len(voiced) * ALIGNMENT.frame, min_ms)


def speech_runs(voiced: np.ndarray, *, min_pause_ms: int = PAUSE_MS) -> list[Span]:
    """The stretches of speech between :func:`pauses`: phrases, sentences, or noise."""
    return speech.gaps(pauses(voiced, min_ms=min_pause_ms), len(voiced) * ALIGNMENT.frame)


def snap_to_speech(
    times: Sequence[Span], voiced: np.ndarray, *, reach_ms: int = 3000
) -> list[Span]:
    """Move word edges that lie in silence onto the speech next to them.

    Forced alignment hands the silence before a word to the word (its start comes early) and the
    silence after a sentence to its last word. A start in silence moves forward to the first sound,
    an end in silence back to the last, never past the word's other edge, never further than
    ``reach_ms`` and never for a word that holds no sound at all (that one is badly aligned, and
    moving it would only hide it).
    """
    out: list[Span] = []
    reach = reach_ms // 10
    n = len(voiced)
    for start, end in times:
        s, e = start // 10, end // 10
        if e <= s or s >= n or not voiced[s : min(e, n)].any():
            out.append((start, end))
            continue
        new_start, new_end = start, end
        if not voiced[s]:
            k = s + int(np.argmax(voiced[s : min(e, n)]))
            if k - s <= reach:
                new_start = k * 10
        last = min(e, n) - 1
        if e > n or not voiced[last]:
            k = last - int(np.argmax(voiced[s : last + 1][::-1]))
            if last - k <= reach:
                new_end = max(new_start, (k + 1) * 10)
        out.append((new_start, new_end))
    return out
