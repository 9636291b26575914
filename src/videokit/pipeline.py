"""The story of one video, step by step; the flow runs these steps as tasks.

1. :func:`probe` the file (``draft.probe``) and start :func:`encode_preview` (ffmpeg) beside
   the speech work;
2. the machine draft, from the cache or transcribed (``draft.cached_draft``, with
   :func:`decode_options`);
3. :func:`caption_and_review`: guard and lay out the draft, let the editors' desk decide which text
   is in force (draft, manuscript, an editor's correction, aligned here when it is text), write the
   quality report, the preview and review pages, and keep the site on the approved version;
4. :func:`approve_and_publish` and :func:`withdraw`, when an editor decides;
5. :func:`finish_social` afterwards: the social-media formats of the published version (encodes,
   so never inside the approval).

No step raises for an editor's malformed file: those come back as problems, and the last good
version is used.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import condense_review, freshness, publish, quality, screenreview, social_files
from .asr import DecodeOptions
from .cache import TranscriptCache
from .config import Settings
from .draft import (
    Captions,
    ModelHandle,
    Source,
    audio_energy,
    cached_alignment,
    captions,
    draft_key,
    load_samples,
)
from .errors import VideokitError
from .locks import VIDEO_WAIT_S, index_lock, video_lock
from .norms import DEFAULT_NORMS, CaptionNorms
from .records import RecordDamaged, Records, VideoRecord, machine_draft
from .review import Approval, Outcome, ReviewDesk, Withdrawal
from .segment import cues_from_transcript
from .social import SocialStatus
from .transcript import Transcript
from .workspace import (
    Layout,
    VideoJob,
    VideoMeta,
    glossary_note,
    glossary_prompt,
    read_glossary,
    read_manuscript,
    read_meta,
)


@dataclass(frozen=True)
class VideoOutcome:
    record: VideoRecord
    review: Outcome
    report: dict[str, Any]
    approve_command: str
    published: bool
    problems: tuple[VideokitError, ...] = field(default_factory=tuple)


def encode_preview(source: Source, layout: Layout) -> str:
    """The web video and poster in the preview, made again only when the source changed."""
    folder = layout.video_dir(source.job.slug, layout.preview)
    if publish.media_current(
        folder, source.job.slug, made_from(layout, source.job.slug), source.sha256
    ):
        return "kept"
    publish.write_media(folder, source.job.path, source.job.slug, source.info.duration_ms)
    return "encoded"


def decode_options(job: VideoJob, language: str, settings: Settings) -> DecodeOptions:
    """Whisper's options for one video: the run's language and settings, the video's glossary."""
    return DecodeOptions(
        language=language,
        initial_prompt=glossary_prompt(read_glossary(job)),
        **settings.decoding,
    )


def machine_key(source: Source, model: ModelHandle, settings: Settings, language: str) -> str:
    """The cache key the run's draft of ``source`` is kept under (:func:`draft.cached_draft`
    makes it from the same options), recorded so the studio and approval find the draft."""
    options = decode_options(source.job, language, settings)
    return draft_key(source.audio_id, model.spec, options, model.settings)


