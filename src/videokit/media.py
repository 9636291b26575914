"""Media I/O: the one module that talks to ffmpeg.

ffmpeg-python is unmaintained, so every use of it stays here, behind functions that take paths and
return plain values. Every output is written to a temporary name beside its target and renamed into
place, so an interrupted or failed encode never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ffmpeg  # type: ignore[import-untyped]
import numpy as np

from .audio import SAMPLE_RATE
from .errors import MediaError, ToolMissingError
from .files import temporary_beside
from .streams import WebPlan, audio_lead_s, main_streams, web_plan

# -- running ffmpeg --------------------------------------------------------------------------------
# ffmpeg-python builds the command lines; videokit starts the processes itself, so that an ffmpeg
# never outlives the videokit that started it (a killed run used to leave encodes running).

_PR_SET_PDEATHSIG = 1


def _resolve_prctl() -> Any:
    # Looked up once here, not in the child: between fork and exec only the call itself is safe.
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _resolve_prctl()


def _die_with_parent(parent: int) -> Callable[[], None]:
    def arm() -> None:  # runs in the child, between fork and exec
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def _execute(args: list[str], stdin: bytes | None = None) -> tuple[bytes, bytes]:
    """Run one ffmpeg/ffprobe command; ``ffmpeg.Error`` on failure, as ffmpeg-python raises.

    The child gets SIGTERM when this process dies (Linux), and is killed when this thread is
    interrupted (Ctrl-C, a cancelled task), so no encode runs on for nobody.
    """
    process = subprocess.Popen(
        args,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent(os.getpid()) if _PRCTL is not None else None,
    )
    try:
        out, err = process.communicate(stdin)
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.returncode:
        raise ffmpeg.Error(os.path.basename(args[0]), out, err)
    return out, err


def _ffprobe(path: Path) -> dict[str, Any]:
    out, _ = _execute(["ffprobe", "-show_format", "-show_streams", "-of", "json", str(path)])
    data = json.loads(out.decode("utf-8", errors="replace"))
    return data if isinstance(data, dict) else {}


def _ffmpeg(stream: Any, stdin: bytes | None = None) -> bytes:
    # -nostdin keeps ffmpeg from reading the terminal, except where stdin carries the input.
    options = ("-hide_banner", "-loglevel", "error", *(("-nostdin",) if stdin is None else ()))
    return _execute(ffmpeg.compile(stream.global_args(*options), overwrite_output=True), stdin)[0]


VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mts", ".mxf", ".wmv")


@dataclass(frozen=True)
class MediaInfo:
    duration_ms: int  # probe() refuses files without a picture or a sound track
    width: int = 0
    height: int = 0
    audio_lead_ms: int = 0  # how long after the picture the sound starts (see audio_lead_s)


def require_ffmpeg() -> None:
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise ToolMissingError(
                f"{tool} is not installed",
                hint="install it (Debian/Ubuntu: sudo apt-get install ffmpeg) or run 'make run'",
            )


def _stderr_tail(err: Any, lines: int = 2) -> str:
    text = (getattr(err, "stderr", b"") or b"").decode("utf-8", "replace").strip()
    return " / ".join(text.splitlines()[-lines:])


def _check_readable(path: Path, stage: str) -> None:
    if not path.exists():
        raise MediaError("file does not exist", path=path, stage=stage, hint="check the path")
    if not os.access(path, os.R_OK):
        raise MediaError(
            "file cannot be read (permission denied)",
            path=path,
            stage=stage,
            hint="give the user running videokit read access, e.g. chmod a+r",
        )
    if path.stat().st_size == 0:
        raise MediaError(
            "file is empty (0 bytes)",
            path=path,
            stage=stage,
            hint="the copy or export was probably interrupted; copy the video again",
        )


def probe(path: Path) -> MediaInfo:
    """Read duration and streams; raise :class:`MediaError` for anything that is not a usable video."""
    require_ffmpeg()
    _check_readable(path, "probe")
    try:
        info = _ffprobe(path)
    except (ffmpeg.Error, ValueError) as err:
        raise MediaError(
            f"not a video ffmpeg can read ({_stderr_tail(err, 1) or 'unknown format'})",
            path=path,
            stage="probe",
            hint="export it again as MP4 (H.264/AAC) and replace the file",
        ) from None
    video, audio = main_streams(info)
    duration_s = float(info.get("format", {}).get("duration") or 0.0)
    if video is None:
        raise MediaError(
            "file has no video stream",
            path=path,
            stage="probe",
            hint="videokit publishes videos; export the recording as a video file",
        )
    if audio is None:
        raise MediaError(
            "video has no audio stream, so there is nothing to caption",
            path=path,
            stage="probe",
            hint="export the video again with its sound track",
        )
    if duration_s <= 0:
        raise MediaError(
            "video has no duration",
            path=path,
            stage="probe",
            hint="the file is probably truncated; copy it again",
        )
    return MediaInfo(
        duration_ms=round(duration_s * 1000),
        width=int(video.get("width", 0)),
        height=int(video.get("height", 0)),
        audio_lead_ms=round(audio_lead_s(info) * 1000),
    )


def load_audio(path: Path) -> np.ndarray:
    """Decode the first audio stream as 16 kHz mono float32 in [-1, 1], as Whisper expects,
    on the file's own timeline: sound that starts late is preceded by that much silence."""
    require_ffmpeg()
    _check_readable(path, "audio")
    try:
        lead = audio_lead_s(_ffprobe(path))
        out = _ffmpeg(
            ffmpeg.input(str(path))["a:0"].output(
                "pipe:", format="s16le", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE
            )
        )
    except (ffmpeg.Error, ValueError) as err:
        raise MediaError(
            f"audio could not be decoded ({_stderr_tail(err)})",
            path=path,
            stage="audio",
            hint="export the video again with AAC or PCM sound",
        ) from None
    samples = np.frombuffer(out, np.int16).astype(np.float32) / 32768.0
    silence = round(lead * SAMPLE_RATE)
    return np.concatenate([np.zeros(silence, np.float32), samples]) if silence else samples


