"""A worker as a service: its systemd unit (checked by systemd itself) and its container recipe."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def login(tmp_path):
    path = tmp_path / "api-auth"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"videokit:secret\n")
    os.close(fd)
    return path


@pytest.mark.parametrize("system", [False, True], ids=["user", "system"])
def test_the_installed_worker_unit_passes_systemd_analyze_verify(tmp_path, login, system):
    from flows import team
    from flows.deployments import STOP_S

    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is missing (Debian package systemd; make browser-deps)")
    said: list[str] = []
    path = team.install_worker(
        "http://server:4200/api",
        "videokit",
        "gpu box 1",
        tmp_path / "shared cache",
        login,
        3,
        system=system,
        unit_dir=tmp_path / "units",
        log=said.append,
    )
    text = path.read_text()
    verify = subprocess.run(
        ["systemd-analyze", "verify", *(["--user"] if not system else []), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        # A user manager needs a runtime folder; a test machine may have no login session.
        env={**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)},
    )
    ours = [line for line in verify.stderr.splitlines() if path.name in line]
    assert verify.returncode == 0 and not ours, verify.stderr
    # The worker alone is signalled (it drains), and systemd waits for the drain.
    assert "KillMode=mixed" in text and "Restart=on-failure" in text
    assert int(re.search(r"TimeoutStopSec=(\d+)", text)[1]) >= STOP_S
    assert f"--auth-file {login}" in text and "secret" not in text.replace(str(login), "")
    assert "'gpu box 1'" in text and "--limit 3" in text
    assert ("WantedBy=multi-user.target" in text) is system
    assert "enable --now" in said[0]


def test_a_unit_that_could_never_log_in_is_not_written(tmp_path, login):
    from flows import team

    from videokit.errors import VideokitError

    login.chmod(0o644)
    with pytest.raises(VideokitError, match="other users"):
        team.install_worker(
            "http://s:4200/api", "videokit", None, None, login, None, unit_dir=tmp_path
        )
    assert not list(tmp_path.glob("*.service"))


def test_the_dockerfile_installs_with_the_projects_own_make_targets():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runs = re.findall(r"^RUN make ([^&\n]+)", dockerfile, flags=re.M)
    assert runs, "the image is not built with the project's Makefile"
    targets = [t for t in runs[0].split() if "=" not in t]
    dry = subprocess.run(
        # -B: what the targets run on a fresh machine, even where this one is installed already.
        ["make", "-n", "-B", "-C", str(ROOT), *targets],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dry.returncode == 0, dry.stderr
    # What `make run` installs: the lock files, pinned, without resolving anything else.
    assert "pip install --quiet --no-deps -r requirements.lock" in dry.stdout
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in dry.stdout
    assert 'ENTRYPOINT ["videokit", "team", "worker"]' in dockerfile
    assert "STOPSIGNAL SIGTERM" in dockerfile
