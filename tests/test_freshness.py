"""A rerun with nothing changed is recognised; any change of what outputs are made from is not."""

from __future__ import annotations

import pytest

from videokit import freshness
from videokit.config import Settings
from videokit.norms import CaptionNorms
from videokit.report import VideoResult
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
    return options, freshness.fingerprint(job, layout, **options)


def test_nothing_changed_gives_the_last_results(project):
    job, layout = project
    options, print_ = settle(job, layout)
    assert freshness.unchanged([job], layout, **options) is None, "no run recorded yet"
    freshness.remember(layout, job.slug, print_, VideoResult("Møde.mp4", "moede", True, cues=3))
    (kept,) = freshness.unchanged([job], layout, **options)
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
    options, print_ = settle(job, layout)
    freshness.remember(layout, job.slug, print_, VideoResult("Møde.mp4", "moede", True))
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
        options["model_sha256"] = "other"
    elif change == "language":
        options["language"] = "en"
    elif change == "settings":
        options["settings"] = Settings(norms=CaptionNorms(max_line_chars=37))
    else:
        options["base_url"] = "https://example.dk/"
    assert freshness.unchanged([job], layout, **options) is None


def test_a_failed_video_or_a_missing_package_means_a_run(project):
    job, layout = project
    options, print_ = settle(job, layout)
    freshness.remember(layout, job.slug, print_, VideoResult("Møde.mp4", "moede", False))
    assert freshness.unchanged([job], layout, **options) is None
    freshness.remember(layout, job.slug, print_, VideoResult("Møde.mp4", "moede", True))
    layout.zip.unlink()
    assert freshness.unchanged([job], layout, **options) is None


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
    assert settle(job, layout)[1] == before, "the same code gives the same fingerprint"
