"""Speakers per line of a dialogue cue survive every format: the SRT view, WebVTT ``<v>``, the
text view and the studio's save (round-trip property tests)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from videokit.captions import to_vtt
from videokit.cuegrid import page_cues
from videokit.edits import parse_srt, to_review_srt
from videokit.norms import DIALOGUE_DASHES
from videokit.segment import cues_from_transcript
from videokit.studio import cue_json
from videokit.transcript import Cue, Segment, Transcript, Word


def cues_from_json(data):
    """The page's cues as the studio takes them (videokit.cuegrid.page_cues), none refused."""
    cues, problems = page_cues(data, None)
    assert not problems, problems
    return cues


names = st.sampled_from(["Anne", "Bo", "Mette Hansen", "Jens", "Lauritz Jensen", None])
words = st.sampled_from(["Dav", "ja", "øh,", "Kommer", "du?", "Nej.", "det", "gør", "jeg.", "Tak!"])
texts = st.lists(words, min_size=1, max_size=5).map(" ".join)


@st.composite
def tracks(draw) -> list[Cue]:
    cues, t = [], 0
    for _ in range(draw(st.integers(1, 5))):
        length = draw(st.integers(300, 3000))
        if draw(st.booleans()):
            dash = draw(st.sampled_from(DIALOGUE_DASHES))
            a, b = draw(st.lists(names, min_size=2, max_size=2, unique=True))
            lines = (dash + draw(texts), dash + draw(texts))
            cues.append(Cue(t, t + length, lines, None, (a, b)))
        else:
            cues.append(Cue(t, t + length, (draw(texts),), draw(names)))
        t += length + draw(st.integers(0, 500))
    return cues


@settings(max_examples=150, deadline=None)
@given(tracks())
def test_the_srt_view_keeps_each_lines_speaker(cues):
    assert parse_srt(to_review_srt(cues)) == cues


@settings(max_examples=150, deadline=None)
@given(tracks())
def test_webvtt_voices_per_line_read_back(cues):
    back = parse_srt(to_vtt(cues))
    assert [c.voices for c in back] == [
        c.voices if c.voices and len(set(c.voices)) > 1 else () for c in cues
    ]
    assert [c.lines for c in back] == [c.lines for c in cues]


def test_the_text_view_keeps_both_speakers_of_an_exchange():
    # The text view is the transcript: a paragraph per turn, each named. Laid out again, the
    # exchange is one dash cue with both voices.
    said = [("Anne", "Her er vi."), ("Bo", "Hvem er det?")]
    segments, t = [], 0
    for who, text in said:
        ws = []
        for w in text.split():
            ws.append(Word(" " + w, t, t + 300, 1.0))
            t += 320
        segments.append(Segment(ws[0].start_ms, ws[-1].end_ms, " " + text, tuple(ws), speaker=who))
        t += 200
    (cue,) = cues_from_transcript(Transcript("da", t + 1000, tuple(segments)))
    assert cue.voices == ("Anne", "Bo")
    assert parse_srt(to_review_srt([cue])) == [cue]


@settings(max_examples=100, deadline=None)
@given(tracks())
def test_the_studio_page_json_keeps_each_lines_speaker(cues):
    assert cues_from_json([cue_json(c) for c in cues]) == cues
