"""A project in object storage, against a real S3-compatible server (moto's server mode).

The server is a separate HTTP service started here; videokit reaches it through s3fs and the
standard ``AWS_ENDPOINT_URL_S3`` setting, as it would MinIO or S3, with nothing mocked in between.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
import srt
from hypothesis import assume, given
from hypothesis import strategies as st

import clips

BUCKET = "videokit-test"
GOOD = "Møde om åbne data.mp4"
SLUG = "moede-om-aabne-data"
EDITOR_TEXT = "Byrådet holder møde i aften."


def _one_request_at_a_time(app):
    """S3 decides a conditional write atomically; moto checks, then writes. Handling one request
    at a time (connections stay concurrent) gives the tests S3's guarantee."""
    lock = threading.Lock()

    def serve(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    return serve


@pytest.fixture(scope="module")
def s3_server():
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    app = _one_request_at_a_time(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    settings = {
        "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "videokit",
        "AWS_SECRET_ACCESS_KEY": "videokit-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in settings.items():
            mp.setenv(name, value)
        mp.delenv("AWS_PROFILE", raising=False)
        yield f"http://{host}:{port}"
    server.shutdown()


_buckets = iter(range(1000))


@pytest.fixture
def store(s3_server):
    """An empty store of its own for each test."""
    from videokit.store import ObjectStore

    store = ObjectStore(f"s3://{BUCKET}-{next(_buckets)}/project")
    store.fs.mkdir(store.root.split("/")[0])
    return store


def test_conditional_writes_refuse_a_version_not_read(store):
    from videokit.store import ABSENT, StoreConflict

    first = store.write("review/a.srt", b"one", match=ABSENT)
    with pytest.raises(StoreConflict):
        store.write("review/a.srt", b"two", match=ABSENT)
    second = store.write("review/a.srt", b"two", match=first)
    with pytest.raises(StoreConflict):
        store.write("review/a.srt", b"three", match=first)  # someone wrote in between
    with pytest.raises(StoreConflict):
        store.delete("review/a.srt", match=first)
    assert store.read("review/a.srt") == (b"two", second)
    assert store.listing("review") == {"review/a.srt": second}


def test_a_store_that_ignores_conditions_is_refused(store):
    from videokit.errors import VideokitError
    from videokit.store import ObjectStore, check_conditions

    check_conditions(store)  # moto, like S3, honours them
    assert not store.listing(".locks")

    class Careless:  # what a store without conditional writes does: every write succeeds
        def __init__(self, fs):
            self.fs = fs

        def pipe_file(self, path, data, **_conditions):
            return self.fs.pipe_file(path, data)

        def __getattr__(self, name):
            return getattr(self.fs, name)

    careless = ObjectStore(store.url, fs=Careless(store.fs))
    with pytest.raises(VideokitError, match="ignores conditional writes"):
        check_conditions(careless)
    assert not store.listing(".locks")


def test_the_draft_cache_in_the_store_keeps_the_first_draft(store):
    from videokit.cache import StoreCache, open_cache
    from videokit.transcript import Transcript

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIDEOKIT_CACHE_DIR", f"{store.url}/cache")
        cache = open_cache()
    assert isinstance(cache, StoreCache)
    first, second = (Transcript("da", 1000, (), model=m) for m in ("first", "second"))
    assert cache.get("draft-a") is None
    cache.put("draft-a", first)
    cache.put("draft-a", second)  # the same video drafted on another machine meanwhile
    assert cache.get("draft-a") == first
    store.write("cache/draft-b.json", b"{not json")
    cache.put("draft-b", second)  # a damaged entry is replaced
    assert cache.get("draft-b") == second


def test_a_lease_is_held_by_one_run_and_named_to_the_other(store):
    from videokit.errors import VideokitError
    from videokit.store import lease

    told: list[str] = []
    with lease(store, "video-x", wait_s=5, term_s=1.5):
        time.sleep(2.0)  # past a whole term: only the renewals keep it
        started = time.monotonic()
        with (
            pytest.raises(VideokitError, match="another run holds 'video-x'") as err,
            lease(store, "video-x", wait_s=2.5, term_s=1.5, on_wait=told.append),
        ):
            pass
        assert time.monotonic() - started >= 2.5
    assert err.value.stage == "lock"
    assert len(told) == 1 and f"pid {os.getpid()}" in told[0]
    with lease(store, "video-x", wait_s=0):  # released: had at once
        pass
    assert ".locks/video-x.json" not in store.listing()


def test_a_dead_runs_lease_is_taken_over_after_its_term(store):
    from videokit.store import ABSENT, lease

    # What a killed run leaves: a lease object that nobody renews.
    store.write(".locks/video-y.json", b'{"holder": "pid 1 on gone"}', match=ABSENT)
    started = time.monotonic()
    with lease(store, "video-y", wait_s=10, term_s=1.5) as held:
        waited = time.monotonic() - started
        assert not held.lost
    assert 1.5 <= waited < 5


def test_of_two_runs_waiting_for_a_dead_lease_one_gets_it(store):
    from videokit.store import ABSENT, lease

    store.write(".locks/video-z.json", b"{}", match=ABSENT)
    inside = []
    overlap = []

    def run(name: str) -> None:
        with lease(store, "video-z", wait_s=15, term_s=1.0):
            if inside:
                overlap.append(name)
            inside.append(name)
            time.sleep(1.0)
            inside.remove(name)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == []


def test_an_editors_file_saved_during_a_run_is_kept_and_the_runs_set_aside(store, tmp_path):
    from videokit import staging

    store.write("media/x.mp4", b"video")
    store.write("review/x.da.srt", b"staged version")
    store.write("review/other.da.srt", b"another video's file")
    staged = staging.stage_video(store, "media/x.mp4", "x", tmp_path)
    assert (staged.review / "x.da.srt").read_bytes() == b"staged version"
    assert not (staged.review / "other.da.srt").exists()
    # The run rewrites the view and writes new files, while an editor saves the view.
    (staged.review / "x.da.srt").write_bytes(b"run's version")
    (staged.review / "x.txt").write_text("run's text view")
    (staged.out / "preview" / "x").mkdir(parents=True)
    (staged.out / "preview" / "x" / "index.html").write_text("page")
    store.write("review/x.da.srt", b"editor's version")

    notes = staging.publish(store, staged, "x")

    assert store.read("review/x.da.srt")[0] == b"editor's version"
    assert "review/x.txt" not in store.listing("review")  # held back with the view it matches
    kept = {rel: store.read(rel)[0] for rel in store.listing("review/history/x/conflicts")}
    assert sorted(kept.values()) == [b"run's text view", b"run's version"]
    assert len(notes) == 2 and "review/x.da.srt was changed in the store" in notes[0]
    assert "review/x.txt: this run's version is held back" in notes[1]
    assert store.read("build/preview/x/index.html")[0] == b"page"  # outputs go out as usual


def test_an_unchanged_file_is_not_written_back(store, tmp_path):
    from videokit import staging

    etag = store.write("review/x.txt", b"text")
    staged = staging.stage_video(store, "media/x.mp4", "x", tmp_path)
    store.write("review/x.txt", b"editor's text", match=etag)
    assert staging.publish(store, staged, "x") == []
    assert store.read("review/x.txt")[0] == b"editor's text"


def _paths_of(slug: str) -> list[str]:
    """Where a video's review files and outputs are, by the project's own naming."""
    from videokit.naming import file_names, review_names, social_names

    review = [f"review/{name}" for name in review_names(slug).values()]
    review += [f"review/.state/{slug}.json", f"review/history/{slug}/0001/approval.json"]
    out = [
        f"build/{top}/{slug}/{name}"
        for top in ("site", "preview")
        for name in file_names(slug).values()
    ]
    out += [f"build/social/{slug}/{name}" for name in social_names(slug).values()]
    out += [f"build/review/{slug}.html", f"build/quality/{slug}.json"]
    out += [f"build/state/{slug}.json", f"build/state/{slug}.last-run.json"]
    return review + out


slugs = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@given(slug=slugs, other=slugs)
def test_a_video_stages_its_own_files_and_no_other_videos(slug, other):
    from videokit import staging

    assume(slug != other)
    assert all(staging.belongs_to(rel, slug) for rel in _paths_of(slug))
    assert not any(staging.belongs_to(rel, other) for rel in _paths_of(slug))
    for shared in ("build/site/index.html", "build/videokit-site.zip", "review/README.txt"):
        assert not staging.belongs_to(shared, slug)


def test_a_batch_reads_the_result_a_video_run_kept_in_the_store(store):
    import json
    from types import SimpleNamespace

    from flows import stored

    from videokit import report
    from videokit.report import VideoResult
    from videokit.workspace import VideoJob

    plan = stored.plan(store.url)
    job = VideoJob(Path("media/x.mp4"), "x")
    kept = VideoResult("x.mp4", "x", True, cues=3, status="draft")
    store.write("build/state/runs/run-1.json", json.dumps(report.to_dict(kept)).encode())
    run = SimpleNamespace(id="run-1", name="x", state_name="Completed")
    assert stored.collect(plan, run, job) == kept
    assert "build/state/runs/run-1.json" not in store.listing("build")  # read once
    lost = stored.collect(plan, SimpleNamespace(id="run-2", name="y", state_name="Crashed"), job)
    assert not lost.ok and lost.stage == "worker" and "Crashed without a result" in lost.reason


# --- a real batch: the same video made in a folder and in the store --------------------------


def _media(folder: Path) -> Path:
    folder.mkdir(parents=True)
    clips.speech_video(folder / GOOD)
    (folder / "glossary.txt").write_text("KL\nbyråd\n", encoding="utf-8")
    (folder / f"{SLUG}.toml").write_text('title = "Mødet"\n', encoding="utf-8")
    return folder


def _upload(store, media: Path) -> None:
    for path in media.iterdir():
        store.upload(path, f"media/{path.name}")


def _captions(text: str) -> list[tuple[int, int, str]]:
    return [
        (int(c.start.total_seconds() * 1000), int(c.end.total_seconds() * 1000), c.content)
        for c in srt.parse(text)
    ]


@pytest.fixture(scope="module")
def runs(s3_server, tmp_path_factory, prefect_harness, base_model):
    """A plain run in folders, then the same project run in the store while an editor saves the
    video's review file there (after the run has staged it, before it publishes)."""
    from flows.produce import produce

    from videokit import staging
    from videokit.store import ObjectStore

    root = tmp_path_factory.mktemp("store-batch")
    media = _media(root / "plain" / "media")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIDEOKIT_CACHE_DIR", str(root / "plain-cache"))
        plain = produce(
            media_dir=str(media),
            out_dir=str(root / "plain" / "build"),
            review_dir=str(root / "plain" / "review"),
            return_state=True,
        ).result(raise_on_failure=False)
    store = ObjectStore(f"s3://{BUCKET}-batch/project")
    store.fs.mkdir(f"{BUCKET}-batch")
    _upload(store, media)
    machine_srt = (root / "plain" / "review" / f"{SLUG}.da.srt").read_text(encoding="utf-8")
    cues = list(srt.parse(machine_srt))
    cues[0].content = EDITOR_TEXT
    editors = srt.compose(cues)
    real_stage = staging.stage_video

    def stage_then_editor_saves(*args, **kwargs):
        staged = real_stage(*args, **kwargs)
        store.write(f"review/{SLUG}.da.srt", editors.encode())
        return staged

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("VIDEOKIT_CACHE_DIR", raising=False)  # the store's own cache
        mp.setattr(staging, "stage_video", stage_then_editor_saves)
        first = produce(store=store.url, return_state=True).result(raise_on_failure=False)
    made = {rel: store.read(rel)[0] for rel in store.listing("build")}  # before the rerun
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("VIDEOKIT_CACHE_DIR", raising=False)
        again = produce(store=store.url, return_state=True).result(raise_on_failure=False)
    shutil.rmtree(root / "plain-cache")
    return {
        "plain": plain,
        "first": first,
        "again": again,
        "store": store,
        "made": made,
        "root": root,
        "editors": editors,
    }


@pytest.mark.slow
@pytest.mark.model
def test_a_batch_in_the_store_gives_the_captions_of_a_plain_run(runs):
    store, root = runs["store"], runs["root"]
    [plain], [first] = runs["plain"], runs["first"]
    assert plain.ok and first.ok, (plain, first)
    assert first.transcribed == "new" and first.output.startswith(store.url)
    made = runs["made"]
    for name in (f"{SLUG}.da.vtt", f"{SLUG}.da.srt", "transcript.json", "index.html"):
        expected = (root / "plain" / "build" / "preview" / SLUG / name).read_bytes()
        assert made[f"build/preview/{SLUG}/{name}"] == expected, name
    assert "Mødet" in made[f"build/preview/{SLUG}/index.html"].decode()  # the side file's title
    assert [rel for rel in store.listing("cache") if rel.endswith(".json")]  # the draft cached
    for rel in ("build/preview/index.html", "build/site/index.html", "build/videokit-site.zip"):
        assert rel in made, rel
    assert not [rel for rel in store.listing() if rel.startswith(".locks/")]  # all released


@pytest.mark.slow
@pytest.mark.model
def test_an_editors_file_in_the_store_is_not_overwritten_by_a_run(runs):
    store = runs["store"]
    [first], [again] = runs["first"], runs["again"]
    assert store.read(f"review/{SLUG}.da.srt")[0].decode() == runs["editors"]
    kept = store.listing(f"review/history/{SLUG}/conflicts")
    assert any(rel.endswith(f"{SLUG}.da.srt") for rel in kept)
    assert any("changed in the store while this run worked" in w for w in first.warnings)
    # The next run takes the editor's file, from the draft in the store's cache.
    assert again.ok and again.transcribed == "cached", again
    vtt = store.read(f"build/preview/{SLUG}/{SLUG}.da.vtt")[0].decode()
    assert EDITOR_TEXT in vtt
    assert _captions(store.read(f"review/{SLUG}.da.srt")[0].decode())[0][2] == EDITOR_TEXT


@pytest.mark.slow
@pytest.mark.model
def test_the_team_service_produces_a_store_project_on_its_worker(runs, tmp_path):
    """``team up --store``: the batch and the video's run on a worker process, which reaches the
    store with nothing but the AWS settings of its environment."""
    import socket

    from flows import server
    from flows import team as t
    from flows.deployments import BATCH
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment

    from videokit.store import ObjectStore

    store = ObjectStore(f"s3://{BUCKET}-team/project")
    store.fs.mkdir(f"{BUCKET}-team")
    _upload(store, runs["root"] / "plain" / "media")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    spec = t.Team(
        project=tmp_path,
        home=tmp_path / "home",
        port=port,
        workers=1,
        runs_per_worker=3,
        watch=False,
        store=store.url,
    )
    try:
        with pytest.MonkeyPatch.context() as mp:
            # The draft the store batch above made, from that store's cache: the worker reads it
            # back over S3 instead of transcribing again (the suite's time).
            mp.setenv("VIDEOKIT_CACHE_DIR", f"{runs['store'].url}/cache")
            mp.setenv("PREFECT_LOGGING_LEVEL", "INFO")  # the worker's log says where it came from
            t.up(spec, log=lambda _m: None)
        with server.settings(spec.url, spec.auth):
            run = run_deployment(BATCH, timeout=900, as_subflow=False, poll_interval=1)
        assert run.state.is_completed(), (run.state, (spec.home / "worker-1.log").read_text())
        with server.client(spec.url, spec.auth) as client:
            (summary,) = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
            )
    finally:
        t.down(spec.home, log=lambda _m: None)
    expected = runs["root"] / "plain" / "build" / "preview" / SLUG / f"{SLUG}.da.vtt"
    assert store.read(f"build/preview/{SLUG}/{SLUG}.da.vtt")[0] == expected.read_bytes()
    assert store.read("build/videokit-site.zip") is not None
    assert not [rel for rel in store.listing() if rel.startswith((".locks/", "build/state/runs/"))]
    # The batch's summary (the runs' own log lines go to the server, not through the worker):
    # the draft came from the store's cache.
    assert summary.key == "videokit-summary" and "cached" in str(summary.data), summary.data
