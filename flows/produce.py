"""The production flows: videos in; captions, transcript pages and a website package out.

``produce`` runs a batch: it finds the videos, produces each one (``produce-video``), then writes
the site index, manifest and zip. A video that fails is reported and skipped; the others go on,
and the run fails at the end if any video failed.

``produce-video`` is the story of one video: probe it, start the web encode, transcribe it (or
take the draft from the cache), guard and lay out the captions, let the editors' desk decide which
version is in force, write the preview and, once approved, the site. It holds the video's lock
while it writes, so two runs never write the same video at once.

Where the videos are produced:
- by default inside the batch's own process (``videokit produce``, ``make run``: no server needed);
- with ``fan_out=True`` (the team deployment), each video is its own run of the ``produce-video``
  deployment, which any worker of the pool can take, so several machines share a batch;
- with ``asr_deployment`` set, drafts are made by that deployment (a GPU work pool) and read back
  from the shared cache, while CPU workers encode and render.
- with ``store`` (``s3://…``), the project is in object storage: see ``flows/stored.py``.
Transcription takes a slot of the named concurrency limit ``asr_limit`` when one is given: one
model in memory per GPU.

Against a Prefect server, ``wait_for_approval=True`` pauses the run for each video that waits for
approval; resume it from the Prefect UI with the editor's name to approve and publish it.

Run it with ``videokit produce`` (see ``videokit --help``), or from the Prefect UI (``videokit team``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE
from prefect.concurrency.sync import concurrency
from prefect.deployments import run_deployment
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from videokit import draft, freshness, hardware, pipeline, publish, quality, report, social
from videokit.ahead import DraftsAhead
from videokit.asr import DecodeOptions
from videokit.cache import TranscriptCache, open_cache
from videokit.config import Settings, load_settings
from videokit.errors import VideokitError
from videokit.files import read_json, remove_partials, write_json
from videokit.locks import index_lock, run_lock, video_lock
from videokit.report import VideoResult, format_table
from videokit.transcript import Transcript
from videokit.workspace import (
    Layout,
    Project,
    VideoJob,
    check_review_folder,
    find_videos,
    published_without_source,
)

# A killed worker's ASR slot comes back after at most this long (the lease is renewed while alive).
ASR_LEASE_S = 60.0


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

# One model per process, loaded at first need and kept for every video this process produces.
_models: dict[tuple[str, Any], draft.ModelHandle] = {}
_models_lock = threading.Lock()


def _model(ref: str, settings: Settings) -> draft.ModelHandle:
    with _models_lock:
        key = (ref, settings.asr)
        if key not in _models:
            _models[key] = draft.ModelHandle(ref, log=_log_info, settings=settings.asr)
        return _models[key]


def _log_info(message: str) -> None:
    try:
        get_run_logger().info("%s", message)
    except Exception:  # outside a run (no logger to reach): the message is only informative
        logging.getLogger("videokit").info("%s", message)


# One draft at a time in this process (one model in memory, which is not made for two callers);
# across processes and machines, the named Prefect limit decides.
_one_draft_here = threading.Lock()


@contextlib.contextmanager
def _asr_slot(limit: str | None) -> Iterator[None]:
    with _one_draft_here:
        if not limit:
            yield
            return
        with concurrency(limit, occupy=1, lease_duration=ASR_LEASE_S, strict=False):
            yield


def _videos_at_once() -> int:
    """``VIDEOKIT_VIDEOS_AT_ONCE``, else what the machine allows (``hardware.videos_at_once``)."""
    chosen = os.environ.get("VIDEOKIT_VIDEOS_AT_ONCE", "").strip()
    if chosen.isdigit() and int(chosen) >= 1:
        return int(chosen)
    return hardware.videos_at_once(os.cpu_count() or 1)


@task(name="probe", cache_policy=NONE, **_retry)
def probe(job: VideoJob) -> draft.Source:
    return draft.probe(job)


@task(name="encode web video", cache_policy=NONE, **_retry)
def encode_web(source: draft.Source, layout: Layout) -> str:
    return pipeline.encode_preview(source, layout)


@dataclass(frozen=True)
class Plan:
    """How every video of a run is made: the project's folders and the run's choices.

    Plain strings, so that it travels as a deployment run's parameters."""

    project_dir: str
    media_dir: str
    out_dir: str
    review_dir: str
    config_file: str
    model: str | None = None
    language: str = "da"
    base_url: str | None = None
    asr_limit: str | None = None
    asr_deployment: str | None = None
    store: str | None = None  # s3://…: the folders above are paths in that store (flows/stored.py)
    cache_dir: str | None = None  # the draft cache where VIDEOKIT_CACHE_DIR names none

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.out_dir), Path(self.review_dir))

    def settings(self) -> Settings:
        return load_settings(Path(self.config_file))  # defaults when the project has no file


