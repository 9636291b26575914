"""Aligning editor-corrected text: parsing, rough times from the draft, windows, the new transcript."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videokit.align import align_text, aligned_transcript
from videokit.align_draft import anchor_to_draft
from videokit.align_pauses import snap_to_speech, speech_frames
from videokit.align_windows import Window, plan_windows
from videokit.asr import word_spans
from videokit.edits import TextParagraph, parse_review_text
from videokit.transcript import Segment, Transcript, Word


def _draft(words: list[tuple[str, int, int]], duration_ms: int = 20_000) -> Transcript:
    ws = tuple(Word(" " + t, s, e, 0.5) for t, s, e in words)
    seg = Segment(ws[0].start_ms, max(w.end_ms for w in ws), "".join(w.text for w in ws), ws)
    return Transcript("da", duration_ms, (seg,), model="base@test", options={"beam_size": None})


# --- parsing --------------------------------------------------------------------------------------


def test_parse_names_speakers_and_keeps_them_until_the_next_name():
    text = (
        "Mette Frederiksen: Godt, så går vi i gang.\nDet er sent.\n\n"
        "Vi fortsætter i morgen.\n\n"
        "Lars: Tak!   \r\n\r\n"
        "Hans van der Berg:\n\n"
        "Klokken 10:30 starter mødet."
    )
    paras = parse_review_text(text)
    assert paras == [
        TextParagraph(
            "Mette Frederiksen", ("Godt,", "så", "går", "vi", "i", "gang.", "Det", "er", "sent.")
        ),
        TextParagraph("Mette Frederiksen", ("Vi", "fortsætter", "i", "morgen.")),
        TextParagraph("Lars", ("Tak!",)),
        TextParagraph("Hans van der Berg", ("Klokken", "10:30", "starter", "mødet.")),
    ]


def test_parse_without_names_and_with_colons_inside_sentences():
    paras = parse_review_text("\n\nDet er sådan: vi stemmer nu.\n\n\n\nsvar: nej\n")
    assert [p.speaker for p in paras] == [None, None]
    assert paras[0].words == ("Det", "er", "sådan:", "vi", "stemmer", "nu.")
    assert parse_review_text("") == [] and parse_review_text(" \n\n ") == []


# --- rough times from the draft -------------------------------------------------------------------


def test_matched_words_take_the_draft_times_and_the_rest_are_spread():
    draft = [
        ("Byrådet", 1000, 1500),
        ("holder", 1500, 1800),
        ("mude", 1800, 2100),
        ("i", 2100, 2200),
        ("aften.", 2200, 2700),
    ]
    new = ["Byrådet", "holder", "møde", "i", "aften", "kl.", "19."]
    times = anchor_to_draft([Word(" " + t, s, e) for t, s, e in draft], new, duration_ms=5000)
    assert times[0] == (1000, 1500) and times[1] == (1500, 1800)
    assert 1800 <= times[2][0] <= times[2][1] <= 2200  # "møde" for "mude": between its neighbours
    assert times[4][0] >= 2100
    assert 2700 <= times[5][0] <= times[6][0] <= 5000  # after the draft: a speaking rate's worth


def test_a_lone_short_word_does_not_drag_the_text_onto_the_wrong_audio():
    # "til" occurs early in the draft by chance; the text's "til" is at the end.
    draft = [("til", 0, 300)] + [(f"ord{k}", 400 + k * 500, 800 + k * 500) for k in range(20)]
    new = [f"ny{k}" for k in range(20)] + ["til"]
    times = anchor_to_draft([Word(" " + t, s, e) for t, s, e in draft], new, duration_ms=12_000)
    assert times[10][0] > 3000  # spread over the whole draft, not squeezed before 300 ms


def test_no_draft_words_spreads_the_text_over_the_video():
    times = anchor_to_draft([], ["a", "bb", "ccc"], duration_ms=900)
    assert times[0][0] == 0 and times[-1][1] == 900
    assert anchor_to_draft([], [], duration_ms=900) == []


_words = st.text(alphabet="abcæøå.,", min_size=1, max_size=8)


@st.composite
def _drafts(draw: st.DrawFn) -> tuple[list[Word], int]:
    texts = draw(st.lists(_words, max_size=30))
    t, out = 0, []
    for text in texts:
        t += draw(st.integers(0, 800))
        length = draw(st.integers(0, 900))
        out.append(Word(" " + text, t, t + length))
        t += draw(st.integers(-length, 0)) + length  # words may overlap, never start earlier
    return out, t + draw(st.integers(0, 3000))


@given(_drafts(), st.lists(_words, max_size=40), st.booleans())
@settings(max_examples=300, deadline=None)
def test_rough_times_are_monotonic_inside_the_video_one_per_word(draft, new, reuse):
    words, duration = draft
    if reuse:  # mostly the draft's own words, as a corrected text is
        new = [w.text.strip() for w in words[::2]] + new[:5]
    times = anchor_to_draft(words, new, duration_ms=duration)
    assert len(times) == len(new)
    assert all(isinstance(s, int) and isinstance(e, int) for s, e in times)
    assert all(0 <= s <= e <= duration for s, e in times)
    assert all(a[0] <= b[0] for a, b in zip(times, times[1:]))


# --- windows --------------------------------------------------------------------------------------


@given(
    st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 2000), st.booleans()), max_size=200),
    st.integers(5_000, 30_000),
)
@settings(max_examples=200, deadline=None)
def test_windows_fit_whisper_and_cover_every_word_once(steps, max_window_ms):
    t, times, words = 0, [], []
    for gap, length, ends in steps:
        t += gap
        times.append((t, t + length))
        words.append("ord." if ends else "ord")
        t += length
    windows = plan_windows(times, words, max_window_ms=max_window_ms, duration_ms=t)
    covered = [k for w in windows for k in w.core]
    assert covered == list(range(len(words)))
    for w in windows:
        assert 0 <= w.start_ms <= w.end_ms <= t
        assert w.end_ms - w.start_ms <= max_window_ms
        assert w.words == tuple(words[w.first : w.first + len(w.words)])
        assert w.keep_from < w.keep_to


def test_windows_break_after_a_sentence_rather_than_inside_one():
    words, times = [], []
    for k in range(60):  # 60 words of 500 ms, a sentence every 7 words: 30 s in all
        words.append("slut." if k % 7 == 6 else "Ord")  # capitalised: the period ends a sentence
        times.append((k * 500, k * 500 + 450))
    windows = plan_windows(times, words, max_window_ms=20_000, margin_ms=1000)
    assert len(windows) >= 2
    for w in windows[:-1]:
        assert words[w.core[-1]] == "slut."
    # Context words run into the margins, so a window's first words absorb its leading audio.
    assert windows[1].keep_from > 0


# --- the new transcript ---------------------------------------------------------------------------


def test_aligned_transcript_has_a_segment_per_sentence_with_speakers_and_certainty():
    draft = _draft([("x", 0, 100)], duration_ms=10_000)
    paras = parse_review_text("Anna: Hej. Velkommen\ntil mødet.\n\nBo: Tak.")
    times = [(100, 300), (400, 900), (900, 1000), (1000, 1400), (2000, 2300)]
    t = aligned_transcript(draft, paras, times, alignment="whisper")
    assert [s.text for s in t.segments] == [" Hej.", " Velkommen til mødet.", " Tak."]
    assert [s.speaker for s in t.segments] == ["Anna", "Anna", "Bo"]
    assert [(s.start_ms, s.end_ms) for s in t.segments] == [(100, 300), (400, 1400), (2000, 2300)]
    assert all(w.probability == 1.0 for w in t.words)
    assert t.text == "Hej. Velkommen til mødet. Tak."
    assert (t.duration_ms, t.model, t.language) == (10_000, "base@test", "da")
    assert t.options == {"beam_size": None, "alignment": "whisper"}
    assert Transcript.from_json(t.to_json()) == t
    renamed = aligned_transcript(draft, paras, times, ["A", None])
    assert [s.speaker for s in renamed.segments] == ["A", "A", None]
    with pytest.raises(ValueError):
        aligned_transcript(draft, paras, times[:-1])


def test_align_text_without_audio_uses_the_draft():
    draft = _draft([("Hej", 500, 800), ("med", 800, 1000), ("dig", 1000, 1300)])
    t = align_text(draft, "Hej med dig.")
    assert [(w.text, w.start_ms) for w in t.words] == [
        (" Hej", 500),
        (" med", 800),
        (" dig.", 1000),
    ]
    assert t.options["alignment"] == "draft"


def test_align_text_keeps_rough_times_where_the_aligner_gives_up():
    words = [(f"ord{k}", 1000 + k * 600, 1500 + k * 600) for k in range(80)]  # 48 s of speech
    draft = _draft(words, duration_ms=52_000)
    text = " ".join(f"ord{k}." for k in range(80))
    seen: list[Window] = []

    def aligner(audio: np.ndarray, windows):
        seen.extend(windows)
        # The first window: every word 50 ms after its rough start; the others fail.
        return [
            [
                (w.start_ms + 2000 + 10 * k, w.start_ms + 2000 + 10 * k + 5)
                for k in range(len(w.words))
            ]
            if n == 0
            else None
            for n, w in enumerate(windows)
        ]

    audio = np.full(52 * 16_000, 0.1, dtype=np.float32)  # all "speech": nothing to snap
    t = align_text(draft, text, audio, aligner)
    assert len(seen) >= 2 and t.options["alignment"] == "mixed"
    assert t.options["aligned_windows"] == f"1/{len(seen)}"
    first_core = seen[0].core
    assert t.words[first_core[0]].start_ms == 2000 + 10 * seen[0].keep_from
    last = first_core[-1] + 1
    assert t.words[last].start_ms == 1000 + last * 600  # a failed window: the draft's time


# --- snapping to speech and whisper's words -------------------------------------------------------


def test_word_edges_in_silence_move_onto_the_speech():
    audio = np.zeros(16_000 * 3, dtype=np.float32)
    audio[16_000:32_000] = 0.3 * np.sin(np.arange(16_000) / 5)  # sound from 1.0 s to 2.0 s
    voiced = speech_frames(audio)
    assert snap_to_speech([(400, 1500), (1500, 2600), (2500, 2900), (900, 1200)], voiced) == [
        (1000, 1500),
        (1500, 2000),
        (2500, 2900),
        (1000, 1200),
    ]


def test_whisper_words_map_onto_ours_whatever_their_boundaries():
    words = ["Hej,", "verden!", "Så", "går", "vi-i-gang."]
    # whisper cut "Hej" from ",", and joined nothing; times in seconds from the window start.
    timings = [
        (" Hej", 0.0, 0.2),
        (",", 0.2, 0.3),
        (" verden", 0.3, 0.8),
        ("!", 0.8, 0.8),
        (" Så", 1.0, 1.2),
        (" går", 1.2, 1.5),
        (" vi-i-gang.", 1.5, 2.4),
    ]
    spans = word_spans(words, timings, 10_000, 12_000)
    assert spans == [
        (10_000, 10_300),
        (10_300, 10_800),
        (11_000, 11_200),
        (11_200, 11_500),
        (11_500, 12_000),
    ]


# --- the real model -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.model
def test_real_whisper_aligns_corrected_text_after_the_lead_in(whisper_base, tmp_path):
    from clips import SPEECH, speech_wav
    from videokit import media

    audio = media.load_audio(speech_wav(tmp_path / "clip.wav", lead_in_s=1.5))
    duration_ms = round(len(audio) / 16)
    # The worst draft: nothing recognised. The rough times are then the whole clip, and forced
    # alignment alone must find the speech.
    empty = Transcript("da", duration_ms, (), model=whisper_base.spec.cache_id)
    text = "Anders: " + SPEECH
    t = align_text(empty, text, audio, whisper_base.align)
    words = t.words
    assert t.options["alignment"] == "whisper"
    assert [w.text.strip() for w in words] == SPEECH.split()
    assert {s.speaker for s in t.segments} == {"Anders"}
    # espeak starts speaking at 1.5 s; the first word must not claim the silence before it.
    assert 1400 <= words[0].start_ms <= 1800
    assert all(a.start_ms <= b.start_ms for a, b in zip(words, words[1:]))
    assert all(0 <= w.start_ms <= w.end_ms <= duration_ms for w in words)
    assert words[-1].end_ms > duration_ms - 1500  # the text runs to the end of the speech


@pytest.mark.slow
@pytest.mark.model
def test_real_whisper_times_text_the_same_with_or_without_punctuation(whisper_base, tmp_path):
    from clips import speech_wav
    from videokit import media
    from videokit.segment import cues_from_transcript

    sentences = [
        "Byrådet holder møde i aften",
        "Alle borgere er velkomne til at stille spørgsmål",
        "Mødet begynder klokken syv på rådhuset",
    ]
    pause = np.zeros(16 * 900, dtype=np.float32)
    pieces, starts, cursor = [], [], 0
    for n, sentence in enumerate(sentences):
        spoken = media.load_audio(speech_wav(tmp_path / f"{n}.wav", sentence, lead_in_s=0.3))
        voiced = np.flatnonzero(speech_frames(spoken))
        starts.append(cursor + int(voiced[0]) * 10)  # where espeak's sound begins
        pieces += [spoken, pause]
        cursor += (len(spoken) + len(pause)) // 16
    audio = np.concatenate(pieces)
    # No draft at all: the audio's pauses are all the aligner has to go on.
    empty = Transcript("da", len(audio) // 16, (), model=whisper_base.spec.cache_id)
    plain = align_text(empty, " ".join(sentences), audio, whisper_base.align)
    marked = align_text(empty, ". ".join(sentences) + ".", audio, whisper_base.align)
    for t in (plain, marked):
        assert [s.text.strip().rstrip(".") for s in t.segments] == sentences
        firsts = [t.segments[k].words[0].start_ms for k in range(3)]
        assert all(abs(a - b) <= 100 for a, b in zip(firsts, starts, strict=True)), (firsts, starts)
    a = [c.start_ms for c in cues_from_transcript(plain)]
    b = [c.start_ms for c in cues_from_transcript(marked)]
    assert len(a) == len(b) and all(abs(x - y) <= 100 for x, y in zip(a, b, strict=True))


def test_every_manuscript_line_is_a_sentence_hint_punctuated_or_not():
    said = "Det er godt vi ses i morgen tak for i dag".split()
    draft = _draft([(w, 500 + 300 * k, 780 + 300 * k) for k, w in enumerate(said)])
    # No pause between the lines, and one line without its full stop: each line still starts
    # a sentence of its own.
    text = "Det er godt\nVi ses i morgen.\nTak for i dag"
    t = align_text(draft, text)
    assert [s.text.strip() for s in t.segments] == [
        "Det er godt",
        "Vi ses i morgen.",
        "Tak for i dag",
    ]
    # A line that goes on in lower case is the same sentence (a hard-wrapped paragraph).
    wrapped = align_text(draft, "Det er godt vi ses\ni morgen tak for i dag")
    assert len(wrapped.segments) == 1
