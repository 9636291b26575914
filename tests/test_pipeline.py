"""One video's story through the library, with a fake model and no ffmpeg: fast, and every step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videokit import pipeline
from videokit.config import Settings
from videokit.draft import Source
from videokit.engines import DEFAULT_ASR
from videokit.media import MediaInfo
from videokit.review import ReviewDesk
from videokit.textview import parse_review_text
from videokit.transcript import Segment, Transcript, Word
from videokit.workspace import Layout, VideoJob

DURATION = 6000


def machine(language: str = "da", text: str = "Byrådet holder møde i aften.") -> Transcript:
    words, t = [], 1000
    for token in text.split():
        words.append(Word(" " + token, t, t + 350, 0.9))
        t += 400
    return Transcript(
        language, DURATION, (Segment(1000, t, " " + text, tuple(words)),), model="fake@1"
    )


class FakeModel:
    """Stands in for a loaded Whisper: aligns by spreading the words, counts its calls."""

    ref = "fake"

    def __init__(self) -> None:
        self.aligned: list[str] = []
        self.spec = type("Spec", (), {"sha256": "fake-model"})()
        self.settings = DEFAULT_ASR  # what keys its drafts in the cache
        self.asr = self

    def align(self, audio, windows):
        self.aligned.append(" ".join(w for win in windows for w in win.words))
        return [None for _ in windows]  # keep the rough times from the draft


@pytest.fixture
def video(tmp_path, monkeypatch):
    path = tmp_path / "media" / "Møde.mp4"
    path.parent.mkdir()
    path.write_bytes(b"not decoded: load_samples is faked")
    speech = np.zeros(DURATION * 16, dtype=np.float32)
    speech[16_000:48_000] = 0.3 * np.sin(np.arange(32_000) / 5)  # 1-3 s: something to hear
    monkeypatch.setattr(pipeline, "load_samples", lambda _source: speech)
    source = Source(VideoJob(path, "moede"), "cd" * 32, MediaInfo(DURATION))
    layout = Layout(tmp_path / "build", tmp_path / "review")
    return source, layout


def run(video, model, transcript):
    source, layout = video
    return pipeline.caption_and_review(layout, source, transcript, model, Settings(), cache=None)


def test_a_draft_reaches_the_preview_and_not_the_site(video, monkeypatch, tmp_path):
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    _source, layout = video
    out = run(video, FakeModel(), machine())
    assert out.record.status == "draft" and not out.published
    preview = layout.video_dir("moede", layout.preview)
    assert (preview / "moede.da.vtt").is_file() and (preview / "index.html").is_file()
    assert not layout.video_dir("moede").exists()
    assert (layout.review_pages / "moede.html").is_file()
    assert "Byrådet" in ReviewDesk(layout.review).srt_path("moede").read_text()


def test_language_names_files_and_labels_tracks(video, monkeypatch, tmp_path):
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    _source, layout = video
    out = run(video, FakeModel(), machine("en", "The council meets tonight."))
    preview = layout.video_dir("moede", layout.preview)
    vtt = (preview / "moede.en.vtt").read_text()
    assert vtt.startswith("WEBVTT\nLanguage: en") and not (preview / "moede.da.vtt").exists()
    page = (preview / "index.html").read_text()
    assert 'srclang="en"' in page and 'label="Engelsk"' in page
    assert 'srclang="en"' in (layout.review_pages / "moede.html").read_text()
    assert (layout.review / "moede.en.srt").is_file() and out.record.language == "en"


def test_corrected_text_is_aligned_once_and_then_cached(video, monkeypatch, tmp_path):
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    _source, layout = video
    model = FakeModel()
    run(video, model, machine())
    desk = ReviewDesk(layout.review)
    desk.txt_path("moede").write_text("Mette: Byrådet mødes i aften.\n")
    first = run(video, model, machine())
    assert first.review.source == "txt" and first.record.status == "in review"
    assert first.review.cues[0].speaker == "Mette"
    assert model.aligned and "mødes" in model.aligned[0]
    calls = len(model.aligned)
    desk.txt_path("moede").write_text("Mette: Byrådet mødes i aften.\n\n")  # same words, new file
    run(video, model, machine())
    assert len(model.aligned) == calls, "the same text against the same audio is not re-aligned"


def test_a_manuscript_added_after_the_first_run_reaches_the_editors(video, monkeypatch, tmp_path):
    monkeypatch.setenv("VIDEOKIT_CACHE_DIR", str(tmp_path / "cache"))
    source, layout = video
    run(video, FakeModel(), machine())
    manuscript = source.job.path.with_name("moede.manuscript.txt")
    manuscript.write_text("Byrådet holder møde i aften\n")
    out = run(video, FakeModel(), machine())
    assert out.review.source == "manuscript"
    assert any("manuscript" in n for n in out.review.notes)
    # After an editor's edit a changed manuscript goes beside the edit, not over it.
    desk = ReviewDesk(layout.review)
    desk.txt_path("moede").write_text("Byrådet mødes.\n")
    run(video, FakeModel(), machine())
    manuscript.write_text("Byrådet holder et møde i aften\n")
    later = run(video, FakeModel(), machine())
    assert later.review.source == "txt"
    assert (layout.review / "moede.new-draft.txt").is_file()
    assert (
        parse_review_text((layout.review / "moede.new-draft.txt").read_text())[0].words[2] == "et"
    )
    assert desk.txt_path("moede").read_text() == "Byrådet mødes.\n"


def test_the_approve_command_names_folders_only_when_they_differ(tmp_path):
    assert pipeline.approve_command("v", Layout(Path("build"))) == (
        'videokit approve v --editor "Dit navn"'
    )
    standard = pipeline.approve_command("v", Layout(tmp_path / "build", tmp_path / "review"))
    assert standard == 'videokit approve v --editor "Dit navn"', "run from the project folder"
    command = pipeline.approve_command("v", Layout(tmp_path / "out", tmp_path / "r"))
    assert f"--review {tmp_path / 'r'}" in command and f"--out {tmp_path / 'out'}" in command
