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

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.task_runners import ThreadPoolTaskRunner

from videokit import draft, publish, quality, stages
from videokit.asr import DecodeOptions
from videokit.config import Settings, load_settings
from videokit.errors import VideokitError
from videokit.report import VideoResult, format_table
from videokit.transcript import Transcript
from videokit.workspace import (
    Layout,
    VideoJob,
    find_videos,
    glossary_prompt,
    read_glossary,
    read_manuscript,
    read_meta,
)


class RunFailed(Exception):
    """Raised at the end of a run in which some videos failed; carries every video's result."""

    def __init__(self, results: list[VideoResult]) -> None:
        failed = sum(not r.ok for r in results)
        super().__init__(f"{failed} of {len(results)} videos failed")
        self.results = results

    def __reduce__(self) -> tuple[Any, ...]:
        return (RunFailed, (self.results,))


class Approval(RunInput):
    """What an editor enters in the Prefect UI to approve a paused video."""

    approve: bool = True
    editor: str
    note: str = ""


def _unexpected_only(_task: Any, _run: Any, state: Any) -> bool:
    """Retry what might pass next time (a crash, a full disk), never a bad input file."""
    return not isinstance(state.data, VideokitError)


_retry: dict[str, Any] = dict(retries=1, retry_delay_seconds=2, retry_condition_fn=_unexpected_only)


@task(name="probe", cache_policy=NONE, **_retry)
def probe(job: VideoJob) -> draft.Source:
    return draft.probe(job)


@task(name="encode web video", cache_policy=NONE, **_retry)
def encode_web(source: draft.Source, layout: Layout) -> str:
    folder = layout.video_dir(source.job.slug, layout.preview)
    made_from = stages.made_from(layout, source.job.slug)
    if publish.media_current(folder, source.job.slug, made_from, source.sha256):
        return "kept"
    publish.write_media(folder, source.job.path, source.job.slug, source.info.duration_ms)
    return "encoded"


# Drafts persist in Prefect's result storage ($PREFECT_HOME/storage unless
# PREFECT_RESULTS_LOCAL_STORAGE_PATH says otherwise), keyed on content, so they outlive the build
# folder and are shared between output folders: the same video is never transcribed twice.
def _draft_key(_context: Any, params: dict[str, Any]) -> str:
    return draft.draft_key(params["source"].sha256, params["model"].spec, params["options"])


@task(name="transcribe", cache_key_fn=_draft_key, persist_result=True, **_retry)
def transcribe(
    source: draft.Source, model: draft.ModelHandle, options: DecodeOptions, label: str
) -> Transcript:
    log = get_run_logger()
    log.info(
        "%s: transcribing %.0f s of audio with Whisper %s",
        label,
        source.info.duration_ms / 1000,
        model.ref,
    )
    return draft.transcribe(source, model, options, progress=_progress_logger(log.info, label))


def _progress_logger(emit: Callable[..., None], label: str) -> Callable[[float], None]:
    last = [-1]

    def report(fraction: float) -> None:
        step = int(fraction * 10)  # every 10 %, not every 30-second window
        if step > last[0]:
            last[0] = step
            emit("%s: transcribing %d%%", label, step * 10)

    return report


def _align_key(_context: Any, params: dict[str, Any]) -> str:
    # The machine draft anchors the alignment (and is its fallback), so it is part of the key.
    parts = [
        params["source"].sha256,
        params["model"].spec.sha256,
        params["machine"].to_json(),
        params["text"],
    ]
    return "align-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


@task(name="align corrected text", cache_key_fn=_align_key, persist_result=True, **_retry)
def align(
    source: draft.Source,
    model: draft.ModelHandle,
    machine: Transcript,
    text: str,
    samples: Any,
) -> Transcript:
    get_run_logger().info("%s: aligning corrected text to the audio", source.job.slug)
    return draft.align_corrected(samples, model, machine, text)


@task(name="review and publish", cache_policy=NONE, **_retry)
def review_and_publish(
    source: draft.Source,
    transcript: Transcript,
    model: draft.ModelHandle,
    layout: Layout,
    base_url: str | None,
    settings: Settings,
) -> stages.VideoOutcome:
    meta = read_meta(source.job)
    samples = draft.load_samples(source)  # decoded once, for the guard and any alignment
    caps = draft.captions(
        transcript.with_default_speaker(meta.speaker),
        draft.audio_energy(samples),
        glossary=read_glossary(source.job),
        norms=settings.norms,
    )
    return stages.review_and_publish(
        layout,
        source,
        meta,
        transcript,
        caps,
        align=lambda text: align(source, model, caps.transcript, text, samples),
        manuscript=read_manuscript(source.job),
        base_url=base_url,
        norms=settings.norms,
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
        options = DecodeOptions(
            language=language,
            initial_prompt=glossary_prompt(read_glossary(job)),
            **settings.decoding,
        )
        state = transcribe(source, model, options, label, return_state=True)
        transcript = state.result()
        cached = state.name == "Cached"
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
    return VideoResult(
        job.name,
        job.slug,
        True,
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
            approval, _ = stages.approve_and_publish(
                layout, r.slug, answer.editor, answer.note, base_url
            )
            log.info("%s approved by %s and published", r.slug, approval.editor)


@flow(name="produce", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def produce(
    media_dir: str = "media",
    out_dir: str = "build",
    model: str = "base",
    language: str = "da",
    paths: list[str] | None = None,
    review_dir: str = "review",
    base_url: str | None = None,
    wait_for_approval: bool = False,
    approval_timeout_s: int = 24 * 3600,
    config_file: str | None = "videokit.toml",
) -> list[VideoResult]:
    """Caption, review-gate and package every video in ``media_dir`` (or just ``paths``)."""
    log = get_run_logger()
    layout = Layout(Path(out_dir), Path(review_dir))
    jobs, problems = find_videos([Path(p) for p in (paths or [media_dir])])
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
    # A bad settings file stops the run before any work: every video would be made wrongly.
    settings = load_settings(Path(config_file) if config_file else None)
    # One model for the whole run, loaded on first need: a run of cached drafts never loads it.
    handle = draft.ModelHandle(model, log=log.info)
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
    log.info("summary\n%s", format_table(results))
    if any(not r.ok for r in results):
        raise RunFailed(results)
    return results


if __name__ == "__main__":
    produce()
