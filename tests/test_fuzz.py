"""Every reader of a file a person or another program writes, fed random and mutated input.

The promise: an input is either read or refused with a :class:`VideokitError` naming the file;
never an internal error, never a lost edit, never a partial file. And every editor format read
back gives exactly what was written.
"""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videokit.cache import TranscriptCache
from videokit.captions import to_vtt
from videokit.config import load_settings
from videokit.edits import clean_line, decode_text, parse_srt, plain_text, to_review_srt
from videokit.errors import VideokitError
from videokit.review import ReviewDesk
from videokit.segment import cues_from_transcript
from videokit.textview import TextParagraph, parse_review_text, write_review_text
from videokit.transcript import Cue, Segment, Transcript, Word

fuzz = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

VALID_SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\nMette: Byrådet holder møde.\n\n"
    "2\n00:00:03,000 --> 00:00:04,000\n<i>Alle</i> er velkomne.\n"
)


@st.composite
def mutated(draw: st.DrawFn, base: str) -> bytes:
    """A valid file with a few lines deleted, duplicated or garbled, in some encoding."""
    lines = base.split("\n")
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "garble", "blank"]))
        if action == "drop" and len(lines) > 1:
            lines.pop(i)
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "garble":
            lines[i] = draw(st.text(max_size=30))
        else:
            lines[i] = ""
    text = "\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


def read_srt(data: bytes) -> None:
    try:
        parse_srt(decode_text(data, Path("v.da.srt")), Path("v.da.srt"), duration_ms=6000)
    except VideokitError as err:
        assert err.path == Path("v.da.srt")


@fuzz
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_srt_reader(data):
    read_srt(data)


@fuzz
@given(mutated(VALID_SRT))
def test_mutated_srt_never_crashes_the_reader(data):
    read_srt(data)


VALID_VTT = (
    "WEBVTT\nKind: captions\nLanguage: da\n\n"
    "00:01.000 --> 00:02.500 align:start position:0%\n"
    "<v Mette>Byrådet <c.yellow.bg_black>holder</c> møde &amp; mere\n\n"
    "intro\n00:00:03.000 --> 00:00:04.000\n<i.x>Alle</i> er<00:03.500><c> velkomne</c>\n"
    "<ruby>漢字<rt>かんじ</rt></ruby> <lang en>2 &lt; 3</lang> &#229;&nbsp;&notit;\n"
)
# Pieces of WebVTT cue markup, whole and broken, for the cue text of a valid file.
MARKUP = st.sampled_from(
    ["<", ">", "&", "&amp;", "&lt", "&#", "&#x110000;", "&#0;", "<c.", "</", "<v ", "<v>", "</v>"]
    + ["<00:0", "<00:01.000>", "<ruby>", "<rt>", "</rt>", "</ruby>", "<lang", "\x00", "-->"]
    + ["\r", "<i>", "</b>", "<u.x>", "< i>", "</i >", "\ufeff", "\t", " ", "x"]
)


