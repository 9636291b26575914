"""The caption engine: recognised words in, Danish caption cues out. Pure logic, no I/O.

How it works, in three passes:

1. **Tokens.** Whisper words are trimmed, typography is normalised (``...`` → ``…``, ``E.U.`` →
   ``EU``), words that are empty or only whitespace are skipped, punctuation Whisper emitted as a
   separate word (``" ."``) is glued to the word before, and times are clamped so they never run
   backwards and never have a negative length. Nothing here can raise on odd timings.
2. **Cue breaks** by dynamic programming over every break point. A cue's cost adds the quality of
   the break after it (sentence end < clause punctuation < before a conjunction < before a
   preposition < anywhere < inside a phrase the norms say never to split, a fixed expression or a
   name, see :mod:`videokit.phrases`), the best way to lay its words on at most ``max_lines``
   lines, sentences that end inside it, long pauses inside it, how far it misses the reading-speed
   and duration norms with the time it could have, how far it stays under the comfortable duration
   (1.5 s by default; a little, up to 2 s, just over it), a short sentence closing a cue after
   another sentence (it opens the next one instead: "Gamle Hansen. | Ham har jeg …"), orphans
   (one or two words of a sentence in another cue than the rest of it: "om aftenen." alone, or at
   the head of the next sentence's cue), and cues that hold the tail of one sentence and the head
   of the next. Splitting and merging to meet reading speed and comfort is therefore part of the
   search, not a repair afterwards. Where a sentence ends is
   :func:`videokit.sentences.ends_sentence`, the rule the transcript page and alignment use too.
   Two limits are hard, not costs: a cue never spans a change of speaker (a quick exchange of two
   turns is one dialogue cue instead, see :func:`_dialogues`) nor a pause longer than 1.5 s. Each
   cue spans at most a couple of lines of text, so the search is linear in the word count.
3. **Timing.** A cue starts on its first word and ends on its last, lengthened into the following
   silence only as far as it needs for the comfortable duration and reading speed, never more than
   ``max_linger_ms`` past its last word, never past ``max_duration_ms`` on screen and never closer
   than ``min_gap_ms`` to the next cue. The 7 s limit is on screen time, and the linger is only an
   allowance: the search holds the *spoken* span of a cue (first word's start to last word's end)
   to the limit, and the linger then stops at it. A sentence spoken over 6.6 s is one cue of at
   most 7 s, not two because 6.6 s + 0.5 s of possible linger would pass 7 s. What still breaks a
   norm is left for :func:`videokit.norms.check_cues` to report.

Which words may not be split from their neighbours is data, in ``videokit/data/da_*.txt``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from .lexicon import wordlist
from .norms import DEFAULT_NORMS, CaptionNorms
from .phrases import bound
from .sentences import ends_at_pause, ends_sentence
from .timing import use_pauses
from .transcript import Cue, Transcript, Word, spread_words

# Break costs: only their order and rough distance matter. A plain break costs more than a new cue
# (_CUE), so the engine fills two lines rather than scatter one-line cues, but less than splitting a
# phrase (_NEVER), which only happens when no better break fits in the lines.
_SENTENCE = 0.0
_CLAUSE = 2.0
_BEFORE_CONJUNCTION = 4.0
_BEFORE_PREPOSITION = 6.0
_PLAIN = 12.0
_AFTER_AUXILIARY = 6.0  # added: "skal | tænke" splits a verb phrase
_NEVER = 40.0
_CUE = 8.0
_SENTENCE_INSIDE = 10.0  # "one sentence per subtitle where possible"
# More when a sentence ends inside a cue that also starts or ends mid-sentence: the cue then holds
# the tail of one sentence and the head of the next ("… om aftenen. De kan slet ikke tænke Dem,").
_STRADDLE = 6.0
_OVERFLOW = 50.0  # a single word longer than a line
_SHORT_CLOSE = 4.0  # a short sentence at the end of a cue, after another sentence
_SHORT_SENTENCE_CHARS = 20  # "Gamle Hansen.", "Tre hold sæbevand!"
_ORPHAN = 12.0  # one or two words of a sentence in another cue than the rest of it
# A cue under the comfortable duration costs _SHORT however little under, so a sentence too brief
# to read in comfort joins its neighbour (_SENTENCE_INSIDE) rather than flicker past on its own.
_SHORT = 5.0
_COMFORT_MS = 40  # and one point more per this many ms it stays under it
# Just over the comfortable duration a cue is still short: professional Danish subtitles rarely stay
# under 2 s. A point per _STILL_SHORT_PER_MS under the comfortable duration + _STILL_SHORT_MS, up to
# 2 s (a profile whose comfortable duration is 2 s already has no such zone).
_STILL_SHORT_MS = 500
_STILL_SHORT_UNTIL_MS = 2000
_STILL_SHORT_PER_MS = 100
_IMBALANCE = 0.25  # per character of difference between two lines
_TOP_HEAVY = 0.25  # extra per character when the top line is the longer one
_PAUSE_FREE_MS = 700  # pauses shorter than this inside a cue are normal speech rhythm
# A pause longer than this always ends the cue: a hard limit, not a cost. Inside one cue it would show
# the words after the pause that long before they are spoken (and keep the words before it on screen
# through the silence), and NORMS.md says captions never lead or hang by more than 1.5 s. As a soft
# cost it lost to reading speed and line balance: a fast sentence with a long word after a pause
# "borrowed" the silence by starting inside the previous sentence's cue.
_MAX_PAUSE_MS = 1500
_DIALOGUE_GAP_MS = 1000
# A pause this long after a number or final abbreviation before a capital ends the sentence.
_SENTENCE_PAUSE_MS = 250

_CLOSING_PUNCT = set(".,;:!?…»”\"')]–—-")
_TRAIL = ".,;:!?…\"'»«”“()[]"

_ELLIPSIS = re.compile(r"\.{3,}")
_ACRONYM = re.compile(r"(?<![\w.])(?:[A-ZÆØÅ]\.){2,}(?!\w)")
_NAME_AHEAD = re.compile(r"\s+[A-ZÆØÅ][a-zæøåäöüé]")


def normalise_typography(text: str) -> str:
    """Danish caption typography: ``...`` → ``…``, ``E.U.`` → ``EU``, whitespace collapsed.

    Initials right before a capitalised word keep their periods ("A.P. Møller"), because Danish
    writes names that way; an acronym at the very end of a sentence loses the sentence's period too
    ("i E.U." → "i EU"), a known limit of doing this without a dictionary.
    """
    return _normalise(text, name_follows=False)


def _normalise(text: str, *, name_follows: bool) -> str:
    text = _ELLIPSIS.sub("…", " ".join(text.split()))

    def acronym(m: re.Match[str]) -> str:
        rest = text[m.end() :]
        if _NAME_AHEAD.match(rest) or (name_follows and not rest):
            return m.group(0)
        return m.group(0).replace(".", "")

    return _ACRONYM.sub(acronym, text)


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    start: int
    end: int
    speaker: str | None


def _core(text: str) -> str:
    return text.strip(_TRAIL).lower()


def _tokens(words: Sequence[Word], speakers: Sequence[str | None] | None) -> list[_Tok]:
    raw: list[tuple[str, int, int, str | None]] = []
    floor = 0
    for n, w in enumerate(words):
        text = w.text.strip()
        if not text:
            continue  # Whisper emits empty words around silence; they carry nothing to read
        start = max(w.start_ms, floor)
        end = max(w.end_ms, start)
        if raw and all(c in _CLOSING_PUNCT for c in text):
            t, s, e, spk = raw[-1]
            raw[-1] = (t + text, s, max(e, end), spk)
            continue
        raw.append((text, start, end, speakers[n] if speakers is not None else None))
        floor = start
    out: list[_Tok] = []
    for k, (text, start, end, spk) in enumerate(raw):
        follows = k + 1 < len(raw) and _NAME_AHEAD.match(" " + raw[k + 1][0]) is not None
        out.append(_Tok(_normalise(text, name_follows=follows), start, end, spk))
    return out


def _break_costs(toks: Sequence[_Tok]) -> tuple[list[float], list[bool]]:
    """Cost of breaking (a line or a cue) after each token, and which tokens end a sentence."""
    never_after = wordlist("da_no_break_after.txt")
    conjunctions = wordlist("da_break_before.txt")
    prepositions = wordlist("da_prepositions.txt")
    never_before = wordlist("da_no_break_before.txt")
    auxiliaries = wordlist("da_weak_break_after.txt")
    n = len(toks)
    texts = [t.text for t in toks]
    cores = [_core(t) for t in texts]
    ends = [ends_sentence(t, texts[k + 1] if k + 1 < n else None) for k, t in enumerate(texts)]
    for k in range(n - 1):
        # "kl. 7.15 | Det": the recogniser's missing full stop, read from the capital and pause.
        paused = toks[k + 1].start - toks[k].end >= _SENTENCE_PAUSE_MS
        ends[k] = ends[k] or (paused and ends_at_pause(texts[k], texts[k + 1]))
    units = bound(texts, ends)  # fixed expressions and names: "held og lykke", "frk. Jensen"
    costs: list[float] = []
    adjective = False
    for k in range(n):
        text = toks[k].text
        nxt = toks[k + 1].text if k + 1 < n else None
        # Heuristic adjective: a lower-case -e word after a determiner or another such word
        # ("de sociale medier", "den nye lov"); these stay with the noun that follows.
        prev_core = cores[k - 1] if k else ""
        adjective = (
            k > 0
            and (prev_core in never_after or adjective)
            and text[:1].islower()
            and text[-1:] == "e"
            and cores[k] not in conjunctions
            and cores[k] not in prepositions
        )
        if nxt is None or ends[k]:
            costs.append(_SENTENCE)
            continue
        if text[-1] in ",;:–—-…" or text.rstrip("\"'»”)")[-1:] in ",;:":
            costs.append(_CLAUSE)
            continue
        nc = cores[k + 1]
        cost = _PLAIN
        if nc in conjunctions:
            cost = _BEFORE_CONJUNCTION
        elif nc in prepositions:
            cost = _BEFORE_PREPOSITION
        if cores[k] in auxiliaries:
            cost += _AFTER_AUXILIARY
        forbidden = (
            units[k]
            or cores[k] in never_after
            or cores[k] in prepositions
            or cores[k] in conjunctions
            or nc in never_before
            or (adjective and nxt[:1].islower() and nc not in conjunctions | prepositions)
        )
        costs.append(_NEVER if forbidden else cost)
    return costs, ends


class _Layout:
    """Precomputed sums that make a cue's cost O(its length) to evaluate."""

    def __init__(self, toks: Sequence[_Tok], norms: CaptionNorms) -> None:
        self.toks = toks
        self.norms = norms
        self.brk, self.ends = _break_costs(toks)
        n = len(toks)
        self.plen = [0] * (n + 1)
        self.nsent = [0] * (n + 1)
        self.pause = [0.0] * (n + 1)
        for k, t in enumerate(toks):
            self.plen[k + 1] = self.plen[k] + len(t.text)
            self.nsent[k + 1] = self.nsent[k] + self.ends[k]
            gap = toks[k + 1].start - t.end if k + 1 < n else 0
            self.pause[k + 1] = self.pause[k] + max(0, gap - _PAUSE_FREE_MS) / 40
        comfortable = norms.comfortable_ms
        self.still_short_ms = (
            min(comfortable + _STILL_SHORT_MS, max(comfortable, _STILL_SHORT_UNTIL_MS))
            if norms.comfortable_duration_ms
            else 0  # the preference is off
        )
        # First token of the sentence each token is in.
        self.sent_start = [0] * n
        for k in range(1, n):
            self.sent_start[k] = k if self.ends[k - 1] else self.sent_start[k - 1]

    def chars(self, i: int, j: int) -> int:
        """Length of tokens ``i..j-1`` joined by single spaces."""
        return self.plen[j] - self.plen[i] + (j - i - 1)

    def fits(self, i: int, j: int) -> bool:
        return j - i == 1 or self.chars(i, j) <= self.norms.max_line_chars

    def lines(self, i: int, j: int) -> tuple[float, tuple[int, ...]]:
        """Cheapest way to lay tokens ``i..j-1`` on lines: (cost, indices where lines start)."""
        limit = self.norms.max_line_chars
        if self.fits(i, j):
            over = _OVERFLOW if self.chars(i, j) > limit else 0.0
            return over, ()
        if self.norms.max_lines == 1:
            return math.inf, ()
        if self.norms.max_lines == 2:
            # The hot loop of the engine: sums inlined, no method calls.
            plen, brk = self.plen, self.brk
            best, at = math.inf, 0
            for k in range(i + 1, j):
                a = plen[k] - plen[i] + (k - i - 1)
                if a > limit and k - i > 1:
                    break
                b = plen[j] - plen[k] + (j - k - 1)
                if b > limit and j - k > 1:
                    continue
                cost = brk[k - 1] + _IMBALANCE * abs(a - b) + _TOP_HEAVY * max(0, a - b)
                if a > limit or b > limit:
                    cost += _OVERFLOW * ((a > limit) + (b > limit))
                if cost < best:
                    best, at = cost, k
            return best, (at,) if best < math.inf else ()
        return self._lines_general(i, j)

    def _lines_general(self, i: int, j: int) -> tuple[float, tuple[int, ...]]:
        # Three or more lines are rare (burned-in vertical video); a small DP without balance terms.
        limit = self.norms.max_line_chars
        best: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {}

        def solve(a: int, left: int) -> tuple[float, tuple[int, ...]]:
            if (a, left) in best:
                return best[(a, left)]
            result: tuple[float, tuple[int, ...]] = (math.inf, ())
            if self.fits(a, j):
                result = (_OVERFLOW if self.chars(a, j) > limit else 0.0, ())
            elif left > 1:
                for k in range(a + 1, j):
                    if not self.fits(a, k):
                        break
                    rest, starts = solve(k, left - 1)
                    cost = rest + self.brk[k - 1] + (_OVERFLOW if self.chars(a, k) > limit else 0)
                    if cost < result[0]:
                        result = (cost, (k, *starts))
            best[(a, left)] = result
            return result

        return solve(i, self.norms.max_lines)

    def on_screen(self, i: int, j: int) -> tuple[int, int]:
        """(spoken, most) for a cue of tokens ``i..j-1``: how long its words take, and the longest
        it may stay on screen (its words, plus the linger it may use, up to the duration limit)."""
        norms, toks = self.norms, self.toks
        start, last = toks[i].start, toks[j - 1]
        end = min(last.end + norms.max_linger_ms, start + norms.max_duration_ms)
        if j < len(toks):
            end = min(end, toks[j].start - norms.min_gap_ms)
        return last.end - start, max(1, max(end, last.end) - start)

    def timing_cost(self, i: int, j: int) -> float:
        norms = self.norms
        chars = self.chars(i, j)
        spoken, dur = self.on_screen(i, j)
        cost = 0.0
        cps = chars * 1000 / dur
        if cps > norms.max_cps:
            # Weighted by characters, so the total does not depend on how many cues share the text.
            cost += (cps - norms.max_cps) * chars / 20
        if dur < norms.min_duration_ms:
            cost += (norms.min_duration_ms - dur) / 50
        if dur < norms.comfortable_ms:
            cost += _SHORT + (norms.comfortable_ms - dur) / _COMFORT_MS
        elif dur < self.still_short_ms:
            cost += (self.still_short_ms - dur) / _STILL_SHORT_PER_MS
        if spoken > norms.max_duration_ms:
            cost += 20 + (spoken - norms.max_duration_ms) / 20
        return cost


