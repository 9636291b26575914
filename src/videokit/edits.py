"""Reading what editors write: SRT files from Subtitle Edit or a text editor, and plain text.

Editors' tools differ: Subtitle Edit often writes UTF-8 with a byte-order mark and CRLF line ends,
Windows tools write UTF-16 or cp1252. All of these are accepted. What is *not* accepted is quietly
guessing at a broken file: a bad timestamp, cues out of order or overlapping, or a cue with no text
is an error that names the file and the line, so the editor can fix exactly that spot.

Pure functions over bytes and text; the caller reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import srt

from .errors import TranscriptError
from .transcript import Cue, Segment, Transcript, Word

_TIMING = re.compile(
    r"^\s*(?P<start>\d{1,2}:\d{2}:\d{2}[,.]\d{1,3})\s*-->\s*(?P<end>\d{1,2}:\d{2}:\d{2}[,.]\d{1,3})"
    r"(?:\s+.*)?$"
)


def decode_text(data: bytes, path: Path | None = None) -> str:
    """Decode an editor's file: BOM-marked UTF-8/UTF-16, plain UTF-8, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _normalise_newlines(data[3:].decode("utf-8"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _normalise_newlines(data.decode("utf-16"))
    try:
        return _normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise TranscriptError(
            "unreadable encoding (binary data or UTF-16 without a byte-order mark)",
            path=path,
            stage="review",
            hint="save the file as UTF-8 (Subtitle Edit: File → Save as, UTF-8)",
        )
    # cp1252 maps almost every byte; the five it leaves undefined mean the file is not text.
    try:
        return _normalise_newlines(data.decode("cp1252"))
    except UnicodeDecodeError:
        raise TranscriptError(
            "unreadable encoding", path=path, stage="review", hint="save the file as UTF-8"
        ) from None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class _Block:
    line: int  # 1-based line of the block's first line
    lines: tuple[str, ...]


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append(_Block(start, tuple(current)))
            current = []
    if current:
        blocks.append(_Block(start, tuple(current)))
    return blocks


def _ms(stamp: str, path: Path | None, line: int) -> int:
    try:
        delta = srt.srt_timestamp_to_timedelta(stamp.replace(".", ","))
    except (ValueError, srt.TimestampParseError):
        raise TranscriptError(
            f"broken timestamp {stamp!r}",
            path=path,
            line=line,
            stage="review",
            hint="write times as HH:MM:SS,mmm",
        ) from None
    ms: int = round(delta.total_seconds() * 1000)
    return ms


def parse_srt(text: str, path: Path | None = None) -> list[Cue]:
    """Cues exactly as the editor left them, or a :class:`TranscriptError` naming the line."""
    cues: list[Cue] = []
    previous_end, previous_line = -1, 0
    for block in _blocks(text):
        lines = list(block.lines)
        line_no = block.line
        if lines[0].strip().isdigit() and len(lines) > 1:
            lines.pop(0)
            line_no += 1
        match = _TIMING.match(lines[0])
        if match is None:
            raise TranscriptError(
                f"expected a timing line 'HH:MM:SS,mmm --> HH:MM:SS,mmm', "
                f"found {lines[0].strip()[:40]!r}",
                path=path,
                line=line_no,
                stage="review",
                hint="fix the timing line, or remove the block",
            )
        start, end = _ms(match["start"], path, line_no), _ms(match["end"], path, line_no)
        body = tuple(line.strip() for line in lines[1:] if line.strip())
        if not body:
            raise TranscriptError(
                "cue has no text",
                path=path,
                line=line_no,
                stage="review",
                hint="write the text under the timing line, or remove the cue",
            )
        if end <= start:
            raise TranscriptError(
                f"cue ends before it starts ({match['start']} --> {match['end']})",
                path=path,
                line=line_no,
                stage="review",
            )
        if start < previous_end:
            raise TranscriptError(
                f"cue overlaps the cue at line {previous_line}",
                path=path,
                line=line_no,
                stage="review",
                hint="make each cue start after the previous one ends",
            )
        cues.append(Cue(start, end, body))
        previous_end, previous_line = end, line_no
    if not cues:
        raise TranscriptError(
            "no cues found",
            path=path,
            stage="review",
            hint="the file is empty; delete it to get the draft back",
        )
    return cues


def transcript_from_cues(cues: Sequence[Cue], base: Transcript) -> Transcript:
    """A transcript whose text is the cues' text, for the page and the plain-text view.

    Word times inside a cue are spread by character length: the editor set the cue times, not the
    word times, and nothing here may pretend otherwise (probability 1.0 = confirmed by a person).
    """
    segments = []
    for cue in cues:
        text = " ".join(line for line in cue.lines)
        tokens = text.split()
        total = sum(len(t) for t in tokens) or 1
        words, cursor, elapsed = [], cue.start_ms, 0
        for token in tokens:
            elapsed += len(token)
            end = cue.start_ms + cue.duration_ms * elapsed // total
            words.append(Word(" " + token, cursor, max(cursor, end), 1.0))
            cursor = max(cursor, end)
        segments.append(
            Segment(cue.start_ms, cue.end_ms, " " + text, tuple(words), speaker=cue.speaker)
        )
    return Transcript(
        base.language,
        base.duration_ms,
        tuple(segments),
        model=base.model,
        source_sha256=base.source_sha256,
        options={"source": "srt"},
    )


def review_text(transcript: Transcript) -> str:
    """The plain-text view editors correct: paragraphs, 'Navn: ' where the speaker changes."""
    from .pages import paragraphs, transcript_text

    return transcript_text(paragraphs(transcript))
