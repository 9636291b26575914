"""Condensing proposals: what a Danish subtitler may remove, and what must stay."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videokit.condense import (
    FALSE_START,
    FILLER,
    HESITATION,
    OG_SAA,
    REPEAT,
    TAG,
    TIERS,
    Proposal,
    apply,
    condense_cue,
    condense_words,
    proposals,
)
from videokit.norms import profile_norms
from videokit.transcript import Cue

ALL_RULES = [r for tier in TIERS for r in tier]

# (spoken, condensed, rules used): each removal keeps the meaning of what was said.
MAY_REMOVE = [
    ("Øh, det er rigtigt.", "Det er rigtigt.", {HESITATION}),
    ("Vi kom, øh, hjem.", "Vi kom hjem.", {HESITATION}),
    ("Ja, øh, det er rigtigt.", "Ja, det er rigtigt.", {HESITATION}),
    ("Det er hm svært.", "Det er svært.", {HESITATION}),
    ("det det er godt", "det er godt", {REPEAT}),
    ("Det er, det er svært.", "Det er svært.", {REPEAT}),
    ("kommu- kommunen har sagt ja.", "kommunen har sagt ja.", {FALSE_START}),
    ("vi har, vi havde en aftale.", "vi havde en aftale.", {FALSE_START}),
    ("Altså, det er for meget.", "Det er for meget.", {FILLER}),
    ("Det er for meget, altså.", "Det er for meget.", {FILLER}),
    ("Det er, altså, for meget.", "Det er for meget.", {FILLER}),
    ("Det er jo rigtigt.", "Det er rigtigt.", {FILLER}),
    ("Det er godt, ikke?", "Det er godt.", {TAG}),
    ("Det er godt, ikke også?", "Det er godt.", {TAG}),
    ("Han kom for sent, ikke sandt?", "Han kom for sent.", {TAG}),
    ("Og så gik vi hjem.", "Så gik vi hjem.", {OG_SAA}),
    ("Vi spiste, og så gik vi, og så sov vi.", "Vi spiste, og så gik vi, så sov vi.", {OG_SAA}),
    ("Øh, det er jo rigtigt, ikke?", "Det er rigtigt.", {HESITATION, FILLER, TAG}),
    ("Det koster jo 100 kr. Det er dyrt.", "Det koster 100 kr. Det er dyrt.", {FILLER}),
]

# Words that look like fillers but carry meaning: nothing may be removed.
MUST_KEEP = [
    "Det er ikke godt.",  # negation, not a tag
    "Ikke nu.",
    "Jo, det gør jeg.",  # "jo" as an answer
    "Det er jo.",  # "jo" ends the clause: an answer, not a modal particle
    "jo før jo bedre.",  # correlative "jo … jo"
    "Jo mere, jo bedre.",
    "Han kom altså ikke.",  # "altså" as "so": a conclusion
    "Jeg tror, jeg går hjem.",  # two clauses, not a restart
    "Vi gik ud og så en film.",  # "så" is the verb "saw"
    "Vi kom hjem og så gik vi i seng.",  # one "og så" is no chain
    "Ja ja, det ved jeg.",  # doubled on purpose
    "Nå nå.",
    "Hej hej.",
    "Det er meget vigtigt.",
]


@pytest.mark.parametrize(("spoken", "condensed", "rules"), MAY_REMOVE)
def test_each_rule_removes_what_subtitlers_remove(spoken, condensed, rules):
    kept, cuts = condense_words(spoken.split(), ALL_RULES)
    assert " ".join(kept) == condensed
    assert {c.rule for c in cuts} == rules


@pytest.mark.parametrize("spoken", MUST_KEEP)
def test_words_that_carry_meaning_are_never_removed(spoken):
    kept, cuts = condense_words(spoken.split(), ALL_RULES)
    assert " ".join(kept) == spoken
    assert cuts == []


def test_a_rule_only_acts_when_asked():
    kept, cuts = condense_words("Øh, det er jo rigtigt.".split(), [HESITATION])
    assert " ".join(kept) == "Det er jo rigtigt."
    assert [c.rule for c in cuts] == [HESITATION]


def test_a_line_is_never_condensed_to_nothing():
    kept, cuts = condense_words(["øh"], ALL_RULES)
    assert kept == ["øh"] and cuts == []


def test_tiers_stop_once_the_cue_is_readable():
    # 26 characters in 1.4 s (18.6 cps); without the hesitation 22 (15.7 cps), so "jo" stays.
    cue = Cue(0, 1400, ("Øh, det er jo rigtigt nok.",))
    lines, cuts = condense_cue(cue, profile_norms("web"))
    assert lines == ("Det er jo rigtigt nok.",)
    assert [c.rule for c in cuts] == [HESITATION]


def test_dialogue_lines_keep_their_dash_and_speaker():
    norms = profile_norms("danish-professional")
    cue = Cue(0, 1000, ("- Øh, kommer du?", "- Ja, altså, om lidt."), voices=("Anne", "Bo"))
    (p,) = proposals([cue], norms)
    assert p.after == ("- Kommer du?", "- Ja, om lidt.")
    (applied,), stale = apply([cue], [p])
    assert applied.voices == ("Anne", "Bo") and applied.lines == p.after and not stale


def test_only_cues_over_the_reading_speed_get_proposals():
    slow = Cue(0, 5000, ("Øh, det er rigtigt.",))
    fast = Cue(6000, 6900, ("Øh, det er rigtigt.",))
    (p,) = proposals([slow, fast])
    assert p.cue == 1 and p.cps_after < p.cps_before


def test_a_proposal_for_a_changed_cue_is_not_applied():
    cue = Cue(0, 900, ("Øh, det er rigtigt.",))
    (p,) = proposals([cue])
    edited = Cue(0, 900, ("Det er helt rigtigt.",))
    out, stale = apply([edited], [p])
    assert out == [edited] and stale == [p]


words = st.sampled_from(["øh", "det", "er", "jo", "godt,", "ikke?", "og", "så", "Altså,", "vi"])


@given(st.lists(words, min_size=1, max_size=12))
def test_condensing_only_removes_words(spoken):
    kept, cuts = condense_words(spoken, ALL_RULES)
    assert len(kept) + sum(len(c.text.split()) for c in cuts) == len(spoken)
    assert kept


@given(
    st.integers(0, 10_000),
    st.integers(1, 5000),
    st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=2),
)
def test_proposal_json_round_trip(start, length, lines):
    cue = Cue(start, start + length, tuple(lines))
    p = Proposal(3, cue.start_ms, cue.end_ms, cue.lines, cue.lines[:1], ())
    assert Proposal.from_dict(p.to_dict()) == p
