"""Drafts and alignments kept between runs, as validated JSON files.

The cache folder may be shared (between output folders, between team members' machines), so what
is read back is data, never code: each entry is a transcript in its JSON form, checked by the
same constructors as any transcript, and an entry that does not read is treated as absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .files import read_json, write_text
from .transcript import Transcript


def _file_name(key: str) -> str:
    if not key or not all(c.isalnum() or c in "-_" for c in key):
        raise ValueError(f"not a cache key: {key!r}")
    return f"{key}.json"


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
        return self.root / _file_name(key)

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


class StoreCache(TranscriptCache):
    """The same cache in object storage (``VIDEOKIT_CACHE_DIR=s3://bucket/prefix``).

    A draft is written only where none is yet (``If-None-Match``): as in a folder, the first
    draft of a video is the one kept, whichever machine made it.
    """

    def __init__(self, url: str) -> None:
        from .store import ObjectStore

        self.store = ObjectStore(url)
        self.root = Path(url)  # named in messages only

    def get(self, key: str) -> Transcript | None:
        # A store that does not answer raises (it names the store and what to check): drafts
        # made while it cannot be reached could not be kept either.
        found = self.store.read(_file_name(key))
        if found is None:
            return None
        try:
            return Transcript.from_dict(json.loads(found[0]))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None

    def put(self, key: str, transcript: Transcript) -> None:
        from .store import ABSENT, StoreConflict

        name, data = _file_name(key), transcript.to_json().encode()
        try:
            self.store.write(name, data, match=ABSENT)
        except StoreConflict:
            # Another machine's draft of the same video and settings is kept; a damaged entry
            # is replaced, as in a folder.
            if self.get(key) is None:
                self.store.write(name, data)


def open_cache(default: str | None = None) -> TranscriptCache | StoreCache:
    """The draft cache: ``VIDEOKIT_CACHE_DIR`` (a folder or ``s3://…``), else ``default``, else
    the user's cache folder."""
    location = os.environ.get("VIDEOKIT_CACHE_DIR") or default
    if location and location.startswith("s3://"):
        return StoreCache(location)
    return TranscriptCache(Path(location) if location else None)
