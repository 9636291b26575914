"""Reading time from the pauses around a cue: before a cue is called too fast. Pure logic.

Read Danish is often faster than the 17 characters a second a viewer is asked to read. A verbatim
cue of fast speech can still stay readable when it uses the silence around its words: it may
appear a little before its first word and stay a little after its last. How far is set by the
norms (NORMS.md):

- **linger** (after the last word): at most ``norms.max_linger_ms`` (500 ms, about 12 frames at
  25 fps: "may linger up to ~12 frames after");
- **lead** (before the first word): at most :data:`MAX_LEAD_MS`, 100 ms: captions are "in time
  within ~3 frames of speech" (120 ms at 25 fps), and EN 301 549 asks for within 100 ms of the
  audio, the stricter of the two;
- **gap**: never closer than ``norms.min_gap_ms`` to the cue before or after;
- never longer than ``norms.max_duration_ms``, never past the end of the video.

Both limits stay far below the 1.5 s that captions may never lead or hang by. A cue that still
cannot reach the reading speed keeps the time it has and is reported, with its rate, by the
norm checker.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from .norms import DEFAULT_NORMS, CaptionNorms
from .transcript import Cue, Word

MAX_LEAD_MS = 100


def words_per_cue(cues: Sequence[Cue], words: Sequence[Word]) -> list[list[Word]]:
    """The spoken words of each cue: those that start between its start and the next cue's.

    Cues lay out words in order and start on their first word, so start times are enough to
    tell which words a cue shows; words without text are left out.
    """
    out: list[list[Word]] = [[] for _ in cues]
    if not cues:
        return out
    i = 0
    for w in words:
        if not w.text.strip() or w.start_ms < cues[0].start_ms:
            if w.text.strip():
                out[0].append(w)
            continue
        while i + 1 < len(cues) and w.start_ms >= cues[i + 1].start_ms:
            i += 1
        out[i].append(w)
    return out


def cue_word_ranges(cues: Sequence[Cue], words: Sequence[Word]) -> list[tuple[int, int]]:
    """Per cue, the range ``[first, end)`` of indices into ``words`` it stands for: the verbatim
    link of a published cue (condensed or not) to what was said. Every word belongs to exactly
    one cue (the last one starting at or before it; the first cue for words before any), so the
    ranges are in order and together cover all of ``words``. A cue with no word gets an empty
    range."""
    if not cues:
        return []
    firsts = [0] + [len(words)] * (len(cues) - 1)
    i = 0
    for k, w in enumerate(words):
        while i + 1 < len(cues) and w.start_ms >= cues[i + 1].start_ms:
            i += 1
            firsts[i] = k
    return list(zip(firsts, [*firsts[1:], len(words)], strict=True))


def spoken_only(
    cues: Sequence[Cue], words: Sequence[Word], norms: CaptionNorms = DEFAULT_NORMS
) -> list[Cue]:
    """``cues`` on screen only while their words are spoken (first word's start to last word's
    end, and ``min_gap_ms`` before the next cue's first word): the timing before any pause is
    used, to measure what :func:`use_pauses` adds. A cue with no word behind it keeps its times."""
    spans: list[tuple[int, int] | None] = []
    for spoken in words_per_cue(cues, words):
        first = min((w.start_ms for w in spoken), default=None)
        last = max((w.end_ms for w in spoken), default=None)
        spans.append(None if first is None or last is None else (first, last))
    out: list[Cue] = []
    for i, (cue, span) in enumerate(zip(cues, spans, strict=True)):
        if span is None:
            out.append(cue)
            continue
        start, end = span
        following = next((s for s in spans[i + 1 :] if s is not None), None)
        if following is not None:
            end = min(end, following[0] - norms.min_gap_ms)
        out.append(replace(cue, start_ms=start, end_ms=max(start + 1, end)))
    return out


def use_pauses(
    cues: Sequence[Cue],
    words: Sequence[Word],
    norms: CaptionNorms = DEFAULT_NORMS,
    *,
    until_ms: int | None = None,
    max_lead_ms: int = MAX_LEAD_MS,
) -> list[Cue]:
    """``cues`` with each too-fast cue lengthened into the pauses around its words.

    A cue that needs more time than it has (reading speed, minimum duration) first ends later, up
    to ``max_linger_ms`` after its last word, then starts earlier, up to ``max_lead_ms`` before its
    first word, in each case only as far as it needs, and never closer than ``min_gap_ms`` to its
    neighbours. ``until_ms`` is the end of the video. Cues that have enough time are unchanged;
    text and order never change.
    """
    spoken = words_per_cue(cues, words)
    out: list[Cue] = []
    for i, cue in enumerate(cues):
        need = max(norms.min_duration_ms, math.ceil(cue.chars * 1000 / norms.max_cps))
        if cue.duration_ms >= need or not spoken[i]:
            out.append(cue)
            continue
        first = min(cue.start_ms, min(w.start_ms for w in spoken[i]))
        last = max(w.end_ms for w in spoken[i])
        latest = min(last + norms.max_linger_ms, cue.start_ms + norms.max_duration_ms)
        if i + 1 < len(cues):
            latest = min(latest, cues[i + 1].start_ms - norms.min_gap_ms)
        if until_ms:
            latest = min(latest, until_ms)
        end = max(cue.end_ms, min(cue.start_ms + need, latest))
        earliest = max(0, first - max_lead_ms, end - norms.max_duration_ms)
        if out:
            earliest = max(earliest, out[-1].end_ms + norms.min_gap_ms)
        start = min(cue.start_ms, max(earliest, end - need))
        out.append(replace(cue, start_ms=start, end_ms=end))
    return out