def caption_and_review(
    layout: Layout,
    source: Source,
    machine: Transcript,
    model: ModelHandle,
    settings: Settings,
    *,
    base_url: str | None = None,
    cache: TranscriptCache | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> VideoOutcome:
    """From the machine draft to the version in force, its pages and the site (step 3)."""
    meta = read_meta(source.job)
    glossary = read_glossary(source.job)
    samples = load_samples(source)  # decoded once, for the guard and any alignment
    caps = captions(
        machine.with_default_speaker(meta.speaker),
        audio_energy(samples),
        glossary=glossary,
        norms=settings.norms,
    )
    store = cache or TranscriptCache()

    def align(text: str) -> Transcript:
        log(f"{source.job.slug}: aligning corrected text to the audio")
        return cached_alignment(store, source, samples, model, caps.transcript, text)

    out = review_and_publish(
        layout,
        source,
        meta,
        machine,
        caps,
        align=align,
        manuscript=read_manuscript(source.job),
        base_url=base_url,
        norms=settings.norms,
        draft_key=machine_key(source, model, settings, machine.language),
    )
    notes = [*unread_notes(machine), glossary_note(glossary)]
    if not any(notes):
        return out
    kept = tuple(n for n in notes if n)
    return replace(out, review=replace(out.review, notes=(*out.review.notes, *kept)))


def _clock(ms: int) -> str:
    s = ms // 1000
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def unread_notes(machine: Transcript) -> list[str]:
    """What the run says about the stretches the recogniser did not decode (``Transcript.unread``)."""
    quiet = [u for u in machine.unread if u.reason == "no speech"]
    stuck = [u for u in machine.unread if u.reason == "budget"]
    missed = [u for u in machine.unread if u.reason == "left out"]
    notes = []
    if quiet:
        where = ", ".join(f"{_clock(u.start_ms)}–{_clock(u.end_ms)}" for u in quiet)
        notes.append(f"no speech found in {where}; not decoded (check that nothing is said there)")
    if stuck:
        where = ", ".join(f"{_clock(u.start_ms)}–{_clock(u.end_ms)}" for u in stuck)
        notes.append(
            f"the recogniser could not read {where} (it kept re-reading it: noise or music?); "
            "caption what is said there by hand"
        )
    if missed:
        where = ", ".join(f"{_clock(u.start_ms)}–{_clock(u.end_ms)}" for u in missed)
        notes.append(
            f"speech is heard in {where}, but the draft has no text there, even read again; "
            "listen and caption what is said there by hand"
        )
    return notes


def approve_command(slug: str, layout: Layout) -> str:
    """The command that approves ``slug``: run from the project folder, it needs no folders."""
    standard = layout.review == layout.out.parent / "review" and layout.out.name == "build"
    default = Layout(Path("build"))
    if standard or (layout.review == default.review and layout.out == default.out):
        return f'videokit approve {slug} --editor "Dit navn"'
    return (
        f'videokit approve {slug} --editor "Dit navn" --review {layout.review} --out {layout.out}'
    )


def _earlier(layout: Layout, slug: str) -> VideoRecord | None:
    """The video's record from an earlier run; a damaged one is written again by this run."""
    try:
        return Records(layout).get(slug)
    except RecordDamaged:
        return None


def _upload_date(layout: Layout, slug: str) -> str:
    earlier = _earlier(layout, slug)
    return earlier.upload_date if earlier else dt.date.today().isoformat()


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
    draft_key: str = "",
) -> VideoOutcome:
    """The version in force, its pages and the site; ``draft_key`` is the machine draft's key in
    the transcript cache, kept in the video's record."""
    slug = source.job.slug
    desk = ReviewDesk(
        layout.review,
        draft.language,
        align=align,
        layout_cues=functools.partial(cues_from_transcript, norms=norms),
    )
    reconcile = functools.partial(
        desk.reconcile, slug, caps.transcript, caps.cues, manuscript=manuscript
    )
    outcome, condensing = condense_review.settle(desk, slug, reconcile(), norms, reconcile)
    if condensing.open or condensing.stale:
        outcome = replace(outcome, notes=(*outcome.notes, condense_review.note(condensing)))
    # What the picture shows but the speech does not say: flags for the editor to decide.
    screen = screenreview.check(
        layout, source.job.path, source.sha256, source.info.duration_ms, slug, outcome.transcript
    )
    outcome = replace(
        outcome,
        notes=(*outcome.notes, *screen.notes),
        problems=(*outcome.problems, *screen.problems),
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
        language=draft.language,
        draft_key=draft_key,
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
        descriptions=screenreview.published_descriptions(layout.review, slug, outcome.transcript),
    )
    removals = caps.removals if outcome.source == "draft" else ()
    report = quality.quality_report(
        outcome.transcript, list(outcome.cues), norms=norms, removals=list(removals)
    )
    report["within_profile"] = quality.within_profile(
        outcome.transcript, outcome.cues, condensing.accepted, condensing.open, norms
    )
    report["condensing"] = {
        "accepted": [p.to_dict() for p in condensing.accepted],
        "open": [p.to_dict() for p in condensing.open],
        "rejected": len(condensing.rejected),
        "stale": [p.to_dict() for p in condensing.stale],
    }
    report["status"], report["source"] = outcome.status, outcome.source
    report["glossary_fixes"] = (
        [f.to_dict() for f in caps.fixes] if outcome.source == "draft" else []
    )
    report["social"] = social_files.quality_entry(social_files.read_status(layout.social / slug))
    publish.write_quality(layout, slug, report)
    command = approve_command(slug, layout)
    publish.write_review_page(
        layout, record, outcome.cues, report, source=outcome.source, approve_command=command
    )
    notes: list[str] = []
    published = (
        layout.video_dir(slug).is_dir()
        if video_changed
        else _publish(layout, desk, record, outcome, base_url, notes)
    )
    if notes:
        outcome = replace(outcome, notes=(*outcome.notes, *notes))
    Records(layout).save(record)
    return VideoOutcome(record, outcome, report, command, published, outcome.problems)


