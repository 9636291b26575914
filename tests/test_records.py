"""The one store of per-video records, and the machine draft found by the key it records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_pipeline import FakeModel, machine, video  # noqa: F401  (video is a fixture)
from videokit import draft, pipeline
from videokit.cache import TranscriptCache
from videokit.config import Settings
from videokit.errors import VideokitError
from videokit.records import RecordDamaged, Records, VideoRecord, machine_draft
from videokit.review import ReviewDesk
from videokit.studio import Studio
from videokit.transcript import Transcript
from videokit.workspace import Layout, Project

SLUG = "moede"


def _produce(video, cache_dir):  # noqa: F811
    source, layout = video
    model, made = FakeModel(), machine()
    key = pipeline.machine_key(source, model, Settings(), made.language)
    TranscriptCache(cache_dir).put(key, made)  # as draft.cached_draft leaves it
    out = pipeline.caption_and_review(layout, source, made, model, Settings())
    return layout, key, made, out


def _with_preview_media(layout: Layout) -> None:
    preview = layout.video_dir(SLUG, layout.preview)
    (preview / f"{SLUG}.mp4").write_bytes(b"not a real video: approval copies it")
    (preview / "poster.jpg").write_bytes(b"\xff\xd8poster")


def test_the_recorded_key_is_the_key_the_draft_is_cached_under(video, tmp_path):  # noqa: F811
    source, _layout = video
    model, made = FakeModel(), machine()
    cache = TranscriptCache(tmp_path / "cache")
    cache.put(pipeline.machine_key(source, model, Settings(), "da"), made)
    options = pipeline.decode_options(source.job, "da", Settings())
    found, cached = draft.cached_draft(cache, source, model, options)  # type: ignore[arg-type]
    assert cached and found == made


def test_approval_finds_the_machine_draft_by_its_key_without_the_preview_file(
    video,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    layout, key, made, out = _produce(video, tmp_path / "cache")
    assert out.record.draft_key == key
    assert Records(layout).get(SLUG) == out.record
    preview = layout.video_dir(SLUG, layout.preview)
    (preview / "transcript.json").unlink()  # build output is not where the draft is looked up
    assert machine_draft(layout, out.record) == made
    studio = Studio(Project.locate(tmp_path, out=layout.out, review=layout.review), "t", "o")
    assert studio.machine(out.record) == made
    _with_preview_media(layout)
    computed = []
    in_force = ReviewDesk.in_force
    monkeypatch.setattr(ReviewDesk, "in_force", lambda d, s: computed.append(s) or in_force(d, s))
    _approval, record = pipeline.approve_and_publish(layout, SLUG, "Ann")
    assert record.draft_key == key and record.status == "approved"
    assert computed == [SLUG], "the version in force is computed once per approval"
    assert Transcript.from_json((preview / "transcript.json").read_text()) == made


def test_a_record_from_before_the_key_finds_the_draft_in_the_preview(
    video,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    layout, _key, made, out = _produce(video, tmp_path / "other-cache")  # not where it looks
    old = out.record.to_dict()
    del old["draft_key"]  # as older versions wrote it
    layout.record_file(SLUG).write_text(json.dumps(old), encoding="utf-8")
    record = Records(layout).get(SLUG)
    assert record is not None and record.draft_key == ""
    assert machine_draft(layout, record) == made
    # A key the cache no longer holds falls back the same way.
    assert machine_draft(layout, out.record, TranscriptCache(tmp_path / "empty")) == made
    _with_preview_media(layout)
    _approval, approved = pipeline.approve_and_publish(layout, SLUG, "Ann")
    assert approved.status == "approved"


def test_a_damaged_record_names_its_file_and_is_left_out_of_listings(tmp_path):
    layout = Layout(tmp_path / "build", tmp_path / "review")
    records = Records(layout)
    good = VideoRecord("a", "A", "", 1000, "a.mp4", "x", "2026-01-01", 1)
    records.save(good)
    layout.record_file("b").write_text('{"slug": "b", "title": 3}', encoding="utf-8")
    (layout.state / "a.onscreen.json").write_text("{}", encoding="utf-8")  # not a record
    with pytest.raises(RecordDamaged) as err:
        records.get("b")
    assert err.value.path == layout.record_file("b") and "'title' is not text" in str(err.value)
    assert records.all() == [good] and records.get("nothing") is None
    assert records.get("../a") is None, "only slugs name records"
    with pytest.raises(RecordDamaged) as approving:
        pipeline.approve_and_publish(layout, "b", "Ann")
    assert approving.value.stage == "approve" and approving.value.path == layout.record_file("b")
    with pytest.raises(VideokitError, match="no produced video 'c'"):
        pipeline.approve_and_publish(layout, "c", "Ann")


@pytest.mark.parametrize("name", ["pickup.mp4", "Pickup Watch.mov", "pickup.watch.mp4"])
def test_no_video_can_be_named_like_the_pickups_watch_file(tmp_path, name):
    from flows.pickup import WATCH_FILE

    from videokit.slug import slugify

    layout = Layout(tmp_path / "build", tmp_path / "review")
    assert layout.record_file(slugify(Path(name).stem)) != layout.state / WATCH_FILE
    # And the records store never reads the watch as a video.
    layout.state.mkdir(parents=True)
    (layout.state / WATCH_FILE).write_text('{"files": {}}', encoding="utf-8")
    assert Records(layout).all() == []
