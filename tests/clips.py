"""Small generated media for tests: real files made with espeak-ng and ffmpeg, seconds long."""

from __future__ import annotations

import subprocess
from pathlib import Path

SPEECH = "Byrådet holder møde i aften. Alle borgere er velkomne til at stille spørgsmål."


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True
    )


def speech_wav(path: Path, text: str = SPEECH, lead_in_s: float = 1.0) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "da", "-s", "150", "-w", str(raw), text], check=True)
    # Silence first, so tests can check that no word is timed before the speech starts.
    _ffmpeg(
        "-i",
        str(raw),
        "-af",
        f"adelay={int(lead_in_s * 1000)}:all=1,apad=pad_dur=0.5",
        "-ar",
        "16000",
        "-ac",
        "1",
        str(path),
    )
    raw.unlink()
    return path


def speech_video(path: Path, text: str = SPEECH, lead_in_s: float = 1.0) -> Path:
    wav = speech_wav(path.with_suffix(".wav"), text, lead_in_s)
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=navy:s=320x180:r=25",
        "-i",
        str(wav),
        "-shortest",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        str(path),
    )
    wav.unlink()
    return path


def silent_video(path: Path, seconds: float = 3.0) -> Path:
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=black:s=320x180:r=25",
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=16000:cl=mono",
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        str(path),
    )
    return path


def video_without_audio(path: Path, seconds: float = 2.0) -> Path:
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=black:s=320x180:r=25",
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(path),
    )
    return path


def tone_video(path: Path, seconds: float = 4.0) -> Path:
    """A music-like signal: two tones, no speech."""
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=black:s=320x180:r=25",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=660:duration={seconds}",
        "-filter_complex",
        "[1][2]amix=inputs=2[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        str(path),
    )
    return path
