"""Small generated media for tests: real files made with espeak-ng and ffmpeg, seconds long."""

from __future__ import annotations

import subprocess
from pathlib import Path

SPEECH = "Byrådet holder møde i aften. Alle borgere er velkomne til at stille spørgsmål."
PICTURE = ["-f", "lavfi", "-i", "color=c=navy:s=320x180:r=25"]
H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac"]


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True
    )


def speech_wav(path: Path, text: str = SPEECH, lead_in_s: float = 1.0) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "da", "-s", "150", "-w", str(raw), text], check=True)
    # Silence first, so tests can check that no word is timed before the speech starts.
    delay = f"adelay={int(lead_in_s * 1000)}:all=1,apad=pad_dur=0.5"
    _ffmpeg("-i", str(raw), "-af", delay, "-ar", "16000", "-ac", "1", str(path))
    raw.unlink()
    return path


def speech_video(path: Path, text: str = SPEECH, lead_in_s: float = 1.0) -> Path:
    wav = speech_wav(path.with_suffix(".wav"), text, lead_in_s)
    _ffmpeg(*PICTURE, "-i", str(wav), "-shortest", *H264, *AAC, str(path))
    wav.unlink()
    return path


def silent_video(path: Path, seconds: float = 3.0) -> Path:
    silence = ["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"]
    _ffmpeg(*PICTURE, *silence, "-t", str(seconds), *H264, *AAC, str(path))
    return path


def video_without_audio(path: Path, seconds: float = 2.0) -> Path:
    _ffmpeg(*PICTURE, "-t", str(seconds), *H264, str(path))
    return path


def tone_video(path: Path, seconds: float = 4.0) -> Path:
    """A music-like signal: two tones, no speech."""
    tones = [f"sine=frequency={hz}:duration={seconds}" for hz in (440, 660)]
    _ffmpeg(
        *PICTURE, "-f", "lavfi", "-i", tones[0], "-f", "lavfi", "-i", tones[1],
        "-filter_complex", "[1][2]amix=inputs=2[a]", "-map", "0:v", "-map", "[a]",
        "-t", str(seconds), *H264, *AAC, str(path),
    )  # fmt: skip
    return path
