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

Processes are started in their own session and remembered by pid file (:mod:`videokit.processes`),
so that ``down`` stops each one with everything it started (a worker's flow runs included). What
is registered on the server is :mod:`flows.registration`.

The API asks for a login: Prefect's own basic authentication (:mod:`videokit.teamlogin`). The
workers are :mod:`flows.worker`, which starts only videokit's own deployments.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from flows import database
from flows.deployments import NAME, PICKUP, POOL, STOP_S
from flows.registration import HEARTBEAT_S, register, release_draft_slots
from flows.server import answer, client, healthy, start_command, wait_healthy
from videokit.errors import VideokitError
from videokit.files import read_json, write_json
from videokit.processes import Supervisor, port_taken
from videokit.teamlogin import (
    AUTH_ENV,
    AUTH_FILE,
    PREFECT_ENV,
    client_auth,
    ensure_secret,
    new_secret,
    read_secret,
)
from videokit.teamspec import DEFAULT_PORT
from videokit.teamspec import Team as Team  # the CLI finds the spec and folder here
from videokit.teamspec import team_home as team_home

START_TIMEOUT_S = 180.0
SERVER_STOP_S = 20.0  # the server's SIGTERM: this long to end before its group is killed


def _processes(home: Path) -> Supervisor:
    # A pid file of an older videokit holds a bare pid: only a process that is one of ours
    # (by its command line) is taken for it.
    return Supervisor(home, ours=(b"prefect", b"flows.worker"))


def _alive(home: Path, name: str) -> int | None:
    return _processes(home).alive(name)


def _start(home: Path, name: str, command: list[str], env: dict[str, str], cwd: Path) -> int:
    return _processes(home).start(name, command, env, cwd)


def _stop(home: Path, name: str) -> bool:
    """Stop ``name`` and what it started. A worker alone gets the SIGTERM: it drains its runs
    (:mod:`flows.worker`), which a SIGTERM to its whole group would crash instead."""
    worker = name.startswith("worker-")
    return _processes(home).stop(name, STOP_S if worker else SERVER_STOP_S, drains=worker)


def _workers(home: Path) -> list[str]:
    return _processes(home).names("worker-")


def rotate_secret(home: Path, log: Any = print) -> None:
    """A new login; the old one stops working at the next ``team up``."""
    if _alive(home, "server") or any(_alive(home, name) for name in _workers(home)):
        raise VideokitError(
            "the team service is running on this machine",
            path=home,
            stage="team",
            hint="stop it first: videokit team down (then rotate-secret, then team up)",
        )
    path = new_secret(home)
    log(
        f"a new login is in {path}; 'videokit team up' starts with it. Give it to "
        f"the other machines' workers (--auth-file or ${AUTH_ENV})."
    )


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
        env[PREFECT_ENV] = auth
    else:
        env.pop(PREFECT_ENV, None)
    if cache_dir:
        env["VIDEOKIT_CACHE_DIR"] = str(cache_dir)
    return env


def check_login(url: str, auth: str | None) -> None:
    """Raise a clear error when the server at ``url`` refuses ``auth`` (HTTP 401)."""
    if answer(url, "/admin/version", auth, timeout_s=10) != 401:
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
    if answer(team.url, "/admin/version", None) != 401:
        return False  # started without a login (before videokit set one): open to anyone
    if answer(team.url, "/admin/version", auth) != 200:
        return False
    try:
        ui = httpx.get(f"{team.url.removesuffix('/api')}/ui-settings", timeout=2.0)
    except httpx.HTTPError:
        return True
    return ui.status_code != 200 or ui.json().get("api_url") == team.ui_api_url


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
    if port_taken(team.reach_at, team.port):
        raise VideokitError(
            f"port {team.port} is taken by another program",
            path=None,
            stage="team",
            hint="choose another one with --port",
        )
    command = start_command(team.host, team.port)
    _start(team.home, "server", command, _server_env(team), team.home)
    database.remember_start(team.home, team.database)
    server_log = _processes(team.home).log_file("server")
    log(f"Prefect server: starting at {team.url} (log: {server_log})")
    if not wait_healthy(
        team.url, START_TIMEOUT_S, alive=lambda: bool(_alive(team.home, "server")), auth=team.auth
    ):
        raise VideokitError(
            f"the Prefect server did not start at {team.url}",
            path=server_log,
            stage="team",
            hint="read the log named here; is the port taken by another program? (--port)",
        )
    # Prefect's login page takes the whole "user:secret" line, not the part after the colon.
    log(
        f"Prefect server: up; open {team.public} in a browser and log in with the whole line "
        f"in {team.home / AUTH_FILE}"
    )
    return True


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
        log(f"{name}: started for pool {POOL} (log: {_processes(team.home).log_file(name)})")
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
        for name in _workers(team.home):
            _stop(team.home, name)
        release_draft_slots(team, log)
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


def down(home: Path, log: Any = print, wait: bool = False) -> None:
    """Stop the workers (each drains: its runs finish or go back to the pool) and the server.

    With ``wait``, the runs in progress and those they wait for finish first, with no new look
    at the media folder meanwhile (``team up`` turns the watch back on).
    """
    if wait and _alive(home, "server"):
        from flows.draining import wait_for_runs

        url = server_url(home)
        with client(url, ensure_secret(home)) as api:
            wait_for_runs(api, PICKUP, log)
    workers = _workers(home)
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
    with client(url, auth) as api:
        for w in api.read_workers_for_work_pool(POOL):
            lines.append(
                f"worker {w.name}: {w.status.value.lower()}, last seen {w.last_heartbeat_time}"
            )
        from prefect.client.schemas.sorting import FlowRunSort

        for run in api.read_flow_runs(limit=10, sort=FlowRunSort.START_TIME_DESC):
            lines.append(f"run {run.name}: {run.state_name}")
    return lines
