"""The text view editors correct: the transcript as paragraphs, ``Navn:`` where the speaker
changes (``review/<slug>.txt``). :func:`write_review_text` writes what :func:`parse_review_text`
reads back to the same value (see the round-trip tests).

Pure functions over text; the caller reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .encodings import normalise_newlines
from .speakers import Keep, check_speaker, label_text, split_label
from .transcript import Transcript


@dataclass(frozen=True)
class TextParagraph:
    """One paragraph of corrected text; punctuation stays attached to its word."""

    speaker: str | None
    words: tuple[str, ...]


def parse_review_text(text: str, known_speakers: Iterable[str] = ()) -> list[TextParagraph]:
    """Paragraphs (separated by blank lines) with their speakers.

    ``Navn:`` at the start of a paragraph names its speaker (see :func:`split_label`); the name
    holds for the following paragraphs until another is named, because the text view names a
    speaker only where the speaker changes. A name alone in its paragraph applies to the next one.
    """
    known = set(known_speakers)
    out: list[TextParagraph] = []
    speaker: str | None = None
    for block in re.split(r"\n[ \t]*\n", normalise_newlines(text)):
        label, rest = split_label(block.strip("\n"), known)
        if not isinstance(label, Keep):
            speaker = label
            if label:
                known.add(label)
        words = tuple(rest.split())
        if words:
            out.append(TextParagraph(speaker, words))
    return out


def write_review_text(paragraphs: Sequence[TextParagraph]) -> str:
    """The text view of paragraphs; :func:`parse_review_text` reads it back to the same value.

    A speaker name that would read back as text is refused (see :func:`check_speaker`).
    """
    known: set[str] = set()
    blocks: list[str] = []
    current: str | None = None
    for n, p in enumerate(paragraphs, 1):
        if not p.words:
            continue
        speaker = check_speaker(p.speaker, f"paragraph {n}")
        blocks.append(label_text(speaker, " ".join(p.words), current, known))
        current = speaker
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def review_text(transcript: Transcript) -> str:
    """The plain-text view editors correct: reading paragraphs, ``Navn:`` where the speaker changes."""
    from .pages import paragraphs

    return write_review_text(
        [TextParagraph(p.speaker, tuple(p.text.split())) for p in paragraphs(transcript)]
    )
