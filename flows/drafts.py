"""The drafts: one video's from the cache or transcribed, a run's new ones read together, or all
made by a deployment on a GPU work pool.

Drafts and alignments are kept as validated JSON in videokit's own cache (not pickles in
Prefect's result storage), keyed on content, so they outlive the build folder and are shared
between output folders and machines (``VIDEOKIT_CACHE_DIR`` on a share): the same video is
never transcribed twice.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.deployments import run_deployment

from flows.common import RETRY, asr_slot, log_info
from flows.steps import probe
from videokit import draft, pipeline
from videokit.ahead import DraftsAhead
from videokit.asr import DecodeOptions
from videokit.config import Settings
from videokit.errors import VideokitError
from videokit.runplan import Plan
from videokit.transcript import Transcript
from videokit.workspace import VideoJob, find_videos


@task(name="transcribe", cache_policy=NONE, **RETRY)
def transcribe(
    source: draft.Source,
    model: draft.ModelHandle,
    options: DecodeOptions,
    label: str,
    plan: Plan,
) -> tuple[Transcript, bool]:
    log = get_run_logger()
    cache = plan.cache()
    if plan.asr_deployment:
        found = draft.cached_draft_or_none(cache, source, model, options)
        if found is not None:
            return found, True
        log.info("%s: the draft is made by %s", label, plan.asr_deployment)
        run: Any = run_deployment(
            plan.asr_deployment,
            parameters={"video": str(source.job.path), "plan": asdict(plan), "label": label},
            timeout=None,
        )
        found = draft.cached_draft_or_none(cache, source, model, options)
        if found is None:
            raise VideokitError(
                f"the draft made by {plan.asr_deployment} (run {run.name}, "
                f"{run.state_name}) is not in this machine's cache",
                path=cache.root,
                stage="transcribe",
                hint="give every worker the same shared VIDEOKIT_CACHE_DIR (videokit team up "
                "--cache DIR), and see that run's log",
            )
        return found, False
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

    return draft.cached_draft(
        cache,
        source,
        model,
        options,
        progress=announce,
        slot=lambda: asr_slot(plan.asr_limit),
        made_ahead=_made_ahead,
    )


# The batches drafting this process's runs' videos together; a video's transcribe task waits for
# the one that holds its draft.
_together: list[DraftsAhead] = []
_together_lock = threading.Lock()


def _made_ahead(key: str) -> bool:
    with _together_lock:
        batches = list(_together)
    return any(batch.wait(key) for batch in batches)


@contextlib.contextmanager
def drafts_together(jobs: list[VideoJob], plan: Plan, settings: Settings) -> Iterator[None]:
    """While the videos' pipelines run: their new drafts made in shared batches, if the engine
    reads videos together (openai-whisper batched: a batch of windows from several videos keeps
    the model busy where one short video cannot)."""
    if len(jobs) < 2 or plan.asr_deployment or not settings.asr.reads_videos_together:
        yield
        return
    together = DraftsAhead(plan.cache(), plan.model_handle(settings, log_info))
    with _together_lock:
        _together.append(together)
    try:
        future = draft_together.submit(together, jobs, plan, settings)
        future.add_done_callback(lambda _f: together.close())  # no pipeline waits forever
        yield
        future.wait()
    finally:
        together.close()
        with _together_lock:
            _together.remove(together)


@task(name="transcribe together", cache_policy=NONE)
def draft_together(
    together: DraftsAhead, jobs: list[VideoJob], plan: Plan, settings: Settings
) -> int:
    """The drafts of every video of the run not in the cache, read in shared batches."""
    log = get_run_logger()
    videos = []
    try:
        for job in jobs:
            with contextlib.suppress(VideokitError):  # the video's own pipeline reports it
                videos.append(
                    (draft.probe(job), pipeline.decode_options(job, plan.language, settings))
                )
    finally:
        together.add(videos)

    def starting(sources: list[draft.Source]) -> None:
        log.info(
            "transcribing %d videos together (%.0f s of audio) with Whisper %s",
            len(sources),
            sum(s.info.duration_ms for s in sources) / 1000,
            settings.model_ref(plan.model),
        )

    made = together.run(
        progress=_progress_logger(log.info, "new videos"),
        slot=lambda: asr_slot(plan.asr_limit),
        starting=starting,
        skipped=lambda source, err: log.info(
            "%s: not read with the others (%s); it is tried on its own", source.job.name, err
        ),
    )
    return len(made)


def _progress_logger(emit: Callable[..., None], label: str) -> Callable[[float], None]:
    last = [-1]

    def report(fraction: float) -> None:
        step = int(fraction * 10)  # every 10 %, not every 30-second window
        if step > last[0]:
            last[0] = step
            emit("%s: transcribing %d%%", label, step * 10)

    return report


@flow(name="transcribe-video")
def transcribe_video(video: str, plan: Plan, label: str = "") -> bool:
    """Make one video's draft into the shared cache (run on a GPU work pool); True if new."""
    jobs, problems = find_videos([Path(video)])
    if problems:
        raise problems[0]
    job = jobs[0]
    settings = plan.settings()
    handle = plan.model_handle(settings, log_info)
    source = probe(job)
    options = pipeline.decode_options(job, plan.language, settings)
    _, cached = transcribe(
        source, handle, options, label or job.name, replace(plan, asr_deployment=None)
    )
    return not cached
