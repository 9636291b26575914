"""The run summary: one row per video, readable by the person who started the run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


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
    status: str = ""  # "draft" | "in review" | "approved"
    source_text: str = ""  # which text is in force: draft, manuscript, srt, txt
    approve: str = ""  # the command that approves this video
    warnings: tuple[str, ...] = ()
    social: str = ""  # the social formats of a published video: "16:9 ready, 9:16 failed"


def _duration(ms: int) -> str:
    s = round(ms / 1000)
    return f"{s // 60}:{s % 60:02d}" if ms else "-"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(header[:-1])
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + "  " + cells[-1]

    return [line(header), line(["-" * w for w in widths] + ["-" * 15]), *map(line, rows)]


COLUMNS = ("video", "result", "review", "length", "cues", "draft", "time", "output / reason")


def table_rows(results: Sequence[VideoResult]) -> list[tuple[str, ...]]:
    """One row of :data:`COLUMNS` per video, for the log and for the Prefect UI's table."""
    return [
        (
            r.source,
            "ok" if r.ok else "FAILED",
            r.status or "-",
            _duration(r.duration_ms),
            str(r.cues) if r.ok else "-",
            r.transcribed or "-",
            f"{r.seconds:.1f}s",
            r.output if r.ok else f"[{r.stage}] {r.reason}" + (f" — {r.hint}" if r.hint else ""),
        )
        for r in results
    ]


def to_dict(result: VideoResult) -> dict[str, Any]:
    return asdict(result)


def from_dict(data: dict[str, Any]) -> VideoResult:
    """The inverse of :func:`to_dict`; raises ``TypeError``/``ValueError`` for anything else."""
    if not isinstance(data, dict):
        raise TypeError(f"a video result is an object, not {type(data).__name__}")
    fields = dict(data)
    fields["warnings"] = tuple(str(w) for w in fields.get("warnings", ()))
    result = VideoResult(**fields)
    if not isinstance(result.ok, bool) or not isinstance(result.source, str):
        raise ValueError("not a video result")
    return result


def format_table(results: Sequence[VideoResult]) -> str:
    rows = table_rows(results)
    header = COLUMNS
    out = _table(header, rows)
    quality = [f"  {r.source}: {r.quality}" for r in results if r.ok and r.quality]
    if quality:
        out += ["", "caption quality (details: build/quality/, build/review/):", *quality]
    social = [f"  {r.source}: {r.social}" for r in results if r.ok and r.social]
    if social:
        out += [
            "",
            "social media files (build/social/; 'videokit status' shows progress):",
            *social,
        ]
    warnings = [f"  {r.source}: {w}" for r in results for w in r.warnings]
    if warnings:
        out += ["", "needs attention:", *warnings]
    waiting = [r for r in results if r.ok and r.status != "approved"]
    if waiting:
        out += [
            "",
            "waiting for review (check the review page, correct review/<slug>.da.srt or "
            ".txt, then approve):",
        ]
        out += [f"  {r.approve}" for r in waiting]
    failed = sum(not r.ok for r in results)
    cached = sum(r.transcribed == "cached" for r in results)
    approved = sum(r.status == "approved" for r in results)
    out += [
        "",
        f"{len(results)} videos: {len(results) - failed} ok, {failed} failed, "
        f"{approved} approved; {cached} drafts reused from the cache "
        f"(not transcribed again)",
    ]
    return "\n".join(out)
