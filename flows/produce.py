"""The production flow: videos in; captions, transcript pages and a website package out.

For each video: probe it, start the web encode, transcribe it (or take the draft from the cache),
guard and lay out the captions, let the editors' desk decide which version is in force (the draft,
the manuscript, or an editor's correction), write the preview and, once approved, the site. Then the
indexes, manifest and zip. A video that fails is reported and skipped; the others go on, and the run
fails at the end if any video failed.

Against a Prefect server, ``wait_for_approval=True`` pauses the run for each video that waits for
approval; resume it from the Prefect UI with the editor's name to approve and publish it.

Run it with ``videokit produce`` (see ``videokit --help``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from videokit import draft, freshness, pipeline, publish, quality
from videokit.asr import DecodeOptions
from videokit.cache import TranscriptCache
from videokit.config import Settings, load_settings
from videokit.errors import VideokitError
from videokit.files import remove_partials
from videokit.report import VideoResult, format_table
from videokit.transcript import Transcript
from videokit.workspace import (
    Layout,
    Project,
    VideoJob,
    check_review_folder,
    find_videos,
    project_lock,
    published_without_source,
)


class Approval(RunInput):
    """What an editor enters in the Prefect UI to approve a paused video."""

    approve: bool = True
    editor: str
    note: str = ""


class _ExpectedFailuresInOneLine(logging.Filter):
    """A VideokitError is an expected failure whose message names the file, the stage and what to
    do: Prefect logs it without the traceback. A bug keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], VideokitError):
            record.exc_info = None
            record.exc_text = None
        return True


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(_name).addFilter(_ExpectedFailuresInOneLine())


def _unexpected_only(_task: Any, _run: Any, state: Any) -> bool:
    """Retry what might pass next time (a crash, a full disk), never a bad input file."""
    return not isinstance(state.data, VideokitError)


_retry: dict[str, Any] = dict(retries=1, retry_delay_seconds=2, retry_condition_fn=_unexpected_only)


@task(name="probe", cache_policy=NONE, **_retry)
def probe(job: VideoJob) -> draft.Source:
    return draft.probe(job)


@task(name="encode web video", cache_policy=NONE, **_retry)
def encode_web(source: draft.Source, layout: Layout) -> str:
    return pipeline.encode_preview(source, layout)


# Drafts and alignments are kept as validated JSON in videokit's own cache (not pickles in
# Prefect's result storage), keyed on content, so they outlive the build folder and are shared
# between output folders: the same video is never transcribed twice.
@task(name="transcribe", cache_policy=NONE, **_retry)
def transcribe(
    source: draft.Source, model: draft.ModelHandle, options: DecodeOptions, label: str
) -> tuple[Transcript, bool]:
    log = get_run_logger()
    progress = _progress_logger(log.info, label)

    def announce(fraction: float) -> None:
        if fraction == 0.0:
            log.info(
                "%s: transcribing %.0f s of audio with Whisper %s",
                label,
                source.info.duration_ms / 1000,
                model.ref,
            )
        progress(fraction)

    return draft.cached_draft(TranscriptCache(), source, model, options, progress=announce)


def _progress_logger(emit: Callable[..., None], label: str) -> Callable[[float], None]:
    last = [-1]

    def report(fraction: float) -> None:
        step = int(fraction * 10)  # every 10 %, not every 30-second window
        if step > last[0]:
            last[0] = step
            emit("%s: transcribing %d%%", label, step * 10)

    return report


@task(name="review and publish", cache_policy=NONE, **_retry)
def review_and_publish(
    source: draft.Source,
    transcript: Transcript,
    model: draft.ModelHandle,
    layout: Layout,
    base_url: str | None,
    settings: Settings,
) -> pipeline.VideoOutcome:
    return pipeline.caption_and_review(
        layout, source, transcript, model, settings, base_url=base_url, log=get_run_logger().info
    )


@task(name="site index, manifest and zip", cache_policy=NONE)
def write_indexes(layout: Layout) -> int:
    published, files = publish.write_indexes(layout)
    get_run_logger().info(
        "site: %d approved videos, %d files in %s", len(published), files, layout.zip
    )
    return len(published)


def _produce_one(
    job: VideoJob,
    label: str,
    model: draft.ModelHandle,
    language: str,
    layout: Layout,
    base_url: str | None,
    settings: Settings,
) -> VideoResult:
    log = get_run_logger()
    started = time.monotonic()
    try:
        log.info("%s: probing %s", label, job.name)
        source = probe(job)
        encoding = encode_web.submit(source, layout)  # ffmpeg runs while Whisper does
        options = pipeline.decode_options(job, language, settings)
        transcript, cached = transcribe(source, model, options, label)
        if cached:
            log.info("%s: draft unchanged, taken from the cache (not transcribed again)", label)
        encoding.result()  # the pages link the web video, so it must exist first
        out = review_and_publish(source, transcript, model, layout, base_url, settings)
    except VideokitError as err:
        log.error("%s: %s", label, err)
        return VideoResult(
            job.name,
            job.slug,
            False,
            stage=err.stage,
            reason=err.message,
            hint=err.hint,
            seconds=time.monotonic() - started,
        )
    except Exception as err:  # a bug must not stop the other videos either
        log.exception("%s: unexpected error", label)
        return VideoResult(
            job.name,
            job.slug,
            False,
            stage="internal",
            reason=repr(err),
            hint="please report this with the log above",
            seconds=time.monotonic() - started,
        )
    for problem in out.problems:
        log.warning("%s: %s", label, problem)
    for note in out.review.notes:
        log.warning("%s: %s", label, note)
    log.info("%s: done (%s)", label, out.record.status)
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
        duration_ms=source.info.duration_ms,
        cues=out.record.cues,
        output=str(layout.video_dir(job.slug, layout.site if out.published else layout.preview)),
        transcribed="cached" if cached else "new",
        seconds=time.monotonic() - started,
        quality=quality.summary_line(out.report),
        status=out.record.status,
        source_text=out.review.source,
        approve=out.approve_command,
        warnings=tuple(str(p) for p in out.problems) + out.review.notes,
    )


