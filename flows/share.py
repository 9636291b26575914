"""A team batch spread over the pool's workers in shares of videos, one run per share.

Every video its own deployment run cost each video a process start and a model load (about 15 s
a video). Here each online worker of the pool gets one share of the batch (by file size: about
equal work): in that run the model stays loaded from one video to the next, and new drafts are
read together where the settings ask for it, as in ``videokit produce`` on one machine.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_client, get_run_logger, runtime, task
from prefect.cache_policies import NONE
from prefect.deployments import run_deployment
from prefect.task_runners import ThreadPoolTaskRunner

from flows.common import collect_results, keep_results, log_info
from flows.deployments import POOL, SHARE
from flows.produce import produce_in_this_process
from videokit import results as rows
from videokit.errors import VideokitError
from videokit.report import VideoResult
from videokit.runplan import Plan
from videokit.schedule import shares
from videokit.workspace import VideoJob, find_videos


def _online_workers(pool: str) -> int:
    from prefect.client.schemas.objects import WorkerStatus

    with get_client(sync_client=True) as client:
        workers = client.read_workers_for_work_pool(pool)
    return sum(w.status == WorkerStatus.ONLINE for w in workers)


def produce_on_workers(jobs: list[VideoJob], labels: list[str], plan: Plan) -> list[VideoResult]:
    """Each online worker one share of ``jobs``; the results in the order of ``jobs``."""
    split = shares([_size(job.path) for job in jobs], _online_workers(POOL))
    get_run_logger().info(
        "%d videos in %d run(s) of %s: one per worker of the pool", len(jobs), len(split), SHARE
    )
    futures = [
        produce_share.submit([jobs[i] for i in share], [labels[i] for i in share], plan)
        for share in split
    ]
    by_name = {r.source: r for f in futures for r in f.result()}
    lost = "its share of the batch gave no result for it"
    return [by_name.get(job.name) or rows.lost(job, lost) for job in jobs]


def _size(path: Path) -> float:
    try:
        return float(path.stat().st_size)
    except OSError:
        return 0.0


@task(name="produce on a worker", cache_policy=NONE)
def produce_share(jobs: list[VideoJob], labels: list[str], plan: Plan) -> list[VideoResult]:
    slugs = [job.slug for job in jobs]
    run: Any = run_deployment(
        SHARE,
        parameters={"videos": [str(j.path) for j in jobs], "labels": labels, "plan": asdict(plan)},
        timeout=None,
        flow_run_name=slugs[0] if len(slugs) == 1 else f"{slugs[0]} +{len(slugs) - 1}",
        # A batch handed back by a stopping worker starts again from the top: it finds the runs
        # it had started (done, or running elsewhere) instead of starting them twice.
        idempotency_key=f"{runtime.flow_run.id}/"
        + hashlib.sha256("\n".join(slugs).encode()).hexdigest()[:16],
    )
    return collect_results(plan.layout, run, jobs)


@flow(name="produce-videos", task_runner=ThreadPoolTaskRunner(max_workers=4))  # type: ignore[arg-type]
def produce_videos(videos: list[str], plan: Plan, labels: list[str]) -> list[VideoResult]:
    """Produce some of a batch's videos in this process (one model for all), and keep their
    results for the batch."""
    results: list[VideoResult] = []
    jobs, kept = [], []
    for video, label in zip(videos, labels):
        found, problems = find_videos([Path(video)])
        if problems or not found:
            results += [rows.failed(Path(video).name, "", p) for p in problems]
            continue
        jobs += found
        kept.append(label)
    try:
        inputs = plan.inputs(plan.settings(), log_info)
    except VideokitError as err:  # bad settings or no model: the summary says so for each video
        get_run_logger().error("%s", err)
        results += [rows.failed(job.name, job.slug, err) for job in jobs]
    else:
        results += produce_in_this_process(jobs, kept, plan, inputs)
    keep_results(plan.layout, results)
    return results
