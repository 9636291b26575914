"""Editor-corrected text, timed against the audio. Pure logic: no whisper, no files.

Editors correct the transcript as plain text (the view :func:`videokit.edits.review_text` writes).
Their words must get times again, in five steps:

1. :func:`parse_review_text` reads paragraphs and ``Navn:`` speaker prefixes.
2. :func:`anchor_to_draft` gives every new word a rough time from the machine draft: words that
   match a draft word take its time, the rest are spread over the gaps by length. This is also the
   fallback when there is no audio or no model.
3. :func:`plan_windows` cuts the rough timeline into audio windows of at most 30 s (Whisper's
   context), each with a few context words at its edges whose times are thrown away: forced
   alignment gives the first and last words of a window whatever audio lies at its edge.
4. An :data:`Aligner` forces the text onto each window's audio; ``WhisperASR.align`` is one.
   It is passed in rather than imported, so that this module stays free of torch and
   ``asr`` remains the only module that imports whisper. A window it cannot align keeps the rough
   times. :func:`snap_to_speech` then moves word edges that fall in silence onto the speech.
5. :func:`aligned_transcript` builds the new :class:`~videokit.transcript.Transcript`.

:func:`align_text` runs all five.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from .transcript import Segment, Transcript, Word

Span = tuple[int, int]
"""A word's (start_ms, end_ms)."""

SAMPLE_RATE = 16_000
MAX_WINDOW_MS = 30_000  # Whisper sees 30 s of audio at a time
# Rough times can be off by a second or two (the draft of a poor recogniser); the margin keeps a
# window's words inside its audio anyway.
MARGIN_MS = 2_000
# Whisper's decoder holds 448 tokens; Danish runs about 3-4 characters a token.
MAX_WINDOW_CHARS = 900
# Speaking rate used only to place words the draft has nothing near (before its first word or after
# its last): a calm presenter, about 14 characters a second.
_MS_PER_CHAR = 70

# "Navn:" / "Anne Marie Jensen:" / "Hans van der Berg:" at the start of a paragraph.
_NAME_WORD = r"[A-ZÆØÅÉ][\w.'’-]*"
_PARTICLE = r"(?:van|von|de|der|den|la|le|af|du|di|da)"
_SPEAKER = re.compile(
    rf"^\s*({_NAME_WORD}(?:[ \t]+(?:{_NAME_WORD}|{_PARTICLE})){{0,3}}):(?=\s|$)"
)
_CLOSERS = "\"'»”’)]"


@dataclass(frozen=True)
class TextParagraph:
    """One paragraph of corrected text; punctuation stays attached to its word."""

    speaker: str | None
    words: tuple[str, ...]


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


def parse_review_text(text: str) -> list[TextParagraph]:
    """Paragraphs (separated by blank lines) with their speakers.

    A paragraph that starts with a short capitalised name and a colon (``Mette:``) names its
    speaker; the name holds for the following paragraphs until another is named, because the text
    view names a speaker only where the speaker changes. A name alone in its paragraph applies to
    the next one. The cost of this format: a paragraph that opens with one capitalised word and a
    colon (``Husk: ...``) reads as a speaker.
    """
    out: list[TextParagraph] = []
    speaker: str | None = None
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        m = _SPEAKER.match(block)
        if m:
            speaker = " ".join(m.group(1).split())
            block = block[m.end() :]
        words = tuple(block.split())
        if words:
            out.append(TextParagraph(speaker, words))
    return out


# --- 2. rough times from the draft ----------------------------------------------------------------


def _key(word: str) -> str:
    return "".join(c for c in word.casefold() if c.isalnum())


