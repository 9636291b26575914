"""Hallucination and loop guard: takes out what Whisper made up, and says what it took. Pure logic.

Whisper learned Danish partly from subtitle files, so on silence or music it writes the credits
those files end with ("Undertekster af …"), and greedy decoding can loop on one phrase. Three
checks:

- ``credit``: a segment that is a subtitle credit line. Phrases a person might really say ("Tak
  fordi du så med") are only taken when the audio energy, if given, does not show speech there.
- ``no_speech``: a segment Whisper itself doubts twice over (high ``no_speech_prob`` *and* low
  ``avg_logprob``, Whisper's own rule), or words lying over audio without speech
  (:data:`videokit.speech.GUARD`).
- ``loop``: the same n-gram (1 to 8 words) three or more times in a row; the first stays. People
  repeat themselves too ("Hurra, hurra, hurra!", "nej, nej, nej"), so a run of at most
  ``human_max_repeats`` copies is kept unless it looks made up: its repeats lie over silence, or
  Whisper doubts them (word probability under ``loop_min_probability``, or a segment whose
  ``avg_logprob`` is under Whisper's own limit). Longer runs are always a loop.

Nothing is dropped silently: every removal comes back as a :class:`Removal` for the quality report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

from . import speech
from .speech import GUARD, SpeechPolicy
from .transcript import Segment, Transcript, Word

Reason = Literal["credit", "loop", "no_speech"]

# Lines nobody says in an expert video: subtitle credits and web addresses on their own.
_CREDIT = re.compile(
    r"""^(?:
        undertekst\w*\b | tekster\b | tekstning\b | tekstet\s+af\b | tekst\s*(?::|af\b)
      | danske\s+tekster\b | oversat\s+af\b | oversættelse\s*: | www\. | https?://
      | abonn[eé]r\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Lines a person might say at the end of a video, so only taken where the audio is quiet.
_SOFT_CREDIT = re.compile(
    r"^(?:tak\s+(?:fordi\s+(?:du|i)\s+(?:så|har\s+set|kiggede|lyttede)\s+med"
    r"|for\s+at\s+(?:se|lytte)\s+med))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\wæøå]+", re.IGNORECASE)


@dataclass(frozen=True)
class Removal:
    """Text the guard took out, where it was, and why."""

    text: str
    start_ms: int
    end_ms: int
    reason: Reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Energy:
    """Audio loudness as data: ``dbfs[k]`` is the peak level in window ``k`` of ``window_ms``;
    ``policy`` says from which level it is speech."""

    window_ms: int
    dbfs: tuple[float, ...]
    policy: SpeechPolicy = GUARD

    @cached_property
    def _bar(self) -> float:
        return speech.threshold(self.dbfs, self.policy)

    def peak(self, start_ms: int, end_ms: int) -> float | None:
        """Loudest window overlapping the span; None when the span lies outside the data."""
        if self.window_ms <= 0 or not self.dbfs:
            return None
        first = start_ms // self.window_ms
        last = max(first, (end_ms - 1) // self.window_ms)
        values = self.dbfs[first : last + 1]
        return max(values) if values else None

    def silent(self, start_ms: int, end_ms: int) -> bool | None:
        """Whether no window overlapping the span holds speech; None when the span lies outside
        the data (nothing to tell)."""
        peak = self.peak(start_ms, end_ms)
        return None if peak is None else peak <= self._bar


@dataclass(frozen=True)
class GuardSettings:
    no_speech_prob: float = 0.6  # Whisper's own defaults for its no-speech rule
    avg_logprob: float = -1.0
    # Whisper's word times drift by a few hundred ms; a word is only "over silence" if the audio
    # around it is quiet too, because cutting a real word is worse than keeping a stray one.
    energy_margin_ms: int = 250
    loop_min_repeats: int = 3
    loop_max_ngram: int = 8
    human_max_repeats: int = 3  # a run this short may be what the person said
    loop_min_probability: float = 0.5  # mean word probability under which a short run is doubted


DEFAULT_SETTINGS = GuardSettings()


def guard_transcript(
    transcript: Transcript,
    energy: Energy | None = None,
    settings: GuardSettings = DEFAULT_SETTINGS,
) -> tuple[Transcript, list[Removal]]:
    """Return ``transcript`` without hallucinated text, and what was removed, in time order."""
    removals: list[Removal] = []
    kept: list[Segment] = []
    for seg in transcript.segments:
        reason = _segment_reason(seg, energy, settings)
        if reason is not None:
            removals.append(Removal(seg.text.strip(), seg.start_ms, seg.end_ms, reason))
            continue
        if energy is not None and seg.words:
            loud = _drop_quiet_words(seg, energy, settings, removals)
            if loud is not None:
                kept.append(loud)
            continue
        kept.append(seg)
    kept = _drop_loops(kept, settings, removals, energy)
    removals.sort(key=lambda r: (r.start_ms, r.end_ms))
    return transcript.with_segments(tuple(kept)), removals


def _segment_reason(seg: Segment, energy: Energy | None, s: GuardSettings) -> Reason | None:
    text = seg.text.strip().lstrip("-–—\"'»« ")
    if _CREDIT.match(text):
        return "credit"
    silent = energy.silent(seg.start_ms, seg.end_ms) if energy is not None else None
    if _SOFT_CREDIT.match(text) and silent is not False:  # no audio to tell: taken
        return "credit"
    if seg.no_speech_prob > s.no_speech_prob and seg.avg_logprob < s.avg_logprob:
        return "no_speech"
    if silent:
        return "no_speech"
    return None


def _drop_quiet_words(
    seg: Segment, energy: Energy, s: GuardSettings, removals: list[Removal]
) -> Segment | None:
    keep: list[Word] = []
    run: list[Word] = []
    for w in seg.words:
        margin = s.energy_margin_ms
        if energy.silent(max(0, w.start_ms - margin), max(w.end_ms, w.start_ms + 1) + margin):
            run.append(w)
            continue
        _flush(run, "no_speech", removals)
        keep.append(w)
    _flush(run, "no_speech", removals)
    return _with_words(seg, keep)


def _flush(run: list[Word], reason: Reason, removals: list[Removal]) -> None:
    if run:
        text = "".join(w.text for w in run).strip()
        removals.append(Removal(text, run[0].start_ms, max(w.end_ms for w in run), reason))
        run.clear()


def _with_words(seg: Segment, words: Sequence[Word]) -> Segment | None:
    if len(words) == len(seg.words):
        return seg
    if not words:
        return None
    return replace(seg, words=tuple(words), text="".join(w.text for w in words))


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


Keep = Callable[[Sequence[int], int], bool]
"""Asked of each run found: (indices of the copies that would go, number of copies) → keep it?"""


def find_loops(
    keys: Sequence[str], min_repeats: int = 3, max_ngram: int = 8, *, keep: Keep | None = None
) -> list[int]:
    """Sorted indices to drop so each run of a repeated n-gram keeps only its first copy.

    Where several n-gram sizes repeat from one place, the one covering the most items wins
    ("det er det er det er" is one 2-gram run). Passes repeat until nothing changes, because
    cutting one run can leave a new one behind ("a b a b a b b b" → "a b b b" → "a b"). A run
    that ``keep`` accepts stays whole.
    """
    alive = list(range(len(keys)))
    dropped: list[int] = []
    while True:
        cut = _loop_pass([keys[x] for x in alive], min_repeats, max_ngram, keep, alive)
        if not cut:
            return sorted(dropped)
        dropped.extend(alive[x] for x in cut)
        gone = set(cut)
        alive = [x for n, x in enumerate(alive) if n not in gone]


def _loop_pass(
    keys: Sequence[str],
    min_repeats: int,
    max_ngram: int,
    keep: Keep | None,
    origin: Sequence[int],
) -> list[int]:
    """One pass over ``keys``; ``origin[x]`` is where ``keys[x]`` stood in the caller's list."""
    drops: list[int] = []
    i, n = 0, len(keys)
    while i < n:
        best_span, best_n = 0, 0
        for size in range(1, max_ngram + 1):
            if i + size * min_repeats > n:
                break
            gram = keys[i : i + size]
            if not any(gram):
                continue
            reps = 1
            while keys[i + reps * size : i + (reps + 1) * size] == gram:
                reps += 1
            if reps >= min_repeats and reps * size > best_span:
                best_span, best_n = reps * size, size
        copies = range(i + best_n, i + best_span)
        if (
            best_span
            and keep is not None
            and keep([origin[x] for x in copies], best_span // best_n)
        ):
            i += 1  # kept whole, but a run that starts inside it ("nej ja nej ja ja ja") counts
        elif best_span:
            drops.extend(copies)
            i += best_span
        else:
            i += 1
    return drops


def _runs(indices: Sequence[int]) -> list[list[int]]:
    """Consecutive indices grouped, so one loop is one removal."""
    runs: list[list[int]] = []
    for x in indices:
        if runs and runs[-1][-1] == x - 1:
            runs[-1].append(x)
        else:
            runs.append([x])
    return runs


def _quiet(start_ms: int, end_ms: int, energy: Energy | None) -> bool:
    return energy is not None and bool(energy.silent(start_ms, max(end_ms, start_ms + 1)))


def _human(
    spans: Sequence[tuple[int, int, float, float]],
    copies: int,
    energy: Energy | None,
    s: GuardSettings,
) -> bool:
    """Whether a short run is something a person said: (start, end, probability, segment
    avg_logprob) of each repeat that would go. Over silence or doubted, it is a loop."""
    if copies > s.human_max_repeats or not spans:
        return False
    if sum(p for _, _, p, _ in spans) / len(spans) < s.loop_min_probability:
        return False
    if any(lp < s.avg_logprob for _, _, _, lp in spans):
        return False
    return not any(_quiet(a, b, energy) for a, b, _, _ in spans)


def _drop_loops(
    segs: list[Segment], s: GuardSettings, removals: list[Removal], energy: Energy | None
) -> list[Segment]:
    # One word stream across segments: Whisper often repeats a loop as new segments.
    flat = [(k, x) for k, seg in enumerate(segs) for x in range(len(seg.words))]
    keys = [_key(segs[k].words[x].text) for k, x in flat]

    def word_span(p: int) -> tuple[int, int, float, float]:
        seg = segs[flat[p][0]]
        w = seg.words[flat[p][1]]
        return w.start_ms, w.end_ms, w.probability, seg.avg_logprob

    def keep_words(idx: Sequence[int], copies: int) -> bool:
        return _human([word_span(p) for p in idx], copies, energy, s)

    dropped: set[tuple[int, int]] = set()
    loops = find_loops(keys, s.loop_min_repeats, s.loop_max_ngram, keep=keep_words)
    for r in _runs(loops):
        _flush([segs[flat[p][0]].words[flat[p][1]] for p in r], "loop", removals)
        dropped.update(flat[p] for p in r)
    out: list[Segment] = []
    for k, seg in enumerate(segs):
        if not seg.words:
            out.append(_collapse_text(seg, s, removals, energy))
            continue
        kept = [w for x, w in enumerate(seg.words) if (k, x) not in dropped]
        new = _with_words(seg, kept)
        if new is not None:
            out.append(new)
    # Segments without word times that repeat whole are the loop; the first copy stays.
    seg_keys = ["" if seg.words else _key(seg.text) for seg in out]

    def keep_segments(idx: Sequence[int], copies: int) -> bool:
        spans = [(out[x].start_ms, out[x].end_ms, 1.0, out[x].avg_logprob) for x in idx]
        return _human(spans, copies, energy, s)

    drop_idx = set(find_loops(seg_keys, s.loop_min_repeats, max_ngram=1, keep=keep_segments))
    for x in sorted(drop_idx):
        removals.append(Removal(out[x].text.strip(), out[x].start_ms, out[x].end_ms, "loop"))
    return [seg for x, seg in enumerate(out) if x not in drop_idx]


def _collapse_text(
    seg: Segment, s: GuardSettings, removals: list[Removal], energy: Energy | None
) -> Segment:
    """A loop inside a segment without word times: cut the repeats from its text."""
    tokens = seg.text.split()
    whole = [(seg.start_ms, seg.end_ms, 1.0, seg.avg_logprob)]

    def keep(_idx: Sequence[int], copies: int) -> bool:
        return _human(whole, copies, energy, s)

    cut = find_loops([_key(t) for t in tokens], s.loop_min_repeats, s.loop_max_ngram, keep=keep)
    if not cut:
        return seg
    gone = set(cut)
    for r in _runs(cut):
        text = " ".join(tokens[x] for x in r)
        removals.append(Removal(text, seg.start_ms, seg.end_ms, "loop"))
    kept = " ".join(t for x, t in enumerate(tokens) if x not in gone)
    return replace(seg, text=" " + kept)