def build_cues(
    words: Sequence[Word],
    norms: CaptionNorms = DEFAULT_NORMS,
    speakers: Sequence[str | None] | None = None,
) -> list[Cue]:
    """Lay ``words`` out as caption cues that follow ``norms``.

    ``speakers``, when given, runs parallel to ``words``; a change of speaker always starts a new
    cue, except that two short turns may share one cue as a dialogue (a dash on each line). Words
    that are empty or whitespace are skipped. Every other word appears in the cues exactly once,
    in order, after :func:`normalise_typography`.
    """
    if speakers is not None and len(speakers) != len(words):
        raise ValueError(f"{len(speakers)} speakers for {len(words)} words")
    toks = _tokens(words, speakers)
    if not toks:
        return []
    layout = _Layout(toks, norms)
    groups = _dialogues(layout, _cue_spans(layout))
    return _timed(layout, groups)


def cues_from_transcript(transcript: Transcript, norms: CaptionNorms = DEFAULT_NORMS) -> list[Cue]:
    """:func:`build_cues` over a whole transcript, taking speakers from its segments.

    A segment without word times (Whisper run without ``word_timestamps``) is not dropped: its
    words get times spread over the segment in proportion to their length.
    """
    words: list[Word] = []
    speakers: list[str | None] = []
    for seg in transcript.segments:
        seg_words = seg.words or _spread_words(seg.text, seg.start_ms, seg.end_ms)
        words.extend(seg_words)
        speakers.extend(seg.speaker for _ in seg_words)
    has_speakers = any(s is not None for s in speakers)
    cues = build_cues(words, norms, speakers if has_speakers else None)
    return use_pauses(cues, words, norms, until_ms=transcript.duration_ms or None)


