"""Danish spell check of an editor's text: Debian's hunspell dictionary and the project's words.

The dictionary is Debian's ``hunspell-da`` (``/usr/share/hunspell/da_DK.{aff,dic}``), read by
``chunspell``, the maintained fork of the Hunspell binding (wheels with Hunspell itself inside,
no system library needed); it checks a word in microseconds where a pure-Python reader (spylls,
last released 2022) takes milliseconds, which matters at 900 cues. The project's own words are
accepted too: every word of the glossary (names, places) and the project word list
``spelling.txt`` beside the videos, which editors add to from the studio.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .files import read_text_file, write_text

DICTIONARY_DIRS = (Path("/usr/share/hunspell"), Path("/usr/share/myspell/dicts"))
DICTIONARY = "da_DK"
WORD_LIST = "spelling.txt"  # the project's accepted words, one a line, beside the videos
# Letters, with inner hyphens or apostrophes ("e-mail", "Anne's"); digits are not words to check.
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
MAX_SUGGESTIONS = 4


def dictionary_dir() -> Path | None:
    for folder in DICTIONARY_DIRS:
        if (folder / f"{DICTIONARY}.dic").is_file() and (folder / f"{DICTIONARY}.aff").is_file():
            return folder
    return None


def read_words(path: Path) -> list[str]:
    """The words of a word list or glossary file ('#' starts a comment), each word once."""
    if not path.is_file():
        return []
    words: dict[str, None] = {}
    for line in read_text_file(path, "glossary").splitlines():
        for word in WORD.findall(line.split("#", 1)[0]):
            words.setdefault(word)
    return list(words)


def add_word(media: Path, word: str) -> bool:
    """Add ``word`` to the project's word list; False when it is there already."""
    path = media / WORD_LIST
    text = read_text_file(path, "glossary") if path.is_file() else ""
    if word in read_words(path):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    write_text(path, text + word + "\n")
    return True


class Speller:
    """Hunspell's Danish dictionary plus the project's own words; ``None`` from :meth:`load`
    when the dictionary or the binding is missing (the studio then says it cannot check)."""

    def __init__(self, checker: Any, accepted: Iterable[str]) -> None:
        self._checker = checker
        self._lock = threading.Lock()  # one Hunspell handle, requests in several threads
        self._known: dict[str, bool] = {}
        self._suggested: dict[str, list[str]] = {}
        self.accept(accepted)

    @classmethod
    def load(cls, accepted: Iterable[str] = ()) -> Speller | None:
        folder = dictionary_dir()
        if folder is None:
            return None
        try:
            import hunspell  # chunspell's module

            checker = hunspell.Hunspell(DICTIONARY, hunspell_data_dir=str(folder))
        except (ImportError, OSError, RuntimeError):
            return None
        return cls(checker, accepted)

    def accept(self, words: Iterable[str]) -> None:
        with self._lock:
            for word in words:
                self._checker.add(word)
                self._known[word] = True

    def correct(self, word: str) -> bool:
        with self._lock:
            known = self._known.get(word)
            if known is None:
                # A capitalised word at a sentence start is the same word in lower case.
                known = bool(self._checker.spell(word)) or (
                    word[:1].isupper() and bool(self._checker.spell(word.lower()))
                )
                self._known[word] = known
            return known

    def suggest(self, word: str) -> list[str]:
        with self._lock:
            if word not in self._suggested:
                found = list(self._checker.suggest(word))[:MAX_SUGGESTIONS]
                self._suggested[word] = found
            return self._suggested[word]

    def misspelled(self, text: str) -> list[str]:
        """The words of ``text`` the dictionary and the project do not know, each once."""
        out: dict[str, None] = {}
        for word in WORD.findall(text):
            if len(word) > 1 and not self.correct(word):
                out.setdefault(word)
        return list(out)
