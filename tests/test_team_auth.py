"""The team service is closed: a login for the API, the UI at its own address, a worker that runs
only videokit's deployments.

One real ``team up`` (server, one worker, no model needed) serves the module; ``down`` at the end.
"""

from __future__ import annotations

import shlex
import stat
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from flows import server
from flows import team as t
from flows.deployments import ENTRYPOINTS, PICKUP, POOL
from flows.worker import refusal

from videokit.errors import VideokitError
from videokit.processes import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    project = tmp_path_factory.mktemp("auth-project")
    (project / "media").mkdir()
    spec = t.Team(
        project=project,
        home=tmp_path_factory.mktemp("auth-home"),
        port=free_port(),  # never 4200: the UI must follow the port given
        workers=1,
        watch=False,
        cache_dir=tmp_path_factory.mktemp("auth-cache"),
    )
    t.up(spec, log=lambda _m: None)
    yield spec
    t.down(spec.home, log=lambda _m: None)
    assert not t.healthy(spec.url) and t._alive(spec.home, "worker-1") is None


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _run(team, deployment: str, **options):
    from prefect.deployments import run_deployment

    with server.settings(team.url, team.auth):
        return run_deployment(
            deployment, timeout=180, as_subflow=False, poll_interval=0.5, **options
        )


def _foreign_deployment(team, marker: Path):
    """Someone with API access adds a deployment to videokit's pool that runs a command."""
    with server.client(team.url, team.auth) as client:
        return client.create_deployment(
            flow_id=client.create_flow_from_name("evil"),
            name="evil",
            entrypoint="os:system",
            work_pool_name=POOL,
            job_variables={"command": f"touch {shlex.quote(str(marker))}"},
        )


def test_the_api_refuses_requests_without_the_teams_login(team):
    api = team.url
    body = {"limit": 1}
    assert httpx.post(f"{api}/flows/filter", json=body).status_code == 401
    wrong = ("videokit", "not-the-secret")
    assert httpx.post(f"{api}/flows/filter", json=body, auth=wrong).status_code == 401
    user, password = team.auth.split(":", 1)
    assert httpx.post(f"{api}/flows/filter", json=body, auth=(user, password)).status_code == 200
    # Prefect 3.9 lets health probes through without a login; nothing else.
    assert httpx.get(f"{api}/health").status_code == 200
    assert httpx.get(f"{api}/admin/version").status_code == 401
    with pytest.raises(VideokitError, match="401"):
        t.check_login(api, None)
    t.check_login(api, team.auth)


def test_other_sites_pages_may_not_call_the_api(team):
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(
            f"{team.url}/flows/filter",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )

    own = preflight(f"http://127.0.0.1:{team.port}")
    assert own.headers.get("access-control-allow-origin") == f"http://127.0.0.1:{team.port}"
    other = preflight("http://evil.example")
    assert "access-control-allow-origin" not in other.headers


