"""The package installs and runs as a user gets it: every import declared, templates inside the wheel."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

import clips

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _distribution(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def third_party_imports() -> dict[str, set[str]]:
    """Top-level names of what the library and the flows import from outside the project."""
    found: dict[str, set[str]] = {}
    for path in [*(ROOT / "src" / "videokit").glob("*.py"), *(ROOT / "flows").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module.split(".")[0]]
            else:
                continue
            for name in names:
                if name not in sys.stdlib_module_names and name not in {"videokit", "flows"}:
                    found.setdefault(name, set()).add(path.name)
    return found


def test_every_imported_package_is_declared():
    declared = {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    owners = packages_distributions()
    missing = {
        name: sorted(files)
        for name, files in third_party_imports().items()
        if not {d.lower().replace("_", "-") for d in owners.get(name, [name])} & declared
    }
    assert not missing, f"declare these in pyproject.toml's dependencies: {missing}"


def test_the_import_scan_can_fail():
    # numpy is imported and declared; a package nobody declares must not pass unseen.
    assert "numpy" in third_party_imports()
    assert _distribution("openai-whisper==20250625") == "openai-whisper"
    assert "made-up-package" not in {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}


def test_whisper_is_pinned_to_the_version_the_decoder_overrides():
    from importlib.metadata import version

    (pin,) = [r for r in PYPROJECT["project"]["dependencies"] if r.startswith("openai-whisper")]
    assert pin == f"openai-whisper=={version('openai-whisper')}"


@pytest.mark.slow
@pytest.mark.model
def test_a_wheel_install_produces_a_video(tmp_path, base_model):
    """Not editable: the wheel alone, in a folder of its own, must find its templates and word
    lists and publish a page."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(wheels), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("videokit-*.whl")
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target)]
        + [str(wheel)],
        check=True,
        cwd=tmp_path,
    )
    project = tmp_path / "project"
    (project / "media").mkdir(parents=True)
    clips.speech_video(project / "media" / "Et kort møde.mp4")
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import videokit.render as r, flows; print(r.__file__, flows.__file__, r.DEFAULT_TEMPLATES_DIR)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=project,
        env=env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(target) for p in where), where
    run = subprocess.run(
        [sys.executable, "-m", "videokit.cli", "produce", "--project", str(project)],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    pages = list((project / "build").rglob("*.html"))
    assert pages, run.stdout[-2000:]
    assert any("<track" in p.read_text(encoding="utf-8") for p in pages)
