"""The production flow under Prefect's test harness, with the real base model and real ffmpeg.

One good clip (its name has spaces and æøå) among every kind of bad input named in the issue.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
import srt

import clips

pytestmark = [pytest.mark.slow, pytest.mark.model]

GOOD = "Møde om åbne data.mp4"
SLUG = "moede-om-aabne-data"


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    clips.speech_video(d / GOOD)
    (d / "referat.mp4").write_text("Referat fra byrådsmødet, ikke en video.\n")
    (d / "tom.mp4").touch()
    clips.video_without_audio(d / "uden lyd.mp4")
    clips.silent_video(d / "stille.mp4")
    shutil.copy(d / GOOD, d / "hemmelig.mp4")
    (d / "glossary.txt").write_text("KL\nbyråd\n")
    return d


def _runner(media_dir: Path, out: Path, review: Path, drafts: Path):
    """A function that runs the flow like `videokit produce` does and gives the results."""
    from flows.produce import produce

    unreadable = str(media_dir / "hemmelig.mp4")
    real_access = os.access

    # Social formats at the smallest size the settings allow: the renders stay quick.
    config = out.parent / f"{out.name}-videokit.toml"
    config.write_text("[social]\nshort_side = 180\n", encoding="utf-8")

    def go(**options):
        options.setdefault("config_file", str(config))
        # Tests may run as root, who can read anything; make one file unreadable to videokit.
        os.access = lambda p, m, **k: str(p) != unreadable and real_access(p, m, **k)
        saved = os.environ.get("VIDEOKIT_CACHE_DIR")
        os.environ["VIDEOKIT_CACHE_DIR"] = str(drafts)
        try:
            state = produce(
                media_dir=str(media_dir),
                out_dir=str(out),
                review_dir=str(review),
                return_state=True,
                **options,
            )
        finally:
            os.access = real_access
            if saved is None:
                os.environ.pop("VIDEOKIT_CACHE_DIR", None)
            else:
                os.environ["VIDEOKIT_CACHE_DIR"] = saved
        results = state.result(raise_on_failure=False)
        assert isinstance(results, list), results
        return {r.source: r for r in results}, out

    go.review = review
    go.out = out
    return go


@pytest.fixture(scope="module")
def drafts(tmp_path_factory):
    return tmp_path_factory.mktemp("drafts")  # a fresh draft cache: the first run must transcribe


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The first run's output and review folders, which no test changes."""
    return tmp_path_factory.mktemp("build"), tmp_path_factory.mktemp("review")


@pytest.fixture(scope="module")
def first(media_dir, pristine, prefect_harness, base_model, drafts):
    """The first run's results. Tests that change things work on a copy of its folders (the
    ``run`` fixture), so the tests pass in any order."""
    out, review = pristine
    return _runner(media_dir, out, review, drafts)()


@pytest.fixture
def run(first, pristine, media_dir, tmp_path, drafts):
    """A runner on a copy of the first run's output and review folders (drafts cached)."""
    out0, review0 = pristine
    out, review = tmp_path / "build", tmp_path / "review"
    shutil.copytree(out0, out, symlinks=True)
    shutil.copytree(review0, review, symlinks=True)
    return _runner(media_dir, out, review, drafts)


def approved(run):
    """The copy with the first draft approved and published."""
    from videokit.pipeline import approve_and_publish
    from videokit.workspace import Layout

    approve_and_publish(Layout(run.out, run.review), SLUG, "Mette Hansen", "tjekket")
    return run


def test_good_video_is_produced_and_bad_ones_fail_with_a_clear_line(first):
    results, _ = first
    good = results[GOOD]
    assert good.ok and good.transcribed == "new" and good.cues >= 1, good
    expected = {
        "referat.mp4": ("probe", "not a video"),
        "tom.mp4": ("probe", "empty"),
        "uden lyd.mp4": ("probe", "no audio stream"),
        "stille.mp4": ("audio", "silent"),
        "hemmelig.mp4": ("probe", "permission denied"),
    }
    for name, (stage, words) in expected.items():
        r = results[name]
        assert not r.ok and r.stage == stage and words in r.reason and r.hint, r


CONTRACT = sorted(
    [
        "index.html",
        f"{SLUG}.mp4",
        "poster.jpg",
        f"{SLUG}.da.vtt",
        f"{SLUG}.da.srt",
        f"{SLUG}.da.txt",
        "transcript.json",
    ]
)
# An approved video also carries its accessibility record (what a public body signs).
SITE_CONTRACT = sorted([*CONTRACT, "tilgaengelighed.json", "tilgaengelighed.html"])


