"""The studio's cue grid: the page's cues checked as cues, their numbers, and a re-flow that keeps
what the editor timed.

Pure logic. The rules are the review desk's own (:func:`edits.parse_srt` refuses the same cues),
said per cue number in Danish, so an editor is told "tekst 4: slutter før den starter" where the
file reader would name an SRT line the editor never saw. The numbers per cue come from
:class:`~videokit.transcript.Cue` and the norms, so the grid shows the margin to every norm, not
only a broken one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from .norms import CaptionNorms
from .speakers import speaker_problem
from .transcript import Cue


@dataclass(frozen=True)
class CueProblem:
    """Why cue ``index`` (0-based) cannot be saved, in Danish."""

    index: int
    message: str

    def __str__(self) -> str:
        return f"Tekst {self.index + 1}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"cue": self.index, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CueProblem:
        return cls(int(data["cue"]), str(data["message"]))


def clock(ms: int) -> str:
    """``HH:MM:SS,mmm``, as the page shows and takes times."""
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{milli:03d}"


def page_cues(data: Any, duration_ms: int | None) -> tuple[list[Cue], list[CueProblem]]:
    """The page's cues as :class:`Cue` values, and every reason one of them cannot be saved.

    The cues come back only when there is no problem; a save goes ahead only then.
    """
    if not isinstance(data, list):
        return [], [CueProblem(0, "siden sendte ingen liste af tekster; genindlæs siden")]
    if not data:
        return [], [CueProblem(0, "der er ingen tekster; fortryd sletningen, før du gemmer")]
    cues: list[Cue] = []
    problems: list[CueProblem] = []
    previous_end: int | None = None
    for i, item in enumerate(data):
        try:
            start, end = int(item["start_ms"]), int(item["end_ms"])
            lines = tuple(line.strip() for line in str(item["text"]).split("\n") if line.strip())
            speaker = str(item.get("speaker") or "").strip() or None
            # A dialogue cue's speaker per line; lines added or joined since: none kept.
            voices = tuple(str(v).strip() or None if v else None for v in item.get("voices") or ())
            voices = voices if len(voices) == len(lines) else ()
        except (TypeError, KeyError, ValueError, AttributeError):
            problems.append(CueProblem(i, "teksten mangler start, slut eller tekst"))
            continue
        problem = _problem(start, end, lines, previous_end, duration_ms) or _speaker(speaker)
        previous_end = end
        if problem:
            problems.append(CueProblem(i, problem))
        else:
            cues.append(Cue(start, end, lines, speaker, voices))
    return ([] if problems else cues), problems


# The editors' files can carry a speaker's name only as a label they read back (edits.py says
# why in English for the files); the same reasons for the studio, in Danish.
_SPEAKER_DA = (
    ("has extra spaces", "har ekstra mellemrum"),
    ("means no named speaker", "betyder, at ingen taler er navngivet: lad feltet stå tomt"),
    ("holds a colon", "indeholder et kolon, som ville afslutte navnet dér"),
    ("holds the digit", "indeholder et ciffer"),
    ("which a name cannot hold", "indeholder et tegn, som et navn ikke kan have"),
    ("more than five words", "har mere end fem ord"),
    ("does not start with a letter", "har et ord, der ikke begynder med et bogstav"),
    ("does not start with a capital", "har et ord, der ikke begynder med stort bogstav"),
)


def _speaker(name: str | None) -> str:
    reason = speaker_problem(" ".join(name.split())) if name else None
    if reason is None:
        return ""
    danish = next(
        (da for en, da in _SPEAKER_DA if en in reason), "kan ikke læses tilbage som et navn"
    )
    return f"talerens navn «{name}» {danish}"


def _problem(
    start: int, end: int, lines: tuple[str, ...], previous_end: int | None, duration_ms: int | None
) -> str:
    if not lines:
        return "teksten er tom; skriv en tekst, eller slet den"
    if start < 0:
        return "starten ligger før videoens begyndelse"
    if end == start:
        return f"starter og slutter på samme tid ({clock(start)})"
    if end < start:
        return f"slutter ({clock(end)}) før den starter ({clock(start)})"
    if previous_end is not None and start < previous_end:
        return f"starter ({clock(start)}) før den forrige tekst slutter ({clock(previous_end)})"
    if duration_ms is not None and end > duration_ms:
        return f"slutter ({clock(end)}) efter videoens slutning ({clock(duration_ms)})"
    return ""


def cue_numbers(cue: Cue, norms: CaptionNorms) -> dict[str, Any]:
    """What the grid shows for one cue, with the margin to each norm (negative: broken)."""
    return {
        "duration_ms": cue.duration_ms,
        "line_chars": [len(line) for line in cue.lines],
        "cps": round(cue.cps, 1),
        "margin": {
            "line_chars": norms.max_line_chars - max(len(line) for line in cue.lines),
            "lines": norms.max_lines - len(cue.lines),
            "cps": round(norms.max_cps - cue.cps, 1),
            "min_duration_ms": cue.duration_ms - norms.min_duration_ms,
            "max_duration_ms": norms.max_duration_ms - cue.duration_ms,
        },
    }


def keep_timing(before: Sequence[Cue], after: Sequence[Cue]) -> list[Cue]:
    """``after`` (a re-flow of ``before``'s words), where each cue whose text and speaker did not
    change keeps the times the editor gave it."""
    key = [(c.text, c.speaker) for c in before]
    new = [(c.text, c.speaker) for c in after]
    out = list(after)
    for block in SequenceMatcher(a=key, b=new, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            old, cue = before[block.a + k], after[block.b + k]
            out[block.b + k] = Cue(old.start_ms, old.end_ms, cue.lines, cue.speaker, cue.voices)
    # Kept times may now overlap a re-timed neighbour: the neighbour gives way.
    for i in range(1, len(out)):
        prev, cur = out[i - 1], out[i]
        if cur.start_ms < prev.end_ms:
            start = prev.end_ms
            end = max(cur.end_ms, start + 1)
            out[i] = Cue(start, end, cur.lines, cur.speaker, cur.voices)
    return out