def _publish(
    layout: Layout,
    desk: ReviewDesk,
    record: VideoRecord,
    outcome: Outcome,
    base_url: str | None,
    notes: list[str],
) -> bool:
    """The site shows the latest approved version, also while a later correction is in review.

    A run never takes a video off the site: without an approval it leaves the site as it is
    (withdrawing is ``videokit unpublish``, an explicit and logged step).
    """
    if outcome.status == "approved":
        publish.publish_approved(layout, record, outcome.transcript, outcome.cues, base_url)
        return True
    if desk.withdrawn(record.slug):
        publish.unpublish(layout, record.slug)  # finish a withdrawal that was interrupted
        return False
    approved = desk.approved_content(record.slug, notes)
    if approved is None:
        return layout.video_dir(record.slug).is_dir()
    transcript, cues = approved
    publish.publish_approved(layout, record, transcript, cues, base_url)
    return True


def made_from(layout: Layout, slug: str) -> str:
    """The source hash the preview's media were encoded from ('' when unknown)."""
    earlier = _earlier(layout, slug)
    return earlier.source_sha256 if earlier else ""


def _record(layout: Layout, slug: str, stage: str) -> VideoRecord:
    """The produced video's record, or why there is none (a damaged one names its file)."""
    records = Records(layout)
    try:
        found = records.get(slug)
    except RecordDamaged as err:
        raise RecordDamaged(err.message, path=err.path, stage=stage, hint=err.hint) from None
    if found is None:
        raise VideokitError(
            f"no produced video '{slug}' in {layout.out}",
            path=records.path(slug),
            stage=stage,
            hint="run 'videokit produce' first; 'videokit status' lists the videos",
        )
    return found


def approve_and_publish(
    layout: Layout,
    slug: str,
    editor: str,
    note: str = "",
    base_url: str | None = None,
    on_wait: Callable[[str], None] | None = None,
    wait_s: float = VIDEO_WAIT_S,
) -> tuple[Approval, VideoRecord]:
    """Approve the version in force and publish it, as one transaction.

    1. checked (edits read, captions inside the video);
    2. built beside the site and the social folder, where nobody sees it;
    3. recorded in the history;
    4. swapped in, site last; if the swap fails, the record is taken back.

    So a failure at any step leaves the site, the history and the zip as they were, and a process
    killed between 3 and 4 leaves the previous published version with an approval on record,
    which the next ``videokit produce`` publishes: never a video on the site without one. A run
    that is producing the same video at that moment is waited for (``on_wait`` hears who it is).

    Nothing is encoded: the social formats (most of what an approval used to cost) are made
    afterwards by :func:`finish_social`, so the approval itself takes seconds.
    """
    with video_lock(layout.out, slug, on_wait=on_wait, wait_s=wait_s), index_lock(layout.out):
        return _approve_and_publish(layout, slug, editor, note, base_url)


