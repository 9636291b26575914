"""New footage is started once, and only after its copy has finished (pure logic)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videokit import report
from videokit.pickup import Sighting, Watch, look, unstart

QUIET = 30_000
S = 1_000_000_000  # ns per second


def _file(size, mtime_s):
    return (size, mtime_s * S)


def test_a_growing_file_is_never_started_and_a_settled_one_once():
    watch, ready = Watch(), []
    t0 = 1_000_000  # seconds
    # Copied in chunks for 100 s: each look finds it bigger and newer.
    for i in range(100):
        watch, r = look(watch, {"v.mp4": _file(1000 * (i + 1), t0 + i)}, (t0 + i) * 1000)
        ready += r
    assert ready == []
    # Copy done at t0+99: nothing changes any more.
    for i in range(100, 200):
        watch, r = look(watch, {"v.mp4": _file(100_000, t0 + 99)}, (t0 + i) * 1000)
        ready += [(i, n) for n in r]
    assert len(ready) == 1
    second, name = ready[0]
    assert name == "v.mp4"
    assert second >= 99 + QUIET // 1000  # only after the quiet time had passed


def test_a_copy_that_pauses_shorter_than_the_quiet_time_is_not_started():
    t0 = 2_000_000
    watch, ready = Watch(), []
    # A chunk every 20 s (a slow network copy): the file keeps changing, so never quiet.
    for i in range(0, 200, 20):
        watch, r = look(watch, {"v.mp4": _file(i + 1, t0 + i)}, (t0 + i) * 1000)
        ready += r
    assert ready == []


def test_a_file_copied_over_again_is_a_new_version_and_started_again():
    t0 = 3_000_000
    watch, _ = look(Watch(), {"v.mp4": _file(10, t0)}, t0 * 1000)
    watch, first = look(watch, {"v.mp4": _file(10, t0)}, (t0 + 40) * 1000)
    watch, again = look(watch, {"v.mp4": _file(10, t0)}, (t0 + 80) * 1000)
    assert first == ["v.mp4"] and again == []
    watch, _ = look(watch, {"v.mp4": _file(12, t0 + 100)}, (t0 + 100) * 1000)
    watch, second = look(watch, {"v.mp4": _file(12, t0 + 100)}, (t0 + 140) * 1000)
    assert second == ["v.mp4"]


def test_empty_files_and_vanished_files_are_not_started():
    t0 = 4_000_000
    watch, _ = look(Watch(), {"tom.mp4": _file(0, t0), "v.mp4": _file(5, t0)}, t0 * 1000)
    watch, ready = look(watch, {"tom.mp4": _file(0, t0)}, (t0 + 60) * 1000)
    assert ready == []
    assert set(watch.files) == {"tom.mp4"}  # v.mp4 is gone: forgotten


def test_a_start_that_failed_is_tried_again_at_the_next_look():
    t0 = 5_000_000
    watch, _ = look(Watch(), {"v.mp4": _file(5, t0)}, t0 * 1000)
    watch, ready = look(watch, {"v.mp4": _file(5, t0)}, (t0 + 60) * 1000)
    assert ready == ["v.mp4"]
    watch = unstart(watch, "v.mp4")
    watch, ready = look(watch, {"v.mp4": _file(5, t0)}, (t0 + 65) * 1000)
    assert ready == ["v.mp4"]


def test_a_file_written_just_before_the_first_look_waits_for_the_quiet_time():
    t0 = 6_000_000
    # Seen twice, unchanged, but its time says it was written a moment ago.
    watch, _ = look(Watch(), {"v.mp4": _file(5, t0 + 50)}, (t0 + 20) * 1000)
    watch, ready = look(watch, {"v.mp4": _file(5, t0 + 50)}, (t0 + 60) * 1000)
    assert ready == []
    watch, ready = look(watch, {"v.mp4": _file(5, t0 + 50)}, (t0 + 81) * 1000)
    assert ready == ["v.mp4"]


sightings = st.builds(
    Sighting,
    size=st.integers(0, 2**40),
    mtime_ns=st.integers(0, 2**62),
    since_ms=st.integers(0, 2**45),
    started=st.booleans(),
)


@given(st.dictionaries(st.text(min_size=1, max_size=40), sightings, max_size=8))
def test_the_watch_round_trips_through_json(files):
    watch = Watch(files)
    assert Watch.from_json(watch.to_json()) == watch


@pytest.mark.parametrize(
    "junk",
    ["[]", "{}", '{"files": []}', '{"files": {"a": {"size": -1, "mtime_ns": 0, "since_ms": 0}}}'],
)
def test_a_damaged_watch_is_refused(junk):
    with pytest.raises((ValueError, TypeError, KeyError)):
        Watch.from_json(junk)


results = st.builds(
    report.VideoResult,
    source=st.text(max_size=30),
    slug=st.text(max_size=30),
    ok=st.booleans(),
    duration_ms=st.integers(0, 10**8),
    cues=st.integers(0, 10**4),
    seconds=st.floats(0, 1e6, allow_nan=False),
    reason=st.text(max_size=50),
    warnings=st.lists(st.text(max_size=20), max_size=3).map(tuple),
)


@given(results)
def test_a_video_result_round_trips_through_json(result):
    assert report.from_dict(json.loads(json.dumps(report.to_dict(result)))) == result


@pytest.mark.parametrize(
    "junk", [[], "x", {"source": "a"}, {"source": "a", "slug": "a", "ok": "yes"}]
)
def test_a_damaged_result_is_refused(junk):
    with pytest.raises((TypeError, ValueError)):
        report.from_dict(junk)
