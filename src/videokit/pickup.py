"""New footage, picked up once its copy has finished.

A scheduled look at the media folder (the ``pickup`` flow) notes each video's size and modification
time. A file is *settled* when a later look finds it unchanged and it has not been written to for
``quiet_ms``: a file still being copied grows, or at least gets a new modification time, with every
chunk, so a half-copied file is never started. Each settled version of a file (its size and time)
is started once; a file copied over again is a new version and is started again.

Pure logic: the flow does the looking, the saving and the starting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

# A network copy can pause for a few seconds between chunks; a pause this long ends it.
DEFAULT_QUIET_MS = 30_000


@dataclass(frozen=True)
class Sighting:
    """One version of one file: what was seen, since when, and whether a run was started for it."""

    size: int
    mtime_ns: int
    since_ms: int  # when this version was first seen
    started: bool = False

    def same_version(self, size: int, mtime_ns: int) -> bool:
        return self.size == size and self.mtime_ns == mtime_ns


@dataclass(frozen=True)
class Watch:
    """What the last look saw, by file name."""

    files: Mapping[str, Sighting] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"files": {k: asdict(v) for k, v in self.files.items()}}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Watch:
        """Inverse of :meth:`to_json`; ``ValueError``/``TypeError``/``KeyError`` on anything else."""
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data["files"], dict):
            raise TypeError("a watch is an object with an object 'files'")
        files = {}
        for name, s in data["files"].items():
            sighting = Sighting(
                size=int(s["size"]),
                mtime_ns=int(s["mtime_ns"]),
                since_ms=int(s["since_ms"]),
                started=bool(s.get("started", False)),
            )
            if not isinstance(name, str) or sighting.size < 0:
                raise ValueError(f"not a sighting: {name!r}")
            files[name] = sighting
        return cls(files)


def look(
    previous: Watch,
    seen: Mapping[str, tuple[int, int]],
    now_ms: int,
    quiet_ms: int = DEFAULT_QUIET_MS,
) -> tuple[Watch, list[str]]:
    """The watch after a look that ``seen`` each file's ``(size, mtime_ns)`` at ``now_ms``, and the
    files to start now (in name order). Files no longer there are forgotten."""
    files: dict[str, Sighting] = {}
    ready: list[str] = []
    for name in sorted(seen):
        size, mtime_ns = seen[name]
        before = previous.files.get(name)
        if before is None or not before.same_version(size, mtime_ns):
            files[name] = Sighting(size, mtime_ns, since_ms=now_ms)
            continue
        quiet = now_ms - before.since_ms >= quiet_ms and now_ms - mtime_ns // 1_000_000 >= quiet_ms
        if quiet and size > 0 and not before.started:
            ready.append(name)
            files[name] = replace(before, started=True)
        else:
            files[name] = before
    return Watch(files), ready


def unstart(watch: Watch, name: str) -> Watch:
    """The watch with ``name`` not started (its start failed: try again at the next look)."""
    if name not in watch.files:
        return watch
    return Watch({**watch.files, name: replace(watch.files[name], started=False)})
