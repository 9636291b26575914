"""The faster-whisper engine on the registry's CTranslate2 weights, through the draft's handle."""

from __future__ import annotations

import pytest

from clips import speech_wav
from videokit import media
from videokit.asr import DecodeOptions
from videokit.draft import ModelHandle
from videokit.engines import AsrSettings

pytestmark = [pytest.mark.slow, pytest.mark.model]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return media.load_audio(speech_wav(tmp_path_factory.mktemp("ct2") / "clip.wav", lead_in_s=1.5))


@pytest.mark.parametrize("batched", [True, False])
def test_faster_whisper_makes_the_same_kind_of_draft(base_model, clip, batched):
    pytest.importorskip("faster_whisper")
    handle = ModelHandle("base", settings=AsrSettings("faster-whisper", batched=batched))
    engine = handle.engine
    assert type(engine).__name__ == "FasterWhisperASR" and engine.compute_type == "int8"
    assert (handle.spec.path.parent / "base-ct2" / "model.bin").stat().st_size == 145_217_532
    seen: list[float] = []
    t = engine.transcribe(clip, DecodeOptions(temperature=(0.0,)), progress=seen.append)
    words = t.words
    assert len(words) >= 5, t.text
    assert words[0].start_ms >= 1000  # the clip is silent for its first 1.5 s
    assert all(a.start_ms <= b.start_ms for a, b in zip(words, words[1:]))
    assert all(0 <= w.start_ms <= w.end_ms <= t.duration_ms for w in words)
    assert t.model == base_model.cache_id and seen[-1] == pytest.approx(1.0)


def test_default_handle_drafts_with_openai_whisper_sequential(base_model):
    # Sequential is the default: it made the better drafts (bench/asr.py); batching is opt-in.
    handle = ModelHandle("base")
    assert handle.engine is handle.asr and not handle.asr.batched
