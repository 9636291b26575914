"""Transcript pages as data: paragraphs, page metadata and the schema.org description of a video.

A caption track is cut for reading speed; a transcript page is read like an article. W3C WAI asks for
paragraphs rather than caption lines, with speakers named, so this module regroups the recogniser's
segments into paragraphs. Everything here is pure: the HTML lives in ``render`` and the templates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from .describing import Description
from .sentences import count_sentences, ends_sentence
from .transcript import Segment, Transcript, Word

PAUSE_MS = 1500
SENTENCES_PER_PARAGRAPH = 3
# A speaker who never pauses and never ends a sentence (or a recogniser that drops punctuation) would
# otherwise yield one wall of text; past this length a paragraph breaks at the next segment or word group.
MAX_PARAGRAPH_CHARS = 600

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MONTHS_DA = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
_LANGUAGE_LABELS = {"da": "Dansk", "en": "Engelsk", "sv": "Svensk", "nb": "Norsk", "de": "Tysk"}


@dataclass(frozen=True)
class Paragraph:
    """A stretch of one speaker's speech, as a reader sees it on the transcript page."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.start_ms, int) or not isinstance(self.end_ms, int):
            raise TypeError(f"paragraph times must be integer milliseconds, got {self.start_ms!r}")
        if self.start_ms < 0 or self.end_ms < self.start_ms:
            raise ValueError(f"paragraph has an impossible span {self.start_ms}..{self.end_ms} ms")
        if not self.text.strip():
            raise ValueError(f"paragraph at {self.start_ms} ms has no text")


@dataclass(frozen=True)
class VideoPage:
    """Everything one video's page needs. File names are relative to the page's own folder."""

    slug: str
    title: str
    description: str
    duration_ms: int
    mp4: str
    poster: str
    vtt: str
    srt: str
    transcript_txt: str | None
    paragraphs: tuple[Paragraph, ...]
    upload_date: str
    reviewed: bool = False
    language: str = "da"
    # Text shown but not said, described (WCAG 1.2.5): the track's file and its cues.
    descriptions: tuple[Description, ...] = ()
    descriptions_vtt: str | None = None
    record_page: str | None = None  # the accessibility record, for approved videos

    def __post_init__(self) -> None:
        # The slug becomes a folder name, a URL segment and part of ids, so it stays boring.
        if not _SLUG.match(self.slug):
            raise ValueError(f"slug {self.slug!r} must be letters, digits, '.', '_' or '-'")
        if not self.title.strip():
            raise ValueError(f"video {self.slug!r} has no title")
        if not isinstance(self.duration_ms, int) or self.duration_ms < 0:
            raise ValueError(f"video {self.slug!r} has an impossible duration {self.duration_ms!r}")
        for name in ("mp4", "poster", "vtt", "srt", "transcript_txt", "descriptions_vtt",
                     "record_page"):  # fmt: skip
            value = getattr(self, name)
            if value is None and name in ("transcript_txt", "descriptions_vtt", "record_page"):
                continue
            if not value or "/" in value or "\\" in value or value in (".", ".."):
                raise ValueError(
                    f"video {self.slug!r}: {name} must be a plain file name, got {value!r}"
                )
        # Python 3.11 also parses "20240501" and week dates; schema.org and <time> want YYYY-MM-DD.
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", self.upload_date):
            raise ValueError(
                f"video {self.slug!r}: upload date {self.upload_date!r} is not YYYY-MM-DD"
            )
        date.fromisoformat(self.upload_date)  # and a real day: no 2024-02-30
        if not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", self.language):
            raise ValueError(f"video {self.slug!r}: {self.language!r} is not a language tag")
        if not isinstance(self.paragraphs, tuple):
            # Callers naturally pass the list paragraphs() returns; keep the value hashable and frozen.
            object.__setattr__(self, "paragraphs", tuple(self.paragraphs))

    @property
    def language_label(self) -> str:
        return language_label(self.language)

    def transcript_items(self) -> list[tuple[str, Paragraph | Description]]:
        """Paragraphs ("p") and descriptions ("d") in time order: a description goes before the
        paragraph that starts after it, so the transcript reads as the video plays."""
        items: list[tuple[int, int, str, Paragraph | Description]] = [
            (p.start_ms, 1, "p", p) for p in self.paragraphs
        ]
        items += [(d.start_ms, 0, "d", d) for d in self.descriptions]
        return [(kind, item) for _, _, kind, item in sorted(items, key=lambda i: i[:2])]


# --- paragraphs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    start_ms: int
    end_ms: int
    text: str
    speaker: str | None


def language_label(code: str) -> str:
    """The caption track's label, in Danish: the site's interface language."""
    return _LANGUAGE_LABELS.get(code.split("-")[0], code)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _pieces(segment: Segment) -> Iterable[_Piece]:
    """Split a segment at sentence ends using word times, so a long segment need not be one block.

    Word times are only trusted while the words still spell the segment's text: an editor's
    correction changes ``Segment.text`` and may leave stale words behind.
    """
    text = _squash(segment.text)
    if not text:
        return
    words = segment.words
    if not words or _squash("".join(w.text for w in words)) != text:
        yield _Piece(segment.start_ms, segment.end_ms, text, segment.speaker)
        return
    group: list[Word] = []
    for k, word in enumerate(words):
        group.append(word)
        if ends_sentence(word.text, words[k + 1].text if k + 1 < len(words) else None):
            yield _group_piece(group, segment.speaker)
            group = []
    if group:
        yield _group_piece(group, segment.speaker)


