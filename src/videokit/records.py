"""What is kept of each video between runs: one record per video, ``state/<slug>.json`` in the
output folder, and the one store every reader and writer of it goes through.

A record that is missing is no video yet; one that does not read is :class:`RecordDamaged`,
naming its file. Who can write it again (a run) treats a damaged record as absent; who needs it
(approving, making the social formats) says so.

The record names the machine draft its captions were made from by its key in the transcript
cache (``draft_key``), so the studio and approval find the draft there instead of reading build
output back. Records written before the key was kept, or a cache that no longer holds the entry,
fall back to the preview's ``transcript.json``, which holds the same draft.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .cache import TranscriptCache, open_cache
from .errors import VideokitError
from .files import read_json, write_json
from .naming import file_names
from .transcript import Transcript
from .workspace import Layout

# What :func:`videokit.slug.slugify` makes: other files in the state folder are not records.
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class VideoRecord:
    """What the index pages and manifest need to know of a video, kept between runs."""

    slug: str
    title: str
    description: str
    duration_ms: int
    source: str
    source_sha256: str
    upload_date: str
    cues: int
    status: str = "draft"
    approved_by: str = ""
    language: str = "da"  # the spoken language: names the caption files and labels the track
    draft_key: str = ""  # the machine draft's key in the transcript cache ("" in old records)

    @property
    def reviewed(self) -> bool:
        return self.status == "approved"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> VideoRecord:
        """A record as written, or ``ValueError`` saying what is wrong with it."""
        if not isinstance(data, dict):
            raise ValueError("a video record is a JSON object")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown fields {', '.join(map(repr, unknown))}")
        for name, value in data.items():
            kind = int if known[name].type == "int" else str
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{name!r} is not {'a whole number' if kind is int else 'text'}")
        try:
            return cls(**data)
        except TypeError:
            missing = [n for n, f in known.items() if n not in data and f.default is MISSING]
            raise ValueError(f"missing fields {', '.join(map(repr, missing))}") from None


class RecordDamaged(VideokitError):
    """A video's record that does not read: written by another version, or damaged."""

    stage = "state"


class Records:
    """The records of one output folder."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def path(self, slug: str) -> Path:
        return self.layout.record_file(slug)

    def get(self, slug: str) -> VideoRecord | None:
        """The record of ``slug``; ``None`` when there is none (or ``slug`` is no slug)."""
        if not _SLUG.fullmatch(slug):
            return None
        path = self.path(slug)
        try:
            return VideoRecord.from_dict(read_json(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RecursionError) as err:
            raise RecordDamaged(
                f"the video's record does not read ({getattr(err, 'strerror', None) or err})",
                path=path,
                hint=f"run 'videokit produce' to write it again for '{slug}'",
            ) from None

    def save(self, record: VideoRecord) -> None:
        write_json(self.path(record.slug), record.to_dict())

    def all(self) -> list[VideoRecord]:
        """Every record that reads, by slug; a damaged one is left out until its video's next run
        writes it again."""
        found = []
        if not self.layout.state.is_dir():
            return []
        for path in sorted(self.layout.state.glob("*.json")):
            try:
                record = self.get(path.stem)
            except RecordDamaged:
                continue
            if record is not None:
                found.append(record)
        return found

    def listed(self, root: Path) -> list[VideoRecord]:
        """Records of videos with a page under ``root``, so earlier runs' videos stay listed."""
        return [r for r in self.all() if (root / r.slug / "index.html").is_file()]


def machine_draft(
    layout: Layout, record: VideoRecord, cache: TranscriptCache | None = None
) -> Transcript | None:
    """The machine draft the record's captions were made from; ``None`` when it is gone."""
    if record.draft_key:
        try:
            found = (cache or open_cache()).get(record.draft_key)
        except (VideokitError, ValueError):
            found = None  # a store that does not answer, a key from elsewhere: the preview has it
        if found is not None:
            return found
    preview = layout.video_dir(record.slug, layout.preview)
    path = preview / file_names(record.slug, record.language)["transcript"]
    try:
        return Transcript.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
