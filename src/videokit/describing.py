"""The editor's decision on each on-screen text that is not said, and the descriptions it gives.

Per flag (``screentext.Flag``) the editor decides ``said`` (it is said after all, or the speech
gives the same information), ``describe`` (an audio description is needed: the editor's text is
published as a WebVTT ``kind="descriptions"`` track and in the transcript) or ``not needed``
(decoration, a logo), always with the editor's name. The decisions live in a TOML file in the
review folder, which an editor can also fill in by hand. Pure: text in, text out.
"""

from __future__ import annotations

import itertools
import json
import re
import textwrap
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .screentext import Flag, suggested_description
from .transcript import Cue, Transcript

CHOICES = ("said", "describe", "not needed")
CHOICE_LABELS_DA = {"said": "siges", "describe": "synstolkes", "not needed": "ikke nødvendig"}
READING_CPS = 15  # a screen reader's pace is not the limit; a sighted reader of the track is
MIN_SHOWN_MS, MAX_SHOWN_MS = 2000, 7000
MIN_PAUSE_MS = 800  # a pause this long between words can hold the start of a description
DESCRIPTION_LINE_CHARS = 42
LEAD_MS = 3000  # a description may start this much before its text appears, in a pause


@dataclass(frozen=True)
class Decision:
    """One flag and what the editor decided about it ("" while undecided)."""

    flag: Flag
    choice: str = ""
    description: str = ""
    editor: str = ""
    decided_at: str = ""  # ISO time, set when decided in the studio; free in the file
    current: bool = True  # False: the text is no longer found (kept: an editor's work is not lost)

    def __post_init__(self) -> None:
        if self.choice not in ("", *CHOICES):
            raise ValueError(
                f"flag {self.flag.id}: decision {self.choice!r} is not one of "
                + ", ".join(repr(c) for c in CHOICES)
            )

    @property
    def missing(self) -> str:
        """What is missing for this to count as decided ('' when decided), in Danish."""
        if not self.choice:
            return "ingen afgørelse"
        if not self.editor.strip():
            return "intet redaktørnavn"
        if self.choice == "describe" and not self.description.strip():
            return "ingen beskrivelse"
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.flag.to_dict(),
            "decision": self.choice,
            "description": self.description,
            "editor": self.editor,
            "decided_at": self.decided_at,
            "current": self.current,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Decision:
        if not isinstance(d, dict):
            raise ValueError("a decision is a table")
        return cls(
            Flag.from_dict(d),
            str(d.get("decision", "")),
            str(d.get("description", "")),
            str(d.get("editor", "")),
            str(d.get("decided_at", "")),
            bool(d.get("current", True)),
        )


def merge(flags: Sequence[Flag], before: Sequence[Decision]) -> list[Decision]:
    """The decisions for ``flags``: earlier decisions kept by flag id, new flags undecided with a
    suggested description. A decided flag no longer found is kept, marked not current."""
    old = {d.flag.id: d for d in before}
    out = [
        replace(old[f.id], flag=f, current=True)
        if f.id in old
        else Decision(f, description=suggested_description(f))
        for f in flags
    ]
    ids = {f.id for f in flags}
    out.extend(replace(d, current=False) for d in before if d.flag.id not in ids and d.choice)
    return out


def undecided(decisions: Sequence[Decision]) -> list[Decision]:
    return [d for d in decisions if d.current and d.missing]


# -- the file --------------------------------------------------------------------------------------

_HEADER = """\
# Skærmtekst, der vises i videoen, men ikke siges (WCAG 1.2.5, synstolkning).
# Afgør hver tekst: decision = "said" (det siges / oplysningen gives i talen),
# "describe" (synstolkes: teksten i description udgives som synstolkning),
# eller "not needed" (pynt, logo). Skriv dit navn i editor. Videoen kan først
# godkendes, når alle tekster er afgjort. Ret kun decision, description og editor.
"""

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
                 "\r": "\\r"}  # fmt: skip


def _toml_string(text: str) -> str:
    def escape(m: re.Match[str]) -> str:
        c = m.group()
        return _TOML_ESCAPES.get(c) or f"\\u{ord(c):04x}"

    return '"' + re.sub(r'["\\\x00-\x1f\x7f]', escape, text) + '"'


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return _toml_string(str(value))


def to_toml(decisions: Sequence[Decision]) -> str:
    blocks = [_HEADER]
    for d in decisions:
        lines = ["[[flag]]"]
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in d.to_dict().items())
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def from_toml(text: str) -> list[Decision]:
    """``ValueError`` naming what is wrong, for a file an editor broke."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"the file is not valid TOML ({err})") from None
    tables = data.get("flag", [])
    if not isinstance(tables, list):
        raise ValueError("'flag' must be a list of [[flag]] tables")
    try:
        return [Decision.from_dict(t) for t in tables]
    except (KeyError, TypeError) as err:
        raise ValueError(f"a [[flag]] table lacks {err}") from None


# -- descriptions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Description:
    """A description as published: its time on the descriptions track, and its text."""

    start_ms: int
    end_ms: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: Any) -> Description:
        return cls(int(d["start_ms"]), int(d["end_ms"]), str(d["text"]))


def _pauses(transcript: Transcript) -> list[tuple[int, int]]:
    words = [(w.start_ms, w.end_ms) for w in transcript.words]
    if not words:
        words = [(s.start_ms, s.end_ms) for s in transcript.segments]
    edges = [(0, 0), *sorted(words), (transcript.duration_ms, transcript.duration_ms)]
    return [(a[1], b[0]) for a, b in itertools.pairwise(edges) if b[0] - a[1] >= 0]


def descriptions(decisions: Sequence[Decision], transcript: Transcript) -> list[Description]:
    """Each decided "describe" as a timed description, in a pause in the speech where one lies
    near its text (from ``LEAD_MS`` before it appears until it goes), else when it appears."""
    out: list[Description] = []
    pauses = [p for p in _pauses(transcript) if p[1] - p[0] >= MIN_PAUSE_MS]
    wanted = sorted(
        (d for d in decisions if d.current and d.choice == "describe" and not d.missing),
        key=lambda d: d.flag.start_ms,
    )
    for d in wanted:
        text = " ".join(d.description.split())
        length = min(MAX_SHOWN_MS, max(MIN_SHOWN_MS, len(text) * 1000 // READING_CPS))
        lo, hi = d.flag.start_ms - LEAD_MS, d.flag.end_ms
        pause = next((p for p in pauses if p[1] > lo and p[0] < hi and p[1] - max(p[0], lo)
                      >= MIN_PAUSE_MS), None)  # fmt: skip
        start = max(pause[0], lo) if pause else d.flag.start_ms
        if out:
            start = max(start, out[-1].end_ms + 80)
        end = min(start + length, max(transcript.duration_ms, start + MIN_SHOWN_MS))
        out.append(Description(start, end, text))
    return out


def description_cues(items: Sequence[Description]) -> list[Cue]:
    """The descriptions as cues for the WebVTT track (wrapped for a sighted reader too)."""
    return [
        Cue(d.start_ms, d.end_ms, tuple(textwrap.wrap(d.text, DESCRIPTION_LINE_CHARS)) or (d.text,))
        for d in items
    ]
