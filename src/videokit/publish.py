"""Writing a video's files and the sites around them.

Two trees with the same layout: ``preview/`` shows every processed video as it stands (drafts marked
as not reviewed); ``site/`` holds approved videos only, each exactly as it was approved, and is what
the manifest and the zip describe. Per video (``<root>/<slug>/``): ``<slug>.mp4``, ``poster.jpg``,
``<slug>.da.vtt``, ``<slug>.da.srt``, ``<slug>.da.txt``, ``transcript.json``, ``index.html``.
``transcript.json`` is the machine draft in the preview and the approved transcript on the site.
Approved videos also get a social-media folder, ``social/<slug>/`` (:mod:`videokit.social_files`).

Every file is replaced atomically; a video that fails keeps what an earlier run wrote for it.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import accessrecord, media, screenreview, social_files
from . import captions as fmt
from .describing import Description, description_cues
from .errors import PackageError
from .files import link_or_copy, write_json, write_text
from .locks import index_lock
from .naming import SITE_INDEX, file_names
from .package import VideoEntry, write_manifest, write_zip
from .pages import Paragraph, VideoPage, paragraphs, transcript_text
from .records import Records, VideoRecord
from .render import render_embed, render_index, render_review_page, render_video_page
from .timing import cue_word_ranges
from .transcript import Cue, Transcript
from .workspace import Layout

MEDIA_FILES = ("mp4", "poster")


def _page(
    record: VideoRecord,
    paras: tuple[Paragraph, ...],
    reviewed: bool,
    descriptions: Sequence[Description] = (),
    with_record: bool = False,
) -> VideoPage:
    names = file_names(record.slug, record.language)
    return VideoPage(
        slug=record.slug,
        title=record.title,
        description=record.description,
        duration_ms=record.duration_ms,
        mp4=names["mp4"],
        poster=names["poster"],
        vtt=names["vtt"],
        srt=names["srt"],
        transcript_txt=names["txt"],
        paragraphs=paras,
        upload_date=record.upload_date,
        reviewed=reviewed,
        language=record.language,
        descriptions=tuple(descriptions),
        descriptions_vtt=names["descriptions"] if descriptions else None,
        record_page=names["record_page"] if with_record else None,
    )


# -- media -----------------------------------------------------------------------------------------


def media_current(folder: Path, slug: str, made_from: str, source_sha256: str) -> bool:
    """True when the web MP4 and poster in ``folder`` were made from these exact source bytes."""
    names = file_names(slug)
    return made_from == source_sha256 and all((folder / names[k]).is_file() for k in MEDIA_FILES)


def write_media(folder: Path, source: Path, slug: str, duration_ms: int) -> None:
    names = file_names(slug)
    media.encode_web_mp4(source, folder / names["mp4"])
    # A frame a little in, not the first: first frames are often black or a fade.
    media.extract_poster(source, folder / names["poster"], at_ms=min(2000, duration_ms // 3))


def _copy_media(src: Path, dst: Path, slug: str) -> None:
    names = file_names(slug)
    for key in MEDIA_FILES:
        link_or_copy(src / names[key], dst / names[key])


# -- one video -------------------------------------------------------------------------------------


def _with_cue_links(transcript: Transcript, shown: Transcript, cues: Sequence[Cue]) -> str:
    """The transcript JSON; where it is the text the cues show (the site), each cue's id (as in
    the WebVTT file) with the range of words it stands for: a condensed cue keeps its link to
    every word said. ``words`` index the transcript's words in order, segment after segment."""
    if transcript is not shown:
        return transcript.to_json()
    links = [
        {"id": n, "start_ms": c.start_ms, "end_ms": c.end_ms, "words": [a, b]}
        for n, (c, (a, b)) in enumerate(
            zip(cues, cue_word_ranges(cues, transcript.words), strict=True), 1
        )
    ]
    return json.dumps({**transcript.to_dict(), "cues": links}, ensure_ascii=False, indent=1) + "\n"


def write_video(
    folder: Path,
    record: VideoRecord,
    shown: Transcript,
    cues: Sequence[Cue],
    transcript_json: Transcript,
    *,
    reviewed: bool,
    base_url: str | None = None,
    descriptions: Sequence[Description] = (),
    with_record: bool = False,
) -> None:
    """Captions, text, transcript and page for one video; the page goes last, as the marker."""
    names = file_names(record.slug, record.language)
    paras = tuple(paragraphs(shown))
    write_text(folder / names["transcript"], _with_cue_links(transcript_json, shown, cues))
    write_text(folder / names["srt"], fmt.to_srt(cues))
    write_text(folder / names["vtt"], fmt.to_vtt(cues, language=shown.language))
    if descriptions:
        vtt = fmt.to_vtt(description_cues(descriptions), language=shown.language)
        write_text(folder / names["descriptions"], vtt)
    else:
        (folder / names["descriptions"]).unlink(missing_ok=True)
    write_text(folder / names["txt"], transcript_text(paras))
    page = _page(record, paras, reviewed, descriptions, with_record)
    if base_url:
        write_text(folder / names["embed"], render_embed(page, base_url))
    else:
        (folder / names["embed"]).unlink(missing_ok=True)  # a snippet for an old address misleads
    write_text(folder / names["page"], render_video_page(page, base_url=base_url))