def check_tree(site: Path, slugs: list[str]) -> dict:
    """The web team's contract: the layout, a manifest whose hashes match, a zip of the same tree."""
    for slug in slugs:
        assert sorted(p.name for p in (site / slug).iterdir()) == SITE_CONTRACT
        assert f'href="{slug}/index.html"' in (site / "index.html").read_text()
    manifest = json.loads((site / "manifest.json").read_text())
    assert [v["slug"] for v in manifest["videos"]] == slugs
    for f in manifest["files"]:
        data = (site / f["path"]).read_bytes()
        assert len(data) == f["bytes"] and hashlib.sha256(data).hexdigest() == f["sha256"]
    with zipfile.ZipFile(site.parent / "videokit-site.zip") as zf:
        assert sorted(zf.namelist()) == sorted(
            [f["path"] for f in manifest["files"]] + ["manifest.json"]
        )
    return manifest


def test_drafts_go_to_the_preview_and_never_to_the_site(first):
    results, out = first
    assert results[GOOD].status == "draft"
    assert results[GOOD].approve.startswith(f"videokit approve {SLUG} --editor")
    assert sorted(p.name for p in (out / "preview" / SLUG).iterdir()) == CONTRACT
    assert "Ikke gennemset" in (out / "preview" / SLUG / "index.html").read_text()
    assert (out / "review" / f"{SLUG}.html").is_file()
    check_tree(out / "site", [])
    assert not (out / "site" / SLUG).exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")], "half-written files left"


def test_captions_parse_and_stay_inside_the_video(first):
    _, out = first
    folder = out / "preview" / SLUG
    duration_ms = json.loads((folder / "transcript.json").read_text())["duration_ms"]
    subs = list(srt.parse((folder / f"{SLUG}.da.srt").read_text()))
    assert subs and all(s.start.total_seconds() >= 0 and s.start < s.end for s in subs)
    assert subs[-1].end.total_seconds() * 1000 <= duration_ms
    vtt = (folder / f"{SLUG}.da.vtt").read_text()
    assert vtt.startswith("WEBVTT")
    assert vtt.count(" --> ") == len(subs)
    page = (folder / "index.html").read_text()
    assert f'src="{SLUG}.da.vtt"' in page and 'srclang="da"' in page


def test_draft_is_the_machine_transcript_with_the_glossary_prompt(first):
    _, out = first
    draft = json.loads((out / "preview" / SLUG / "transcript.json").read_text())
    assert draft["language"] == "da" and draft["options"]["initial_prompt"] == "KL, byråd."
    words = [w for s in draft["segments"] for w in s["words"]]
    assert words and all(isinstance(w["start_ms"], int) for w in words)


def test_second_run_skips_the_unchanged_video_and_takes_the_draft_from_the_cache(run):
    out = run.out
    mp4 = out / "preview" / SLUG / f"{SLUG}.mp4"
    before = mp4.read_bytes()
    results, _ = run()
    # Nothing about the good video changed: it is not produced again; the failed ones are.
    assert results[GOOD].ok and results[GOOD].transcribed == "unchanged"
    assert not results["tom.mp4"].ok
    results, _ = run(always=True)
    assert results[GOOD].ok and results[GOOD].transcribed == "cached"
    assert mp4.read_bytes() == before
    # An output deleted by hand is made again by the next run.
    (out / "preview" / SLUG / f"{SLUG}.da.vtt").unlink()
    results, _ = run()
    assert (
        results[GOOD].transcribed == "cached"
        and (out / "preview" / SLUG / f"{SLUG}.da.vtt").is_file()
    )


def test_videos_side_by_side_give_what_one_at_a_time_gives(
    run, pristine, media_dir, drafts, tmp_path, monkeypatch
):
    """With cores to spare, the next video is probed and encoded while a draft is made."""
    second = tmp_path / "media-two"
    second.mkdir()
    shutil.copy(media_dir / GOOD, second / GOOD)
    shutil.copy(media_dir / GOOD, second / "Samme møde igen.mp4")
    shutil.copy(media_dir / "glossary.txt", second / "glossary.txt")  # same prompt, same draft
    monkeypatch.setenv("VIDEOKIT_VIDEOS_AT_ONCE", "2")
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(drafts))
    from flows.produce import produce

    state = produce(
        media_dir=str(second), out_dir=str(run.out), review_dir=str(run.review), return_state=True
    )
    results = {r.source: r for r in state.result(raise_on_failure=False)}
    assert results[GOOD].ok and results["Samme møde igen.mp4"].ok, results
    out0, _ = pristine
    for name in (f"{SLUG}.da.srt", f"{SLUG}.da.vtt", "transcript.json"):
        assert (run.out / "preview" / SLUG / name).read_bytes() == (
            out0 / "preview" / SLUG / name
        ).read_bytes()
    twin = run.out / "preview" / "samme-moede-igen" / "samme-moede-igen.da.srt"
    assert twin.read_text() == (out0 / "preview" / SLUG / f"{SLUG}.da.srt").read_text()


