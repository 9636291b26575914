"""Danish word lists as data: the files in ``videokit/data/``, read once and cached.

Format of every list: one entry per line, ``#`` starts a comment, blank lines are ignored. Entries
are lower-cased unless the caller asks to keep case.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def entries(name: str) -> tuple[str, ...]:
    """The entries of ``data/<name>`` in file order, whitespace collapsed, case kept."""
    text = (files("videokit") / "data" / name).read_text(encoding="utf-8")
    lines = (" ".join(line.split("#", 1)[0].split()) for line in text.splitlines())
    return tuple(line for line in lines if line)


@cache
def wordlist(name: str) -> frozenset[str]:
    """The entries of ``data/<name>``, lower-cased, as a set."""
    return frozenset(e.lower() for e in entries(name))
