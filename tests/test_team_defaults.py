"""The team service's defaults on a fresh folder: one worker, the watch on, new videos, restarts.

The first `team up` on a folder with three videos not yet produced used to deadlock: the pickup
started one batch per video, the batches filled the worker's three slots waiting for their
videos, and the videos stayed Late for good. A restart during a draft kept the draft limit's slot
taken, and every later draft waited for it.
"""

from __future__ import annotations

import time

import pytest

from teams import team_of_clips

pytestmark = [pytest.mark.slow, pytest.mark.model]

TEXTS = {
    "byraad": "Byrådet holder møde i aften.",
    "borgere": "Alle borgere kan stille spørgsmål.",
    "regler": "Her er de nye regler for sociale medier.",
}


@pytest.fixture(scope="module")
def team(tmp_path_factory, base_model):
    # The defaults otherwise: three runs at once, the watch on.
    options = dict(workers=1, watch=True, watch_every_s=5, quiet_s=2)
    with team_of_clips(tmp_path_factory, "fresh", TEXTS, **options) as spec:
        yield spec


def _runs(team, flow: str | None = None):
    from flows import server
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with server.client(team.url, team.auth) as client:
        only = FlowFilter(name=FlowFilterName(any_=[flow])) if flow else None
        return client.read_flow_runs(flow_filter=only, limit=200)


def test_one_worker_with_the_watch_on_finishes_three_new_videos(team):
    preview = team.project / "build" / "preview"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        done = [s for s in TEXTS if (preview / s / f"{s}.da.srt").is_file()]
        if len(done) == len(TEXTS) and (team.project / "build" / "videokit-site.zip").is_file():
            break
        time.sleep(2)
    batches, videos = _runs(team, "produce"), _runs(team, "produce-video")
    states = sorted((r.name, r.state_name) for r in [*batches, *videos])
    assert len(done) == len(TEXTS), states
    assert len(batches) == 1 and all(s in batches[0].name for s in TEXTS), states
    assert batches[0].name.startswith("new footage:"), states
    # Looks at the folder may wait while the worker is busy; videos and batches never do.
    assert len(videos) == len(TEXTS) and all(r.state_name == "Completed" for r in videos), states


def test_a_restart_frees_draft_slots_held_by_runs_that_are_gone(team):
    from flows import server
    from flows import team as t
    from flows.deployments import ASR_LIMIT

    with server.client(team.url, team.auth) as client:  # a draft that never gave its slot back
        client.increment_concurrency_slots(names=[ASR_LIMIT], slots=1, mode="concurrency")
        assert client.read_global_concurrency_limit_by_name(ASR_LIMIT).active_slots == 1
    t.down(team.home, log=lambda _m: None)
    said: list[str] = []
    t.up(team, log=said.append)
    with server.client(team.url, team.auth) as client:
        assert client.read_global_concurrency_limit_by_name(ASR_LIMIT).active_slots == 0
    assert any("released 1 draft slot" in line for line in said), said


def test_a_worker_that_runs_one_run_at_a_time_is_refused(team, tmp_path):
    from dataclasses import replace

    from flows import team as t

    from videokit.errors import VideokitError

    with pytest.raises(VideokitError, match="cannot finish a batch") as err:
        t.up(replace(team, runs_per_worker=1), log=lambda _m: None)
    assert "--runs-per-worker 2" in err.value.hint
    with pytest.raises(VideokitError, match="too small"):
        t.worker(team.url, "videokit", None, None, limit=1)


@pytest.mark.parametrize("old_format", [False, True], ids=["recorded", "older-videokit"])
def test_team_down_never_signals_a_process_that_reused_a_stale_pid(tmp_path, old_format):
    """`team down` killed whatever process owned a pid from its pid files."""
    import json
    import subprocess
    import sys

    from flows import team as t

    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pid_file = tmp_path / "worker-1.pid"
        if old_format:  # a bare pid, as older versions wrote: only one of ours is taken for it
            pid_file.write_text(str(stranger.pid))
        else:  # the pid of a worker long gone, now reused by another program
            pid_file.write_text(json.dumps({"pid": stranger.pid, "started": "1", "command": []}))
        assert t._alive(tmp_path, "worker-1") is None
        assert t._stop(tmp_path, "worker-1") is False
        assert stranger.poll() is None, "the stranger was left alone"
        ours = t._start(
            tmp_path,
            "worker-2",
            [sys.executable, "-c", "import time; time.sleep(60)"],
            {},
            tmp_path,
        )
        assert t._alive(tmp_path, "worker-2") == ours and t._stop(tmp_path, "worker-2") is True
    finally:
        stranger.kill()
        stranger.wait()
