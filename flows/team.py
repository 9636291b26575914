"""videokit as a service for a team: a Prefect server, a work pool, deployments and workers.

``videokit team up`` (in the project folder) makes or reuses, in this order:
1. a Prefect server that stays up (SQLite in the team folder by default, so history survives a
   restart; ``--database postgresql://…`` names a PostgreSQL database instead, kept for the next
   ``team up``);
2. the process work pool ``videokit`` (and, with ``--asr-pool``, the GPU pool that makes drafts);
3. the concurrency limit ``videokit-asr``: how many drafts are made at once (one per GPU);
4. the deployments ``produce/videokit`` (a batch, from the UI), ``produce-videos/videokit`` (a
   share of a batch: what workers share), ``produce-video/videokit`` (one video),
   ``transcribe-video/videokit`` (drafts only) and
   ``pickup/videokit`` (the watched media folder, on an interval schedule), all with module
   entrypoints of the installed package, so no path of this machine's code is stored;
5. local workers for the pool.

With ``--store s3://…`` the project lives in object storage instead of a folder
(:mod:`flows.stored`): the batch deployment carries the address, and workers reach the store
with the standard AWS settings of their environment.

``videokit team down`` stops the workers and the server; ``videokit team up`` again continues
with the same history. Another machine joins with ``videokit team worker --server URL``.

Processes are started in their own session and remembered by pid file, so that ``down`` stops
each one with everything it started (a worker's flow runs included).

The API asks for a login: Prefect's own basic authentication, with a secret made at the first
``team up`` and kept in the team folder (readable by its owner only). Every process gets it through
its environment, never its command line (which any user of the machine can read). The workers are
:mod:`flows.worker`, which starts only videokit's own deployments.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from flows import database
from flows.deployments import ASR_LIMIT, DRAFTS, NAME, PICKUP, POOL, STOP_S
from videokit.errors import VideokitError
from videokit.files import read_json, write_json

DEFAULT_PORT = 4200
START_TIMEOUT_S = 180.0
# Flow runs of the team send a heartbeat this often; three missed ones mark a run Crashed.
HEARTBEAT_S = 30
CRASH_AUTOMATION = "videokit: runs whose worker died are crashed"
AUTH_FILE = "api-auth"  # in the team folder: "videokit:<secret>", mode 0600
AUTH_USER = "videokit"
AUTH_ENV = "VIDEOKIT_TEAM_AUTH"  # the login, for a worker or `team status` on another machine


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
    public_url: str | None = None  # how browsers and other machines reach the server
    database: str | None = None  # postgresql://…; None: SQLite in the team folder
    store: str | None = None  # s3://…: the project lives in object storage (flows/stored.py)

    @property
    def reach_at(self) -> str:
        """The address this machine reaches the server at (it may listen on every address)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host

    @property
    def url(self) -> str:
        return f"http://{_bracketed(self.reach_at)}:{self.port}/api"

    @property
    def public(self) -> str:
        """The server's address for others: the UI's API calls and the workers' ``--server``.

        Listening on every address means other machines are meant to connect, and the browser
        runs on theirs: ``127.0.0.1`` would be their own machine. This machine's host name is
        what a small team's network resolves (DNS or mDNS) without anyone configuring it;
        ``--public-url`` names another (an IP address, a name behind a proxy) where it does not.
        """
        if self.public_url:
            return self.public_url.rstrip("/").removesuffix("/api")
        host = socket.gethostname() if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{_bracketed(host)}:{self.port}"

    @property
    def ui_api_url(self) -> str:
        return f"{self.public}/api"

    @property
    def ui_origins(self) -> list[str]:
        """Where the UI is opened from: the only origins whose pages may call the API."""
        local = [f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"]
        own = self.url.removesuffix("/api")
        return list(dict.fromkeys([self.public, own, *local]))

    @property
    def auth(self) -> str:
        """The team's login (``user:secret``), made at the first call."""
        return ensure_secret(self.home)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def ensure_secret(home: Path) -> str:
    """The team's login from its file in ``home``, made on the first call."""
    path = home / AUTH_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        # Made with its mode, never chmod-ed afterwards: no moment where others may read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret(path)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"{AUTH_USER}:{secrets.token_urlsafe(32)}\n")
    return read_secret(path)


def read_secret(path: Path) -> str:
    """A login (``user:secret``) from a file that only its owner may read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise VideokitError(
            f"the team's login cannot be read: {err.strerror}",
            path=path,
            stage="team",
            hint="copy it from the server machine's team folder (file api-auth)",
        ) from err
    if mode & 0o077:
        raise VideokitError(
            "the team's login file may be read by other users",
            path=path,
            stage="team",
            hint=f"make it yours alone: chmod 600 {path}",
        )
    if ":" not in text:
        raise VideokitError(
            "the team's login file does not hold 'user:secret'",
            path=path,
            stage="team",
            hint="copy it again from the server machine's team folder (file api-auth)",
        )
    return text


def rotate_secret(home: Path, log: Any = print) -> None:
    """A new login; the old one stops working at the next ``team up``."""
    if _alive(home, "server") or any(_alive(home, p.stem) for p in home.glob("worker-*.pid")):
        raise VideokitError(
            "the team service is running on this machine",
            path=home,
            stage="team",
            hint="stop it first: videokit team down (then rotate-secret, then team up)",
        )
    (home / AUTH_FILE).unlink(missing_ok=True)
    ensure_secret(home)
    log(
        f"a new login is in {home / AUTH_FILE}; 'videokit team up' starts with it. Give it to "
        f"the other machines' workers (--auth-file or ${AUTH_ENV})."
    )


def client_auth(home: Path, auth_file: Path | None = None) -> str | None:
    """The login a client here uses: ``--auth-file``, ``$VIDEOKIT_TEAM_AUTH``, Prefect's own
    ``$PREFECT_API_AUTH_STRING``, else this machine's team folder (the server's machine)."""
    if auth_file is not None:
        return read_secret(auth_file)
    for name in (AUTH_ENV, "PREFECT_API_AUTH_STRING"):
        if os.environ.get(name):
            return os.environ[name]
    if (home / AUTH_FILE).is_file():
        return read_secret(home / AUTH_FILE)
    return None


def _prefect() -> list[str]:
    beside = Path(sys.executable).with_name("prefect")
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", "prefect"]


def _worker_command(pool: str, name: str | None, limit: int | None = None) -> list[str]:
    # -P: `-m` would put the working folder (the project, often a share others write to) first
    # on the import path, so a `prefect.py` or `flows/` there would be imported by the worker.
    command = [sys.executable, "-P", "-m", "flows.worker", "--pool", pool]
    if name:
        command += ["--name", name]
    if limit:
        command += ["--limit", str(limit)]
    return command


def _env(
    home: Path, url: str | None, cache_dir: Path | None, auth: str | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(AUTH_ENV, None)  # handed on as Prefect's own setting below, once
    env["PREFECT_HOME"] = str(home / "prefect")  # the team's history, apart from one-off runs
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", "5")
    env.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(HEARTBEAT_S))
    if url:
        env["PREFECT_API_URL"] = url
    if auth:
        env["PREFECT_API_AUTH_STRING"] = auth
    else:
        env.pop("PREFECT_API_AUTH_STRING", None)
    if cache_dir:
        env["VIDEOKIT_CACHE_DIR"] = str(cache_dir)
    return env


def _pid_file(home: Path, name: str) -> Path:
    return home / f"{name}.pid"


def start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc); ``None`` if unknown.

    With the pid, this names one process for good: a pid is reused, a start time with it is not.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22; the name before ")" may hold spaces


def _alive(home: Path, name: str) -> int | None:
    """The pid in ``name``'s pid file if that very process still runs.

    A stale pid file may name a process that has nothing to do with the team (the pid was
    reused after a reboot or a crash): it is checked against the start time recorded with it, so
    ``team down`` never signals a stranger.
    """
    try:
        data = json.loads(_pid_file(home, name).read_text())
        pid, started = (
            (data, None) if isinstance(data, int) else (int(data["pid"]), data["started"])
        )
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # a dead child of ours is a zombie until reaped
        os.kill(pid, 0)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    now = start_time(pid)
    if started is None:
        # A pid file of an older videokit: only a process that is one of ours is taken for it.
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return pid if now is None else None
        return pid if b"prefect" in command or b"flows.worker" in command else None
    return pid if now is None or now == started else None


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
    record = {"pid": process.pid, "started": start_time(process.pid), "command": command[:3]}
    _pid_file(home, name).write_text(json.dumps(record))
    return process.pid


def _stop(home: Path, name: str, timeout_s: float = 20.0) -> bool:
    """Stop ``name`` and what it started. A worker alone gets the SIGTERM: it drains its runs
    (:mod:`flows.worker`), which a SIGTERM to its whole group would crash instead."""
    pid = _alive(home, name)
    _pid_file(home, name).unlink(missing_ok=True)
    if pid is None:
        return False
    worker = name.startswith("worker-")
    if worker:
        timeout_s = max(timeout_s, STOP_S)
    with contextlib.suppress(ProcessLookupError):
        (os.kill if worker else os.killpg)(pid, signal.SIGTERM)
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
        os.killpg(pid, signal.SIGKILL)  # what a stuck process left behind
    return True


def _headers(auth: str | None) -> dict[str, str]:
    if not auth:
        return {}
    import base64

    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


def _answer(url: str, path: str, auth: str | None, timeout_s: float = 2.0) -> int | None:
    try:
        return httpx.get(f"{url}{path}", headers=_headers(auth), timeout=timeout_s).status_code
    except httpx.HTTPError:
        return None


def healthy(url: str, timeout_s: float = 2.0, auth: str | None = None) -> bool:
    """Whether a Prefect server answers at ``url``. Prefect 3.9 lets ``GET /health`` through
    without a login (for probes); the login is sent anyway for versions that do not."""
    return _answer(url, "/health", auth, timeout_s) == 200


def check_login(url: str, auth: str | None) -> None:
    """Raise a clear error when the server at ``url`` refuses ``auth`` (HTTP 401)."""
    if _answer(url, "/admin/version", auth, timeout_s=10) != 401:
        return
    raise VideokitError(
        f"the Prefect server at {url} refused "
        + ("this login (HTTP 401)" if auth else "a request without the team's login (HTTP 401)"),
        path=None,
        stage="team",
        hint=f"the login is the file {AUTH_FILE} in the team folder of the server machine "
        f"('videokit team up' makes it): copy it here and pass --auth-file FILE, or set "
        f"${AUTH_ENV} to its content",
    )


def _serves_team(team: Team, auth: str) -> bool:
    """Whether the server at ``team.url`` asks for this team's login and shows its UI address."""
    if _answer(team.url, "/admin/version", None) != 401:
        return False  # started without a login (before videokit set one): open to anyone
    if _answer(team.url, "/admin/version", auth) != 200:
        return False
    try:
        ui = httpx.get(f"{team.url.removesuffix('/api')}/ui-settings", timeout=2.0)
    except httpx.HTTPError:
        return True
    return ui.status_code != 200 or ui.json().get("api_url") == team.ui_api_url


