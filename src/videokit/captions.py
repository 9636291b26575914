"""Caption file formats: SRT (through the ``srt`` library) and WebVTT (written here).

Path handling stays with the caller; these functions turn cues into text and back.
``srt.compose()`` silently drops cues that are empty or zero-length, so cues are checked before they
reach it and the count is checked after: losing a caption is an error, never a quiet default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

import srt

from .errors import TranscriptError
from .transcript import Cue


def _check(cues: Sequence[Cue]) -> None:
    for i, cue in enumerate(cues, 1):
        if i > 1 and cue.start_ms < cues[i - 2].start_ms:
            raise TranscriptError(f"cue {i} starts before cue {i - 1}", stage="captions")


def to_srt(cues: Sequence[Cue]) -> str:
    _check(cues)
    subs = [
        srt.Subtitle(
            index=i,
            start=timedelta(milliseconds=c.start_ms),
            end=timedelta(milliseconds=c.end_ms),
            content=c.text,
        )
        for i, c in enumerate(cues, 1)
    ]
    text: str = srt.compose(subs, reindex=False)
    written = len(list(srt.parse(text))) if text.strip() else 0
    if written != len(cues):
        raise TranscriptError(
            f"srt dropped {len(cues) - written} of {len(cues)} cues", stage="captions"
        )
    return text


def vtt_timestamp(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{milli:03d}"


def escape_vtt(text: str) -> str:
    """Cue text is markup in WebVTT: spoken '<', '>' and '&' must not become tags or entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_FORMATTING = re.compile(r"&lt;(/?[ibuIBU])&gt;")


def _vtt_line(text: str) -> str:
    """A caption line as WebVTT cue text: escaped, but an editor's italics, bold and underline
    (the same tags in SRT and WebVTT) stay formatting."""
    return _FORMATTING.sub(lambda m: f"<{m.group(1).lower()}>", escape_vtt(text))


def _voice(name: str) -> str:
    # A voice annotation ends at '>', so the name itself must not contain one.
    return escape_vtt(name).replace("&gt;", "")


def _vtt_lines(cue: Cue) -> list[str]:
    if cue.voices:
        # A dialogue cue: each line is its own voice span, closed before the next one opens
        # (an open <v> runs to the end of the cue, so a second one would nest inside it).
        return [
            f"<v {_voice(voice)}>{_vtt_line(line)}</v>" if voice else _vtt_line(line)
            for line, voice in zip(cue.lines, cue.voices, strict=True)
            if line.strip()
        ]
    lines = [_vtt_line(line) for line in cue.lines if line.strip()]
    if cue.speaker:
        lines[0] = f"<v {_voice(cue.speaker)}>{lines[0]}"
    return lines


def to_vtt(cues: Sequence[Cue], *, language: str = "da") -> str:
    _check(cues)
    blocks = [f"WEBVTT\nLanguage: {language}\n"]
    for i, cue in enumerate(cues, 1):
        body = "\n".join(_vtt_lines(cue))
        blocks.append(
            f"{i}\n{vtt_timestamp(cue.start_ms)} --> {vtt_timestamp(cue.end_ms)}\n{body}\n"
        )
    return "\n".join(blocks)
