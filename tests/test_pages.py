"""Paragraphs, times and JSON-LD for transcript pages."""

from __future__ import annotations

import json

import pytest

from videokit.pages import (
    Paragraph,
    VideoPage,
    clock,
    count_sentences,
    danish_date,
    ends_sentence,
    human_duration_da,
    iso_duration,
    media_fragment,
    paragraphs,
    script_safe_json,
    transcript_text,
    video_object_jsonld,
)
from videokit.transcript import Segment, Transcript, Word


def words(text: str, start_ms: int, step_ms: int = 300) -> tuple[Word, ...]:
    """Whisper-style words (leading spaces) spaced ``step_ms`` apart."""
    out = []
    for i, token in enumerate(text.split()):
        t = start_ms + i * step_ms
        out.append(Word(" " + token, t, t + step_ms - 50))
    return tuple(out)


def seg(
    start: int, end: int, text: str, speaker: str | None = None, with_words: bool = False
) -> Segment:
    ws = words(text, start) if with_words else ()
    return Segment(start, end, " " + text, words=ws, speaker=speaker)


def tr(*segments: Segment, duration_ms: int = 600_000) -> Transcript:
    return Transcript("da", duration_ms, tuple(segments))


def page(**overrides: object) -> VideoPage:
    fields: dict[str, object] = {
        "slug": "ekspert-1",
        "title": "Om klima",
        "description": "En ekspert forklarer.",
        "duration_ms": 65_000,
        "mp4": "ekspert-1.mp4",
        "poster": "poster.jpg",
        "vtt": "ekspert-1.da.vtt",
        "srt": "ekspert-1.srt",
        "transcript_txt": "ekspert-1.txt",
        "paragraphs": (Paragraph(0, 4000, "Hej og velkommen.", "Anna"),),
        "upload_date": "2024-05-01",
    }
    fields.update(overrides)
    return VideoPage(**fields)  # type: ignore[arg-type]


# --- paragraphs -------------------------------------------------------------------------------


def test_empty_transcript_has_no_paragraphs() -> None:
    assert paragraphs(tr()) == []
    assert paragraphs(tr(seg(0, 1000, "   "))) == []


def test_one_speaker_short_talk_is_one_paragraph() -> None:
    result = paragraphs(tr(seg(0, 2000, "Hej."), seg(2100, 4000, "Jeg hedder Anna.")))
    assert result == [Paragraph(0, 4000, "Hej. Jeg hedder Anna.", None)]


def test_speaker_change_starts_a_paragraph() -> None:
    result = paragraphs(
        tr(
            seg(0, 2000, "Hvad er CO2?", "Interviewer"),
            seg(2100, 5000, "Det er en gas.", "Ekspert"),
        )
    )
    assert [(p.speaker, p.text) for p in result] == [
        ("Interviewer", "Hvad er CO2?"),
        ("Ekspert", "Det er en gas."),
    ]
    assert (result[1].start_ms, result[1].end_ms) == (2100, 5000)


def test_speaker_appearing_after_none_is_a_change() -> None:
    result = paragraphs(tr(seg(0, 1000, "Velkommen."), seg(1100, 2000, "Tak.", "Anna")))
    assert [p.speaker for p in result] == [None, "Anna"]


def test_long_pause_starts_a_paragraph() -> None:
    result = paragraphs(tr(seg(0, 2000, "Først det ene."), seg(3500, 5000, "Så det andet.")))
    assert [p.text for p in result] == ["Først det ene.", "Så det andet."]


def test_pause_just_under_threshold_does_not_break() -> None:
    result = paragraphs(tr(seg(0, 2000, "Først det ene."), seg(3499, 5000, "Så det andet.")))
    assert len(result) == 1


def test_pause_threshold_is_configurable() -> None:
    result = paragraphs(tr(seg(0, 2000, "A."), seg(2600, 3000, "B.")), pause_ms=500)
    assert len(result) == 2


def test_breaks_after_three_sentences() -> None:
    segs = [seg(i * 1000, i * 1000 + 900, f"Sætning nummer {i}.") for i in range(7)]
    result = paragraphs(tr(*segs))
    assert [count_sentences(p.text) for p in result] == [3, 3, 1]
    assert result[1].start_ms == 3000


