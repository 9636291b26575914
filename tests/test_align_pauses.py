"""Alignment that leans on the audio's pauses rather than the text's punctuation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videokit.align import align_text
from videokit.align_draft import anchor_to_draft
from videokit.align_pauses import pauses, speech_frames, speech_runs
from videokit.align_runs import assign_to_runs, text_breaks
from videokit.align_windows import Window
from videokit.samples import mix_bed
from videokit.segment import cues_from_transcript
from videokit.transcript import Segment, Transcript, Word

RATE = 16_000
SENTENCES = [
    "Byrådet holder møde i aften",
    "Alle borgere er velkomne til at stille spørgsmål",
    "Mødet begynder klokken syv på rådhuset",
]


def _speech(
    sentences: list[str], *, lead_ms: int = 600, pause_ms: int = 800
) -> tuple[np.ndarray, list[list[tuple[int, int]]]]:
    """Sine bursts for words (70 ms a letter, 60 ms between words), a pause between sentences.

    Returns the audio and each sentence's true word spans.
    """
    pieces = [np.zeros(lead_ms * RATE // 1000, np.float32)]
    cursor, truth = lead_ms, []
    for s_index, sentence in enumerate(sentences):
        if s_index:
            pieces.append(np.zeros(pause_ms * RATE // 1000, np.float32))
            cursor += pause_ms
        spans = []
        for w_index, word in enumerate(sentence.split()):
            if w_index:
                pieces.append(np.zeros(60 * RATE // 1000, np.float32))
                cursor += 60
            ms = 70 * len(word)
            t = np.arange(ms * RATE // 1000) / RATE
            pieces.append((0.3 * np.sin(2 * np.pi * (150 + 20 * w_index) * t)).astype(np.float32))
            spans.append((cursor, cursor + ms))
            cursor += ms
        truth.append(spans)
    pieces.append(np.zeros(RATE, np.float32))
    return np.concatenate(pieces), truth


def _naive_aligner(audio: np.ndarray, windows):
    """A poor forced aligner: spreads each window's words over all of its audio, pauses and all."""
    out = []
    for w in windows:
        weights = np.cumsum([0] + [len(x) + 1 for x in w.words])
        edges = w.start_ms + (w.end_ms - w.start_ms) * weights // weights[-1]
        out.append([(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    return out


def _sloppy_aligner(audio: np.ndarray, windows):
    """A forced aligner that hears speech but not pauses: words spread over the sound of the
    window, the first word stretched back to the window's start and the last to its end."""
    voiced = speech_frames(audio)
    out = []
    for w in windows:
        frames = np.flatnonzero(voiced[w.start_ms // 10 : w.end_ms // 10]) + w.start_ms // 10
        if len(frames) == 0:
            out.append(None)
            continue
        weights = np.cumsum([0] + [len(x) + 1 for x in w.words])
        at = frames[np.minimum(len(frames) - 1, (len(frames) * weights) // weights[-1])] * 10
        spans = [(int(a), int(b)) for a, b in zip(at[:-1], at[1:], strict=True)]
        spans[0] = (w.start_ms, spans[0][1])
        spans[-1] = (spans[-1][0], w.end_ms)
        out.append(spans)
    return out


def _draft(words: list[tuple[str, int, int]], duration_ms: int) -> Transcript:
    ws = tuple(Word(" " + t, s, e, 0.5) for t, s, e in words)
    if not ws:
        return Transcript("da", duration_ms, ())
    seg = Segment(ws[0].start_ms, max(w.end_ms for w in ws), "".join(w.text for w in ws), ws)
    return Transcript("da", duration_ms, (seg,))


def _rough_draft(
    truth: list[list[tuple[int, int]]], skip: set[int] = frozenset(), late_ms: int = 400
) -> list[tuple[str, int, int]]:
    """A recogniser's draft: every word ``late_ms`` late, sentences in ``skip`` missed."""
    out = []
    for s_index, (sentence, spans) in enumerate(zip(SENTENCES, truth, strict=True)):
        if s_index not in skip:
            out += [
                (w, a + late_ms, b + late_ms)
                for w, (a, b) in zip(sentence.split(), spans, strict=True)
            ]
    return out


# --- speech and pauses ----------------------------------------------------------------------------


def test_pauses_and_runs_of_speech_ignore_clicks():
    audio, truth = _speech(SENTENCES)
    click = 5000 * RATE // 1000
    audio[click : click + 160] = 0.5  # 10 ms inside the first pause... if it were one
    voiced = speech_frames(audio)
    found = pauses(voiced, min_ms=500)
    assert found[0] == (0, 600)
    ends = [spans[-1][1] for spans in truth]
    starts = [spans[0][0] for spans in truth]
    for end, start in zip(ends, starts[1:], strict=False):
        assert any(abs(a - end) <= 10 and abs(b - start) <= 10 for a, b in found)
    runs = speech_runs(voiced)
    assert [r[0] for r in runs][:1] == [600]
    assert all(b - a >= 60 for a, b in runs)


@pytest.mark.parametrize("bed", ["noise", "music"])
def test_pauses_are_found_under_a_bed_of_noise_or_music(bed):
    audio, truth = _speech(SENTENCES)
    mixed = mix_bed(audio, bed, lead_ms=2000)
    runs = speech_runs(speech_frames(mixed))
    starts = [spans[0][0] + 2000 for spans in truth]
    onsets = [a for a, _ in runs]
    for start in starts:
        assert min(abs(o - start) for o in onsets) <= 30, (start, onsets)
    assert onsets[0] >= 2000 - 30  # the bed alone is not speech


def test_mix_bed_is_deterministic_and_under_the_speech():
    audio, _ = _speech(SENTENCES[:1])
    a, b = mix_bed(audio, "noise", seed=3), mix_bed(audio, "noise", seed=3)
    assert np.array_equal(a, b) and len(a) == len(audio)
    bed = a[: 500 * RATE // 1000]  # the lead-in: bed only
    assert 0 < np.sqrt(np.mean(bed**2)) < 0.3 * 10 ** (-15 / 20)
    with pytest.raises(ValueError):
        mix_bed(audio, "applause")


def test_text_breaks_are_line_starts_after_speaker_names():
    text = "Anna: Hej med dig\nDet er fint\n\nBo: Tak for i dag\nog farvel"
    words = "Hej med dig Det er fint Tak for i dag og farvel".split()
    assert text_breaks(text, words) == {3, 6, 10}
    assert text_breaks("Et to tre", ["Et", "to", "tre"]) == set()


# --- rough times from the draft -------------------------------------------------------------------


def test_text_the_draft_missed_starts_at_the_speech_onset():
    audio, truth = _speech(SENTENCES)
    words = " ".join(SENTENCES).split()
    draft = _rough_draft(truth, skip={0}, late_ms=0)
    voiced = speech_frames(audio)
    duration = len(audio) * 1000 // RATE
    times = anchor_to_draft(
        _draft(draft, duration).words, words, duration_ms=duration, voiced=voiced
    )
    assert abs(times[0][0] - truth[0][0][0]) <= 20
    # Without the audio the first word is a speaking rate away from the first anchor.
    blind = anchor_to_draft(_draft(draft, duration).words, words, duration_ms=duration)
    assert abs(blind[0][0] - truth[0][0][0]) > abs(times[0][0] - truth[0][0][0])


def test_text_between_anchors_lands_on_speech_not_in_pauses():
    audio, truth = _speech(SENTENCES)
    words = " ".join(SENTENCES).split()
    draft = _rough_draft(truth, skip={1}, late_ms=0)
    duration = len(audio) * 1000 // RATE
    times = anchor_to_draft(
        _draft(draft, duration).words, words, duration_ms=duration, voiced=speech_frames(audio)
    )
    first_missed = len(SENTENCES[0].split())
    assert abs(times[first_missed][0] - truth[1][0][0]) <= 150


# --- words to runs --------------------------------------------------------------------------------


def test_a_word_stretched_over_a_pause_goes_back_to_its_run():
    words = ["en", "to", "tre", "fire", "fem", "seks"]
    runs = [(0, 900), (2000, 3000)]
    # "fire" starts the second sentence but the first pass stretched it over the pause, and
    # squeezed the first sentence forward.
    first_pass = [(0, 200), (200, 400), (400, 600), (600, 2400), (2400, 2700), (2700, 3000)]
    assert assign_to_runs(first_pass, words, runs, ms_per_char=70) == [0, 0, 0, 1, 1, 1]


def test_a_word_slid_across_a_long_pause_goes_where_the_text_and_the_runs_say():
    words = ["aaa", "bbb", "ccc", "Ddd", "eee"]
    runs = [(0, 1000), (4800, 5600)]
    # The first alignment squeezed "Ddd" onto the end of the first run, 3.8 s before its own.
    first_pass = [(0, 300), (300, 600), (600, 950), (950, 1000), (4800, 5600)]
    assert assign_to_runs(first_pass, words, runs, ms_per_char=70) == [0, 0, 0, 1, 1]


def test_a_line_break_at_a_pause_decides_a_close_call():
    words = ["aaa", "bbb", "ccc", "ddd"]
    runs = [(0, 1000), (1500, 2500)]
    first_pass = [(0, 500), (500, 1000), (1000, 1600), (1600, 2500)]  # "ccc" sits on the pause
    assert assign_to_runs(first_pass, words, runs, {2}, ms_per_char=100)[2] == 1
    assert assign_to_runs(first_pass, words, runs, {3}, ms_per_char=100)[2] == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 12), min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(50, 3000), st.integers(100, 1500)), min_size=1, max_size=12),
    st.integers(0, 5000),
)
def test_assignment_never_goes_backwards_and_covers_every_word(lengths, run_steps, shift):
    words = ["x" * n for n in lengths]
    runs, t = [], 0
    for length, gap in run_steps:
        runs.append((t, t + length))
        t += length + gap
    spread = np.linspace(0, t + shift, len(words) + 1).astype(int)
    first_pass = [(int(a), int(b)) for a, b in zip(spread[:-1], spread[1:], strict=True)]
    owner = assign_to_runs(first_pass, words, runs, ms_per_char=70)
    assert len(owner) == len(words)
    assert all(0 <= r < len(runs) for r in owner)
    assert owner == sorted(owner)


# --- all together ---------------------------------------------------------------------------------


def _align(text: str, skip: set[int] = frozenset(), bed: str | None = None):
    audio, truth = _speech(SENTENCES)
    lead = 0
    if bed:
        lead = 2000
        audio = mix_bed(audio, bed, lead_ms=lead)
    duration = len(audio) * 1000 // RATE
    draft = [(w, a + lead, b + lead) for w, a, b in _rough_draft(truth, skip)]
    starts = [spans[0][0] + lead for spans in truth]
    return align_text(_draft(draft, duration), text, audio, _sloppy_aligner), starts


def _sentence_firsts() -> list[int]:
    out, k = [], 0
    for s in SENTENCES:
        out.append(k)
        k += len(s.split())
    return out


@pytest.mark.parametrize(
    ("text", "skip", "bed"),
    [
        (" ".join(SENTENCES), set(), None),  # no punctuation, one block
        ("\n".join(SENTENCES), set(), None),  # a sentence per line
        (". ".join(SENTENCES) + ".", {0}, None),  # the draft missed the first sentence
        (" ".join(SENTENCES), {1}, "noise"),  # missed the middle one, under noise
        (" ".join(SENTENCES), set(), "music"),
    ],
)
def test_sentences_start_on_their_speech_without_punctuation(text, skip, bed):
    t, starts = _align(text, skip, bed)
    words = t.words
    for k, start in zip(_sentence_firsts(), starts, strict=True):
        # The fake aligner spreads words by length inside a run, so a run's first word can be a
        # little late; what matters is that no sentence starts in the wrong run.
        assert abs(words[k].start_ms - start) <= 80, (k, words[k].start_ms, start)
    assert all(w.end_ms - w.start_ms >= 50 for w in words)  # nothing squeezed
    # Each sentence its own segment: the pauses end the sentences the text does not mark.
    assert [s.text.strip().rstrip(".") for s in t.segments] == SENTENCES
    assert all(0.0 < w.probability <= 1.0 for w in words)


def test_punctuated_and_unpunctuated_text_give_the_same_cue_starts():
    plain, _ = _align(" ".join(SENTENCES))
    marked, _ = _align(". ".join(SENTENCES) + ".")
    a = [c.start_ms for c in cues_from_transcript(plain)]
    b = [c.start_ms for c in cues_from_transcript(marked)]
    assert len(a) == len(b)
    assert all(abs(x - y) <= 100 for x, y in zip(a, b, strict=True))


def test_a_window_the_aligner_cannot_do_keeps_its_words_in_their_runs():
    audio, truth = _speech(SENTENCES)
    duration = len(audio) * 1000 // RATE
    calls: list[list[Window]] = []

    def refuses_second_pass(audio: np.ndarray, windows):
        calls.append(list(windows))
        if len(calls) == 1:
            return _naive_aligner(audio, windows)
        return [None] * len(windows)

    t = align_text(
        _draft(_rough_draft(truth), duration), " ".join(SENTENCES), audio, refuses_second_pass
    )
    assert len(calls) == 3  # first pass, runs grouped, each troubled run alone
    for k, start in zip(_sentence_firsts(), [s[0][0] for s in truth], strict=True):
        assert abs(t.words[k].start_ms - start) <= 30
    # Words spread over their run by length, not aligned: the confidence says so.
    assert max(w.probability for w in t.words) < 1.0
