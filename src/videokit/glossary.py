"""Glossary spellings applied to a draft: "kl" → "KL", "tik tok" → "TikTok", "byraadet" stays.

Whisper gets the glossary as its prompt, which steers it but does not bind it. Afterwards, where the
recogniser wrote a term with other capitals, or split a one-word term in two, the glossary's
spelling is put back. Only case and spacing are changed, never letters: a different word is a
recognition error for an editor to judge, not a spelling to force. Pure logic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .transcript import Segment, Transcript, Word

_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


@dataclass(frozen=True)
class Fix:
    before: str
    after: str
    start_ms: int

    def to_dict(self) -> dict[str, object]:
        return {"before": self.before, "after": self.after, "start_ms": self.start_ms}


def _split(text: str) -> tuple[str, str, str]:
    m = _EDGE.match(text.strip())
    return (m.group(1), m.group(2), m.group(3)) if m else ("", text.strip(), "")


def _fold(text: str) -> str:
    return text.casefold().replace(" ", "")


def _apply_to_words(words: Sequence[Word], terms: Sequence[str], fixes: list[Fix]) -> list[Word]:
    out = list(words)
    # Longest terms first, so "Kommunernes Landsforening" wins over "Kommunernes".
    for term in sorted(terms, key=lambda t: -len(t)):
        parts = term.split()
        target = _fold(term)
        i = 0
        while i < len(out):
            matched = _match(out, i, parts, target)
            if matched is None:
                i += 1
                continue
            end, replacement = matched
            span = out[i:end]
            before = "".join(w.text for w in span).strip()
            if before != "".join(w.text for w in replacement).strip():
                fixes.append(
                    Fix(before, "".join(w.text for w in replacement).strip(), span[0].start_ms)
                )
            out[i:end] = replacement
            i += len(replacement)
    return out


def _match(
    words: list[Word], i: int, parts: list[str], target: str
) -> tuple[int, list[Word]] | None:
    """Words from ``i`` that spell the term, as (end index, replacement words), or None."""
    lead, _, _ = _split(words[i].text)
    # The term as written over as many words as it has, or squeezed into one from two or three.
    for count in dict.fromkeys((len(parts), 1, 2, 3)):
        span = words[i : i + count]
        if len(span) < count:
            continue
        cores = [_split(w.text) for w in span]
        # Punctuation may only stand before the first and after the last word of the span.
        if any(c[2] for c in cores[:-1]) or any(c[0] for c in cores[1:]):
            continue
        if _fold("".join(c[1] for c in cores)) != target:
            continue
        trail = cores[-1][2]
        space = " " if span[0].text.startswith(" ") else ""
        if count == len(parts):
            replacement = [
                replace(
                    w,
                    text=(space if k == 0 else " ")
                    + (lead if k == 0 else "")
                    + part
                    + (trail if k == count - 1 else ""),
                )
                for k, (w, part) in enumerate(zip(span, parts, strict=True))
            ]
        elif len(parts) == 1:
            replacement = [
                Word(
                    space + lead + parts[0] + trail,
                    span[0].start_ms,
                    span[-1].end_ms,
                    min(w.probability for w in span),
                )
            ]
        else:
            continue
        return i + count, replacement
    return None


def _candidates(transcript: Transcript, terms: Sequence[str]) -> list[str]:
    """The terms that could match somewhere: a term matches only a span whose letters fold to it.

    Every span length :func:`_match` tries is folded once, so a glossary of 100,000 terms costs a
    set lookup each instead of a scan of the transcript each (12 minutes for 5 seconds of video).
    """
    counts = {1, 2, 3} | {len(t.split()) for t in terms}
    seen: set[str] = set()
    for seg in transcript.segments:
        cores = [_split(w.text)[1] for w in seg.words]
        for count in counts:
            for i in range(len(cores) - count + 1):
                seen.add(_fold("".join(cores[i : i + count])))
    return [t for t in terms if _fold(t) in seen]


def apply_glossary(transcript: Transcript, terms: Sequence[str]) -> tuple[Transcript, list[Fix]]:
    """The transcript with glossary spellings restored, and every change made."""
    fixes: list[Fix] = []
    terms = _candidates(transcript, terms) if terms else []
    if not terms:
        return transcript, fixes
    segments = []
    for seg in transcript.segments:
        if not seg.words:
            segments.append(seg)
            continue
        words = _apply_to_words(seg.words, terms, fixes)
        text = "".join(w.text for w in words)
        segments.append(
            Segment(
                seg.start_ms,
                seg.end_ms,
                text,
                tuple(words),
                seg.avg_logprob,
                seg.no_speech_prob,
                seg.compression_ratio,
                seg.speaker,
            )
        )
    return transcript.with_segments(tuple(segments)), fixes
