"""Where things are: the input videos with their side files, and the output folders.

Inputs, for a video ``media/Gør det sådan.mp4`` (slug ``goer-det-saadan``):
- ``media/glossary.txt`` (all videos) and ``media/<stem or slug>.glossary.txt``: spellings;
- ``media/<stem or slug>.toml``: title and description;
- ``media/<slug>.manuscript.txt``: the script the video was read from, if any.

Outputs below ``--out`` (default ``build``): ``preview/`` (every video), ``site/`` (approved videos
only), ``review/`` (editors' pages), ``quality/``, ``state/`` (per-video records, see
:mod:`videokit.records`), ``videokit-site.zip``. Editors' files live in the review folder (default
``review/``).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import TranscriptError, VideokitError
from .files import read_text_file
from .media import VIDEO_EXTENSIONS
from .naming import ZIP_NAME
from .slug import slugify
from .speakers import SPEAKER_NAME_RULE, speaker_problem


@dataclass(frozen=True)
class VideoJob:
    path: Path
    slug: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class VideoMeta:
    title: str
    description: str = ""
    speaker: str | None = None  # for a video with one speaker: named in captions and transcript


def find_videos(paths: list[Path]) -> tuple[list[VideoJob], list[VideokitError]]:
    """Videos named directly or found (not recursively) in folders, in a stable order.

    Two files that would share a slug both fail with a clear message, rather than one silently
    overwriting the other's page.
    """
    found: list[Path] = []
    errors: list[VideokitError] = []
    for p in paths:
        if p.is_dir():
            found.extend(
                sorted(
                    f
                    for f in p.iterdir()
                    if f.suffix.lower() in VIDEO_EXTENSIONS and not f.name.startswith(".")
                )
            )
        elif p.exists() or p.is_symlink():
            found.append(p)
        else:
            errors.append(
                VideokitError("no such file or folder", path=p, stage="find", hint="check the path")
            )
    jobs, clashes = jobs_for(found)
    return jobs, errors + clashes


def jobs_for(found: list[Path]) -> tuple[list[VideoJob], list[VideokitError]]:
    """One job per video file; two files that would share a slug are both refused."""
    errors: list[VideokitError] = []
    by_slug: dict[str, list[Path]] = {}
    for f in dict.fromkeys(found):  # keep order, drop repeats
        by_slug.setdefault(slugify(f.stem), []).append(f)
    jobs = []
    for slug, files in by_slug.items():
        if len(files) == 1:
            jobs.append(VideoJob(files[0], slug))
            continue
        for f in files:
            others = ", ".join(o.name for o in files if o != f)
            errors.append(
                VideokitError(
                    f"gets the same web name '{slug}' as {others}",
                    path=f,
                    stage="find",
                    hint="rename one of the files",
                )
            )
    return jobs, errors


NAME_MAX_BYTES = 255  # the longest file name ext4, APFS, NTFS and most others take


def _side_file(job: VideoJob, suffix: str) -> Path | None:
    """``<video name><suffix>``, else ``<slug><suffix>``: the slug serves a name too long for a
    side file of its own (a 245-character video name leaves no room for ``.manuscript.txt``)."""
    for stem in dict.fromkeys((job.path.stem, job.slug)):
        candidate = job.path.with_name(stem + suffix)
        if len(os.fsencode(candidate.name)) > NAME_MAX_BYTES:
            continue  # cannot exist, and asking the file system raises ENAMETOOLONG
        if candidate.is_file():
            return candidate
    return None


def default_title(job: VideoJob) -> str:
    words = re.sub(r"[_\s]+", " ", job.path.stem.replace("-", " ")).strip()
    return words[:1].upper() + words[1:] if words else job.slug


def read_meta(job: VideoJob) -> VideoMeta:
    path = _side_file(job, ".toml")
    if path is None:
        return VideoMeta(default_title(job))
    try:
        data = tomllib.loads(read_text_file(path, "title file"))
    except tomllib.TOMLDecodeError as err:
        raise TranscriptError(
            f"not valid TOML: {err}",
            path=path,
            stage="metadata",
            hint='write e.g. title = "..." and description = "..."',
        ) from None
    values: dict[str, str] = {}
    for key in ("title", "description", "speaker"):
        value = data.get(key, "")
        if not isinstance(value, str):
            raise TranscriptError(
                f"'{key}' must be text in quotes, not {type(value).__name__}",
                path=path,
                stage="metadata",
                hint=f'write e.g. {key} = "..."',
            )
        values[key] = " ".join(value.split())
    if "title" in data and not values["title"]:
        raise TranscriptError(
            "the title is empty",
            path=path,
            stage="metadata",
            hint="write a title, or remove the line to use the file name",
        )
    problem = speaker_problem(values["speaker"]) if values["speaker"] else None
    if problem is not None:
        # Checked here, where the file can be named, not later when a view is written.
        raise TranscriptError(
            f"the speaker name {values['speaker']!r} {problem}",
            path=path,
            stage="metadata",
            hint=SPEAKER_NAME_RULE,
        )
    return VideoMeta(
        values["title"] or default_title(job),
        values["description"],
        values["speaker"] or None,
    )


def read_glossary(job: VideoJob) -> list[str]:
    """Terms from the shared glossary and the video's own, one per line, '#' starts a comment."""
    terms: dict[str, None] = {}  # in the order written, each once (a set would lose the order)
    for path in (job.path.parent / "glossary.txt", _side_file(job, ".glossary.txt")):
        if path is None or not path.is_file():
            continue
        for line in read_text_file(path, "glossary").splitlines():
            term = line.split("#", 1)[0].strip()
            if term:
                terms.setdefault(term)
    return list(terms)


