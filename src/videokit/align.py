"""Editor-corrected text, timed against the audio. Pure logic: no whisper, no files.

Editors correct the transcript as plain text (the view :func:`videokit.edits.review_text` writes),
or a manuscript gives the exact text. Its words must get times again, in six steps, each in its
own module:

1. :func:`~videokit.edits.parse_review_text` reads paragraphs and ``Navn:`` speaker prefixes.
2. :func:`~videokit.align_draft.anchor_to_draft` gives every new word a rough time from the
   machine draft: words that match a draft word take its time, the rest are spread over the
   speech between them by length (text the draft missed is laid on the speech that is there, from
   its onset). Without audio this is also the fallback.
3. :func:`~videokit.align_windows.plan_windows` cuts the rough timeline into audio windows of at
   most 30 s (Whisper's context), each with a few context words at its edges whose times are
   thrown away: forced alignment gives the first and last words of a window whatever audio lies
   at its edge.
4. An :data:`~videokit.align_windows.Aligner` forces the text onto each window's audio;
   ``WhisperASR.align`` is one. It is passed in rather than imported, so that the alignment stays
   free of torch and only the recogniser's modules import whisper. A window it cannot align keeps
   the rough times.
5. The audio's pauses, not the text's punctuation, then fix what a window got wrong: a first
   alignment slides sentences across silences when the text has no full stops to hold on to.
   :func:`~videokit.align_pauses.speech_runs` cuts the audio at its pauses (what is speech:
   :data:`videokit.speech.ALIGNMENT`), :func:`~videokit.align_runs.assign_to_runs` gives every
   word the run it was spoken in, and :func:`~videokit.align_runs.realign_on_runs` aligns again in
   windows whose edges lie in pauses, so no word spans one.
   :func:`~videokit.align_pauses.snap_to_speech` moves word edges in silence onto speech.
6. :func:`aligned_transcript` (here) builds the new :class:`~videokit.transcript.Transcript`: one
   segment per sentence, where text without punctuation gets its sentence ends from the pauses
   (:func:`sentence_starts`), and each word's probability is the alignment's confidence in it.

:func:`align_text` runs them all.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from .align_draft import anchor_to_draft, monotonic, voiced_rate
from .align_pauses import snap_to_speech, speech_frames, speech_runs
from .align_runs import (
    SENTENCE_PAUSE_MS,
    assign_to_runs,
    realign_on_runs,
    text_breaks,
    word_confidence,
)
from .align_windows import MAX_WINDOW_MS, Aligner, Span, plan_windows
from .edits import TextParagraph, parse_review_text
from .sentences import OPENERS, ends_sentence
from .transcript import Segment, Transcript, Word

# Part of every cached alignment's key: raise it whenever a change in the alignment's modules
# (align*, and videokit.speech's ALIGNMENT) moves any word time.
ALIGN_VERSION = 4  # 4: a manuscript's lines are sentence hints


def sentence_starts(
    paragraphs: Sequence[TextParagraph], times: Sequence[Span], breaks: Collection[int]
) -> set[int]:
    """Words that start a sentence the text does not mark: a new line of a manuscript that starts
    with a capital or at a pause, punctuated or not (each line is a sentence hint; the text view
    writes a paragraph on one line, so only an editor's own line breaks count); and, in a
    paragraph without sentence punctuation (a transcript typed without it), a long pause."""
    out: set[int] = set()
    k = 0
    for para in paragraphs:
        punctuated = any(ends_sentence(w, para.words[i + 1]) for i, w in enumerate(para.words[:-1]))
        for i in range(1, len(para.words)):
            gap = times[k + i][0] - times[k + i - 1][1]
            line = (k + i) in breaks
            capital = para.words[i].lstrip(OPENERS)[:1].isupper()
            if (line and (capital or gap >= SENTENCE_PAUSE_MS // 4)) or (
                not punctuated and gap >= SENTENCE_PAUSE_MS
            ):
                out.add(k + i)
        k += len(para.words)
    return out


def aligned_transcript(
    draft: Transcript,
    paragraphs: Sequence[TextParagraph],
    word_times: Sequence[Span],
    speakers: Sequence[str | None] | None = None,
    *,
    alignment: str = "draft",
    confidence: Sequence[float] | None = None,
    sentence_starts: Collection[int] = (),
) -> Transcript:
    """The corrected transcript: one segment per sentence, with its paragraph's speaker.

    ``speakers``, when given, has one entry per paragraph and overrides the paragraphs' own names
    (for a caller that knows better, such as a diarisation step). A person wrote every word, so a
    word's probability is the confidence in its *time*: ``confidence`` (one per word), or 1.0.
    Sentences end at sentence punctuation and before the words in ``sentence_starts`` (indices
    into all words: sentences the text does not mark, found from pauses). The draft's language,
    duration, model and source stay; its options gain ``alignment`` (how the words were timed).
    """
    count = sum(len(p.words) for p in paragraphs)
    if len(word_times) != count:
        raise ValueError(f"{len(word_times)} times for {count} words")
    if confidence is not None and len(confidence) != count:
        raise ValueError(f"{len(confidence)} confidences for {count} words")
    if speakers is not None and len(speakers) != len(paragraphs):
        raise ValueError(f"{len(speakers)} speakers for {len(paragraphs)} paragraphs")
    times = monotonic(word_times, draft.duration_ms)
    segments: list[Segment] = []
    k = 0
    for p_index, para in enumerate(paragraphs):
        speaker = speakers[p_index] if speakers is not None else para.speaker
        sentence: list[Word] = []
        for w_index, text in enumerate(para.words):
            start, end = times[k]
            sentence.append(Word(" " + text, start, end, confidence[k] if confidence else 1.0))
            k += 1
            following = para.words[w_index + 1] if w_index + 1 < len(para.words) else None
            if following is None or ends_sentence(text, following) or k in sentence_starts:
                segments.append(_segment(sentence, speaker))
                sentence = []
    options = {**draft.options, "alignment": alignment}
    return Transcript(
        draft.language,
        draft.duration_ms,
        tuple(segments),
        draft.model,
        draft.source_sha256,
        options,
    )


def _segment(words: Sequence[Word], speaker: str | None) -> Segment:
    return Segment(
        start_ms=words[0].start_ms,
        end_ms=max(w.end_ms for w in words),
        text="".join(w.text for w in words),
        words=tuple(words),
        speaker=speaker,
    )


def align_text(
    draft: Transcript,
    text: str,
    audio: np.ndarray | None = None,
    aligner: Aligner | None = None,
    *,
    max_window_ms: int = MAX_WINDOW_MS,
) -> Transcript:
    """Time the corrected ``text`` against ``audio`` (16 kHz mono), falling back to the draft.

    With ``audio`` and an ``aligner`` (``WhisperASR(...).align``): rough times from the draft, laid
    on the speech (:func:`anchor_to_draft`); a first forced alignment in windows
    (:func:`plan_windows`); each word given to the stretch of speech between two pauses it was
    spoken in (:func:`assign_to_runs`); a second alignment in windows whose edges are pauses
    (:func:`realign_on_runs`); word edges snapped to the speech. Sentence punctuation is not needed:
    in text without it, long pauses (and line breaks at pauses) end the sentences. Each word's
    ``probability`` is then the alignment's confidence in its place (:func:`word_confidence`).
    A window the aligner returns None for keeps the rough times. ``options["alignment"]`` says
    which happened: ``"whisper"`` (every window aligned), ``"mixed"`` (some) or ``"draft"``
    (none, or no audio); ``options["aligned_windows"]`` says how many of how many.
    """
    paragraphs = parse_review_text(text)
    words = [w for p in paragraphs for w in p.words]
    breaks = text_breaks(text, words)
    voiced = speech_frames(audio) if audio is not None else None
    use_audio = audio is not None and aligner is not None and bool(words)
    times = anchor_to_draft(
        draft.words, words, duration_ms=draft.duration_ms, voiced=voiced if use_audio else None
    )
    done, total = 0, 0
    confidence: list[float] | None = None
    if use_audio and audio is not None and aligner is not None and voiced is not None:
        windows = plan_windows(
            times, words, max_window_ms=max_window_ms, duration_ms=draft.duration_ms, breaks=breaks
        )
        total = len(windows)
        rough = list(times)
        results = aligner(audio, windows)
        for window, result in zip(windows, results, strict=True):
            if result is None or len(result) != len(window.words):
                continue  # keep the rough times for this window's words
            done += 1
            for k in window.core:
                times[k] = result[k - window.first]
        first_pass = monotonic(times, draft.duration_ms)
        runs = speech_runs(voiced)
        trust = [1.0 if done else 0.4] * len(words)
        if done and runs:
            rate = voiced_rate(runs, words)
            owner = assign_to_runs(first_pass, words, runs, breaks, ms_per_char=rate, rough=rough)
            times, trust = realign_on_runs(audio, aligner, first_pass, words, runs, owner)
        times = snap_to_speech(monotonic(times, draft.duration_ms), voiced)
        confidence = word_confidence(times, trust, first_pass, voiced)
    method = "draft" if done == 0 else "whisper" if done == total else "mixed"
    starts = sentence_starts(paragraphs, times, breaks)
    result_t = aligned_transcript(
        draft, paragraphs, times, alignment=method, confidence=confidence, sentence_starts=starts
    )
    result_t.options["aligned_windows"] = f"{done}/{total}"
    return result_t
