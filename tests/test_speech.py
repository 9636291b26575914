"""Is this speech? The one level measure, threshold rule and stretch rule, for every use's policy."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videokit import speech
from videokit.speech import (
    ALIGNMENT,
    COVERAGE,
    DECODING,
    GUARD,
    SILENT_TRACK,
    TIMELINE,
    UNREAD,
    SpeechPolicy,
)

RATE = 16_000
LEVEL_POLICIES = [DECODING, TIMELINE, ALIGNMENT, GUARD, SILENT_TRACK]
POLICIES = [*LEVEL_POLICIES, UNREAD, COVERAGE]


def sine(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 500 * t)).astype(np.float32)


def test_peak_and_rms_levels_of_a_tone_and_of_silence():
    tone = sine(1.0, 0.5)
    assert speech.levels_dbfs(tone, 100) == pytest.approx([-6.02] * 10, abs=0.01)
    assert speech.levels_dbfs(tone, 10, "rms") == pytest.approx([-9.03] * 100, abs=0.01)
    assert speech.peak_dbfs(tone) == pytest.approx(-6.02, abs=0.01)
    quiet = np.zeros(RATE // 2, np.float32)
    assert list(speech.levels_dbfs(quiet, 100)) == [-math.inf] * 5
    assert list(speech.levels_dbfs(quiet, 10, "rms")) == pytest.approx([-120.0] * 50)
    # 25 ms: the peak measure hears the short frame at the end, the RMS one only whole frames.
    assert len(speech.levels_dbfs(tone[:400], 10)) == 3
    assert len(speech.levels_dbfs(tone[:400], 10, "rms")) == 2


def test_a_relative_bar_follows_the_recording_and_an_absolute_one_does_not():
    hum, voice = [-40.0] * 100, [-10.0] * 50
    assert speech.threshold(hum + voice, DECODING) == -32.0  # the hum's floor, 8 dB over it
    assert speech.threshold([-70.0] * 100 + voice, DECODING) == -55.0  # never below the floor
    assert speech.threshold(hum + voice, GUARD) == -45.0
    assert speech.threshold([-80.0] * 100 + [-48.0] * 50, GUARD) == -68.0  # recorded too quietly
    assert speech.threshold([], DECODING) == math.inf  # digital silence: no speech at all
    assert not speech.voiced([-math.inf] * 10, DECODING).any()


def test_a_silent_track_is_silent_and_a_soft_voice_is_not():
    assert speech.silent(np.zeros(RATE, np.float32))
    assert speech.silent(sine(1.0, 10 ** (-55 / 20)))
    assert not speech.silent(sine(1.0, 10 ** (-40 / 20)))


def test_a_detector_policy_has_no_level_frame():
    with pytest.raises(ValueError):
        speech.levels(np.zeros(10, np.float32), UNREAD)
    with pytest.raises(ValueError):
        SpeechPolicy(frame_ms=0)


def test_clicks_are_dropped_gaps_bridged_and_speech_padded():
    policy = SpeechPolicy(frame_ms=10, min_sound_ms=30, pad_ms=20, min_gap_ms=100)
    mask = [False] * 10 + [True] * 5 + [False] * 8 + [True] * 5 + [False] * 30 + [True] * 2
    mask += [False] * 30
    # Two words 80 ms apart are one stretch, padded by 20 ms; a 20 ms click is nothing.
    assert speech.stretches(mask, policy) == [(80, 300)]
    assert speech.stretches(mask, replace(policy, min_speech_ms=300)) == []


masks = st.lists(st.booleans(), max_size=400)
policies = st.builds(
    SpeechPolicy,
    frame_ms=st.sampled_from([10, 20, 32, 100]),
    min_sound_ms=st.integers(0, 200),
    pad_ms=st.integers(0, 300),
    min_gap_ms=st.integers(0, 800),
    min_speech_ms=st.integers(0, 800),
)


@settings(max_examples=300, deadline=None)
@given(masks, st.one_of(st.sampled_from(POLICIES), policies), st.sampled_from([10, 20, 32]))
def test_stretches_are_sorted_disjoint_inside_and_respect_length_and_gap(mask, policy, frame):
    frame_ms = policy.frame_ms or frame
    found = speech.stretches(mask, policy, frame_ms)
    total = len(mask) * frame_ms
    assert all(0 <= a < b <= total for a, b in found)
    assert all(b - a >= policy.min_speech_ms for a, b in found)
    assert all(b1 + max(1, policy.min_gap_ms) <= a2 for (_, b1), (a2, _) in zip(found, found[1:]))
    # Every sound long enough to count lies in a stretch, unless the stretch was too short.
    if policy.min_speech_ms == 0:
        for a, b in speech.runs(mask):
            if (b - a) * frame_ms >= policy.min_sound_ms:
                assert any(s <= a * frame_ms and b * frame_ms <= e for s, e in found)
    # What is not speech is the gaps between, the edges included.
    rest = speech.gaps(found, total)
    assert sum(b - a for a, b in found) + sum(b - a for a, b in rest) == total


def covered(spans: list[tuple[int, int]]) -> set[int]:
    return {t for a, b in spans for t in range(a, b, 5)}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.just(-math.inf), st.integers(-100, 0).map(float)), max_size=300),
    st.integers(0, 40).map(float),
    st.sampled_from(LEVEL_POLICIES),
)
def test_louder_input_never_finds_less_speech(levels, gain_db, policy):
    """The same recording made louder throughout: every frame and every stretch of speech stays."""
    louder = [v + gain_db for v in levels]
    before, after = speech.voiced(levels, policy), speech.voiced(louder, policy)
    assert not (before & ~after).any()
    assert covered(speech.stretches(before, policy)) <= covered(speech.stretches(after, policy))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.just(-math.inf), st.integers(-100, 0).map(float)), max_size=300),
    st.lists(st.tuples(st.integers(0, 299), st.integers(1, 40).map(float)), max_size=20),
)
def test_an_absolute_bar_hears_any_louder_frame_as_at_least_as_much_speech(levels, boosts):
    louder = list(levels)
    for k, gain in boosts:
        if k < len(louder):
            louder[k] += gain
    assert not (speech.voiced(levels, SILENT_TRACK) & ~speech.voiced(louder, SILENT_TRACK)).any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-100, 0).map(float), min_size=1, max_size=300))
def test_the_guard_hears_the_loudest_window_of_any_track_that_is_not_silent(levels):
    """However quietly a video was recorded, a track the silent check lets through keeps the
    text over its loudest window: the guard cannot empty a whole draft for lying over silence.
    (A track quieter than that is refused before it is read; -45 dBFS is the guard's bar there.)"""
    loudest = int(np.argmax(levels))
    assert speech.voiced(levels, GUARD)[loudest] == (max(levels) >= SILENT_TRACK.floor_dbfs)
    # At normal levels the guard's bar is its absolute one.
    if max(levels) >= -25.0:
        assert speech.threshold(levels, GUARD) == -45.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), max_size=500))
def test_a_detector_frame_is_speech_from_its_policy_probability(probabilities):
    found = speech.detected(probabilities, UNREAD)
    assert list(found) == [p >= UNREAD.min_probability for p in probabilities]