def test_a_run_reads_the_settings_once_for_all_its_videos(run, monkeypatch):
    """``videokit.toml`` is read when the run starts and handed down, not again per video."""
    config = run.out.parent / f"{run.out.name}-videokit.toml"
    reads: list[Path] = []
    real = Path.read_text

    def counting(self, *args, **kwargs):
        if self == config:
            reads.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    results, _ = run(always=True)
    assert results[GOOD].ok and results[GOOD].transcribed == "cached"
    assert sum(not r.ok for r in results.values()) >= 3, "the bad videos went through the run too"
    assert len(reads) == 1, f"videokit.toml read {len(reads)} times in one run"


EDIT = (
    "1\r\n00:00:01,100 --> 00:00:03,400\r\nByrådet holder møde i aften.\r\n\r\n"
    "2\r\n00:00:03,900 --> 00:00:06,800\r\nAlle borgere & <gæster>\r\ner velkomne.\r\n"
)


def test_an_edited_srt_is_published_verbatim_after_approval(run):
    from videokit.pipeline import approve_and_publish
    from videokit.workspace import Layout

    out = run.out
    srt_file = run.review / f"{SLUG}.da.srt"
    srt_file.write_bytes(b"\xef\xbb\xbf" + EDIT.encode("utf-8"))  # Subtitle Edit: BOM and CRLF
    results, _ = run()
    assert results[GOOD].status == "in review" and results[GOOD].source_text == "srt"
    assert not (out / "site" / SLUG).exists(), "an edit is not an approval"
    approve_and_publish(Layout(out, run.review), SLUG, "Mette Hansen", "rettet mod lyden")
    site = out / "site" / SLUG
    subs = list(srt.parse((site / f"{SLUG}.da.srt").read_text()))
    assert [(s.start.total_seconds(), s.end.total_seconds(), s.content) for s in subs] == [
        (1.1, 3.4, "Byrådet holder møde i aften."),
        (3.9, 6.8, "Alle borgere & <gæster>\ner velkomne."),
    ]
    vtt = (site / f"{SLUG}.da.vtt").read_text()
    assert "00:00:03.900 --> 00:00:06.800\nAlle borgere &amp; &lt;gæster&gt;\ner velkomne." in vtt
    page = (site / "index.html").read_text()
    assert "Byrådet holder møde i aften." in page
    assert "Alle borgere &amp; &lt;gæster&gt; er velkomne." in page
    assert "<gæster>" not in page and "Ikke gennemset" not in page
    check_tree(out / "site", [SLUG])
    # Social media copies of the approved version: Facebook's SRT name at once, the videos made
    # by the next run (here; after the approval in the CLI and the studio).
    from videokit import media

    social = out / "social" / SLUG
    assert (social / f"{SLUG}.da_DK.srt").read_text() == (site / f"{SLUG}.da.srt").read_text()
    vertical = social / f"{SLUG}-9x16-captions.mp4"
    assert not vertical.exists()
    results, _ = run()
    assert results[GOOD].social == "16:9 ready, 1:1 ready, 4:5 ready, 9:16 ready"
    info = media.probe(vertical)
    assert (info.width, info.height) == (180, 320) and info.duration_ms > 0
    made = vertical.stat().st_mtime_ns
    # The approval survives the next run, which stops at the check (nothing changed since the run
    # that made the social files), and the editor's file is untouched.
    results, _ = run()
    assert vertical.stat().st_mtime_ns == made, "unchanged captions must not be burned in again"
    assert results[GOOD].status == "approved" and results[GOOD].transcribed == "unchanged"
    assert srt_file.read_bytes() == b"\xef\xbb\xbf" + EDIT.encode("utf-8")


