"""Editor-corrected text, timed against the audio. Pure logic: no whisper, no files.

Editors correct the transcript as plain text (the view :func:`videokit.edits.review_text` writes),
or a manuscript gives the exact text. Its words must get times again, in six steps:

1. :func:`parse_review_text` reads paragraphs and ``Navn:`` speaker prefixes.
2. :func:`anchor_to_draft` gives every new word a rough time from the machine draft: words that
   match a draft word take its time, the rest are spread over the speech between them by length
   (text the draft missed is laid on the speech that is there, from its onset). Without audio
   this is also the fallback.
3. :func:`plan_windows` cuts the rough timeline into audio windows of at most 30 s (Whisper's
   context), each with a few context words at its edges whose times are thrown away: forced
   alignment gives the first and last words of a window whatever audio lies at its edge.
4. An :data:`Aligner` forces the text onto each window's audio; ``WhisperASR.align`` is one.
   It is passed in rather than imported, so that this module stays free of torch and
   ``asr`` remains the only module that imports whisper. A window it cannot align keeps the rough
   times.
5. The audio's pauses, not the text's punctuation, then fix what a window got wrong: a first
   alignment slides sentences across silences when the text has no full stops to hold on to.
   :func:`speech_runs` cuts the audio at its pauses, :func:`assign_to_runs` gives every word the
   run it was spoken in, and :func:`realign_on_runs` aligns again in windows whose edges lie in
   pauses, so no word spans one. :func:`snap_to_speech` moves word edges in silence onto speech.
6. :func:`aligned_transcript` builds the new :class:`~videokit.transcript.Transcript`: one
   segment per sentence, where text without punctuation gets its sentence ends from the pauses
   (:func:`sentence_starts`), and each word's probability is the alignment's confidence in it.

:func:`align_text` runs them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from .audio import SAMPLE_RATE
from .edits import TextParagraph, parse_review_text
from .sentences import OPENERS, ends_sentence
from .transcript import Segment, Transcript, Word, spread_spans

Span = tuple[int, int]
"""A word's (start_ms, end_ms)."""

# Part of every cached alignment's key: raise it whenever a change here moves any word time.
ALIGN_VERSION = 4  # 4: a manuscript's lines are sentence hints
MAX_WINDOW_MS = 30_000  # Whisper sees 30 s of audio at a time
# Rough times can be off by a second or two (the draft of a poor recogniser); the margin keeps a
# window's words inside its audio anyway.
MARGIN_MS = 2_000
# Whisper's decoder holds 448 tokens; Danish runs about 3-4 characters a token.
MAX_WINDOW_CHARS = 900
# Speaking rate used only to place words the draft has nothing near (before its first word or after
# its last): a calm presenter, about 14 characters a second.
_MS_PER_CHAR = 70
# The same counted in speech only (pauses left out), and the range a measured rate is kept in:
# from fast read speech to a slow, careful presenter.
_VOICED_MS_PER_CHAR = 60
_MIN_VOICED_MS_PER_CHAR = 40
_MAX_VOICED_MS_PER_CHAR = 110


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


# --- 1. parsing -----------------------------------------------------------------------------------


# --- 2. rough times from the draft ----------------------------------------------------------------


def _key(word: str) -> str:
    return "".join(c for c in word.casefold() if c.isalnum())