# Drafts and alignments are kept as validated JSON in videokit's own cache (not pickles in
# Prefect's result storage), keyed on content, so they outlive the build folder and are shared
# between output folders and machines (``VIDEOKIT_CACHE_DIR`` on a share): the same video is
# never transcribed twice.
@task(name="transcribe", cache_policy=NONE, **_retry)
def transcribe(
    source: draft.Source,
    model: draft.ModelHandle,
    options: DecodeOptions,
    label: str,
    plan: Plan,
) -> tuple[Transcript, bool]:
    log = get_run_logger()
    cache = _cache(plan)
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
        slot=lambda: _asr_slot(plan.asr_limit),
        made_ahead=_made_ahead,
    )


def _cache(plan: Plan) -> TranscriptCache:
    """The draft cache: ``VIDEOKIT_CACHE_DIR``, else the plan's (a project in a store's)."""
    return open_cache(default=plan.cache_dir)


# The batches drafting this process's runs' videos together; a video's transcribe task waits for
# the one that holds its draft.
_together: list[DraftsAhead] = []
_together_lock = threading.Lock()


def _made_ahead(key: str) -> bool:
    with _together_lock:
        batches = list(_together)
    return any(batch.wait(key) for batch in batches)


@contextlib.contextmanager
def _drafts_together(jobs: list[VideoJob], plan: Plan, settings: Settings) -> Iterator[None]:
    """While the videos' pipelines run: their new drafts made in shared batches, if the engine
    reads videos together (openai-whisper batched: a batch of windows from several videos keeps
    the model busy where one short video cannot)."""
    if len(jobs) < 2 or plan.asr_deployment or not settings.asr.reads_videos_together:
        yield
        return
    together = DraftsAhead(_cache(plan), _model(settings.model_ref(plan.model), settings))
    with _together_lock:
        _together.append(together)
    try:
        future = draft_together.submit(together, jobs, plan)
        future.add_done_callback(lambda _f: together.close())  # no pipeline waits forever
        yield
        future.wait()
    finally:
        together.close()
        with _together_lock:
            _together.remove(together)


@task(name="transcribe together", cache_policy=NONE)
def draft_together(together: DraftsAhead, jobs: list[VideoJob], plan: Plan) -> int:
    """The drafts of every video of the run not in the cache, read in shared batches."""
    log = get_run_logger()
    settings = plan.settings()
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
        slot=lambda: _asr_slot(plan.asr_limit),
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


@task(name="social media files", cache_policy=NONE, **_retry)
def social_media(layout: Layout, slug: str, settings: Settings) -> str:
    """The published version's social formats that are missing or failed; one line for the run
    summary. Run without the video's lock held (it takes it for moments)."""
    status = pipeline.finish_social(layout, slug, settings, log=get_run_logger().info)
    return social.summary(status, settings.social)


def _produce_one(
    job: VideoJob, label: str, model: draft.ModelHandle, plan: Plan, settings: Settings
) -> VideoResult:
    log = get_run_logger()
    layout, base_url = plan.layout, plan.base_url
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
        out = review_and_publish(source, transcript, model, layout, base_url, settings)
    except VideokitError as err:
        log.error("%s: %s", label, err)
        return _failed(job.name, job.slug, err, started)
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


def _failed(name: str, slug: str, err: VideokitError, started: float) -> VideoResult:
    return VideoResult(
        name,
        slug,
        False,
        stage=err.stage,
        reason=err.message,
        hint=err.hint,
        seconds=time.monotonic() - started,
    )


