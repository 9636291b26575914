"""Speech a draft left out is read again; what is still left out is reported, not lost.

The recogniser here is a stand-in with batched Whisper's known failure: on any stretch longer
than it can hold, its text stops early and the rest is never read. The speech it misses is real
(Danish speech from espeak-ng, found by the real speech detector).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clips import speech_wav
from videokit import coverage, media, reread, vad
from videokit.asr import AudioJob, DecodeOptions
from videokit.pipeline import unread_notes
from videokit.transcript import Segment, Transcript, Unread, Word

TEXT = (
    "Som lokalpolitiker er du altid på, også når du skriver på Facebook om aftenen. "
    "Tænk derfor over, hvem der læser med, før du deler noget. Gør det personligt, men ikke "
    "privat. Fortæl om dit arbejde i byrådet, og svar høfligt, når borgerne spørger. "
    "Del gerne billeder fra møderne, men spørg altid først dem, der er med på billedet."
)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    wav = speech_wav(tmp_path_factory.mktemp("reread") / "speech.wav", TEXT)
    audio = media.load_audio(wav)
    probabilities = vad.speech_probabilities(audio)
    assert probabilities is not None, "the speech detector (onnxruntime) is part of the install"
    speech = coverage.detected_speech(probabilities, vad.FRAME_MS)
    assert speech and speech[-1][1] > 20_000, "the narration is long enough to lose its end"
    return audio, probabilities, speech


def _ms(audio: np.ndarray) -> int:
    return len(audio) * 1000 // 16000


@dataclass
class StopsEarly:
    """Reads the first ``holds_ms`` of what it is given and nothing after (``never`` spans, in
    the time of the whole recording, it never reads)."""

    holds_ms: int
    never: tuple[int, int] | None = None
    calls: list[int] = field(default_factory=list)

    def transcribe(self, audio, options=None, *, source_sha256="", path=None, progress=None):
        length = _ms(audio)
        self.calls.append(length)
        end = min(length, self.holds_ms)
        words = (Word(" ord", 0, end),)
        segments = (Segment(0, end, " ord", words),) if end > 0 else ()
        if self.never is not None and len(self.calls) > 1:
            segments = ()  # the re-reading finds nothing either
        return Transcript("da", length, segments, model="stand-in")


def _job(audio: np.ndarray) -> AudioJob:
    return AudioJob(audio, DecodeOptions(), "0" * 64, Path("media/tale.mp4"))


def test_a_draft_that_stops_early_is_read_again_until_its_speech_is_covered(spoken):
    audio, probabilities, speech = spoken
    engine = StopsEarly(holds_ms=12_000)
    first = engine.transcribe(audio)
    assert coverage.uncovered(speech, first), "the stand-in leaves speech out, as batched Whisper"

    filled = reread.fill_gaps(engine, _job(audio), first, probabilities, vad.FRAME_MS)

    assert coverage.uncovered(speech, filled) == []
    assert not [u for u in filled.unread if u.reason == "left out"]
    # Read again: only the stretches left out (with their padding), not the whole recording.
    assert len(engine.calls) >= 2 and all(c < _ms(audio) for c in engine.calls[1:])
    starts = [s.start_ms for s in filled.segments]
    assert starts == sorted(starts) and filled.segments[0] == first.segments[0]
    # Times are the recording's, not the re-read stretch's.
    assert filled.segments[-1].end_ms > first.segments[-1].end_ms + 5_000
    assert all(s.end_ms <= filled.duration_ms for s in filled.segments)


def test_speech_still_left_out_is_recorded_and_reported(spoken):
    audio, probabilities, speech = spoken
    engine = StopsEarly(holds_ms=12_000, never=(12_000, _ms(audio)))
    first = engine.transcribe(audio)

    filled = reread.fill_gaps(engine, _job(audio), first, probabilities, vad.FRAME_MS)

    missed = [u for u in filled.unread if u.reason == "left out"]
    assert missed and missed[0].start_ms >= 11_000
    assert missed[-1].end_ms >= speech[-1][1] - 1
    assert filled.segments == first.segments
    assert len(engine.calls) == 2, "a reading that finds nothing is not repeated"
    notes = unread_notes(filled)
    assert any("by hand" in n and "draft has no text" in n for n in notes)
    # The record round-trips through the draft cache's format.
    assert Transcript.from_json(filled.to_json()) == filled


def test_without_a_speech_detector_the_draft_is_kept_as_it_is(spoken):
    audio, _, _ = spoken
    engine = StopsEarly(holds_ms=12_000)
    first = engine.transcribe(audio)
    assert reread.fill_gaps(engine, _job(audio), first, None, vad.FRAME_MS) is first
    assert len(engine.calls) == 1


def test_a_draft_that_covers_its_speech_is_not_read_again(spoken):
    audio, probabilities, _ = spoken
    engine = StopsEarly(holds_ms=10**9)
    first = engine.transcribe(audio)
    assert reread.fill_gaps(engine, _job(audio), first, probabilities, vad.FRAME_MS) is first
    assert len(engine.calls) == 1


spans = st.lists(st.tuples(st.integers(0, 50_000), st.integers(1, 5_000)), max_size=6).map(
    lambda xs: [(a, a + d) for a, d in xs]
)


@given(spans, spans)
def test_merged_and_left_out_keep_time_order(segs, gaps):
    draft = Transcript("da", 60_000, tuple(Segment(a, b, " x") for a, b in sorted(segs)))
    found = [Segment(a, b, " y") for a, b in segs]
    merged = reread.merged(draft, found)
    assert [s.start_ms for s in merged.segments] == sorted(s.start_ms for s in merged.segments)
    assert len(merged.segments) == len(draft.segments) + len(found)
    marked = reread.left_out(
        Transcript("da", 60_000, (), unread=(Unread(0, 10, "no speech"),)), gaps
    )
    assert [u.start_ms for u in marked.unread] == sorted(u.start_ms for u in marked.unread)
    assert sum(u.reason == "left out" for u in marked.unread) == len(gaps)
