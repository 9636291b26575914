"""Workers that stop: a SIGTERM hands the runs back to the pool, a killed worker's runs are
marked Crashed and reported by their batch, and the draft limit's slot they held comes back.

A worker killed outright used to leave its runs orphaned (the batch then died at its next line of
output, with no summary), and one SIGTERM did not stop it.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from teams import team_of_clips

pytestmark = [pytest.mark.slow, pytest.mark.model]

SPOKEN = {  # long enough to be caught mid-draft; a video per test (a draft is made once)
    "moede": "Byrådet holder møde i aften, og alle borgere kan stille spørgsmål.",
    "regler": "Her er de nye regler for sociale medier. Byrådet holder møde i aften.",
}


@pytest.fixture(scope="module")
def team(tmp_path_factory, base_model):
    with team_of_clips(tmp_path_factory, "workers", SPOKEN, workers=0, watch=False) as spec:
        yield spec  # each test starts its own workers


def _worker(team, name: str, limit: int, *more: str) -> int:
    from flows import team as t
    from flows.deployments import POOL

    command = [*t._worker_command(POOL, name, limit), *more]
    env = t._env(team.home, team.url, team.cache_dir, team.auth)
    return t._start(team.home, f"worker-{name}", command, env, team.project)


def _batch(team, video: str):
    from flows import server
    from flows.deployments import BATCH
    from prefect.deployments import run_deployment

    with server.settings(team.url, team.auth):
        return run_deployment(
            BATCH, parameters={"paths": [str(team.project / "media" / video)]}, timeout=0
        )


def _run(team, run_id):
    from flows import server

    with server.client(team.url, team.auth) as client:
        return client.read_flow_run(run_id)


def _video_runs(team, parent):
    from flows import server
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with server.client(team.url, team.auth) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["produce-videos"]))
        )
    return [r for r in runs if str(parent.id) in (r.idempotency_key or "")]


def _until(what, timeout_s: float = 600, every_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(every_s)
    raise AssertionError(f"not within {timeout_s} s: {what.__doc__}")


def _slots(team) -> int:
    from flows import server
    from flows.deployments import ASR_LIMIT

    with server.client(team.url, team.auth) as client:
        return client.read_global_concurrency_limit_by_name(ASR_LIMIT).active_slots


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
        os.kill(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        return True
    return False


def test_sigterm_hands_the_runs_back_and_down_wait_lets_another_worker_finish(team):
    from flows import team as t
    from flows.common import ASR_LEASE_S
    from flows.deployments import STOP_S

    first = _worker(team, "first", 2, "--drain-s", "0")
    batch = _batch(team, "moede.mp4")

    def drafting():
        """the video's run is running"""
        return [r for r in _video_runs(team, batch) if r.state_name == "Running"]

    _until(drafting)
    started = time.monotonic()
    os.kill(first, signal.SIGTERM)
    _until(lambda: _gone(first), timeout_s=STOP_S)
    assert time.monotonic() - started < STOP_S
    handed_back = [_run(team, batch.id), *_video_runs(team, batch)]
    # Back in the pool, for any worker: not Crashed, not lost.
    assert all(r.state_type.value == "SCHEDULED" for r in handed_back), [
        (r.name, r.state_name) for r in handed_back
    ]

    def slot_back():
        """the handed-back draft's slot to come back"""
        return _slots(team) == 0

    # Its draft runs in a thread of the run's process, which the hand-back may cut off before
    # the draft lets go of its slot: the slot's lease then runs out (it is renewed only while
    # the process lives). Asked at once, the answer depended on where in the draft the stop fell.
    _until(slot_back, timeout_s=ASR_LEASE_S + 60)
    _worker(team, "second", 2)
    said: list[str] = []
    t.down(team.home, log=said.append, wait=True)  # returns once the batch and its video are done
    assert "no run in progress" in said and not t._alive(team.home, "worker-second"), said
    assert (team.project / "build" / "preview" / "moede" / "moede.da.srt").is_file()
    t.up(team, log=lambda _m: None)  # to read what the history says
    done = _run(team, batch.id)
    videos = _video_runs(team, batch)
    # The batch started again and found the run it had started: one run for the one video.
    assert done.state_name == "Completed" and len(videos) == 1, [
        (r.name, r.state_name) for r in [done, *videos]
    ]
    assert videos[0].state_name == "Completed" and videos[0].run_count >= 2


def test_a_worker_killed_mid_draft_is_reported_by_its_batch_and_frees_the_slot(team):
    from flows import server
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from videokit.processes import process_tree

    _worker(team, "holder", 1)  # a worker with room for the batch only
    batch = _batch(team, "regler.mp4")
    _until(lambda: _run(team, batch.id).state_name == "Running")
    victim = _worker(team, "victim", 2)  # gets the video
    _until(lambda: _slots(team) == 1, every_s=0.2)  # drafting
    for pid in process_tree(victim):  # the worker and its runs, as when a machine goes away
        os.kill(pid, signal.SIGKILL)
    (team.home / "worker-victim.pid").unlink()
    video = _until(
        lambda: [r for r in _video_runs(team, batch) if r.state_name == "Crashed"], timeout_s=240
    )[0]
    assert _slots(team) == 0, "the dead run's draft slot is still taken"
    done = _until(lambda: (r := _run(team, batch.id)).state.is_final() and r)
    assert done.state_name == "Failed" and "1 of 1 videos failed" in done.state.message
    with server.client(team.url, team.auth) as client:
        (summary,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[batch.id]))
        )
    # The summary table (in the UI and the log) names the video and how its run ended.
    assert summary.key == "videokit-summary" and "regler" in str(summary.data)
    assert "ended Crashed" in str(summary.data), summary.data
    assert video.name == "regler"
