"""File names to URL slugs: lower-case ASCII, Danish letters spelled out, no spaces."""

from __future__ import annotations

import re
import unicodedata

_DANISH = {"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa", "ß": "ss"}


def slugify(name: str) -> str:
    """``"Gør & undlad – Æbler.mp4"`` stem → ``"goer-undlad-aebler"``.

    Invariants: the result matches ``[a-z0-9]+(-[a-z0-9]+)*`` and is never empty ("video" when
    nothing usable is left), so it is safe as a folder name and in a URL.
    """
    text = "".join(_DANISH.get(ch, ch) for ch in name)
    # Decompose accents (é → e + ´) and drop what is not ASCII.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text or "video"
