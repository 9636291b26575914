"""Cues that are too fast borrow reading time from the pauses around them, within the norms."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from videokit.norms import DEFAULT_NORMS, check_cues
from videokit.timing import MAX_LEAD_MS, cue_word_ranges, use_pauses, words_per_cue
from videokit.transcript import Cue, Word

NORMS = DEFAULT_NORMS


def _words(text: str, start: int, end: int) -> list[Word]:
    parts = text.split()
    step = (end - start) // len(parts)
    return [Word(" " + p, start + k * step, start + (k + 1) * step) for k, p in enumerate(parts)]


FAST = "Byrådet vedtog budgettet sent i aften"  # 37 characters: 2.2 s at 17 cps


def test_a_fast_cue_lingers_then_leads_into_the_pauses_only_as_far_as_the_norms_allow():
    words = _words(FAST, 3000, 4500)
    cue = Cue(3000, 4500, (FAST,))
    (out,) = use_pauses([cue], words, NORMS)
    assert out.end_ms == 4500 + NORMS.max_linger_ms
    assert out.start_ms == 3000 - MAX_LEAD_MS
    assert out.lines == cue.lines
    assert [v.rule for v in check_cues([out], NORMS)] == ["cps"]  # still too fast: reported


def test_only_as_much_as_the_cue_needs():
    text = "Velkommen til mødet"  # 19 characters: 1118 ms at 17 cps
    words = _words(text, 1000, 2000)
    (out,) = use_pauses([Cue(1000, 2000, (text,))], words, NORMS)
    assert (out.start_ms, out.end_ms) == (1000, 2118)
    assert check_cues([out], NORMS) == []


def test_neighbours_keep_the_minimum_gap():
    first, second = _words("Hej med dig", 0, 900), _words(FAST, 1100, 2600)
    cues = [Cue(0, 1000, ("Hej med dig",)), Cue(1100, 2600, (FAST,))]
    out = use_pauses(cues, first + second, NORMS)
    assert out[0] == cues[0]
    assert out[1].start_ms - out[0].end_ms >= NORMS.min_gap_ms
    assert out[1].end_ms == 2600 + NORMS.max_linger_ms


def test_a_cue_with_enough_time_is_left_alone():
    cue = Cue(500, 4000, ("Kort",))
    assert use_pauses([cue], _words("Kort", 500, 900), NORMS) == [cue]


def test_never_past_the_end_of_the_video_nor_before_its_start():
    words = _words(FAST, 50, 1550)
    (out,) = use_pauses([Cue(50, 1550, (FAST,))], words, NORMS, until_ms=1700)
    assert (out.start_ms, out.end_ms) == (0, 1700)


def test_words_per_cue_by_start_times():
    words = _words("a b c d", 0, 400)
    cues = [Cue(0, 150, ("a b",)), Cue(200, 400, ("c d",))]
    assert [[w.text for w in ws] for ws in words_per_cue(cues, words)] == [
        [" a", " b"],
        [" c", " d"],
    ]
    assert words_per_cue([], words) == []


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 60), st.integers(100, 3000), st.integers(0, 1500)),
        min_size=1,
        max_size=12,
    )
)
def test_lead_linger_and_gap_stay_within_the_norms(specs):
    cues, words, t = [], [], 0
    for chars, spoken, pause in specs:
        text = "x" * chars
        words.append(Word(" " + text, t, t + spoken))
        cues.append(Cue(t, t + spoken, (text,)))
        t += spoken + pause + NORMS.min_gap_ms
    out = use_pauses(cues, words, NORMS)
    assert [c.lines for c in out] == [c.lines for c in cues]
    for before, after, word in zip(cues, out, words, strict=True):
        assert after.start_ms <= before.start_ms and after.end_ms >= before.end_ms
        assert before.start_ms - after.start_ms <= MAX_LEAD_MS
        assert after.end_ms <= max(before.end_ms, word.end_ms + NORMS.max_linger_ms)
    for a, b in zip(out, out[1:], strict=False):
        assert b.start_ms - a.end_ms >= NORMS.min_gap_ms


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 20_000), min_size=1, max_size=8),
    st.lists(st.integers(0, 20_000), max_size=30),
)
def test_every_word_belongs_to_exactly_one_cue(cue_starts, word_starts):
    cues = [Cue(s, s + 500, ("x",)) for s in sorted(cue_starts)]
    words = [Word(" w", s, s + 100) for s in sorted(word_starts)]
    ranges = cue_word_ranges(cues, words)
    assert len(ranges) == len(cues)
    assert [k for a, b in ranges for k in range(a, b)] == list(range(len(words)))
    for cue, (a, b) in zip(cues[1:], ranges[1:], strict=True):
        assert all(w.start_ms >= cue.start_ms for w in words[a:b])