def test_a_broken_edit_is_named_and_the_approved_version_stays_published(run):
    out = approved(run).out
    site_vtt = out / "site" / SLUG / f"{SLUG}.da.vtt"
    published = site_vtt.read_text()
    srt_file = run.review / f"{SLUG}.da.srt"
    good = srt_file.read_bytes()
    srt_file.write_text("1\n00:00:01,000 --> 00:00:0x,500\nHej\n")
    try:
        results, _ = run()
    finally:
        srt_file.write_bytes(good)
    # A refused edit fails the video (and the run's exit code), naming file and line; the pages
    # keep the last good version.
    bad = results[GOOD]
    assert not bad.ok and bad.stage == "review"
    assert "line 2" in bad.reason and "da.srt" in bad.reason
    assert site_vtt.read_text() == published and "Hej" not in published


def test_a_video_broken_later_keeps_what_was_published(run, media_dir):
    out = approved(run).out
    page = out / "site" / SLUG / "index.html"
    published = page.read_bytes()
    good = media_dir / GOOD
    kept = good.read_bytes()
    good.write_text("overwritten by accident")
    try:
        results, _ = run()
    finally:
        good.write_bytes(kept)
    assert not results[GOOD].ok and results[GOOD].stage == "probe"
    assert page.read_bytes() == published
    check_tree(out / "site", [SLUG])


def test_a_paused_run_is_approved_from_prefect_and_publishes(run):
    """Prefect's pause with a typed input: the run waits, an editor resumes it with a name."""
    import threading
    import time as clock

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import resume_flow_run

    from videokit.review import ReviewDesk

    out = run.out
    srt_file = run.review / f"{SLUG}.da.srt"
    srt_file.write_text(EDIT.replace("i aften", "i morgen"), encoding="utf-8")
    box: dict = {}

    def background() -> None:
        try:
            box["r"] = run(wait_for_approval=True, approval_timeout_s=120)
        except BaseException as err:  # reported by the assertions below
            box["error"] = err

    worker = threading.Thread(target=background)
    worker.start()
    paused = None
    with get_client(sync_client=True) as client:
        deadline = clock.monotonic() + 150
        while paused is None and clock.monotonic() < deadline and worker.is_alive():
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
                )
            )
            paused = runs[0] if runs else None
            clock.sleep(1)
    assert paused is not None, f"never paused: {box.get('error')!r} {box.get('r')!r}"
    resume_flow_run(
        paused.id,
        run_input={"approve": True, "editor": "Prefect Redaktør", "note": "godkendt i Prefect"},
    )
    worker.join(timeout=120)
    results, _ = box["r"]
    assert results[GOOD].ok
    assert ReviewDesk(run.review).approvals(SLUG)[-1].editor == "Prefect Redaktør"
    assert "i morgen" in (out / "site" / SLUG / f"{SLUG}.da.vtt").read_text()


CORRECTED = (
    "Anne Holm: Byrådet holder møde i aften.\n\nAlle borgere er velkomne til at stille spørgsmål.\n"
)


def test_corrected_text_is_aligned_to_the_audio_into_cues_that_meet_the_norms(run):
    from videokit.norms import check_cues
    from videokit.review import ReviewDesk

    out = run.out
    (run.review / f"{SLUG}.txt").write_text(CORRECTED, encoding="utf-8")
    results, _ = run()
    assert results[GOOD].status == "in review" and results[GOOD].source_text == "txt"
    state = ReviewDesk(run.review)._load(SLUG)
    transcript, cues = state.content()
    assert transcript.options.get("alignment") in ("whisper", "mixed")
    assert [s.speaker for s in transcript.segments] == ["Anne Holm"] * len(transcript.segments)
    assert check_cues(cues) == []
    spoken = " ".join(line for c in cues for line in c.lines)
    assert (
        spoken == "Byrådet holder møde i aften. Alle borgere er velkomne til at stille spørgsmål."
    )
    # espeak starts after a 1 s lead-in: aligned times must not put the first word in the silence.
    assert 700 <= cues[0].start_ms <= 1600
    vtt = (out / "preview" / SLUG / f"{SLUG}.da.vtt").read_text()
    assert "<v Anne Holm>Byrådet holder møde i aften." in vtt
    page = (out / "preview" / SLUG / "index.html").read_text()
    assert "Anne Holm" in page


