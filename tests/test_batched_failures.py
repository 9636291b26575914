"""The known failure modes of batched Whisper, checked on both engines' batched paths.

Reported against faster-whisper's batched pipeline (and seen in videokit's own batched decoding):
segments dropped without a word, a switch from transcription into translation, and the prompt
printed as if it were speech. Each is tested on a sample's narration, decoded with a glossary
prompt as a real run has one: the prompt names three terms that are not spoken and one that is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clips import speech_wav
from videokit import coverage, media, vad
from videokit.asr import DecodeOptions
from videokit.draft import ModelHandle
from videokit.engines import AsrSettings
from videokit.workspace import glossary_prompt

pytestmark = [pytest.mark.slow, pytest.mark.model]

SAMPLE = Path(__file__).resolve().parent.parent / "media/samples/overblik-over-platformene.txt"
UNSPOKEN = ["Sundhedsplejen", "Kommunalbestyrelsen", "Folketinget"]
GLOSSARY = [*UNSPOKEN, "LinkedIn"]  # LinkedIn is in the narration
DANISH = {"og", "er", "det", "en", "at", "i", "på", "til", "med", "for", "de", "som", "man"}
# English words that are not also Danish ones ("for", "to", "is" are)
ENGLISH = {"the", "and", "of", "you", "that", "it", "with", "are", "this", "what", "have", "was"}
# Segment ends are Whisper's timestamps, which can fall a word short of the detector's end.
SLACK_MS = 1000


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    wav = speech_wav(tmp_path_factory.mktemp("batched") / "sample.wav", SAMPLE.read_text())
    return media.load_audio(wav)


@pytest.fixture(scope="module", params=["openai-whisper", "faster-whisper"])
def draft(request, audio, base_model):
    handle = ModelHandle("base", settings=AsrSettings(request.param, batched=True))
    options = DecodeOptions(initial_prompt=glossary_prompt(GLOSSARY))
    return handle.engine.transcribe(audio, options)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_the_language_stays_danish(draft):
    words = _words(draft.text)
    danish = sum(w in DANISH for w in words)
    english = sum(w in ENGLISH for w in words)
    assert draft.language == "da" and len(words) >= 30, draft.text
    assert danish >= 10 and english <= 2, (danish, english, draft.text)


def test_the_glossary_prompt_never_appears_unless_spoken(draft):
    text = draft.text.lower()
    prompt = glossary_prompt(GLOSSARY)
    assert prompt is not None and prompt.lower().rstrip(".") not in text
    for term in UNSPOKEN:
        assert term.lower() not in text, (term, draft.text)


def test_every_detected_speech_span_is_covered_by_a_segment(draft, audio):
    probabilities = vad.speech_probabilities(audio)
    assert probabilities is not None
    speech = coverage.detected_speech(probabilities, vad.FRAME_MS)
    assert len(speech) >= 2  # the narration's paragraphs, with pauses between
    for a, b in speech:
        assert any(s.start_ms < b and s.end_ms > a for s in draft.segments), (a, b)
    left = coverage.uncovered(speech, draft)
    assert all(b - a <= SLACK_MS for a, b in left), left
