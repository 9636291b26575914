"""``team up --database postgresql://…`` against a real PostgreSQL cluster started here.

The cluster is Debian's PostgreSQL (``make test`` installs it), made with ``initdb`` in a
temporary folder and run by ``pg_ctl`` as an unprivileged user on a free port. Without
PostgreSQL the test skips, naming why; under CI (``CI`` set) that is a failure instead.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from videokit.processes import free_port

pytestmark = [pytest.mark.slow]

FLOW_RUN = "kept-across-restarts"


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _postgres_bin() -> Path | None:
    """Debian keeps the server programs out of PATH, in /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _unavailable(reason: str) -> None:
    message = (
        f"PostgreSQL is not available: {reason}. Run `make test-services` (as root it installs it)."
    )
    if _ci():
        pytest.fail("CI is set, so the PostgreSQL test may not skip. " + message, pytrace=False)
    pytest.skip(message)


class Cluster:
    """A throwaway PostgreSQL cluster; as root it runs as the ``postgres`` user (initdb
    refuses root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="videokit-pg-"))
        self.root.chmod(0o755)  # readable by the cluster's user on the way in
        self.data = self.root / "data"
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.root)
                _unavailable("running as root and there is no 'postgres' user to run it as")
            self.user = "postgres"
            shutil.chown(self.root, self.user)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=self.root)

    def pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "postgres.log"),
            "-o",
            options,
            "-w",
            "-m",
            "fast",
            action,
        )

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "videokit", "-A", "trust",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self.pg_ctl("start")
        self._run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
            "videokit", "prefect",
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql://videokit@127.0.0.1:{self.port}/prefect"

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        import asyncpg

        async def go() -> list[tuple[object, ...]]:
            connection = await asyncpg.connect(self.url)
            try:
                return [tuple(row) for row in await connection.fetch(sql, *args)]
            finally:
                await connection.close()

        return asyncio.run(go())

    def stop(self) -> None:
        try:
            self.pg_ctl("stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    bin_dir = _postgres_bin()
    if bin_dir is None:
        _unavailable("initdb was not found (Debian: apt-get install postgresql)")
    c = Cluster(bin_dir)
    try:
        c.start()
    except subprocess.CalledProcessError as err:
        c.stop()
        _unavailable(f"the cluster did not start: {err.stderr.decode(errors='replace')[-500:]}")
    yield c
    c.stop()


def test_a_team_on_postgresql_keeps_its_history_across_restarts(cluster, tmp_path):
    from flows import database, server
    from flows import team as t
    from flows.deployments import BATCH
    from prefect.states import Completed

    project = tmp_path / "project"
    (project / "media").mkdir(parents=True)
    home = tmp_path / "home"
    url = database.remembered(home, cluster.url)
    assert oct((home / database.FILE).stat().st_mode & 0o777) == "0o600"
    spec = t.Team(
        project=project, home=home, port=free_port(), workers=0, watch=False, database=url
    )
    try:
        t.up(spec, log=lambda _m: None)
        with server.client(spec.url, spec.auth) as client:
            deployment = client.read_deployment_by_name(BATCH)
            run = client.create_flow_run_from_deployment(deployment.id, name=FLOW_RUN)
            # A finished run of the past (no worker here runs it).
            client.set_flow_run_state(run.id, Completed(message="made earlier"), force=True)
        assert cluster.query("select count(*) from flow_run where name = $1", FLOW_RUN) == [(1,)]
        assert not list(home.rglob("*.db")), "the history went to SQLite, not PostgreSQL"
        t.down(home, log=lambda _m: None)
        cluster.pg_ctl("restart")  # the database server restarts too
        # The next team up takes the remembered database without being told again.
        again = t.Team(
            project=project,
            home=home,
            port=spec.port,
            workers=0,
            watch=False,
            database=database.remembered(home, None),
        )
        assert again.database == cluster.url
        t.up(again, log=lambda _m: None)
        with server.client(again.url, again.auth) as client:
            runs = [r for r in client.read_flow_runs() if r.name == FLOW_RUN]
            assert len(runs) == 1 and runs[0].deployment_id == deployment.id
            assert runs[0].state_name == "Completed"
            assert client.read_deployment_by_name(BATCH).id == deployment.id
    finally:
        t.down(home, log=lambda _m: None)


def test_an_address_that_is_not_postgresql_is_refused_before_anything_is_kept(tmp_path):
    from flows import database

    from videokit.errors import VideokitError

    with pytest.raises(VideokitError, match=r"not a PostgreSQL address: 'db\.example/prefect'"):
        database.remembered(tmp_path, "mysql://user:secret@db.example/prefect")
    assert not (tmp_path / database.FILE).exists()
    assert database.prefect_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