def _spread(words: Sequence[str], start: int, end: int) -> list[Span]:
    """Times for ``words`` laid end to end over ``start..end`` in proportion to their length."""
    weights = [len(w) + 1 for w in words]
    total = sum(weights)
    out: list[Span] = []
    done = 0
    for weight in weights:
        a = start + (end - start) * done // total
        done += weight
        out.append((a, start + (end - start) * done // total))
    return out


def anchor_to_draft(
    draft_words: Sequence[Word], new_words: Sequence[str], *, duration_ms: int | None = None
) -> list[Span]:
    """Rough times for ``new_words`` from the draft's words; one (start, end) per new word.

    Words are matched with difflib, ignoring case and punctuation; a matched word takes its draft
    word's time. Between matches, the unmatched new words are matched letter by letter against the
    unmatched draft words (a poor recogniser's "profæsuk" still shares letters with "Facebook"),
    and what still has no match is interpolated between its matched neighbours in proportion to its
    length. Before the first or after the last match, words get a speaking rate's worth of time.
    Starts never go backwards and every time lies in ``0..duration_ms`` (default: the end of the
    last draft word).
    """
    if not new_words:
        return []
    draft = [w for w in draft_words if _key(w.text)]  # punctuation alone carries nothing to match
    hi = duration_ms if duration_ms is not None else max((w.end_ms for w in draft), default=0)
    if not draft:
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


def _interpolate(anchors: dict[int, int], pos: Sequence[int], keys: Sequence[str], hi: int
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


def ends_sentence(word: str, following: str | None) -> bool:
    """Whether ``word`` ends a sentence: final punctuation, and no lower-case word right after."""
    bare = word.rstrip(_CLOSERS)
    if not bare or bare[-1] not in ".!?…":
        return False
    return following is None or not following[:1].islower()


def plan_windows(
    approx_times: Sequence[Span],
    words: Sequence[str],
    *,
    max_window_ms: int = MAX_WINDOW_MS,
    margin_ms: int = MARGIN_MS,
    max_chars: int = MAX_WINDOW_CHARS,
    duration_ms: int | None = None,
) -> list[Window]:
    """Group consecutive words into audio windows of at most ``max_window_ms``.

    Each window's core runs from its first word's rough start to its last word's rough end, widened
    by ``margin_ms`` either side (clipped to ``0..duration_ms``). Cores are as long as fit; a core
    that must end early ends after the last sentence in it, or failing one in its second half, at
    the widest pause. Words whose rough time touches the margins go with the window as context.
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
            j = _best_break(approx_times, words, i, j)
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


def _best_break(times: Sequence[Span], words: Sequence[str], i: int, j: int) -> int:
    """Where to end a core that starts at ``i`` and may run to ``j`` (exclusive, ``j > i``)."""
    half = i + (j - i) // 2
    for k in range(j, half, -1):
        if ends_sentence(words[k - 1], words[k] if k < len(words) else None):
            return k
    if j - i < 2:
        return j
    return max(range(i + 1, j + 1), key=lambda k: (times[k][0] - times[k - 1][1], k))


# --- 4. snapping to speech ------------------------------------------------------------------------

_FRAME = SAMPLE_RATE // 100  # 10 ms


def speech_frames(audio: np.ndarray, *, below_peak_db: float = 35.0) -> np.ndarray:
    """Per 10 ms frame: is there sound? "Sound" is within ``below_peak_db`` of the loud frames.

    The reference is the 99th percentile of frame level rather than the peak, so one click does not
    make the whole video silent; the floor of -70 dBFS keeps digital silence silent.
    """
    n = len(audio) // _FRAME
    if n == 0:
        return np.zeros(0, dtype=bool)
    frames = np.asarray(audio[: n * _FRAME], dtype=np.float64).reshape(n, _FRAME)
    level = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    threshold = max(-70.0, float(np.percentile(level, 99)) - below_peak_db)
    return np.asarray(level > threshold)


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


# --- 5. the new transcript ------------------------------------------------------------------------


def aligned_transcript(
    draft: Transcript,
    paragraphs: Sequence[TextParagraph],
    word_times: Sequence[Span],
    speakers: Sequence[str | None] | None = None,
    *,
    alignment: str = "draft",
) -> Transcript:
    """The corrected transcript: one segment per sentence, with its paragraph's speaker.

    ``speakers``, when given, has one entry per paragraph and overrides the paragraphs' own names
    (for a caller that knows better, such as a diarisation step). Every word has probability 1.0:
    a person wrote it. The draft's language, duration, model and source stay; its options gain
    ``alignment`` (how the words were timed).
    """
    count = sum(len(p.words) for p in paragraphs)
    if len(word_times) != count:
        raise ValueError(f"{len(word_times)} times for {count} words")
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
            k += 1
            sentence.append(Word(" " + text, start, end, 1.0))
            following = para.words[w_index + 1] if w_index + 1 < len(para.words) else None
            if following is None or ends_sentence(text, following):
                segments.append(_segment(sentence, speaker))
                sentence = []
    options = {**draft.options, "alignment": alignment}
    return Transcript(draft.language, draft.duration_ms, tuple(segments), draft.model,
                      draft.source_sha256, options)


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

    With ``audio`` and an ``aligner`` (``WhisperASR(...).align``), each window is force-aligned and
    word edges are snapped to the speech; a window the aligner returns None for keeps the rough
    times from :func:`anchor_to_draft`. ``options["alignment"]`` in the result says which happened:
    ``"whisper"`` (every window aligned), ``"mixed"`` (some) or ``"draft"`` (none, or no audio);
    ``options["aligned_windows"]`` says how many of how many.
    """
    paragraphs = parse_review_text(text)
    words = [w for p in paragraphs for w in p.words]
    times = anchor_to_draft(draft.words, words, duration_ms=draft.duration_ms)
    done, total = 0, 0
    if audio is not None and aligner is not None and words:
        windows = plan_windows(times, words, max_window_ms=max_window_ms,
                               duration_ms=draft.duration_ms)
        total = len(windows)
        results = aligner(audio, windows)
        for window, result in zip(windows, results, strict=True):
            if result is None or len(result) != len(window.words):
                continue  # keep the rough times for this window's words
            done += 1
            for k in window.core:
                times[k] = result[k - window.first]
        times = snap_to_speech(_monotonic(times, draft.duration_ms), speech_frames(audio))
    method = "draft" if done == 0 else "whisper" if done == total else "mixed"
    result_t = aligned_transcript(draft, paragraphs, times, alignment=method)
    result_t.options["aligned_windows"] = f"{done}/{total}"
    return result_t
