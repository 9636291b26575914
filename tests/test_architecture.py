"""The import rules the project's structure rests on, checked so they cannot drift.

- every library module is classified below (pure, constant data, I/O, recogniser): a new module fails
  ``test_every_module_is_classified`` until someone decides which rules it keeps;
- only the recogniser's rooms (``asr_whisper``, ``asr_batched``, ``asr_tasks``, ``asr_patches``)
  import whisper or torch, inside their functions (so the rest loads fast and tests run without a
  model), and ``checkpoint``, to write and fetch checkpoint files (never to run one); only
  ``asr_ct2``, ``vad`` and ``ct2build`` (CTranslate2's converter) import faster-whisper or
  CTranslate2;
- the library's imports between its own modules form no cycle;
- only ``media`` imports ffmpeg (one place knows how ffmpeg is called);
- the pure modules (times, text, norms, formats) import no module that touches files, processes
  or models, so they can be tested and reasoned about alone;
- nothing in the library imports Prefect: the flows wrap the library, never the other way round
  (the CLI starts the flow, and imports it only inside that command);
- the flows import none of ffmpeg, whisper, torch or jinja2: they call the library.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "videokit"
FLOWS = ROOT / "flows"

# Pure: no files, processes, models or clocks; testable and readable alone.
PURE = {
    "transcript", "norms", "segment", "guard", "glossary", "captions", "edits", "align", "slug",
    "naming", "pages", "quality", "report", "errors", "sentences", "phrases", "timing",
    "windows", "webvtt", "hardware", "pickup", "audio", "encodings", "__init__",
    "screentext", "describing", "cuegrid",
    "condense", "coverage", "speeds",
    "social", "legibility",
    "schedule", "units",
    "review_checks", "speakers", "textview",
    "speech", "align_draft", "align_windows", "align_pauses", "align_runs", "streams",
}  # fmt: skip
# I/O: files, processes, models, the network or a server.
IO_MODULES = {
    "media", "asr", "files", "models", "cache", "publish", "review", "workspace", "serve",
    "samples", "render", "draft", "pipeline", "cli", "ct2", "package", "checkpoint", "hf",
    "hub", "modelcache", "registry", "ahead", "asr_ct2", "config", "engines", "history",
    "freshness", "locks", "studio", "vad", "reread",
    "onscreen", "screenreview", "accessrecord", "studio_screen", "jobs", "spelling", "ct2build",
    "studiomessages", "studiostore", "studiowork", "timeline",
    "condense_review", "studio_condense",
    "social_files", "social_cmd",
    "store", "staging",
    "records", "review_files", "review_saves",
    "results", "resultfile", "modelpool", "turns", "runplan", "models_cmd",
    "processes", "teamlogin", "teamspec",
}  # fmt: skip
# Constant data: the package's own word lists, read once. Pure modules may use them as they use
# constants (the lists are part of the code, covered by the code digest of the freshness check).
DATA = {"lexicon"}
RECOGNISER = {"asr_whisper", "asr_batched", "asr_tasks", "asr_patches"}
TORCH_MODULES = RECOGNISER | {"checkpoint"}
CT2_MODULES = {"asr_ct2", "vad", "ct2build"}
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


def test_every_module_is_classified():
    names = {p.stem for p in library_modules()}
    classes = [PURE, DATA, IO_MODULES, RECOGNISER]
    unclassified = names - set().union(*classes)
    assert not unclassified, f"classify {sorted(unclassified)} in tests/test_architecture.py"
    gone = set().union(*classes) - names
    assert not gone, f"{sorted(gone)} no longer exist: take them out of the lists"
    for a, b in itertools.combinations(classes, 2):
        assert not a & b, f"{sorted(a & b)} are in two classes"


def own_imports(path: Path) -> set[str]:
    """The library modules ``path`` imports (``from . import x`` and ``from .x import y``), at
    load time or inside functions; imports only for type checking do not run, and do not count."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_the_library_has_no_import_cycle():
    graph = {p.stem: own_imports(p) for p in library_modules()}
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def walk(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph.get(name, ())):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, name, dep]))
            if dep not in state:
                walk(dep, [*path, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [])


def test_pure_modules_import_only_pure_ones():
    for path in library_modules():
        if path.stem in PURE:
            impure = own_imports(path) - PURE - DATA - {""}
            assert not impure, f"pure module {path.name} imports {sorted(impure)}"


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: p.stem)
def test_library_module_imports(path):
    found = imports(path)
    if path.stem not in TORCH_MODULES:
        assert not found & {"whisper", "torch"}, f"{path.name} imports whisper/torch"
    if path.stem not in CT2_MODULES:
        assert not found & {"faster_whisper", "ctranslate2"}, f"{path.name} imports CTranslate2"
    if path.stem != "media":
        assert "ffmpeg" not in found, f"{path.name} imports ffmpeg"
    if path.stem != "store":  # one place talks to object storage
        assert "s3fs" not in found, f"{path.name} imports s3fs"
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
    assert not found & {"ffmpeg", "whisper", "torch", "jinja2", "s3fs"}, found


def test_the_rule_checker_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nfrom .media import load_audio\nfrom . import files\n")
    assert imports(bad) == {"torch", ".media", ".files"}
