"""One Danish sentence-end rule, its abbreviation list, and the phrases that stay whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videokit import align, pages
from videokit.phrases import bound
from videokit.sentences import (
    abbreviation,
    count_sentences,
    ends_sentence,
    split_sentences,
)
from videokit.transcript import Segment, Transcript, Word

# (word, next word, ends a sentence?): the cases the three old rules disagreed on, and more.
CASES = [
    ("kl.", "10", False),
    ("osv.", "Det", True),
    ("osv.", None, True),
    ("osv.", "og", False),
    ("f.eks.", "Det", False),
    ("f.eks.", None, False),
    ("bl.a.", "kommunerne", False),
    ("frk.", "Jensen", False),
    ("Chr.", "Hansen", False),
    ("hr.", "Boldt", False),
    ("kr.", "Det", True),
    ("kr.", "om", False),
    ("7.15.", "Det", True),
    ("7.15.", None, True),
    ("3.", "maj", False),
    ("2019.", "Ti", True),
    ("DR.", "Han", True),  # an acronym, not "dr."
    ("Dr.", "Hansen", False),
    ("A.P.", "Møller", False),
    ("H.", "C.", False),
    ("B.", None, True),
    ("godt.", None, True),
    ("godt.", "Det", True),
    ("godt?", "Ja", True),
    ("hvorfor?", "sagde", False),
    ("så…", "gik", False),
    ("så…", "Men", True),
    ("»nej.«", "Så", True),
    ("„ja.“", None, True),
    ("ja.)", "Og", True),
    ("dyrt,", "Det", False),
    ("uden", None, False),
]


@pytest.mark.parametrize(("word", "following", "expected"), CASES)
def test_sentence_ends(word: str, following: str | None, expected: bool) -> None:
    assert ends_sentence(word, following) is expected


SPOKEN = (
    "Vi mødes hos frk. Jensen kl. 10. Det koster 100 kr. Det er dyrt. Chr. Hansen kommer osv. Slut."
)
SENTENCES = [
    "Vi mødes hos frk. Jensen kl. 10.",
    "Det koster 100 kr.",
    "Det er dyrt.",
    "Chr. Hansen kommer osv.",
    "Slut.",
]


def test_alignment_cuts_segments_at_the_same_sentence_ends() -> None:
    (para,) = align.parse_review_text(SPOKEN)
    draft = Transcript("da", 60_000, ())
    times = [(1000 * k, 1000 * k + 500) for k in range(len(para.words))]
    aligned = align.aligned_transcript(draft, [para], times)
    assert [s.text.strip() for s in aligned.segments] == SENTENCES


def test_transcript_page_counts_the_same_sentences() -> None:
    words = tuple(Word(" " + w, 1000 * k, 1000 * k + 500) for k, w in enumerate(SPOKEN.split()))
    seg = Segment(0, words[-1].end_ms, " " + SPOKEN, words)
    paras = pages.paragraphs(Transcript("da", 60_000, (seg,)), sentences=3)
    # Three sentences to a paragraph: "frk. Jensen" and "Chr. Hansen" are no sentence ends.
    assert [p.text for p in paras] == [" ".join(SENTENCES[:3]), " ".join(SENTENCES[3:])]
    assert pages.count_sentences(SPOKEN) == len(SENTENCES)


def test_abbreviation_kinds_come_from_the_data_file() -> None:
    assert abbreviation("frk.") == "title"
    assert abbreviation("Kl.") == "title"
    assert abbreviation("f.eks.") == "inline"
    assert abbreviation("osv.") == "final"
    assert abbreviation("»kr.«") == "final"
    assert abbreviation("kr") is None  # no full stop, no abbreviation
    assert abbreviation("DR.") is None
    assert abbreviation("godt.") is None


def test_count_and_split() -> None:
    text = "Vi mødes kl. 7.15. Det koster 100 kr. Det er billigt, f.eks. Det Kongelige Teater."
    assert split_sentences(text) == (
        "Vi mødes kl. 7.15.",
        "Det koster 100 kr.",
        "Det er billigt, f.eks. Det Kongelige Teater.",
    )
    assert count_sentences(text) == 3
    assert split_sentences("frk. Jensen kommer, osv. og så") == ("frk. Jensen kommer, osv. og så",)
    assert count_sentences("frk. Jensen kommer") == 0


WORDS = ["kl.", "10", "osv.", "Det", "f.eks.", "frk.", "Jensen", "kr.", "7.15.", "godt.", "og",
         "Hvorfor?", "så…", "3.", "maj", "DR.", "held", "og", "lykke", "A.P.", "Møller", ""]  # fmt: skip


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from(WORDS), max_size=30))
def test_split_keeps_every_word_in_order(words: list[str]) -> None:
    text = " ".join(words)
    parts = split_sentences(text)
    assert " ".join(parts).split() == text.split()
    ended = count_sentences(text)
    # Every part but the last ends a sentence; the last one does exactly when the text does.
    assert len(parts) - ended in (0, 1)
    for part in parts[:-1]:
        assert count_sentences(part) >= 1


# --- phrases ---------------------------------------------------------------------------------------


def breaks(text: str) -> str:
    """The text with '|' where a break is allowed and '_' where it would cut a unit."""
    words = text.split()
    ends = [
        ends_sentence(w, words[k + 1] if k + 1 < len(words) else None) for k, w in enumerate(words)
    ]
    units = bound(words, ends)
    return " ".join(w + ("_" if u else "|") for w, u in zip(words, units, strict=True))


def test_fixed_expressions_are_whole() -> None:
    assert breaks("held og lykke med det") == "held_ og_ lykke| med| det|"
    assert breaks("Held og lykke!") == "Held_ og_ lykke!|"
    assert breaks("i forhold til borgerne") == "i_ forhold_ til| borgerne|"
    # A comma or a sentence end inside means it is not the expression.
    assert breaks("held, og lykke") == "held,| og| lykke|"
    assert breaks("5 mio. kr. om året") == "5_ mio._ kr.| om| året|"


def test_names_titles_and_numbers_are_whole() -> None:
    assert breaks("til frk. Jensen i dag") == "til| frk._ Jensen| i| dag|"
    assert breaks("med borgmester Anne Hansen om") == "med| borgmester_ Anne_ Hansen| om|"
    assert breaks("Chr. Hansen og A.P. Møller") == "Chr._ Hansen| og| A.P._ Møller|"
    assert breaks("kl. 10 eller klokken 11") == "kl._ 10| eller| klokken_ 11|"
    assert breaks("10 procent og den 3. maj") == "10_ procent| og| den| 3._ maj|"
    assert breaks("kl. 7.15. Det er") == "kl._ 7.15.| Det| er|"
    assert breaks("tænke Dem, Lauritz Jensen.") == "tænke| Dem,| Lauritz_ Jensen.|"
    assert breaks("10 og 20") == "10| og| 20|"


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from(WORDS), max_size=30))
def test_bound_never_holds_across_a_sentence_end(words: list[str]) -> None:
    words = [w for w in words if w]
    ends = [
        ends_sentence(w, words[k + 1] if k + 1 < len(words) else None) for k, w in enumerate(words)
    ]
    units = bound(words, ends)
    assert len(units) == len(words)
    assert not units[-1:] or units[-1] is False
    assert not any(u and e for u, e in zip(units, ends, strict=True))
