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

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import captions as fmt
from . import legibility, media
from .errors import VideokitError
from .files import link_or_copy, read_json, sha256_file, sha256_text, write_json, write_text
from .naming import SOCIAL_STATUS, file_names, social_format_names, social_names
from .norms import CaptionNorms, profile_norms
from .records import VideoRecord
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
    crop_share,
    motion_focus,
    reframe,
    settings_stamp,
    to_ass,
)
from .transcript import Cue, Transcript
from .workspace import Layout

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


def all_ready(folder: Path, formats: Sequence[str]) -> bool:
    """Whether each of ``formats`` is made and on disk for the version the folder holds."""
    if not formats:
        return True  # a project that posts nowhere waits for nothing
    status = read_status(folder)
    return status is not None and all(_ready(folder, status.output(name)) for name in formats)


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


@dataclass(frozen=True)
class Published:
    """The published version a render works from."""

    record: VideoRecord
    transcript: Transcript
    cues: tuple[Cue, ...]


def render(
    layout: Layout,
    published: Published,
    settings: SocialSettings,
    site: CaptionNorms,
    *,
    hold: Callable[[], AbstractContextManager[None]],
    log: Callable[[str], None] = lambda _m: None,
) -> SocialStatus | None:
    """Make every format of ``settings`` the published folder lacks; ``None`` if not published.

    Encodes take minutes, so the video's lock (``hold``) is held only for moments: to look at the
    published folder, and to move each finished format into it. Formats are made in a work folder
    from a link to the site's video; if another version is published meanwhile, what was made
    for this one is dropped (that version's own render follows). A format that cannot be made
    is recorded as failed, with the reason, and the others go on.
    """
    slug = published.record.slug
    folder = layout.social / slug
    with hold():
        video = layout.video_dir(slug) / file_names(slug)["mp4"]
        if not folder.is_dir() or not video.is_file():
            return None
        version = version_stamp(video, published.transcript, published.cues)
        stamps = {
            name: f"{version}:{settings_stamp(name, settings, norms.to_dict())}"
            for name in settings.formats
            for norms in [format_norms(name, settings, site)]
        }
        status = _this_version(folder, version)
        if status is not None and all(_current(folder, status, n, s) for n, s in stamps.items()):
            return status  # all made: nothing to do, not even a look at the picture
        _drop_old_work(layout.social, slug)
        work = Path(tempfile.mkdtemp(prefix=f".work-{slug}-", dir=layout.social))
        source = work / "source.mp4"
        link_or_copy(video, source)
    try:
        picture = media.probe_picture(source)
        framing = _with_focus(source, picture, settings, log)
        for name, stamp in stamps.items():
            norms = format_norms(name, settings, site)
            with hold():
                status = _this_version(folder, version)
                if status is None:
                    return read_status(folder)
                if _current(folder, status, name, stamp):
                    continue
                current = status.output(name)
                failed = current is not None and current.state == FAILED
                tries = current.attempts if current is not None and failed else 0
                _save(folder, status.with_output(Output(name, RENDERING, stamp, attempts=tries)))
            log(f"{slug}: making the {name} video for social media")
            out = _render_format(
                FORMATS[name], work, source, picture, published, framing, norms, site, stamp, tries
            )
            if out.state == FAILED:
                log(f"{slug}: the {name} video was not made: {out.error}")
            with hold():
                status = _this_version(folder, version)
                if status is None:
                    return read_status(folder)
                for file in out.files:
                    os.replace(work / file, folder / file)
                _save(folder, status.with_output(out))
        with hold():
            status = _this_version(folder, version)
            if status is not None:
                _remove_strays(folder, published.record, status)
                update_quality(layout, slug, status)
            return status or read_status(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Frames looked at to find where the picture moves: pairs a few frames apart, across the video.
MOTION_SAMPLES = 8
MOTION_STEP_MS = 200


def _with_focus(
    video: Path, picture: tuple[int, int], settings: SocialSettings, log: Callable[[str], None]
) -> SocialSettings:
    """With ``reframe = "motion"``, the crop's position across the picture: where it moves most
    (else ``focus_x``). Read once, so every format of the video keeps the same part in view."""
    if settings.reframe != "motion" or not settings.formats:
        return settings
    narrowest = min(crop_share(FORMATS[n], *picture) for n in settings.formats)
    # The last frame can end a little before the file does: keep clear of the end.
    span = media.probe(video).duration_ms - MOTION_STEP_MS - 200
    frames = []
    for i in range(MOTION_SAMPLES if span > 0 else 0):
        at = span * (2 * i + 1) // (2 * MOTION_SAMPLES)
        frames += [media.read_frame(video, at), media.read_frame(video, at + MOTION_STEP_MS)]
    pairs = [motion_focus(frames[i : i + 2], narrowest) for i in range(0, len(frames), 2)]
    found = [p for p in pairs if p is not None]
    if not found:
        log("the picture hardly moves: the crop stays where focus_x puts it")
        return replace(settings, reframe="crop")
    return replace(settings, reframe="crop", focus_x=float(np.median(found)))


def _current(folder: Path, status: SocialStatus, name: str, stamp: str) -> bool:
    """Whether ``name``'s files in ``folder`` are ready and made as ``stamp`` says."""
    out = status.output(name)
    return out is not None and out.made_from == stamp and _ready(folder, out)


def _this_version(folder: Path, version: str) -> SocialStatus | None:
    """The published folder's status if it is still of ``version``."""
    status = read_status(folder) if folder.is_dir() else None
    return status if status is not None and status.version == version else None


# A work folder this old belongs to a render that was killed; a live one is minutes old.
_STALE_WORK_S = 24 * 3600


def _drop_old_work(root: Path, slug: str) -> None:
    for old in root.glob(f".work-{slug}-*"):
        try:
            if time.time() - old.stat().st_mtime > _STALE_WORK_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


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
    work: Path,
    video: Path,
    picture: tuple[int, int],
    published: Published,
    settings: SocialSettings,
    norms: CaptionNorms,
    site: CaptionNorms,
    stamp: str,
    tries: int,
) -> Output:
    """One format's files, made in ``work`` and checked on their frames."""
    record, transcript = published.record, published.transcript
    names = social_format_names(record.slug, f.tag, record.language)
    laid_out = format_cues(transcript, published.cues, norms, site)
    plan = reframe(f, *picture, settings)
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
                clean=work / names["clean"],
                burned=work / names["burned"],
                captions_ass=script,
            )
            checks = check_legibility(work / names["burned"], work / names["clean"], f, laid_out)
        except VideokitError as err:
            error = err.message
            for name in files:
                (work / name).unlink(missing_ok=True)
            continue
        if f.caption_file:
            write_text(work / names["captions"], fmt.to_srt(laid_out))
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
