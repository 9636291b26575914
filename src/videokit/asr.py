"""The recogniser's face: what callers give it and get back, free of whisper and torch.

Decoding options, the recordings handed over (:class:`AudioJob`), the plan of what each engine reads
and what it leaves unread, and the turning of any engine's segment dicts into a
:class:`~videokit.transcript.Transcript` (times in integer milliseconds, words monotonic and inside
the audio), so callers never see a recogniser's own types. The engines live beside it:
``asr_whisper`` (openai-whisper; with ``asr_batched``, ``asr_tasks`` and ``asr_patches``, the only
modules that import whisper and torch, and only when called) and ``asr_ct2`` (faster-whisper).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import speech
from .align_windows import Span
from .audio import SAMPLE_RATE
from .transcript import Segment, Transcript, Unread, Word
from .windows import DEFAULT_PAUSES, Pauses, unread_stretches, windows

Progress = Callable[[float], None]


@dataclass(frozen=True)
class DecodeOptions:
    """What Whisper is asked to do. Part of the draft cache key: change one, get a new draft."""

    language: str = "da"
    # Chosen by measurement (bench/decoding.py, base on the three samples, 2 cores): beam 5 cut
    # the word error rate from 95 % to 69-72 % for 1.5x the time of greedy decoding (RTF 0.71-0.76
    # against 0.48). With beam search the temperature fallback rarely fires, so keeping it as a
    # guard against loops costs ~7 %; with greedy decoding it fired on almost every window of
    # synthetic speech and cost 3-10x. Three steps instead of whisper's six for the same reason.
    beam_size: int | None = 5
    temperature: tuple[float, ...] = (0.0, 0.4, 0.8)
    condition_on_previous_text: bool = True
    hallucination_silence_threshold: float | None = 2.0
    no_speech_threshold: float = 0.6
    initial_prompt: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["temperature"] = list(self.temperature)
        return d


DEFAULT_OPTIONS = DecodeOptions()


@dataclass(frozen=True, eq=False)
class AudioJob:
    """One recording for :meth:`WhisperASR.transcribe_many`: 16 kHz mono samples and its options."""

    audio: np.ndarray
    options: DecodeOptions = DecodeOptions()
    source_sha256: str = ""
    path: Path | None = None


def transcript_of(
    job: AudioJob,
    raw: list[dict[str, Any]],
    model_id: str,
    unread: Sequence[Unread] = (),
) -> Transcript:
    """The draft of one recording from a recogniser's segment dicts (either engine)."""
    duration_ms = round(len(job.audio) * 1000 / SAMPLE_RATE)
    return Transcript(
        language=job.options.language,
        duration_ms=duration_ms,
        segments=tuple(segments_from_whisper(raw, duration_ms)),
        model=model_id,
        source_sha256=job.source_sha256,
        options=job.options.to_dict(),
        unread=tuple(sorted(unread, key=lambda u: u.start_ms)),
    )


@dataclass
class _Clock:
    """Keeps word times monotonic and inside the audio; whisper's can step back at segment edges."""

    duration_ms: int
    last_ms: int = 0
    words: list[Word] = field(default_factory=list)

    def word(self, text: str, start: float, end: float, probability: float) -> Word:
        s = min(max(round(start * 1000), self.last_ms), self.duration_ms)
        e = min(max(round(end * 1000), s), self.duration_ms)
        self.last_ms = s
        # Rounded here as in transcript.json, so a draft read back equals the one computed.
        return Word(text, s, e, round(float(probability), 4))


def _clean(text: str) -> str:
    # A token boundary inside a multi-byte letter decodes as U+FFFD; never show that to a viewer.
    return text.replace("\ufffd", "")


def segments_from_whisper(raw: list[dict[str, Any]], duration_ms: int) -> Iterator[Segment]:
    clock = _Clock(duration_ms)
    for seg in raw:
        words = tuple(
            clock.word(_clean(w["word"]), w["start"], w["end"], w.get("probability", 1.0))
            for w in seg.get("words", [])
            if _clean(w["word"]).strip()
        )
        if not words and not seg["text"].strip():
            continue
        start = words[0].start_ms if words else min(round(seg["start"] * 1000), duration_ms)
        end = max([w.end_ms for w in words] + [min(round(seg["end"] * 1000), duration_ms), start])
        yield Segment(
            start_ms=start,
            end_ms=end,
            text=_clean(seg["text"]),
            words=words,
            avg_logprob=round(float(seg.get("avg_logprob", 0.0)), 4),
            no_speech_prob=round(float(seg.get("no_speech_prob", 0.0)), 4),
            compression_ratio=round(float(seg.get("compression_ratio", 1.0)), 4),
        )