@st.composite
def mutated_cue_text(draw: st.DrawFn) -> bytes:
    """The valid WebVTT file with markup pieces put into its cue text, in some encoding."""
    lines = VALID_VTT.split("\n")
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.sampled_from([5, 8, 9]))  # the cue text lines
        at = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:at] + "".join(draw(st.lists(MARKUP, max_size=4))) + lines[i][at:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    return "\n".join(lines).encode(encoding, errors="replace")


@fuzz
@given(mutated(VALID_VTT) | mutated_cue_text())
def test_mutated_webvtt_and_its_cue_markup_never_crash_the_reader(data):
    read_srt(data)


@fuzz
@given(mutated_cue_text())
def test_webvtt_read_back_and_written_again_reads_the_same(data):
    try:
        cues = parse_srt(decode_text(data), duration_ms=6000)
    except VideokitError:
        return
    assert parse_srt(to_vtt(cues)) == cues


@fuzz
@given(st.binary(max_size=300) | mutated("Mette: Byrådet holder møde.\n\nBo: Tak."))
def test_random_text_view_never_crashes_the_reader(data):
    try:
        parse_review_text(decode_text(data, Path("v.txt")))
    except VideokitError as err:
        assert err.path == Path("v.txt")


@fuzz
@given(
    st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | mutated("[captions]\nmax_chars_per_line = 37\n\n[decoding]\nbeam_size = 5\n")
)
def test_random_settings_never_crash(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "videokit.toml"
    path.write_bytes(data)
    try:
        load_settings(path)
    except VideokitError as err:
        assert err.path == path


@fuzz
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_random_cache_entries_read_as_absent(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("cache")
    (root / "draft-x.json").write_bytes(data)
    found = TranscriptCache(root).get("draft-x")
    assert found is None or isinstance(found, Transcript)


DRAFT = Transcript(
    "da",
    6000,
    (
        Segment(
            1000,
            2400,
            " Byrådet holder møde.",
            (Word(" Byrådet", 1000, 1500), Word(" holder", 1500, 1900), Word(" møde.", 1900, 2400)),
        ),
    ),
)


@fuzz
@given(mutated(VALID_SRT))
def test_a_mutated_edit_is_never_lost_and_leaves_no_partial_file(tmp_path_factory, data):
    desk = ReviewDesk(
        tmp_path_factory.mktemp("review"),
        align=lambda _t: DRAFT,
        layout_cues=cues_from_transcript,
    )
    cues = cues_from_transcript(DRAFT)

    def go():
        return desk.reconcile("v", DRAFT, cues)

    go()
    desk.srt_path("v").write_bytes(data)
    out = go()
    assert desk.srt_path("v").read_bytes() == data, "the editor's file is never rewritten"
    assert out.cues, "some version is always in force"
    assert not list(desk.root.rglob("*.part"))


# --- round trips: what a writer writes, its reader reads back exactly ------------------------------

NAMES = st.sampled_from(["Mette", "Anne Marie Jensen", "Ödön", "Hans van der Berg", "Bo", None])
WORD = st.text(
    alphabet=string.ascii_letters + "æøåÆØÅé.,:!?-'\"&<>/ {}\\", min_size=1, max_size=10
).filter(lambda w: w.strip() == w and w and " " not in w)


@st.composite
def cue_lists(draw: st.DrawFn) -> list[Cue]:
    """Cues as the reader makes them: lines already clean (no colour markup, single spaces)."""
    cues, t = [], draw(st.integers(0, 5000))
    line = (
        st.lists(WORD, min_size=1, max_size=5)
        .map(" ".join)
        .filter(lambda x: clean_line(x) == x and plain_text(x))
    )
    for _ in range(draw(st.integers(1, 6))):
        length = draw(st.integers(1, 7000))
        lines = tuple(draw(line) for _ in range(draw(st.integers(1, 2))))
        cues.append(Cue(t, t + length, lines, draw(NAMES)))
        t += length + draw(st.integers(0, 3000))
    return cues


@settings(max_examples=300, deadline=None)
@given(cue_lists())
def test_review_srt_round_trip(cues):
    assert parse_srt(to_review_srt(cues)) == cues


@st.composite
def paragraph_lists(draw: st.DrawFn) -> list[TextParagraph]:
    return [
        TextParagraph(draw(NAMES), tuple(draw(st.lists(WORD, min_size=1, max_size=8))))
        for _ in range(draw(st.integers(0, 6)))
    ]


@settings(max_examples=300, deadline=None)
@given(paragraph_lists())
def test_review_text_round_trip(paragraphs):
    assert parse_review_text(write_review_text(paragraphs)) == paragraphs


def test_text_view_keeps_an_unnamed_paragraph_after_a_named_one_and_husk_is_no_speaker():
    paragraphs = [
        TextParagraph("Mette", ("Velkommen.",)),
        TextParagraph(None, ("Husk:", "det", "her.")),
    ]
    text = write_review_text(paragraphs)
    assert parse_review_text(text) == paragraphs
    assert parse_review_text("Husk: det her.") == [TextParagraph(None, ("Husk:", "det", "her."))]
