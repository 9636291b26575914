"""Words that belong together: fixed expressions and name patterns, never split across cues or lines.

Pure logic over the caption engine's words. :func:`bound` says, for each pair of neighbouring words,
whether a break between them would cut one of:

- a fixed expression from ``data/da_fixed_phrases.txt`` ("held og lykke", "i forhold til");
- a title and the name or number after it: a word in ``data/da_titles.txt`` or a ``title``
  abbreviation ("borgmester Anne", "frk. Jensen", "kl. 10");
- first and last name: two capitalised words, or an initial before a name ("Lauritz Jensen",
  "A.P. Møller");
- a number and its unit or counted noun ("10 procent", "7.15 i aften", "den 3. maj");
- a verb particle and the preposition after it, ``data/da_particles.txt`` ("fandt fruen ud af");
- an adjective and its noun, by the adjective's ending (``data/da_adjective_endings.txt``:
  "konservativ kandidat", "offentlig transport");
- a genitive and its noun ("kommunens budget", "Danmarks største by").

A sentence end, or a comma, colon or semicolon after a word, always allows the break.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from .lexicon import entries, wordlist
from .sentences import CLOSERS, OPENERS, abbreviation, binds_next, is_initial

_CLAUSE_MARKS = ",;:!?…–—"
_NUMBER = re.compile(r"^\d[\d.,:]*$")


def core(word: str) -> str:
    """``word`` as phrase lists spell it: lower case, without surrounding punctuation."""
    return word.lstrip(OPENERS).rstrip(CLOSERS + ".,;:!?…").lower()


@cache
def _phrases() -> dict[str, tuple[tuple[str, ...], ...]]:
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for line in entries("da_fixed_phrases.txt"):
        words = tuple(core(w) for w in line.split())
        if len(words) > 1:
            by_first.setdefault(words[0], []).append(words)
    # Longest first, so "på den anden side" wins over any shorter phrase starting with "på".
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in by_first.items()}


def _open_after(word: str) -> bool:
    """Whether ``word`` may run on into the next word: no clause or sentence mark after it."""
    bare = word.rstrip(CLOSERS)
    return bool(bare) and bare[-1] not in _CLAUSE_MARKS and not bare.endswith("-")


def _capitalised(word: str) -> bool:
    return word.lstrip(OPENERS)[:1].isupper()


def bound(words: Sequence[str], ends: Sequence[bool]) -> list[bool]:
    """``bound[k]``: a break between ``words[k]`` and ``words[k + 1]`` would cut a unit.

    ``ends[k]`` says whether ``words[k]`` ends a sentence (see :mod:`videokit.sentences`). The
    result has one entry per word; the last is always False.
    """
    n = len(words)
    out = [False] * n
    cores = [core(w) for w in words]
    open_after = [_open_after(w) and not ends[k] for k, w in enumerate(words)]
    phrases = _phrases()
    for k in range(n - 1):
        for phrase in phrases.get(cores[k], ()):
            m = len(phrase)
            if tuple(cores[k : k + m]) == phrase and all(open_after[k : k + m - 1]):
                for x in range(k, k + m - 1):
                    out[x] = True
                break
    titles = wordlist("da_titles.txt")
    # "10 | og 20", "kl. 10 | i morgen": a number binds to its unit, not to a conjunction or a
    # preposition after it.
    free = wordlist("da_break_before.txt") | wordlist("da_prepositions.txt")
    for k in range(n - 1):
        word, nxt = words[k], words[k + 1]
        if out[k] or ends[k]:
            continue
        if binds_next(word, nxt):
            out[k] = True  # "frk. Jensen", "kl. 10"
            continue
        if not open_after[k]:
            continue
        if cores[k] in titles and (_capitalised(nxt) or _NUMBER.match(cores[k + 1])):
            out[k] = True  # "borgmester Anne", "klokken 10"
        elif _capitalised(word) and _capitalised(nxt):
            out[k] = True  # first + last name
        elif _NUMBER.match(cores[k]) and cores[k + 1][:1].isalpha() and cores[k + 1] not in free:
            out[k] = True  # "10 procent", "den 3. maj"
    particles = wordlist("da_particles.txt")
    prepositions = wordlist("da_prepositions.txt")
    for k in range(n - 1):
        if out[k] or ends[k] or not open_after[k]:
            continue
        nxt = cores[k + 1]
        if cores[k] in particles and nxt in prepositions:
            out[k] = True  # "ud af", "ind i"
        elif _lower_content(words[k + 1], nxt, free) and (
            _adjective(cores[k], words[k]) or _genitive(cores[k], words[k], free)
        ):
            out[k] = True  # "konservativ kandidat", "kommunens budget"
    for k in range(n - 1):
        # An initial before a name: "A.P. Møller", "H. C. Andersen" (the initial's full stop is
        # not a clause mark, so the checks above cannot see it).
        initial = abbreviation(words[k]) is None and is_initial(words[k])
        if initial and not ends[k] and _capitalised(words[k + 1]):
            out[k] = True
    return out


def _lower_content(word: str, core_: str, function_words: frozenset[str]) -> bool:
    """Whether ``word`` can be the noun of a phrase: lower case, a word, not a function word."""
    return word[:1].islower() and core_.isalpha() and core_ not in function_words


@cache
def _adjective_endings() -> tuple[str, ...]:
    return tuple(sorted(wordlist("da_adjective_endings.txt"), key=len, reverse=True))


def _adjective(core_: str, word: str) -> bool:
    if len(core_) < 5 or not word[:1].islower() or not core_.isalpha():
        return False
    return core_.endswith(_adjective_endings()) and core_ not in _not_adjectives()


@cache
def _not_adjectives() -> frozenset[str]:
    # Function words and pronouns with an adjective's ending: never bound by it.
    return (
        wordlist("da_no_break_before.txt")
        | wordlist("da_weak_break_after.txt")
        | wordlist("da_break_before.txt")
        | wordlist("da_prepositions.txt")
    )


def _genitive(core_: str, word: str, function_words: frozenset[str]) -> bool:
    """A genitive by its form: a name + s ("Danmarks") or a definite noun + s ("kommunens")."""
    if core_ in function_words or not core_.isalpha() or len(core_) < 4:
        return False
    if word.lstrip(OPENERS)[:1].isupper():
        return core_.endswith("s") and not core_.endswith("ss")
    return core_.endswith(("ens", "ets", "nes", "ernes", "enes"))