def test_the_secret_is_private_and_on_no_command_line(team):
    path = team.home / t.AUTH_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = team.auth.split(":", 1)[1]
    assert len(secret) >= 32
    server, worker = t._alive(team.home, "server"), t._alive(team.home, "worker-1")
    assert server and worker
    # The worker has it, from its environment.
    environ = (Path("/proc") / str(worker) / "environ").read_bytes().split(b"\0")
    assert f"PREFECT_API_AUTH_STRING={team.auth}".encode() in environ

    # Watch every process on this machine while a flow run starts and ends (a run's process
    # has a process group of its own, so the worker's group would not show it).
    seen: set[str] = set()  # a pid's command line changes when it execs
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            seen.update(_cmdline(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run = _run(team, PICKUP)
    finally:
        stop.set()
        sampler.join()
    assert run.state.is_completed(), run.state  # a videokit deployment passes the guard
    assert any("prefect server start" in c for c in seen)
    assert any("flows.worker" in c for c in seen)
    assert any("prefect.engine" in c or "_workspace_supervisor" in c for c in seen), seen
    assert not [c for c in seen if secret in c]


def test_the_ui_calls_the_api_at_the_port_it_was_given(team):
    settings = httpx.get(f"{team.url.removesuffix('/api')}/ui-settings").json()
    assert settings["api_url"] == f"http://127.0.0.1:{team.port}/api"
    assert settings["auth"] == "BASIC"  # the UI asks for the login


def test_on_every_address_the_ui_uses_a_name_other_machines_reach():
    import socket

    spec = t.Team(project=Path("p"), home=Path("h"), host="0.0.0.0", port=4300)
    assert spec.url == "http://127.0.0.1:4300/api"  # this machine's own clients
    assert spec.ui_api_url == f"http://{socket.gethostname()}:4300/api"
    assert spec.public in spec.ui_origins
    proxied = replace(spec, public_url="https://videokit.example.org/")
    assert proxied.ui_api_url == "https://videokit.example.org/api"


def test_a_worker_refuses_a_foreign_deployment_and_a_command(team, tmp_path):
    foreign_marker, command_marker = tmp_path / "foreign-ran", tmp_path / "command-ran"
    deployment_id = _foreign_deployment(team, foreign_marker)
    with server.client(team.url, team.auth) as client:
        pickup = client.read_deployment_by_name(PICKUP)
        runs = {
            "foreign": client.create_flow_run_from_deployment(deployment_id),
            # videokit's own deployment, its command swapped through the run's job variables
            "hijacked": client.create_flow_run_from_deployment(
                pickup.id,
                job_variables={"command": f"touch {shlex.quote(str(command_marker))}"},
            ),
        }
        # Refused runs end in a second or two; a command that ran leaves its run unfinished.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = {k: client.read_flow_run(r.id) for k, r in runs.items()}
            if all(r.state and r.state.is_final() for r in runs.values()):
                break
            time.sleep(0.5)
    assert not foreign_marker.exists() and not command_marker.exists()
    for run in runs.values():
        assert run.state.is_failed(), run.state
        assert run.infrastructure_pid is None  # no process was started for it
    assert "evil/evil is not one of videokit's deployments" in runs["foreign"].state.message
    assert "job variable(s) command" in runs["hijacked"].state.message


def test_videokits_own_deployments_pass_the_guard(team):
    with server.client(team.url, team.auth) as client:
        pool = client.read_work_pool(POOL)
        for name in ENTRYPOINTS:
            deployment = client.read_deployment_by_name(name)
            run = SimpleNamespace(job_variables={})
            assert refusal(run, deployment, name.split("/")[0], pool) is None, name


def _deployment(**changes):
    fields = dict(
        name="videokit", entrypoint="flows.pickup.pickup", pull_steps=[], job_variables={}
    )
    return SimpleNamespace(**{**fields, **changes})


def _pool(**variables):
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    for key, default in variables.items():
        template["variables"]["properties"][key]["default"] = default
    return SimpleNamespace(base_job_template=template)


@pytest.mark.parametrize(
    ("deployment", "flow_name", "run_variables", "pool", "reason"),
    [
        (None, "pickup", {}, _pool(), "no run of a deployment"),
        (_deployment(), "evil", {}, _pool(), "not one of videokit's"),
        (_deployment(entrypoint="evil:flow"), "pickup", {}, _pool(), "entrypoint"),
        (_deployment(pull_steps=[{"run_shell_script": {}}]), "pickup", {}, _pool(), "pull"),
        (_deployment(job_variables={"command": "sh"}), "pickup", {}, _pool(), "command"),
        (_deployment(), "pickup", {"env": {"PYTHONWARNINGS": "x"}}, _pool(), "env"),
        (_deployment(), "pickup", {"working_dir": "/tmp"}, _pool(), "working_dir"),
        (_deployment(), "pickup", {}, _pool(command="sh -c id"), "job template"),
        (_deployment(), "pickup", {"name": "mine", "stream_output": False}, _pool(), None),
    ],
)
def test_the_guard_names_what_it_refuses(deployment, flow_name, run_variables, pool, reason):
    found = refusal(SimpleNamespace(job_variables=run_variables), deployment, flow_name, pool)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_a_worker_elsewhere_without_the_login_is_told_how_to_get_it(team, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOKIT_TEAM_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("VIDEOKIT_TEAM_AUTH", raising=False)
    monkeypatch.delenv("PREFECT_API_AUTH_STRING", raising=False)
    with pytest.raises(VideokitError, match="401") as refused:
        t.worker(team.url, POOL, "elsewhere", None)
    assert "--auth-file" in (refused.value.hint or "")
    shared = tmp_path / "api-auth"
    shared.write_text(team.auth)
    shared.chmod(0o644)
    with pytest.raises(VideokitError, match="other users"):
        t.worker(team.url, POOL, "elsewhere", None, auth_file=shared)
    monkeypatch.setenv("VIDEOKIT_TEAM_AUTH", "videokit:wrong")
    with pytest.raises(VideokitError, match="refused this login"):
        t.worker(team.url, POOL, "elsewhere", None)


def test_the_secret_is_rotated_only_while_the_service_is_down(team, tmp_path):
    with pytest.raises(VideokitError, match="running"):
        t.rotate_secret(team.home, log=lambda _m: None)
    home = tmp_path / "home"
    first = t.ensure_secret(home)
    assert t.ensure_secret(home) == first  # kept, not made again
    t.rotate_secret(home, log=lambda _m: None)
    assert t.ensure_secret(home) != first
    assert stat.S_IMODE((home / t.AUTH_FILE).stat().st_mode) == 0o600
