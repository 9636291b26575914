"""The team's scheduling arithmetic: shares of a batch, and the wall time of a back catalogue."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videokit.schedule import StageTimes, shares, wall_time

TIMES = StageTimes(
    encode=0.1, captions=0.02, draft_gpu=0.05, draft_cpu=0.5, subflow_s=0, run_start_s=0, probe_s=0
)
HOUR = 3600.0


@given(st.lists(st.floats(0, 1e9), max_size=40), st.integers(1, 12))
def test_shares_hold_every_video_once_in_order(weights, n):
    split = shares(weights, n)
    assert sorted(i for share in split for i in share) == list(range(len(weights)))
    assert len(split) <= n and all(share == sorted(share) for share in split)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=40), st.integers(1, 12))
def test_no_share_is_more_than_one_video_over_an_equal_split(weights, n):
    loads = [sum(weights[i] for i in share) for share in shares(weights, n)]
    assert max(loads) <= sum(weights) / min(n, len(weights)) + max(weights) + 1e-6


def test_the_longest_videos_go_to_different_workers():
    split = shares([1, 9, 1, 8, 1], 2)
    assert {1, 3} not in [set(share) & {1, 3} for share in split]


@given(st.builds(StageTimes, *(st.floats(0, 100),) * 7))
def test_stage_times_round_trip(times):
    assert StageTimes.from_dict(times.to_dict()) == times


def test_one_cpu_worker_does_everything_in_turn():
    assert wall_time(TIMES, [HOUR] * 10, cpu=1, gpu=0) == pytest.approx(10 * 0.62 * HOUR)


def test_a_gpu_pool_takes_the_drafts_and_the_slower_pool_sets_the_pace():
    # CPU: 10 h x 0.12 = 1.2 h; GPU: 10 h x 0.05 = 0.5 h, so the CPU worker is the bottleneck.
    assert wall_time(TIMES, [HOUR] * 10, cpu=1, gpu=1) == pytest.approx(1.2 * HOUR, rel=0.01)
    # Four CPU workers: the one GPU worker (0.5 h) is, plus the last video's captions.
    assert wall_time(TIMES, [HOUR] * 10, cpu=4, gpu=1) == pytest.approx(
        0.5 * HOUR + 0.02 * HOUR, rel=0.01
    )


def test_more_workers_never_take_longer():
    videos = [HOUR / 2] * 30
    times = [wall_time(TIMES, videos, cpu=n, gpu=m) for n, m in [(1, 0), (2, 0), (2, 1), (4, 2)]]
    assert times == sorted(times, reverse=True)


def test_a_run_without_cpu_workers_is_refused():
    with pytest.raises(ValueError, match="CPU worker"):
        wall_time(TIMES, [HOUR], cpu=0, gpu=2)
