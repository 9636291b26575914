"""Dialogue as Danish subtitlers write it: a quick exchange is one cue with a dash per line."""

from __future__ import annotations

from test_craft import dialogue, speak
from videokit.norms import PROFILES, check_cues
from videokit.segment import build_cues
from videokit.transcript import Word


def lines(words: list[Word], speakers: list[str | None], profile: str = "web") -> list[tuple]:
    return [c.lines for c in build_cues(words, PROFILES[profile], speakers)]


def test_an_exchange_of_two_readable_turns_is_one_dash_cue_by_default():
    # Each turn alone lasts over 1.5 s: the old rule kept them apart.
    words, speakers = dialogue(
        ("Anne", "Hvor skal du hen i aften?"), ("Bo", "Jeg skal til møde på rådhuset.")
    )
    (cue,) = build_cues(words, speakers=speakers)
    assert cue.lines == ("-Hvor skal du hen i aften?", "-Jeg skal til møde på rådhuset.")
    assert cue.voices == ("Anne", "Bo")
    assert check_cues([cue]) == []


def test_the_second_turn_takes_its_whole_line_when_it_fits():
    words, speakers = dialogue(("Anne", "Her er vi."), ("Bo", "Hvem er det? Regitze!"))
    assert lines(words, speakers) == [("-Her er vi.", "-Hvem er det? Regitze!")]


def test_a_turn_going_on_after_the_exchange_starts_the_next_cue_with_its_first_words():
    words, speakers = dialogue(
        ("A", "Ja."), ("B", "Nej. Det mener jeg slet ikke, at vi skal gøre.")
    )
    out = lines(words, speakers)
    assert out[0] == ("-Ja.", "-Nej.")
    assert out[1][0].startswith("Det mener jeg"), "the rest of the turn is a cue of its own"
    assert len(out) == 2


def test_a_leftover_of_one_word_is_never_left_alone_after_an_exchange():
    words, speakers = dialogue(
        ("A", "Kommer I?"), ("B", "Ja, vi kommer om lidt, når vi har spist færdig. Okay?")
    )
    for cue_lines in lines(words, speakers):
        assert cue_lines != ("Okay?",)


def test_turns_too_fast_to_read_together_stay_apart_when_each_reads_alone():
    words = speak("Hvor skal du hen i aften med bilen?", ms_per_char=80) + speak(
        "Jeg skal til møde på rådhuset med de andre.", start=2900, ms_per_char=80
    )
    speakers = ["A"] * 8 + ["B"] * 9
    out = build_cues(words, PROFILES["danish-professional"], speakers)
    assert not any(c.voices for c in out)


def test_a_turn_longer_than_a_line_never_joins():
    words, speakers = dialogue(
        ("A", "Vi har brugt meget tid på at forklare de nye regler for borgerne."), ("B", "Ja.")
    )
    assert not any(c.voices for c in build_cues(words, speakers=speakers))


def test_a_long_pause_between_turns_keeps_them_apart():
    words, speakers = dialogue(("A", "Kommer du?"), ("B", "Ja, om lidt."), gap=1200)
    assert not any(c.voices for c in build_cues(words, speakers=speakers))


def test_the_profile_dash_and_speakers_per_line():
    words, speakers = dialogue(("Anne", "Her er vi."), ("Bo", "Hvem er det?"))
    (cue,) = build_cues(words, PROFILES["danish-professional"], speakers)
    assert cue.lines == ("- Her er vi.", "- Hvem er det?") and cue.voices == ("Anne", "Bo")
