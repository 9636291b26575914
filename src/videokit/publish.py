"""Writing a video's files and the sites around them.

Two trees with the same layout: ``preview/`` shows every processed video as it stands (drafts marked
as not reviewed); ``site/`` holds approved videos only, each exactly as it was approved, and is what
the manifest and the zip describe. Per video (``<root>/<slug>/``): ``<slug>.mp4``, ``poster.jpg``,
``<slug>.da.vtt``, ``<slug>.da.srt``, ``<slug>.da.txt``, ``transcript.json``, ``index.html``.
``transcript.json`` is the machine draft in the preview and the approved transcript on the site.
Approved videos also get social-media copies in ``social/<slug>/`` (see :func:`write_social`).

Every file is replaced atomically; a video that fails keeps what an earlier run wrote for it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import captions as fmt
from . import media
from .files import sha256_file, sha256_text, temporary_beside, write_json, write_text
from .naming import SITE_INDEX, file_names, social_names
from .package import VideoEntry, write_manifest, write_zip
from .pages import Paragraph, VideoPage, paragraphs, transcript_text
from .render import render_embed, render_index, render_review_page, render_video_page
from .transcript import Cue, Transcript
from .workspace import Layout, VideoRecord, load_records

MEDIA_FILES = ("mp4", "poster")


def _page(record: VideoRecord, paras: tuple[Paragraph, ...], reviewed: bool) -> VideoPage:
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
        with temporary_beside(dst / names[key]) as tmp:
            tmp.unlink()
            try:
                os.link(src / names[key], tmp)  # same bytes, no second copy of the video on disk
            except OSError:
                shutil.copyfile(src / names[key], tmp)


# -- one video -------------------------------------------------------------------------------------


def write_video(
    folder: Path,
    record: VideoRecord,
    shown: Transcript,
    cues: Sequence[Cue],
    transcript_json: Transcript,
    *,
    reviewed: bool,
    base_url: str | None = None,
) -> None:
    """Captions, text, transcript and page for one video; the page goes last, as the marker."""
    names = file_names(record.slug, record.language)
    paras = tuple(paragraphs(shown))
    write_text(folder / names["transcript"], transcript_json.to_json())
    write_text(folder / names["srt"], fmt.to_srt(cues))
    write_text(folder / names["vtt"], fmt.to_vtt(cues, language=shown.language))
    write_text(folder / names["txt"], transcript_text(paras))
    page = _page(record, paras, reviewed)
    if base_url:
        write_text(folder / names["embed"], render_embed(page, base_url))
    else:
        (folder / names["embed"]).unlink(missing_ok=True)  # a snippet for an old address misleads
    write_text(folder / names["page"], render_video_page(page, base_url=base_url))


def publish_approved(
    layout: Layout,
    record: VideoRecord,
    transcript: Transcript,
    cues: Sequence[Cue],
    base_url: str | None = None,
) -> None:
    """Put an approved version on the site as one step: media from the preview, text as approved.

    The new folder is built beside the site (``.staging-<slug>``) together with the social-media
    copies, and only then swapped in: a failure anywhere leaves the published version as it was.
    """
    folder = layout.video_dir(record.slug)
    staging = layout.site / f".staging-{record.slug}"
    old = layout.site / f".old-{record.slug}"
    for leftover in (staging, old):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _copy_media(layout.video_dir(record.slug, layout.preview), staging, record.slug)
        write_video(staging, record, transcript, cues, transcript, reviewed=True, base_url=base_url)
        write_social(layout, record, cues, video=staging / file_names(record.slug)["mp4"])
        if folder.is_dir():
            os.replace(folder, old)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def write_social(layout: Layout, record: VideoRecord, cues: Sequence[Cue], *, video: Path) -> Path:
    """Copies for social media, from the approved site version (docs/norms.md, "Packaging").

    ``<slug>.da_DK.srt`` is the name Facebook reads the language from; ``<slug>.da.srt`` suits
    YouTube and LinkedIn; ``<slug>-9x16.mp4`` has the captions burned in for feeds that ignore
    caption files. The vertical video is remade only when the video or the captions change.
    """
    folder = layout.social / record.slug
    names = social_names(record.slug, record.language)
    text = fmt.to_srt(cues)
    vertical = folder / names["vertical"]
    stamp = folder / ".made-from"
    made_from = sha256_file(video) + ":" + sha256_text(text)
    current = stamp.read_text(encoding="utf-8") if stamp.is_file() else ""
    if current != made_from or not vertical.is_file():
        media.burn_in_vertical(video, text, vertical)
        write_text(stamp, made_from)
    write_text(folder / names["facebook_srt"], text)
    write_text(folder / names["srt"], text)
    return folder


def unpublish(layout: Layout, slug: str) -> bool:
    """Take a video off the site and social folders; only ever on an editor's explicit request."""
    folder = layout.video_dir(slug)
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
    previews = load_records(layout, layout.preview)
    write_text(
        layout.preview / "index.html",
        render_index(
            [_page(r, (), r.reviewed) for r in previews], title="Forhåndsvisning (ikke offentlig)"
        ),
    )
    published = load_records(layout, layout.site)
    layout.site.mkdir(parents=True, exist_ok=True)
    write_text(layout.site / "index.html", render_index([_page(r, (), True) for r in published]))
    entries = [VideoEntry(r.slug, r.title, r.duration_ms, True) for r in published]
    manifest = write_manifest(layout.site, entries, published_files(layout, published))
    count = write_zip(layout.site, layout.zip, manifest)
    return published, count
