"""The run summary: one row per video, readable by the person who started the run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class VideoResult:
    source: str
    slug: str
    ok: bool
    duration_ms: int = 0
    cues: int = 0
    output: str = ""
    transcribed: str = ""  # "new" | "cached" | ""
    seconds: float = 0.0
    stage: str = ""
    reason: str = ""
    hint: str = ""
    quality: str = ""

    @property
    def status(self) -> str:
        return "ok" if self.ok else "FAILED"


def _duration(ms: int) -> str:
    s = round(ms / 1000)
    return f"{s // 60}:{s % 60:02d}" if ms else "-"


def format_table(results: Sequence[VideoResult]) -> str:
    header = ("video", "status", "length", "cues", "draft", "time", "output / reason")
    rows = [
        (
            r.source, r.status, _duration(r.duration_ms), str(r.cues) if r.ok else "-",
            r.transcribed or "-", f"{r.seconds:.1f}s",
            r.output if r.ok else f"[{r.stage}] {r.reason}" + (f" — {r.hint}" if r.hint else ""),
        )
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header[:-1])]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)) + "  " + cells[-1]
    out = [line(header), line(["-" * w for w in widths] + ["-" * 15])]
    out += [line(row) for row in rows]
    quality = [f"  {r.source}: {r.quality}" for r in results if r.ok and r.quality]
    if quality:
        out += ["", "caption quality:", *quality]
    failed = sum(not r.ok for r in results)
    cached = sum(r.transcribed == "cached" for r in results)
    out += ["", f"{len(results)} videos: {len(results) - failed} ok, {failed} failed; "
                f"{cached} drafts reused from the cache (not transcribed again)"]
    return "\n".join(out)