def _clean_up(layout: Layout) -> Callable[[], None]:
    def clean() -> None:
        left = remove_partials(layout.out) + remove_partials(layout.review)
        if left:
            get_run_logger().info("removed %d unfinished files an interrupted run left", left)

    return clean


@flow(name="produce-video", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def produce_video(
    video: str, plan: Plan, label: str = "", keep_result: bool = False
) -> VideoResult:
    """Produce one video: draft, captions, review pages, and the site once it is approved.

    Waits while another run writes the same video (and then finds its draft in the cache). With
    ``keep_result`` the result is also kept in the output folder, where the batch that asked for
    it (maybe on another machine) reads it.
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
        return _keep(layout, keep_result, _failed(path.name, "", err, started))
    job = jobs[0]
    label = label or job.slug
    try:
        check_review_folder(layout)
        settings = plan.settings()
        with run_lock(layout.out, when_alone=_clean_up(layout)):
            with video_lock(layout.out, job.slug, on_wait=_waiting(label)):
                handle = _model(settings.model_ref(plan.model), settings)
                result = _produce_one(job, label, handle, plan, settings)
                _remember(job, result, handle, plan, settings)
            if result.ok and layout.video_dir(job.slug).is_dir():
                # After the lock: the encodes take minutes, and an editor may save meanwhile.
                result = replace(result, social=social_media(layout, job.slug, settings))
                if social.FAILED in result.social:
                    freshness.forget(layout, job.slug)  # so the next run makes them again
    except VideokitError as err:
        log.error("%s: %s", label, err)
        result = _failed(job.name, job.slug, err, started)
    return _keep(layout, keep_result, result)


def _waiting(label: str) -> Callable[[str], None]:
    def say(holder: str) -> None:
        get_run_logger().warning(
            "%s: another run is producing this video (%s); waiting for it to finish", label, holder
        )

    return say


def _remember(
    job: VideoJob, result: VideoResult, handle: draft.ModelHandle, plan: Plan, settings: Settings
) -> None:
    """So that a run with nothing changed can stop before it starts anything heavy."""
    layout = plan.layout
    if not result.ok:
        freshness.forget(layout, job.slug)
        return
    freshness.remember(
        layout,
        job,
        result,
        model_sha256=handle.spec.sha256,
        language=plan.language,
        settings=settings,
        base_url=plan.base_url,
    )


def _result_path(layout: Layout, run_id: str) -> Path:
    return layout.state / "runs" / f"{run_id}.json"


def _keep(layout: Layout, keep: bool, result: VideoResult) -> VideoResult:
    if keep:
        keep_results(layout, [result])
    return result


def keep_results(layout: Layout, results: list[VideoResult]) -> None:
    """This run's results, for the batch that asked for them (maybe on another machine)."""
    run_id = runtime.flow_run.id
    if run_id:
        write_json(_result_path(layout, str(run_id)), [report.to_dict(r) for r in results])


def collect_results(layout: Layout, run: Any, jobs: list[VideoJob]) -> list[VideoResult]:
    """The results a deployment run kept, or for each of its videos a failure saying how the
    run ended (Crashed: its worker was killed or its machine went away)."""
    path = _result_path(layout, str(run.id))
    try:
        found = read_json(path)
        results = [report.from_dict(r) for r in (found if isinstance(found, list) else [found])]
        path.unlink(missing_ok=True)
        return results
    except (OSError, ValueError, TypeError, KeyError):
        return [
            VideoResult(
                job.name,
                job.slug,
                False,
                stage="worker",
                reason=f"its run {run.name} ended {run.state_name} without a result",
                hint="see that run's log in the Prefect UI; run again: what was done is reused",
            )
            for job in jobs
        ]


@flow(name="transcribe-video")
def transcribe_video(video: str, plan: Plan, label: str = "") -> bool:
    """Make one video's draft into the shared cache (run on a GPU work pool); True if new."""
    jobs, problems = find_videos([Path(video)])
    if problems:
        raise problems[0]
    job = jobs[0]
    settings = plan.settings()
    handle = _model(settings.model_ref(plan.model), settings)
    source = probe(job)
    options = pipeline.decode_options(job, plan.language, settings)
    _, cached = transcribe(
        source, handle, options, label or job.name, replace(plan, asr_deployment=None)
    )
    return not cached


def _wait_for_approvals(
    results: list[VideoResult], plan: Plan, timeout_s: int, base_url: str | None
) -> None:
    log = get_run_logger()
    layout, settings = plan.layout, plan.settings()
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
                layout, r.slug, answer.editor, answer.note, base_url, _waiting(r.slug)
            )
            log.info("%s approved by %s and published", r.slug, approval.editor)
            made = social_media(layout, r.slug, settings)
            log.info("%s: social media files: %s", r.slug, made)


