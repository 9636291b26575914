"""The team service for real: a Prefect server, the videokit pool, two process workers.

One server and two workers serve the whole module (starting them costs most of a minute); the
tests run in the order written, each on its own videos. The three rendered sample videos are the
batch; every other video is a clip made here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import srt

import clips
from videokit.processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.model]

REPO = Path(__file__).resolve().parent.parent
SAMPLES = (
    "gode-raad-om-sociale-medier",
    "lokaldemokrati-paa-sociale-medier",
    "overblik-over-platformene",
)


def _project(root: Path) -> Path:
    from videokit import samples

    media = root / "media"
    (media / "samples").mkdir(parents=True)
    for manuscript in (REPO / "media" / "samples").glob("*.txt"):
        shutil.copy(manuscript, media / "samples")
    samples.render_all(media)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return _project(tmp_path_factory.mktemp("team-project"))


@pytest.fixture(scope="module")
def team(project, tmp_path_factory, base_model):
    from flows import team as t

    spec = t.Team(
        project=project,
        home=tmp_path_factory.mktemp("team-home"),
        port=free_port(),
        workers=2,
        runs_per_worker=2,  # a worker cannot take the whole batch in one poll: both take part
        watch=False,
        watch_every_s=5,
        quiet_s=3,
        cache_dir=tmp_path_factory.mktemp("team-cache"),
    )
    with _info_logs():
        t.up(spec, log=lambda _m: None)
    yield spec
    t.down(spec.home, log=lambda _m: None)


def _run(team, deployment: str, timeout: float | None = 900, **parameters):
    from flows import server
    from prefect.deployments import run_deployment

    with server.settings(team.url, team.auth):
        return run_deployment(
            deployment, parameters=parameters, timeout=timeout, as_subflow=False, poll_interval=1
        )


def _runs(team, name: str | None = None):
    from flows import server
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with server.client(team.url, team.auth) as client:
        flt = FlowRunFilter(name=FlowRunFilterName(any_=[name])) if name else None
        return client.read_flow_runs(flow_run_filter=flt, limit=200)


def _worker_of(run) -> int:
    """Which of this machine's workers (1, 2) ran ``run``: workers label the runs they take."""
    return int(run.labels["prefect.worker.name"].rsplit("-", 1)[1])


@contextlib.contextmanager
def _info_logs():
    """Workers started meanwhile log their runs' progress (the suite is quiet otherwise)."""
    saved = os.environ.get("PREFECT_LOGGING_LEVEL")
    os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PREFECT_LOGGING_LEVEL", None)
        else:
            os.environ["PREFECT_LOGGING_LEVEL"] = saved


def _digest(root: Path, slugs) -> dict[str, str]:
    """What a viewer and an editor get: captions, transcript and the editors' files."""
    out = {}
    for slug in slugs:
        preview = root / "build" / "preview" / slug
        for name in (f"{slug}.da.srt", f"{slug}.da.vtt", f"{slug}.da.txt", "transcript.json"):
            out[f"preview/{slug}/{name}"] = hashlib.sha256(
                (preview / name).read_bytes()
            ).hexdigest()
        for path in sorted((root / "review").glob(f"{slug}.*")):
            out[f"review/{path.name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _no_partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.part")] + [p for p in root.rglob(".staging-*")]


def _wait(predicate, timeout_s: float, what: str, every_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def test_two_workers_share_a_batch_and_match_a_plain_run(team, project, tmp_path):
    run = _run(team, "produce/videokit")
    assert run.state.is_completed(), run.state
    # The UI shows the end table as an artifact of the batch run.
    from flows import server
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with server.client(team.url, team.auth) as client:
        artifacts = client.read_latest_artifacts(limit=20)
        shares = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["produce-videos"]))
        )
    # One share of the batch per online worker, each run by a worker of this machine (one model
    # load each). Which worker takes which share is the pool's choice: a worker with two free
    # slots can take both (seen in one run of three), so that is not asserted.
    assert len(shares) == 2, [r.name for r in shares]
    assert all(r.state.is_completed() for r in shares), [(r.name, r.state) for r in shares]
    assert {_worker_of(r) for r in shares} <= {1, 2}, [(r.name, r.labels) for r in shares]
    assert any(a.key == "videokit-summary" for a in artifacts)

    # The same videos through a plain `videokit produce` (no server, no workers) give the same.
    plain = tmp_path / "plain"
    shutil.copytree(project / "media", plain / "media")
    env = {**os.environ, "VIDEOKIT_CACHE_DIR": str(team.cache_dir)}
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_API_AUTH_STRING", None)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("videokit")), "produce", "--project", str(plain)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert _digest(project, SAMPLES) == _digest(plain, SAMPLES)
    assert sorted(zipfile.ZipFile(project / "build" / "videokit-site.zip").namelist()) == sorted(
        zipfile.ZipFile(plain / "build" / "videokit-site.zip").namelist()
    )
    assert not _no_partials(project / "build")


