"""The social-media folder of a published video: ``social/<slug>/``.

Two moments. While an approval is published, :func:`stage` writes the caption files as approved
(a moment's work) and keeps every format already made from this very version; nothing is encoded,
so approving returns at once. Afterwards, :func:`render` makes each format the project asks for
(``[social] formats``): a clean video, one with the captions burned in, laid out again from the
approved words for the format's caption profile, and the clean one's caption file where the
platform takes one. Each burned-in file is checked on its own frames (text found by its pixels,
inside the safe area, contrast at least 4.5:1) before it counts as ready.

``.status.json`` (:class:`videokit.social.SocialStatus`) says per format what is ready, being
made or failed; ``videokit status``, the studio, the run summary and the manifest read it. A
failed format is recorded with its reason and made again by the next render; the approval and
the site are never touched by it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import captions as fmt
from . import legibility, media
from .errors import VideokitError
from .files import link_or_copy, read_json, sha256_file, sha256_text, write_json, write_text
from .naming import SOCIAL_STATUS, file_names, social_format_names, social_names
from .norms import CaptionNorms, profile_norms
from .segment import cues_from_transcript
from .social import (
    FAILED,
    FORMATS,
    READY,
    RENDERING,
    Check,
    Output,
    SocialFormat,
    SocialSettings,
    SocialStatus,
    caption_style,
    reframe,
    settings_stamp,
    to_ass,
)
from .transcript import Cue, Transcript
from .workspace import Layout, VideoRecord

# A render that fails is tried this many times in one go before it is reported (a full disk or a
# killed ffmpeg can pass); the next render tries again.
ATTEMPTS = 2
# Frames checked per burned-in file: captions at the start, the middle and the end.
FRAMES_CHECKED = 3


def version_stamp(video: Path, transcript: Transcript, cues: Sequence[Cue]) -> str:
    """Which approved version social files were made from: the site's video and the captions."""
    text = sha256_text(transcript.to_json() + "\n" + fmt.to_srt(cues))
    return f"{sha256_file(video)[:16]}:{text[:16]}"


def read_status(folder: Path) -> SocialStatus | None:
    """The folder's status record; ``None`` when missing or unreadable (then nothing is ready)."""
    try:
        return SocialStatus.from_dict(read_json(folder / SOCIAL_STATUS))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _save(folder: Path, status: SocialStatus) -> None:
    write_json(folder / SOCIAL_STATUS, status.to_dict())


def _ready(folder: Path, out: Output | None) -> bool:
    return (
        out is not None
        and out.state == READY
        and all((folder / name).is_file() for name in out.files)
    )


def stage(
    live: Path,
    folder: Path,
    record: VideoRecord,
    transcript: Transcript,
    cues: Sequence[Cue],
    *,
    video: Path,
) -> None:
    """The social folder of an approved version, built in ``folder`` beside the ``live`` one.

    The caption files are written as approved (``<slug>.da_DK.srt`` for Facebook, ``<slug>.da.srt``
    for YouTube and LinkedIn). A format the live folder holds for this same version is linked
    across; any other is left out, so the folder never shows captions of an older version.
    """
    names = social_names(record.slug, record.language)
    folder.mkdir(parents=True, exist_ok=True)
    text = fmt.to_srt(cues)
    write_text(folder / names["facebook_srt"], text)
    write_text(folder / names["srt"], text)
    version = version_stamp(video, transcript, cues)
    status = SocialStatus(record.slug, version)
    old = read_status(live)
    if old is not None and old.version == version:
        for out in old.outputs:
            if _ready(live, out):
                for name in out.files:
                    link_or_copy(live / name, folder / name)
                status = status.with_output(out)
    _save(folder, status)


def format_norms(name: str, settings: SocialSettings, site: CaptionNorms) -> CaptionNorms:
    """The caption norms of one format's burned-in captions: its profile, or the site's."""
    profile = settings.profile(name)
    return site if not profile or profile == site.profile else profile_norms(profile)


def format_cues(
    transcript: Transcript, cues: Sequence[Cue], norms: CaptionNorms, site: CaptionNorms
) -> list[Cue]:
    """The approved captions for a format: as approved where its norms are the site's, else laid
    out again from the approved words for its profile (never the approved cues squeezed)."""
    return list(cues) if norms == site else cues_from_transcript(transcript, norms)


def render(
    layout: Layout,
    record: VideoRecord,
    transcript: Transcript,
    cues: Sequence[Cue],
    settings: SocialSettings,
    site: CaptionNorms,
    *,
    log: Callable[[str], None] = lambda _m: None,
) -> SocialStatus | None:
    """Make every format of ``settings`` the published folder lacks; ``None`` if not published.

    The caller holds the video's lock, so no approval swaps the folder meanwhile. A format that
    cannot be made is recorded as failed (with the reason) and the others go on.
    """
    folder = layout.social / record.slug
    video = layout.video_dir(record.slug) / file_names(record.slug)["mp4"]
    if not folder.is_dir() or not video.is_file():
        return None
    version = version_stamp(video, transcript, cues)
    status = read_status(folder)
    if status is None or status.version != version:
        status = SocialStatus(record.slug, version)  # what was there belongs to another version
    width, height = media.probe_picture(video)
    for name in settings.formats:
        norms = format_norms(name, settings, site)
        stamp = f"{version}:{settings_stamp(name, settings, norms.to_dict())}"
        current = status.output(name)
        if _ready(folder, current) and current is not None and current.made_from == stamp:
            continue
        tries = current.attempts if current is not None and current.state == FAILED else 0
        status = status.with_output(Output(name, RENDERING, stamp, attempts=tries))
        _save(folder, status)
        log(f"{record.slug}: making the {name} video for social media")
        out = _render_format(
            FORMATS[name], folder, video, (width, height), record, transcript, cues, settings,
            norms, site, stamp, tries,
        )  # fmt: skip
        if out.state == FAILED:
            log(f"{record.slug}: the {name} video was not made: {out.error}")
        status = status.with_output(out)
        _save(folder, status)
    _remove_strays(folder, record, status)
    update_quality(layout, record.slug, status)
    return status


