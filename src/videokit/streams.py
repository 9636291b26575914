"""Reading ffprobe's answer: which streams are the picture and the sound, when the sound starts,
and whether the web video can copy them as they are.

Pure logic on the dict ffprobe writes (``-show_format -show_streams -of json``):
:mod:`videokit.media` asks ffprobe, this module reads what it said, so the rules are tested
without a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


def main_streams(info: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The picture (not cover art) and the first sound track in ffprobe's answer, if any."""
    streams = info.get("streams", [])
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    return video, audio


def audio_lead_s(info: dict[str, Any]) -> float:
    """How long after the file's start its first sound track starts, in seconds (0 if unknown).

    Phones and cameras often start the sound a little after the picture. A player keeps that
    delay; raw decoded samples lose it, and every caption would come that much too early.
    """
    _, audio = main_streams(info)
    try:
        start = float((audio or {}).get("start_time", 0.0))
        origin = float(info.get("format", {}).get("start_time", 0.0))
    except (TypeError, ValueError):
        return 0.0
    lead = start - origin
    return lead if math.isfinite(lead) and 0.0 < lead < 3600.0 else 0.0


# A source whose picture browsers already play well is copied, not encoded again: no generation
# loss, and a 10-minute talk takes a second instead of minutes of every core (which the draft,
# made at the same time, needs). Above this bitrate the copy would be too heavy to stream.
WEB_MAX_KBPS = 8_000


@dataclass(frozen=True)
class WebPlan:
    """How a source becomes the web MP4: which streams, and whether each is copied as it is."""

    video_index: int
    audio_index: int
    copy_video: bool
    copy_audio: bool


def web_plan(info: dict[str, Any], max_height: int = 720) -> WebPlan:
    """From ffprobe's answer: copy H.264 8-bit 4:2:0 no taller than ``max_height``, unrotated and
    at most ``WEB_MAX_KBPS``, and AAC-LC in at most two channels; encode anything else."""
    video, audio = main_streams(info)
    if video is None or audio is None:
        raise ValueError("no picture or no sound to make a web video of")
    rate = video.get("bit_rate") or info.get("format", {}).get("bit_rate") or 0
    rotated = str(video.get("tags", {}).get("rotate", "0")) not in ("0", "") or any(
        int(float(d.get("rotation", 0) or 0)) % 360 for d in video.get("side_data_list", [])
    )
    copy_video = (
        video.get("codec_name") == "h264"
        and video.get("pix_fmt") == "yuv420p"
        and 0 < int(video.get("height", 0)) <= max_height
        and 0 < int(rate) <= WEB_MAX_KBPS * 1000
        and not rotated
    )
    copy_audio = (
        audio.get("codec_name") == "aac"
        and audio.get("profile") == "LC"
        and 0 < int(audio.get("channels", 0)) <= 2
    )
    return WebPlan(int(video["index"]), int(audio["index"]), copy_video, copy_audio)