def test_cli_status_and_approve_publish_the_corrected_text(run, capsys):
    from videokit.cli import main

    out = run.out
    (run.review / f"{SLUG}.txt").write_text(CORRECTED, encoding="utf-8")
    run()
    review = str(run.review)
    assert main(["status", "--review", review]) == 0
    assert f"{SLUG}" in capsys.readouterr().out
    assert (
        main(
            [
                "approve",
                SLUG,
                "--editor",
                "Ole Sørensen",
                "--note",
                "tjekket",
                "--review",
                review,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "approved by Ole Sørensen" in capsys.readouterr().out
    vtt = (out / "site" / SLUG / f"{SLUG}.da.vtt").read_text()
    assert "<v Anne Holm>Byrådet holder møde i aften." in vtt
    assert (
        main(["approve", "findes-ikke", "--editor", "Ole", "--review", review, "--out", str(out)])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "findes-ikke" in err and "videokit produce" in err


def test_a_video_changed_after_approval_is_not_published_with_old_captions(run, media_dir):
    import subprocess

    out = approved(run).out
    site_vtt = out / "site" / SLUG / f"{SLUG}.da.vtt"
    site_mp4 = out / "site" / SLUG / f"{SLUG}.mp4"
    published = (site_vtt.read_bytes(), site_mp4.read_bytes())
    good = media_dir / GOOD
    kept = good.read_bytes()
    recut = media_dir / "recut.mp4"
    # The same sound over another picture: new bytes, so a new video as far as anyone can tell.
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(good),
            "-vf",
            "negate",
            "-c:a",
            "copy",
            str(recut),
        ],
        check=True,
    )
    recut.replace(good)
    try:
        results, _ = run()
    finally:
        good.write_bytes(kept)
    r = results[GOOD]
    assert r.ok and r.status == "in review"
    assert any("changed after its captions were approved" in w for w in r.warnings)
    assert (site_vtt.read_bytes(), site_mp4.read_bytes()) == published


def test_an_unchanged_rerun_stops_before_anything_heavy(
    first, media_dir, drafts, tmp_path, monkeypatch, capsys
):
    import flows.server

    from videokit.cli import main

    project = tmp_path / "project"
    (project / "media").mkdir(parents=True)
    shutil.copy(media_dir / GOOD, project / "media" / GOOD)
    runner = _runner(project / "media", project / "build", project / "review", drafts)
    results, _ = runner()
    assert results[GOOD].ok

    def no_prefect(*_a, **_k):
        raise AssertionError("an unchanged rerun started Prefect")

    monkeypatch.setattr(flows.server, "server_for_this_run", no_prefect)
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(drafts))
    # The settings the runner used (small social renders): other settings would mean a real run.
    same = ["--config", str(project / "build-videokit.toml")]
    assert main(["produce", "--project", str(project), *same]) == 0
    out = capsys.readouterr().out
    assert "nothing changed since the last run (1 videos)" in out and SLUG in out
    # An editor's change means a real run (which would start Prefect).
    srt_file = project / "review" / f"{SLUG}.da.srt"
    srt_file.write_text(srt_file.read_text().replace(" ", "  ", 1))
    with pytest.raises(AssertionError, match="started Prefect"):
        main(["produce", "--project", str(project), *same])


def test_new_videos_are_read_together_when_the_engine_batches(
    prefect_harness, base_model, tmp_path, monkeypatch
):
    """openai-whisper batched: one batch holds the windows of every new video of the run."""
    from flows.produce import produce

    from videokit.asr_whisper import WhisperASR

    media = tmp_path / "media"
    media.mkdir()
    clips.speech_video(media / "a.mp4")
    clips.speech_video(media / "b.mp4", text="Kommunen bygger en ny skole ved havnen.")
    clips.silent_video(media / "stille.mp4")
    config = tmp_path / "videokit.toml"
    config.write_text("[asr]\nbatched = true\n")
    read: list[list[str]] = []
    real = WhisperASR._transcribe_batched

    def spy(self, jobs, progress):
        read.append(sorted(Path(j.path).name for j in jobs))
        return real(self, jobs, progress)

    monkeypatch.setattr(WhisperASR, "_transcribe_batched", spy)
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "drafts"))
    monkeypatch.setenv("VIDEOKIT_VIDEOS_AT_ONCE", "1")  # the pipelines wait in the flow's thread
    state = produce(
        media_dir=str(media),
        out_dir=str(tmp_path / "build"),
        review_dir=str(tmp_path / "review"),
        config_file=str(config),
        return_state=True,
    )
    results = {r.source: r for r in state.result(raise_on_failure=False)}
    assert read == [["a.mp4", "b.mp4"]]  # once, together; the silent video never reaches Whisper
    for name in ("a.mp4", "b.mp4"):
        assert results[name].ok and results[name].transcribed == "new", results[name]
        assert results[name].cues > 0
    silent = results["stille.mp4"]
    assert not silent.ok and "silent" in silent.reason, silent
