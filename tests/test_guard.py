"""The hallucination and loop guard."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from videokit.guard import Energy, GuardSettings, find_loops, guard_transcript
from videokit.speech import GUARD
from videokit.transcript import Segment, Transcript, Word


def seg(text: str, start: int, *, ms: int = 300, **kw: float) -> Segment:
    words = []
    t = start
    for w in text.split():
        words.append(Word(" " + w, t, t + ms, 0.9))
        t += ms + 20
    return Segment(start, max(t, start + 1), " " + text, tuple(words), **kw)  # type: ignore[arg-type]


def transcript(*segments: Segment) -> Transcript:
    return Transcript("da", 120_000, tuple(segments))


SPEECH = seg("Som lokalpolitiker skal du tænke over, hvad du deler.", 0)


def test_normal_speech_untouched() -> None:
    t = transcript(SPEECH, seg("Det er vigtigt, og det er ikke svært.", 5000))
    cleaned, removals = guard_transcript(t)
    assert cleaned == t
    assert removals == []


def test_credit_on_silence_removed_and_reported() -> None:
    credit = seg("Undertekster af Nicolai Winther", 60_000, no_speech_prob=0.2)
    t = transcript(SPEECH, credit)
    cleaned, removals = guard_transcript(t)
    assert cleaned.segments == (SPEECH,)
    assert [(r.reason, r.text, r.start_ms) for r in removals] == [
        ("credit", "Undertekster af Nicolai Winther", 60_000)
    ]


def test_all_credit_forms() -> None:
    lines = [
        "Tekster: Karin Jensen",
        "Danske tekster af Team DR",
        "Tekstning: Dansk Video Tekst",
        "www.undertekster.dk",
        "Tak fordi du så med.",
    ]
    t = transcript(SPEECH, *(seg(line, 10_000 * (k + 1)) for k, line in enumerate(lines)))
    cleaned, removals = guard_transcript(t)
    assert cleaned.segments == (SPEECH,)
    assert [r.reason for r in removals] == ["credit"] * len(lines)
    assert [r.text for r in removals] == lines


def test_thanks_kept_when_audio_shows_speech() -> None:
    thanks = seg("Tak fordi du så med.", 1000)
    loud = Energy(window_ms=100, dbfs=(-12.0,) * 100)
    cleaned, removals = guard_transcript(transcript(thanks), loud)
    assert cleaned.segments == (thanks,) and removals == []
    quiet = Energy(window_ms=100, dbfs=(-70.0,) * 100)
    cleaned, removals = guard_transcript(transcript(thanks), quiet)
    assert cleaned.segments == () and [r.reason for r in removals] == ["credit"]


def test_loop_collapsed_to_one() -> None:
    looped = seg("det er mændig mændig mændig mændig i dag", 0)
    cleaned, removals = guard_transcript(transcript(looped))
    assert cleaned.text == "det er mændig i dag"
    (r,) = removals
    assert (r.reason, r.text) == ("loop", "mændig mændig mændig")
    assert r.start_ms == looped.words[3].start_ms and r.end_ms == looped.words[5].end_ms


def test_phrase_loop_across_segments() -> None:
    segs = [seg("tak for i dag.", 1000 * k) for k in range(0, 20, 5)]
    cleaned, removals = guard_transcript(transcript(SPEECH, *segs))
    assert cleaned.segments == (SPEECH, segs[0])
    assert [r.reason for r in removals] == ["loop"]
    assert removals[0].text == "tak for i dag. tak for i dag. tak for i dag."


def test_two_repeats_are_speech() -> None:
    t = transcript(seg("nej nej, det er det er ikke", 0))
    assert guard_transcript(t) == (t, [])


def test_loop_in_segment_without_word_times() -> None:
    bare = Segment(0, 4000, " ja ja ja ja ja det er rigtigt")
    cleaned, removals = guard_transcript(transcript(bare))
    assert cleaned.text == "ja det er rigtigt"
    assert [(r.reason, r.text) for r in removals] == [("loop", "ja ja ja ja")]


def test_repeated_wordless_segments() -> None:
    segs = [Segment(k * 1000, k * 1000 + 900, " Det er godt.") for k in range(4)]
    cleaned, removals = guard_transcript(transcript(*segs))
    assert cleaned.segments == (segs[0],)
    assert len(removals) == 3 and {r.reason for r in removals} == {"loop"}


def test_high_no_speech_and_low_logprob_removed() -> None:
    doubtful = seg("og så", 30_000, no_speech_prob=0.9, avg_logprob=-1.4)
    confident_enough = seg("og så", 40_000, no_speech_prob=0.9, avg_logprob=-0.3)
    cleaned, removals = guard_transcript(transcript(SPEECH, doubtful, confident_enough))
    assert cleaned.segments == (SPEECH, confident_enough)
    assert [(r.reason, r.start_ms) for r in removals] == [("no_speech", 30_000)]


def test_words_over_silence_removed() -> None:
    s = seg("hej med dig", 0, ms=400)  # words at 0, 420, 840
    dbfs = [-20.0] * 4 + [-80.0] * 16  # quiet from 400 ms
    cleaned, removals = guard_transcript(transcript(s), Energy(100, tuple(dbfs)))
    # "med" lies mostly over silence but within the margin of speech: word times drift, so it stays.
    assert cleaned.text == "hej med"
    assert [(r.reason, r.text, r.start_ms) for r in removals] == [("no_speech", "dig", 840)]
    assert cleaned.segments[0].words == s.words[:2]


def test_a_video_recorded_too_quietly_keeps_its_draft() -> None:
    """Speech peaking at -48 dBFS passes the silent-track check (-50): the guard must not then
    remove every word as lying over silence; text over the quiet room between is still removed."""
    s = seg("hej med dig", 0, ms=400)
    cleaned, removals = guard_transcript(
        transcript(s), Energy(100, tuple([-48.0] * 12 + [-85.0] * 8), GUARD)
    )
    assert cleaned.text == "hej med dig" and removals == []
    late = seg("og det var det hele", 2000)
    cleaned, removals = guard_transcript(
        transcript(s, late), Energy(100, tuple([-48.0] * 12 + [-85.0] * 40), GUARD)
    )
    assert cleaned.text == "hej med dig" and [r.reason for r in removals] == ["no_speech"]


def test_word_margin_is_a_setting() -> None:
    s = seg("hej med dig", 0, ms=400)
    dbfs = (-20.0,) * 4 + (-80.0,) * 16
    strict = GuardSettings(energy_margin_ms=0)
    cleaned, _ = guard_transcript(transcript(s), Energy(100, dbfs), strict)
    assert cleaned.text == "hej"


def test_settings_are_honoured() -> None:
    t = transcript(seg("nej nej nej nej", 0))
    assert guard_transcript(t, settings=GuardSettings(loop_min_repeats=5))[1] == []
    assert len(guard_transcript(t)[1]) == 1
    three = transcript(seg("nej nej nej", 0))
    assert guard_transcript(three)[1] == []
    assert len(guard_transcript(three, settings=GuardSettings(human_max_repeats=2))[1]) == 1


def test_find_loops_repeats_until_clean() -> None:
    assert find_loops(list("ababab")) == [2, 3, 4, 5]
    assert find_loops(list("abababbb")) == [2, 3, 4, 5, 6, 7]  # the cut leaves "abbb" behind
    assert find_loops(list("aab")) == []


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=40))
def test_find_loops_properties(keys: list[str]) -> None:
    dropped = find_loops(keys)
    assert dropped == sorted(set(dropped))
    kept = [k for x, k in enumerate(keys) if x not in set(dropped)]
    # Each dropped item repeats something said just before it (in the original order).
    for x in dropped:
        assert keys[x] in keys[:x]
    # Nothing repeated three times in a row survives, of any n-gram size up to the limit.
    for size in range(1, 9):
        for x in range(len(kept) - 3 * size + 1):
            gram = kept[x : x + size]
            assert not (kept[x + size : x + 2 * size] == gram == kept[x + 2 * size : x + 3 * size])
    # Cleaning twice changes nothing.
    assert find_loops(kept) == []


@settings(deadline=None, max_examples=100)
@given(st.lists(st.sampled_from(["ja", "nej", "det", "er"]), min_size=1, max_size=30))
def test_guard_never_loses_text(tokens: list[str]) -> None:
    s = seg(" ".join(tokens), 0)
    cleaned, removals = guard_transcript(transcript(s))
    kept = [w for w in cleaned.words]
    gone = sum(len(r.text.split()) for r in removals)
    assert len(kept) + gone == len(tokens)


# --- short human repetitions ---------------------------------------------------------------------


def test_short_human_repetition_is_kept() -> None:
    cheer = seg("Hurra, hurra, hurra!", 0)
    loud = Energy(window_ms=100, dbfs=(-12.0,) * 50)
    assert guard_transcript(transcript(cheer), loud) == (transcript(cheer), [])
    assert guard_transcript(transcript(cheer)) == (transcript(cheer), [])


def test_short_repetition_over_silence_is_a_loop() -> None:
    cheer = seg("Hurra, hurra, hurra!", 0, ms=400)  # words at 0, 420, 840
    # Speech under the first word only; the repeats lie over silence (beyond the word margin,
    # which keeps them from being taken one by one as no_speech).
    dbfs = (-12.0,) * 4 + (-80.0,) * 46
    settings = GuardSettings(energy_margin_ms=1000)
    cleaned, removals = guard_transcript(transcript(cheer), Energy(100, dbfs), settings)
    assert cleaned.text == "Hurra,"
    assert [(r.reason, r.text) for r in removals] == [("loop", "hurra, hurra!")]


def test_short_repetition_with_low_confidence_is_a_loop() -> None:
    doubted = seg("ja ja ja det er godt", 0)
    words = tuple(
        Word(w.text, w.start_ms, w.end_ms, 0.2 if k in (1, 2) else 0.9)
        for k, w in enumerate(doubted.words)
    )
    t = transcript(Segment(doubted.start_ms, doubted.end_ms, doubted.text, words))
    cleaned, removals = guard_transcript(t)
    assert cleaned.text == "ja det er godt"
    assert [r.reason for r in removals] == ["loop"]
    low_logprob = seg("ja ja ja det er godt", 0, avg_logprob=-1.5)
    cleaned, removals = guard_transcript(transcript(low_logprob))
    assert cleaned.text == "ja det er godt"


def test_many_repetitions_are_a_loop_however_confident() -> None:
    cheer = seg("hurra hurra hurra hurra", 0)
    loud = Energy(window_ms=100, dbfs=(-12.0,) * 50)
    cleaned, removals = guard_transcript(transcript(cheer), loud)
    assert cleaned.text == "hurra"
    assert [(r.reason, r.text) for r in removals] == [("loop", "hurra hurra hurra")]


def test_wordless_short_repetition_kept_unless_doubted() -> None:
    bare = Segment(0, 3000, " ja ja ja det er rigtigt")
    assert guard_transcript(transcript(bare))[1] == []
    doubted = Segment(0, 3000, " ja ja ja det er rigtigt", avg_logprob=-1.3)
    cleaned, _ = guard_transcript(transcript(doubted))
    assert cleaned.text == "ja det er rigtigt"


@settings(deadline=None, max_examples=150)
@given(
    st.lists(
        st.tuples(st.sampled_from(["ja", "nej", "hurra", "det"]), st.sampled_from([0.2, 0.9])),
        min_size=1,
        max_size=30,
    )
)
def test_guard_keeps_order_and_only_trusted_short_runs(said: list[tuple[str, float]]) -> None:
    words = tuple(Word(" " + w, 300 * k, 300 * k + 250, p) for k, (w, p) in enumerate(said))
    t = transcript(Segment(0, 300 * len(said), "".join(w.text for w in words), words))
    cleaned, removals = guard_transcript(t)
    kept = list(cleaned.words)
    # Nothing reordered or changed: what stays is a subsequence of what was said.
    it = iter(words)
    assert all(any(w == x for x in it) for w in kept)
    assert len(kept) + sum(len(r.text.split()) for r in removals) == len(words)
    # No run of four or more survives; a surviving run of three is trusted.
    keys = [w.text.strip() for w in kept]
    assert find_loops(keys, min_repeats=4) == []
    for x in range(len(kept) - 2):
        if keys[x] == keys[x + 1] == keys[x + 2]:
            assert (kept[x + 1].probability + kept[x + 2].probability) / 2 >= 0.5
