"""The production flow: videos in, captions, transcript pages and a website package out.

For each video: probe it, start the web encode, transcribe it (or take the draft from the cache),
build captions, write its page. Then the site: index, manifest, zip. A video that fails is reported
and skipped; the others go on, and the run fails at the end if any video failed.

Run it with ``videokit produce`` (see ``videokit --help``), or ``python -m flows.produce``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.task_runners import ThreadPoolTaskRunner

from videokit import draft, publish, quality
from videokit.asr import DecodeOptions
from videokit.errors import VideokitError
from videokit.report import VideoResult, format_table
from videokit.workspace import (
    Layout, VideoJob, find_videos, glossary_prompt, read_glossary, read_meta,
)


class RunFailed(Exception):
    """Raised at the end of a run in which some videos failed; carries every video's result."""

    def __init__(self, results: list[VideoResult]) -> None:
        failed = sum(not r.ok for r in results)
        super().__init__(f"{failed} of {len(results)} videos failed")
        self.results = results

    def __reduce__(self) -> tuple[Any, ...]:
        return (RunFailed, (self.results,))


def _unexpected_only(_task: Any, _run: Any, state: Any) -> bool:
    """Retry what might pass next time (a crash, a full disk), never a bad input file."""
    return not isinstance(state.data, VideokitError)


_retry = dict(retries=1, retry_delay_seconds=2, retry_condition_fn=_unexpected_only)


@task(name="probe", cache_policy=NONE, **_retry)  # type: ignore[arg-type]
def probe(job: VideoJob) -> draft.Source:
    return draft.probe(job)


@task(name="encode web video", cache_policy=NONE, **_retry)  # type: ignore[arg-type]
def encode_web(source: draft.Source, layout: Layout) -> str:
    if publish.media_current(layout, source.job.slug, source.sha256):
        return "kept"
    publish.write_media(layout, source.job.path, source.job.slug, source.info.duration_ms)
    return "encoded"


# Drafts persist in Prefect's result storage ($PREFECT_HOME/storage unless
# PREFECT_RESULTS_LOCAL_STORAGE_PATH says otherwise), keyed on content, so they outlive the build
# folder and are shared between output folders: the same video is never transcribed twice.
def _draft_key(_context: Any, params: dict[str, Any]) -> str:
    return draft.draft_key(params["source"].sha256, params["model"].spec, params["options"])


@task(name="transcribe", cache_key_fn=_draft_key, persist_result=True, cache_expiration=None,
      **_retry)  # type: ignore[arg-type]
def transcribe(source: draft.Source, model: draft.ModelHandle, options: DecodeOptions,
               label: str) -> Any:
    log = get_run_logger()
    log.info("%s: transcribing %.0f s of audio with Whisper %s", label,
             source.info.duration_ms / 1000, model.ref)
    return draft.transcribe(source, model, options, progress=_progress_logger(log.info, label))


def _progress_logger(emit: Callable[..., None], label: str) -> Callable[[float], None]:
    last = [-1]

    def report(fraction: float) -> None:
        step = int(fraction * 10)  # every 10 %, not every 30-second window
        if step > last[0]:
            last[0] = step
            emit("%s: transcribing %d%%", label, step * 10)
    return report


@task(name="captions and page", cache_policy=NONE, **_retry)  # type: ignore[arg-type]
def write_outputs(source: draft.Source, transcript: Any, layout: Layout) -> dict[str, Any]:
    caps = draft.captions(transcript, draft.audio_energy(source.job.path))
    record = publish.write_video(
        layout, source.job.slug, read_meta(source.job), source.job.path, source.sha256,
        transcript, caps.transcript, caps.cues,
    )
    report = quality.quality_report(caps.transcript, list(caps.cues), removals=list(caps.removals))
    publish.write_quality(layout, source.job.slug, report)
    return {"cues": record.cues, "quality": quality.summary_line(report)}


@task(name="site index, manifest and zip", cache_policy=NONE)
def write_site(layout: Layout) -> int:
    records, files = publish.write_site(layout)
    get_run_logger().info("site: %d videos, %d files in %s", len(records), files, layout.zip)
    return files


def _produce_one(job: VideoJob, label: str, model: draft.ModelHandle, language: str,
                 layout: Layout) -> VideoResult:
    log = get_run_logger()
    started = time.monotonic()
    try:
        log.info("%s: probing %s", label, job.name)
        source = probe(job)
        encoding = encode_web.submit(source, layout)  # ffmpeg runs while Whisper does
        options = DecodeOptions(language=language,
                                initial_prompt=glossary_prompt(read_glossary(job)))
        state = transcribe(source, model, options, label, return_state=True)
        transcript = state.result()
        cached = state.name == "Cached"
        if cached:
            log.info("%s: draft unchanged, taken from the cache (not transcribed again)", label)
        out = write_outputs(source, transcript, layout)
        encoding.result()
    except VideokitError as err:
        log.error("%s: %s", label, err)
        return VideoResult(job.name, job.slug, False, stage=err.stage, reason=err.message,
                           hint=err.hint, seconds=time.monotonic() - started)
    except Exception as err:  # a bug must not stop the other videos either
        log.exception("%s: unexpected error", label)
        return VideoResult(job.name, job.slug, False, stage="internal", reason=repr(err),
                           hint="please report this with the log above",
                           seconds=time.monotonic() - started)
    log.info("%s: done", label)
    return VideoResult(
        job.name, job.slug, True, duration_ms=source.info.duration_ms, cues=out["cues"],
        output=str(layout.video_dir(job.slug)), transcribed="cached" if cached else "new",
        seconds=time.monotonic() - started, quality=out["quality"],
    )


@flow(name="produce", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def produce(
    media_dir: str = "media",
    out_dir: str = "build",
    model: str = "base",
    language: str = "da",
    paths: list[str] | None = None,
) -> list[VideoResult]:
    """Caption, page and package every video in ``media_dir`` (or just ``paths``)."""
    log = get_run_logger()
    layout = Layout(Path(out_dir))
    jobs, problems = find_videos([Path(p) for p in (paths or [media_dir])])
    results = [VideoResult(str(e.path.name if e.path else "?"), "", False, stage=e.stage,
                           reason=e.message, hint=e.hint) for e in problems]
    log.info("%d videos to produce into %s", len(jobs), layout.site)
    # One model for the whole run, loaded on first need: a run of cached drafts never loads it.
    handle = draft.ModelHandle(model, log=log.info)
    for i, job in enumerate(jobs, 1):
        results.append(_produce_one(job, f"[{i}/{len(jobs)}] {job.slug}", handle, language,
                                    layout))
    if any(r.ok for r in results) or layout.site.is_dir():
        write_site(layout)
    log.info("summary\n%s", format_table(results))
    if any(not r.ok for r in results):
        raise RunFailed(results)
    return results


if __name__ == "__main__":
    produce()