@flow(name="produce", task_runner=ThreadPoolTaskRunner(max_workers=16))  # type: ignore[arg-type]
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
    fan_out: bool = False,
    asr_limit: str | None = None,
    asr_deployment: str | None = None,
    always: bool = False,
    store: str | None = None,
) -> Any:
    """Lav danske undertekster, transskriptioner og hjemmesidepakke for videoerne i projektet.

    Caption, review-gate and package every video in the project (or just ``paths``). Folders not
    given come from the project (``project_dir``, else the one around ``media_dir`` or the working
    folder). Returns every video's result; a run in which a video failed ends in a Failed state
    that carries the same results.

    Args:
        media_dir: Mappen med videoer (tom: projektets media/).
        out_dir: Mappen resultaterne skrives til (tom: projektets build/).
        model: Whisper-model, fx base, large-v3-turbo eller hf:organisation/navn (tom: modellen i
            videokit.toml, ellers base).
        language: Det talte sprog (da = dansk).
        paths: Kun disse videoer (filer eller mapper); tom: alle videoer i media-mappen.
        review_dir: Redaktørernes mappe med rettede undertekster (tom: projektets review/).
        base_url: Adressen hjemmesiden udgives på (https://…), til indlejring og søgemaskiner.
        wait_for_approval: Vent på godkendelse: kørslen holder pause for hver video, indtil en
            redaktør genoptager den her med sit navn.
        approval_timeout_s: Hvor længe der højst ventes på en godkendelse (sekunder).
        config_file: Indstillingsfilen (tom: projektets videokit.toml).
        project_dir: Projektmappen (den med videokit.toml eller media/).
        fan_out: Fordel videoerne på holdets maskiner: hver video bliver sin egen kørsel, som
            enhver worker i puljen kan tage.
        asr_limit: Navnet på den Prefect-grænse, der styrer hvor mange der transskriberer ad
            gangen (én model i hukommelsen pr. GPU).
        asr_deployment: Lad dette deployment (fx på en GPU-pulje) lave udkastene.
        always: Lav alle videoer igen, også dem der intet er ændret ved siden sidste kørsel.
        store: Projektet ligger i objektlager (s3://spand/sti) i stedet for en mappe.
    """
    if store:  # a project in object storage, not a folder
        from flows import stored

        return _finish(
            stored.produce(
                store,
                paths,
                fan_out,
                wait_for_approval,
                model=model,
                language=language,
                base_url=base_url,
                asr_limit=asr_limit,
                asr_deployment=asr_deployment,
            )
        )
    log = get_run_logger()
    started = time.monotonic()
    try:
        project = Project.locate(
            Path(project_dir) if project_dir else None,
            media=Path(media_dir) if media_dir else None,
            review=Path(review_dir) if review_dir else None,
            out=Path(out_dir) if out_dir else None,
            config=Path(config_file) if config_file else None,
        )
        plan = Plan(
            project_dir=str(project.root),
            media_dir=str(project.media),
            out_dir=str(project.out),
            review_dir=str(project.review),
            config_file=str(project.config),
            model=model,
            language=language,
            base_url=base_url,
            asr_limit=asr_limit,
            asr_deployment=asr_deployment,
        )
        layout = plan.layout
        check_review_folder(layout)
        with run_lock(layout.out, when_alone=_clean_up(layout)):
            results = _produce_all(project, plan, paths, fan_out, always)
            if wait_for_approval:
                _wait_for_approvals(results, plan, approval_timeout_s, base_url)
            write_indexes(layout)
    except VideokitError as err:
        # An expected failure of the whole run: one line, no traceback.
        log.error("%s", err)
        results = [_failed(str(err.path or ""), "", err, started)]
    return _finish(results)


