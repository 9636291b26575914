"""The team's worker: Prefect's process worker that starts videokit's own deployments and no other.

A process worker runs whatever a flow run asks of it: another deployment's code, or a shell
command set through the work pool's ``command`` job variable. Whoever can write to the API could
so run commands as the worker's user on every worker machine. This worker looks at each run
before it starts it and refuses (state Failed, with the reason) anything that is not one of the
deployments in :data:`flows.deployments.ENTRYPOINTS`, started with Prefect's own engine command.

``python -m flows.worker --pool videokit [--name N] [--limit L]`` is what ``videokit team``
starts; the API address and login come from the environment (never the command line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import warnings
from typing import Any

import anyio
from prefect.client.schemas.objects import FlowRun, WorkPool
from prefect.states import Failed
from prefect.utilities.processutils import (
    command_to_string,
    get_sys_executable,
    setup_signal_handlers_worker,
)
from prefect.workers.process import ProcessJobConfiguration, ProcessWorker, ProcessWorkerResult

from flows.deployments import ENTRYPOINTS

# Job variables that change how a run is named or logged, never what it executes. ``command``,
# ``env`` (PYTHONPATH, LD_PRELOAD or PYTHONWARNINGS reach code too) and ``working_dir`` (a module
# entrypoint is imported from it first) are refused.
HARMLESS = frozenset({"name", "labels", "stream_output"})
# What the process job template must leave to Prefect, so no one changes it in the pool either.
PINNED = ("command", "env", "working_dir")


class RefusedRun(Exception):
    """Reported to Prefect in place of a process id: the run was never started."""


def _set(value: Any) -> bool:
    return value not in (None, "", {}, [])


def _template_refusal(template: dict[str, Any]) -> str | None:
    default = ProcessWorker.get_default_base_job_template()
    configuration = template.get("job_configuration") or {}
    for key in PINNED:
        if configuration.get(key) != default["job_configuration"].get(key):
            return f"the work pool's job template sets {key!r}"
    properties = (template.get("variables") or {}).get("properties") or {}
    for key in PINNED:
        if _set((properties.get(key) or {}).get("default")):
            return f"the work pool's job template gives {key!r} a default"
    return None


def refusal(
    flow_run: FlowRun,
    deployment: Any | None,
    flow_name: str | None,
    work_pool: WorkPool | None,
) -> str | None:
    """Why ``flow_run`` must not run on a videokit worker, or ``None`` when it may."""
    if deployment is None:
        return "it is no run of a deployment (videokit's workers run only videokit's deployments)"
    full = f"{flow_name}/{deployment.name}"
    expected = ENTRYPOINTS.get(full)
    if expected is None:
        return f"{full} is not one of videokit's deployments ({', '.join(ENTRYPOINTS)})"
    if deployment.entrypoint != expected:
        return f"{full} has the entrypoint {deployment.entrypoint!r}, not videokit's {expected!r}"
    if deployment.pull_steps:
        return f"{full} has pull steps, which would run before the flow"
    for source, variables in (
        ("the deployment", deployment.job_variables),
        ("the flow run", flow_run.job_variables),
    ):
        refused = sorted(k for k, v in (variables or {}).items() if k not in HARMLESS and _set(v))
        if refused:
            return f"{source} sets the job variable(s) {', '.join(refused)}"
    if work_pool is not None:
        return _template_refusal(work_pool.base_job_template or {})
    return None


def engine_command() -> str:
    """The command a process worker starts a flow run with when nothing overrides it."""
    return command_to_string([get_sys_executable(), "-m", "prefect.engine"])


# Same type as Prefect's process worker (the pool stays a plain process pool): Prefect warns that
# the registered class for "process" is replaced, which in this process is the point.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")

    class VideokitWorker(ProcessWorker):
        type = "process"

        async def run(
            self,
            flow_run: FlowRun,
            configuration: ProcessJobConfiguration,
            task_status: anyio.abc.TaskStatus[int] | None = None,
        ) -> ProcessWorkerResult:
            reason = await self._refusal(flow_run, configuration)
            if reason is None:
                return await super().run(flow_run, configuration, task_status)
            message = f"refused by videokit's worker: {reason}"
            self.get_flow_run_logger(flow_run).error(message)
            # Forced: no retry policy may bring a refused run back.
            await self.client.set_flow_run_state(flow_run.id, Failed(message=message), force=True)
            if task_status is not None:
                # An exception in place of a pid: Prefect records no process for this run.
                task_status.started(RefusedRun(message))  # type: ignore[arg-type]
            # Status 0: the run is Failed already; any other code would have Prefect mark it
            # Crashed over the reason.
            return ProcessWorkerResult(status_code=0, identifier="refused")

        async def _refusal(
            self, flow_run: FlowRun, configuration: ProcessJobConfiguration
        ) -> str | None:
            from prefect.exceptions import ObjectNotFound

            deployment = None
            if flow_run.deployment_id:
                with contextlib.suppress(ObjectNotFound):  # deleted meanwhile: refused below
                    deployment = await self.client.read_deployment(flow_run.deployment_id)
            flow = await self.client.read_flow(flow_run.flow_id)
            reason = refusal(flow_run, deployment, flow.name, self.work_pool)
            if reason is None and configuration.command != engine_command():
                # Whatever the checks above missed (another Prefect version, a new variable),
                # the command that would start must be Prefect's engine itself.
                reason = f"its command would be {configuration.command!r}, not Prefect's engine"
            if reason is None and configuration.working_dir is not None:
                reason = "its working directory is set"
            return reason


def main(argv: list[str] | None = None) -> int:
    from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS, PREFECT_WORKER_PREFETCH_SECONDS

    parser = argparse.ArgumentParser(prog="python -m flows.worker", description=__doc__)
    parser.add_argument("--pool", required=True)
    parser.add_argument("--name", default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    setup_signal_handlers_worker(os.getpid(), "the videokit worker", print)
    worker = VideokitWorker(
        name=args.name,
        work_pool_name=args.pool,
        limit=args.limit,
        prefetch_seconds=PREFECT_WORKER_PREFETCH_SECONDS.value(),
        heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()),
    )
    try:
        asyncio.run(worker.start(run_once=False, with_healthcheck=False, printer=print))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"worker {worker.name!r} stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