def _spread_words(text: str, start_ms: int, end_ms: int) -> tuple[Word, ...]:
    return spread_words(text.split(), start_ms, end_ms)


def _cue_spans(layout: _Layout) -> list[tuple[int, int]]:
    toks, norms = layout.toks, layout.norms
    n = len(toks)
    cap = norms.max_lines * (norms.max_line_chars + 1)
    # First token of the run each token is in. A run ends at a change of speaker or a pause longer
    # than _MAX_PAUSE_MS; no cue crosses a run's edge. A one-token cue always fits, so every run can
    # be laid out and the limit never leaves the search without an answer.
    run_start = [0] * n
    joined = [False] * n  # joined[k]: token k continues the run of token k - 1
    for k in range(1, n):
        same = toks[k].speaker == toks[k - 1].speaker
        joined[k] = same and toks[k].start - toks[k - 1].end <= _MAX_PAUSE_MS
        run_start[k] = run_start[k - 1] if joined[k] else k
    ends = layout.ends
    dp = [math.inf] * (n + 1)
    back = [0] * (n + 1)
    dp[0] = 0.0
    for j in range(1, n + 1):
        after = layout.brk[j - 1] if j < n else 0.0
        if j < n:
            gap = toks[j].start - toks[j - 1].end
            after = max(0.0, after - min(max(gap, 0), 2000) / 100)
        last_end = toks[j - 1].end
        for i in range(j - 1, run_start[j - 1] - 1, -1):
            if i < j - 1 and (
                layout.chars(i, j) > cap or last_end - toks[i].start > 2 * norms.max_duration_ms
            ):
                break
            line_cost, _ = layout.lines(i, j)
            if line_cost == math.inf:
                continue
            cost = (
                dp[i]
                + _CUE
                + after
                + line_cost
                + _SENTENCE_INSIDE * (layout.nsent[j - 1] - layout.nsent[i])
                + (layout.pause[j - 1] - layout.pause[i])
                + layout.timing_cost(i, j)
            )
            joined_before, joined_after = i > run_start[j - 1], j < n and joined[j]
            cost += _ORPHAN * _fragments(ends, i, j, joined_before, joined_after)
            if layout.nsent[j - 1] > layout.nsent[i]:
                open_ends = (joined_before and not ends[i - 1]) + (joined_after and not ends[j - 1])
                cost += _STRADDLE * open_ends
                # "… Gamle Hansen." ‖ "Ham har jeg …": a short sentence after another one opens
                # the next cue rather than closing this one, where the speech goes on.
                last = layout.sent_start[j - 1]
                if joined_after and last > i and layout.chars(last, j) <= _SHORT_SENTENCE_CHARS:
                    cost += _SHORT_CLOSE
            if cost < dp[j]:
                dp[j], back[j] = cost, i
    spans: list[tuple[int, int]] = []
    j = n
    while j > 0:
        spans.append((back[j], j))
        j = back[j]
    return spans[::-1]