def finish_social(
    layout: Layout,
    slug: str,
    settings: Settings | None = None,
    wait_s: float = VIDEO_WAIT_S,
    log: Callable[[str], None] = lambda _m: None,
) -> SocialStatus | None:
    """Make the published version's social formats that are missing or failed, then bring the
    manifest and zip up to date; ``None`` when the video is not published.

    Background work after an approval (the CLI after "published", the studio after its answer,
    a Prefect task in a run). The video's lock is taken only for moments, so an editor can save
    and approve meanwhile; a failed format is recorded and made again by the next call, and
    neither the approval nor the site is touched.
    """
    chosen = settings or Settings()
    with video_lock(layout.out, slug, wait_s=wait_s):
        record = _record(layout, slug, "social")
        approved = ReviewDesk(layout.review, record.language).approved_content(slug)
        if approved is None or not layout.video_dir(slug).is_dir():
            return None
    published = social_files.Published(record, approved[0], tuple(approved[1]))
    before = social_files.read_status(layout.social / slug)
    status = social_files.render(
        layout,
        published,
        chosen.social,
        chosen.norms,
        hold=lambda: video_lock(layout.out, slug, wait_s=wait_s),
        log=log,
    )
    if status is not None and status != before:  # the zip is rewritten only for news
        with index_lock(layout.out):
            publish.write_indexes(layout)
    return status


def _approve_and_publish(
    layout: Layout, slug: str, editor: str, note: str, base_url: str | None
) -> tuple[Approval, VideoRecord]:
    current = _record(layout, slug, "approve")
    fresh = freshness.fresh_before_change(layout, slug)
    desk = ReviewDesk(layout.review, current.language)
    prepared = desk.prepare_approval(slug, editor, note, video_sha256=current.source_sha256)
    screenreview.require_decided(layout.review, slug, current.language)
    approval, transcript, cues = prepared.approval, prepared.transcript, prepared.cues
    record = replace(current, status="approved", approved_by=approval.editor, cues=len(cues))
    preview = layout.video_dir(slug, layout.preview)
    staged = publish.stage_approved(
        layout,
        record,
        transcript,
        cues,
        base_url,
        approved=(approval.editor, approval.time),
    )
    try:
        approval = desk.record_approval(
            prepared, extra=(screenreview.decisions_path(layout.review, slug, current.language),)
        )
    except BaseException:
        publish.discard(staged)
        raise
    try:
        publish.swap_in(layout, staged)
    except BaseException:
        desk.revoke_approval(approval)
        raise
    try:
        machine = machine_draft(layout, record)
        if machine is None:
            raise VideokitError("the machine draft is missing", path=preview)
        publish.write_video(
            preview,
            record,
            transcript,
            cues,
            machine,
            reviewed=True,
            base_url=base_url,
            descriptions=screenreview.published_descriptions(layout.review, slug, transcript),
        )
        Records(layout).save(record)
        publish.write_indexes(layout)
        if fresh is not None:
            # What a run would now write is what was just written: the next run can stop early.
            freshness.carry_over(
                layout,
                fresh,
                status=record.status,
                cues=record.cues,
                output=str(layout.video_dir(slug)),
                approve="",
            )
    except (OSError, ValueError, KeyError, TypeError, VideokitError) as err:
        # Recorded and on the site: approving again would only add a second record.
        raise VideokitError(
            f"approved and published, but the preview or the package could not be updated "
            f"({getattr(err, 'message', None) or err})",
            path=layout.out,
            stage="approve",
            hint="the approval stands; run 'videokit produce' to bring the preview and the zip up "
            "to date",
        ) from None
    return approval, record


def withdraw(
    layout: Layout,
    slug: str,
    editor: str,
    reason: str,
    on_wait: Callable[[str], None] | None = None,
) -> Withdrawal:
    """Take a video off the site and the package, on an editor's explicit, logged request."""
    with video_lock(layout.out, slug, on_wait=on_wait), index_lock(layout.out):
        return _withdraw(layout, slug, editor, reason)


def _withdraw(layout: Layout, slug: str, editor: str, reason: str) -> Withdrawal:
    try:
        language = _record(layout, slug, "unpublish").language
    except VideokitError:
        language = "da"
    desk = ReviewDesk(layout.review, language)
    if not layout.video_dir(slug).is_dir() and not desk.approvals(slug):
        raise VideokitError(
            f"'{slug}' is not published",
            path=layout.site,
            stage="unpublish",
            hint="'videokit status' lists the videos and their state",
        )
    withdrawal = desk.withdraw(slug, editor, reason)
    publish.unpublish(layout, slug)
    try:
        record = replace(_record(layout, slug, "unpublish"), status="in review", approved_by="")
        Records(layout).save(record)
    except VideokitError:
        pass  # a video whose file is gone has no record to update; the site is what matters
    publish.write_indexes(layout)
    return withdrawal
