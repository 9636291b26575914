"""The production batch: videos in; captions, transcript pages and a website package out.

``produce`` finds the videos, settles the run's inputs once (settings, model: see
:class:`~videokit.freshness.RunInputs`), leaves out the videos nothing changed for, produces the
others (each one a ``produce-video`` run, :mod:`flows.video`), then writes the site index,
manifest and zip. A video that fails is reported and skipped; the others go on, and the run
fails at the end if any video failed.

Where the videos are produced:
- by default inside the batch's own process (``videokit produce``, ``make run``: no server needed),
  a few at a time where the machine allows, new drafts read together (:mod:`flows.drafts`);
- with ``fan_out=True`` (the team deployment), in one share per online worker of the pool
  (:mod:`flows.share`), so several machines share a batch;
- with ``asr_deployment`` set, drafts are made by that deployment (a GPU work pool) and read back
  from the shared cache, while CPU workers encode and render;
- with ``store`` (``s3://…``), the project is in object storage: see :mod:`flows.stored`.
Transcription takes a slot of the named concurrency limit ``asr_limit`` when one is given: one
model in memory per GPU.

Against a Prefect server, ``wait_for_approval=True`` pauses the run for each video that waits for
approval (:mod:`flows.approvals`).

Run it with ``videokit produce`` (see ``videokit --help``), or from the Prefect UI (``videokit team``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from flows.approvals import wait_for_approvals
from flows.common import clean_up, log_info
from flows.drafts import drafts_together, transcribe_video
from flows.steps import write_indexes
from flows.video import produce_video
from videokit import freshness, report, results, turns
from videokit.config import Settings
from videokit.errors import VideokitError
from videokit.freshness import RunInputs
from videokit.locks import run_lock
from videokit.report import VideoResult, format_table
from videokit.runplan import Plan
from videokit.workspace import (
    Project,
    VideoJob,
    check_review_folder,
    find_videos,
    published_without_source,
)

# The flows a team registers as deployments, importable from here as from their own modules.
__all__ = ["produce", "produce_video", "transcribe_video"]


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
        # A bad settings file stops the run before any work: every video would be made wrongly.
        settings = plan.settings()
        with run_lock(layout.out, when_alone=clean_up(layout)):
            found = _produce_all(project, plan, settings, paths, fan_out, always)
            if wait_for_approval:
                wait_for_approvals(found, plan, settings, approval_timeout_s)
            write_indexes(layout)
    except VideokitError as err:
        # An expected failure of the whole run: one line, no traceback.
        log.error("%s", err)
        found = [results.failed(str(err.path or ""), "", err, started)]
    return _finish(found)


def _finish(found: list[VideoResult]) -> Any:
    """The batch's summary, and its end state: Failed (with every result) if a video failed."""
    _summarise(found)
    failed = sum(not r.ok for r in found)
    if failed:
        return Failed(message=f"{failed} of {len(found)} videos failed", data=found)
    return found


def _summarise(found: list[VideoResult]) -> None:
    get_run_logger().info("summary\n%s", format_table(found))
    with contextlib.suppress(Exception):  # the UI's table is a convenience; the log has it all
        create_table_artifact(
            key="videokit-summary",
            table=[dict(zip(report.COLUMNS, row)) for row in report.table_rows(found)],
            description=format_table(found).splitlines()[-1],
        )


def _skip_fresh(
    jobs: list[VideoJob], plan: Plan, inputs: RunInputs
) -> tuple[list[VideoJob], list[VideoResult]]:
    """The videos that need producing, and the last results of those nothing changed for."""
    found = freshness.fresh(jobs, plan.layout, inputs)
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
    project: Project,
    plan: Plan,
    settings: Settings,
    paths: list[str] | None,
    fan_out: bool,
    always: bool = False,
) -> list[VideoResult]:
    log = get_run_logger()
    layout = plan.layout
    jobs, problems = find_videos([Path(p) for p in paths] if paths else [project.media])
    done = [results.failed(str(e.path.name if e.path else "?"), "", e) for e in problems]
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
    if not jobs:
        return done
    # Provision (not load) the model now: a model that cannot be had fails the run once, in
    # seconds, instead of once per video.
    log.info("model: %s", plan.model_handle(settings, log_info).spec.cache_id)
    inputs = plan.inputs(settings, log_info)
    if not always:
        jobs, kept = _skip_fresh(jobs, plan, inputs)
        done += kept
    labels = [f"[{i}/{len(jobs)}] {job.slug}" for i, job in enumerate(jobs, 1)]
    if fan_out and jobs:
        from flows.share import produce_on_workers

        return done + produce_on_workers(jobs, labels, plan)
    return done + produce_in_this_process(jobs, labels, plan, inputs)


def produce_in_this_process(
    jobs: list[VideoJob], labels: list[str], plan: Plan, inputs: RunInputs
) -> list[VideoResult]:
    """The videos one after the other in this process (one model), or a few at a time, with
    their new drafts read together where the engine can."""
    at_once = turns.videos_at_once()
    with drafts_together(jobs, plan, inputs.settings):
        if at_once > 1 and len(jobs) > 1:
            # The next video's probe, encode and pages run while this one's draft is made.
            get_run_logger().info("%d videos at a time", at_once)
            slots = threading.Semaphore(at_once)
            futures = [
                produce_here.submit(j, plan, lbl, slots, inputs) for j, lbl in zip(jobs, labels)
            ]
            return [f.result() for f in futures]
        return [
            produce_video(str(j.path), plan, lbl, inputs=inputs) for j, lbl in zip(jobs, labels)
        ]


@task(name="produce here", cache_policy=NONE)
def produce_here(
    job: VideoJob, plan: Plan, label: str, slots: threading.Semaphore, inputs: RunInputs
) -> VideoResult:
    with slots:
        return produce_video(str(job.path), plan, label, inputs=inputs)


if __name__ == "__main__":
    produce()
