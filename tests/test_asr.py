"""The real Whisper base, converted offline, on a short generated Danish clip."""

from __future__ import annotations

import pytest

from clips import speech_wav
from videokit import media
from videokit.asr import DecodeOptions

pytestmark = [pytest.mark.slow, pytest.mark.model]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return media.load_audio(speech_wav(tmp_path_factory.mktemp("asr") / "clip.wav", lead_in_s=1.5))


def test_transcribes_danish_with_word_times_inside_the_speech(whisper_base, clip):
    seen = []
    t = whisper_base.transcribe(clip, DecodeOptions(temperature=(0.0,)), progress=seen.append)
    words = t.words
    assert t.language == "da" and t.duration_ms == round(len(clip) / 16)
    assert len(words) >= 5, t.text
    # espeak starts speaking after the 1.5 s lead-in: a word timed well before it is a timing bug.
    assert words[0].start_ms >= 1000
    assert all(a.start_ms <= b.start_ms for a, b in zip(words, words[1:]))
    assert all(0 <= w.start_ms <= w.end_ms <= t.duration_ms for w in words)
    assert all(0.0 <= w.probability <= 1.0 for w in words)
    assert seen and seen[-1] == pytest.approx(1.0)
    assert t.model.startswith("base@")


def test_transcript_round_trips_through_json(whisper_base, clip):
    from videokit.transcript import Transcript

    t = whisper_base.transcribe(clip, DecodeOptions(temperature=(0.0,)))
    assert Transcript.from_json(t.to_json()) == t