def _group_piece(words: list[Word], speaker: str | None) -> _Piece:
    return _Piece(
        words[0].start_ms, words[-1].end_ms, _squash("".join(w.text for w in words)), speaker
    )


def paragraphs(
    transcript: Transcript,
    *,
    pause_ms: int = PAUSE_MS,
    sentences: int = SENTENCES_PER_PARAGRAPH,
    max_chars: int = MAX_PARAGRAPH_CHARS,
) -> list[Paragraph]:
    """Group a transcript into reading paragraphs.

    A new paragraph starts when the speaker changes, after a silence of at least ``pause_ms``, once
    the current one holds ``sentences`` sentences and has just ended one, or once it passes
    ``max_chars``. Breaks fall only between segments or between sentences inside a segment.
    """
    result: list[Paragraph] = []
    current: list[_Piece] = []

    def flush() -> None:
        if current:
            text = " ".join(p.text for p in current)
            result.append(
                Paragraph(current[0].start_ms, current[-1].end_ms, text, current[0].speaker)
            )
            current.clear()

    for segment in transcript.segments:
        for piece in _pieces(segment):
            if current:
                previous = current[-1]
                so_far = " ".join(p.text for p in current)
                if (
                    piece.speaker != previous.speaker
                    or piece.start_ms - previous.end_ms >= pause_ms
                    or (
                        ends_sentence(previous.text, piece.text)
                        and count_sentences(so_far) >= sentences
                    )
                    or len(so_far) >= max_chars
                ):
                    flush()
            current.append(piece)
    flush()
    return result


def transcript_text(paras: Sequence[Paragraph]) -> str:
    """Plain text of the transcript: one paragraph per block, the speaker named when it changes."""
    blocks: list[str] = []
    speaker: str | None = None
    for p in paras:
        prefix = f"{p.speaker}: " if p.speaker and p.speaker != speaker else ""
        blocks.append(prefix + p.text)
        speaker = p.speaker
    return "\n\n".join(blocks) + ("\n" if blocks else "")


# --- times and dates ----------------------------------------------------------------------------


def _whole_seconds(ms: int) -> int:
    # Round half up so a 64.5 s video reads as 1 min 5 s in both the text and the ISO duration.
    return (ms + 500) // 1000


def iso_duration(ms: int) -> str:
    """ISO 8601 duration as schema.org and HTML's <time datetime> take it: 65_000 -> "PT1M5S"."""
    if ms < 0:
        raise ValueError(f"negative duration {ms} ms")
    total = _whole_seconds(ms)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if seconds or out == "PT":
        out += f"{seconds}S"
    return out


def human_duration_da(ms: int) -> str:
    """Danish reading of a duration: "1 min 5 s", "45 s", "1 t 2 min"."""
    if ms < 0:
        raise ValueError(f"negative duration {ms} ms")
    total = _whole_seconds(ms)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} t")
    if minutes:
        parts.append(f"{minutes} min")
    if seconds or not parts:
        parts.append(f"{seconds} s")
    return " ".join(parts)


def clock(ms: int) -> str:
    """Timestamp shown beside a paragraph: "mm:ss", or "h:mm:ss" past an hour.

    Floors rather than rounds, so seeking to the shown time never lands after the speech starts.
    """
    total = ms // 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes:02d}:{seconds:02d}"


def media_fragment(ms: int) -> str:
    """Seconds for a media fragment ``#t=``: 12_300 -> "12.3", 12_000 -> "12"."""
    whole, frac = divmod(ms // 100, 10)
    return f"{whole}.{frac}" if frac else str(whole)


def danish_date(iso: str) -> str:
    """ "2024-05-01" -> "1. maj 2024"."""
    d = date.fromisoformat(iso)
    return f"{d.day}. {_MONTHS_DA[d.month - 1]} {d.year}"


# --- JSON-LD ------------------------------------------------------------------------------------

# Inside <script> the HTML parser ends the element at "</script" and treats "<!--" specially, and
# entities are not decoded there, so HTML escaping is wrong; JSON's own \u escapes are right.
_SCRIPT_SAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_safe_json(value: object) -> str:
    """JSON that can sit verbatim inside a <script> element and still parse to ``value``."""
    text = json.dumps(value, ensure_ascii=False, indent=1)
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_SAFE[m.group()], text)


def file_url(page: VideoPage, name: str, base_url: str | None = None) -> str:
    """URL of one of the page's files: relative to the page, or absolute under ``base_url``."""
    quoted = quote(name, safe="")
    if base_url is None:
        return quoted
    return f"{base_url.rstrip('/')}/{quote(page.slug, safe='')}/{quoted}"


def video_object_jsonld(page: VideoPage, *, base_url: str | None = None) -> str:
    """schema.org VideoObject for the page's <script type="application/ld+json">.

    Search engines want absolute URLs; without ``base_url`` they are left relative to the page.
    """
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": page.title,
        "description": page.description.strip() or page.title,
        "thumbnailUrl": file_url(page, page.poster, base_url),
        "uploadDate": page.upload_date,
        "duration": iso_duration(page.duration_ms),
        "contentUrl": file_url(page, page.mp4, base_url),
        "inLanguage": page.language,
        "caption": {
            "@type": "MediaObject",
            "contentUrl": file_url(page, page.vtt, base_url),
            "encodingFormat": "text/vtt",
            "inLanguage": page.language,
        },
    }
    text = transcript_text(page.paragraphs).strip()
    if text:
        data["transcript"] = text
    return script_safe_json(data)