def shot_changes(path: Path, threshold: float = 0.3, stage: str = "video") -> list[int]:
    """Times (ms) where the picture changes shot: ffmpeg's scene score (0-1) above ``threshold``,
    in order, each once. The studio's timeline marks them; on-screen text is read at them.

    The picture is scaled down first: the score needs no detail, and a 60-minute video is then
    read in a minute or two on 2 cores.
    """
    require_ffmpeg()
    _check_readable(path, "video")
    stream = (
        ffmpeg.input(str(path))
        .video.filter("scale", 160, -2)
        .filter("select", f"gt(scene,{threshold})")
        .filter("metadata", mode="print", file="-")
        .output("-", format="null")
    )
    args = ffmpeg.compile(stream.global_args("-hide_banner", "-nostdin"), overwrite_output=True)
    try:
        out, _ = _execute(args)
    except ffmpeg.Error as err:
        raise MediaError(
            f"shot changes could not be found ({_stderr_tail(err)})",
            path=path,
            stage=stage,
            hint="check that the video plays in a media player",
        ) from None
    times = re.findall(rb"pts_time:([0-9.]+)", out)
    return sorted({round(float(t) * 1000) for t in times})


def _run(stream: Any, path: Path, stage: str, hint: str) -> None:
    try:
        _ffmpeg(stream)
    except ffmpeg.Error as err:
        raise MediaError(
            f"ffmpeg failed ({_stderr_tail(err)})", path=path, stage=stage, hint=hint
        ) from None


# What browsers and social platforms all play: H.264 (yuv420p) and stereo AAC, with the index up
# front (+faststart) so playback starts before the whole file has arrived.
_WEB_MP4: dict[str, Any] = {
    "vcodec": "libx264",
    "preset": "veryfast",
    "crf": 23,
    "pix_fmt": "yuv420p",
    "acodec": "aac",
    "audio_bitrate": "128k",
    "ac": 2,
    "movflags": "+faststart",
    "format": "mp4",
}