def _spread(words: Sequence[str], start: int, end: int) -> list[Span]:
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

    With ``voiced`` (:func:`speech_frames` of the audio) time is counted in speech only: words are
    spread over the sound between their anchors, never into a pause, and text the draft missed
    before its first word (or after its last) is laid on the speech that is there, from the
    speech's onset, instead of a guessed speaking rate back from the first anchor.
    """
    if not new_words:
        return []
    draft = [w for w in draft_words if _key(w.text)]  # punctuation alone carries nothing to match
    hi = duration_ms if duration_ms is not None else max((w.end_ms for w in draft), default=0)
    if not draft:
        if voiced is not None and voiced.any():
            onset, end = (
                int(np.argmax(voiced)) * 10,
                (len(voiced) - int(np.argmax(voiced[::-1]))) * 10,
            )
            return _monotonic(_spread(new_words, onset, min(hi, end)), hi)
        return _monotonic(_spread(new_words, 0, hi), hi)
    a = [_key(w.text) for w in draft]
    b = [_key(w) for w in new_words]
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
        return _monotonic(_interpolate_voiced(anchors, pos, b, hi, voiced), hi)
    return _monotonic(_interpolate(anchors, pos, b, hi), hi)


def _letter_anchors(
    draft: Sequence[Word], keys: Sequence[str], offset: int, anchors: dict[int, int]
) -> None:
    """Anchors from letter runs shared by unmatched draft words and unmatched new words."""
    if not draft or not keys:
        return
    times: list[int] = []  # the time of each letter (and space) of the draft words
    for w in draft:
        key = _key(w.text)
        times.extend(w.start_ms + (w.end_ms - w.start_ms) * c // len(key) for c in range(len(key)))
        times.append(w.end_ms)
    d_line, n_line = " ".join(_key(w.text) for w in draft), " ".join(keys)
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


def _monotonic(times: Sequence[Span], hi: int) -> list[Span]:
    """Clamp into ``0..hi``, starts never backwards, ends never before starts."""
    out: list[Span] = []
    floor = 0
    for start, end in times:
        s = min(max(start, floor), hi)
        out.append((s, min(max(end, s), hi)))
        floor = s
    return out


# --- 3. windows -----------------------------------------------------------------------------------


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


# --- 4. snapping to speech ------------------------------------------------------------------------

_FRAME = SAMPLE_RATE // 100  # 10 ms
# A silence this long parts two stretches of speech that no word spans. Read Danish pauses about
# 0.2 s at a comma and 0.4-1 s between sentences; the stops inside a word are shorter.
PAUSE_MS = 200
MIN_SOUND_MS = 60
# In text without sentence punctuation, a pause this long ends a sentence (for cue breaks and
# paragraphs); a line break in the text ends one at a pause of a quarter of that.
SENTENCE_PAUSE_MS = 500
# Windows of the second pass hold whole runs of speech up to this long.
GROUP_MS = 12_000
_EDGE_MS = 400  # audio a window keeps either side of its speech
SQUEEZED_MS = 50  # no spoken word is shorter
_LONGEST_WORD_MS = 2_000
# Weights of assign_to_runs, in the unit of its distance term: seconds a word lies outside its run.
_FIT_WEIGHT = 2.0
_BREAK_WEIGHT = 1.0
_MAX_DISTANCE_S = 0.6


def speech_frames(
    audio: np.ndarray, *, below_peak_db: float = 35.0, above_floor_db: float = 5.0
) -> np.ndarray:
    """Per 10 ms frame: is there speech? "Speech" is within ``below_peak_db`` of the loud frames
    and ``above_floor_db`` over the quiet ones.

    The reference is the 99th percentile of frame level rather than the peak, so one click does not
    make the whole video silent; the floor of -70 dBFS keeps digital silence silent. The quiet
    reference (the 10th percentile: room tone, a noise or music bed under the voice) matters when
    the pauses are not silent; it is never allowed closer than 18 dB to the loud frames, so speech
    with hardly a pause in it keeps its quieter sounds.
    """
    n = len(audio) // _FRAME
    if n == 0:
        return np.zeros(0, dtype=bool)
    frames = np.asarray(audio[: n * _FRAME], dtype=np.float64).reshape(n, _FRAME)
    level = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    loud, quiet = float(np.percentile(level, 99)), float(np.percentile(level, 10))
    threshold = max(-70.0, loud - below_peak_db, min(quiet + above_floor_db, loud - 18.0))
    return np.asarray(level > threshold)


def pauses(voiced: np.ndarray, *, min_ms: int = PAUSE_MS) -> list[Span]:
    """Stretches without speech of at least ``min_ms``, the video's edges included.

    Sound shorter than :data:`MIN_SOUND_MS` inside a pause (a click, a breath, a note of the
    music bed poking through) does not end it.
    """
    sound = np.asarray(voiced, dtype=bool).copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], sound.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if (b - a) * 10 < MIN_SOUND_MS:
            sound[a:b] = False
    edges = np.flatnonzero(np.diff(np.concatenate([[1], sound.astype(np.int8), [1]])))
    return [
        (int(a) * 10, int(b) * 10)
        for a, b in zip(edges[::2], edges[1::2], strict=True)
        if (b - a) * 10 >= min_ms
    ]


def speech_runs(voiced: np.ndarray, *, min_pause_ms: int = PAUSE_MS) -> list[Span]:
    """The stretches of speech between :func:`pauses`: phrases, sentences, or noise."""
    gaps = pauses(voiced, min_ms=min_pause_ms)
    end = len(voiced) * 10
    bounds = [0, *(t for gap in gaps for t in gap), end]
    return [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if b > a]


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


# --- 5. pauses: no word spans one ----------------------------------------------------------------


def text_breaks(text: str, words: Sequence[str]) -> set[int]:
    """Indices of ``words`` (as :func:`parse_review_text` reads ``text``) that begin a new line.

    Blank lines count too; a speaker's name before a word is skipped over, its line break kept.
    """
    out: set[int] = set()
    k, newline = 0, False
    for m in re.finditer(r"\n|[^\s]+", text.replace("\r\n", "\n").replace("\r", "\n")):
        token = m.group(0)
        if token == "\n":
            newline = True
        elif k < len(words) and token == words[k]:
            if newline and k:
                out.add(k)
            k, newline = k + 1, False
    return out


def assign_to_runs(
    times: Sequence[Span],
    words: Sequence[str],
    runs: Sequence[Span],
    breaks: Collection[int] = (),
    *,
    ms_per_char: float,
    band: int = 12,
    rough: Sequence[Span] | None = None,
) -> list[int]:
    """Which speech run each word was spoken in, as run indices that never go backwards.

    A first alignment can slide words across a pause: squeeze a sentence forward, stretch the next
    one's first word over the silence. Here every pause between two runs gets a word boundary, the
    one that best explains the audio: each word close to where the first alignment put it, each
    run's length fitting its text at ``ms_per_char``, a run of speech with no text costing its
    length, and a line break or a sentence end of the text (less so a capital) preferring a pause.
    A dynamic programme over each pause's candidate boundaries (``band`` words either side of the
    first alignment's).
    ``rough`` is a second opinion on where the words are (the times before any alignment): a word
    is close to a run when either opinion puts it there.
    """
    n, r_count = len(words), len(runs)
    if r_count <= 1 or n == 0:
        return [0] * n
    mids = np.maximum.accumulate(np.array([(a + b) / 2 for a, b in times], dtype=np.float64))
    other = (
        mids
        if rough is None
        else np.maximum.accumulate(np.array([(a + b) / 2 for a, b in rough], dtype=np.float64))
    )
    chars = np.concatenate([[0], np.cumsum([len(w) + 1 for w in words])])
    pause_mids = [(runs[p][1] + runs[p + 1][0]) / 2 for p in range(r_count - 1)]
    est = np.searchsorted(mids, pause_mids).tolist()
    cands = [[0]] + [list(range(max(0, e - band), min(n, e + band) + 1)) for e in est] + [[n]]

    def break_bonus(b: int, p: int) -> float:
        if not 0 < b < n:
            return 0.0
        pause = min(1.0, (runs[p + 1][0] - runs[p][1]) / SENTENCE_PAUSE_MS)
        if b in breaks or ends_sentence(words[b - 1], words[b]):
            return -_BREAK_WEIGHT * pause
        # Danish capitalises only names and sentence starts: a weaker hint of a sentence.
        return -_BREAK_WEIGHT / 2 * pause if words[b][:1].isupper() else 0.0

    best: dict[int, tuple[float, int]] = {0: (0.0, -1)}
    path: list[dict[int, tuple[float, int]]] = [best]
    for r in range(r_count):
        start, end = runs[r]
        lo, hi = min(best), max(cands[r + 1])
        # Capped: an aligner that slid a word across a long pause is wrong by the whole pause,
        # and the word's run is then for the text and the run lengths to decide.
        outside = np.minimum(
            _MAX_DISTANCE_S,
            np.minimum(
                np.maximum(0.0, np.maximum(start - mids[lo:hi], mids[lo:hi] - end)),
                np.maximum(0.0, np.maximum(start - other[lo:hi], other[lo:hi] - end)),
            )
            / 1000,
        )
        dist = np.concatenate([[0.0], np.cumsum(outside)])
        length = end - start
        nxt: dict[int, tuple[float, int]] = {}
        for b in cands[r + 1]:
            bonus = break_bonus(b, r) if r + 1 < r_count else 0.0
            for a, (cost, _) in best.items():
                if a > b:
                    continue
                if a == b:
                    fit = length / 1000
                else:
                    expected = (chars[b] - chars[a]) * ms_per_char
                    fit = _FIT_WEIGHT * abs(np.log((length + 300) / (expected + 300)))
                    fit += float(dist[b - lo] - dist[a - lo])
                total = cost + fit + bonus
                if b not in nxt or total < nxt[b][0]:
                    nxt[b] = (total, a)
        best = nxt
        path.append(best)
    out = [0] * n
    b = n
    for r in range(r_count, 0, -1):
        a = path[r][b][1]
        out[a:b] = [r - 1] * (b - a)
        b = a
    return out


def realign_on_runs(
    audio: np.ndarray,
    aligner: Aligner,
    times: Sequence[Span],
    words: Sequence[str],
    runs: Sequence[Span],
    owner: Sequence[int],
    *,
    group_ms: int = GROUP_MS,
) -> tuple[list[Span], list[float]]:
    """Align again with every window's edges in pauses, each word inside a run of speech.

    Runs are grouped into windows of at most ``group_ms``, parted at their longest pauses, each
    holding exactly its runs' words, so no context is needed at the edges. Inside a window the
    aligner has the last word on which run a word belongs to (the run nearest the middle of the
    word); a run whose words it cannot place, or places beyond the window's runs, or that clamping
    into the run would squeeze, is aligned again on its own, and failing that its words are spread
    over it by length. Returns the times and, per word, how far the aligner's placement can be
    trusted (1.0: at the first try).
    """
    out = list(times)
    owner = list(owner)
    trust = [0.5] * len(words)
    by_run = _by_run(owner)
    groups = _groups(runs, words, by_run, group_ms)

    def window(group: Sequence[int]) -> Window:
        a_run, b_run = group[0], group[-1]
        before = runs[a_run - 1][1] if a_run else 0
        after = runs[b_run + 1][0] if b_run + 1 < len(runs) else runs[b_run][1] + _EDGE_MS
        start = max(before + (runs[a_run][0] - before) // 2, runs[a_run][0] - _EDGE_MS)
        end = min(after - (after - runs[b_run][1]) // 2, runs[b_run][1] + _EDGE_MS)
        idx = [k for q in group for k in by_run.get(q, ())]
        return Window(
            max(0, start), max(0, end), idx[0], tuple(words[idx[0] : idx[-1] + 1]), 0, len(idx)
        )

    def nearest(group: Sequence[int], span: Span) -> int | None:
        """The run of ``group`` nearest the middle of ``span``; None past the group's pauses."""
        mid = (span[0] + span[1]) // 2
        lo = (runs[group[0] - 1][1] + runs[group[0]][0]) // 2 if group[0] else 0
        last = group[-1]
        hi = (runs[last][1] + runs[last + 1][0]) // 2 if last + 1 < len(runs) else mid
        if not lo <= mid <= hi:
            return None
        return min(group, key=lambda r: max(runs[r][0] - mid, mid - runs[r][1], 0))

    def place(
        windows: Sequence[Window],
        spans: Sequence[Sequence[int]],
        results: Sequence[Sequence[Span] | None],
        score: float,
    ) -> set[int]:
        """Take each window's result and the runs it gives its words; the runs it failed."""
        bad: set[int] = set()
        for w, group, result in zip(windows, spans, results, strict=True):
            if result is None or len(result) != len(w.words):
                bad.update(group)
                continue
            found = [nearest(group, result[k - w.first]) for k in w.core]
            if None in found:
                bad.update(group)
                continue
            for k, r in zip(w.core, found, strict=True):
                out[k], trust[k], owner[k] = result[k - w.first], score, r or 0
        return bad

    def clamp(r: int) -> bool:
        """Clamp run ``r``'s words into it; whether that squeezed one where there was room."""
        start, end = runs[r]
        ks = by_run.get(r, [])
        roomy = end - start >= SQUEEZED_MS * len(ks)
        squeezed = False
        for k in ks:
            a = min(max(out[k][0], start), end)
            out[k] = (a, min(max(out[k][1], a), end))
            squeezed |= roomy and out[k][1] - a < SQUEEZED_MS
        return squeezed

    windows = [window(g) for g in groups]
    bad = place(windows, groups, aligner(audio, windows), 1.0)
    by_run = _by_run(owner)
    bad |= {r for g in groups for r in g if r not in bad and clamp(r)}
    bad &= set(by_run)
    if bad:
        singles = [[r] for r in sorted(bad)]
        still = place(
            [window(g) for g in singles],
            singles,
            aligner(audio, [window(g) for g in singles]),
            0.75,
        )
        by_run = _by_run(owner)
        still |= {r for r in bad if r not in still and clamp(r)}
        for r in still & set(by_run):  # the aligner cannot place them: by length over the run
            ks = by_run[r]
            for k, span in zip(ks, _spread([words[k] for k in ks], *runs[r]), strict=True):
                out[k], trust[k] = span, 0.4
    return out, trust


