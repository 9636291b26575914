"""Phrase rules: no cue or line break inside a particle verb, adjective + noun, genitive + noun
or a name; sentence ends after numbers and abbreviations read from the capital and the pause."""

from __future__ import annotations

import pytest

from test_craft import speak
from videokit.norms import CaptionNorms
from videokit.phrases import bound
from videokit.segment import build_cues
from videokit.sentences import ends_at_pause

# (text, the pair that must stay together, a pair that may be split)
UNITS = [
    ("da fandt fruen ud af det hele", ("ud", "af"), ("fruen", "ud")),
    ("vi skal ind i salen nu", ("ind", "i"), ("i", "salen")),
    ("han er en konservativ kandidat i år", ("konservativ", "kandidat"), ("kandidat", "i")),
    ("vi tager offentlig transport hjem", ("offentlig", "transport"), None),
    ("det er et politisk spørgsmål", ("politisk", "spørgsmål"), None),
    ("kommunens budget er stort", ("kommunens", "budget"), ("budget", "er")),
    ("vi læser borgernes svar nu", ("borgernes", "svar"), None),
    ("det er Danmarks største by", ("Danmarks", "største"), None),
    ("det er Danmarks største by", ("største", "by"), None),
    ("vi mødte Lauritz Jensen i går", ("Lauritz", "Jensen"), ("Jensen", "i")),
]

# Pairs that look like a unit but are not: a break there stays allowed.
FREE = [
    ("jeg gav mig tid", ("mig", "tid")),
    ("Hvis du kommer", ("Hvis", "du")),
    ("mens du venter", ("mens", "du")),
    ("det er vigtigt at vi kommer", ("vigtigt", "at")),
    ("huset er stort og flot", ("stort", "og")),
    ("han gik ud, af sted", ("ud,", "af")),
]


def _bound_pair(text: str, pair: tuple[str, str]) -> bool:
    words = text.split()
    k = next(k for k in range(len(words) - 1) if (words[k], words[k + 1]) == pair)
    return bound(words, [False] * len(words))[k]


@pytest.mark.parametrize(("text", "unit", "free"), UNITS)
def test_each_phrase_rule_binds_its_unit(text, unit, free):
    assert _bound_pair(text, unit)
    if free:
        assert not _bound_pair(text, free)


@pytest.mark.parametrize(("text", "pair"), FREE)
def test_look_alikes_stay_free(text, pair):
    assert not _bound_pair(text, pair)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("Til sidst fandt fruen ud af, hvem der havde taget den.", "ud af"),
        ("Partiet har valgt en konservativ kandidat til valget i år.", "konservativ kandidat"),
        ("Vi har læst kommunens budget for det kommende år grundigt.", "kommunens budget"),
    ],
)
def test_the_engine_never_splits_them_across_lines_or_cues(text, unit):
    words = speak(text, ms_per_char=60)
    for width in range(20, 43):
        cues = build_cues(words, CaptionNorms(max_line_chars=width))
        assert any(unit in line for c in cues for line in c.lines), (width, cues)


@pytest.mark.parametrize(
    ("word", "following", "ends"),
    [
        ("7.15", "Det", True),
        ("7.15.", "Det", True),
        ("kr", "Det", True),
        ("kr.", "Det", True),
        ("7.15", "i", False),  # "kl. 7.15 i morgen"
        ("kr", "om", False),
        ("klokken", "Det", False),
        ("kl.", "Det", False),  # a title abbreviation is never an end
    ],
)
def test_a_number_or_final_abbreviation_before_a_capital_may_end_a_sentence(word, following, ends):
    assert ends_at_pause(word, following) is ends


def test_the_pause_after_7_15_and_kr_ends_the_sentence_in_the_captions():
    first = speak("Toget kører kl. 7.15", ms_per_char=60)
    rest = speak("Det er tidligt for de fleste af os her.", start=first[-1].end_ms + 400)
    lines = [line for c in build_cues(first + rest) for line in c.lines]
    assert "Toget kører kl. 7.15" in lines, lines
    # Without the pause, "7.15 Det" may be a time before a name: no sentence end is assumed.
    close = speak("Det er tidligt for de fleste af os her.", start=first[-1].end_ms + 30)
    lines = [line for c in build_cues(first + close) for line in c.lines]
    assert "Toget kører kl. 7.15" not in lines
    first = speak("Billetten koster 100 kr", ms_per_char=60)
    rest = speak("Det er dyrt for en studerende.", start=first[-1].end_ms + 400)
    cues = build_cues(first + rest)
    assert any(line.endswith("100 kr") for c in cues for line in c.lines)


def test_7_15_and_kr_with_their_full_stop_end_before_a_capital():
    text = "Vi mødes i morgen kl. 7.15. Det er tidligt. Det koster 100 kr. Det er dyrt."
    cues = build_cues(speak(text, ms_per_char=60), CaptionNorms(max_line_chars=28))
    ends = {line.split()[-1] for c in cues for line in c.lines}
    assert "7.15." in ends and "kr." in ends


def test_a_short_sentence_opens_the_next_cue_rather_than_closing_the_previous():
    for text, short, after in [
        (
            "Han bor nede ved havnen, ham der med den store hund. Gamle Hansen. "
            "Ham har jeg kendt i rigtig mange år nu.",
            "Gamle Hansen.",
            "Ham",
        ),
        (
            "Vi skal bruge spande, klude og børster. Tre hold sæbevand! "
            "Ellers bliver vinduerne aldrig rene igen.",
            "Tre hold sæbevand!",
            "Ellers",
        ),
    ]:
        cues = build_cues(speak(text, ms_per_char=62))
        (home,) = [c for c in cues if short in " ".join(c.lines)]
        assert " ".join(home.lines).startswith(short), cues
        assert after in " ".join(home.lines)


def test_two_sentences_under_two_seconds_share_a_cue_where_it_fits():
    cues = build_cues(speak("Det er godt. Tak for i dag.", ms_per_char=70))
    assert [c.lines for c in cues] == [("Det er godt. Tak for i dag.",)]
