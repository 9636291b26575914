"""On-screen text against what is said, the decision file, and where descriptions go: pure logic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from videokit import onscreen
from videokit.describing import (
    CHOICES,
    Decision,
    Description,
    descriptions,
    from_toml,
    merge,
    to_toml,
    undecided,
)
from videokit.screentext import (
    KINDS,
    Flag,
    ScreenText,
    kind_of,
    said_share,
    spoken_tokens,
    suggested_description,
    unsaid,
)
from videokit.transcript import Segment, Transcript, spread_words


def talk(*spans: tuple[int, int, str]) -> Transcript:
    segments = tuple(
        Segment(a, b, " " + text, spread_words(text.split(), a, b)) for a, b, text in spans
    )
    return Transcript("da", 60_000, segments)


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("tre og tredive halvfjerds tre og tredive syv og halvfjerds", ["33", "70", "33", "77"]),
        ("treogtredive halvfems", ["33", "90"]),
        ("ring på fire og fyrre tolv", ["44", "12"]),
    ],
)
def test_danish_number_words_become_digits(spoken, digits):
    assert [t for t in spoken_tokens([spoken]) if t.isdigit()] == digits


def test_a_phone_number_read_in_words_is_said_and_another_is_not():
    words = ["Ring", "på", "tre", "og", "tredive", "halvfjerds", "tre", "og", "tredive", "syv",
             "og", "halvfjerds."]  # fmt: skip
    assert said_share("Tlf. 33 70 33 77", words) == 1.0
    assert said_share("Tlf. 33 70 33 78", words) == 0.0


def test_ocr_mistakes_and_inflections_still_count_as_said():
    spoken = ["Kommunen", "åbner", "en", "ny", "selvbetjening", "til", "borgerne."]
    assert said_share("Ny selvbetjenlng for borgere", spoken) >= 0.7  # 'l' read for 'i'
    assert said_share("www.eksempel.dk/selvbetjening", spoken) < 0.7


def test_an_address_read_out_is_said():
    spoken = ["Gå", "ind", "på", "eksempel", "punktum", "dk", "skråstreg", "selvbetjening"]
    assert said_share("www.eksempel.dk/selvbetjening", spoken) == 1.0


@pytest.mark.parametrize(
    ("text", "top", "kind"),
    [
        ("Mette Hansen\nKommunikationschef, Eksempel Kommune", 0.78, "name"),
        ("www.borger.dk", 0.5, "url"),
        ("Skriv til info@eksempel.dk", 0.5, "email"),
        ("Ring 33 70 33 77", 0.8, "phone"),
        ("- Facebook\n- LinkedIn\n- Instagram", 0.3, "slide"),
        ("Lokaldemokrati på sociale medier", 0.45, "title"),
        ("Optaget i byrådssalen", 0.9, "other"),
    ],
)
def test_kinds(text, top, kind):
    assert kind_of(ScreenText(1000, 3000, text, top)) == kind


def test_only_what_is_not_said_around_its_time_is_flagged():
    transcript = talk((0, 4000, "Velkommen til mødet om selvbetjening"),
                      (30_000, 34_000, "Besøg www punktum borger punktum dk"))  # fmt: skip
    shown = [
        ScreenText(0, 3000, "Velkommen til mødet", 0.5),
        ScreenText(5000, 9000, "Mette Hansen\nBorgmester", 0.8),
        # Said, but half a minute later than shown: too far away to count.
        ScreenText(0, 2000, "borger.dk", 0.5),
    ]
    flags = unsaid(shown, transcript)
    assert [(f.kind, f.text) for f in flags] == [
        ("url", "borger.dk"),
        ("name", "Mette Hansen\nBorgmester"),
    ]
    assert suggested_description(flags[1]) == "Skærmtekst (navn og titel): Mette Hansen, Borgmester"


def test_merge_keeps_decisions_and_never_drops_a_decided_flag():
    a = Flag("s1", 0, 1000, "url", "a.dk", 0.0)
    b = Flag("s2", 2000, 3000, "name", "B B\nC", 0.0)
    before = [Decision(a, "describe", "Adressen a.dk", "Ole"), Decision(b)]
    after = merge([b], before)  # a is no longer found (the video was cut)
    assert [d.flag.id for d in after] == ["s2", "s1"]
    assert after[1].current is False and after[1].choice == "describe"
    assert undecided(after) == [after[0]]  # only current flags gate approval


def test_a_decision_needs_a_name_and_a_described_text():
    f = Flag("s1", 0, 1000, "url", "a.dk", 0.0)
    assert Decision(f, "said", editor="Ole").missing == ""
    assert Decision(f, "said").missing == "intet redaktørnavn"
    assert Decision(f, "describe", "", "Ole").missing == "ingen beskrivelse"
    with pytest.raises(ValueError):
        Decision(f, "maybe")


def test_descriptions_start_in_a_pause_near_their_text():
    transcript = talk((0, 8000, "en to tre fire fem seks syv otte"),
                      (9500, 15_000, "ni ti elleve tolv"))  # fmt: skip
    f = Flag("s1", 9600, 14_000, "name", "Mette Hansen\nChef", 0.0)
    [d] = descriptions([Decision(f, "describe", "Mette Hansen, chef", "Ole")], transcript)
    assert 7900 <= d.start_ms <= 8100  # in the pause before her super, not over her words
    assert d.end_ms - d.start_ms >= 2000
    # Undecided and "not needed" flags give no description.
    assert descriptions([Decision(f), Decision(f, "not needed", editor="Ole")], transcript) == []


def test_a_picture_that_stays_is_read_once_and_a_change_is_dated_from_when_it_happened():
    still = np.full((20, 72, 128), 40, np.uint8)
    still[10:, 50:60, 20:100] = 255  # a super appears at 5 s
    times = onscreen.reading_times(still, cuts=[])
    assert times == [(0, 0), (5000, 5000)]
    # Appearing right after a reading: dated from then, read at the steady interval.
    late = np.full((20, 72, 128), 40, np.uint8)
    late[1:, 50:60, 20:100] = 255
    assert onscreen.reading_times(late, cuts=[]) == [(0, 0), (500, 2000)]


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(str.strip)
_flags = st.builds(
    Flag,
    id=st.from_regex(r"s[0-9a-f]{8}", fullmatch=True),
    start_ms=st.integers(0, 10**7),
    end_ms=st.integers(0, 10**7),
    kind=st.sampled_from(KINDS),
    text=_text,
    said=st.floats(0, 1, allow_nan=False),
)
_decisions = st.builds(
    Decision,
    flag=_flags,
    choice=st.sampled_from(("", *CHOICES)),
    description=st.text(st.characters(blacklist_categories=("Cs",))),
    editor=st.text(st.characters(blacklist_categories=("Cs",))),
    decided_at=st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    current=st.booleans(),
)


@given(st.lists(_decisions, max_size=5))
def test_the_decision_file_round_trips(decisions):
    assert from_toml(to_toml(decisions)) == decisions


@given(_flags)
def test_flags_round_trip(flag):
    assert Flag.from_dict(flag.to_dict()) == flag


@given(st.integers(0, 10**7), st.integers(0, 10**6), _text, st.floats(0, 1), st.floats(0, 100))
def test_screen_texts_round_trip(start, length, text, top, confidence):
    item = ScreenText(start, start + length, text, top, confidence)
    assert ScreenText.from_dict(item.to_dict()) == item


@given(st.integers(0, 10**7), st.integers(1, 10**6), _text)
def test_descriptions_round_trip(start, length, text):
    item = Description(start, start + length, text)
    assert Description.from_dict(item.to_dict()) == item


def test_a_broken_decision_file_says_what_is_wrong():
    with pytest.raises(ValueError, match="not valid TOML"):
        from_toml("[[flag]\n")
    with pytest.raises(ValueError, match="not one of"):
        from_toml('[[flag]]\nid = "s1"\nstart_ms = 0\nend_ms = 1\nkind = "url"\ntext = "a.dk"\n'
                  'said = 0.0\ndecision = "måske"\n')  # fmt: skip
