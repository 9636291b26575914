"""Drafts of a run's videos made together: every video is drafted once, no waiter hangs.

A fake engine stands in for Whisper and a fake reader for ffmpeg, so these run in milliseconds.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from videokit import ahead
from videokit.ahead import DraftsAhead, batches
from videokit.asr import AudioJob, DecodeOptions
from videokit.cache import TranscriptCache
from videokit.draft import Source
from videokit.engines import AsrSettings
from videokit.errors import MediaError, TranscriptionError
from videokit.media import MediaInfo
from videokit.transcript import Transcript
from videokit.workspace import VideoJob

OPTIONS = DecodeOptions()


class FakeEngine:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def transcribe_many(self, jobs: list[AudioJob], *, progress: Any = None) -> list[Transcript]:
        self.calls.append([j.source_sha256 for j in jobs])
        if self.fail:
            raise TranscriptionError("Whisper failed: out of memory")
        if progress is not None:
            progress(0.5)
            progress(1.0)
        return [Transcript("da", len(j.audio) // 16, (), model=j.source_sha256) for j in jobs]


def _model(engine: FakeEngine) -> Any:
    spec = SimpleNamespace(sha256="model-bytes")
    return SimpleNamespace(spec=spec, settings=AsrSettings(batched=True), engine=engine)


def _source(name: str, seconds: int = 30) -> Source:
    return Source(
        VideoJob(Path(f"/media/{name}.mp4"), name), f"sha-{name}", MediaInfo(seconds * 1000)
    )


@pytest.fixture
def unreadable(monkeypatch):
    """Audio as a fake reader gives it; the names in the returned set fail as a cut-off file."""
    bad: set[str] = set()

    def read(source: Source, options: DecodeOptions) -> AudioJob:
        if source.job.slug in bad:
            raise MediaError("the file looks cut off", path=source.job.path, stage="audio")
        samples = np.zeros(source.info.duration_ms * 16, dtype=np.float32)
        return AudioJob(samples, options, source.sha256, source.job.path)

    monkeypatch.setattr(ahead, "audio_job", read)
    return bad


def test_missing_drafts_are_made_in_one_batch_and_cached_under_the_pipelines_key(
    tmp_path, unreadable
):
    cache, engine = TranscriptCache(tmp_path), FakeEngine()
    together = DraftsAhead(cache, _model(engine))
    a, b, old = _source("a"), _source("b"), _source("old")
    cache.put(together.key(old, OPTIONS), Transcript("da", 1000, (), model="earlier"))
    together.add([(a, OPTIONS), (b, OPTIONS), (old, OPTIONS)])
    told: list[list[str]] = []
    made = together.run(starting=lambda s: told.append([x.job.slug for x in s]))
    assert engine.calls == [["sha-a", "sha-b"]]  # the cached one is not read again
    assert told == [["a", "b"]] and made == [a, b]
    assert together.wait(together.key(a, OPTIONS)) and together.wait(together.key(b, OPTIONS))
    assert not together.wait(together.key(old, OPTIONS))  # cached before: not new in this run
    assert not together.wait("draft-of-some-other-video")
    found = cache.get(together.key(b, OPTIONS))
    assert found is not None and found.model == "sha-b"


def test_a_video_that_cannot_be_read_is_left_to_its_own_pipeline(tmp_path, unreadable):
    unreadable.add("broken")
    engine = FakeEngine()
    together = DraftsAhead(TranscriptCache(tmp_path), _model(engine))
    good, broken = _source("good"), _source("broken")
    together.add([(broken, OPTIONS), (good, OPTIONS)])
    left: list[str] = []
    together.run(skipped=lambda s, err: left.append(f"{s.job.slug}: {err}"))
    assert engine.calls == [["sha-good"]]
    assert len(left) == 1 and left[0].startswith("broken:") and "cut off" in left[0]
    assert not together.wait(together.key(broken, OPTIONS))
    assert together.wait(together.key(good, OPTIONS))


def test_when_the_engine_fails_every_waiter_is_released_without_a_draft(tmp_path, unreadable):
    together = DraftsAhead(TranscriptCache(tmp_path), _model(FakeEngine(fail=True)))
    a = _source("a")
    together.add([(a, OPTIONS)])
    answers: list[bool] = []
    waiter = threading.Thread(
        target=lambda: answers.append(together.wait(together.key(a, OPTIONS)))
    )
    waiter.start()
    with pytest.raises(TranscriptionError):
        together.run()
    waiter.join(timeout=5)
    assert answers == [False]  # the video's own pipeline then tries, and reports the error


def test_a_waiter_blocks_until_the_videos_are_known_and_close_releases_it(tmp_path):
    together = DraftsAhead(TranscriptCache(tmp_path), _model(FakeEngine()))
    answers: list[bool] = []
    waiter = threading.Thread(target=lambda: answers.append(together.wait("draft-x")))
    waiter.start()
    waiter.join(timeout=0.2)
    assert waiter.is_alive()  # the batch has not said which videos it holds yet
    together.close()  # what the flow does when the batch's task ends, however it ends
    waiter.join(timeout=5)
    assert answers == [False]


def test_the_cache_is_asked_again_inside_the_slot(tmp_path, unreadable):
    """Another worker may make a draft while this batch waits for the GPU."""
    cache, engine = TranscriptCache(tmp_path), FakeEngine()
    together = DraftsAhead(cache, _model(engine))
    a, b = _source("a"), _source("b")
    together.add([(a, OPTIONS), (b, OPTIONS)])

    @contextmanager
    def slot():
        cache.put(together.key(a, OPTIONS), Transcript("da", 1000, (), model="other worker"))
        yield

    together.run(slot=slot)
    assert engine.calls == [["sha-b"]]
    found = cache.get(together.key(a, OPTIONS))
    assert found is not None and found.model == "other worker"


def test_long_runs_are_read_in_several_batches_with_progress_over_all(
    tmp_path, unreadable, monkeypatch
):
    monkeypatch.setattr(ahead, "BATCH_AUDIO_MS", 60_000)
    engine = FakeEngine()
    together = DraftsAhead(TranscriptCache(tmp_path), _model(engine))
    together.add([(_source(n, 30), OPTIONS) for n in "abc"])
    seen: list[float] = []
    together.run(progress=seen.append)
    assert engine.calls == [["sha-a", "sha-b"], ["sha-c"]]
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert seen[1] == pytest.approx(2 / 3)  # the first batch is two thirds of the audio


@given(st.lists(st.integers(min_value=0, max_value=100_000), max_size=30), st.integers(1, 90_000))
def test_batches_keep_the_order_and_hold_at_most_the_limit(lengths, limit):
    items = [(f"k{i}", _source(f"v{i}"), OPTIONS) for i in range(len(lengths))]
    items = [(k, Source(s.job, s.sha256, MediaInfo(n)), o) for (k, s, o), n in zip(items, lengths)]
    out = list(batches(items, limit))
    assert [item for batch in out for item in batch] == items
    for batch in out:
        held = sum(item[1].info.duration_ms for item in batch)
        assert batch and (held <= limit or len(batch) == 1)
    for first, second in zip(out, out[1:]):  # a batch is cut only where the next would overflow
        held = sum(item[1].info.duration_ms for item in first)
        assert held + second[0][1].info.duration_ms > limit
