"""What is shown on screen, and whether it is also said (WCAG 1.2.3 / 1.2.5).

A viewer who cannot see the picture gets a name super, a title card or a web address only if the
speaker says it, or if an audio description does. This module holds the on-screen texts that
``onscreen`` reads, sorts them into kinds, and compares each with the aligned transcript around
its time: normalised, fuzzy enough for OCR errors, and with Danish number words read as digits
("tre og tredive halvfjerds" is "33 70"). What is not said becomes a :class:`Flag` for an editor.
Pure: no files, no processes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from .transcript import Transcript

KINDS = ("name", "title", "slide", "url", "email", "phone", "other")
KIND_LABELS_DA = {
    "name": "navn og titel",
    "title": "titel",
    "slide": "liste eller slide",
    "url": "webadresse",
    "email": "e-mailadresse",
    "phone": "telefonnummer",
    "other": "tekst",
}
# How far around a text's time its words may be said: a speaker often names the address a little
# before or after it appears.
SAID_WINDOW_MS = 10_000
WORD_MATCH = 0.75  # one OCR'd word against one spoken word (OCR mistakes, inflections)
SAID_COVERAGE = 0.7  # the share of a text's words that must be said


@dataclass(frozen=True)
class ScreenText:
    """One text on screen from ``start_ms`` to ``end_ms``; ``top`` is where it starts, as a
    fraction of the picture's height (0 = top edge), for telling a lower-third super."""

    start_ms: int
    end_ms: int
    text: str
    top: float = 0.5
    confidence: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.start_ms, int) or not isinstance(self.end_ms, int):
            raise TypeError("on-screen text times are integer milliseconds")
        if self.start_ms < 0 or self.end_ms < self.start_ms:
            raise ValueError(
                f"on-screen text has an impossible span {self.start_ms}..{self.end_ms}"
            )
        if not self.text.strip():
            raise ValueError("on-screen text is empty")

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line for line in self.text.splitlines() if line.strip())

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: Any) -> ScreenText:
        if not isinstance(d, dict):
            raise ValueError("an on-screen text is a JSON object")
        return cls(
            int(d["start_ms"]),
            int(d["end_ms"]),
            str(d["text"]),
            float(d.get("top", 0.5)),
            float(d.get("confidence", 0.0)),
        )


# -- kinds -----------------------------------------------------------------------------------------

_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:dk|com|org|net|eu|nu|info|gov|io)\b(?:/\S*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+45[\s-]?)?\b\d{2}(?:[\s-]?\d{2}){3}\b")
_BULLET = re.compile(r"^\s*(?:[-•*·▪–]|\d+[.)])\s+")
_NAME_WORD = re.compile(r"^[A-ZÆØÅ][\w'’-]*\.?$")


def kind_of(item: ScreenText, first_shown: bool = False) -> str:
    """The kind of an on-screen text: what it is decides how an editor is likely to describe it."""
    text = item.text
    if _EMAIL.search(text):
        return "email"
    if _URL.search(text):
        return "url"
    if _PHONE.search(text):
        return "phone"
    lines = item.lines
    if len(lines) >= 3 or sum(bool(_BULLET.match(line)) for line in lines) >= 2:
        return "slide"
    first = lines[0].split() if lines else []
    if (
        2 <= len(lines) <= 3
        and 2 <= len(first) <= 4
        and all(_NAME_WORD.match(w) for w in first)
        and item.top >= 0.55
    ):
        return "name"
    if first_shown or 0.3 <= item.top <= 0.6:
        return "title"
    return "other"


# -- comparing with what is said -------------------------------------------------------------------

_UNITS = {
    "nul": 0, "en": 1, "et": 1, "én": 1, "ét": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
    "seks": 6, "syv": 7, "otte": 8, "ni": 9,
}  # fmt: skip
_TEENS = {
    "ti": 10, "elleve": 11, "tolv": 12, "tretten": 13, "fjorten": 14, "femten": 15,
    "seksten": 16, "sytten": 17, "atten": 18, "nitten": 19,
}  # fmt: skip
_TENS = {
    "tyve": 20, "tredive": 30, "tredieve": 30, "fyrre": 40, "fyrretyve": 40, "halvtreds": 50,
    "halvtredsindstyve": 50, "tres": 60, "tresindstyve": 60, "halvfjerds": 70,
    "halvfjerdsindstyve": 70, "firs": 80, "firsindstyve": 80, "halvfems": 90,
    "halvfemsindstyve": 90,
}  # fmt: skip
_COMPOUND = re.compile(rf"^({'|'.join(_UNITS)})og({'|'.join(_TENS)})$")
# Words an address is read out with, and parts of it nobody says.
_SPOKEN_PUNCTUATION = {"punktum", "prik", "dot", "skråstreg", "slash", "snabela", "snabel", "a"}
_UNSAID_PARTS = {"www", "http", "https", "tlf", "tel", "telefon", "mail", "email", "e"}


def _fold(text: str) -> str:
    """Lower case without accents other than æ, ø and å, which are letters of their own."""
    text = text.lower().replace("é", "e").replace("ü", "u").replace("ö", "ø").replace("ä", "æ")
    return unicodedata.normalize("NFC", text)


