"""A video's part of a project in object storage, copied to a local folder and published back.

The pipeline works on local folders with atomic renames; the store has neither folders nor
renames. So a run in a store (:mod:`videokit.store`) works on a scratch copy:

1. **stage**: the video, the media folder's side files (glossaries, titles, manuscripts), the
   project's ``videokit.toml``, the video's review files and history, and its outputs from
   earlier runs are copied into a scratch project folder, each with the ETag it had;
2. the pipeline runs there exactly as on a local project;
3. **publish**: what the run changed goes back. Outputs (``build/``) are written under the
   video's lease, so no other run writes them meanwhile. Review files are written only if the
   store still holds the version that was staged (``If-Match``; ``If-None-Match: *`` for a new
   one): an editor who saved a file while the run worked keeps it. The run's version of a file
   that meets an editor's newer one is kept in ``review/history/<slug>/conflicts/`` (as the
   studio keeps a refused save), and so are the run's later review changes for that video, so
   the views in force stay the editor's; the next run reads the editor's file.

Every object appears whole or not at all, so a run killed while publishing leaves no half-written
file, only some files of the new version beside others of the old: the next run of the video
writes them all again.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .files import sha256_file
from .locks import LOCK_DIR
from .media import VIDEO_EXTENSIONS
from .review_files import stamp  # the desk's naming of kept copies
from .store import ABSENT, ObjectStore, StoreConflict

MEDIA, REVIEW, OUT, CONFIG = "media", "review", "build", "videokit.toml"
STATE = ".state"  # the review desk's record of each video's views
# The batch's results (one file per video run, read back by the batch) and the local locks are
# the scratch folder's own business.
PRIVATE = (f"{OUT}/{LOCK_DIR}/", f"{OUT}/state/runs/")


@dataclass
class Staged:
    """A scratch project folder and what each staged file was: relative path → (ETag, sha256)."""

    root: Path
    versions: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def media(self) -> Path:
        return self.root / MEDIA

    @property
    def review(self) -> Path:
        return self.root / REVIEW

    @property
    def out(self) -> Path:
        return self.root / OUT

    @property
    def config(self) -> Path:
        return self.root / CONFIG


def _names_video(part: str, slug: str) -> bool:
    return part == slug or part.startswith(slug + ".")


def belongs_to(rel: str, slug: str) -> bool:
    """Whether ``rel`` (in the store) is one of ``slug``'s review files or outputs."""
    parts = PurePosixPath(rel).parts
    if len(parts) < 2:
        return False
    top, rest = parts[0], parts[1:]
    if top == REVIEW:
        if rest[0] in ("history", STATE):
            return len(rest) > 1 and _names_video(rest[1], slug)
        return _names_video(rest[0], slug)
    return top == OUT and len(rest) > 1 and _names_video(rest[1], slug)


def is_side_file(rel: str) -> bool:
    """A file of the media folder itself that is not a video (glossary, title, manuscript)."""
    parts = PurePosixPath(rel).parts
    return (
        len(parts) == 2
        and parts[0] == MEDIA
        and PurePosixPath(rel).suffix.lower() not in VIDEO_EXTENSIONS
    )


def _fetch(store: ObjectStore, staged: Staged, rel: str, etag: str) -> None:
    target = staged.root / rel
    if rel.startswith(REVIEW + "/") or rel == CONFIG:
        # An editor's file: its ETag must be that of exactly the bytes staged, or a write-back
        # could replace a version nobody here has read.
        found = store.read(rel)
        if found is None:
            return
        data, etag = found
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    else:
        store.download(rel, target)
    staged.versions[rel] = (etag, sha256_file(target))


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A local working folder, removed afterwards (``TMPDIR`` chooses the disk)."""
    folder = Path(tempfile.mkdtemp(prefix=f"videokit-{prefix}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stage_video(store: ObjectStore, video: str, slug: str, root: Path) -> Staged:
    """Copy what one video's run reads into ``root`` (see the module's description)."""
    staged = Staged(root)
    for folder in (staged.media, staged.review, staged.out):
        folder.mkdir(parents=True, exist_ok=True)
    listed = {CONFIG: ""}
    for top in (MEDIA, REVIEW, OUT):  # not the whole store: the draft cache may live there too
        listed.update(store.listing(top))
    for rel, etag in sorted(listed.items()):
        if rel in (video, CONFIG) or is_side_file(rel) or belongs_to(rel, slug):
            _fetch(store, staged, rel, etag)
    return staged


def stage_site(store: ObjectStore, root: Path) -> Staged:
    """What the site index, manifest and zip are made of: every record and published file."""
    staged = Staged(root)
    staged.review.mkdir(parents=True, exist_ok=True)
    wanted: Callable[[str], bool] = lambda rel: (  # noqa: E731
        rel.startswith(f"{OUT}/site/")
        or (rel.startswith(f"{OUT}/state/") and rel.count("/") == 2)
        or (rel.startswith(f"{OUT}/preview/") and rel.endswith("/index.html"))
    )
    for rel, etag in sorted(store.listing(OUT).items()):
        if wanted(rel):
            _fetch(store, staged, rel, etag)
    return staged


def _local_files(staged: Staged, top: str) -> dict[str, Path]:
    folder = staged.root / top
    if not folder.is_dir():
        return {}
    files = {}
    for path in folder.rglob("*"):
        rel = path.relative_to(staged.root).as_posix()
        if path.is_file() and not path.is_symlink() and not rel.startswith(PRIVATE):
            files[rel] = path
    return files


def _changes(staged: Staged, top: str) -> tuple[dict[str, Path], list[str]]:
    """Files new or changed since staging, and staged files the run removed."""
    files = _local_files(staged, top)
    changed = {
        rel: path
        for rel, path in sorted(files.items())
        if rel not in staged.versions or staged.versions[rel][1] != sha256_file(path)
    }
    removed = [rel for rel in staged.versions if rel.startswith(top + "/") and rel not in files]
    return changed, sorted(removed)


def conflict_copy(rel: str, slug: str) -> str:
    return f"{REVIEW}/history/{slug}/conflicts/{stamp()}-{PurePosixPath(rel).name}"


def publish(store: ObjectStore, staged: Staged, slug: str | None = None) -> list[str]:
    """Write back what the run changed; returns a note for each review file kept aside."""
    notes: list[str] = []
    changed, removed = _changes(staged, REVIEW)
    held_back, cause = False, ""
    # The editors' views first, the review state (which records what the views were) last: a
    # view held back holds back the state that would claim it.
    for rel, path in sorted(changed.items(), key=lambda item: (f"/{STATE}/" in item[0], item[0])):
        if not held_back:
            match = staged.versions[rel][0] if rel in staged.versions else ABSENT
            try:
                store.write(rel, path.read_bytes(), match=match)
                continue
            except StoreConflict:
                held_back = True
                cause = rel
        kept = conflict_copy(rel, slug or "unknown")
        store.write(kept, path.read_bytes(), match=ABSENT)
        notes.append(
            f"{rel} was changed in the store while this run worked: that version stays in "
            f"force, and this run's is kept in {kept}; run again to use the editor's file"
            if rel == cause
            else f"{rel}: this run's version is held back with {cause}, kept in {kept}"
        )
    for rel in removed if not held_back else []:
        try:
            store.delete(rel, match=staged.versions[rel][0])
        except StoreConflict:
            notes.append(f"{rel} was changed in the store while this run worked; it is kept")
    changed, removed = _changes(staged, OUT)
    for rel, path in changed.items():
        store.upload(path, rel)
    for rel in removed:
        store.delete(rel)
    return notes
