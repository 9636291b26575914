"""What the studio's timeline draws under the video: the waveform, the speech and the shots.

Computed once per video (keyed by the source's checksum) from the preview encoding with ffmpeg and
kept in ``out/studio/timeline/``: the peak level of every 20 ms (the frames the decoding windows
are cut on), the stretches decoding hears as speech (:data:`videokit.speech.TIMELINE`; cue
edges snap to their starts and ends), and the shot changes ffmpeg's scene score finds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import speech
from .errors import MediaError
from .files import read_json, write_json
from .media import load_audio, shot_changes
from .speech import TIMELINE
from .studiostore import studio_dir

FRAME_MS = TIMELINE.frame
FLOOR_DB = -60.0  # drawn as silence: quieter than any room a recording is made in


@dataclass(frozen=True)
class Timeline:
    key: str
    frame_ms: int
    peaks: tuple[int, ...]  # 0..100 per frame: level above FLOOR_DB, as a share of it
    speech: tuple[tuple[int, int], ...]  # ms
    shots: tuple[int, ...]  # ms

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "frame_ms": self.frame_ms,
            "peaks": list(self.peaks),
            "speech": [list(s) for s in self.speech],
            "shots": list(self.shots),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timeline:
        return cls(
            str(data["key"]),
            int(data["frame_ms"]),
            tuple(int(p) for p in data["peaks"]),
            tuple((int(a), int(b)) for a, b in data["speech"]),
            tuple(int(t) for t in data["shots"]),
        )


def heights(levels: list[float]) -> list[int]:
    """dBFS levels as 0..100 bar heights (silence 0, full scale 100)."""
    return [
        0 if not math.isfinite(v) else max(0, min(100, round(100 * (1 - v / FLOOR_DB))))
        for v in levels
    ]


def compute(video: Path, key: str) -> Timeline:
    samples = load_audio(video)
    levels = speech.levels(samples, TIMELINE).tolist()
    spans = speech.stretches(speech.voiced(levels, TIMELINE), TIMELINE)
    try:
        shots = shot_changes(video)
    except MediaError:
        shots = []  # the waveform and speech still serve; shots are a help, not a need
    return Timeline(
        key,
        FRAME_MS,
        tuple(heights(levels)),
        tuple(spans),
        tuple(shots),
    )


def timeline(out: Path, slug: str, video: Path, key: str) -> Timeline:
    """The video's timeline, from the cache when it was made for this source."""
    path = studio_dir(out) / "timeline" / f"{slug}.json"
    try:
        kept = Timeline.from_dict(read_json(path))
        if kept.key == key:
            return kept
    except (OSError, ValueError, TypeError, KeyError):
        pass
    made = compute(video, key)
    write_json(path, made.to_dict(), indent=None)
    return made
