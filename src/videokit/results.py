"""A video's row in the run summary (:class:`~videokit.report.VideoResult`), built in one place
for each way a video's run can end: produced, refused, broken by a bug, or lost with its worker."""

from __future__ import annotations

import time

from . import quality
from .errors import VideokitError
from .pipeline import VideoOutcome
from .report import VideoResult
from .workspace import Layout, VideoJob


def _since(started: float | None) -> float:
    return time.monotonic() - started if started is not None else 0.0


def failed(name: str, slug: str, err: VideokitError, started: float | None = None) -> VideoResult:
    """A video that could not be produced, with the error's stage, message and what to do."""
    return VideoResult(
        name,
        slug,
        False,
        stage=err.stage,
        reason=err.message,
        hint=err.hint,
        seconds=_since(started),
    )


def broken(job: VideoJob, err: BaseException, started: float) -> VideoResult:
    """A video whose run hit a bug (not a bad input): the log above it holds the traceback."""
    return VideoResult(
        job.name,
        job.slug,
        False,
        stage="internal",
        reason=repr(err),
        hint="please report this with the log above",
        seconds=_since(started),
    )


def lost(job: VideoJob, reason: str) -> VideoResult:
    """A video another run was to produce, which gave no result for it (``reason`` says how)."""
    return VideoResult(
        job.name,
        job.slug,
        False,
        stage="worker",
        reason=reason,
        hint="see that run's log in the Prefect UI; run again: what was done is reused",
    )


def produced(
    job: VideoJob,
    layout: Layout,
    out: VideoOutcome,
    *,
    duration_ms: int,
    cached: bool,
    started: float,
) -> VideoResult:
    """A video the pipeline went through; failed only when the editors' desk refused its text."""
    refused = out.problems[0] if out.review.refused and out.problems else None
    return VideoResult(
        job.name,
        job.slug,
        refused is None,
        stage=refused.stage if refused else "",
        reason=(
            f"{refused.path.name if refused.path else ''}: {refused.message}" if refused else ""
        ),
        hint=(refused.hint or "fix the file and run again; the last good version is shown")
        if refused
        else "",
        duration_ms=duration_ms,
        cues=out.record.cues,
        output=str(layout.video_dir(job.slug, layout.site if out.published else layout.preview)),
        transcribed="cached" if cached else "new",
        seconds=_since(started),
        quality=quality.summary_line(out.report),
        status=out.record.status,
        source_text=out.review.source,
        approve=out.approve_command,
        warnings=tuple(str(p) for p in out.problems) + out.review.notes,
    )
