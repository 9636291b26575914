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


@pytest.fixture(scope="module")
def run(media_dir, tmp_path_factory, prefect_harness, base_model):
    """Returns a function that runs the flow like `videokit produce` does and gives the results."""
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    from flows.produce import RunFailed, produce

    out = tmp_path_factory.mktemp("build")
    drafts = tmp_path_factory.mktemp("drafts")  # a fresh draft cache: the first run must transcribe
    unreadable = str(media_dir / "hemmelig.mp4")
    real_access = os.access

    def go():
        # Tests may run as root, who can read anything; make one file unreadable to videokit.
        os.access = lambda p, m, **k: str(p) != unreadable and real_access(p, m, **k)
        try:
            with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: drafts}):
                state = produce(media_dir=str(media_dir), out_dir=str(out), return_state=True)
        finally:
            os.access = real_access
        outcome = state.result(raise_on_failure=False)
        results = outcome.results if isinstance(outcome, RunFailed) else outcome
        assert isinstance(results, list), outcome
        return {r.source: r for r in results}, out

    return go


@pytest.fixture(scope="module")
def first(run):
    return run()


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


def test_site_follows_the_output_contract(first):
    _, out = first
    site = out / "site"
    folder = site / SLUG
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        "index.html", f"{SLUG}.mp4", "poster.jpg", f"{SLUG}.da.vtt", f"{SLUG}.da.srt",
        f"{SLUG}.da.txt", "transcript.json"])
    assert (site / "index.html").is_file() and f'href="{SLUG}/index.html"' in (
        site / "index.html").read_text()
    manifest = json.loads((site / "manifest.json").read_text())
    assert [v["slug"] for v in manifest["videos"]] == [SLUG]
    for f in manifest["files"]:
        data = (site / f["path"]).read_bytes()
        assert len(data) == f["bytes"] and hashlib.sha256(data).hexdigest() == f["sha256"]
    with zipfile.ZipFile(out / "videokit-site.zip") as zf:
        assert sorted(zf.namelist()) == sorted([f["path"] for f in manifest["files"]]
                                               + ["manifest.json"])
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")], "half-written files left"


def test_captions_parse_and_stay_inside_the_video(first):
    _, out = first
    folder = out / "site" / SLUG
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
    draft = json.loads((out / "site" / SLUG / "transcript.json").read_text())
    assert draft["language"] == "da" and draft["options"]["initial_prompt"] == "KL, byråd."
    words = [w for s in draft["segments"] for w in s["words"]]
    assert words and all(isinstance(w["start_ms"], int) for w in words)


def test_second_run_takes_the_draft_from_the_cache_and_keeps_the_site(first, run):
    _, out = first
    mp4 = out / "site" / SLUG / f"{SLUG}.mp4"
    before = mp4.read_bytes()
    results, _ = run()
    assert results[GOOD].ok and results[GOOD].transcribed == "cached"
    assert mp4.read_bytes() == before


def test_a_video_broken_later_keeps_what_was_published(first, run, media_dir):
    _, out = first
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
    manifest = json.loads((out / "site" / "manifest.json").read_text())
    assert [v["slug"] for v in manifest["videos"]] == [SLUG]
