"""After the draft: the review decision, the quality report, and the preview and site pages.

One function per video, called by the flow once the draft exists. It never raises for an editor's
malformed file: those come back as problems, and the last good version is used.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import publish, quality
from .draft import Captions, Source
from .errors import VideokitError
from .norms import DEFAULT_NORMS, CaptionNorms
from .review import Approval, Outcome, ReviewDesk
from .segment import cues_from_transcript
from .transcript import Transcript
from .workspace import Layout, VideoMeta, VideoRecord


@dataclass(frozen=True)
class VideoOutcome:
    record: VideoRecord
    review: Outcome
    report: dict[str, Any]
    approve_command: str
    published: bool
    problems: tuple[VideokitError, ...] = field(default_factory=tuple)


def approve_command(slug: str, layout: Layout) -> str:
    default = Layout(Path("build"))
    extra = "" if layout.review == default.review else f" --review {layout.review}"
    extra += "" if layout.out == default.out else f" --out {layout.out}"
    return f'videokit approve {slug} --editor "Dit navn"{extra}'


def _upload_date(layout: Layout, slug: str) -> str:
    try:
        return VideoRecord.load(layout.state / f"{slug}.json").upload_date
    except (OSError, ValueError, TypeError, KeyError):
        return dt.date.today().isoformat()


def review_and_publish(
    layout: Layout,
    source: Source,
    meta: VideoMeta,
    draft: Transcript,
    caps: Captions,
    align: Callable[[str], Transcript],
    *,
    manuscript: str | None = None,
    base_url: str | None = None,
    norms: CaptionNorms = DEFAULT_NORMS,
) -> VideoOutcome:
    slug = source.job.slug
    desk = ReviewDesk(layout.review)
    outcome = desk.reconcile(
        slug,
        caps.transcript,
        caps.cues,
        align=align,
        layout_cues=functools.partial(cues_from_transcript, norms=norms),
        manuscript=manuscript,
    )
    approvals = desk.approvals(slug)
    checked_against = approvals[-1].video_sha256 if approvals else ""
    video_changed = bool(checked_against) and checked_against != source.sha256
    if video_changed:
        # Captions approved for other footage are not approved for this one.
        outcome = replace(
            outcome,
            status="in review",
            problems=(
                *outcome.problems,
                VideokitError(
                    "the video changed after its captions were approved; the site keeps the "
                    "approved version",
                    path=source.job.path,
                    stage="review",
                    hint="check the captions against the new video and approve again",
                ),
            ),
        )
    record = VideoRecord(
        slug=slug,
        title=meta.title,
        description=meta.description,
        duration_ms=source.info.duration_ms,
        source=source.job.name,
        source_sha256=source.sha256,
        upload_date=_upload_date(layout, slug),
        cues=len(outcome.cues),
        status=outcome.status,
        approved_by=approvals[-1].editor if approvals else "",
    )
    preview = layout.video_dir(slug, layout.preview)
    publish.write_video(
        preview,
        record,
        outcome.transcript,
        outcome.cues,
        draft,
        reviewed=outcome.status == "approved",
        base_url=base_url,
    )
    removals = caps.removals if outcome.source == "draft" else ()
    report = quality.quality_report(
        outcome.transcript, list(outcome.cues), norms=norms, removals=list(removals)
    )
    report["status"], report["source"] = outcome.status, outcome.source
    report["glossary_fixes"] = (
        [f.to_dict() for f in caps.fixes] if outcome.source == "draft" else []
    )
    publish.write_quality(layout, slug, report)
    command = approve_command(slug, layout)
    publish.write_review_page(
        layout, record, outcome.cues, report, source=outcome.source, approve_command=command
    )
    published = (
        layout.video_dir(slug).is_dir()
        if video_changed
        else _publish(layout, desk, record, outcome, base_url)
    )
    record.save(layout)
    return VideoOutcome(record, outcome, report, command, published, outcome.problems)


def _publish(
    layout: Layout, desk: ReviewDesk, record: VideoRecord, outcome: Outcome, base_url: str | None
) -> bool:
    """The site shows the latest approved version, also while a later correction is in review."""
    if outcome.status == "approved":
        publish.publish_approved(layout, record, outcome.transcript, outcome.cues, base_url)
        return True
    approved = desk.approved_content(record.slug)
    if approved is None:
        publish.unpublish(layout, record.slug)
        return False
    transcript, cues = approved
    publish.publish_approved(layout, record, transcript, cues, base_url)
    return True


def made_from(layout: Layout, slug: str) -> str:
    """The source hash the preview's media were encoded from ('' when unknown)."""
    try:
        return VideoRecord.load(layout.state / f"{slug}.json").source_sha256
    except (OSError, ValueError, TypeError, KeyError):
        return ""


def publish_current(layout: Layout, slug: str, base_url: str | None = None) -> VideoRecord:
    """Publish a just-approved video without a new run: the site and preview pages, the indexes."""
    desk = ReviewDesk(layout.review)
    approved = desk.approved_content(slug)
    state_file = layout.state / f"{slug}.json"
    if approved is None or not state_file.is_file():
        raise VideokitError(
            f"'{slug}' has no approved version to publish",
            path=layout.review,
            stage="publish",
            hint="approve it first",
        )
    transcript, cues = approved
    approval = desk.approvals(slug)[-1]
    record = replace(
        VideoRecord.load(state_file), status="approved", approved_by=approval.editor, cues=len(cues)
    )
    preview = layout.video_dir(slug, layout.preview)
    machine = Transcript.from_json((preview / "transcript.json").read_text(encoding="utf-8"))
    publish.write_video(
        preview, record, transcript, cues, machine, reviewed=True, base_url=base_url
    )
    publish.publish_approved(layout, record, transcript, cues, base_url)
    record.save(layout)
    publish.write_indexes(layout)
    return record


def approve_and_publish(
    layout: Layout, slug: str, editor: str, note: str = "", base_url: str | None = None
) -> tuple[Approval, VideoRecord]:
    """Record an editor's approval of the version in force, and publish it at once."""
    state_file = layout.state / f"{slug}.json"
    video = VideoRecord.load(state_file).source_sha256 if state_file.is_file() else ""
    approval = ReviewDesk(layout.review).approve(slug, editor, note, video_sha256=video)
    return approval, publish_current(layout, slug, base_url)
