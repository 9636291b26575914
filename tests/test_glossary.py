from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from videokit.glossary import apply_glossary
from videokit.transcript import Segment, Transcript, Word


def t(*tokens: str) -> Transcript:
    words = tuple(Word(" " + tok, i * 300, i * 300 + 250, 0.8) for i, tok in enumerate(tokens))
    return Transcript(
        "da", 10_000, (Segment(0, len(tokens) * 300, "".join(w.text for w in words), words),)
    )


def test_case_variants_take_the_glossary_spelling_and_keep_punctuation():
    out, fixes = apply_glossary(t("Spørg", "kl,", "og", "Kl."), ["KL"])
    assert [w.text for w in out.words] == [" Spørg", " KL,", " og", " KL."]
    assert [(f.before, f.after) for f in fixes] == [("kl,", "KL,"), ("Kl.", "KL.")]
    assert out.segments[0].text == " Spørg KL, og KL."


def test_split_term_is_joined_with_the_span_of_both_words():
    out, fixes = apply_glossary(t("på", "tik", "tok."), ["TikTok"])
    assert [(w.text, w.start_ms, w.end_ms) for w in out.words] == [
        (" på", 0, 250),
        (" TikTok.", 300, 850),
    ]
    assert fixes[0].before == "tik tok."


def test_multi_word_term_and_different_letters_left_alone():
    out, _ = apply_glossary(
        t("kommunernes", "landsforening", "mødes"), ["Kommunernes Landsforening", "byråd"]
    )
    assert out.segments[0].text == " Kommunernes Landsforening mødes"
    same, fixes = apply_glossary(t("byraad"), ["byråd"])
    assert same.words[0].text == " byraad" and fixes == []


@given(
    st.lists(
        st.sampled_from(["kl", "KL", "tik", "tok", "byråd", "og", "Tik", "tok,"]),
        min_size=1,
        max_size=12,
    )
)
def test_only_case_and_spacing_change(tokens):
    out, _ = apply_glossary(t(*tokens), ["KL", "TikTok"])
    fold = lambda s: s.casefold().replace(" ", "")  # noqa: E731
    assert fold(out.segments[0].text) == fold(t(*tokens).segments[0].text)
    assert all(a.start_ms <= b.start_ms for a, b in zip(out.words, out.words[1:]))