def update_quality(layout: Layout, slug: str, status: SocialStatus | None) -> None:
    """Put the formats' measured legibility into the video's quality report."""
    path = layout.quality / f"{slug}.json"
    try:
        report = read_json(path)
    except (OSError, ValueError):
        return  # no report yet: the next run writes one, with this part (pipeline)
    if isinstance(report, dict):
        report["social"] = quality_entry(status)
        write_json(path, report)


def _render_format(
    f: SocialFormat,
    folder: Path,
    video: Path,
    source: tuple[int, int],
    record: VideoRecord,
    transcript: Transcript,
    cues: Sequence[Cue],
    settings: SocialSettings,
    norms: CaptionNorms,
    site: CaptionNorms,
    stamp: str,
    tries: int,
) -> Output:
    names = social_format_names(record.slug, f.tag, record.language)
    laid_out = format_cues(transcript, cues, norms, site)
    plan = reframe(f, *source, settings)
    style = caption_style(f, plan.width, plan.height, norms.max_line_chars)
    words = transcript.words if settings.highlight else ()
    script = to_ass(laid_out, plan.width, plan.height, style, words)
    files = [names["clean"], names["burned"]]
    error = ""
    for _ in range(ATTEMPTS):
        tries += 1
        started = time.monotonic()
        try:
            media.render_social(
                video,
                width=plan.width,
                height=plan.height,
                crop=plan.crop,
                pad=plan.pad,
                clean=folder / names["clean"],
                burned=folder / names["burned"],
                captions_ass=script,
            )
            checks = check_legibility(
                folder / names["burned"], folder / names["clean"], f, laid_out
            )
        except VideokitError as err:
            error = err.message
            for name in files:
                (folder / name).unlink(missing_ok=True)
            continue
        if f.caption_file:
            write_text(folder / names["captions"], fmt.to_srt(laid_out))
            files.append(names["captions"])
        return Output(
            f.name,
            READY,
            stamp,
            tuple(files),
            attempts=tries,
            checks=checks,
            seconds=round(time.monotonic() - started, 1),
            profile=norms.describe(),
        )
    return Output(f.name, FAILED, stamp, error=error, attempts=tries, profile=norms.describe())


def sample_times(cues: Sequence[Cue], count: int = FRAMES_CHECKED) -> list[int]:
    """Moments where a caption shows: the middle of the first, a middle and the last cue."""
    if not cues:
        return []
    picks = sorted({0, len(cues) // 2, len(cues) - 1})[:count]
    return [(cues[i].start_ms + cues[i].end_ms) // 2 for i in picks]


def check_legibility(
    burned: Path, clean: Path, f: SocialFormat, cues: Sequence[Cue]
) -> tuple[Check, ...]:
    """Find the captions on frames of ``burned`` (by comparing with ``clean``) and measure them;
    :class:`VideokitError` when one is missing, outside the safe area or too faint."""
    checks = []
    for at in sample_times(cues):
        frame = media.read_frame(burned, at)
        height, width = frame.shape[:2]
        check = legibility.check_frame(
            frame, media.read_frame(clean, at), f.safe_box(width, height), at
        )
        if check is None or not check.ok:
            what = (
                "no caption was found on the frame"
                if check is None
                else f"the caption at {check.box} is outside the safe area"
                if not check.inside
                else f"the caption's contrast is {check.contrast}:1, under 4.5:1"
            )
            raise VideokitError(
                f"{f.name}: {what} at {at / 1000:.1f} s",
                path=burned,
                stage="social",
                hint="report this with the video: the burned-in captions would not be legible",
            )
        checks.append(check)
    return tuple(checks)


def _remove_strays(folder: Path, record: VideoRecord, status: SocialStatus) -> None:
    """Videos of formats no longer asked for, or from older versions of videokit, go."""
    keep = {SOCIAL_STATUS, *social_names(record.slug, record.language).values()}
    keep |= {name for out in status.outputs if out.state == READY for name in out.files}
    for path in folder.iterdir():
        if path.is_file() and path.name not in keep and not path.name.startswith("."):
            path.unlink(missing_ok=True)


def ready_files(layout: Layout, slug: str) -> dict[str, Any]:
    """For the manifest: per format its state and the files ready in ``social/<slug>/``."""
    status = read_status(layout.social / slug)
    if status is None:
        return {}
    return {
        out.format: {"state": out.state, "files": list(out.files) if out.state == READY else []}
        for out in status.outputs
    }


def quality_entry(status: SocialStatus | None) -> dict[str, Any]:
    """The social formats' part of the quality report: measured legibility per format."""
    if status is None:
        return {}
    return {
        out.format: {
            "state": out.state,
            "error": out.error,
            "profile": out.profile,
            "frames": [c.to_dict() for c in out.checks],
        }
        for out in status.outputs
    }