def tokens(text: str) -> list[str]:
    """Words and digit groups of ``text``, folded; punctuation and address dots split words."""
    return re.findall(r"[a-zæøå]+|\d+", _fold(text))


def spoken_tokens(words: Sequence[str]) -> list[str]:
    """Spoken words with Danish number words turned into digits: "tre og tredive" -> "33",
    "halvfjerds" -> "70", "syvogfyrre" -> "47"; other words as :func:`tokens` gives them."""
    flat = [t for w in words for t in tokens(w)]
    out: list[str] = []
    k = 0
    while k < len(flat):
        word = flat[k]
        compound = _COMPOUND.match(word)
        if compound:
            out.append(str(_UNITS[compound[1]] + _TENS[compound[2]]))
        elif word in _UNITS and k + 2 < len(flat) and flat[k + 1] == "og" and flat[k + 2] in _TENS:
            out.append(str(_UNITS[word] + _TENS[flat[k + 2]]))
            k += 2
        elif word in _TENS:
            out.append(str(_TENS[word]))
        elif word in _TEENS:
            out.append(str(_TEENS[word]))
        elif word in _UNITS and word not in ("en", "et", "to"):
            out.append(str(_UNITS[word]))
        elif word in ("en", "et", "to") and k + 1 < len(flat) and flat[k + 1].isdigit():
            out.append(str(_UNITS[word]))  # "to" before a number is a digit, elsewhere a word
        else:
            out.append(word)
        k += 1
    return out


def said_share(shown: str, spoken: Sequence[str]) -> float:
    """How much of ``shown`` is in ``spoken`` (0–1): digits must appear in order as one run
    (a phone number read in pairs), words each need a close spoken match."""
    heard = spoken_tokens(spoken)
    words = [t for t in tokens(shown) if t not in _UNSAID_PARTS and not t.isdigit()]
    digits = "".join(t for t in tokens(shown) if t.isdigit())
    heard_words = [t for t in heard if not t.isdigit() and t not in _SPOKEN_PUNCTUATION]
    scores: list[float] = []
    if digits:
        scores.append(1.0 if digits in "".join(t for t in heard if t.isdigit()) else 0.0)
    for word in words:
        if len(word) < 2:
            continue
        best = max((SequenceMatcher(None, word, h).ratio() for h in heard_words), default=0.0)
        scores.append(1.0 if best >= WORD_MATCH else 0.0)
    return sum(scores) / len(scores) if scores else 1.0


def spoken_near(transcript: Transcript, start_ms: int, end_ms: int, window_ms: int) -> list[str]:
    """The words said from ``window_ms`` before ``start_ms`` to ``window_ms`` after ``end_ms``;
    a segment without word times counts as a whole."""
    lo, hi = start_ms - window_ms, end_ms + window_ms
    out: list[str] = []
    for segment in transcript.segments:
        if segment.end_ms < lo or segment.start_ms > hi:
            continue
        if segment.words:
            out.extend(w.text for w in segment.words if w.end_ms >= lo and w.start_ms <= hi)
        else:
            out.append(segment.text)
    return out


# -- flags -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """An on-screen text that the speech does not give: someone must decide what to do with it."""

    id: str
    start_ms: int
    end_ms: int
    kind: str
    text: str
    said: float  # the share of it that is said (below SAID_COVERAGE, or it would not be a flag)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: Any) -> Flag:
        if not isinstance(d, dict) or d.get("kind") not in KINDS:
            raise ValueError("not an on-screen text flag")
        return cls(
            str(d["id"]),
            int(d["start_ms"]),
            int(d["end_ms"]),
            str(d["kind"]),
            str(d["text"]),
            float(d["said"]),
        )


def flag_id(kind: str, text: str) -> str:
    """Stable across readings of the same text, so an editor's decision stays with its flag."""
    key = kind + ":" + " ".join(tokens(text))
    return "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def unsaid(
    shown: Sequence[ScreenText], transcript: Transcript, window_ms: int = SAID_WINDOW_MS
) -> list[Flag]:
    """A flag for each text on screen that is not said around its time, in time order.

    The same text shown again later is one flag (its first showing): one decision covers it.
    """
    flags: dict[str, Flag] = {}
    first = min((s.start_ms for s in shown), default=0)
    for item in sorted(shown, key=lambda s: s.start_ms):
        share = said_share(
            item.text, spoken_near(transcript, item.start_ms, item.end_ms, window_ms)
        )
        if share >= SAID_COVERAGE:
            continue
        kind = kind_of(item, first_shown=item.start_ms == first)
        key = flag_id(kind, item.text)
        if key not in flags:
            flags[key] = Flag(key, item.start_ms, item.end_ms, kind, item.text, round(share, 2))
    return list(flags.values())


def suggested_description(flag: Flag) -> str:
    """The description an editor starts from: "Skærmtekst (navn og titel): Mette Hansen, …"."""
    body = ", ".join(line.strip() for line in flag.text.splitlines() if line.strip())
    return f"Skærmtekst ({KIND_LABELS_DA[flag.kind]}): {body}"