def encode_web_mp4(src: Path, dst: Path, max_height: int = 720) -> WebPlan:
    """H.264/AAC MP4 with the index up front (+faststart) so browsers start playing at once.

    Each stream already fit for the web is copied (:func:`videokit.streams.web_plan`); the others are encoded.
    Returns what was done.
    """
    require_ffmpeg()
    try:
        plan: WebPlan | None = web_plan(_ffprobe(src), max_height)
    except (ffmpeg.Error, KeyError, ValueError, TypeError):
        plan = None  # encode everything, and let ffmpeg name what is wrong with the file
    if plan is not None and (plan.copy_video or plan.copy_audio):
        try:
            _write_web_mp4(src, dst, max_height, plan)
            return plan
        except MediaError:
            pass  # some containers' timestamps cannot be copied into MP4: encode instead
    encode = (
        WebPlan(-1, -1, False, False)
        if plan is None
        else replace(plan, copy_video=False, copy_audio=False)
    )
    _write_web_mp4(src, dst, max_height, encode)
    return encode


def _write_web_mp4(src: Path, dst: Path, max_height: int, plan: WebPlan) -> None:
    with temporary_beside(dst) as tmp:
        inp = ffmpeg.input(str(src))
        options = dict(_WEB_MP4)
        video, audio = inp.video, inp.audio  # an unknown plan (-1): ffmpeg's own choice
        if plan.video_index >= 0:
            video, audio = inp[str(plan.video_index)], inp[str(plan.audio_index)]
        if plan.copy_video:
            options["vcodec"] = "copy"
            for key in ("preset", "crf", "pix_fmt"):
                del options[key]
        else:
            # Scale down only; -2 keeps the width even, which H.264 requires.
            video = video.filter("scale", -2, f"min(ih,{max_height})")
        if plan.copy_audio:
            options["acodec"] = "copy"
            for key in ("audio_bitrate", "ac"):
                del options[key]
        stream = ffmpeg.output(video, audio, str(tmp), **options)
        _run(stream, src, "encode", "check that the source plays in a media player")


def render_social(
    src: Path,
    *,
    width: int,
    height: int,
    crop: tuple[int, int, int, int] | None,
    pad: bool,
    clean: Path | None = None,
    burned: Path | None = None,
    captions_ass: str = "",
) -> None:
    """One social format of ``src``: cropped (or fitted into bars) to ``width`` x ``height``, as a
    ``clean`` file and as a ``burned`` one with the ASS captions drawn in, from one decode.

    Burned-in text cannot be restyled or read out, so it supplements the caption files, never
    replaces them. Each file is written beside its place and renamed in.
    """
    require_ffmpeg()
    targets = [p for p in (clean, burned) if p is not None]
    if not targets:
        return
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="videokit-")))
        tmps = {p: stack.enter_context(temporary_beside(p)) for p in targets}
        inp = ffmpeg.input(str(src))
        video = inp.video
        if crop is not None:
            video = video.filter("crop", crop[2], crop[3], crop[0], crop[1])
        if pad:
            video = video.filter(
                "scale", width, height, force_original_aspect_ratio="decrease"
            ).filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2", color="black")
        else:
            video = video.filter("scale", width, height)
        video = video.filter("setsar", 1)
        pictures = video.split() if len(targets) == 2 else None
        outputs = []
        for i, target in enumerate(targets):
            picture = pictures[i] if pictures is not None else video
            if target == burned:
                script = folder / "captions.ass"
                script.write_text(captions_ass, encoding="utf-8")
                # A file name inside a filter graph, where ' : \ , [ ] ; are syntax and escaping
                # differs between ffmpeg versions: a temporary name that has none of them.
                if re.search(r"[^\w/.-]", str(script)):
                    raise MediaError(
                        "the temporary folder's name has characters ffmpeg filters cannot take",
                        path=script,
                        stage="social",
                        hint="set TMPDIR to a plain folder name",
                    )
                picture = picture.filter("ass", str(script))
            outputs.append(ffmpeg.output(picture, inp.audio, str(tmps[target]), **_WEB_MP4))
        _run(
            ffmpeg.merge_outputs(*outputs),
            src,
            "social",
            "check that ffmpeg was built with libass (ass filter) and that the site's video plays",
        )