def _fragments(
    ends: Sequence[bool], i: int, j: int, joined_before: bool, joined_after: bool
) -> int:
    """Orphans in a cue of tokens ``i..j-1``: one or two words of a sentence cut off from the rest
    of it in a neighbouring cue, whether they stand alone ("om aftenen.") or share the cue with
    the next sentence ("om aftenen. Tænk derfor over, …") or the previous ("… noget. Tænk").
    Only where the neighbour is in the same run, so that joining them was possible."""
    count = 0
    if joined_before and not ends[i - 1]:
        # The sentence began in the cue before: is its rest here one or two words?
        count += j - i <= 2 or ends[i] or ends[i + 1]
    if joined_after and not ends[j - 1] and not (count and j - i <= 2):
        # The sentence goes on in the next cue: did it start one or two words before the end?
        count += j - i <= 2 or ends[j - 2] or (j - 3 >= i and ends[j - 3])
    return count


@dataclass(frozen=True)
class _Group:
    start: int  # token index
    end: int  # one past the last token
    line_starts: tuple[int, ...]  # token indices where the 2nd, 3rd... line begins
    dialogue: bool = False


def _dialogues(layout: _Layout, spans: list[tuple[int, int]]) -> list[_Group]:
    """Join a quick exchange of two turns by different speakers into one dialogue cue, as Danish
    subtitlers write it ("-Dav, Boldt." / "-Dav, Larsen."): by default, not only when a turn alone
    would be too short.

    The first turn's part must be whole sentences on one line with its dash; the second turn's
    whole if it fits one line ("-Hvem er det? Regitze!"), else its first sentence when what follows
    of the turn can stand as a cue of its own (it then starts the next cue with its first words,
    never a leftover of one or two words). The pair must follow within ``_DIALOGUE_GAP_MS`` and be
    readable in the time the cue has, unless each turn alone would be too brief or fast anyway.
    """
    toks, norms = layout.toks, layout.norms
    n = len(toks)
    spans = list(spans)
    out: list[_Group] = []
    k = 0
    while k < len(spans):
        joined = _exchange(layout, spans, k) if norms.max_lines >= 2 else None
        if joined is not None:
            i, j, end = joined
            out.append(_Group(i, end, (j,), dialogue=True))
            while k < len(spans) and spans[k][1] <= end:
                k += 1
            if k < len(spans) and spans[k][0] < end:
                spans[k] = (end, spans[k][1])  # the rest of the turn: the next cue
            continue
        i, j = spans[k]
        out.append(_Group(i, j, layout.lines(i, j)[1]))
        k += 1
    assert out[-1].end == n
    return out


