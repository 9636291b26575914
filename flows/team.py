"""videokit as a service for a team: a Prefect server, a work pool, deployments and workers.

``videokit team up`` (in the project folder) makes or reuses, in this order:
1. a Prefect server that stays up (SQLite in the team folder by default, so history survives a
   restart; ``PREFECT_API_DATABASE_CONNECTION_URL`` names a PostgreSQL database instead);
2. the process work pool ``videokit`` (and, with ``--asr-pool``, the GPU pool that makes drafts);
3. the concurrency limit ``videokit-asr``: how many drafts are made at once (one per GPU);
4. the deployments ``produce/videokit`` (a batch, from the UI), ``produce-video/videokit`` (one
   video: what workers share), ``transcribe-video/videokit`` (drafts only) and
   ``pickup/videokit`` (the watched media folder, on an interval schedule), all with module
   entrypoints of the installed package, so no path of this machine's code is stored;
5. local workers for the pool.

``videokit team down`` stops the workers and the server; ``videokit team up`` again continues
with the same history. Another machine joins with ``videokit team worker --server URL``.

Processes are started in their own session and remembered by pid file, so that ``down`` stops
each one with everything it started (a worker's flow runs included).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from flows.deployments import ASR_LIMIT, DRAFTS, NAME, POOL
from videokit.errors import VideokitError
from videokit.files import read_json, write_json

DEFAULT_PORT = 4200
START_TIMEOUT_S = 180.0
# Flow runs of the team send a heartbeat this often; three missed ones mark a run Crashed.
HEARTBEAT_S = 30
CRASH_AUTOMATION = "videokit: runs whose worker died are crashed"


def team_home() -> Path:
    """``VIDEOKIT_TEAM_HOME``, else ``$XDG_DATA_HOME/videokit/team`` (``~/.local/share``)."""
    explicit = os.environ.get("VIDEOKIT_TEAM_HOME")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "videokit" / "team"


@dataclass(frozen=True)
class Team:
    """What ``team up`` sets up."""

    project: Path
    home: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1
    runs_per_worker: int = 3  # a batch waiting for its videos takes one of them
    watch: bool = True
    watch_every_s: float = 60.0
    quiet_s: float = 30.0
    asr_slots: int = 1
    asr_pool: str | None = None
    cache_dir: Path | None = None

    @property
    def reach_at(self) -> str:
        """The address this machine reaches the server at (it may listen on every address)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host

    @property
    def url(self) -> str:
        return f"http://{self.reach_at}:{self.port}/api"


def _prefect() -> list[str]:
    beside = Path(sys.executable).with_name("prefect")
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", "prefect"]


def _env(home: Path, url: str | None, cache_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(home / "prefect")  # the team's history, apart from one-off runs
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", "5")
    env.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(HEARTBEAT_S))
    if url:
        env["PREFECT_API_URL"] = url
    if cache_dir:
        env["VIDEOKIT_CACHE_DIR"] = str(cache_dir)
    return env


def _pid_file(home: Path, name: str) -> Path:
    return home / f"{name}.pid"


def _alive(home: Path, name: str) -> int | None:
    try:
        pid = int(_pid_file(home, name).read_text().strip())
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # a dead child of ours is a zombie until reaped
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _start(home: Path, name: str, command: list[str], env: dict[str, str], cwd: Path) -> int:
    home.mkdir(parents=True, exist_ok=True)
    with (home / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group: stopped as a whole, never orphaned
        )
    _pid_file(home, name).write_text(str(process.pid))
    return process.pid


def _stop(home: Path, name: str, timeout_s: float = 20.0) -> bool:
    pid = _alive(home, name)
    _pid_file(home, name).unlink(missing_ok=True)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # an idle worker often ignores the first SIGTERM
    return True


def healthy(url: str, timeout_s: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_healthy(url: str, home: Path, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if healthy(url):
            return
        if _alive(home, name) is None:
            break
        time.sleep(0.5)
    raise VideokitError(
        f"the Prefect server did not start at {url}",
        path=home / f"{name}.log",
        stage="team",
        hint="read the log named here; is the port taken by another program? (--port)",
    )


def start_server(team: Team, log: Any = print) -> None:
    if healthy(team.url):
        log(f"Prefect server: already running at {team.url}")
        return
    if _alive(team.home, "server"):
        _stop(team.home, "server")  # alive but not answering: start it afresh
    with socket.socket() as s:
        if s.connect_ex((team.reach_at, team.port)) == 0:
            raise VideokitError(
                f"port {team.port} is taken by another program",
                path=None,
                stage="team",
                hint="choose another one with --port",
            )
    command = [*_prefect(), "server", "start", "--host", team.host, "--port", str(team.port)]
    _start(team.home, "server", command, _env(team.home, None, None), team.home)
    log(f"Prefect server: starting at {team.url} (log: {team.home / 'server.log'})")
    _wait_healthy(team.url, team.home, "server")
    log(f"Prefect server: up; open {team.url.removesuffix('/api')} in a browser")


@contextlib.contextmanager
def _client(url: str) -> Iterator[Any]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}), get_client(sync_client=True) as c:
        yield c


