"""Transcript and caption types.

Invariants (checked on construction, so a value that exists is valid):
- every time is an integer number of milliseconds, ``0 <= start_ms <= end_ms``;
- a segment's words lie in order and inside the segment;
- a cue has at least one non-empty line and ``start_ms < end_ms``.

All types are frozen and round-trip through plain JSON (``to_dict`` / ``from_dict``), so a transcript
written by one version of videokit can be read by the next and diffed by a person.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

SCHEMA_VERSION = 1


def _check_span(kind: str, start_ms: int, end_ms: int) -> None:
    if not isinstance(start_ms, int) or not isinstance(end_ms, int):
        raise TypeError(f"{kind} times must be integer milliseconds, got {start_ms!r}, {end_ms!r}")
    if start_ms < 0 or end_ms < start_ms:
        raise ValueError(f"{kind} has an impossible span {start_ms}..{end_ms} ms")


def spread_spans(lengths: Sequence[int], start_ms: int, end_ms: int) -> list[tuple[int, int]]:
    """Spans for items laid end to end over ``start_ms..end_ms`` in proportion to ``length + 1``.

    Used wherever words have a known stretch of time but no times of their own (a cue an editor
    timed, a stretch the aligner could not place): the one rule for guessing word times.
    """
    weights = [n + 1 for n in lengths]
    total = max(sum(weights), 1)
    out: list[tuple[int, int]] = []
    done = 0
    for weight in weights:
        a = start_ms + (end_ms - start_ms) * done // total
        done += weight
        out.append((a, start_ms + (end_ms - start_ms) * done // total))
    return out


def spread_words(
    tokens: Sequence[str], start_ms: int, end_ms: int, probability: float = 1.0
) -> tuple[Word, ...]:
    """Words (with Whisper's leading space) for ``tokens`` spread over a stretch of time."""
    spans = spread_spans([len(t) for t in tokens], start_ms, end_ms)
    return tuple(Word(" " + t, a, b, probability) for t, (a, b) in zip(tokens, spans))


@dataclass(frozen=True)
class Word:
    """One recognised word. ``text`` keeps Whisper's leading space, so words join by concatenation."""

    text: str
    start_ms: int
    end_ms: int
    probability: float = 1.0

    def __post_init__(self) -> None:
        _check_span("word", self.start_ms, self.end_ms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "probability": round(self.probability, 4),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(
            d["text"], int(d["start_ms"]), int(d["end_ms"]), float(d.get("probability", 1.0))
        )


@dataclass(frozen=True)
class Segment:
    """A stretch of speech as the recogniser decoded it, with its own confidence figures."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    speaker: str | None = None

    def __post_init__(self) -> None:
        _check_span("segment", self.start_ms, self.end_ms)
        last = -1
        for w in self.words:
            if w.start_ms < last:
                raise ValueError(f"words out of order at {w.start_ms} ms in segment {self.text!r}")
            last = w.start_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "text": self.text,
            "speaker": self.speaker,
            "avg_logprob": round(self.avg_logprob, 4),
            "no_speech_prob": round(self.no_speech_prob, 4),
            "compression_ratio": round(self.compression_ratio, 4),
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(
            start_ms=int(d["start_ms"]),
            end_ms=int(d["end_ms"]),
            text=d["text"],
            words=tuple(Word.from_dict(w) for w in d.get("words", ())),
            avg_logprob=float(d.get("avg_logprob", 0.0)),
            no_speech_prob=float(d.get("no_speech_prob", 0.0)),
            compression_ratio=float(d.get("compression_ratio", 1.0)),
            speaker=d.get("speaker"),
        )


@dataclass(frozen=True)
class Unread:
    """A stretch of the recording that was not decoded, and why.

    ``no speech``: silent or steady sound (room tone, hum) for a long stretch, found before
    decoding. ``budget``: the recogniser kept re-reading this window past its budget of attempts
    (Whisper on noise can), so it was skipped rather than let a run go on for hours. ``left
    out``: the speech detector hears speech there, but no segment covers it even after it was
    read again on its own (:mod:`videokit.reread`).
    """

    start_ms: int
    end_ms: int
    reason: str = "no speech"

    def __post_init__(self) -> None:
        _check_span("unread stretch", self.start_ms, self.end_ms)
        if self.reason not in UNREAD_REASONS:
            raise ValueError(f"unknown reason {self.reason!r} for an unread stretch")

    def to_dict(self) -> dict[str, Any]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Unread:
        return cls(int(d["start_ms"]), int(d["end_ms"]), str(d.get("reason", "no speech")))


UNREAD_REASONS = ("no speech", "budget", "left out")


@dataclass(frozen=True)
class Transcript:
    """The machine draft of one video: what was heard, by which model, with which options."""

    language: str
    duration_ms: int
    segments: tuple[Segment, ...]
    model: str = ""
    source_sha256: str = ""
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    unread: tuple[Unread, ...] = ()  # what the recogniser did not decode, in order

    def __post_init__(self) -> None:
        _check_span("transcript", 0, self.duration_ms)

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments).strip()

    def with_segments(self, segments: tuple[Segment, ...]) -> Transcript:
        return replace(self, segments=segments)

    def with_default_speaker(self, speaker: str | None) -> Transcript:
        """Name the speaker of every segment that has none (a one-speaker video's sidecar)."""
        if not speaker:
            return self
        return self.with_segments(
            tuple(s if s.speaker else replace(s, speaker=speaker) for s in self.segments)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "language": self.language,
            "duration_ms": self.duration_ms,
            "model": self.model,
            "source_sha256": self.source_sha256,
            "options": self.options,
            "segments": [s.to_dict() for s in self.segments],
            # Only when set, so that drafts without it read back (and hash) as before.
            **({"unread": [u.to_dict() for u in self.unread]} if self.unread else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        if d.get("schema", SCHEMA_VERSION) > SCHEMA_VERSION:
            raise ValueError(f"transcript schema {d['schema']} is newer than this videokit")
        return cls(
            language=d["language"],
            duration_ms=int(d["duration_ms"]),
            segments=tuple(Segment.from_dict(s) for s in d["segments"]),
            model=d.get("model", ""),
            source_sha256=d.get("source_sha256", ""),
            options=dict(d.get("options", {})),
            unread=tuple(Unread.from_dict(u) for u in d.get("unread", ())),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class Cue:
    """One caption on screen: up to a few lines of text between two times.

    ``voices`` names the speaker of each line of a dialogue cue (two speakers, a dash on each
    line); it is empty for every other cue, whose one speaker is ``speaker``. In JSON the key is
    only written when set, so cues written before it existed read back unchanged.
    """

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str | None = None
    voices: tuple[str | None, ...] = ()

    def __post_init__(self) -> None:
        _check_span("cue", self.start_ms, self.end_ms)
        if self.end_ms == self.start_ms:
            raise ValueError(f"cue at {self.start_ms} ms has zero length")
        if not any(line.strip() for line in self.lines):
            raise ValueError(f"cue at {self.start_ms} ms has no text")
        if self.voices and len(self.voices) != len(self.lines):
            raise ValueError(
                f"cue at {self.start_ms} ms has {len(self.voices)} voices for {len(self.lines)} lines"
            )

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def chars(self) -> int:
        """Characters a viewer reads: the lines joined by one space (the norm counts spaces)."""
        return len(" ".join(self.lines))

    @property
    def cps(self) -> float:
        return self.chars * 1000 / self.duration_ms

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "lines": list(self.lines),
            "speaker": self.speaker,
        }
        if self.voices:
            d["voices"] = list(self.voices)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cue:
        return cls(
            int(d["start_ms"]),
            int(d["end_ms"]),
            tuple(d["lines"]),
            d.get("speaker"),
            tuple(d.get("voices") or ()),
        )
