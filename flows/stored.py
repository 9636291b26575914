"""The production flows on a project kept in object storage (``produce(store="s3://…")``).

No folder is shared: each video's run takes the video's lease in the store, stages what it
needs into a local scratch folder (:mod:`videokit.staging`), runs the same ``produce-video``
body there as on a local project, and publishes back what changed; the batch's site index,
manifest and zip are made the same way under the store's ``index`` lease. The draft cache is the
store's ``cache/`` unless ``VIDEOKIT_CACHE_DIR`` names another. See :mod:`videokit.store` for
how the leases and the conditional writes work.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path, PurePosixPath
from typing import Any

from prefect import get_run_logger, runtime, task
from prefect.cache_policies import NONE
from prefect.deployments import run_deployment

from flows import video as video_flow
from flows.common import collect_results, waiting
from flows.deployments import VIDEO
from videokit import publish, report, resultfile, staging
from videokit import results as rows
from videokit.errors import VideokitError
from videokit.locks import VIDEO_WAIT_S
from videokit.media import VIDEO_EXTENSIONS
from videokit.report import VideoResult
from videokit.runplan import Plan
from videokit.slug import slugify
from videokit.store import ObjectStore, lease
from videokit.workspace import Layout, jobs_for

CACHE = "cache"  # the store's draft cache, beside the project's folders


def plan(store: str, **choices: Any) -> Plan:
    """A run's plan for the project at ``store``: its folders are paths inside the store."""
    return Plan(
        project_dir=store,
        media_dir=staging.MEDIA,
        out_dir=staging.OUT,
        review_dir=staging.REVIEW,
        config_file=staging.CONFIG,
        store=store,
        cache_dir=f"{store.rstrip('/')}/{CACHE}",
        **choices,
    )


def _result_rel(run_id: str) -> str:
    return f"{staging.OUT}/state/runs/{run_id}.json"


def produce_video(video: str, plan_: Plan, label: str, keep_result: bool) -> VideoResult:
    """One video of the store (``video``: its path there, ``media/…``), as ``produce-video``."""
    log = get_run_logger()
    started = time.monotonic()
    store = ObjectStore(str(plan_.store))
    name = PurePosixPath(video).name
    slug = slugify(PurePosixPath(video).stem)
    label = label or slug
    notes: list[str] = []
    try:
        with (
            lease(store, f"video-{slug}", wait_s=VIDEO_WAIT_S, on_wait=waiting(label)) as held,
            staging.scratch(slug) as root,
        ):
            staged = staging.stage_video(store, video, slug, root)
            here = replace(
                plan_,
                project_dir=str(root),
                media_dir=str(staged.media),
                out_dir=str(staged.out),
                review_dir=str(staged.review),
                config_file=str(staged.config),
                store=None,
            )
            result = video_flow.produce_video.fn(str(root / video), here, label)
            if held.lost:
                raise VideokitError(
                    "another run took this video over while this one stalled; nothing of this "
                    "run was written",
                    path=Path(video),
                    stage="lock",
                    hint="see the other run's result; run again if it failed",
                )
            notes = staging.publish(store, staged, slug)
            output = result.output.replace(str(root), store.url, 1) if result.output else ""
    except VideokitError as err:
        log.error("%s: %s", label, err)
        result, output = rows.failed(name, slug, err, started), ""
    for note in notes:
        log.warning("%s: %s", label, note)
    result = replace(result, output=output, warnings=result.warnings + tuple(notes))
    run_id = runtime.flow_run.id
    if keep_result and run_id:
        store.write(_result_rel(str(run_id)), json.dumps(report.to_dict(result)).encode())
    return result


def collect(plan_: Plan, run: Any, job: Any) -> VideoResult:
    """The result a ``produce-video`` run of a store video kept there (see
    ``flows.common.collect_results``)."""
    store = ObjectStore(str(plan_.store))
    rel = _result_rel(str(run.id))
    found = store.read(rel)
    with staging.scratch("result") as root:
        layout = Layout(root)
        if found is not None:
            target = resultfile.result_path(layout, str(run.id))
            target.parent.mkdir(parents=True)
            target.write_bytes(found[0])
            store.delete(rel)
        return collect_results(layout, run, [job])[0]


@task(name="produce on a worker", cache_policy=NONE)
def produce_elsewhere(job: Any, plan_: Plan, label: str) -> VideoResult:
    """One store video as its own ``produce-video`` run, which any worker of the pool can take
    (the store, not a shared folder, carries its files and its result)."""
    run = run_deployment(
        VIDEO,
        parameters={
            "video": str(job.path),
            "plan": asdict(plan_),
            "label": label,
            "keep_result": True,
        },
        timeout=None,
        flow_run_name=job.slug,
    )
    return collect(plan_, run, job)


@task(name="site index, manifest and zip", cache_policy=NONE)
def write_indexes(plan_: Plan) -> int:
    store = ObjectStore(str(plan_.store))
    with lease(store, "index", wait_s=VIDEO_WAIT_S), staging.scratch("site") as root:
        staged = staging.stage_site(store, root)
        published, files = publish.write_indexes(Layout(staged.out, staged.review))
        staging.publish(store, staged)
    get_run_logger().info(
        "site: %d approved videos, %d files in %s/%s",
        len(published),
        files,
        store.url,
        Layout(Path(staging.OUT)).zip,
    )
    return len(published)


def produce_all(plan_: Plan, paths: list[str] | None, fan_out: bool) -> list[VideoResult]:
    """Every video in the store's media folder (or the ones named), then the site's indexes."""
    log = get_run_logger()
    store = ObjectStore(str(plan_.store))
    videos = [
        rel
        for rel in store.listing(staging.MEDIA)
        if rel.count("/") == 1
        and PurePosixPath(rel).suffix.lower() in VIDEO_EXTENSIONS
        and not PurePosixPath(rel).name.startswith(".")
    ]
    if paths:
        wanted = {PurePosixPath(path).name for path in paths}
        videos = [rel for rel in videos if PurePosixPath(rel).name in wanted]
    jobs, problems = jobs_for([Path(rel) for rel in sorted(videos)])
    results = [rows.failed(str(e.path.name if e.path else "?"), "", e) for e in problems]
    log.info("%d videos to produce in %s", len(jobs), store.url)
    labels = [f"[{i}/{len(jobs)}] {job.slug}" for i, job in enumerate(jobs, 1)]
    if fan_out:
        futures = [produce_elsewhere.submit(j, plan_, lbl) for j, lbl in zip(jobs, labels)]
        results += [f.result() for f in futures]
    else:
        results += [
            video_flow.produce_video(str(j.path), plan_, lbl) for j, lbl in zip(jobs, labels)
        ]
    write_indexes(plan_)
    return results


def produce(
    store: str,
    paths: list[str] | None,
    fan_out: bool,
    wait_for_approval: bool,
    **choices: Any,
) -> list[VideoResult]:
    """The ``produce`` flow's batch for a project in a store; every result, failures included."""
    try:
        if wait_for_approval:
            raise VideokitError(
                "waiting for approval in the Prefect UI is not offered for a project in a store",
                stage="store",
                hint="run without wait_for_approval (README: 'Object storage')",
            )
        return produce_all(plan(store, **choices), paths, fan_out)
    except VideokitError as err:
        get_run_logger().error("%s", err)
        return [rows.failed(store, "", err)]