def test_new_footage_is_picked_up_once_after_its_copy_ends(team, project, tmp_path):
    from flows import team as t

    made = clips.speech_video(
        tmp_path / "ny video.mp4", text="Velkommen til byrådet. Her er de nye regler."
    )
    t.register(replace(team, watch=True), log=lambda _m: None)
    try:
        target = project / "media" / "ny video.mp4"
        data = made.read_bytes()
        step = max(1, len(data) // 8)
        with target.open("wb") as f:  # a slow copy: a chunk a second, longer than the quiet time
            for i in range(0, len(data), step):
                f.write(data[i : i + step])
                f.flush()
                time.sleep(1.0)
        copied = time.time()
        name = "new footage: ny-video"
        finished = _wait(
            lambda: [r for r in _runs(team, name) if r.state and r.state.is_final()],
            300,
            "the run for the new video",
        )
        time.sleep(3 * team.watch_every_s)  # more looks: none may start another run
        runs = _runs(team, name)
        assert len(runs) == 1, [(r.name, r.state_name) for r in runs]
        assert finished[0].state.is_completed(), finished[0].state
        assert runs[0].created.timestamp() >= copied - 0.5  # never before the copy had ended
        assert (project / "build" / "preview" / "ny-video" / "ny-video.da.srt").is_file()
    finally:
        t.register(team, log=lambda _m: None)  # watching off again for the other tests


def test_a_worker_killed_mid_transcription_leaves_nothing_half_done(team, project, tmp_path):
    from flows import server
    from flows.team import _alive, start_workers

    clip = clips.speech_video(
        project / "media" / "afbrudt.mp4",
        text="Det her er en længere optagelse om sociale medier i kommunen. Byrådet vil gerne "
        "høre borgerne, og derfor svarer vi på spørgsmål hver uge. Husk at skrive høfligt, "
        "og del aldrig oplysninger om andre borgere uden deres samtykke.",
    )
    from flows.deployments import ASR_LIMIT

    from videokit.processes import process_tree, running

    _run(team, "produce/videokit", timeout=0, paths=[str(clip)])
    child = _wait(
        lambda: [r for r in _runs(team, "afbrudt") if r.state_name == "Running"], 300, "its run"
    )
    with server.client(team.url, team.auth) as client:
        # One client, asked often: a short draft on a quiet machine must not pass unseen
        # between two looks (a new client for each look costs a second on a loaded one).
        _wait(
            lambda: client.read_global_concurrency_limit_by_name(ASR_LIMIT).active_slots,
            300,
            "the transcription to start",
            every_s=0.2,
        )
    victim = _worker_of(child[0])
    # The machine dies: the worker and the flow run it started, without any clean-up.
    tree = process_tree(_alive(team.home, f"worker-{victim}"))
    for pid in tree:
        os.kill(pid, signal.SIGKILL)
    # Down means ended: a killed process runs on for a moment (longer on a loaded machine), and a
    # worker still running is not started again below.
    _wait(lambda: not any(running(pid) for pid in tree), 120, "the killed processes to end")
    assert not (project / "build" / "site" / "afbrudt").exists()
    with _info_logs():
        start_workers(team, log=lambda _m: None)  # the machine comes back

    # Before this batch can start, Prefect has to find the dead runs (three missed heartbeats:
    # up to two minutes) and the queued batch has to get its slot: on a loaded machine that and
    # the draft itself take more than the quarter of an hour a batch gets elsewhere.
    again = _run(team, "produce/videokit", timeout=1800, paths=[str(clip)])
    assert again.state.is_completed(), again.state
    preview = project / "build" / "preview" / "afbrudt"
    cues = list(srt.parse((preview / "afbrudt.da.srt").read_text(encoding="utf-8")))
    assert cues and "sociale medier" in " ".join(c.content for c in cues)
    assert not _no_partials(project / "build") and not _no_partials(project / "review")
    # Prefect marks the dead run Crashed once its heartbeats stop, so nothing waits on it forever.
    with server.client(team.url, team.auth) as client:
        crashed = _wait(
            lambda: client.read_flow_run(child[0].id).state.is_crashed(), 300, "the crash mark"
        )
    assert crashed


def test_two_runs_at_once_on_one_folder_write_each_video_whole(team, project):
    # The samples only: the clips earlier tests added (one of them killed mid-draft) would make
    # this test's work, and its time, depend on how those tests went.
    videos = [str(project / "media" / f"{slug}.mp4") for slug in SAMPLES]
    if not all((project / "build" / "preview" / s).is_dir() for s in SAMPLES):
        assert _run(team, "produce/videokit", paths=videos).state.is_completed()
    before = _digest(project, SAMPLES)
    env = {
        **os.environ,
        "VIDEOKIT_CACHE_DIR": str(team.cache_dir),
        "PREFECT_API_URL": team.url,
        "PREFECT_API_AUTH_STRING": team.auth,
    }
    command = [
        str(Path(sys.executable).with_name("videokit")),
        "produce",
        "--always",
        "--project",
        str(project),
        *videos,
    ]
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    try:
        outputs = [r.communicate(timeout=900)[0] for r in runs]
    finally:
        for r in runs:  # a run left behind would go on writing into the next tests' project
            if r.poll() is None:
                r.kill()
                r.wait()
    assert [r.returncode for r in runs] == [0, 0], "\n".join(o[-2000:] for o in outputs)
    assert _digest(project, SAMPLES) == before
    assert not _no_partials(project / "build")
    with zipfile.ZipFile(project / "build" / "videokit-site.zip") as z:
        assert z.testzip() is None


def test_a_server_restart_keeps_history_and_editors_files(team, project):
    from flows import team as t

    review = {p.name: p.read_bytes() for p in (project / "review").glob("*.*") if p.is_file()}
    before = {r.id for r in _runs(team)}
    assert before and review
    t.down(team.home, log=lambda _m: None)
    assert not t.healthy(team.url)
    with _info_logs():
        t.up(team, log=lambda _m: None)
    assert before <= {r.id for r in _runs(team)}
    assert {
        p.name: p.read_bytes() for p in (project / "review").glob("*.*") if p.is_file()
    } == review
    run = _run(team, "produce/videokit", paths=[str(project / "media" / f"{SAMPLES[0]}.mp4")])
    assert run.state.is_completed(), run.state


def test_drafts_can_be_made_by_a_gpu_pool_while_the_pool_renders(team, project):
    from flows import team as t

    gpu = replace(team, asr_pool="videokit-gpu")
    t.register(gpu, log=lambda _m: None)
    try:
        command = t._worker_command("videokit-gpu", "gpu-1")
        with _info_logs():
            t._start(
                team.home,
                "worker-gpu",
                command,
                t._env(team.home, team.url, team.cache_dir, team.auth),
                project,
            )
        clip = clips.speech_video(
            project / "media" / "fra gpu.mp4",
            text="Kommunen bruger sociale medier til at fortælle om nye cykelstier.",
        )
        run = _run(team, "produce/videokit", paths=[str(clip)])
        assert run.state.is_completed(), run.state
        from flows import server

        with server.client(team.url, team.auth) as client:
            by_gpu = [
                client.read_flow(r.flow_id).name
                for r in _runs(team)
                if r.labels.get("prefect.worker.name") == "gpu-1"
            ]
        assert by_gpu == ["transcribe-video"]  # the draft, and nothing else
        video = _runs(team, "fra-gpu")[0]
        assert video.labels["prefect.worker.name"] != "gpu-1"  # encoding and pages: the CPU pool
        srt_file = project / "build" / "preview" / "fra-gpu" / "fra-gpu.da.srt"
        assert list(srt.parse(srt_file.read_text(encoding="utf-8")))  # captions from that draft
    finally:
        t.register(team, log=lambda _m: None)
        t._stop(team.home, "worker-gpu")
