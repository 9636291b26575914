"""The social-media formats: sizes, safe areas, how the picture is reframed, how captions look.

Pure: no files, no ffmpeg. :mod:`videokit.social_files` renders with these plans, and
:mod:`videokit.legibility` checks the rendered frames against the same safe areas.

Safe areas are the part of the picture no platform covers with its own buttons, names and
progress bars; burned-in captions stay inside them. One table, with where each margin comes from:

==========  ===========  ==========================================  =================================
format      size         margins top / right / bottom / left         source
==========  ===========  ==========================================  =================================
16:9        1920 x 1080  5 % / 5 % / 5 % / 5 %                       EBU R 95 (2008), graphics-safe area
1:1         1080 x 1080  5 % / 5 % / 5 % / 5 %                       EBU R 95 graphics-safe, applied to
                                                                     the feeds (no overlay on the video)
4:5         1080 x 1350  5 % / 5 % / 5 % / 5 %                       as 1:1; covers Instagram's 3:4 grid
                                                                     crop (3.1 % each side)
9:16        1080 x 1920  14 % / 16 % / 35 % / 6 %                    Meta Business Help Center, Reels
                                                                     safe zone (14 % top, 35 % bottom,
                                                                     6 % sides); TikTok's safe-zone
                                                                     template puts its action column in
                                                                     the right 120-170 px of 1080 (16 %)
==========  ===========  ==========================================  =================================
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from .transcript import Cue, Word

if TYPE_CHECKING:
    import numpy as np

# Raise when the look of burned-in captions changes, so every format is made again.
STYLE_VERSION = 1


@dataclass(frozen=True)
class Margins:
    """Fractions of the frame's height (top, bottom) and width (left, right) kept free."""

    top: float
    right: float
    bottom: float
    left: float