def _wait_healthy(url: str, home: Path, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if healthy(url, auth=ensure_secret(home)):
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


def _server_env(team: Team) -> dict[str, str]:
    env = _env(team.home, None, None, team.auth)
    env["PREFECT_SERVER_API_AUTH_STRING"] = team.auth
    # Same-origin requests need no CORS; this only keeps other sites' pages (in a team member's
    # browser, which may hold the login) from calling the API.
    env["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] = ",".join(team.ui_origins)
    # `prefect server start --port` does not reach the UI, which would call 127.0.0.1:4200.
    env.pop("PREFECT_UI_API_URL", None)  # the older name; the server's own name wins over it
    env["PREFECT_SERVER_UI_API_URL"] = team.ui_api_url
    if team.database:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database.prefect_url(team.database)
    return env


def start_server(team: Team, log: Any = print) -> bool:
    """Start the server unless it runs already as set up here; ``True`` when (re)started."""
    if healthy(team.url, auth=team.auth):
        same_database = database.started_with(team.home) == database.mark(team.database)
        if _serves_team(team, team.auth) and same_database:
            log(f"Prefect server: already running at {team.url}")
            return False
        if not _alive(team.home, "server"):
            raise VideokitError(
                f"a Prefect server that is not this team's answers at {team.url}",
                path=None,
                stage="team",
                hint="stop it, or choose another port with --port",
            )
        log("Prefect server: restarting it with the team's login, UI address and database")
        _stop(team.home, "server")
    elif _alive(team.home, "server"):
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
    _start(team.home, "server", command, _server_env(team), team.home)
    database.remember_start(team.home, team.database)
    log(f"Prefect server: starting at {team.url} (log: {team.home / 'server.log'})")
    _wait_healthy(team.url, team.home, "server")
    # Prefect's login page takes the whole "user:secret" line, not the part after the colon.
    log(
        f"Prefect server: up; open {team.public} in a browser and log in with the whole line "
        f"in {team.home / AUTH_FILE}"
    )
    return True


@contextlib.contextmanager
def _settings(url: str, auth: str | None) -> Iterator[None]:
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_API_AUTH_STRING: auth}):
        yield


