"""What ``team up`` registers on the server: the work pools, the draft limit, the crash
detection and the deployments, each made or brought up to date (a second ``team up`` changes
nothing that is already right).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flows.deployments import ASR_LIMIT, DRAFTS, NAME, POOL
from flows.server import client, settings

if TYPE_CHECKING:
    from videokit.teamspec import Team

# Flow runs of the team send a heartbeat this often; three missed ones mark a run Crashed.
HEARTBEAT_S = 30
CRASH_AUTOMATION = "videokit: runs whose worker died are crashed"


def _ensure_pool(api: Any, name: str, description: str) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    try:
        api.read_work_pool(name)
    except ObjectNotFound:
        api.create_work_pool(
            WorkPoolCreate(
                name=name,
                type="process",
                description=description,
                base_job_template=ProcessWorker.get_default_base_job_template(),
            )
        )


def _ensure_crash_detection(api: Any) -> None:
    """An automation that marks a run Crashed when its heartbeats stop (a worker killed, a
    machine gone): a batch waiting for that video then reports it instead of waiting forever."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    automation = AutomationCore(
        name=CRASH_AUTOMATION,
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
                # Handed back by a stopping worker: it waits for the next one, not dead.
                "prefect.flow-run.AwaitingRetry",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=dt.timedelta(seconds=3 * HEARTBEAT_S),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message="its worker stopped answering (killed, or its machine went away)",
                force=False,
                name="Crashed",
            )
        ],
    )
    found = api.read_automations_by_name(CRASH_AUTOMATION)
    if not found:
        api.create_automation(automation)
    elif found[0].trigger != automation.trigger:  # made by an older videokit
        api.update_automation(found[0].id, automation)


def register(team: Team, log: Any = print) -> list[str]:
    """Create or update the pools, the ASR limit and the deployments; returns their names."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.types.entrypoint import EntrypointType

    from flows.pickup import pickup
    from flows.produce import produce, produce_video, transcribe_video
    from flows.share import produce_videos

    with client(team.url, team.auth) as api:
        _ensure_pool(api, POOL, "videokit: videos from media/ to captions and site")
        if team.asr_pool:
            _ensure_pool(api, team.asr_pool, "videokit: drafts (speech recognition) on a GPU")
        api.upsert_global_concurrency_limit_by_name(ASR_LIMIT, team.asr_slots)
        _ensure_crash_detection(api)
    log(f"work pool: {POOL}; drafts at once: {team.asr_slots} (limit {ASR_LIMIT})")
    asr_deployment = DRAFTS if team.asr_pool else None
    project = str(team.project)
    plans: list[tuple[Any, str, dict[str, Any], str, dict[str, Any]]] = [
        (
            produce,
            POOL,
            dict(
                project_dir=project,
                fan_out=True,
                asr_limit=ASR_LIMIT,
                asr_deployment=asr_deployment,
                **({"store": team.store} if team.store else {}),
            ),
            "Alle videoer i media-mappen (eller dem du vælger) bliver til undertekster, "
            "transskriptioner og en hjemmesidepakke. Hver video køres af en ledig worker.",
            # One batch at a time, the others queued without holding a worker: a batch holds a
            # worker slot while it waits for its videos' runs, and batches that filled every
            # slot would wait for ever (the first team up on three new videos did).
            dict(
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
                )
            ),
        ),
        (produce_video, POOL, {}, "Én video.", {}),
        (
            produce_videos,
            POOL,
            {},
            "En del af en kørsels videoer på én worker (startes af produce).",
            {},
        ),
        (transcribe_video, team.asr_pool or POOL, {}, "Udkast til én video (ASR).", {}),
        (
            pickup,
            POOL,
            dict(project_dir=project, quiet_s=team.quiet_s),
            "Ser efter nye videoer i media-mappen og starter en kørsel for hver.",
            dict(
                interval=team.watch_every_s,
                paused=not team.watch,
                # One look at a time: a look that would overlap a slow one is dropped, not queued.
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
                ),
            ),
        ),
    ]
    names = []
    with settings(team.url, team.auth):
        for flow_, pool, parameters, description, schedule in plans:
            deployment = flow_.to_deployment(
                name=NAME,
                work_pool_name=pool,
                entrypoint_type=EntrypointType.MODULE_PATH,
                parameters=parameters,
                description=description,
                tags=["videokit"],
                **schedule,
            )
            deployment_id = deployment.apply()
            names.append(f"{flow_.name}/{NAME}")
            if flow_ is pickup and not team.watch:
                _drop_scheduled_runs(team.url, team.auth, deployment_id)
    watching = (
        f"every {team.watch_every_s:.0f} s"
        if team.watch
        else "off (team up without --no-watch turns it on)"
    )
    log(f"deployments: {', '.join(names)}; watching {team.project / 'media'}: {watching}")
    return names


def _drop_scheduled_runs(url: str, auth: str, deployment_id: Any) -> None:
    """Looks the scheduler had already planned: pausing the schedule keeps them otherwise."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with client(url, auth) as api:
        planned = api.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
        )
        for run in planned:
            api.delete_flow_run(run.id)


def release_draft_slots(team: Team, log: Any) -> None:
    """Free the draft limit's slots after a server (re)start.

    A draft that was running when the service stopped never gave its slot back, and every later
    draft then waited for it (a rerun hung 11 minutes). When the server has just started, no run
    of it is drafting yet.
    """
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    with client(team.url, team.auth) as api:
        try:
            limit = api.read_global_concurrency_limit_by_name(ASR_LIMIT)
        except ObjectNotFound:
            return
        if limit.active_slots:
            api.update_global_concurrency_limit(
                ASR_LIMIT, GlobalConcurrencyLimitUpdate(active_slots=0)
            )
            log(f"released {limit.active_slots} draft slot(s) held by runs from before the restart")