def read_frame(path: Path, at_ms: int) -> np.ndarray:
    """The frame shown at ``at_ms`` as an array (height x width x RGB, uint8)."""
    require_ffmpeg()
    info = probe_picture(path)
    try:
        out = _ffmpeg(
            ffmpeg.input(str(path), ss=at_ms / 1000).output(
                "pipe:", vframes=1, format="rawvideo", pix_fmt="rgb24"
            )
        )
    except ffmpeg.Error as err:
        raise MediaError(
            f"no frame could be read ({_stderr_tail(err)})", path=path, stage="social"
        ) from None
    width, height = info
    if len(out) != width * height * 3:
        raise MediaError(f"no frame at {at_ms} ms", path=path, stage="social")
    return np.frombuffer(out, np.uint8).reshape(height, width, 3)


def probe_picture(path: Path) -> tuple[int, int]:
    """Width and height of a video's picture (no sound track needed, unlike :func:`probe`)."""
    try:
        video, _ = main_streams(_ffprobe(path))
    except (ffmpeg.Error, ValueError) as err:
        raise MediaError(
            f"not a video ffmpeg can read ({_stderr_tail(err, 1)})", path=path, stage="social"
        ) from None
    if video is None:
        raise MediaError("file has no video stream", path=path, stage="social")
    return int(video.get("width", 0)), int(video.get("height", 0))


def save_frame(path: Path, at_ms: int, dst: Path, max_width: int = 480) -> None:
    """One frame as a PNG, at most ``max_width`` wide (the README's pictures)."""
    require_ffmpeg()
    with temporary_beside(dst) as tmp:
        stream = (
            ffmpeg.input(str(path), ss=at_ms / 1000)
            .filter("scale", f"min(iw,{max_width})", -2)
            .output(str(tmp), vframes=1, format="image2", vcodec="png")
        )
        _run(stream, path, "social", "check that the video plays in a media player")


def extract_poster(src: Path, dst: Path, at_ms: int, max_height: int = 720) -> None:
    """One JPEG frame, used as the video's poster and thumbnail."""
    require_ffmpeg()
    with temporary_beside(dst) as tmp:
        stream = (
            ffmpeg.input(str(src), ss=at_ms / 1000)
            .filter("scale", -2, f"min(ih,{max_height})")
            .output(str(tmp), vframes=1, format="image2", vcodec="mjpeg", **{"q:v": 3})
        )
        _run(stream, src, "poster", "check that the source plays in a media player")


@dataclass(frozen=True)
class Overlay:
    """Text drawn over part of a sample video: a name super (lower third) or a sign (centre)."""

    start_ms: int
    end_ms: int
    text_file: Path
    place: str = "lower"  # "lower" or "centre"