def _wait_for_approvals(
    results: list[VideoResult], layout: Layout, timeout_s: int, base_url: str | None
) -> None:
    log = get_run_logger()
    for r in results:
        if not r.ok or r.status == "approved":
            continue
        log.info(
            "%s waits for approval: check build/review/%s.html, then resume this run in the "
            "Prefect UI with your name",
            r.slug,
            r.slug,
        )
        answer = pause_flow_run(
            wait_for_input=Approval.with_initial_data(
                description=f"Approve the captions of **{r.slug}**?", editor=""
            ),
            timeout=timeout_s,
        )
        if answer.approve:
            approval, _ = pipeline.approve_and_publish(
                layout, r.slug, answer.editor, answer.note, base_url
            )
            log.info("%s approved by %s and published", r.slug, approval.editor)


@flow(name="produce", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def produce(
    media_dir: str | None = None,
    out_dir: str | None = None,
    model: str | None = None,
    language: str = "da",
    paths: list[str] | None = None,
    review_dir: str | None = None,
    base_url: str | None = None,
    wait_for_approval: bool = False,
    approval_timeout_s: int = 24 * 3600,
    config_file: str | None = None,
    project_dir: str | None = None,
) -> Any:
    """Caption, review-gate and package every video in the project (or just ``paths``).

    Folders not given come from the project (``project_dir``, else the one around ``media_dir`` or
    the working folder). Returns every video's result; a run in which a video failed ends in a
    Failed state that carries the same results.
    """
    log = get_run_logger()
    project = Project.locate(
        Path(project_dir) if project_dir else None,
        media=Path(media_dir) if media_dir else None,
        review=Path(review_dir) if review_dir else None,
        out=Path(out_dir) if out_dir else None,
        config=Path(config_file) if config_file else None,
    )
    layout = Layout(project.out, project.review)
    try:
        check_review_folder(layout)
        with project_lock(layout.out):
            results = _produce_all(
                project,
                layout,
                paths,
                model,
                language,
                base_url,
                wait_for_approval,
                approval_timeout_s,
            )
    except VideokitError as err:
        # An expected failure of the whole run: one line, no traceback.
        log.error("%s", err)
        results = [
            VideoResult(
                str(err.path or ""), "", False, stage=err.stage, reason=err.message, hint=err.hint
            )
        ]
    log.info("summary\n%s", format_table(results))
    failed = sum(not r.ok for r in results)
    if failed:
        return Failed(message=f"{failed} of {len(results)} videos failed", data=results)
    return results


def _produce_all(
    project: Project,
    layout: Layout,
    paths: list[str] | None,
    model: str | None,
    language: str,
    base_url: str | None,
    wait_for_approval: bool,
    approval_timeout_s: int,
) -> list[VideoResult]:
    log = get_run_logger()
    left = remove_partials(layout.out) + remove_partials(layout.review)
    if left:
        log.info("removed %d unfinished files an interrupted run left behind", left)
    jobs, problems = find_videos([Path(p) for p in paths] if paths else [project.media])
    results = [
        VideoResult(
            str(e.path.name if e.path else "?"),
            "",
            False,
            stage=e.stage,
            reason=e.message,
            hint=e.hint,
        )
        for e in problems
    ]
    log.info("%d videos to produce into %s", len(jobs), layout.out)
    if not paths:
        gone = published_without_source(layout, jobs)
        if gone:
            log.warning(
                "still on the site, but no longer in %s: %s (a renamed or removed video stays "
                "published until 'videokit unpublish SLUG --editor NAME')",
                project.media,
                ", ".join(gone),
            )
    # A bad settings file stops the run before any work: every video would be made wrongly.
    settings = load_settings(project.config if project.config.is_file() else None)
    # One model for the whole run, loaded on first need: a run of cached drafts never loads it.
    handle = draft.ModelHandle(settings.model_ref(model), log=log.info, settings=settings.asr)
    if jobs:
        # Provision (not load) the model now: a model that cannot be had fails the run once, in
        # seconds, instead of once per video.
        log.info("model: %s", handle.spec.cache_id)
    for i, job in enumerate(jobs, 1):
        results.append(
            _produce_one(
                job, f"[{i}/{len(jobs)}] {job.slug}", handle, language, layout, base_url, settings
            )
        )
    if wait_for_approval:
        _wait_for_approvals(results, layout, approval_timeout_s, base_url)
    write_indexes(layout)
    remember_outcomes(jobs, results, layout, handle, language, settings, base_url)
    return results


@task(name="remember what each video was made from", cache_policy=NONE)
def remember_outcomes(
    jobs: list[VideoJob],
    results: list[VideoResult],
    layout: Layout,
    handle: draft.ModelHandle,
    language: str,
    settings: Settings,
    base_url: str | None,
) -> None:
    """So that a run with nothing changed can stop before it starts anything heavy."""
    by_slug = {r.slug: r for r in results}
    for job in jobs:
        result = by_slug.get(job.slug)
        if result is None or not result.ok:
            freshness.forget(layout, job.slug)
            continue
        print_ = freshness.fingerprint(
            job,
            layout,
            model_sha256=handle.spec.sha256,
            language=language,
            settings=settings,
            base_url=base_url,
        )
        freshness.remember(layout, job.slug, print_, result)


if __name__ == "__main__":
    produce()
