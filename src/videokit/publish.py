"""Writing a video's published files and the site around them.

Per video (``site/<slug>/``): ``transcript.json`` (the machine draft), ``<slug>.da.srt``,
``<slug>.da.vtt``, ``<slug>.da.txt`` (the transcript as text), ``index.html``. The MP4 and poster are
written by :mod:`videokit.media`. Every file is replaced atomically; a video that fails keeps what an
earlier run published for it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import captions as fmt
from . import media
from .files import write_text
from .package import VideoEntry, write_manifest, write_zip
from .pages import Paragraph, VideoPage, paragraphs, transcript_text
from .render import render_index, render_video_page
from .transcript import Cue, Transcript
from .workspace import Layout, VideoMeta, VideoRecord, load_records


def file_names(slug: str) -> dict[str, str]:
    return {
        "mp4": f"{slug}.mp4",
        "poster": "poster.jpg",
        "vtt": f"{slug}.da.vtt",
        "srt": f"{slug}.da.srt",
        "txt": f"{slug}.da.txt",
        "transcript": "transcript.json",
        "page": "index.html",
    }


def _page(record: VideoRecord, paras: tuple[Paragraph, ...]) -> VideoPage:
    names = file_names(record.slug)
    return VideoPage(
        slug=record.slug, title=record.title, description=record.description,
        duration_ms=record.duration_ms, mp4=names["mp4"], poster=names["poster"], vtt=names["vtt"],
        srt=names["srt"], transcript_txt=names["txt"], paragraphs=paras,
        upload_date=record.upload_date, reviewed=record.reviewed,
    )


def write_video(
    layout: Layout,
    slug: str,
    meta: VideoMeta,
    source: Path,
    source_sha256: str,
    draft: Transcript,
    shown: Transcript,
    cues: Sequence[Cue],
) -> VideoRecord:
    """Write everything but the media files; ``shown`` is the transcript the page presents."""
    folder = layout.video_dir(slug)
    names = file_names(slug)
    previous = layout.state / f"{slug}.json"
    upload_date = (VideoRecord.load(previous).upload_date if previous.is_file()
                   else dt.date.today().isoformat())
    record = VideoRecord(
        slug=slug, title=meta.title, description=meta.description, duration_ms=draft.duration_ms,
        source=source.name, source_sha256=source_sha256, upload_date=upload_date, cues=len(cues),
    )
    paras = tuple(paragraphs(shown))
    write_text(folder / names["transcript"], draft.to_json())
    write_text(folder / names["srt"], fmt.to_srt(cues))
    write_text(folder / names["vtt"], fmt.to_vtt(cues, language=draft.language))
    write_text(folder / names["txt"], transcript_text(paras))
    # The page goes last: its presence is what marks the video as published (see load_records).
    write_text(folder / names["page"], render_video_page(_page(record, paras)))
    record.save(layout)
    return record


def media_current(layout: Layout, slug: str, source_sha256: str) -> bool:
    """True when the web MP4 and poster were made from these exact source bytes."""
    state = layout.state / f"{slug}.json"
    names = file_names(slug)
    folder = layout.video_dir(slug)
    try:
        made_from = VideoRecord.load(state).source_sha256
    except (OSError, ValueError, TypeError, KeyError):
        return False
    return made_from == source_sha256 and all(
        (folder / names[k]).is_file() for k in ("mp4", "poster"))


def write_media(layout: Layout, source: Path, slug: str, duration_ms: int) -> None:
    folder = layout.video_dir(slug)
    names = file_names(slug)
    media.encode_web_mp4(source, folder / names["mp4"])
    # A frame a little in, not the first: first frames are often black or a fade.
    media.extract_poster(source, folder / names["poster"], at_ms=min(2000, duration_ms // 3))


def write_quality(layout: Layout, slug: str, report: dict[str, Any]) -> None:
    """Quality reports are for the team, not the public site."""
    write_text(layout.out / "quality" / f"{slug}.json",
               json.dumps(report, ensure_ascii=False, indent=1) + "\n")


def write_site(layout: Layout) -> tuple[list[VideoRecord], int]:
    """Index, manifest and zip over every published video, this run's and earlier ones'."""
    records = load_records(layout)
    index_pages = [_page(r, ()) for r in records]
    write_text(layout.site / "index.html", render_index(index_pages))
    write_manifest(layout.site, [VideoEntry(r.slug, r.title, r.duration_ms, r.reviewed)
                                 for r in records])
    count = write_zip(layout.site, layout.zip)
    return records, count
