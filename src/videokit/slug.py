"""File names to URL slugs: lower-case ASCII, Danish letters spelled out, no spaces."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# File names are made of the slug and a suffix or two; 80 leaves room under every file system's
# 255-byte limit, temporary-file prefixes included.
MAX_SLUG = 80

_DANISH = {"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa", "ß": "ss"}


def slugify(name: str) -> str:
    """``"Gør & undlad – Æbler.mp4"`` stem → ``"goer-undlad-aebler"``.

    Invariants: the result matches ``[a-z0-9]+(-[a-z0-9]+)*``, is never empty ("video" when
    nothing usable is left) and never longer than :data:`MAX_SLUG` characters, so it is safe as a
    folder name, inside longer file names, and in a URL. The name is NFC-normalised first, so the
    macOS (decomposed) and Windows (composed) spellings of one name give one slug.
    """
    name = unicodedata.normalize("NFC", name)
    text = "".join(_DANISH.get(ch, ch) for ch in name)
    # Decompose accents (é → e + ´) and drop what is not ASCII.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(text) > MAX_SLUG:
        # Cut at a word, and keep two long names that share a beginning apart.
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        text = text[: MAX_SLUG - 9].rstrip("-").rsplit("-", 1)[0] + "-" + digest
    return text or "video"