def _exchange(layout: _Layout, spans: list[tuple[int, int]], k: int) -> tuple[int, int, int] | None:
    """(first token, second turn's first token, end) of a dialogue cue starting at span ``k``,
    or None."""
    toks, norms, ends = layout.toks, layout.norms, layout.ends
    if k + 1 >= len(spans):
        return None
    i, j = spans[k]
    if toks[i].speaker == toks[j].speaker or not ends[j - 1] or (i and not ends[i - 1]):
        return None
    if toks[j].start - toks[j - 1].end > _DIALOGUE_GAP_MS:
        return None
    dash = len(norms.dialogue_dash)
    if layout.chars(i, j) + dash > norms.max_line_chars:
        return None
    # The second turn: spans of the same speaker with no hard pause between them.
    m = k + 1
    while (
        m + 1 < len(spans)
        and toks[spans[m + 1][0]].speaker == toks[j].speaker
        and toks[spans[m + 1][0]].start - toks[spans[m][1] - 1].end <= _MAX_PAUSE_MS
    ):
        m += 1
    turn_end = spans[m][1]
    candidates = [turn_end]
    # Or its first sentence on the line, when the rest of the turn is a cue of its own.
    first_end = next((x + 1 for x in range(j, turn_end) if ends[x]), turn_end)
    # A rest too brief to read in comfort would be a leftover ("Regitze!" alone for 1.5 s).
    rest_reads = (
        first_end < turn_end
        and turn_end - first_end > 2
        and layout.on_screen(first_end, turn_end)[1] >= norms.comfortable_ms
    )
    if first_end < turn_end and rest_reads:
        candidates.append(first_end)
    for end in candidates:
        if layout.chars(j, end) + dash > norms.max_line_chars:
            continue
        # Readable together; or, when not, at least no worse than the two turns one after the
        # other, each too brief or too fast on its own.
        alone_short = layout.timing_cost(i, j) > 0 or layout.timing_cost(j, end) > 0
        spoken, _most = layout.on_screen(i, end)
        if _readable(layout, i, j, end) or (alone_short and spoken <= norms.max_duration_ms):
            return i, j, end
    return None


