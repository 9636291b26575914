"""Issue 28, hostile input round two: the editor's files and side files.

One section per case of the issue (5, 8-12 and the encodings); each test failed before the fix.
"""

from __future__ import annotations

import codecs
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videokit.captions import to_srt, to_vtt
from videokit.edits import decode_text, parse_srt, plain_text, to_review_srt
from videokit.errors import TranscriptError, VideokitError
from videokit.files import read_text_file
from videokit.speakers import check_speaker
from videokit.textview import TextParagraph, parse_review_text, write_review_text
from videokit.transcript import Cue
from videokit.webvtt import cue_text

# --- 5. speaker names are checked where they are set ----------------------------------------------

NAME_CHARS = st.sampled_from(
    list(string.ascii_letters + "æøåÆØÅ:0123456789(),.'’- ") + ["Ö", "Ç", "中", "ب", "\u0308", "ß"]
)
NAMES = st.text(NAME_CHARS, min_size=1, max_size=24) | st.text(min_size=1, max_size=12)


def _speaker_or_refused(name: str) -> str | None:
    try:
        return check_speaker(name)
    except TranscriptError as err:
        assert "speaker name" in err.message and err.hint
        return "refused"


@settings(max_examples=400, deadline=None)
@given(NAMES)
def test_5_a_name_round_trips_through_both_views_or_is_refused_where_it_is_set(name):
    checked = _speaker_or_refused(name)
    cue = Cue(1000, 2000, ("Tak for ordet.",), name)
    paragraph = TextParagraph(name, ("Tak", "for", "ordet."))
    if checked == "refused":
        with pytest.raises(TranscriptError, match="speaker name"):
            to_review_srt([cue])
        with pytest.raises(TranscriptError, match="speaker name"):
            write_review_text([paragraph])
        return
    # Never caption text: the name comes back as the speaker, the text as it was.
    (back,) = parse_srt(to_review_srt([cue]))
    assert (back.speaker, back.lines) == (checked, cue.lines)
    (para,) = parse_review_text(write_review_text([paragraph]))
    assert (para.speaker, para.words) == (checked, paragraph.words)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Dr: Hansen", "colon"),
        ("Jens Hansen (borgmester)", "'('"),
        ("Hansen, Jens", "','"),
        ("Taler 2", "digit '2'"),
        ("Ukendt", "no named speaker"),
    ],
)
def test_5_names_that_would_become_text_are_refused_with_the_reason(name, why):
    with pytest.raises(TranscriptError, match="speaker name") as err:
        to_review_srt([Cue(1000, 2000, ("Godaften.",), name)])
    assert why in err.value.message and name in err.value.message
    assert "cue 1" in err.value.message and "Borgmester Jens Hansen" in err.value.hint


@pytest.mark.parametrize("name", ["Ödön Horváth", "毛泽东", "محمد", "Ö\u0308dön".replace("Ö", "O")])
def test_5_names_in_any_script_are_speakers(name):
    assert check_speaker(name) == name
    (cue,) = parse_srt(to_review_srt([Cue(1000, 2000, ("Tak.",), name)]))
    assert cue.speaker == name and cue.lines == ("Tak.",)