def read_manuscript(job: VideoJob) -> str | None:
    """The script the video was read from, if any: taken as corrected text until an editor edits."""
    path = _side_file(job, ".manuscript.txt")
    return read_text_file(path, "manuscript") if path is not None else None


# Whisper keeps the last 223 tokens of a prompt and silently drops the start; Danish spellings
# take about one token per three characters, so this many characters fit with room to spare.
PROMPT_MAX_CHARS = 500


def prompt_terms(terms: list[str]) -> tuple[list[str], list[str]]:
    """The glossary terms that fit Whisper's prompt, in the order written, and those left out."""
    used: list[str] = []
    size = 0
    for n, term in enumerate(terms):
        size += len(term) + 2
        if size > PROMPT_MAX_CHARS:
            return used, terms[n:]
        used.append(term)
    return used, []


def glossary_prompt(terms: list[str]) -> str | None:
    """Whisper reads its prompt as preceding speech; a plain list of spellings steers it best."""
    used, _ = prompt_terms(terms)
    return ", ".join(used) + "." if used else None


def glossary_note(terms: list[str]) -> str | None:
    """What a run should say when the glossary is longer than the prompt can use."""
    used, left = prompt_terms(terms)
    if not left:
        return None
    named = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    return (
        f"the glossary has {len(terms)} terms; the first {len(used)} steer the recogniser, the "
        f"rest ({named}) only fix spellings: put the terms that matter most first"
    )


PROJECT_MARKERS = ("videokit.toml", "media")


def find_project(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``videokit.toml`` or ``media/``."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / "videokit.toml").is_file() or (folder / "media").is_dir():
            return folder
    return None


@dataclass(frozen=True)
class Project:
    """Where one project's inputs, editors' files, outputs and settings are.

    Found, not assumed: ``--project``, else the project around the media folder given, else the
    one around the working folder. Folders given explicitly win over the project's defaults.
    """

    root: Path
    media: Path
    review: Path
    out: Path
    config: Path

    @classmethod
    def locate(
        cls,
        project: Path | None = None,
        *,
        media: Path | None = None,
        review: Path | None = None,
        out: Path | None = None,
        config: Path | None = None,
        cwd: Path | None = None,
    ) -> Project:
        here = cwd or Path.cwd()
        root = project
        if root is None and media is not None:
            root = find_project(media if media.is_dir() else media.parent)
        if root is None:
            root = find_project(here) or here
        root = root.resolve()
        return cls(
            root=root,
            media=media or root / "media",
            review=review or root / "review",
            out=out or root / "build",
            config=config or root / "videokit.toml",
        )


@dataclass(frozen=True)
class Layout:
    """Output folders. ``preview/`` holds every processed video; ``site/`` only approved ones."""

    out: Path
    review: Path = Path("review")

    @property
    def site(self) -> Path:
        return self.out / "site"

    @property
    def preview(self) -> Path:
        return self.out / "preview"

    @property
    def social(self) -> Path:
        return self.out / "social"

    @property
    def review_pages(self) -> Path:
        return self.out / "review"

    @property
    def state(self) -> Path:
        return self.out / "state"

    def record_file(self, slug: str) -> Path:
        """Where a video's record is kept (read and written by :class:`videokit.records.Records`)."""
        return self.state / f"{slug}.json"

    @property
    def quality(self) -> Path:
        return self.out / "quality"

    @property
    def zip(self) -> Path:
        return self.out / ZIP_NAME

    def video_dir(self, slug: str, root: Path | None = None) -> Path:
        return (root or self.site) / slug


def check_review_folder(layout: Layout) -> None:
    """Refuse a run whose review folder is missing while its site holds approved videos.

    That is a run pointed at the wrong folder (another working directory, a typo): its drafts
    would sit beside a site it knows no approvals for.
    """
    if layout.review.is_dir() or not layout.site.is_dir():
        return
    published = [p.parent.name for p in layout.site.glob("*/index.html")]
    if published:
        raise VideokitError(
            f"the review folder does not exist, but {layout.site} holds {len(published)} "
            "published videos",
            path=layout.review,
            stage="find",
            hint="run from the project folder, or give --project (or --review) to say where it is",
        )


def published_without_source(layout: Layout, jobs: list[VideoJob]) -> list[str]:
    """Slugs on the site that no video in this run has: renamed or removed files."""
    here = {job.slug for job in jobs}
    return sorted(
        p.parent.name for p in layout.site.glob("*/index.html") if p.parent.name not in here
    )
