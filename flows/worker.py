"""The team's worker: Prefect's process worker that starts videokit's own deployments and no other.

A process worker runs whatever a flow run asks of it: another deployment's code, or a shell
command set through the work pool's ``command`` job variable. Whoever can write to the API could
so run commands as the worker's user on every worker machine. This worker looks at each run
before it starts it and refuses (state Failed, with the reason) anything that is not one of the
deployments in :data:`flows.deployments.ENTRYPOINTS`, started with Prefect's own engine command.

A stop signal (SIGTERM, SIGINT) drains the worker: it takes no new run, gives the runs it has
``--drain-s`` seconds to finish, then hands the others back (they are Scheduled again, for any
worker of the pool, and continue from what is cached) and exits. A second signal hands back at
once. Each run is started under Prefect's ``flow-run execute`` supervisor, which is what
reschedules its run on SIGTERM; its output goes to Prefect's log, not through the worker, so a
worker killed outright leaves no run to die at its next line of output.

``python -m flows.worker --pool videokit [--name N] [--limit L] [--drain-s S]`` is what
``videokit team`` starts; the API address and login come from the environment (never the
command line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import time
import warnings
from typing import Any
from uuid import UUID

import anyio
from prefect.client.schemas.objects import FlowRun, WorkPool
from prefect.states import Failed
from prefect.utilities.processutils import command_to_string, get_sys_executable
from prefect.workers.process import ProcessJobConfiguration, ProcessWorker, ProcessWorkerResult

from flows.deployments import DRAIN_S, ENTRYPOINTS, HAND_BACK_S
from videokit.processes import process_tree, start_time

# Job variables that change how a run is named or logged, never what it executes. ``command``,
# ``env`` (PYTHONPATH, LD_PRELOAD or PYTHONWARNINGS reach code too) and ``working_dir`` (a module
# entrypoint is imported from it first) are refused.
HARMLESS = frozenset({"name", "labels", "stream_output"})
# What the process job template must leave to Prefect, so no one changes it in the pool either.
PINNED = ("command", "env", "working_dir")
# Prefect's documented setting for `prefect flow-run execute`: on SIGTERM, the run goes back to
# Scheduled (AwaitingRetry) instead of Crashed.
_HAND_BACK_ENV = {"PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR": "reschedule"}


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


def supervised_command() -> str:
    """What a videokit worker starts instead: the engine under Prefect's own supervisor."""
    return command_to_string([get_sys_executable(), "-m", "prefect", "flow-run", "execute"])


# Same type as Prefect's process worker (the pool stays a plain process pool): Prefect warns that
# the registered class for "process" is replaced, which in this process is the point.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")

    class VideokitWorker(ProcessWorker):
        type = "process"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.draining = False
            self.running: dict[UUID, int] = {}  # flow run -> its supervisor's pid

        async def get_and_submit_flow_runs(self) -> list[FlowRun]:
            if self.draining:
                return []
            return await super().get_and_submit_flow_runs()

        async def run(
            self,
            flow_run: FlowRun,
            configuration: ProcessJobConfiguration,
            task_status: anyio.abc.TaskStatus[int] | None = None,
        ) -> ProcessWorkerResult:
            reason = await self._refusal(flow_run, configuration)
            if reason is None:
                return await self._supervised(flow_run, configuration, task_status)
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

        async def _supervised(
            self,
            flow_run: FlowRun,
            configuration: ProcessJobConfiguration,
            task_status: anyio.abc.TaskStatus[int] | None,
        ) -> ProcessWorkerResult:
            """Prefect's run of the checked configuration, under the supervisor that can hand
            the run back, and remembered until it ends."""
            configuration.command = supervised_command()
            configuration._command_configured = True
            configuration.env = {**configuration.env, **_HAND_BACK_ENV}
            configuration.stream_output = False

            class Started:
                def started(self_, pid: int) -> None:
                    self.running[flow_run.id] = pid
                    if task_status is not None:
                        task_status.started(pid)

            try:
                return await super().run(flow_run, configuration, Started())  # type: ignore[arg-type]
            finally:
                self.running.pop(flow_run.id, None)

        async def drain(self, grace_s: float, now: asyncio.Event) -> None:
            """Take no new run; let the running ones finish within ``grace_s`` (or until ``now``
            is set), then hand the others back to the pool."""
            self.draining = True
            if self.running:
                print(f"draining: {len(self.running)} run(s) get {grace_s:.0f} s to finish")
            deadline = time.monotonic() + grace_s
            while self.running and time.monotonic() < deadline and not now.is_set():
                await asyncio.sleep(0.2)
            if self.running:
                print(f"handing {len(self.running)} run(s) back to the pool")
            # A flow's engine runs in a session of its own, and one waiting in a thread (a batch
            # waiting for its videos) outlives its supervisor's stop: it would go on as a second
            # copy of a run that is handed back. Everything a run started is killed at the end.
            trees = [
                [(p, start_time(p)) for p in process_tree(pid)] for pid in self.running.values()
            ]
            for pid in list(self.running.values()):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)  # its supervisor reschedules it, then stops
            deadline = time.monotonic() + HAND_BACK_S
            while self.running and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            for pid, started in (p for tree in trees for p in tree):
                if started and start_time(pid) == started:  # that very process, not a pid reused
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)

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


async def serve(worker: Any, drain_s: float) -> None:
    """Run ``worker`` until a stop signal, then drain it (a second signal: hand back now)."""
    loop = asyncio.get_running_loop()
    stop, now = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        (now if stop.is_set() else stop).set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)
    serving = asyncio.create_task(
        worker.start(run_once=False, with_healthcheck=False, printer=print)
    )
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not serving.done():
        await worker.drain(drain_s, now)
        serving.cancel()
    stopping.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await serving


def main(argv: list[str] | None = None) -> int:
    from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS, PREFECT_WORKER_PREFETCH_SECONDS

    parser = argparse.ArgumentParser(prog="python -m flows.worker", description=__doc__)
    parser.add_argument("--pool", required=True)
    parser.add_argument("--name", default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--drain-s", type=float, default=DRAIN_S)
    args = parser.parse_args(argv)
    worker = VideokitWorker(
        name=args.name,
        work_pool_name=args.pool,
        limit=args.limit,
        prefetch_seconds=PREFECT_WORKER_PREFETCH_SECONDS.value(),
        heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()),
    )
    asyncio.run(serve(worker, args.drain_s))
    print(f"worker {worker.name!r} stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