def test_5_the_studio_refuses_to_save_such_a_name_and_writes_nothing(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from test_studio import ORIGIN, SLUG, TOKEN, desk, load, produce, save
    from videokit.studio import Studio, make_app
    from videokit.workspace import Project

    produce(tmp_path, monkeypatch)
    project = Project.locate(tmp_path)
    client = TestClient(make_app(Studio(project, TOKEN, ORIGIN)), base_url=ORIGIN)

    data = load(client)
    before = desk(project).srt_path(SLUG).read_bytes()
    data["cues"][0]["speaker"] = "Dr: Hansen"
    response = save(client, data["cues"], data["sha"])
    assert response.status_code == 422 and "kolon" in response.json()["error"], response.text
    assert "Tekst 1" in response.json()["error"]
    assert desk(project).srt_path(SLUG).read_bytes() == before


def test_5_a_voice_name_the_text_view_cannot_carry_is_refused_at_its_cue():
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Jens Hansen (borgmester)>Godaften\n"
    with pytest.raises(TranscriptError, match=r"borgmester.*text view") as err:
        parse_srt(vtt)
    assert err.value.line == 3 and err.value.rule == "speaker-name"


# --- 8. WebVTT cue markup is read, not published as text ------------------------------------------


@pytest.mark.parametrize(
    ("markup", "lines"),
    [
        ("<c.magenta.bg_black>Musique douce</c>", ("Musique douce",)),
        ("<i.blue>kursiv</i> og <b>fed</b>", ("<i>kursiv</i> og <b>fed</b>",)),
        ("byrådet<00:00:00.480><c> holder</c><00:00:00.960><c> møde</c>", ("byrådet holder møde",)),
        ("<ruby>漢字<rt>かんじ</rt></ruby>", ("漢字(かんじ)",)),
        ("<lang en>meeting</lang>", ("meeting",)),
        ("2 &lt; 3 &amp; 4 &gt; 1", ("2 < 3 & 4 > 1",)),
        ("&amp;lt; &#229;&#xE6; a&nbsp;b", ("&lt; åæ a\xa0b",)),
        ("<I>ikke kursiv</I> <font color=red>x</font>", ("ikke kursiv x",)),  # tags are lower case
        ("<i>to\nlinjer</i>", ("<i>to", "linjer</i>")),
    ],
)
def test_8_cue_text_follows_the_cue_text_parsing_rules(markup, lines):
    assert cue_text(markup).lines == lines


def test_8_youtube_captions_publish_without_tags_and_escape_once():
    vtt = (
        "WEBVTT\nKind: captions\nLanguage: da\n\n"
        "00:00:00.000 --> 00:00:02.500 align:start position:0%\n"
        "<c.magenta.bg_black>Musique douce</c>\n\n"
        "00:00:02.500 --> 00:00:04.000 align:start position:0%\n2 &lt; 3\n"
    )
    cues = parse_srt(vtt)
    assert [c.lines for c in cues] == [("Musique douce",), ("2 < 3",)]
    out = to_vtt(cues)
    assert "2 &lt; 3\n" in out and "&amp;lt;" not in out and "<c" not in out
    assert "2 < 3" in to_srt(cues)


LINE_CHARS = st.sampled_from(list(string.ascii_letters + "æøå <>&;#/.-!\"'") + ["\xa0", "€"])
KEPT = st.sampled_from(["<i>", "</i>", "<b>", "</b>", "<u>", "</u>"])


@st.composite
def vtt_lines(draw: st.DrawFn) -> tuple[str, ...]:
    """Lines as the reader makes them: text with every '<', '&' its own, squeezed spaces."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        text = draw(st.text(LINE_CHARS, min_size=1, max_size=30))
        line = " ".join(text.replace("<", "<x").split(" ")).strip()
        line = " ".join(p for p in line.split(" ") if p)
        if line and line.strip(" \xa0"):
            out.append(line)
    return tuple(out) or ("x",)


@settings(max_examples=300, deadline=None)
@given(st.lists(vtt_lines(), min_size=1, max_size=4), st.sampled_from([None, "Mette", "Bo Ek"]))
def test_8_cue_text_round_trips_through_webvtt(cue_lines, speaker):
    cues = [Cue(i * 2000, i * 2000 + 1500, lines, speaker) for i, lines in enumerate(cue_lines)]
    assert parse_srt(to_vtt(cues)) == cues


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(KEPT, st.text(LINE_CHARS, min_size=1, max_size=8)), min_size=1))
def test_8_formatting_balanced_or_not_settles_after_one_pass(parts):
    line = " ".join(" ".join(parts).split())
    if not plain_text(line):
        return  # tags only: no cue
    once = parse_srt(to_vtt([Cue(0, 1000, (line,))]))
    assert parse_srt(to_vtt(once)) == once
    assert plain_text(once[0].lines[0]) == plain_text(line)  # no text lost, only stray tags


# --- 9. the hint for a missing empty line is tried before it is given -----------------------------


@pytest.mark.parametrize(
    ("text", "line", "before"),
    [
        (  # no numbers: the empty line goes above the timing line, or a text line is lost
            "00:00:01,000 --> 00:00:02,000\nByrådet mødes.\n"
            "00:00:02,500 --> 00:00:04,000\nAlle er velkomne.\n",
            3,
            3,
        ),
        (  # numbers: above the next cue's number
            "1\n00:00:01,000 --> 00:00:02,000\nByrådet mødes.\n"
            "2\n00:00:02,500 --> 00:00:04,000\nAlle er velkomne.\n",
            5,
            4,
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nByrådet mødes.\n00:02.500 --> 00:04.000\nAlle.\n",
            5,
            5,
        ),
        (
            "WEBVTT\n\n1\n00:01.000 --> 00:02.000\nByrådet mødes.\n2\n00:02.500 --> 00:04.000\nA\n",
            7,
            6,
        ),
    ],
)
def test_9_following_the_hint_gives_the_cues_the_editor_wrote(text, line, before):
    with pytest.raises(TranscriptError, match="empty line") as err:
        parse_srt(text)
    assert err.value.line == line and err.value.hint == f"insert an empty line before line {before}"
    lines = text.split("\n")
    fixed = parse_srt("\n".join([*lines[: before - 1], "", *lines[before - 1 :]]))
    assert [c.lines[-1] for c in fixed] == [("Byrådet mødes.",)[-1], lines[-2]]


def test_9_a_hint_that_would_not_make_the_file_read_is_not_given():
    # Cue 1's only text line is "2": above it would leave cue 1 empty, so the hint is the other.
    text = "1\n00:00:01,000 --> 00:00:02,000\n2\n00:00:02,500 --> 00:00:04,000\nAlle.\n"
    with pytest.raises(TranscriptError, match="empty line") as err:
        parse_srt(text)
    assert err.value.hint == "insert an empty line before line 4"


# --- 10. a cue right under the WEBVTT line ---------------------------------------------------------


def test_10_a_cue_directly_under_the_header_is_read():
    (cue,) = parse_srt("WEBVTT\n00:00:01.000 --> 00:00:02.000\nHej\n")
    assert (cue.start_ms, cue.end_ms, cue.lines) == (1000, 2000, ("Hej",))
    (cue,) = parse_srt("WEBVTT\nKind: captions\n00:01.000 --> 00:02.000\nHej\n")
    assert cue.lines == ("Hej",)


# --- 11. encodings: declared, told apart, or refused by name ---------------------------------------

SRT = "1\n00:00:01,000 --> 00:00:02,000\n"


def test_11_iso_8859_15_keeps_its_euro_sign():
    text = SRT + "Det koster 100 € på Ærø.\n"
    assert decode_text(text.encode("iso-8859-15")) == text
    assert decode_text((SRT + "“100 €” på Ærø\n").encode("cp1252")).endswith("“100 €” på Ærø\n")


def test_11_iso_8859_15_or_cp1252_unsure_is_refused_naming_both():
    data = SRT.encode() + b"1\xbd kg for 10 \xa4\n"  # ½ and ¤ in cp1252; œ and € in ISO-8859-15
    with pytest.raises(TranscriptError, match="ISO-8859-15 or Windows-1252") as err:
        decode_text(data)
    assert err.value.line == 3


@pytest.mark.parametrize("bom", ["utf-32", "utf-32-be"])
def test_11_utf32_with_a_byte_order_mark_is_read(bom):
    text = SRT + "Børn og ældre\n"
    data = text.encode(bom) if bom == "utf-32" else codecs.BOM_UTF32_BE + text.encode(bom)
    assert decode_text(data) == text
    assert parse_srt(decode_text(data))[0].lines == ("Børn og ældre",)


@pytest.mark.parametrize(
    ("codec", "name"),
    [
        ("utf-16-le", "UTF-16 (little-endian) without a byte-order mark"),
        ("utf-16-be", "UTF-16 (big-endian) without a byte-order mark"),
        ("utf-32-le", "UTF-32 (little-endian) without a byte-order mark"),
    ],
)
def test_11_utf16_and_utf32_without_a_mark_are_named(codec, name):
    with pytest.raises(TranscriptError, match=name.replace("(", r"\(").replace(")", r"\)")):
        decode_text((SRT + "Børn\n").encode(codec))


@pytest.mark.parametrize(
    ("codec", "text", "words"),
    [
        ("gb2312", "市议会开会。", "Chinese, Japanese or Korean"),
        ("big5", "市議會開會，歡迎大家。", "Chinese, Japanese or Korean"),
        ("cp865", "Børn og ældre på Ærø får hjælp.", "DOS Nordic"),
        ("mac_roman", "Børn og ældre på Ærø får hjælp.", "Mac Roman"),
    ],
)
def test_11_other_encodings_are_refused_by_name_not_as_mixed_utf8(codec, text, words):
    with pytest.raises(TranscriptError, match="not UTF-8") as err:
        decode_text((SRT + text + "\n").encode(codec))
    assert words in err.value.message and "mixed" not in err.value.message
    assert err.value.line == 3


# --- 12. messages that say what is wrong ----------------------------------------------------------


def test_12_equal_times_say_so_with_a_hint():
    with pytest.raises(TranscriptError, match="starts and ends at the same time") as err:
        parse_srt(SRT.replace("00:00:02,000", "00:00:01,000") + "Hej\n")
    assert err.value.line == 2 and err.value.hint
    with pytest.raises(TranscriptError, match="ends before it starts") as err:
        parse_srt(SRT.replace("00:00:02,000", "00:00:00,500") + "Hej\n")
    assert err.value.hint


def test_12_a_subviewer_file_is_named():
    sbv = "0:00:01.000,0:00:03.000\nByrådet mødes.\n\n0:00:03.500,0:00:05.000\nAlle.\n"
    with pytest.raises(TranscriptError, match=r"SubViewer \(\.sbv\)") as err:
        parse_srt(sbv)
    assert err.value.line == 1 and "SRT or WebVTT" in err.value.hint


# --- 6 (part). side files are read by the same rules ----------------------------------------------


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("cp1252", "Byrådet\nÆrø Kommune\n"),
        ("utf-16", "Byrådet på Ærø skal spare.\n"),
        ("utf-8-sig", "Byrådet\n"),
        ("iso-8859-15", "Pris: 100 €\n"),
    ],
)
def test_6_side_files_read_in_every_editor_encoding(tmp_path, codec, text):
    path = tmp_path / "glossary.txt"
    path.write_bytes(text.encode(codec))
    assert read_text_file(path, "glossary") == text


def test_6_an_unreadable_side_file_names_itself_and_what_to_do(tmp_path):
    path = tmp_path / "v.manuscript.txt"
    path.write_bytes("市议会开会。\n".encode("gb2312"))
    with pytest.raises(VideokitError, match="manuscript") as err:
        read_text_file(path, "manuscript")
    assert err.value.path == path and "UTF-8" in err.value.hint
    with pytest.raises(VideokitError, match="cannot be read") as err:
        read_text_file(tmp_path / "missing.txt", "glossary")
    assert err.value.path == tmp_path / "missing.txt"
