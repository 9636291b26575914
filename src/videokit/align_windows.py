"""Windows of audio for forced alignment: at most 30 s and a decoder's worth of text each.

Whisper sees 30 s of audio at a time and its decoder holds 448 tokens, so a text is aligned in
windows (:func:`plan_windows`), cut from its rough times (:mod:`videokit.align_draft`). Each window
has a few context words at its edges whose times are thrown away: forced alignment gives the first
and last words of a window whatever audio lies at its edge. An :data:`Aligner` forces the words
onto each window's audio; ``WhisperASR.align`` is one. It is passed in rather than imported, so
the alignment stays free of torch. Pure logic.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np

from .sentences import ends_sentence

Span = tuple[int, int]
"""A word's (start_ms, end_ms)."""

MAX_WINDOW_MS = 30_000  # Whisper sees 30 s of audio at a time
# Rough times can be off by a second or two (the draft of a poor recogniser); the margin keeps a
# window's words inside its audio anyway.
MARGIN_MS = 2_000
# Whisper's decoder holds 448 tokens; Danish runs about 3-4 characters a token.
MAX_WINDOW_CHARS = 900


@dataclass(frozen=True)
class Window:
    """A stretch of audio and the words to force onto it.

    ``words`` are the words of the text from index ``first`` on; only ``words[keep_from:keep_to]``
    (the core) take their times from this window, the others are context that absorbs the edges.
    """

    start_ms: int
    end_ms: int
    first: int
    words: tuple[str, ...]
    keep_from: int
    keep_to: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_ms <= self.end_ms:
            raise ValueError(f"window has an impossible span {self.start_ms}..{self.end_ms} ms")
        if not 0 <= self.keep_from <= self.keep_to <= len(self.words):
            raise ValueError(f"window core {self.keep_from}..{self.keep_to} outside its words")

    @property
    def core(self) -> range:
        """Indices (into the whole text) of the words this window times."""
        return range(self.first + self.keep_from, self.first + self.keep_to)


Aligner = Callable[[np.ndarray, Sequence[Window]], Sequence[Sequence[Span] | None]]
"""Times for every word of every window (absolute ms), or None for a window it could not align."""


def plan_windows(
    approx_times: Sequence[Span],
    words: Sequence[str],
    *,
    max_window_ms: int = MAX_WINDOW_MS,
    margin_ms: int = MARGIN_MS,
    max_chars: int = MAX_WINDOW_CHARS,
    duration_ms: int | None = None,
    breaks: Collection[int] = (),
) -> list[Window]:
    """Group consecutive words into audio windows of at most ``max_window_ms``.

    Each window's core runs from its first word's rough start to its last word's rough end, widened
    by ``margin_ms`` either side (clipped to ``0..duration_ms``). Cores are as long as fit; a core
    that must end early ends after the last sentence in it, or failing one in its second half,
    before the last line break of the text in ``breaks`` (word indices), or at the widest pause.
    Words whose rough time touches the margins go with the window as context.
    The cores cover every word exactly once, in order.
    """
    if len(approx_times) != len(words):
        raise ValueError(f"{len(approx_times)} times for {len(words)} words")
    n = len(words)
    hi = duration_ms if duration_ms is not None else max((e for _, e in approx_times), default=0)
    hi += margin_ms if duration_ms is None else 0
    budget = max(1, max_window_ms - 2 * margin_ms)
    windows: list[Window] = []
    i = 0
    while i < n:
        start = approx_times[i][0]
        chars = len(words[i]) + 1
        j = i + 1
        while j < n:
            chars += len(words[j]) + 1
            if approx_times[j][1] - start > budget or chars > max_chars:
                break
            j += 1
        if j < n:
            j = _best_break(approx_times, words, i, j, breaks)
        a_ms = max(0, start - margin_ms)
        b_ms = min(hi, max(approx_times[k][1] for k in range(i, j)) + margin_ms)
        b_ms = max(a_ms, min(b_ms, a_ms + max_window_ms))  # one very long rough word
        a = i
        while a > 0 and approx_times[a - 1][1] > a_ms and i - a < 8:
            a -= 1
        b = j
        while b < n and approx_times[b][0] < b_ms and b - j < 8:
            b += 1
        windows.append(Window(a_ms, b_ms, a, tuple(words[a:b]), i - a, j - a))
        i = j
    return windows


def _best_break(
    times: Sequence[Span], words: Sequence[str], i: int, j: int, breaks: Collection[int] = ()
) -> int:
    """Where to end a core that starts at ``i`` and may run to ``j`` (exclusive, ``j > i``)."""
    half = i + (j - i) // 2
    for k in range(j, half, -1):
        if ends_sentence(words[k - 1], words[k] if k < len(words) else None):
            return k
    for k in range(j, half, -1):
        if k in breaks:
            return k
    if j - i < 2:
        return j
    return max(range(i + 1, j + 1), key=lambda k: (times[k][0] - times[k - 1][1], k))