def _by_run(owner: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for k, r in enumerate(owner):
        out.setdefault(r, []).append(k)
    return out


def _groups(
    runs: Sequence[Span], words: Sequence[str], by_run: dict[int, list[int]], group_ms: int
) -> list[list[int]]:
    """Consecutive runs with words, at most ``group_ms`` and a window's text each, parted at the
    longest pause in a full group's second half. A run too long for any window is left out: the
    voice activity detector never parted it, and the first alignment's times stand."""
    too_long = MAX_WINDOW_MS - 2 * _EDGE_MS
    groups: list[list[int]] = []
    current: list[int] = []
    for r in sorted(by_run):
        if runs[r][1] - runs[r][0] > too_long:
            if current:
                groups.append(current)
            current = []
            continue
        chars = sum(len(words[k]) + 1 for q in [*current, r] for k in by_run[q])
        if current and (runs[r][1] - runs[current[0]][0] > group_ms or chars > MAX_WINDOW_CHARS):
            half = len(current) // 2
            cut = max(
                range(max(1, half), len(current) + 1),
                key=lambda i: (
                    (runs[current[i]][0] if i < len(current) else runs[r][0])
                    - runs[current[i - 1]][1]
                ),
            )
            groups.append(current[:cut])
            current = current[cut:]
        current.append(r)
    if current:
        groups.append(current)
    return groups


def word_confidence(
    times: Sequence[Span], trust: Sequence[float], first_pass: Sequence[Span], voiced: np.ndarray
) -> list[float]:
    """How sure the alignment is of each word's place, 0..1, for editors to check the least sure.

    The aligner's own trust (see :func:`realign_on_runs`), lowered for a word squeezed below
    :data:`SQUEEZED_MS`, a word stretched past a slow speaker's length, a word with little sound
    under it, and a word the two passes put more than a second apart.
    """
    out: list[float] = []
    for (start, end), score, (first_start, _) in zip(times, trust, first_pass, strict=True):
        if end - start < SQUEEZED_MS:
            score *= 0.5
        frames = voiced[start // 10 : max(start // 10 + 1, end // 10)]
        if len(frames) and float(np.mean(frames)) < 0.3:
            score *= 0.6
        if end - start > _LONGEST_WORD_MS:
            score *= 0.6
        if abs(start - first_start) > 1000:
            score *= 0.8
        out.append(round(score, 3))
    return out


def sentence_starts(
    paragraphs: Sequence[TextParagraph], times: Sequence[Span], breaks: Collection[int]
) -> set[int]:
    """Words that start a sentence the text does not mark: a new line of a manuscript that starts
    with a capital or at a pause, punctuated or not (each line is a sentence hint; the text view
    writes a paragraph on one line, so only an editor's own line breaks count); and, in a
    paragraph without sentence punctuation (a transcript typed without it), a long pause."""
    out: set[int] = set()
    k = 0
    for para in paragraphs:
        punctuated = any(ends_sentence(w, para.words[i + 1]) for i, w in enumerate(para.words[:-1]))
        for i in range(1, len(para.words)):
            gap = times[k + i][0] - times[k + i - 1][1]
            line = (k + i) in breaks
            capital = para.words[i].lstrip(OPENERS)[:1].isupper()
            if (line and (capital or gap >= SENTENCE_PAUSE_MS // 4)) or (
                not punctuated and gap >= SENTENCE_PAUSE_MS
            ):
                out.add(k + i)
        k += len(para.words)
    return out


# --- 5. the new transcript ------------------------------------------------------------------------


def aligned_transcript(
    draft: Transcript,
    paragraphs: Sequence[TextParagraph],
    word_times: Sequence[Span],
    speakers: Sequence[str | None] | None = None,
    *,
    alignment: str = "draft",
    confidence: Sequence[float] | None = None,
    sentence_starts: Collection[int] = (),
) -> Transcript:
    """The corrected transcript: one segment per sentence, with its paragraph's speaker.

    ``speakers``, when given, has one entry per paragraph and overrides the paragraphs' own names
    (for a caller that knows better, such as a diarisation step). A person wrote every word, so a
    word's probability is the confidence in its *time*: ``confidence`` (one per word), or 1.0.
    Sentences end at sentence punctuation and before the words in ``sentence_starts`` (indices
    into all words: sentences the text does not mark, found from pauses). The draft's language,
    duration, model and source stay; its options gain ``alignment`` (how the words were timed).
    """
    count = sum(len(p.words) for p in paragraphs)
    if len(word_times) != count:
        raise ValueError(f"{len(word_times)} times for {count} words")
    if confidence is not None and len(confidence) != count:
        raise ValueError(f"{len(confidence)} confidences for {count} words")
    if speakers is not None and len(speakers) != len(paragraphs):
        raise ValueError(f"{len(speakers)} speakers for {len(paragraphs)} paragraphs")
    times = _monotonic(word_times, draft.duration_ms)
    segments: list[Segment] = []
    k = 0
    for p_index, para in enumerate(paragraphs):
        speaker = speakers[p_index] if speakers is not None else para.speaker
        sentence: list[Word] = []
        for w_index, text in enumerate(para.words):
            start, end = times[k]
            sentence.append(Word(" " + text, start, end, confidence[k] if confidence else 1.0))
            k += 1
            following = para.words[w_index + 1] if w_index + 1 < len(para.words) else None
            if following is None or ends_sentence(text, following) or k in sentence_starts:
                segments.append(_segment(sentence, speaker))
                sentence = []
    options = {**draft.options, "alignment": alignment}
    return Transcript(
        draft.language,
        draft.duration_ms,
        tuple(segments),
        draft.model,
        draft.source_sha256,
        options,
    )


def _segment(words: Sequence[Word], speaker: str | None) -> Segment:
    return Segment(
        start_ms=words[0].start_ms,
        end_ms=max(w.end_ms for w in words),
        text="".join(w.text for w in words),
        words=tuple(words),
        speaker=speaker,
    )


# --- all together ---------------------------------------------------------------------------------


def align_text(
    draft: Transcript,
    text: str,
    audio: np.ndarray | None = None,
    aligner: Aligner | None = None,
    *,
    max_window_ms: int = MAX_WINDOW_MS,
) -> Transcript:
    """Time the corrected ``text`` against ``audio`` (16 kHz mono), falling back to the draft.

    With ``audio`` and an ``aligner`` (``WhisperASR(...).align``): rough times from the draft, laid
    on the speech (:func:`anchor_to_draft`); a first forced alignment in windows
    (:func:`plan_windows`); each word given to the stretch of speech between two pauses it was
    spoken in (:func:`assign_to_runs`); a second alignment in windows whose edges are pauses
    (:func:`realign_on_runs`); word edges snapped to the speech. Sentence punctuation is not needed:
    in text without it, long pauses (and line breaks at pauses) end the sentences. Each word's
    ``probability`` is then the alignment's confidence in its place (:func:`word_confidence`).
    A window the aligner returns None for keeps the rough times. ``options["alignment"]`` says
    which happened: ``"whisper"`` (every window aligned), ``"mixed"`` (some) or ``"draft"``
    (none, or no audio); ``options["aligned_windows"]`` says how many of how many.
    """
    paragraphs = parse_review_text(text)
    words = [w for p in paragraphs for w in p.words]
    breaks = text_breaks(text, words)
    voiced = speech_frames(audio) if audio is not None else None
    use_audio = audio is not None and aligner is not None and bool(words)
    times = anchor_to_draft(
        draft.words, words, duration_ms=draft.duration_ms, voiced=voiced if use_audio else None
    )
    done, total = 0, 0
    confidence: list[float] | None = None
    if use_audio and audio is not None and aligner is not None and voiced is not None:
        windows = plan_windows(
            times, words, max_window_ms=max_window_ms, duration_ms=draft.duration_ms, breaks=breaks
        )
        total = len(windows)
        rough = list(times)
        results = aligner(audio, windows)
        for window, result in zip(windows, results, strict=True):
            if result is None or len(result) != len(window.words):
                continue  # keep the rough times for this window's words
            done += 1
            for k in window.core:
                times[k] = result[k - window.first]
        first_pass = _monotonic(times, draft.duration_ms)
        runs = speech_runs(voiced)
        trust = [1.0 if done else 0.4] * len(words)
        if done and runs:
            rate = _voiced_rate(runs, words)
            owner = assign_to_runs(first_pass, words, runs, breaks, ms_per_char=rate, rough=rough)
            times, trust = realign_on_runs(audio, aligner, first_pass, words, runs, owner)
        times = snap_to_speech(_monotonic(times, draft.duration_ms), voiced)
        confidence = word_confidence(times, trust, first_pass, voiced)
    method = "draft" if done == 0 else "whisper" if done == total else "mixed"
    starts = sentence_starts(paragraphs, times, breaks)
    result_t = aligned_transcript(
        draft, paragraphs, times, alignment=method, confidence=confidence, sentence_starts=starts
    )
    result_t.options["aligned_windows"] = f"{done}/{total}"
    return result_t


def _voiced_rate(runs: Sequence[Span], words: Sequence[str]) -> float:
    """Milliseconds of speech per character of the text, kept in a plausible range."""
    speech = sum(b - a for a, b in runs)
    chars = sum(len(w) + 1 for w in words)
    return min(_MAX_VOICED_MS_PER_CHAR, max(_MIN_VOICED_MS_PER_CHAR, speech / max(1, chars)))
