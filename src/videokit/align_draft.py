"""Rough times for corrected text from the machine draft, before any audio is aligned.

Words that match a draft word take its time; the rest are spread over the speech between them by
length, and text the draft missed is laid on the speech that is there, from its onset. Without
audio (or an aligner) these times are the result; with them, they say where each window of the
forced alignment lies. Pure logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

import numpy as np

from .align_windows import Span
from .transcript import Word, spread_spans

# Speaking rate used only to place words the draft has nothing near (before its first word or after
# its last): a calm presenter, about 14 characters a second.
_MS_PER_CHAR = 70
# The same counted in speech only (pauses left out), and the range a measured rate is kept in:
# from fast read speech to a slow, careful presenter.
_VOICED_MS_PER_CHAR = 60
_MIN_VOICED_MS_PER_CHAR = 40
_MAX_VOICED_MS_PER_CHAR = 110


def word_key(word: str) -> str:
    """What matching compares: the word's letters and digits, case folded."""
    return "".join(c for c in word.casefold() if c.isalnum())


def spread(words: Sequence[str], start: int, end: int) -> list[Span]:
    return spread_spans([len(w) for w in words], start, end)


def anchor_to_draft(
    draft_words: Sequence[Word],
    new_words: Sequence[str],
    *,
    duration_ms: int | None = None,
    voiced: np.ndarray | None = None,
) -> list[Span]:
    """Rough times for ``new_words`` from the draft's words; one (start, end) per new word.

    Words are matched with difflib, ignoring case and punctuation; a matched word takes its draft
    word's time. Between matches, the unmatched new words are matched letter by letter against the
    unmatched draft words (a poor recogniser's "profæsuk" still shares letters with "Facebook"),
    and what still has no match is interpolated between its matched neighbours in proportion to its
    length. Before the first or after the last match, words get a speaking rate's worth of time.
    Starts never go backwards and every time lies in ``0..duration_ms`` (default: the end of the
    last draft word).

    With ``voiced`` (:func:`videokit.align_pauses.speech_frames` of the audio) time is counted in
    speech only: words are spread over the sound between their anchors, never into a pause, and
    text the draft missed before its first word (or after its last) is laid on the speech that is
    there, from the speech's onset, instead of a guessed speaking rate back from the first anchor.
    """
    if not new_words:
        return []
    draft = [
        w for w in draft_words if word_key(w.text)
    ]  # punctuation alone carries nothing to match
    hi = duration_ms if duration_ms is not None else max((w.end_ms for w in draft), default=0)
    if not draft:
        if voiced is not None and voiced.any():
            onset, end = (
                int(np.argmax(voiced)) * 10,
                (len(voiced) - int(np.argmax(voiced[::-1]))) * 10,
            )
            return monotonic(spread(new_words, onset, min(hi, end)), hi)
        return monotonic(spread(new_words, 0, hi), hi)
    a = [word_key(w.text) for w in draft]
    b = [word_key(w) for w in new_words]
    # Position of each new word on a line of its letters, one space between words: interpolating
    # along it spreads time in proportion to length.
    pos = [0]
    for key in b:
        pos.append(pos[-1] + len(key) + 1)
    anchors: dict[int, int] = {}
    done_a, done_b = 0, 0  # ends of the last trusted word match
    for i1, j1, size in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        # One short common word ("i", "til", "om") matches somewhere by chance and would drag a
        # whole stretch of text onto the wrong audio; only longer matches are trusted.
        if sum(len(k) for k in b[j1 : j1 + size]) < 4 and size:
            continue
        if done_a < i1 and done_b < j1:  # both have words here: the stretch is theirs
            if done_a == 0:
                anchors.setdefault(0, draft[0].start_ms)
            if size == 0:  # the end
                anchors.setdefault(pos[-1] - 1, draft[-1].end_ms)
            _letter_anchors(draft[done_a:i1], b[done_b:j1], pos[done_b], anchors)
        for k in range(size):
            anchors.setdefault(pos[j1 + k], draft[i1 + k].start_ms)
            anchors[pos[j1 + k] + len(b[j1 + k])] = draft[i1 + k].end_ms
        done_a, done_b = i1 + size, j1 + size
    if not anchors:  # nothing in common at all: the draft's speech span, evenly
        anchors = {0: draft[0].start_ms, pos[-1] - 1: max(w.end_ms for w in draft)}
    if voiced is not None and voiced.any():
        return monotonic(_interpolate_voiced(anchors, pos, b, hi, voiced), hi)
    return monotonic(_interpolate(anchors, pos, b, hi), hi)