def make_title_video(
    audio: Path,
    title_file: Path,
    dst: Path,
    *,
    width: int = 1280,
    height: int = 720,
    title_until_ms: int | None = None,
    overlays: tuple[Overlay, ...] = (),
) -> None:
    """A still title card over a sound track: the sample videos' picture.

    The title stays for the whole video, or until ``title_until_ms``; ``overlays`` are shown in
    their own spans. Texts are read from files so that no quoting of Danish text for ffmpeg's
    filter syntax is needed.
    """
    require_ffmpeg()
    with temporary_beside(dst) as tmp:
        title_span = {} if title_until_ms is None else {"enable": f"lt(t,{title_until_ms / 1000})"}
        card = ffmpeg.input(f"color=c=0x1d3557:s={width}x{height}:r=25", f="lavfi").drawtext(
            textfile=str(title_file),
            font="DejaVu Sans",
            fontsize=height // 14,
            fontcolor="white",
            x="(w-text_w)/2",
            y="(h-text_h)/2",
            line_spacing=height // 40,
            **title_span,
        )
        for overlay in overlays:
            lower = overlay.place == "lower"
            card = card.drawtext(
                textfile=str(overlay.text_file),
                font="DejaVu Sans",
                fontsize=height // (20 if lower else 16),
                fontcolor="white",
                box=1,
                boxcolor="0x000000@0.6",
                boxborderw=height // 60,
                x=str(width // 16) if lower else "(w-text_w)/2",
                y=f"h-text_h-{height // 8}" if lower else "(h-text_h)/2",
                line_spacing=height // 60,
                enable=f"between(t,{overlay.start_ms / 1000},{overlay.end_ms / 1000})",
            )
        sound = ffmpeg.input(str(audio))
        stream = ffmpeg.output(
            card,
            sound.audio,
            str(tmp),
            vcodec="libx264",
            preset="veryfast",
            tune="stillimage",
            pix_fmt="yuv420p",
            acodec="aac",
            audio_bitrate="128k",
            shortest=None,
            format="mp4",
        )
        _run(stream, audio, "samples", "check that ffmpeg has the drawtext filter and a font")


def write_wav(samples: np.ndarray, dst: Path) -> None:
    """16 kHz mono PCM WAV of float samples (used for test clips and sample narration)."""
    require_ffmpeg()
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    with temporary_beside(dst) as tmp:
        stream = ffmpeg.input("pipe:", format="s16le", ar=SAMPLE_RATE, ac=1).output(
            str(tmp), format="wav"
        )
        try:
            _ffmpeg(stream, stdin=pcm)
        except ffmpeg.Error as err:
            raise MediaError(
                f"could not write audio ({_stderr_tail(err)})", path=dst, stage="audio"
            ) from None


# -- the picture, for what is shown but not said ---------------------------------------------------
# On-screen text (name supers, title cards, web addresses) is found by reading frames (onscreen.py).
# ffmpeg gives the shot changes, small grey thumbnails to see when the picture changes, and the
# full frames that are read.

THUMB_WIDTH, THUMB_HEIGHT = 128, 72


def thumbnails(src: Path, every_ms: int) -> np.ndarray:
    """Grey ``THUMB_WIDTH`` x ``THUMB_HEIGHT`` frames, one every ``every_ms`` from the start:
    shape (n, height, width), uint8. Cheap enough for a whole video, fine enough to see a line
    of text appear."""
    require_ffmpeg()
    stream = (
        ffmpeg.input(str(src))
        .video.filter("fps", fps=f"1000/{every_ms}")
        .filter("scale", THUMB_WIDTH, THUMB_HEIGHT)
        .output("pipe:", format="rawvideo", pix_fmt="gray")
    )
    try:
        out = _ffmpeg(stream)
    except ffmpeg.Error as err:
        raise MediaError(
            f"frames could not be decoded ({_stderr_tail(err)})",
            path=src,
            stage="onscreen",
            hint="check that the video plays in a media player",
        ) from None
    size = THUMB_WIDTH * THUMB_HEIGHT
    frames = np.frombuffer(out[: len(out) // size * size], np.uint8)
    return frames.reshape(-1, THUMB_HEIGHT, THUMB_WIDTH)


def extract_frame(src: Path, at_ms: int, dst: Path) -> None:
    """One full-size frame as a grey PNG (lossless: OCR reads edges a JPEG would blur)."""
    require_ffmpeg()
    with temporary_beside(dst) as tmp:
        stream = (
            ffmpeg.input(str(src), ss=at_ms / 1000)
            .video.filter("format", "gray")
            .output(str(tmp), vframes=1, format="image2", vcodec="png")
        )
        _run(stream, src, "onscreen", "check that the video plays in a media player")
