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


_WORDS = st.sampled_from(["kl", "KL", "tik", "tok", "Tik", "TikTok", "og", "byrådet", "Aarhus,"])


@given(
    tokens=st.lists(_WORDS, min_size=1, max_size=12),
    terms=st.lists(st.sampled_from(["KL", "TikTok", "Byrådet", "Tik Tok", "KL og"]), max_size=4),
    noise=st.lists(
        st.text(alphabet="abcxyzæø ", min_size=1, max_size=8).map(str.strip).filter(bool),
        max_size=30,
    ),
)
def test_terms_that_cannot_match_are_skipped_without_changing_the_result(tokens, terms, noise):
    """The pre-filter that makes a 100,000-term glossary cheap changes no word and no fix."""
    from videokit.glossary import _apply_to_words

    transcript = t(*tokens)
    everything = [*noise, *terms]
    out, fixes = apply_glossary(transcript, everything)
    unfiltered: list = []
    words = _apply_to_words(transcript.segments[0].words, everything, unfiltered)
    assert [w.text for w in out.words] == [w.text for w in words]
    assert fixes == unfiltered


def test_a_glossary_too_long_for_the_prompt_keeps_its_first_terms_and_says_so():
    from videokit.workspace import PROMPT_MAX_CHARS, glossary_note, glossary_prompt, prompt_terms

    terms = [f"Term{n}" for n in range(100_000)]
    used, left = prompt_terms(terms)
    assert used == terms[: len(used)] and used + left == terms
    prompt = glossary_prompt(terms)
    assert prompt is not None and len(prompt) <= PROMPT_MAX_CHARS and prompt.startswith("Term0,")
    note = glossary_note(terms)
    assert note is not None and "100000 terms" in note and f"first {len(used)}" in note
    assert "Term99999" not in note and left[0] in note
    assert glossary_note(terms[:3]) is None
