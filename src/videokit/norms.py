"""Caption norms and the checker that holds cues to them.

The defaults are the Danish subtitle norms in NORMS.md (Netflix Danish style guide, BBC,
undertekstning.dk). The same checker serves the caption engine's tests and the quality report, so
"a violation" means one thing everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .transcript import Cue

# Rule names are part of the quality report's JSON; rename one and old reports stop comparing.
RULE_LINE_CHARS = "line_chars"
RULE_LINE_COUNT = "line_count"
RULE_CPS = "cps"
RULE_MIN_DURATION = "min_duration"
RULE_MAX_DURATION = "max_duration"
RULE_GAP = "gap"
RULE_OVERLAP = "overlap"
RULE_ORDER = "order"
RULE_BLANK_EDGE = "blank_edge"


@dataclass(frozen=True)
class CaptionNorms:
    """Limits a cue should keep to. All times in milliseconds.

    ``max_duration_ms`` is time on screen. The caption engine reads it the way the norm means it:
    the limit is on how long the cue is up, and the ``max_linger_ms`` after the last word is an
    allowance the cue may use (for minimum duration or reading speed), not a part of its length.
    So a sentence spoken over 6.6 s fits one cue: it lingers at most to 7 s, never past it.

    ``comfortable_duration_ms`` is not a limit the checker enforces but the shortest a cue should
    be where the timing allows (professional Danish subtitles rarely stay up under 1.5 s; 5/6 s is
    the hard floor): the engine prefers joining a shorter cue to its neighbour when the other norms
    allow it. 0 turns the preference off; a value under ``min_duration_ms`` acts as that.

    ``profile`` names the set of values these started from (see ``PROFILES``), so a report can say
    which norms it held the cues to; ``dialogue_dash`` is how a dialogue line starts ("-" in the
    web profile, "- " with a space in the Danish professional one). Neither is a limit.
    """

    max_line_chars: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    min_gap_ms: int = 80
    max_linger_ms: int = 500
    comfortable_duration_ms: int = 1500
    profile: str = "web"
    dialogue_dash: str = "-"

    def __post_init__(self) -> None:
        if not (isinstance(self.profile, str) and self.profile.strip()):
            raise ValueError(f"profile must be a name, got {self.profile!r}")
        if self.dialogue_dash not in DIALOGUE_DASHES:
            raise ValueError(
                f"dialogue_dash must be one of {', '.join(map(repr, DIALOGUE_DASHES))}, "
                f"got {self.dialogue_dash!r}"
            )
        for f in fields(self):
            if f.name in _LABELS:
                continue
            value = getattr(self, f.name)
            whole = f.type == "int"
            if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
                wanted = "a whole number" if whole else "a number"
                raise ValueError(f"{f.name} must be {wanted}, got {value!r}")
            # nan passes every comparison below as False, and would switch a rule off silently.
            if not math.isfinite(value) or not 0 <= value <= _CEILINGS[f.name]:
                raise ValueError(f"{f.name} must be from 0 to {_CEILINGS[f.name]}, got {value!r}")
        if self.max_line_chars < 1 or self.max_lines < 1:
            raise ValueError("a caption needs at least one line of at least one character")
        if self.max_cps <= 0:
            raise ValueError(f"max_cps must be positive, got {self.max_cps}")
        if not 0 < self.min_duration_ms <= self.max_duration_ms:
            raise ValueError(
                f"need 0 < min_duration_ms <= max_duration_ms, got "
                f"{self.min_duration_ms}..{self.max_duration_ms}"
            )
        if self.min_gap_ms < 0 or self.max_linger_ms < 0:
            raise ValueError("min_gap_ms and max_linger_ms cannot be negative")
        if not 0 <= self.comfortable_duration_ms <= self.max_duration_ms:
            raise ValueError(
                f"need 0 <= comfortable_duration_ms <= max_duration_ms, got "
                f"{self.comfortable_duration_ms}"
            )

    @property
    def comfortable_ms(self) -> int:
        """The comfortable duration as the caption engine uses it: never under the hard minimum."""
        return max(self.min_duration_ms, self.comfortable_duration_ms)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaptionNorms:
        return cls(**data)

    def changes(self) -> dict[str, Any]:
        """The values that differ from the named profile's, e.g. ``{"max_cps": 14.0}``."""
        base = PROFILES.get(self.profile)
        if base is None:
            return {}
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "profile" and getattr(self, f.name) != getattr(base, f.name)
        }

    def describe(self) -> str:
        """One line for a report: the profile's name and what was changed from it."""
        changed = ", ".join(f"{k} = {v!r}" for k, v in self.changes().items())
        return f"{self.profile} (changed: {changed})" if changed else self.profile


