"""Reading the text a video shows: shot changes, frames, OCR, cached per video.

Frames are looked at as small grey thumbnails every ``STEP_MS``; a full frame is read (Tesseract,
Danish) at the start, at each shot change (ffmpeg's scene score) and whenever the picture has
changed since the last frame read, at most once per ``STEADY_MS`` unless a shot changes. A picture
that stays the same is read once, however long it stays. Each block of text Tesseract finds is
followed from reading to reading and becomes one :class:`ScreenText` with the span it was shown.

Tesseract is Debian's ``tesseract-ocr`` with ``tesseract-ocr-dan``, called through pytesseract:
it runs the installed program (no compiled binding to keep in step with the library's version) and
reads the Danish letters æ, ø and å that the English data misses.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import numpy as np

from . import media
from .cache import cache_root
from .errors import ToolMissingError
from .files import read_json, write_json
from .screentext import ScreenText

STEP_MS = 500
STEADY_MS = 2000
SCENE_THRESHOLD = 0.3
CHANGED_LEVEL = 24  # grey levels a thumbnail pixel must move by to count as changed
CHANGED_SHARE = 0.001  # share of changed pixels that makes a new picture (one short word)
FLAT_STD = 3.0  # a thumbnail this even (a black or plain frame) holds no text: not read
MIN_CONFIDENCE = 60.0  # Tesseract's word confidence (0–100); below, it is guessing at texture
SAME_TEXT = 0.8  # two readings of one block that are this alike are the same text
LANGUAGES = "dan"
READER_VERSION = "1"  # part of the cache key: a change in how frames are read reads them again


def require_tesseract() -> None:
    if shutil.which("tesseract") is None:
        raise ToolMissingError(
            "tesseract is not installed, so on-screen text cannot be read",
            hint="install it (Debian/Ubuntu: sudo apt-get install tesseract-ocr tesseract-ocr-dan)"
            " or run 'make run'",
        )


@dataclass(frozen=True)
class Block:
    text: str
    top: float  # fraction of the frame's height
    confidence: float


def read_frame(png: Path) -> list[Block]:
    """The blocks of text Tesseract finds in one frame, words below ``MIN_CONFIDENCE`` left out."""
    import pytesseract
    from PIL import Image, ImageOps

    with Image.open(png) as opened:
        image = opened.convert("L")
    # Tesseract reads dark text on light ground best; titles and supers are often light on dark.
    if float(np.asarray(image).mean()) < 128:
        image = ImageOps.invert(image)
    data = pytesseract.image_to_data(image, lang=LANGUAGES, output_type=pytesseract.Output.DICT)
    height = max(1, image.height)
    blocks: dict[int, list[tuple[int, int, str, float, int]]] = {}
    for k, word in enumerate(data["text"]):
        confidence = float(data["conf"][k])
        if not word.strip() or confidence < MIN_CONFIDENCE:
            continue
        blocks.setdefault(data["block_num"][k], []).append(
            (data["par_num"][k] * 1000 + data["line_num"][k], data["left"][k], word, confidence,
             data["top"][k])
        )  # fmt: skip
    out = []
    for words in blocks.values():
        lines: dict[int, list[tuple[int, str]]] = {}
        for line, left, word, _, _ in words:
            lines.setdefault(line, []).append((left, word))
        text = "\n".join(" ".join(w for _, w in sorted(lines[n])) for n in sorted(lines))
        if sum(c.isalnum() for c in text) < 3:
            continue
        top = min(w[4] for w in words) / height
        out.append(Block(text, top, sum(w[3] for w in words) / len(words)))
    return sorted(out, key=lambda b: b.top)


def _changed(a: np.ndarray, b: np.ndarray) -> bool:
    moved = np.abs(a.astype(np.int16) - b.astype(np.int16)) > CHANGED_LEVEL
    return float(moved.mean()) > CHANGED_SHARE


def reading_times(thumbs: np.ndarray, cuts: Sequence[int]) -> list[tuple[int, int]]:
    """(time of the change, time to read) for each frame worth reading.

    The change time is when the picture first differed from the last one read: a text that
    appears is dated from then, even when it is read up to ``STEADY_MS`` later.
    """
    out: list[tuple[int, int]] = []
    last: np.ndarray | None = None
    last_at = -STEADY_MS
    changed_at: int | None = None
    cut_times = set((c // STEP_MS) * STEP_MS for c in cuts)
    for k, thumb in enumerate(thumbs):
        at = k * STEP_MS
        if last is not None and not _changed(thumb, last):
            changed_at = None
            continue
        if changed_at is None:
            changed_at = at
        if last is None or at - last_at >= STEADY_MS or at in cut_times:
            out.append((changed_at, at))
            last, last_at, changed_at = thumb, at, None
    return out


def _same(a: str, b: str) -> bool:
    return SequenceMatcher(None, a.lower(), b.lower()).ratio() >= SAME_TEXT


def follow(readings: Sequence[tuple[int, list[Block]]], end_ms: int) -> list[ScreenText]:
    """Blocks followed from reading to reading: a text lasts until a reading lacks it."""
    done: list[ScreenText] = []
    live: list[tuple[int, Block]] = []
    for at, blocks in readings:
        kept: list[tuple[int, Block]] = []
        fresh = list(blocks)
        for start, block in live:
            match = next((b for b in fresh if _same(b.text, block.text)), None)
            if match is None:
                done.append(ScreenText(start, at, block.text, round(block.top, 3),
                                       round(block.confidence, 1)))  # fmt: skip
            else:
                fresh.remove(match)
                # The reading with more confidence is the better text.
                kept.append((start, match if match.confidence > block.confidence else block))
        live = kept + [(at, b) for b in fresh]
    for start, block in live:
        done.append(ScreenText(start, max(start, end_ms), block.text, round(block.top, 3),
                               round(block.confidence, 1)))  # fmt: skip
    return sorted(done, key=lambda s: (s.start_ms, s.top))


def read_video(video: Path, duration_ms: int) -> list[ScreenText]:
    """Every text the video shows, with when (slow: see :func:`shown`, which caches)."""
    thumbs = media.thumbnails(video, STEP_MS)
    times = reading_times(thumbs, media.shot_changes(video, SCENE_THRESHOLD, stage="onscreen"))
    readings: list[tuple[int, list[Block]]] = []
    with tempfile.TemporaryDirectory(prefix="videokit-frames-") as folder:
        frame = Path(folder) / "frame.png"
        for changed_at, at in times:
            if float(thumbs[at // STEP_MS].std()) < FLAT_STD:
                readings.append((changed_at, []))
                continue
            require_tesseract()
            media.extract_frame(video, at, frame)
            readings.append((changed_at, read_frame(frame)))
    return follow(readings, duration_ms)


def _cache_file(sha256: str, root: Path | None) -> Path:
    return (root or cache_root()) / f"onscreen-{READER_VERSION}-{sha256}.json"


def shown(video: Path, sha256: str, duration_ms: int, root: Path | None = None) -> list[ScreenText]:
    """:func:`read_video`, kept in the cache folder by the video's content hash."""
    path = _cache_file(sha256, root)
    try:
        data: Any = read_json(path)
        return [ScreenText.from_dict(d) for d in data["texts"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass  # absent or damaged: read again
    texts = read_video(video, duration_ms)
    write_json(path, {"reader": READER_VERSION, "texts": [t.to_dict() for t in texts]})
    return texts
