"""Sample videos rendered from the Danish manuscripts in ``media/samples/``.

Real footage belongs to the users and is not in the repository. The samples exercise the whole
pipeline: espeak-ng reads each sentence separately, so the true time of every sentence is known and
written next to the video (``<slug>.timing.json``) for the alignment benchmark, and the manuscript
is copied beside the video (``<slug>.manuscript.txt``) as editors' corrected text would be.

Manuscript format: the first line is the title; paragraphs are separated by blank lines. A line
``@navn: Name | Role`` or ``@tekst: www.example.dk`` at the start of a paragraph shows that text
on screen while the paragraph is read (a name super in the lower third, a sign in the centre),
without it being said: the title card then gives way to it after the first paragraph.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import media
from .audio import SAMPLE_RATE
from .errors import ToolMissingError, VideokitError
from .files import write_json, write_text
from .sentences import split_sentences

LEAD_IN_MS = 600
SENTENCE_GAP_MS = 350
PARAGRAPH_GAP_MS = 900
TAIL_MS = 1200
VOICE, SPEED = "da", 140  # words per minute: a calm presenter, not espeak's default 175


@dataclass(frozen=True)
class Manuscript:
    slug: str
    title: str
    paragraphs: tuple[tuple[str, ...], ...]  # sentences per paragraph
    shown: tuple[tuple[int, str, str], ...] = ()  # (paragraph, "lower" or "centre", text)


_SHOWN = {"@navn:": "lower", "@tekst:": "centre"}


def parse_manuscript(path: Path) -> Manuscript:
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    if not lines:
        raise VideokitError("manuscript is empty", path=path, stage="samples")
    body = "\n".join(lines[1:]).strip()
    paragraphs: list[tuple[str, ...]] = []
    shown: list[tuple[int, str, str]] = []
    for block in (p for p in re.split(r"\n\s*\n", body) if p.strip()):
        spoken = []
        for line in block.splitlines():
            tag = next((t for t in _SHOWN if line.startswith(t)), None)
            if tag is None:
                spoken.append(line)
            else:
                text = "\n".join(part.strip() for part in line[len(tag) :].split("|"))
                shown.append((len(paragraphs), _SHOWN[tag], text))
        paragraphs.append(split_sentences("\n".join(spoken)))
    return Manuscript(path.stem, lines[0].strip(), tuple(paragraphs), tuple(shown))


def manuscript_body(m: Manuscript) -> str:
    return "\n\n".join(" ".join(p) for p in m.paragraphs) + "\n"


def _speak(sentence: str, into: Path, speed: int = SPEED) -> np.ndarray:
    if shutil.which("espeak-ng") is None:
        raise ToolMissingError(
            "espeak-ng is not installed",
            hint="install it (Debian/Ubuntu: sudo apt-get install espeak-ng)",
        )
    wav = into / "sentence.wav"
    subprocess.run(
        ["espeak-ng", "-v", VOICE, "-s", str(speed), "-w", str(wav), sentence],
        check=True,
        capture_output=True,
    )
    return media.load_audio(wav)


def spoken_ms(sentence: str, speed: int = SPEED) -> int:
    """How long espeak-ng takes to read ``sentence`` at ``speed`` words a minute, in ms: the
    benchmarks time sentences with it without rendering a video."""
    with tempfile.TemporaryDirectory() as tmp:
        return len(_speak(sentence, Path(tmp), speed)) * 1000 // SAMPLE_RATE


def _silence(ms: int) -> np.ndarray:
    return np.zeros(ms * SAMPLE_RATE // 1000, dtype=np.float32)


def render(manuscript_path: Path, into: Path) -> Path:
    """Render one sample video; returns its path. Writes the video, its timing and manuscript."""
    m = parse_manuscript(manuscript_path)
    pieces: list[np.ndarray] = [_silence(LEAD_IN_MS)]
    timing = []
    spans: list[tuple[int, int]] = []  # each paragraph's time
    cursor = LEAD_IN_MS
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for p_index, paragraph in enumerate(m.paragraphs):
            if p_index:
                pieces.append(_silence(PARAGRAPH_GAP_MS))
                cursor += PARAGRAPH_GAP_MS
            spans.append((cursor, cursor))
            for s_index, sentence in enumerate(paragraph):
                if s_index:
                    pieces.append(_silence(SENTENCE_GAP_MS))
                    cursor += SENTENCE_GAP_MS
                audio = _speak(sentence, work)
                length = len(audio) * 1000 // SAMPLE_RATE
                timing.append(
                    {
                        "text": sentence,
                        "start_ms": cursor,
                        "end_ms": cursor + length,
                        "paragraph": p_index,
                    }
                )
                pieces.append(audio)
                cursor += length
            spans[-1] = (spans[-1][0], cursor)
        pieces.append(_silence(TAIL_MS))
        wav = work / "narration.wav"
        media.write_wav(np.concatenate(pieces), wav)
        title = work / "title.txt"
        title.write_text("\n".join(textwrap.wrap(m.title, 30)), encoding="utf-8")
        overlays = []
        for k, (at, place, text) in enumerate(m.shown):
            text_file = work / f"shown-{k}.txt"
            text_file.write_text(text, encoding="utf-8")
            start, end = spans[at]
            overlays.append(media.Overlay(start, end + PARAGRAPH_GAP_MS // 2, text_file, place))
        video = into / f"{m.slug}.mp4"
        media.make_title_video(
            wav,
            title,
            video,
            title_until_ms=spans[0][1] + PARAGRAPH_GAP_MS // 2 if m.shown else None,
            overlays=tuple(overlays),
        )
    write_json(into / f"{m.slug}.timing.json", {"title": m.title, "sentences": timing})
    # JSON string syntax is valid TOML for a basic string.
    write_text(into / f"{m.slug}.toml", f"title = {json.dumps(m.title, ensure_ascii=False)}\n")
    # The spoken text only: this is what an editor's corrected transcript would say.
    write_text(into / f"{m.slug}.manuscript.txt", manuscript_body(m))
    return video


def sample_manuscripts(media_dir: Path) -> list[Path]:
    return sorted((media_dir / "samples").glob("*.txt"))


def render_all(media_dir: Path) -> list[Path]:
    manuscripts = sample_manuscripts(media_dir)
    if not manuscripts:
        raise VideokitError(
            "no sample manuscripts found",
            path=media_dir / "samples",
            stage="samples",
            hint="restore media/samples/ from the repository",
        )
    return [render(p, media_dir) for p in manuscripts]


# --- beds under the speech, for testing alignment on less clean audio ------------------------------

BEDS = ("noise", "music")


def mix_bed(
    speech: np.ndarray, kind: str, *, below_speech_db: float = 20.0, lead_ms: int = 0, seed: int = 0
) -> np.ndarray:
    """``speech`` (16 kHz mono) with a bed of ``kind`` under it, ``lead_ms`` of bed first.

    ``"noise"`` is pink-ish noise (room tone, traffic); ``"music"`` a soft chord pad that changes
    chord every two seconds and swells slowly, as a presenter's intro music ducked under the voice.
    The bed runs from the first sample to the last at ``below_speech_db`` under the speech's loudness
    (its RMS over the frames that hold speech), so no silence is left for an aligner to lean on.
    Deterministic for a given ``seed``.
    """
    if kind not in BEDS:
        raise ValueError(f"unknown bed {kind!r}; choose one of {', '.join(BEDS)}")
    rate = SAMPLE_RATE
    voice = np.concatenate([np.zeros(lead_ms * rate // 1000, np.float32), speech])
    n = len(voice)
    t = np.arange(n) / rate
    if kind == "noise":
        white = np.random.default_rng(seed).standard_normal(n)
        # -3 dB per octave: a white spectrum shaped in the frequency domain.
        spectrum = np.fft.rfft(white)
        spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
        spectrum[0] = 0
        bed = np.fft.irfft(spectrum, n)
    else:
        chords = ((220.0, 277.18, 329.63), (196.0, 246.94, 293.66))
        which = (t // 2.0).astype(int) % len(chords)
        bed = np.zeros(n)
        for voice_index in range(3):
            freq = np.choose(which, [c[voice_index] for c in chords])
            # Phase accumulates, so a chord change does not click.
            bed += np.sin(2 * np.pi * np.cumsum(freq) / rate)
        bed *= 1.0 + 0.25 * np.sin(2 * np.pi * t / 5.0)
    frame = rate // 100
    frames = voice[: n // frame * frame].reshape(-1, frame).astype(np.float64)
    power = np.mean(frames * frames, axis=1)
    loud = power[power > np.max(power, initial=0.0) * 10 ** (-35 / 10)]
    speech_rms = float(np.sqrt(np.mean(loud))) if len(loud) else 0.1
    bed_rms = float(np.sqrt(np.mean(bed * bed))) or 1.0
    bed *= speech_rms * 10 ** (-below_speech_db / 20) / bed_rms
    return np.clip(voice + bed, -1.0, 1.0).astype(np.float32)
