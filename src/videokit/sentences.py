"""Where a Danish sentence ends: one rule and one abbreviation list for the whole project.

Captions (one sentence per cue where possible), the transcript page (paragraphs of whole sentences)
and alignment (one segment per sentence) all ask this module, so "kl. 10" or "osv. Det" can never
be a sentence end in one place and not in another.

A word ends a sentence when it ends in ``.``, ``!``, ``?`` or ``…`` (closing quotes and brackets
after the mark are ignored) and none of these holds:

- the next word starts with a lower-case letter: "den 3. maj", "bl.a. kommunerne", "Og så… gik vi";
- it is an abbreviation that never ends a sentence (kinds ``title`` and ``inline`` in
  ``data/da_abbreviations.txt``): "kl. 10", "frk. Jensen", "Chr. Hansen", "f.eks. Det";
- it is an initial (one capital letter, or capital letters with full stops between them) before a
  capitalised word: "H.C. Andersen", "A.P. Møller".

An abbreviation of kind ``final`` ("osv.", "kr.", "m.m.") is read as the sentence's end when the
next word starts with a capital or nothing follows, because Danish writes only one full stop there:
"Det koster 100 kr. Det er dyrt." A number keeps its own full stops: "Vi mødes kl. 7.15. Det er
tidligt." ends after "7.15.". A word in capitals is an acronym, not an abbreviation: "til DR." ends.
Where the recogniser left that full stop out, :func:`ends_at_pause` reads the end from the capital
and the pause after the number or abbreviation.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from .lexicon import entries

_NUMBER = re.compile(r"^\d+(?:[.,:]\d+)*\.?$")

Kind = Literal["title", "inline", "final"]

_KINDS: tuple[Kind, ...] = ("title", "inline", "final")
_TERMINAL = ".!?…"
CLOSERS = "\"'»«”“’)]"
OPENERS = "\"'»«„“‘([-–—"


@cache
def _abbreviations() -> dict[str, Kind]:
    table: dict[str, Kind] = {}
    for line in entries("da_abbreviations.txt"):
        word, _, kind = line.partition(" ")
        if kind not in _KINDS or not word.endswith("."):
            raise ValueError(f"da_abbreviations.txt: bad entry {line!r}")
        table[word.lower()] = kind  # type: ignore[assignment]  # checked just above
    return table


def abbreviation(word: str) -> Kind | None:
    """The kind of abbreviation ``word`` is ("frk." → ``title``), or None for any other word."""
    bare = word.lstrip(OPENERS).rstrip(CLOSERS)
    core = bare.rstrip(".")
    if not bare.endswith(".") or (len(core) > 1 and core.replace(".", "").isupper()):
        return None  # no full stop, or an acronym written in capitals ("DR.", "EU.")
    return _abbreviations().get(bare.lower())


def is_initial(word: str) -> bool:
    """Whether ``word`` is an initial or a run of them: "H.", "A.P." (not "EU", not "bl.a.")."""
    bare = word.lstrip(OPENERS).rstrip(CLOSERS)
    if not bare.endswith("."):
        return False
    return all(len(p) == 1 and p.isupper() for p in bare[:-1].split("."))


def _starts_lower(word: str) -> bool:
    return word.lstrip(OPENERS)[:1].islower()


def ends_sentence(word: str, following: str | None = None) -> bool:
    """Whether ``word`` (or the last word of a text) ends a sentence, given the word after it.

    ``following`` is None at the end of the text, or where the next word is not known.
    """
    parts = word.split()
    if not parts:
        return False
    bare = parts[-1].rstrip(CLOSERS)
    if not bare or bare[-1] not in _TERMINAL:
        return False
    if following is not None and _starts_lower(following):
        return False
    if bare[-1] != ".":
        return True
    kind = abbreviation(bare)
    if kind in ("title", "inline"):
        return False
    # "H.C. Andersen": an initial before a name; "plan B." at the very end still ends.
    return not (kind is None and following is not None and is_initial(bare))


def ends_at_pause(word: str, following: str | None) -> bool:
    """Whether ``word`` ends a sentence when a pause follows it, though its full stop is missing:
    a number or a final abbreviation before a capital ("kl. 7.15 | Det er tidligt", "100 kr |
    Det er dyrt"). Danish writes one full stop after "7.15." and "kr." at a sentence's end, and
    a recogniser often leaves out that one; the pause and the capital after it still say where
    the sentence ended. The caller decides what counts as a pause."""
    if following is None or not following.lstrip(OPENERS)[:1].isupper():
        return False
    bare = word.rstrip(CLOSERS)
    if _NUMBER.match(bare):
        return True
    return abbreviation(bare + ("" if bare.endswith(".") else ".")) == "final"


def binds_next(word: str, following: str | None) -> bool:
    """Whether ``word`` is a title abbreviation that belongs with the next word ("frk. | Jensen")."""
    return following is not None and abbreviation(word) == "title"


def count_sentences(text: str) -> int:
    """Sentences that end in ``text`` (a sentence left open at the end is not counted)."""
    words = text.split()
    return sum(
        ends_sentence(w, words[k + 1] if k + 1 < len(words) else None) for k, w in enumerate(words)
    )


def split_sentences(text: str) -> tuple[str, ...]:
    """``text`` cut into sentences, whitespace collapsed; an unfinished last one is kept."""
    words = text.split()
    out: list[str] = []
    start = 0
    for k, w in enumerate(words):
        if ends_sentence(w, words[k + 1] if k + 1 < len(words) else None):
            out.append(" ".join(words[start : k + 1]))
            start = k + 1
    if start < len(words):
        out.append(" ".join(words[start:]))
    return tuple(out)