@dataclass(frozen=True)
class Staged:
    """An approved version built beside the live folders, not yet visible to anyone."""

    slug: str
    site: Path  # becomes ``site/<slug>/``
    social: Path  # becomes ``social/<slug>/``


def _staging(root: Path, slug: str) -> tuple[Path, Path]:
    return root / f".staging-{slug}", root / f".old-{slug}"


def recover_swaps(layout: Layout) -> None:
    """Put back every published folder a swap cut off between its two renames left aside.

    Called under the index lock, which every swap holds, so a folder aside here is never one that
    a running swap is about to move back.
    """
    for root in (layout.site, layout.social):
        if not root.is_dir():
            continue
        for old in root.glob(".old-*"):
            _put_back(old, root / old.name.removeprefix(".old-"))


def _put_back(old: Path, live: Path) -> None:
    """A folder set aside with nothing in its place is the published version: it goes back."""
    if old.is_dir() and not live.exists():
        os.replace(old, live)


def recover(layout: Layout, slug: str) -> None:
    """Clear what a process killed while publishing ``slug`` left beside the live folders.

    A staging folder is dropped. An ``.old-`` folder with no live folder beside it is a swap cut
    off between its two renames: it is the published version, and goes back in place.
    """
    for root, live in (
        (layout.site, layout.video_dir(slug)),
        (layout.social, layout.social / slug),
    ):
        staging, old = _staging(root, slug)
        shutil.rmtree(staging, ignore_errors=True)
        _put_back(old, live)
        shutil.rmtree(old, ignore_errors=True)


def stage_approved(
    layout: Layout,
    record: VideoRecord,
    transcript: Transcript,
    cues: Sequence[Cue],
    base_url: str | None = None,
    *,
    approved: tuple[str, str] | None = None,
) -> Staged:
    """Build an approved version beside the site and the social folder, changing nothing live.

    Media come from the preview, text as approved. The caller either :func:`swap_in` the result
    or :func:`discard` it; a staging folder left by a killed process is removed by the next one.
    Nothing is encoded: the social formats of another version are left out, for
    ``social_files.render`` to make after the swap.
    ``approved`` (editor, time) is the approval about to be recorded, for the accessibility
    record; without it the latest one on record is used.
    """
    recover(layout, record.slug)
    site, _ = _staging(layout.site, record.slug)
    social, _ = _staging(layout.social, record.slug)
    staged = Staged(record.slug, site, social)
    try:
        site.mkdir(parents=True)
        _copy_media(layout.video_dir(record.slug, layout.preview), site, record.slug)
        # An approval in progress publishes the decisions it checked; a version already on record
        # (a run putting the site back) the ones frozen with it.
        described = screenreview.published_descriptions(
            layout.review, record.slug, transcript, as_approved=approved is None
        )
        editor, when = approved or _latest_approval(layout, record)
        accessrecord.write(
            site,
            accessrecord.build(
                layout, record, transcript, cues, described, approved_by=editor, approved_at=when
            ),
            record.slug,
            record.language,
        )
        write_video(
            site,
            record,
            transcript,
            cues,
            transcript,
            reviewed=True,
            base_url=base_url,
            descriptions=described,
            with_record=True,
        )
        mp4 = site / file_names(record.slug)["mp4"]
        social_files.stage(layout.social / record.slug, social, record, transcript, cues, video=mp4)
    except OSError as err:
        discard(staged)
        raise PackageError(
            f"the version to publish could not be built ({err.strerror or err}); nothing was "
            "published",
            path=err.filename or layout.site,
            stage="publish",
            hint="check that the output folder is writable and the preview complete "
            "('videokit produce' makes it again), then try again",
        ) from None
    except BaseException:
        discard(staged)
        raise
    return staged


def _latest_approval(layout: Layout, record: VideoRecord) -> tuple[str, str]:
    from .review import ReviewDesk  # the desk is the pipeline's; only its history is read here

    approvals = ReviewDesk(layout.review, record.language).approvals(record.slug)
    return (approvals[-1].editor, approvals[-1].time) if approvals else (record.approved_by, "")


