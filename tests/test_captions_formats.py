"""SRT and WebVTT writing: nothing dropped, markup escaped, times exact."""

from __future__ import annotations

import json

import pytest
import srt
from hypothesis import given, settings
from hypothesis import strategies as st

from videokit.captions import to_srt, to_vtt, vtt_timestamp
from videokit.transcript import Cue


def test_vtt_header_times_and_voice():
    cues = [Cue(0, 1500, ("Hej med dig",), speaker="Anne"), Cue(3_723_004, 3_725_000, ("a", "b"))]
    text = to_vtt(cues)
    assert text.startswith("WEBVTT\n")
    assert "00:00:00.000 --> 00:00:01.500\n<v Anne>Hej med dig\n" in text
    assert "01:02:03.004 --> 01:02:05.000\na\nb\n" in text


def test_spoken_markup_is_escaped_in_vtt_and_plain_in_srt():
    cues = [Cue(0, 2000, ('<script>alert(1)</script> & "så"',), speaker="A<b>")]
    vtt = to_vtt(cues)
    assert "<script>" not in vtt and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in vtt
    assert "<v A&lt;b>" in vtt
    assert list(srt.parse(to_srt(cues)))[0].content == '<script>alert(1)</script> & "så"'


def test_vtt_timestamp_pads():
    assert vtt_timestamp(0) == "00:00:00.000" and vtt_timestamp(61_001) == "00:01:01.001"


texts = st.text(alphabet=st.sampled_from(list("abcæøå ÆØÅ.,-<>&\"'")), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 5000), st.integers(1, 7000), texts), min_size=1, max_size=30)
)
def test_srt_keeps_every_cue_and_its_times(spans):
    cues, t = [], 0
    for gap, dur, text in spans:
        if not text.strip():
            text = "x" + text
        cues.append(Cue(t + gap, t + gap + dur, (text.strip() or "x",)))
        t += gap + dur
    parsed = list(srt.parse(to_srt(cues)))
    assert len(parsed) == len(cues)
    for cue, sub in zip(cues, parsed):
        assert round(sub.start.total_seconds() * 1000) == cue.start_ms
        assert round(sub.end.total_seconds() * 1000) == cue.end_ms


# --- dialogue cues ---------------------------------------------------------------------------------

DIALOGUE = Cue(1000, 2800, ("-Dav, Boldt.", "-Dav, Larsen."), voices=("Larsen", "Boldt"))


def test_dialogue_cue_in_vtt_has_a_voice_per_line():
    vtt = to_vtt([DIALOGUE])
    assert "\n<v Larsen>-Dav, Boldt.</v>\n<v Boldt>-Dav, Larsen.</v>\n" in vtt


def test_dialogue_voice_unknown_on_one_line():
    vtt = to_vtt([Cue(0, 2000, ("-Hej.", "-Hej <du>."), voices=(None, "B&B"))])
    assert "\n-Hej.\n<v B&amp;B>-Hej &lt;du&gt;.</v>\n" in vtt


def test_dialogue_cue_in_srt_keeps_the_dashes():
    (sub,) = srt.parse(to_srt([DIALOGUE]))
    assert sub.content == "-Dav, Boldt.\n-Dav, Larsen."


def test_cue_json_without_voices_still_loads_and_is_written_the_same():
    old = {"start_ms": 0, "end_ms": 900, "lines": ["Hej"], "speaker": "A"}
    cue = Cue.from_dict(old)
    assert cue.voices == () and cue.to_dict() == old
    assert Cue.from_dict(DIALOGUE.to_dict()) == DIALOGUE
    assert DIALOGUE.to_dict()["voices"] == ["Larsen", "Boldt"]


def test_voices_must_match_lines():
    with pytest.raises(ValueError):
        Cue(0, 900, ("-a", "-b"), voices=("A",))


names = st.one_of(st.none(), st.text(alphabet="abcÆØÅ <>&", min_size=1, max_size=8))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(1, 7000),
    st.lists(texts.filter(lambda t: t.strip()), min_size=1, max_size=3),
    st.data(),
)
def test_cue_json_round_trip(start, dur, lines, data):
    voices = data.draw(st.one_of(st.just(()), st.tuples(*[names for _ in lines])))
    speaker = data.draw(names)
    cue = Cue(start, start + dur, tuple(lines), speaker, voices)
    assert Cue.from_dict(json.loads(json.dumps(cue.to_dict()))) == cue
