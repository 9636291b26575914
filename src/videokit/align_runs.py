"""Every word in the run of speech it was spoken in, aligned again in windows parted at pauses.

:func:`assign_to_runs` gives every word the stretch of speech between two pauses
(:func:`videokit.align_pauses.speech_runs`) it was spoken in; :func:`realign_on_runs` aligns again
in windows whose edges lie in pauses, so no word spans one; :func:`word_confidence` says how sure
the result is of each word's place. Pure logic: the aligner is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import numpy as np

from .align_draft import spread
from .align_windows import MAX_WINDOW_CHARS, MAX_WINDOW_MS, Aligner, Span, Window
from .sentences import ends_sentence

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


def text_breaks(text: str, words: Sequence[str]) -> set[int]:
    """Indices of ``words`` (as :func:`videokit.edits.parse_review_text` reads ``text``) that
    begin a new line.

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
            for k, span in zip(ks, spread([words[k] for k in ks], *runs[r]), strict=True):
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