@dataclass(frozen=True)
class SocialFormat:
    name: str  # "9:16"
    tag: str  # "9x16": the part of a file name
    aspect_w: int
    aspect_h: int
    safe: Margins
    platforms: str  # who gets it (README and status)
    caption_file: bool  # the clean file gets a caption file beside it (the platform takes one)
    text_height: float  # caption font size as a fraction of the frame's height, before fitting

    def size(self, short_side: int) -> tuple[int, int]:
        """Width and height with the short side ``short_side``, both even (H.264 needs that)."""
        long_side = (
            short_side * max(self.aspect_w, self.aspect_h) / min(self.aspect_w, self.aspect_h)
        )
        if self.aspect_w >= self.aspect_h:
            return _even(long_side), _even(short_side)
        return _even(short_side), _even(long_side)

    def safe_box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe area in pixels: left, top, right, bottom (exclusive)."""
        m = self.safe
        return (
            math.ceil(width * m.left),
            math.ceil(height * m.top),
            math.floor(width * (1 - m.right)),
            math.floor(height * (1 - m.bottom)),
        )


_FEED = Margins(0.05, 0.05, 0.05, 0.05)

FORMATS: dict[str, SocialFormat] = {
    f.name: f
    for f in (
        SocialFormat(
            "16:9", "16x9", 16, 9, _FEED, "YouTube, LinkedIn, Facebook, players", True, 0.055
        ),
        SocialFormat("1:1", "1x1", 1, 1, _FEED, "Facebook, Instagram, LinkedIn feeds", True, 0.05),
        SocialFormat("4:5", "4x5", 4, 5, _FEED, "Instagram and Facebook feeds", True, 0.042),
        SocialFormat(
            "9:16",
            "9x16",
            9,
            16,
            Margins(0.14, 0.16, 0.35, 0.06),
            "Instagram and Facebook Reels, TikTok, YouTube Shorts",
            False,
            0.034,
        ),
    )
}

# The caption profile each format's burned-in captions are laid out for when videokit.toml does
# not say: the site's own on the wide picture, short lines where the picture is narrow.
DEFAULT_PROFILES = {"16:9": "", "1:1": "vertical", "4:5": "vertical", "9:16": "vertical"}
REFRAMES = ("crop", "bars", "motion")


@dataclass(frozen=True)
class SocialSettings:
    """``[social]`` in videokit.toml."""

    formats: tuple[str, ...] = tuple(FORMATS)
    # Format name -> caption profile name; "" means the site's profile ([captions]).
    profiles: tuple[tuple[str, str], ...] = ()
    # "crop": fill the frame at focus_x; "motion": fill it where the picture moves most (the
    # speaker); "bars": fit the whole picture and pad the rest
    reframe: str = "crop"
    focus_x: float = 0.5  # where a crop sits across a wide picture: 0 left, 0.5 centre, 1 right
    short_side: int = 1080
    highlight: bool = False  # each word lights up as it is spoken (from the approved word times)

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown or len(set(self.formats)) != len(self.formats):
            raise ValueError(
                f"formats must be some of {', '.join(FORMATS)}, each once; got {list(self.formats)}"
            )
        if any(name not in FORMATS for name, _ in self.profiles):
            raise ValueError(f"profile for an unknown format; formats are {', '.join(FORMATS)}")
        if self.reframe not in REFRAMES:
            raise ValueError(f"reframe must be one of {', '.join(REFRAMES)}, got {self.reframe!r}")
        if not 0.0 <= self.focus_x <= 1.0:
            raise ValueError(f"focus_x must be from 0 to 1, got {self.focus_x}")
        # Below 180 pixels a 24-character line no longer fits the 9:16 safe area legibly.
        if not 180 <= self.short_side <= 2160:
            raise ValueError(f"short_side must be from 180 to 2160, got {self.short_side}")

    def profile(self, fmt: str) -> str:
        """The caption profile named for ``fmt`` ("" = the site's)."""
        return dict(self.profiles).get(fmt, DEFAULT_PROFILES[fmt])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["formats"] = list(self.formats)
        data["profiles"] = dict(self.profiles)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SocialSettings:
        fields = dict(data)
        if "formats" in fields:
            fields["formats"] = tuple(fields["formats"])
        if "profiles" in fields:
            fields["profiles"] = tuple(sorted(dict(fields["profiles"]).items()))
        return cls(**fields)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


# -- the picture ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reframe:
    """How a source picture becomes one format: a crop (or none), then scaled, maybe padded."""

    width: int
    height: int
    crop: tuple[int, int, int, int] | None = None  # x, y, w, h in source pixels
    pad: bool = False  # fit inside and pad (bars), instead of filling the frame


def reframe(fmt: SocialFormat, source_w: int, source_h: int, settings: SocialSettings) -> Reframe:
    """A crop that fills the format's frame, keeping the part at ``focus_x`` across (the centre by
    default) and the upper part of a tall picture (where the speaker's face is); or bars."""
    width, height = fmt.size(settings.short_side)
    if settings.reframe == "bars" or source_w <= 0 or source_h <= 0:
        return Reframe(width, height, pad=True)
    target = width / height
    if abs(source_w / source_h - target) < 0.005:
        return Reframe(width, height)
    if source_w / source_h > target:  # wider than the format: cut the sides
        w, h = _even(source_h * target), source_h
        w = min(w, source_w - source_w % 2)
        x, y = round((source_w - w) * settings.focus_x), 0
    else:  # taller: cut top and bottom, keeping more above the middle than below
        w, h = source_w, min(_even(source_w / target), source_h - source_h % 2)
        x, y = 0, round((source_h - h) * 0.4)
    return Reframe(width, height, crop=(x - x % 2, y - y % 2, w, h))


def crop_share(fmt: SocialFormat, source_w: int, source_h: int) -> float:
    """How much of a wide picture's width a crop to ``fmt`` keeps (1.0: all of it)."""
    return min(1.0, source_h * fmt.aspect_w / fmt.aspect_h / source_w) if source_w else 1.0


# Mean change per pixel and frame pair (0-255) under which a picture counts as still: a title card
# or a locked-off shot with compression noise gives no direction to follow.
STILL_LEVEL = 0.5


def motion_focus(frames: Sequence[np.ndarray], share: float) -> float | None:
    """Where a crop keeping ``share`` of the width sees the most motion across ``frames`` (RGB
    arrays, in time order), as a ``focus_x``; ``None`` for a still picture.

    One position for the whole video: a crop that followed every movement would jump about.
    """
    import numpy as np  # only here: the settings that import this module need no numpy

    if len(frames) < 2 or share >= 1.0:
        return None
    grey = [f.astype(np.float32).mean(axis=2) for f in frames]
    change = np.zeros(grey[0].shape[1], np.float64)
    for a, b in pairwise(grey):
        change += np.abs(b - a).sum(axis=0)
    height, width = grey[0].shape
    if change.sum() / (height * width * (len(grey) - 1)) < STILL_LEVEL:
        return None
    window = max(1, round(share * width))
    sums = np.convolve(change, np.ones(window), mode="valid")
    best = int(np.argmax(sums))
    return best / (width - window) if width > window else 0.5


# -- the captions -----------------------------------------------------------------------------------

# DejaVu Sans is in every Debian ffmpeg install and covers Danish; 0.62 em is its widest average
# character width over Danish text (capitals included), so a full line never leaves the safe area.
FONT = "DejaVu Sans"
CHAR_EM = 0.62
BOX_PAD_EM = 0.25  # the opaque box's padding around the text


@dataclass(frozen=True)
class CaptionStyle:
    font_size: int
    pad: int
    margin_l: int
    margin_r: int
    margin_v: int


def caption_style(fmt: SocialFormat, width: int, height: int, max_line_chars: int) -> CaptionStyle:
    """Font size and margins that keep a full line and its box inside the safe area."""
    left, _top, right, bottom = fmt.safe_box(width, height)
    room = right - left
    size = min(fmt.text_height * height, room / (max_line_chars * CHAR_EM + 2 * BOX_PAD_EM))
    size = max(8, math.floor(size))
    pad = max(1, round(size * BOX_PAD_EM))
    # The renderer rounds the box outwards by a pixel or two: the margins leave room for that.
    edge = pad + max(2, pad // 2)
    return CaptionStyle(size, pad, left + edge, width - right + edge, height - bottom + edge)


_TAGS = {"<i>": r"{\i1}", "</i>": r"{\i0}", "<b>": r"{\b1}", "</b>": r"{\b0}"}
_TAGS |= {"<u>": r"{\u1}", "</u>": r"{\u0}"}
_TAG = re.compile("|".join(re.escape(t) for t in _TAGS))


def _ass_text(line: str) -> str:
    # Braces open override blocks and a backslash starts \N and the like in ASS: both become
    # look-alikes, since caption text never means them as markup.
    plain = line.replace("\\", "\u29f5").replace("{", "(").replace("}", ")")
    return _TAG.sub(lambda m: _TAGS[m.group(0)], plain)


def _ass_time(ms: int) -> str:
    cs = max(0, ms) // 10
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


# Colours as ASS writes them (&HAABBGGRR, alpha 00 = opaque): white on an opaque black box, and
# for the highlight a yellow that keeps 15:1 against the box.
WHITE, BLACK, YELLOW = "&H00FFFFFF", "&H00000000", "&H0040E1FF"


def to_ass(
    cues: Sequence[Cue],
    width: int,
    height: int,
    style: CaptionStyle,
    words: Sequence[Word] = (),
) -> str:
    """An ASS script of ``cues`` for a ``width`` x ``height`` frame: each line in an opaque box at
    the bottom of the safe area, lines kept as laid out (no wrapping by the renderer). With
    ``words`` (the approved word times), each word lights up as it is spoken."""
    highlight = bool(words)
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Default,{FONT},{style.font_size},{YELLOW if highlight else WHITE},{WHITE},"
        f"{BLACK},{BLACK},0,0,0,0,100,100,0,0,3,{style.pad},0,2,"
        f"{style.margin_l},{style.margin_r},{style.margin_v},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = []
    for cue in cues:
        lines = [_ass_text(line) for line in cue.lines]
        text = _karaoke(cue, words) if highlight else r"\N".join(lines)
        events.append(
            f"Dialogue: 0,{_ass_time(cue.start_ms)},{_ass_time(cue.end_ms)},Default,,0,0,0,,{text}"
        )
    return "\n".join(header + events) + "\n"


def _karaoke(cue: Cue, words: Sequence[Word]) -> str:
    """The cue's lines with a ``\\kf`` fill per word: the approved words' times where the cue's
    words are those words, else the cue's time shared by length (an editor's own retiming)."""
    tokens = [(i, t) for i, line in enumerate(cue.lines) for t in line.split()]
    inside = [w for w in words if cue.start_ms <= (w.start_ms + w.end_ms) // 2 < cue.end_ms]
    if len(inside) == len(tokens):
        bounds = [(w.start_ms, w.end_ms) for w in inside]
    else:
        total = sum(len(t) + 1 for _, t in tokens) or 1
        at, bounds = cue.start_ms, []
        for _, t in tokens:
            step = cue.duration_ms * (len(t) + 1) // total
            bounds.append((at, at + step))
            at += step
    out: list[str] = []
    clock, last_line = cue.start_ms, 0
    for (line, token), (start, end) in zip(tokens, bounds, strict=True):
        sep = r"\N" if line != last_line else (" " if out else "")
        last_line = line
        wait = max(0, start - clock) // 10
        fill = max(1, (max(end, start) - max(start, clock)) // 10)
        lead = rf"{{\k{wait}}}" if wait else ""
        out.append(f"{sep}{lead}{{\\kf{fill}}}{_ass_text(token)}")
        clock = max(clock, end)
    return "".join(out)


# -- what an output was made from -------------------------------------------------------------------


def settings_stamp(fmt: str, settings: SocialSettings, norms: dict[str, Any]) -> str:
    """A hash of everything besides the approved version that shapes ``fmt``'s files."""
    data = {
        "format": fmt,
        "norms": norms,
        "reframe": settings.reframe,
        "focus_x": settings.focus_x,
        "short_side": settings.short_side,
        "highlight": settings.highlight,
        "style": STYLE_VERSION,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


# -- the status record ------------------------------------------------------------------------------

PENDING, RENDERING, READY, FAILED = "pending", "rendering", "ready", "failed"
STATES = (PENDING, RENDERING, READY, FAILED)


@dataclass(frozen=True)
class Check:
    """Burned-in text found on one rendered frame, by its pixels: where, and how legible."""

    at_ms: int
    box: tuple[int, int, int, int]  # left, top, right, bottom (exclusive), in the frame
    contrast: float  # text against its background box, WCAG 2 ratio
    inside: bool  # the box lies inside the format's safe area

    @property
    def ok(self) -> bool:
        return self.inside and self.contrast >= MIN_CONTRAST

    def to_dict(self) -> dict[str, Any]:
        return {
            "at_ms": self.at_ms,
            "box": list(self.box),
            "contrast": self.contrast,
            "inside": self.inside,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Check:
        box = tuple(int(v) for v in data["box"])
        if len(box) != 4:
            raise ValueError("a box has four sides")
        return cls(int(data["at_ms"]), box, float(data["contrast"]), bool(data["inside"]))  # type: ignore[arg-type]


MIN_CONTRAST = 4.5  # WCAG 2.1 success criterion 1.4.3, normal text


@dataclass(frozen=True)
class Output:
    """One format's files for one approved version."""

    format: str
    state: str
    made_from: str = ""  # the approved version's stamp and the format's settings stamp
    files: tuple[str, ...] = ()
    error: str = ""
    attempts: int = 0
    checks: tuple[Check, ...] = ()
    seconds: float = 0.0
    profile: str = ""  # the caption norms its burned-in captions were laid out for

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"unknown state {self.state!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "state": self.state,
            "made_from": self.made_from,
            "files": list(self.files),
            "error": self.error,
            "attempts": self.attempts,
            "checks": [c.to_dict() for c in self.checks],
            "seconds": self.seconds,
            "profile": self.profile,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Output:
        return cls(
            format=str(data["format"]),
            state=str(data["state"]),
            made_from=str(data.get("made_from", "")),
            files=tuple(str(f) for f in data.get("files", ())),
            error=str(data.get("error", "")),
            attempts=int(data.get("attempts", 0)),
            checks=tuple(Check.from_dict(c) for c in data.get("checks", ())),
            seconds=float(data.get("seconds", 0.0)),
            profile=str(data.get("profile", "")),
        )


@dataclass(frozen=True)
class SocialStatus:
    """What ``social/<slug>/`` holds for the published version: read by ``videokit status``, the
    studio and the run summary."""

    slug: str
    version: str  # the approved version's stamp (video and captions)
    outputs: tuple[Output, ...] = field(default_factory=tuple)

    def output(self, fmt: str) -> Output | None:
        return next((o for o in self.outputs if o.format == fmt), None)

    def with_output(self, out: Output) -> SocialStatus:
        kept = tuple(o for o in self.outputs if o.format != out.format)
        order = list(FORMATS)
        both = sorted(
            (*kept, out), key=lambda o: order.index(o.format) if o.format in order else 99
        )
        return SocialStatus(self.slug, self.version, tuple(both))

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "version": self.version,
            "outputs": [o.to_dict() for o in self.outputs],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SocialStatus:
        return cls(
            str(data["slug"]),
            str(data["version"]),
            tuple(Output.from_dict(o) for o in data.get("outputs", ())),
        )


def summary(status: SocialStatus | None, settings: SocialSettings) -> str:
    """One line: which of the project's formats are ready, being made, waiting or failed."""
    if status is None:
        return "not published"
    parts = []
    for name in settings.formats:
        out = status.output(name)
        parts.append(f"{name} {out.state if out else PENDING}")
    return ", ".join(parts)