@contextlib.contextmanager
def _client(url: str, auth: str | None = None) -> Iterator[Any]:
    """A Prefect client for ``url``; without ``auth``, the login a client here finds."""
    from prefect.client.orchestration import get_client

    login = auth or client_auth(team_home())
    with _settings(url, login), get_client(sync_client=True) as c:
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
    found = client.read_automations_by_name(CRASH_AUTOMATION)
    if not found:
        client.create_automation(automation)
    elif found[0].trigger != automation.trigger:  # made by an older videokit
        client.update_automation(found[0].id, automation)


def register(team: Team, log: Any = print) -> list[str]:
    """Create or update the pools, the ASR limit and the deployments; returns their names."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.types.entrypoint import EntrypointType

    from flows.pickup import pickup
    from flows.produce import produce, produce_video, transcribe_video
    from flows.share import produce_videos

    with _client(team.url, team.auth) as client:
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
    with _settings(team.url, team.auth):
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

    with _client(url, auth) as client:
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
    env = _env(team.home, team.url, team.cache_dir, team.auth)
    host = socket.gethostname()
    for i in range(1, team.workers + 1):
        name = f"worker-{i}"
        if _alive(team.home, name):
            log(f"{name}: already running")
            continue
        command = _worker_command(POOL, f"{host}-{i}", team.runs_per_worker)
        _start(team.home, name, command, env, team.project)
        started.append(name)
        log(f"{name}: started for pool {POOL} (log: {team.home / (name + '.log')})")
    return started


def up(team: Team, log: Any = print) -> None:
    if team.workers and team.runs_per_worker < 2:
        raise VideokitError(
            f"a worker that runs {team.runs_per_worker} flow run at a time cannot finish a batch",
            stage="team",
            hint="a batch waits in one slot for its videos' runs: give --runs-per-worker 2 or more",
        )
    if team.store:
        from videokit.store import ObjectStore, check_conditions

        check_conditions(ObjectStore(team.store))  # a wrong address or key fails here, once
    if team.store and team.watch:
        # The watch looks at a folder; a store's new footage is started as a produce run.
        log(f"project in {team.store}: new footage there is not watched (start produce/{NAME})")
        team = dataclasses.replace(team, watch=False)
    if start_server(team, log):
        # Workers started before hold the old server's login (or none): they start again.
        for pid_file in sorted(team.home.glob("worker-*.pid")):
            _stop(team.home, pid_file.stem)
        _release_draft_slots(team, log)
    write_json(
        team.home / "team.json",
        {"url": team.url, "public": team.public, "project": str(team.project)},
    )
    register(team, log)
    start_workers(team, log)
    joins = f"videokit team worker --server {team.ui_api_url} --auth-file FILE"
    log(f"another machine joins with: {joins} (FILE: a copy of {team.home / AUTH_FILE})")
    if team.asr_pool:
        log(
            f"drafts are made by the pool {team.asr_pool}: on the GPU machine, "
            f"{joins} --pool {team.asr_pool}"
        )


def _release_draft_slots(team: Team, log: Any) -> None:
    """Free the draft limit's slots after a server (re)start.

    A draft that was running when the service stopped never gave its slot back, and every later
    draft then waited for it (a rerun hung 11 minutes). When the server has just started, no run
    of it is drafting yet.
    """
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    with _client(team.url, team.auth) as client:
        try:
            limit = client.read_global_concurrency_limit_by_name(ASR_LIMIT)
        except ObjectNotFound:
            return
        if limit.active_slots:
            client.update_global_concurrency_limit(
                ASR_LIMIT, GlobalConcurrencyLimitUpdate(active_slots=0)
            )
            log(f"released {limit.active_slots} draft slot(s) held by runs from before the restart")


def down(home: Path, log: Any = print, wait: bool = False) -> None:
    """Stop the workers (each drains: its runs finish or go back to the pool) and the server.

    With ``wait``, the runs in progress and those they wait for finish first, with no new look
    at the media folder meanwhile (``team up`` turns the watch back on).
    """
    if wait and _alive(home, "server"):
        from flows.draining import wait_for_runs

        url = server_url(home)
        with _client(url, ensure_secret(home)) as client:
            wait_for_runs(client, PICKUP, log)
    workers = sorted(p.stem for p in home.glob("worker-*.pid"))
    # All at once: each may take its drain time (flows.worker), which adds up one after another.
    with ThreadPoolExecutor(max_workers=max(1, len(workers))) as threads:
        stopped = list(threads.map(lambda name: _stop(home, name), workers))
    for name, was_running in [*zip(workers, stopped), ("server", _stop(home, "server"))]:
        if was_running:
            log(f"{name}: stopped")
    log(f"history is kept in {home}; 'videokit team up' continues with it")


def worker(
    server: str,
    pool: str,
    name: str | None,
    cache_dir: Path | None,
    auth_file: Path | None = None,
    limit: int | None = None,
    install: str | None = None,
) -> int:
    """Run one worker in the foreground (another machine joining the team); with ``install``
    (``user`` or ``system``), write its systemd unit instead."""
    if limit is not None and limit < 2 and pool == POOL:
        raise VideokitError(
            f"--limit {limit} is too small for the videokit pool",
            stage="team",
            hint="a batch waits in one slot for its videos' runs: give --limit 2 or more",
        )
    if install:
        install_worker(server, pool, name, cache_dir, auth_file, limit, system=install == "system")
        return 0
    auth = client_auth(team_home(), auth_file)
    if not healthy(server, auth=auth):
        raise VideokitError(
            f"no Prefect server answers at {server}",
            path=None,
            stage="team",
            hint="start it with 'videokit team up' on the server machine, and check the address",
        )
    check_login(server, auth)
    command = _worker_command(pool, name, limit)
    return subprocess.call(command, env=_env(team_home(), server, cache_dir, auth))


def install_worker(
    server: str,
    pool: str,
    name: str | None,
    cache_dir: Path | None,
    auth_file: Path | None,
    limit: int | None,
    system: bool = False,
    unit_dir: Path | None = None,
    log: Any = print,
) -> Path:
    """Write the systemd unit of this worker (see :mod:`videokit.units`); returns its path."""
    import getpass

    from videokit.units import WorkerService, enable_hint, worker_unit

    auth_file = (auth_file or team_home() / AUTH_FILE).resolve()
    read_secret(auth_file)  # a unit that could never log in is not written
    script = Path(sys.executable).with_name("videokit")
    service = WorkerService(
        command=(str(script),)
        if script.is_file()
        else (sys.executable, "-P", "-m", "videokit.cli"),
        server=server,
        pool=pool,
        auth_file=auth_file,
        stop_s=STOP_S,
        name=name,
        cache_dir=cache_dir.resolve() if cache_dir else None,
        limit=limit,
        system=system,
        user=getpass.getuser(),
    )
    if unit_dir is None:
        config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        unit_dir = Path("/etc/systemd/system") if system else config / "systemd" / "user"
    path = unit_dir / service.unit_name
    unit_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(worker_unit(service), encoding="utf-8")
    log(f"wrote {path}; start it with: {enable_hint(service, path)}")
    return path


def server_url(home: Path) -> str:
    """The API address ``team up`` last used here (default port if it never ran)."""
    try:
        return str(read_json(home / "team.json")["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"http://127.0.0.1:{DEFAULT_PORT}/api"


def status(url: str, home: Path, auth_file: Path | None = None) -> list[str]:
    lines = [f"team folder: {home}"]
    auth = client_auth(home, auth_file)
    if not healthy(url, auth=auth):
        return [*lines, f"Prefect server: not running at {url} ('videokit team up' starts it)"]
    check_login(url, auth)
    lines.append(f"Prefect server: {url.removesuffix('/api')}")
    with _client(url, auth) as client:
        for w in client.read_workers_for_work_pool(POOL):
            lines.append(
                f"worker {w.name}: {w.status.value.lower()}, last seen {w.last_heartbeat_time}"
            )
        from prefect.client.schemas.sorting import FlowRunSort

        for run in client.read_flow_runs(limit=10, sort=FlowRunSort.START_TIME_DESC):
            lines.append(f"run {run.name}: {run.state_name}")
    return lines
