"""Speaker names in the editors' files: how a ``Navn:`` label is read and written.

Both views (the SRT view, :mod:`videokit.edits`, and the text view, :mod:`videokit.textview`)
name a speaker the same way: ``Navn:`` at the start of a cue or paragraph names the speaker from
there on; ``Ukendt:`` ends a named speaker's turn. A name that would not read back as a label is
refused where it is set, never turned into caption text.

Pure functions over text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import TranscriptError

NO_SPEAKER = "Ukendt"
"""The label that ends a named speaker's turn: what follows has no named speaker."""

# End of a name label: "Mette:", "Anne Marie Jensen:", "Hans van der Berg:", "Ödön:", "de Gaulle:".
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "der",
        "den",
        "la",
        "le",
        "af",
        "du",
        "di",
        "da",
        "dos",
        "del",
        "ten",
        "ter",
    ]
)


def _marks() -> str:
    """Combining marks of the Basic Multilingual Plane as a character class body: a name in NFD
    (``Ödön`` as O + U+0308) or in Devanagari is letters *and* marks; ``\\w`` has no marks."""
    import unicodedata

    ranges: list[list[int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


_NAME_WORD = rf"[^\W\d_][\w{_marks()}.'’-]*"
NAME_LABEL = re.compile(rf"^[ \t]*({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}})[ \t]*:(?=\s|$)")


class Keep:
    """The speaker goes on as before (no label)."""


KEEP = Keep()


def split_label(text: str, known: Iterable[str] = ()) -> tuple[str | Keep | None, str]:
    """``("Mette", "Ja.")`` for ``"Mette: Ja."``; ``(KEEP, text)`` when no speaker is named.

    A label names a speaker when the name is a known speaker, stands alone on its line, has two
    words or more, or is followed by a capital letter. ``Husk: det her.`` is text, not a speaker.
    ``Ukendt:`` gives ``None``: no named speaker.
    """
    m = NAME_LABEL.match(text)
    if m is None:
        return KEEP, text
    words = m.group(1).split()
    name = " ".join(words)
    rest = text[m.end() :]
    first = words[0]
    if not (_capital(first[0]) or (first in _PARTICLES and len(words) > 1)):
        return KEEP, text
    if any(not _capital(w[0]) and w not in _PARTICLES for w in words):
        return KEEP, text
    following = rest.lstrip(" \t")
    named = (
        name == NO_SPEAKER
        or name.casefold() in {k.casefold() for k in known}
        or following[:1] in ("", "\n")
        or len(words) > 1
        or following[:1].isupper()
    )
    if not named:
        return KEEP, text
    if name == NO_SPEAKER:
        return None, following.lstrip()
    return name, following.lstrip()


def _capital(letter: str) -> bool:
    """A capital, or a letter of a script without case (中, محمد): names in any script."""
    return letter.isupper() or letter.istitle() or (letter.isalpha() and not letter.islower())


SPEAKER_NAME_RULE = (
    "a speaker name is one to five words of letters ('.', '-' and apostrophes inside a word), "
    "each starting with a capital letter (van, von, de … may be small), e.g. "
    "'Borgmester Jens Hansen'"
)


def speaker_problem(name: str) -> str | None:
    """Why ``name`` would not read back as the speaker from the SRT and text views; ``None`` when
    it would. Decided by the reader itself (a label on a line of its own is how both views write
    a name they must be sure of), so the rule and the reader cannot drift apart; the reasons
    only explain it."""
    if name != " ".join(name.split()):
        return "has extra spaces"
    if split_label(f"{name}:") == (name, ""):
        return None
    if name == NO_SPEAKER:
        return f"'{NO_SPEAKER}' means no named speaker: leave the speaker empty"
    words = name.split(" ")
    if ":" in name:
        return "holds a colon, which would end the name there"
    bad = next((ch for ch in name if ch.isdigit()), None)
    if bad is not None:
        return f"holds the digit '{bad}'"
    bad = next((ch for w in words for ch in w if re.fullmatch(_NAME_WORD, "a" + ch) is None), None)
    if bad is not None:
        return f"holds '{bad}', which a name cannot hold"
    if len(words) > 5:
        return "has more than five words"
    start = next((w for w in words if not re.fullmatch(_NAME_WORD, w)), None)
    if start is not None:
        return f"has a word that does not start with a letter ('{start}')"
    small = next((w for w in words if not _capital(w[0]) and w not in _PARTICLES), None)
    if small is not None:
        return f"has a word that does not start with a capital letter ('{small}')"
    return "would not read back as a name"


def check_speaker(name: str | None, where: str = "") -> str | None:
    """``name`` as both views write it (spaces squeezed; empty is no speaker), or a
    :class:`TranscriptError` saying why it would become caption text instead."""
    if name is None or not name.strip():
        return None
    name = " ".join(name.split())
    problem = speaker_problem(name)
    if problem is not None:
        prefix = f"{where}: " if where else ""
        raise TranscriptError(
            f"{prefix}the speaker name {name!r} {problem}",
            stage="review",
            hint=SPEAKER_NAME_RULE,
        )
    return name


def label_text(speaker: str | None, text: str, current: str | None, known: set[str]) -> str:
    """The text with the label a reader needs to get ``speaker`` back (none when it carries on).

    ``known`` is what the reader will know at this point: the labels written so far. A label the
    reader would not take for one inline (``Bo: ja``) goes on a line of its own, where it always
    is, for every name :func:`check_speaker` lets through.
    """
    if speaker == current and isinstance(split_label(text, known)[0], Keep):
        return text
    name = speaker if speaker is not None else NO_SPEAKER
    inline = f"{name}: {text}"
    fits = split_label(inline, known) == (speaker, text)
    if speaker is not None:
        known.add(speaker)  # as the reader does once it has read the label
    return inline if fits else f"{name}:\n{text}"
