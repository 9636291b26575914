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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import report
from .config import Settings
from .files import read_json, sha256_file, write_json
from .naming import review_names
from .report import VideoResult
from .review import ReviewDesk
from .social_files import all_ready
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


def _stats(path: Path) -> dict[str, list[int]]:
    """Size and modification time of the file ``path`` or of every file under it (no reading:
    a video's outputs hold its web encode)."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    out = {}
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        out[f.relative_to(path).as_posix() if f != path else "."] = [st.st_size, st.st_mtime_ns]
    return out


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


@dataclass(frozen=True)
class RunInputs:
    """What a run's outputs are made from besides the files: the model, the language, the
    settings and the base URL. Built once per run and handed to every freshness question."""

    model_sha256: str
    language: str
    settings: Settings
    base_url: str | None = None

    def digest(self) -> str:
        """The run's part of every fingerprint, with videokit's version and code."""
        from . import __version__

        parts = {
            "version": [FINGERPRINT_VERSION, __version__, code_digest()],
            "model": self.model_sha256,
            "language": self.language,
            "settings": dataclasses.asdict(self.settings),
            "base_url": self.base_url,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def run_inputs(
    settings: Settings, model: str | None, language: str, base_url: str | None
) -> RunInputs:
    """The inputs of a run with ``model`` (the settings' model when ``None``), without fetching
    the model: one not on this machine raises, as the run itself would fail."""
    from . import models

    spec = models.resolve(settings.model_ref(model), fetch=False)
    return RunInputs(spec.sha256, language, settings, base_url)


def fingerprint(job: VideoJob, layout: Layout, inputs: RunInputs) -> str:
    """Everything ``job``'s outputs are made from, as one hash."""
    return _fingerprint(job, layout, inputs.digest(), inputs.language)


def _fingerprint(job: VideoJob, layout: Layout, run: str, language: str) -> str:
    desk = ReviewDesk(layout.review, language)
    side = {
        p.name: _file_sha(p)
        for p in sorted(job.path.parent.glob("*"))
        if p.name.startswith((job.path.stem + ".", job.slug + ".", "glossary.txt"))
        and p != job.path
    }
    parts: dict[str, Any] = {
        "run": run,
        "video": _file_sha(job.path),
        "side": side,
        "views": [_file_sha(desk.srt_path(job.slug)), _file_sha(desk.txt_path(job.slug))],
        # An editor's marks on the condensing proposals are an edit too.
        "condensing": _file_sha(layout.review / review_names(job.slug, language)["condense"]),
        # A damaged or lost review state must bring the rebuild that ``status`` promises.
        "review_state": _file_sha(desk.state_path(job.slug)),
        "history": _tree(desk.history_dir(job.slug)),
        "screen": _file_sha(layout.review / review_names(job.slug, language)["screen"]),
        "record": _file_sha(layout.record_file(job.slug)),
        "page": _file_sha(layout.video_dir(job.slug, layout.preview) / "index.html"),
        # What is on the site: a version removed or half-swapped by hand or by a kill is redone.
        "site": _file_sha(layout.video_dir(job.slug) / "index.html"),
        # Every output file, by size and time: one deleted or rewritten by hand is made again.
        "outputs": {
            str(folder.relative_to(layout.out)): _stats(folder)
            # The social folder is rendered after the approval, in the background: its files are
            # checked by their status record instead (see ``fresh``).
            for folder in (layout.video_dir(job.slug, layout.preview), layout.video_dir(job.slug))
        },
        "pages": {
            p.relative_to(layout.out).as_posix(): _stats(p)
            # The quality report is left out: the social renders after a run add their figures
            # to it, and it is a report on the outputs, not one of them.
            for folder in (layout.review_pages,)
            for p in sorted(folder.glob(f"{job.slug}.*"))
        },
    }
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _path(layout: Layout, slug: str) -> Path:
    return layout.state / f"{slug}.last-run.json"


def remember(layout: Layout, job: VideoJob, result: VideoResult, inputs: RunInputs) -> None:
    """Record what ``job``'s outputs were just made from, with this result."""
    _write(layout, job, inputs.digest(), inputs.language, result)


def _write(layout: Layout, job: VideoJob, run: str, language: str, result: VideoResult) -> None:
    write_json(
        _path(layout, job.slug),
        {
            "fingerprint": _fingerprint(job, layout, run, language),
            # What an approval needs to tell whether the video was fresh before it.
            "run": run,
            "language": language,
            "video": str(job.path),
            "result": report.to_dict(result),
        },
    )


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


def fresh(jobs: Sequence[VideoJob], layout: Layout, inputs: RunInputs) -> dict[str, VideoResult]:
    """The last result of each of ``jobs`` that nothing changed for, by slug: those need no run.

    A video whose last run failed is never fresh (it is tried again), nor one with a social
    format not made yet or failed (the run makes it), and none is while the site index or the zip
    is missing (the run that rebuilds them has all videos in hand).
    """
    if not layout.zip.is_file() or not (layout.site / "index.html").is_file():
        return {}
    run, settings = inputs.digest(), inputs.settings
    out = {}
    for job in jobs:
        found = last_result(layout, job.slug, _fingerprint(job, layout, run, inputs.language))
        published = layout.video_dir(job.slug).is_dir()
        social = layout.video_dir(job.slug, layout.social)
        if (
            found is not None
            and found.ok
            and (not published or all_ready(social, settings.social.formats))
        ):
            out[job.slug] = dataclasses.replace(found, transcribed="unchanged", seconds=0.0)
    return out


def unchanged(
    jobs: Sequence[VideoJob], layout: Layout, inputs: RunInputs
) -> list[VideoResult] | None:
    """Every video's last result when none of them changed; ``None`` when a run is needed."""
    found = fresh(jobs, layout, inputs)
    if not jobs or len(found) < len(jobs):
        return None
    return [found[job.slug] for job in jobs]


@dataclass(frozen=True)
class Carry:
    """A video that was fresh before an approval: its record can follow the approval's changes."""

    job: VideoJob
    run: str
    language: str
    result: VideoResult


def fresh_before_change(layout: Layout, slug: str) -> Carry | None:
    """``slug``'s last run, if nothing has changed since it; read before an approval writes.

    An approval writes the history, the review state, the site and the preview, all of which the
    fingerprint covers: without carrying the record over, the run right after every approval
    would redo the video to find the same outputs.
    """
    try:
        data = read_json(_path(layout, slug))
        job = VideoJob(Path(data["video"]), slug)
        run, language = str(data["run"]), str(data["language"])
        if _fingerprint(job, layout, run, language) != data["fingerprint"]:
            return None
        return Carry(job, run, language, report.from_dict(data["result"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def carry_over(layout: Layout, carry: Carry, **changes: Any) -> None:
    """Record, after an approval, that the video is as fresh as it was (``changes`` to its
    result: the new status and where it is published)."""
    _write(
        layout, carry.job, carry.run, carry.language, dataclasses.replace(carry.result, **changes)
    )