def _finish(results: list[VideoResult]) -> Any:
    """The batch's summary, and its end state: Failed (with every result) if a video failed."""
    _summarise(results)
    failed = sum(not r.ok for r in results)
    if failed:
        return Failed(message=f"{failed} of {len(results)} videos failed", data=results)
    return results


def _summarise(results: list[VideoResult]) -> None:
    get_run_logger().info("summary\n%s", format_table(results))
    with contextlib.suppress(Exception):  # the UI's table is a convenience; the log has it all
        create_table_artifact(
            key="videokit-summary",
            table=[dict(zip(report.COLUMNS, row)) for row in report.table_rows(results)],
            description=format_table(results).splitlines()[-1],
        )


def _skip_fresh(
    jobs: list[VideoJob], plan: Plan, settings: Settings, model_sha256: str
) -> tuple[list[VideoJob], list[VideoResult]]:
    """The videos that need producing, and the last results of those nothing changed for."""
    found = freshness.fresh(
        jobs,
        plan.layout,
        model_sha256=model_sha256,
        language=plan.language,
        settings=settings,
        base_url=plan.base_url,
    )
    if found:
        get_run_logger().info(
            "%d of %d videos unchanged since the last run: %s",
            len(found),
            len(jobs),
            ", ".join(sorted(found)),
        )
    return [j for j in jobs if j.slug not in found], [
        found[j.slug] for j in jobs if j.slug in found
    ]


def _produce_all(
    project: Project, plan: Plan, paths: list[str] | None, fan_out: bool, always: bool = False
) -> list[VideoResult]:
    log = get_run_logger()
    layout = plan.layout
    jobs, problems = find_videos([Path(p) for p in paths] if paths else [project.media])
    results = [
        _failed(str(e.path.name if e.path else "?"), "", e, time.monotonic()) for e in problems
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
    settings = plan.settings()
    if jobs:
        # Provision (not load) the model now: a model that cannot be had fails the run once, in
        # seconds, instead of once per video.
        spec = _model(settings.model_ref(plan.model), settings).spec
        log.info("model: %s", spec.cache_id)
        if not always:
            jobs, done = _skip_fresh(jobs, plan, settings, spec.sha256)
            results += done
    labels = [f"[{i}/{len(jobs)}] {job.slug}" for i, job in enumerate(jobs, 1)]
    if fan_out and jobs:
        from flows.share import produce_on_workers

        return results + produce_on_workers(jobs, labels, plan)
    return results + produce_in_this_process(jobs, labels, plan, settings)


def produce_in_this_process(
    jobs: list[VideoJob], labels: list[str], plan: Plan, settings: Settings
) -> list[VideoResult]:
    """The videos one after the other in this process (one model), or a few at a time, with
    their new drafts read together where the engine can."""
    at_once = _videos_at_once()
    with _drafts_together(jobs, plan, settings):
        if at_once > 1 and len(jobs) > 1:
            # The next video's probe, encode and pages run while this one's draft is made.
            get_run_logger().info("%d videos at a time", at_once)
            turns = threading.Semaphore(at_once)
            futures = [produce_here.submit(j, plan, lbl, turns) for j, lbl in zip(jobs, labels)]
            return [f.result() for f in futures]
        return [produce_video(str(j.path), plan, lbl) for j, lbl in zip(jobs, labels)]


@task(name="produce here", cache_policy=NONE)
def produce_here(job: VideoJob, plan: Plan, label: str, turns: threading.Semaphore) -> VideoResult:
    with turns:
        return produce_video(str(job.path), plan, label)


@task(name="site index, manifest and zip", cache_policy=NONE)
def write_indexes(layout: Layout) -> int:
    with index_lock(layout.out):
        published, files = publish.write_indexes(layout)
    get_run_logger().info(
        "site: %d approved videos, %d files in %s", len(published), files, layout.zip
    )
    return len(published)


if __name__ == "__main__":
    produce()