def _ensure_pool(client: Any, name: str, description: str) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    try:
        client.read_work_pool(name)
    except ObjectNotFound:
        client.create_work_pool(
            WorkPoolCreate(
                name=name,
                type="process",
                description=description,
                base_job_template=ProcessWorker.get_default_base_job_template(),
            )
        )


def _ensure_crash_detection(client: Any) -> None:
    """An automation that marks a run Crashed when its heartbeats stop (a worker killed, a
    machine gone): a batch waiting for that video then reports it instead of waiting forever."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    if client.read_automations_by_name(CRASH_AUTOMATION):
        return
    client.create_automation(
        AutomationCore(
            name=CRASH_AUTOMATION,
            trigger=EventTrigger(
                after={"prefect.flow-run.heartbeat"},
                expect={
                    "prefect.flow-run.heartbeat",
                    "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed",
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
    )


def register(team: Team, log: Any = print) -> list[str]:
    """Create or update the pools, the ASR limit and the deployments; returns their names."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.types.entrypoint import EntrypointType

    from flows.pickup import pickup
    from flows.produce import produce, produce_video, transcribe_video

    with _client(team.url) as client:
        _ensure_pool(client, POOL, "videokit: videos from media/ to captions and site")
        if team.asr_pool:
            _ensure_pool(client, team.asr_pool, "videokit: drafts (speech recognition) on a GPU")
        client.upsert_global_concurrency_limit_by_name(ASR_LIMIT, team.asr_slots)
        _ensure_crash_detection(client)
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
            ),
            "Alle videoer i media-mappen (eller dem du vælger) bliver til undertekster, "
            "transskriptioner og en hjemmesidepakke. Hver video køres af en ledig worker.",
            {},
        ),
        (produce_video, POOL, {}, "Én video (startes af produce).", {}),
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
    with temporary_settings(updates={PREFECT_API_URL: team.url}):
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
                _drop_scheduled_runs(team.url, deployment_id)
    watching = (
        f"every {team.watch_every_s:.0f} s"
        if team.watch
        else "off (team up without --no-watch turns it on)"
    )
    log(f"deployments: {', '.join(names)}; watching {team.project / 'media'}: {watching}")
    return names


def _drop_scheduled_runs(url: str, deployment_id: Any) -> None:
    """Looks the scheduler had already planned: pausing the schedule keeps them otherwise."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with _client(url) as client:
        planned = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
        )
        for run in planned:
            client.delete_flow_run(run.id)


def start_workers(team: Team, log: Any = print) -> list[str]:
    started = []
    env = _env(team.home, team.url, team.cache_dir)
    host = socket.gethostname()
    for i in range(1, team.workers + 1):
        name = f"worker-{i}"
        if _alive(team.home, name):
            log(f"{name}: already running")
            continue
        command = [*_prefect(), "worker", "start", "--pool", POOL, "--name", f"{host}-{i}"]
        command += ["--limit", str(team.runs_per_worker)]
        _start(team.home, name, command, env, team.project)
        started.append(name)
        log(f"{name}: started for pool {POOL} (log: {team.home / (name + '.log')})")
    return started


def up(team: Team, log: Any = print) -> None:
    start_server(team, log)
    write_json(team.home / "team.json", {"url": team.url, "project": str(team.project)})
    register(team, log)
    start_workers(team, log)
    if team.asr_pool:
        log(
            f"drafts are made by the pool {team.asr_pool}: start a worker on the GPU machine "
            f"with: videokit team worker --server {team.url} --pool {team.asr_pool}"
        )


def down(home: Path, log: Any = print) -> None:
    workers = sorted(p.stem for p in home.glob("worker-*.pid"))
    for name in [*workers, "server"]:
        if _stop(home, name):
            log(f"{name}: stopped")
    log(f"history is kept in {home}; 'videokit team up' continues with it")


def worker(server: str, pool: str, name: str | None, cache_dir: Path | None) -> int:
    """Run one worker in the foreground (another machine joining the team)."""
    if not healthy(server):
        raise VideokitError(
            f"no Prefect server answers at {server}",
            path=None,
            stage="team",
            hint="start it with 'videokit team up' on the server machine, and check the address",
        )
    command = [*_prefect(), "worker", "start", "--pool", pool]
    if name:
        command += ["--name", name]
    return subprocess.call(command, env=_env(team_home(), server, cache_dir))


def server_url(home: Path) -> str:
    """The API address ``team up`` last used here (default port if it never ran)."""
    try:
        return str(read_json(home / "team.json")["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"http://127.0.0.1:{DEFAULT_PORT}/api"


def status(url: str, home: Path) -> list[str]:
    lines = [f"team folder: {home}"]
    if not healthy(url):
        return [*lines, f"Prefect server: not running at {url} ('videokit team up' starts it)"]
    lines.append(f"Prefect server: {url.removesuffix('/api')}")
    with _client(url) as client:
        for w in client.read_workers_for_work_pool(POOL):
            lines.append(
                f"worker {w.name}: {w.status.value.lower()}, last seen {w.last_heartbeat_time}"
            )
        from prefect.client.schemas.sorting import FlowRunSort

        for run in client.read_flow_runs(limit=10, sort=FlowRunSort.START_TIME_DESC):
            lines.append(f"run {run.name}: {run.state_name}")
    return lines
