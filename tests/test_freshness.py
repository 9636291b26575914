"""A rerun with nothing changed is recognised; any change of what outputs are made from is not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from videokit import freshness
from videokit.config import Settings
from videokit.freshness import RunInputs
from videokit.norms import CaptionNorms
from videokit.report import VideoResult
from videokit.social import SocialSettings
from videokit.workspace import Layout, VideoJob


@pytest.fixture
def project(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    video = media / "Møde.mp4"
    video.write_bytes(b"video bytes")
    layout = Layout(tmp_path / "build", tmp_path / "review")
    layout.site.mkdir(parents=True)
    (layout.site / "index.html").write_text("site")
    layout.zip.write_bytes(b"zip")
    (layout.review).mkdir()
    (layout.review / "moede.da.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHej\n")
    return VideoJob(video, "moede"), layout


def settle(job, layout, **overrides):
    options = dict(model_sha256="m", language="da", settings=Settings(), base_url=None)
    options.update(overrides)
    inputs = RunInputs(**options)
    return inputs, freshness.fingerprint(job, layout, inputs)


def test_nothing_changed_gives_the_last_results(project):
    job, layout = project
    inputs, _ = settle(job, layout)
    assert freshness.unchanged([job], layout, inputs) is None, "no run recorded yet"
    freshness.remember(layout, job, VideoResult("Møde.mp4", "moede", True, cues=3), inputs)
    (kept,) = freshness.unchanged([job], layout, inputs)
    assert kept.ok and kept.cues == 3 and kept.transcribed == "unchanged"


@pytest.mark.parametrize(
    "change",
    [
        "video",
        "edit",
        "condensing",
        "manuscript",
        "glossary",
        "approval",
        "review_state",
        "site",
        "model",
        "language",
        "settings",
        "base_url",
    ],
)
def test_any_change_means_a_run(project, change):
    job, layout = project
    inputs, _ = settle(job, layout)
    freshness.remember(layout, job, VideoResult("Møde.mp4", "moede", True), inputs)
    if change == "video":
        job.path.write_bytes(b"other bytes")
    elif change == "edit":
        (layout.review / "moede.da.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nDav\n")
    elif change == "condensing":
        # An editor accepts a proposal: the next run must put it in force.
        (layout.review / "moede.kondensering.txt").write_text("[x] 00:00:01.000 --> 00:00:02.000\n")
    elif change == "manuscript":
        job.path.with_name("moede.manuscript.txt").write_text("Hej.")
    elif change == "glossary":
        job.path.with_name("glossary.txt").write_text("KL")
    elif change == "approval":
        (layout.review / "history" / "moede" / "1").mkdir(parents=True)
        (layout.review / "history" / "moede" / "1" / "approval.json").write_text("{}")
    elif change == "review_state":
        # A damaged state: `status` says the next run rebuilds it, so the run must happen.
        (layout.review / ".state").mkdir(parents=True, exist_ok=True)
        (layout.review / ".state" / "moede.json").write_text("{damaged")
    elif change == "site":
        # A kill between the approval's record and its swap leaves the site behind the record.
        (layout.site / "moede").mkdir(parents=True, exist_ok=True)
        (layout.site / "moede" / "index.html").write_text("older version")
    elif change == "model":
        inputs = replace(inputs, model_sha256="other")
    elif change == "language":
        inputs = replace(inputs, language="en")
    elif change == "settings":
        inputs = replace(inputs, settings=Settings(norms=CaptionNorms(max_line_chars=37)))
    else:
        inputs = replace(inputs, base_url="https://example.dk/")
    assert freshness.unchanged([job], layout, inputs) is None


def test_a_failed_video_or_a_missing_package_means_a_run(project):
    job, layout = project
    inputs, _ = settle(job, layout)
    freshness.remember(layout, job, VideoResult("Møde.mp4", "moede", False), inputs)
    assert freshness.unchanged([job], layout, inputs) is None
    freshness.remember(layout, job, VideoResult("Møde.mp4", "moede", True), inputs)
    layout.zip.unlink()
    assert freshness.unchanged([job], layout, inputs) is None


def test_an_upgrade_of_videokit_s_code_or_templates_means_a_run(project, tmp_path, monkeypatch):
    """A version number raised by hand was forgotten twice: the code itself is the version."""
    from videokit import render

    job, layout = project
    _, before = settle(job, layout)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "video.html.j2").write_text("a page")
    monkeypatch.setattr(render, "DEFAULT_TEMPLATES_DIR", templates)
    freshness.code_digest.cache_clear()
    _, other = settle(job, layout)
    (templates / "video.html.j2").write_text("a page, rewritten")
    freshness.code_digest.cache_clear()
    _, rewritten = settle(job, layout)
    monkeypatch.undo()
    freshness.code_digest.cache_clear()
    assert len({before, other, rewritten}) == 3
    # The rerun after the upgrade redoes the video: its record was made by the old code.
    freshness.remember(layout, job, VideoResult(job.name, job.slug, True), settle(job, layout)[0])
    assert set(freshness.fresh([job], layout, settle(job, layout)[0])) == {job.slug}
    monkeypatch.setattr(render, "DEFAULT_TEMPLATES_DIR", templates)
    freshness.code_digest.cache_clear()
    assert freshness.fresh([job], layout, settle(job, layout)[0]) == {}, "an upgrade means a run"
    monkeypatch.undo()
    freshness.code_digest.cache_clear()
    assert settle(job, layout)[1] == before, "the same code gives the same fingerprint"


def test_one_changed_video_of_three_is_the_only_one_to_redo(project):
    job, layout = project
    others = []
    for name, slug in [("Budget.mp4", "budget"), ("Valg.mp4", "valg")]:
        path = job.path.with_name(name)
        path.write_bytes(name.encode())
        others.append(VideoJob(path, slug))
    jobs = [job, *others]
    inputs, _ = settle(job, layout)
    for j in jobs:
        freshness.remember(layout, j, VideoResult(j.name, j.slug, True), inputs)
    assert set(freshness.fresh(jobs, layout, inputs)) == {"moede", "budget", "valg"}
    others[0].path.write_bytes(b"a new cut")
    assert set(freshness.fresh(jobs, layout, inputs)) == {"moede", "valg"}
    assert freshness.unchanged(jobs, layout, inputs) is None, "all or nothing for the CLI"


def test_an_approval_carries_a_fresh_record_over_its_own_changes(project):
    job, layout = project
    # No social formats: the social renders after an approval are the next test's concern.
    inputs, _ = settle(job, layout, settings=Settings(social=SocialSettings(formats=())))
    freshness.remember(
        layout, job, VideoResult(job.name, job.slug, True, status="in review"), inputs
    )
    carry = freshness.fresh_before_change(layout, job.slug)
    assert carry is not None
    # What an approval writes: the history, the site page.
    (layout.review / "history" / "moede" / "000001").mkdir(parents=True)
    (layout.site / "moede").mkdir()
    (layout.site / "moede" / "index.html").write_text("approved page")
    assert freshness.fresh([job], layout, inputs) == {}
    freshness.carry_over(layout, carry, status="approved")
    (kept,) = freshness.unchanged([job], layout, inputs)
    assert kept.status == "approved"
    # With social formats to make, a published video is not fresh until they are made.
    with_social = replace(inputs, settings=Settings())
    freshness.remember(layout, job, VideoResult(job.name, job.slug, True), with_social)
    assert freshness.fresh([job], layout, with_social) == {}


def test_a_video_changed_before_the_approval_is_not_carried_over(project):
    job, layout = project
    inputs, _ = settle(job, layout)
    freshness.remember(layout, job, VideoResult(job.name, job.slug, True), inputs)
    (layout.review / "moede.da.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nDav\n")
    assert freshness.fresh_before_change(layout, job.slug) is None
    assert freshness.fresh_before_change(layout, "never-run") is None


@pytest.mark.model
def test_the_cli_and_the_pickup_ask_the_question_the_flow_recorded_the_answer_to(
    project, base_model, tmp_path
):
    """One freshness API: the inputs the flow builds from its model (the CLI and the pickup
    build them without loading it) give the same answer."""
    from flows.pickup import _up_to_date

    from videokit.config import load_settings

    job, layout = project
    config = tmp_path / "videokit.toml"  # none yet: the defaults
    settings = load_settings(config)
    recorded = RunInputs(base_model.sha256, "da", settings)
    assert freshness.run_inputs(settings, None, "da", None) == recorded
    freshness.remember(layout, job, VideoResult(job.name, job.slug, True), recorded)
    assert _up_to_date([job], layout, config, None) == {"moede"}
    config.write_text("[captions]\nmax_line_chars = 37\n", encoding="utf-8")
    assert _up_to_date([job], layout, config, None) == set(), "other settings: a run"