def test_does_not_break_mid_sentence_for_sentence_count() -> None:
    segs = [
        seg(0, 900, "En."),
        seg(1000, 1900, "To."),
        seg(2000, 2900, "Tre og"),
        seg(3000, 3900, "lidt mere."),
        seg(4000, 4900, "Fire."),
    ]
    result = paragraphs(tr(*segs))
    assert [p.text for p in result] == ["En. To. Tre og lidt mere.", "Fire."]


def test_abbreviations_do_not_end_sentences() -> None:
    assert not ends_sentence("f.eks.")
    assert not ends_sentence("det er bl.a.")
    assert ends_sentence("Det er godt.")
    assert ends_sentence("Er det godt?")
    assert ends_sentence("Han sagde »nej.«")
    assert ends_sentence("Og så…")
    assert ends_sentence("Hun sagde „ja.“")
    assert not ends_sentence("uden punktum")
    assert count_sentences("Vi tager f.eks. toget. Det er grønt.") == 2


def test_long_segment_splits_at_sentences_with_word_times() -> None:
    text = "Et. To. Tre. Fire. Fem."
    segment = seg(10_000, 12_000, text, with_words=True)
    result = paragraphs(tr(segment))
    assert [p.text for p in result] == ["Et. To. Tre.", "Fire. Fem."]
    # The second paragraph starts at the word "Fire.", the fourth word: 10 000 + 3 × 300 ms.
    assert result[1].start_ms == 10_900
    assert result[0].end_ms == 10_000 + 2 * 300 + 250


def test_stale_words_are_ignored() -> None:
    # An editor corrected the text; the words still spell the old one, so their times are not used.
    old = words("Et. To. Tre. Fire.", 0)
    segment = Segment(0, 5000, " Én. To. Tre. Fire.", words=old)
    result = paragraphs(tr(segment))
    assert result == [Paragraph(0, 5000, "Én. To. Tre. Fire.", None)]


def test_pause_inside_a_segment_breaks_between_sentences() -> None:
    ws = (Word(" Først.", 0, 500), Word(" Så", 2500, 2800), Word(" senere.", 2800, 3200))
    result = paragraphs(tr(Segment(0, 3200, " Først. Så senere.", words=ws)))
    assert [(p.start_ms, p.text) for p in result] == [(0, "Først."), (2500, "Så senere.")]


def test_run_on_speech_breaks_at_max_chars() -> None:
    chunk = "og så videre uden punktum " * 4
    segs = [seg(i * 1000, i * 1000 + 900, chunk) for i in range(20)]
    result = paragraphs(tr(*segs), max_chars=300)
    assert len(result) > 1
    assert all(len(p.text) < 300 + len(chunk) for p in result)


def test_whitespace_is_normalised() -> None:
    result = paragraphs(
        tr(Segment(0, 1000, "  Hej\n  med   dig. "), Segment(1000, 2000, "Farvel."))
    )
    assert result[0].text == "Hej med dig. Farvel."


def test_paragraph_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        Paragraph(100, 50, "x")
    with pytest.raises(ValueError):
        Paragraph(0, 50, "  ")
    with pytest.raises(TypeError):
        Paragraph(0.5, 50, "x")  # type: ignore[arg-type]


def test_transcript_text_names_speaker_on_change_only() -> None:
    paras = [
        Paragraph(0, 1, "Et.", "Anna"),
        Paragraph(2, 3, "To.", "Anna"),
        Paragraph(4, 5, "Tre.", "Bo"),
        Paragraph(6, 7, "Fire.", None),
    ]
    assert transcript_text(paras) == "Anna: Et.\n\nTo.\n\nBo: Tre.\n\nFire.\n"
    assert transcript_text([]) == ""


# --- times -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "iso", "human"),
    [
        (0, "PT0S", "0 s"),
        (45_000, "PT45S", "45 s"),
        (65_000, "PT1M5S", "1 min 5 s"),
        (64_500, "PT1M5S", "1 min 5 s"),
        (64_499, "PT1M4S", "1 min 4 s"),
        (120_000, "PT2M", "2 min"),
        (3_600_000, "PT1H", "1 t"),
        (3_723_000, "PT1H2M3S", "1 t 2 min 3 s"),
    ],
)
def test_durations(ms: int, iso: str, human: str) -> None:
    assert iso_duration(ms) == iso
    assert human_duration_da(ms) == human


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError):
        iso_duration(-1)
    with pytest.raises(ValueError):
        human_duration_da(-1)