# Fields that name or style rather than limit; the range checks skip them.
_LABELS = ("profile", "dialogue_dash")
# A dash with or without a space after it: the two conventions Danish profiles use.
DIALOGUE_DASHES = ("-", "- ")

# Far beyond any norm, short of nonsense: a value past these is a typo (an extra digit).
_CEILINGS: dict[str, float] = {
    "max_line_chars": 200,
    "max_lines": 6,
    "max_cps": 60.0,
    "min_duration_ms": 60_000,
    "max_duration_ms": 60_000,
    "min_gap_ms": 10_000,
    "max_linger_ms": 10_000,
    "comfortable_duration_ms": 60_000,
}

DEFAULT_NORMS = CaptionNorms()

# The profiles Danish users meet (NORMS.md, "Profiles that Danish users meet"). Values a profile's
# source does not give are the web profile's, except where noted.
PROFILES: dict[str, CaptionNorms] = {
    "web": DEFAULT_NORMS,
    # Subtitle Edit's "Danish professional subtitles": 40 characters, 15 cps, 2-8 s, 3 frames at
    # 25 fps, a space after the dialogue dash. 2 s is also the comfortable duration: the floor.
    "danish-professional": CaptionNorms(
        profile="danish-professional",
        dialogue_dash="- ",
        max_line_chars=40,
        max_cps=15.0,
        min_duration_ms=2000,
        max_duration_ms=8000,
        min_gap_ms=120,
        comfortable_duration_ms=2000,
    ),
    # Subtitle Edit's "TikTok/YouTube-shorts (9:16)": short lines on a narrow picture, read fast,
    # 0.7-5 s. It gives no gap; two frames (the web value) keep cues from merging on screen.
    "vertical": CaptionNorms(
        profile="vertical",
        max_line_chars=24,
        max_cps=25.0,
        min_duration_ms=700,
        max_duration_ms=5000,
        comfortable_duration_ms=1000,
    ),
}


def profile_norms(name: str, **changes: Any) -> CaptionNorms:
    """The named profile with ``changes`` applied on top. Raises ``KeyError`` for an unknown name
    and ``ValueError``/``TypeError`` for a bad change (the caller names the file)."""
    base = PROFILES[name]
    return replace(base, **changes) if changes else base


@dataclass(frozen=True)
class Violation:
    """One broken norm. ``cue_index`` is 0-based; for gaps it is the earlier of the two cues."""

    cue_index: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"cue {self.cue_index + 1}: {self.rule}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {"cue": self.cue_index, "rule": self.rule, "detail": self.detail}


def check_cues(cues: Sequence[Cue], norms: CaptionNorms = DEFAULT_NORMS) -> list[Violation]:
    """Every way ``cues`` break ``norms``, in cue order. An empty list means the track is clean."""
    out: list[Violation] = []
    for i, cue in enumerate(cues):
        out.extend(_check_one(i, cue, norms))
        if i + 1 < len(cues):
            nxt = cues[i + 1]
            if nxt.start_ms < cue.start_ms:
                out.append(Violation(i, RULE_ORDER, f"next cue starts earlier ({nxt.start_ms} ms)"))
            elif nxt.start_ms < cue.end_ms:
                overlap = cue.end_ms - nxt.start_ms
                out.append(Violation(i, RULE_OVERLAP, f"overlaps next cue by {overlap} ms"))
            elif nxt.start_ms - cue.end_ms < norms.min_gap_ms:
                out.append(
                    Violation(
                        i,
                        RULE_GAP,
                        f"gap {nxt.start_ms - cue.end_ms} ms < {norms.min_gap_ms} ms",
                    )
                )
    return out


def _check_one(i: int, cue: Cue, norms: CaptionNorms) -> list[Violation]:
    out: list[Violation] = []
    if len(cue.lines) > norms.max_lines:
        out.append(Violation(i, RULE_LINE_COUNT, f"{len(cue.lines)} lines > {norms.max_lines}"))
    for n, line in enumerate(cue.lines, 1):
        if len(line) > norms.max_line_chars:
            out.append(
                Violation(i, RULE_LINE_CHARS, f"line {n} has {len(line)} > {norms.max_line_chars}")
            )
        if line != line.strip():
            out.append(Violation(i, RULE_BLANK_EDGE, f"line {n} starts or ends with a space"))
    if cue.duration_ms < norms.min_duration_ms:
        out.append(
            Violation(i, RULE_MIN_DURATION, f"{cue.duration_ms} ms < {norms.min_duration_ms} ms")
        )
    elif cue.duration_ms > norms.max_duration_ms:
        out.append(
            Violation(i, RULE_MAX_DURATION, f"{cue.duration_ms} ms > {norms.max_duration_ms} ms")
        )
    if cue.cps > norms.max_cps + 1e-9:
        out.append(Violation(i, RULE_CPS, f"{cue.cps:.1f} cps > {norms.max_cps:g}"))
    return out
