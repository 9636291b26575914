"""``produce-video``: the story of one video.

Probe it, start the web encode, transcribe it (or take the draft from the cache), guard and lay
out the captions, let the editors' desk decide which version is in force, write the preview and,
once approved, the site; then the social formats of the published version. It holds the video's
lock while it writes, so two runs never write the same video at once, and records what the
outputs were made from, so that the next run with nothing changed stops at the check.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from flows.common import clean_up, keep_results, log_info, waiting
from flows.drafts import transcribe
from flows.steps import encode_web, probe, review_and_publish, social_media
from videokit import draft, freshness, pipeline, results, social
from videokit.errors import VideokitError
from videokit.freshness import RunInputs
from videokit.locks import run_lock, video_lock
from videokit.report import VideoResult
from videokit.runplan import Plan
from videokit.workspace import VideoJob, check_review_folder, find_videos


@flow(name="produce-video", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def produce_video(
    video: str,
    plan: Plan,
    label: str = "",
    keep_result: bool = False,
    inputs: RunInputs | None = None,
) -> VideoResult:
    """Produce one video: draft, captions, review pages, and the site once it is approved.

    Waits while another run writes the same video (and then finds its draft in the cache). With
    ``keep_result`` the result is also kept in the output folder, where the batch that asked for
    it (maybe on another machine) reads it. ``inputs``: the batch's settings and model, read once
    for all its videos; a run of its own reads them from the plan.
    """
    if plan.store:  # a video in object storage: staged, produced here, published back
        from flows import stored

        return stored.produce_video(video, plan, label, keep_result)
    log = get_run_logger()
    started = time.monotonic()
    path = Path(video)
    layout = plan.layout
    jobs, problems = find_videos([path])
    if problems or not jobs:
        err = problems[0] if problems else VideokitError("not a video", path=path, stage="find")
        log.error("%s", err)
        return _keep(plan, keep_result, results.failed(path.name, "", err, started))
    job = jobs[0]
    label = label or job.slug
    try:
        check_review_folder(layout)
        inputs = inputs or plan.inputs(plan.settings(), log_info)
        settings = inputs.settings
        with run_lock(layout.out, when_alone=clean_up(layout)):
            with video_lock(layout.out, job.slug, on_wait=waiting(label)):
                handle = plan.model_handle(settings, log_info)
                result = _produce_one(job, label, handle, plan, inputs)
                _remember(job, result, plan, inputs)
            if result.ok and layout.video_dir(job.slug).is_dir():
                # After the lock: the encodes take minutes, and an editor may save meanwhile.
                result = replace(result, social=social_media(layout, job.slug, settings))
                if social.FAILED in result.social:
                    freshness.forget(layout, job.slug)  # so the next run makes them again
    except VideokitError as err:
        log.error("%s: %s", label, err)
        result = results.failed(job.name, job.slug, err, started)
    return _keep(plan, keep_result, result)


def _produce_one(
    job: VideoJob, label: str, model: draft.ModelHandle, plan: Plan, inputs: RunInputs
) -> VideoResult:
    log = get_run_logger()
    layout, settings = plan.layout, inputs.settings
    started = time.monotonic()
    try:
        log.info("%s: probing %s", label, job.name)
        source = probe(job)
        encoding = encode_web.submit(source, layout)  # ffmpeg runs while Whisper does
        options = pipeline.decode_options(job, plan.language, settings)
        transcript, cached = transcribe(source, model, options, label, plan)
        if cached:
            log.info("%s: draft unchanged, taken from the cache (not transcribed again)", label)
        encoding.result()  # the pages link the web video, so it must exist first
        out = review_and_publish(source, transcript, model, layout, plan.base_url, settings)
    except VideokitError as err:
        log.error("%s: %s", label, err)
        return results.failed(job.name, job.slug, err, started)
    except Exception as err:  # a bug must not stop the other videos either
        log.exception("%s: unexpected error", label)
        return results.broken(job, err, started)
    for problem in out.problems:
        log.warning("%s: %s", label, problem)
    for note in out.review.notes:
        log.warning("%s: %s", label, note)
    log.info("%s: done (%s)", label, out.record.status)
    return results.produced(
        job, layout, out, duration_ms=source.info.duration_ms, cached=cached, started=started
    )


def _remember(job: VideoJob, result: VideoResult, plan: Plan, inputs: RunInputs) -> None:
    """So that a run with nothing changed can stop before it starts anything heavy."""
    if result.ok:
        freshness.remember(plan.layout, job, result, inputs)
    else:
        freshness.forget(plan.layout, job.slug)


def _keep(plan: Plan, keep: bool, result: VideoResult) -> VideoResult:
    if keep:
        keep_results(plan.layout, [result])
    return result
