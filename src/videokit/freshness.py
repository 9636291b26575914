"""Has anything changed since the last run? Answered before paying for anything heavy.

A run that finds nothing changed should cost a moment, not a Prefect server, a model load and a
decode of every video. After a video finishes well, the flow records a fingerprint of everything
its outputs were made from; the next run compares before it starts. Anything that differs, or
cannot be read, means "run": a false "unchanged" would hide an editor's correction, so the
fingerprint errs towards work.

Made from: the video's bytes, its side files (title, glossary, manuscript), the shared glossary,
the editors' views and condensing marks, the review state and history, the published page, the
model's bytes, the run's language, settings and base URL, videokit's own version and code
(:func:`code_digest`), and the record the last run left.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import report
from .config import Settings
from .files import read_json, sha256_file, write_json
from .naming import review_names
from .report import VideoResult
from .review import ReviewDesk
from .workspace import Layout, VideoJob

# Raise when what a run writes changes, so every project runs once more after an upgrade.
FINGERPRINT_VERSION = 2


def _file_sha(path: Path) -> str | None:
    try:
        return sha256_file(path) if path.is_file() else None
    except OSError:
        return None


def _tree(folder: Path) -> dict[str, str | None]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): _file_sha(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@functools.cache
def code_digest() -> str:
    """A hash of the code and templates that turn a draft into captions and pages.

    An upgrade changes what a run writes without changing any input, and a version number raised
    by hand was forgotten twice: so the code itself is part of what outputs are made from. Read
    once per process (about 70 small files).
    """
    from .render import DEFAULT_TEMPLATES_DIR

    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for root in (package, DEFAULT_TEMPLATES_DIR):  # modules, word lists under data/, templates
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                h.update(f"{path.relative_to(root)}\0{_file_sha(path)}\0".encode())
    return h.hexdigest()


def fingerprint(
    job: VideoJob,
    layout: Layout,
    *,
    model_sha256: str,
    language: str,
    settings: Settings,
    base_url: str | None,
) -> str:
    """Everything ``job``'s outputs are made from, as one hash."""
    from . import __version__

    desk = ReviewDesk(layout.review, language)
    side = {
        p.name: _file_sha(p)
        for p in sorted(job.path.parent.glob("*"))
        if p.name.startswith((job.path.stem + ".", job.slug + ".", "glossary.txt"))
        and p != job.path
    }
    parts: dict[str, Any] = {
        "version": [FINGERPRINT_VERSION, __version__, code_digest()],
        "video": _file_sha(job.path),
        "side": side,
        "model": model_sha256,
        "language": language,
        "settings": dataclasses.asdict(settings),
        "base_url": base_url,
        "views": [_file_sha(desk.srt_path(job.slug)), _file_sha(desk.txt_path(job.slug))],
        # An editor's marks on the condensing proposals are an edit too.
        "condensing": _file_sha(layout.review / review_names(job.slug, language)["condense"]),
        # A damaged or lost review state must bring the rebuild that ``status`` promises.
        "review_state": _file_sha(desk.state_path(job.slug)),
        "history": _tree(desk.history_dir(job.slug)),
        "record": _file_sha(layout.state / f"{job.slug}.json"),
        "page": _file_sha(layout.video_dir(job.slug, layout.preview) / "index.html"),
        # What is on the site: a version removed or half-swapped by hand or by a kill is redone.
        "site": _file_sha(layout.video_dir(job.slug) / "index.html"),
    }
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _path(layout: Layout, slug: str) -> Path:
    return layout.state / f"{slug}.last-run.json"


def remember(layout: Layout, slug: str, print_: str, result: VideoResult) -> None:
    """Record that ``slug`` was made from ``print_`` with this result."""
    write_json(_path(layout, slug), {"fingerprint": print_, "result": report.to_dict(result)})


def forget(layout: Layout, slug: str) -> None:
    _path(layout, slug).unlink(missing_ok=True)


def last_result(layout: Layout, slug: str, print_: str) -> VideoResult | None:
    """The last run's result for ``slug`` if it was made from exactly ``print_``."""
    try:
        data = read_json(_path(layout, slug))
        if data["fingerprint"] != print_:
            return None
        return report.from_dict(data["result"])
    except (OSError, ValueError, TypeError, KeyError):
        return None


def unchanged(
    jobs: Sequence[VideoJob],
    layout: Layout,
    *,
    model_sha256: str,
    language: str,
    settings: Settings,
    base_url: str | None,
) -> list[VideoResult] | None:
    """Every video's last result when none of them changed; ``None`` when a run is needed."""
    if not jobs or not layout.zip.is_file() or not (layout.site / "index.html").is_file():
        return None
    results = []
    for job in jobs:
        print_ = fingerprint(
            job,
            layout,
            model_sha256=model_sha256,
            language=language,
            settings=settings,
            base_url=base_url,
        )
        found = last_result(layout, job.slug, print_)
        if found is None or not found.ok:
            return None
        results.append(dataclasses.replace(found, transcribed="unchanged", seconds=0.0))
    return results