def word_spans(
    words: Sequence[str], timings: Sequence[tuple[str, float, float]], offset_ms: int, limit_ms: int
) -> list[Span] | None:
    """Map whisper's words (its own boundaries, times in s from the window start) onto ``words``.

    Both sides spell the same text, ``" w1 w2 ..."``; whisper may cut it elsewhere (punctuation
    alone, a word split at a letter it cannot decode). Each of our words starts when whisper's word
    holding its first letter starts and ends when the one holding its last letter ends.
    """
    owner = [k for k, (text, _, _) in enumerate(timings) for _ in text]
    if not owner:
        return None
    length = sum(len(w) + 1 for w in words)
    # If decoding changed the spelling (it should not), positions still map proportionally.
    scale = len(owner) / length

    def at(pos: int) -> tuple[str, float, float]:
        return timings[owner[min(len(owner) - 1, int(pos * scale))]]

    spans: list[Span] = []
    pos = 0
    floor = offset_ms
    for w in words:
        first, last = at(pos + 1), at(pos + len(w))
        pos += len(w) + 1
        start = min(max(offset_ms + round(first[1] * 1000), floor), limit_ms)
        end = min(max(offset_ms + round(last[2] * 1000), start), limit_ms)
        spans.append((start, end))
        floor = start
    return spans


def unread_parts(audio: np.ndarray, pauses: Pauses = DEFAULT_PAUSES) -> list[tuple[int, int]]:
    """Long stretches of ``audio`` with no speech, in ms (:func:`videokit.windows.unread_stretches`)."""
    from . import vad

    probabilities = vad.speech_probabilities(audio)
    if probabilities is None:
        return []
    duration_ms = round(len(audio) * 1000 / SAMPLE_RATE)  # the detector pads the last frame
    return [
        (a, min(b, duration_ms))
        for a, b in unread_stretches(probabilities, vad.FRAME_MS, pauses)
        if a < duration_ms
    ]


def reading_plan(
    audio: np.ndarray, pauses: Pauses = DEFAULT_PAUSES
) -> tuple[list[tuple[int, int]], list[Unread]]:
    """Where :func:`videokit.windows.windows` cuts ``audio`` (in samples), and what it leaves
    unread because there is no speech in it."""
    levels = speech.levels(audio, pauses.level).tolist()
    unread = unread_parts(audio, pauses)
    per_ms = SAMPLE_RATE // 1000
    cuts = [
        (a * per_ms, min(len(audio), b * per_ms))
        for a, b in windows(levels, pauses, unread)
        if a * per_ms < len(audio)
    ]
    return cuts, [Unread(a, b) for a, b in unread]


def spoken_plan(audio: np.ndarray) -> tuple[list[Unread], list[tuple[int, int]]]:
    """For an engine that reads a recording front to back: what it leaves unread, and the
    stretches (ms) it is given instead (the rest)."""
    duration_ms = round(len(audio) * 1000 / SAMPLE_RATE)
    unread = [Unread(a, b) for a, b in unread_parts(audio)]
    return unread, complement([(u.start_ms, u.end_ms) for u in unread], duration_ms)


def complement(spans: Sequence[tuple[int, int]], end: int) -> list[tuple[int, int]]:
    """The parts of ``0..end`` outside ``spans`` (ordered, disjoint)."""
    out, at = [], 0
    for a, b in spans:
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if at < end:
        out.append((at, end))
    return out


def clip_timestamps(spans: Sequence[tuple[int, int]], duration_ms: int) -> list[float]:
    """``spans`` (ms) as whisper's ``clip_timestamps`` (seconds, start, end, start, ...): a last
    span that runs to the end leaves its end out, so whisper reads to its own last frame."""
    stamps = [t / 1000 for a, b in spans for t in (a, b)]
    if spans and spans[-1][1] >= duration_ms:
        stamps.pop()
    return stamps
