"""Drafts and alignments kept between runs, as validated JSON files.

The cache folder may be shared (between output folders, between team members' machines), so what
is read back is data, never code: each entry is a transcript in its JSON form, checked by the
same constructors as any transcript, and an entry that does not read is treated as absent.
"""

from __future__ import annotations

import os
from pathlib import Path

from .files import read_json, write_text
from .transcript import Transcript


def cache_root() -> Path:
    """``VIDEOKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/videokit/results`` (``~/.cache`` default)."""
    explicit = os.environ.get("VIDEOKIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "videokit" / "results"


class TranscriptCache:
    """Transcripts by key (see ``draft.draft_key`` and ``draft.align_key``)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_root()

    def _path(self, key: str) -> Path:
        if not key or not all(c.isalnum() or c in "-_" for c in key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / f"{key}.json"

    def get(self, key: str) -> Transcript | None:
        path = self._path(key)
        try:
            return Transcript.from_dict(read_json(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None  # damaged or foreign: made again, then overwritten

    def put(self, key: str, transcript: Transcript) -> None:
        write_text(self._path(key), transcript.to_json())