def _readable(layout: _Layout, i: int, j: int, end: int) -> bool:
    """Whether a dialogue cue of tokens ``i..end-1`` (second line from ``j``) has the time its
    text needs at the reading speed, within the duration limit."""
    norms = layout.norms
    spoken, most = layout.on_screen(i, end)
    chars = layout.chars(i, j) + layout.chars(j, end) + 2 * len(norms.dialogue_dash) + 1
    return spoken <= norms.max_duration_ms and chars * 1000 / most <= norms.max_cps


def _timed(layout: _Layout, groups: Sequence[_Group]) -> list[Cue]:
    toks, norms = layout.toks, layout.norms
    cues: list[Cue] = []
    for g_index, g in enumerate(groups):
        bounds = (g.start, *g.line_starts, g.end)
        lines = tuple(" ".join(t.text for t in toks[a:b]) for a, b in pairwise(bounds))
        if g.dialogue:
            lines = tuple(norms.dialogue_dash + line for line in lines)
        start = toks[g.start].start
        last = toks[g.end - 1]
        chars = len(" ".join(lines))
        # Long enough to read, and the comfortable duration where the linger reaches it.
        wanted = start + max(norms.comfortable_ms, math.ceil(chars * 1000 / norms.max_cps))
        # The linger is an allowance inside the duration limit, never a reason to pass it.
        linger_to = min(last.end + norms.max_linger_ms, start + norms.max_duration_ms)
        end = max(last.end, min(wanted, linger_to))
        if g_index + 1 < len(groups):
            end = min(end, toks[groups[g_index + 1].start].start - norms.min_gap_ms)
        # Words closer than the gap: keep the cue alive past its last word's onset at least.
        end = max(end, last.start + 1)
        if g.dialogue:
            voices = tuple(toks[a].speaker for a in bounds[:-1])
            cues.append(Cue(start, end, lines, None, voices if any(voices) else ()))
        else:
            cues.append(Cue(start, end, lines, toks[g.start].speaker))
    return cues