def discard(staged: Staged) -> None:
    for folder in (staged.site, staged.social):
        shutil.rmtree(folder, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2``); ``False`` where unsupported.

    With it a reader of the site never finds the video's folder missing, not even for the moment
    between two renames.
    """
    global _EXCHANGE_WORKS
    if not _EXCHANGE_WORKS:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        _EXCHANGE_WORKS = False
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False  # this file system cannot; two renames will do
    raise OSError(err, os.strerror(err), str(b))


_EXCHANGE_WORKS = sys.platform.startswith("linux")


def _replace_folder(staging: Path, live: Path, undo: list[Callable[[], None]]) -> None:
    """``staging`` becomes ``live``; the published version is kept in ``staging`` until the end."""
    if live.is_dir() and _exchange(staging, live):

        def exchange_back() -> None:
            _exchange(staging, live)

        undo.append(exchange_back)
        return
    old = live.parent / f".old-{live.name}"
    shutil.rmtree(old, ignore_errors=True)
    if live.is_dir():
        os.replace(live, old)
        undo.append(lambda: os.replace(old, live))
    os.replace(staging, live)
    undo.append(lambda: os.replace(live, staging))


def swap_in(layout: Layout, staged: Staged) -> None:
    """Make a staged version the published one: social copies first, the site folder last.

    Each folder is exchanged with its staged version in one step where the file system can (else
    two renames); if a step fails, those done are undone in reverse, so a failure leaves both
    folders as they were. The site goes last because it is what the manifest and the zip describe.
    """
    undo: list[Callable[[], None]] = []
    try:
        _replace_folder(staged.social, layout.social / staged.slug, undo)
        _replace_folder(staged.site, layout.video_dir(staged.slug), undo)
    except BaseException as err:
        for step in reversed(undo):
            step()
        if isinstance(err, OSError):
            raise PackageError(
                f"the published folder could not be replaced ({err.strerror or err}); "
                "the site is as it was",
                path=err.filename or layout.site,
                stage="publish",
                hint="check that the output folder is writable, then try again",
            ) from None
        raise
    finally:
        discard(staged)  # after an exchange, the staging folders hold the old versions
        for root in (layout.site, layout.social):
            shutil.rmtree(root / f".old-{staged.slug}", ignore_errors=True)


def publish_approved(
    layout: Layout,
    record: VideoRecord,
    transcript: Transcript,
    cues: Sequence[Cue],
    base_url: str | None = None,
) -> None:
    """Put a version whose approval is already on record on the site, as one step.

    Built aside, then swapped in under the index lock, so the site's index, manifest and zip are
    never written from a half-swapped site. A new approval goes through :func:`stage_approved`
    and :func:`swap_in` with the record written between them (``pipeline.approve_and_publish``,
    which holds the index lock already).
    """
    staged = stage_approved(layout, record, transcript, cues, base_url)
    with index_lock(layout.out):
        swap_in(layout, staged)


def unpublish(layout: Layout, slug: str) -> bool:
    """Take a video off the site and social folders; only ever on an editor's explicit request."""
    folder = layout.video_dir(slug)
    for root in (layout.site, layout.social):
        for leftover in _staging(root, slug):  # never to be put back by :func:`recover`
            shutil.rmtree(leftover, ignore_errors=True)
    shutil.rmtree(layout.social / slug, ignore_errors=True)
    if folder.is_dir():
        shutil.rmtree(folder)
        return True
    return False


def write_quality(layout: Layout, slug: str, report: dict[str, Any]) -> None:
    """Quality reports are for the team, not the public site."""
    write_json(layout.quality / f"{slug}.json", report)


def write_review_page(
    layout: Layout,
    record: VideoRecord,
    cues: Sequence[Cue],
    report: dict[str, Any],
    *,
    source: str,
    approve_command: str,
) -> Path:
    """The team's page for checking one video before approving it."""
    names = file_names(record.slug, record.language)
    path = layout.review_pages / f"{record.slug}.html"
    video = f"../preview/{record.slug}/{names['mp4']}"
    write_text(
        path,
        render_review_page(
            record=record,
            cues=list(cues),
            report=report,
            source=source,
            video=video,
            vtt=f"../preview/{record.slug}/{names['vtt']}",
            approve_command=approve_command,
        ),
    )
    return path


# -- the sites -------------------------------------------------------------------------------------


def published_files(layout: Layout, records: Sequence[VideoRecord]) -> list[Path]:
    """The files the site is made of, by name: nothing stray, no links, no hidden files."""
    wanted = [layout.site / SITE_INDEX]
    for r in records:
        folder = layout.video_dir(r.slug)
        wanted.extend(folder / name for name in file_names(r.slug, r.language).values())
    return [p for p in wanted if p.is_file() and not p.is_symlink()]


def write_indexes(layout: Layout) -> tuple[list[VideoRecord], int]:
    """Preview index over every video; site index, manifest and zip over approved ones."""
    previews = Records(layout).listed(layout.preview)
    write_text(
        layout.preview / "index.html",
        render_index(
            [_page(r, (), r.reviewed) for r in previews], title="Forhåndsvisning (ikke offentlig)"
        ),
    )
    recover_swaps(layout)
    published = Records(layout).listed(layout.site)
    layout.site.mkdir(parents=True, exist_ok=True)
    names = {r.slug: file_names(r.slug, r.language)["record_page"] for r in published}
    pages = [
        _page(r, (), True, with_record=(layout.video_dir(r.slug) / names[r.slug]).is_file())
        for r in published
    ]
    write_text(layout.site / "index.html", render_index(pages))
    entries = [VideoEntry(r.slug, r.title, r.duration_ms, True) for r in published]
    social = {r.slug: social_files.ready_files(layout, r.slug) for r in published}
    manifest = write_manifest(
        layout.site, entries, published_files(layout, published), social=social
    )
    count = write_zip(layout.site, layout.zip, manifest)
    return published, count