def _letter_anchors(
    draft: Sequence[Word], keys: Sequence[str], offset: int, anchors: dict[int, int]
) -> None:
    """Anchors from letter runs shared by unmatched draft words and unmatched new words."""
    if not draft or not keys:
        return
    times: list[int] = []  # the time of each letter (and space) of the draft words
    for w in draft:
        key = word_key(w.text)
        times.extend(w.start_ms + (w.end_ms - w.start_ms) * c // len(key) for c in range(len(key)))
        times.append(w.end_ms)
    d_line, n_line = " ".join(word_key(w.text) for w in draft), " ".join(keys)
    if len(d_line) * len(n_line) > 4_000_000:
        return  # a long stretch the draft got all wrong: proportional spreading will do
    for i, j, size in SequenceMatcher(None, d_line, n_line, autojunk=False).get_matching_blocks():
        # Two letters in common is chance, and so is a run far from where proportion puts it
        # (a short word matching its twin at the other end of the stretch).
        if size >= 3 and abs(i / len(d_line) - j / len(n_line)) <= 0.25:
            anchors.setdefault(offset + j, times[i])
            anchors.setdefault(offset + j + size, times[i + size - 1])


def _interpolate(
    anchors: dict[int, int], pos: Sequence[int], keys: Sequence[str], hi: int
) -> list[Span]:
    xs = sorted(anchors)
    # Anchors from letter matches can disagree with their neighbours; time never runs backwards.
    ys = np.maximum.accumulate(np.array([anchors[x] for x in xs], dtype=np.float64))

    def at(x: int) -> int:
        if x < xs[0]:  # before the first anchor: a speaking rate back from it
            return max(0, round(float(ys[0]) - (xs[0] - x) * _MS_PER_CHAR))
        if x > xs[-1]:
            return min(hi, round(float(ys[-1]) + (x - xs[-1]) * _MS_PER_CHAR))
        return round(float(np.interp(x, xs, ys)))

    return [(at(p), at(p + len(k))) for p, k in zip(pos, keys, strict=False)]


def _interpolate_voiced(
    anchors: dict[int, int], pos: Sequence[int], keys: Sequence[str], hi: int, voiced: np.ndarray
) -> list[Span]:
    """:func:`_interpolate` on a clock that only runs while there is sound.

    ``clock[f]`` is the speech (in ms) before frame ``f``; a pause is a flat stretch of it, so a
    word interpolated between two anchors lands on speech. Text before the first anchor runs back
    from it at the rate measured between the anchors; when the speech before the first anchor is
    not much more than that text needs, all of it is this text's (the recogniser missed it) and the
    text starts at the speech onset. Text after the last anchor is treated the same way.
    """
    clock = np.concatenate([[0.0], np.cumsum(voiced.astype(np.float64) * 10)])
    total = float(clock[-1])
    xs = sorted(anchors)
    ys = np.maximum.accumulate(np.array([anchors[x] for x in xs], dtype=np.float64))
    vs = clock[np.clip((ys // 10).astype(int), 0, len(voiced))]
    if xs[-1] - xs[0] >= 40 and vs[-1] > vs[0]:
        rate = min(
            _MAX_VOICED_MS_PER_CHAR,
            max(_MIN_VOICED_MS_PER_CHAR, float(vs[-1] - vs[0]) / (xs[-1] - xs[0])),
        )
    else:
        rate = float(_VOICED_MS_PER_CHAR)
    lead_chars, tail_chars = xs[0], pos[-1] - 1 - xs[-1]
    # Speech before the first anchor that this text could plausibly fill: all of it is the text's.
    lead_all = vs[0] <= _MAX_VOICED_MS_PER_CHAR * lead_chars
    tail_all = total - vs[-1] <= _MAX_VOICED_MS_PER_CHAR * tail_chars

    def voiced_at(x: int) -> float:
        if x < xs[0]:
            if lead_all:
                return float(vs[0]) * x / max(1, xs[0])
            return max(0.0, float(vs[0]) - (xs[0] - x) * rate)
        if x > xs[-1]:
            if tail_all:
                return float(vs[-1]) + (total - float(vs[-1])) * (x - xs[-1]) / max(1, tail_chars)
            return min(total, float(vs[-1]) + (x - xs[-1]) * rate)
        return float(np.interp(x, xs, vs))

    def start_at(v: float) -> int:
        # The last frame with this much speech before it: the onset after a pause, not its start.
        return min(hi, int(np.searchsorted(clock, v, side="right") - 1) * 10)

    def end_at(v: float) -> int:
        return min(hi, int(np.searchsorted(clock, v, side="left")) * 10)

    out: list[Span] = []
    for p, k in zip(pos, keys, strict=False):
        a, b = voiced_at(p), voiced_at(p + len(k))
        out.append((start_at(a), max(start_at(a), end_at(b))))
    return out


def monotonic(times: Sequence[Span], hi: int) -> list[Span]:
    """Clamp into ``0..hi``, starts never backwards, ends never before starts."""
    out: list[Span] = []
    floor = 0
    for start, end in times:
        s = min(max(start, floor), hi)
        out.append((s, min(max(end, s), hi)))
        floor = s
    return out


def voiced_rate(runs: Sequence[Span], words: Sequence[str]) -> float:
    """Milliseconds of speech per character of the text, kept in a plausible range."""
    speech = sum(b - a for a, b in runs)
    chars = sum(len(w) + 1 for w in words)
    return min(_MAX_VOICED_MS_PER_CHAR, max(_MIN_VOICED_MS_PER_CHAR, speech / max(1, chars)))
