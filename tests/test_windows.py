"""Cutting audio into decoding windows at pauses (pure logic on frame levels)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from videokit import speech
from videokit.speech import DECODING
from videokit.windows import Pauses, lanes, windows

QUIET, LOUD = -70.0, -12.0
P = Pauses()


def levels_of(*parts: tuple[float, float]) -> list[float]:
    """Frame levels from (seconds, level) stretches, 20 ms frames."""
    return [level for seconds, level in parts for _ in range(round(seconds * 50))]


def test_short_speech_is_one_window_without_the_silence_around_it():
    levels = levels_of((3, QUIET), (5, LOUD), (4, QUIET))
    assert windows(levels) == [(3000 - DECODING.pad_ms, 8000 + DECODING.pad_ms)]


def test_a_long_pause_starts_a_new_window_and_is_not_decoded():
    levels = levels_of((1, QUIET), (4, LOUD), (5, QUIET), (4, LOUD), (1, QUIET))
    assert windows(levels) == [(800, 5200), (9800, 14200)]


def test_sentences_are_packed_up_to_30_s_and_cut_at_a_pause():
    sentence = [(6, LOUD), (0.5, QUIET)]
    levels = levels_of((0.5, QUIET), *(sentence * 10))  # 65 s of sentences with 0.5 s pauses
    got = windows(levels)
    assert all(end - start <= 30_000 for start, end in got)
    assert len(got) == 3
    # Every cut lies inside a pause, never in a sentence.
    for (_, end), (start, _) in zip(got, got[1:]):
        assert levels[(end + start) // 40] == QUIET


def test_speech_without_any_pause_is_cut_at_its_quietest_moment():
    levels = levels_of((40, LOUD))
    levels[1300] = -30.0  # a breath 26 s in
    got = windows(levels)
    assert got[0] == (0, 26_000) and got[1][0] == 26_000 and got[-1][1] == 40_000


def test_digital_silence_has_no_windows():
    assert windows([-math.inf] * 500) == []
    assert speech.threshold([], DECODING) == math.inf


def test_hum_below_speech_is_not_speech():
    levels = levels_of((2, -40.0), (3, -10.0), (2, -40.0))
    found = speech.stretches(speech.voiced(levels, DECODING), DECODING)
    assert found == [((100 - 10) * 20, (250 + 10) * 20)]


level = st.one_of(st.just(-math.inf), st.floats(-90, 0))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.02, 45), level), min_size=1, max_size=12))
def test_windows_are_ordered_short_and_cover_every_speech_frame(parts):
    levels = levels_of(*parts)
    got = windows(levels)
    limit = speech.threshold(levels, DECODING)
    assert all(0 <= a < b <= len(levels) * 20 for a, b in got)
    assert all(b - a <= P.max_ms for a, b in got)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(got, got[1:]))
    for k, v in enumerate(levels):
        if v > limit:
            assert any(a <= k * 20 < b for a, b in got), k


# --- lanes: consecutive windows read in order, side by side with other lanes -----------------------


def test_one_long_talk_is_read_in_about_a_batch_of_lanes_of_consecutive_windows():
    assert lanes([22], [True], 8) == [[3, 3, 3, 3, 3, 3, 2, 2]]


def test_lanes_are_as_many_as_the_batch_holds_unless_told_to_keep_more_context():
    assert lanes([2, 2, 1], [True, True, True], 8) == [[1, 1], [1, 1], [1]]
    assert lanes([2, 2, 1], [True, True, True], 8, min_windows=2) == [[2], [2], [1]]
    assert lanes([7], [True], 8, min_windows=3) == [[4, 3]]


def test_without_context_every_window_is_its_own_lane():
    assert lanes([3, 2], [False, True], 4) == [[1, 1, 1], [1, 1]]
    assert lanes([3, 4], [False, True], 2) == [[1, 1, 1], [2, 2]]
    assert lanes([0, 4], [True, True], 2) == [[], [2, 2]]


@given(
    st.lists(st.tuples(st.integers(0, 40), st.booleans()), min_size=1, max_size=12),
    st.integers(1, 64),
    st.integers(1, 5),
)
def test_lanes_cover_each_recording_exactly_and_evenly(jobs, target, least):
    counts = [n for n, _ in jobs]
    got = lanes(counts, [c for _, c in jobs], target, least)
    for (n, conditioned), shares in zip(jobs, got):
        assert sum(shares) == n and all(s >= 1 for s in shares)
        if shares:
            assert max(shares) - min(shares) <= 1 and shares == sorted(shares, reverse=True)
        if not conditioned:
            assert shares == [1] * n
        elif n:
            assert 1 <= len(shares) <= max(1, target)
            assert len(shares) == 1 or min(shares) >= least


def test_detected_speech_bridges_short_pauses_and_drops_clicks():
    from videokit.coverage import detected_speech

    # 32 ms frames: 10 frames speech, 5 pause (160 ms, bridged), 10 speech, 40 pause, 5 (a click)
    probs = [0.9] * 10 + [0.1] * 5 + [0.9] * 10 + [0.1] * 40 + [0.9] * 5 + [0.1] * 5
    assert detected_speech(probs, 32) == [(0, 800)]


def test_uncovered_speech_is_what_no_segment_overlaps():
    from videokit.coverage import uncovered
    from videokit.transcript import Segment, Transcript

    def seg(a: int, b: int) -> Segment:
        return Segment(start_ms=a, end_ms=b, text="x", words=())

    t = Transcript(language="da", duration_ms=20_000, segments=(seg(0, 4000), seg(9000, 12_000)))
    speech = [(500, 6000), (7000, 8000), (9500, 11_000)]
    assert uncovered(speech, t) == [(4000, 6000), (7000, 8000)]