def test_clock_floors() -> None:
    assert clock(0) == "00:00"
    assert clock(12_999) == "00:12"
    assert clock(65_000) == "01:05"
    assert clock(3_723_000) == "1:02:03"


def test_media_fragment() -> None:
    assert media_fragment(12_300) == "12.3"
    assert media_fragment(12_000) == "12"
    assert media_fragment(12_399) == "12.3"
    assert media_fragment(0) == "0"


def test_danish_date() -> None:
    assert danish_date("2024-05-01") == "1. maj 2024"
    assert danish_date("2023-12-24") == "24. december 2023"


# --- VideoPage ---------------------------------------------------------------------------------


def test_video_page_coerces_paragraph_list_to_tuple() -> None:
    p = page(paragraphs=[Paragraph(0, 1000, "Hej.")])
    assert isinstance(p.paragraphs, tuple)
    assert p.language == "da" and p.language_label == "Dansk"
    assert p.reviewed is False


@pytest.mark.parametrize(
    "overrides",
    [
        {"slug": "../etc"},
        {"slug": "med mellemrum"},
        {"slug": ""},
        {"title": "  "},
        {"duration_ms": -1},
        {"mp4": "sub/dir.mp4"},
        {"vtt": ""},
        {"poster": ".."},
        {"transcript_txt": "a\\b.txt"},
        {"upload_date": "1. maj 2024"},
        {"upload_date": "20240501"},
        {"upload_date": "2024-02-30"},
        {"language": "Dansk"},
    ],
)
def test_video_page_rejects_bad_values(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        page(**overrides)


# --- JSON-LD -----------------------------------------------------------------------------------


def test_jsonld_has_the_video_object_fields() -> None:
    data = json.loads(video_object_jsonld(page(), base_url="https://example.dk/videoer/"))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "VideoObject"
    assert data["name"] == "Om klima"
    assert data["description"] == "En ekspert forklarer."
    assert data["uploadDate"] == "2024-05-01"
    assert data["duration"] == "PT1M5S"
    assert data["thumbnailUrl"] == "https://example.dk/videoer/ekspert-1/poster.jpg"
    assert data["contentUrl"] == "https://example.dk/videoer/ekspert-1/ekspert-1.mp4"
    assert data["caption"] == {
        "@type": "MediaObject",
        "contentUrl": "https://example.dk/videoer/ekspert-1/ekspert-1.da.vtt",
        "encodingFormat": "text/vtt",
        "inLanguage": "da",
    }
    assert data["transcript"] == "Anna: Hej og velkommen."


def test_jsonld_urls_are_relative_without_base_url() -> None:
    data = json.loads(video_object_jsonld(page(mp4="min video.mp4")))
    assert data["contentUrl"] == "min%20video.mp4"
    assert data["thumbnailUrl"] == "poster.jpg"


def test_jsonld_without_transcript_or_description() -> None:
    data = json.loads(video_object_jsonld(page(paragraphs=(), description="")))
    assert "transcript" not in data
    assert data["description"] == "Om klima"  # search engines require one


def test_jsonld_is_safe_inside_a_script_element() -> None:
    hostile = 'Slut </script><script>alert(1)</script> <!-- & \u2028 "citat"'
    p = page(title=hostile, paragraphs=(Paragraph(0, 1000, hostile, "</SCRIPT>"),))
    text = video_object_jsonld(p)
    for bad in ("<", ">", "&", "\u2028"):
        assert bad not in text
    data = json.loads(text)
    assert data["name"] == hostile
    assert data["transcript"] == f"</SCRIPT>: {hostile}"


def test_script_safe_json_round_trips() -> None:
    value = {"a": "<b>&amp;</b>", "æøå": ["ÆØÅ", 1, None]}
    text = script_safe_json(value)
    assert "æøå" in text  # Danish letters stay readable
    assert json.loads(text) == value
