"""The import rules the project's structure rests on, checked so they cannot drift.

- only ``asr`` imports whisper or torch (so the rest loads fast and tests run without a model),
  and ``checkpoint``, inside its functions, to write and fetch checkpoint files (never to run one);
- only ``media`` imports ffmpeg (one place knows how ffmpeg is called);
- the pure modules (times, text, norms, formats) import no module that touches files, processes
  or models, so they can be tested and reasoned about alone;
- nothing in the library imports Prefect: the flows wrap the library, never the other way round
  (the CLI starts the flow, and imports it only inside that command);
- the flows import none of ffmpeg, whisper, torch or jinja2: they call the library.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "videokit"
FLOWS = ROOT / "flows"

PURE = {
    "transcript", "norms", "segment", "guard", "glossary", "captions", "edits", "align", "slug",
    "naming", "pages", "quality", "report", "errors", "schedule", "units",
}  # fmt: skip
IO_MODULES = {
    "media", "asr", "files", "models", "cache", "publish", "review", "workspace", "serve",
    "samples", "render", "draft", "stages", "pipeline", "cli", "ct2", "package",
    "checkpoint", "hf", "hub", "modelcache", "registry",
}  # fmt: skip
TORCH_MODULES = {"asr", "checkpoint"}
IO_STDLIB = {"os", "subprocess", "shutil", "tempfile", "socket", "fcntl"}


def imports(path: Path) -> set[str]:
    """Top-level names of everything ``path`` imports (relative imports as their module name)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from .x import y / from . import x
                if node.module:
                    found.add("." + node.module.split(".")[0])
                else:
                    found.update("." + alias.name for alias in node.names)
            elif node.module:
                found.add(node.module.split(".")[0])
    return found


def library_modules() -> list[Path]:
    return sorted(LIBRARY.glob("*.py"))


def test_the_rules_see_every_module():
    names = {p.stem for p in library_modules()}
    assert names >= PURE, PURE - names
    assert len(names) > 20


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: p.stem)
def test_library_module_imports(path):
    found = imports(path)
    if path.stem not in TORCH_MODULES:
        assert not found & {"whisper", "torch"}, f"{path.name} imports whisper/torch"
    if path.stem != "media":
        assert "ffmpeg" not in found, f"{path.name} imports ffmpeg"
    assert "prefect" not in found, f"{path.name} imports prefect"
    if path.stem != "cli":
        assert "flows" not in found, f"{path.name} imports the flows"
    if path.stem in PURE:
        io = {m for m in found if m.lstrip(".") in IO_MODULES and m.startswith(".")}
        assert not io, f"pure module {path.name} imports {io}"
        assert not found & IO_STDLIB, f"pure module {path.name} imports {found & IO_STDLIB}"


@pytest.mark.parametrize("name", sorted(TORCH_MODULES))
def test_whisper_and_torch_load_only_when_called(name):
    tree = ast.parse((LIBRARY / f"{name}.py").read_text(encoding="utf-8"))
    top = {a.name.split(".")[0] for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    top |= {
        n.module.split(".")[0]
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and n.module and not n.level
    }
    assert not top & {"whisper", "torch"}, f"{name}.py imports whisper/torch at load time"


@pytest.mark.parametrize("path", sorted(FLOWS.glob("*.py")), ids=lambda p: p.stem)
def test_flows_call_the_library(path):
    found = imports(path)
    assert not found & {"ffmpeg", "whisper", "torch", "jinja2"}, found


def test_the_rule_checker_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nfrom .media import load_audio\nfrom . import files\n")
    assert imports(bad) == {"torch", ".media", ".files"}
