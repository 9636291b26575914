"""Reading and writing what editors edit: the SRT view and the text view of a video's captions.

Editors' tools differ: Subtitle Edit often writes UTF-8 with a byte-order mark and CRLF line ends,
Windows tools write UTF-16 or cp1252, some save WebVTT under an ``.srt`` name. All of these are
accepted. What is *not* accepted is quietly guessing at a broken file: a bad timestamp, two cues
run together, cues out of order or overlapping, times beyond the end of the video, a cue with no
text, or a file in two encodings is an error that names the file and the line, so the editor can
fix exactly that spot.

Speakers travel in both views the same way: ``Navn:`` at the start of a paragraph (text view) or of
a cue (SRT view) names the speaker from there on; ``Ukendt:`` ends a named speaker's turn. Both
writers here produce files their readers read back to the same value (see the round-trip tests).

Pure functions over bytes and text; the caller reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import TranscriptError
from .transcript import Cue, Segment, Transcript, spread_words

NO_SPEAKER = "Ukendt"
"""The label that ends a named speaker's turn: what follows has no named speaker."""

# A timestamp as players read it: hours optional in WebVTT, a fraction of one to three digits.
_STAMP = r"(?:\d{1,3}:)?\d{1,2}:\d{1,2}(?:[,.]\d{1,3})?"
_TIMING = re.compile(rf"^\s*(?P<start>{_STAMP})\s*-->\s*(?P<end>{_STAMP})(?:\s+.*)?$")
_STAMP_PARTS = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?$")
# Formatting an editor may use and every output keeps, exactly as written: italics, bold, underline.
_KEPT_TAG = re.compile(r"</?[ibuIBU]>")
# Markup players act on in SRT (colours, Subtitle Edit's positions) is dropped; anything else in
# angle brackets is the editor's text ("<tips>", "<I >").
_DROPPED = re.compile(r"</?font(?:\s[^<>]*)?>|\{\\[^{}]*\}", re.IGNORECASE)
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+([^>]+)>", re.IGNORECASE)
# End of a name label: "Mette:", "Anne Marie Jensen:", "Hans van der Berg:", "Ödön:", "de Gaulle:".
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "der",
        "den",
        "la",
        "le",
        "af",
        "du",
        "di",
        "da",
        "dos",
        "del",
        "ten",
        "ter",
    ]
)
_NAME_WORD = r"[^\W\d_][\w.'’-]*"
_LABEL = re.compile(rf"^[ \t]*({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}})[ \t]*:(?=\s|$)")

# Plausible non-ASCII characters of Western European text read as cp1252: letters with accents,
# typographic quotes, dashes, the euro and degree signs. Anything else means a wrong guess.
_WESTERN = re.compile(r"[\u00a0-\u00ff\u2013\u2014\u2018-\u201e\u2020-\u2026\u20ac\u2122]")


# --- encodings ------------------------------------------------------------------------------------


def decode_text(data: bytes, path: Path | None = None) -> str:
    """Decode an editor's file: BOM-marked UTF-8/UTF-16, plain UTF-8, else Windows-1252.

    A file that is UTF-8 in some places and not in others is refused with the first bad line: a
    guess would turn every ``å`` elsewhere into ``Ã¥``. So is a file that cp1252 can only read as
    nonsense (Chinese GB2312, say).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return _normalise_newlines(_strict_utf8(data[3:], path))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _normalise_newlines(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise _unreadable(path, "broken UTF-16") from None
    try:
        return _normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise _unreadable(path, "binary data or UTF-16 without a byte-order mark")
    if _has_utf8_sequences(data):
        _strict_utf8(data, path)  # raises, naming the first line that is not UTF-8
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise _unreadable(path, "not text") from None
    _check_western(text, path)
    return _normalise_newlines(text)


def _unreadable(path: Path | None, why: str, line: int | None = None) -> TranscriptError:
    return TranscriptError(
        f"unreadable encoding ({why})",
        path=path,
        line=line,
        stage="review",
        hint="save the file as UTF-8 (Subtitle Edit: File → Save as, encoding UTF-8)",
    )


def _strict_utf8(data: bytes, path: Path | None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        why = "mixed: this line is not UTF-8, the rest of the file is"
        raise _unreadable(path, why, line) from None


def _has_utf8_sequences(data: bytes) -> bool:
    """True when the bytes hold at least one well-formed multi-byte UTF-8 character."""
    return re.search(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}", data) is not None


def _check_western(text: str, path: Path | None) -> None:
    foreign = [ch for ch in text if ord(ch) > 127 and not _WESTERN.match(ch)]
    # Double-byte encodings read as cp1252 come out as runs of accented capitals and symbols.
    runs = re.findall(r"[^\x00-\x7f]{3,}", text)
    if foreign or len(runs) > 1:
        sample = (foreign[:1] or runs[:1])[0]
        line = text[: text.find(sample)].count("\n") + 1
        raise _unreadable(path, "not UTF-8, and not Western European text either", line)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- speaker labels -------------------------------------------------------------------------------


class _Keep:
    """The speaker goes on as before (no label)."""


KEEP = _Keep()


def split_label(text: str, known: Iterable[str] = ()) -> tuple[str | _Keep | None, str]:
    """``("Mette", "Ja.")`` for ``"Mette: Ja."``; ``(KEEP, text)`` when no speaker is named.

    A label names a speaker when the name is a known speaker, stands alone on its line, has two
    words or more, or is followed by a capital letter. ``Husk: det her.`` is text, not a speaker.
    ``Ukendt:`` gives ``None``: no named speaker.
    """
    m = _LABEL.match(text)
    if m is None:
        return KEEP, text
    words = m.group(1).split()
    name = " ".join(words)
    rest = text[m.end() :]
    first = words[0]
    if not (first[0].isupper() or (first in _PARTICLES and len(words) > 1)):
        return KEEP, text
    if any(not w[0].isupper() and w not in _PARTICLES for w in words):
        return KEEP, text
    following = rest.lstrip(" \t")
    named = (
        name == NO_SPEAKER
        or name.casefold() in {k.casefold() for k in known}
        or following[:1] in ("", "\n")
        or len(words) > 1
        or following[:1].isupper()
    )
    if not named:
        return KEEP, text
    if name == NO_SPEAKER:
        return None, following.lstrip()
    return name, following.lstrip()


def _label(speaker: str | None, text: str, current: str | None, known: set[str]) -> str:
    """The text with the label a reader needs to get ``speaker`` back (none when it carries on).

    ``known`` is what the reader will know at this point: the labels written so far. A label the
    reader would not take for one inline (``Bo: ja``) goes on a line of its own, where it always is.
    """
    if speaker == current and isinstance(split_label(text, known)[0], _Keep):
        return text
    name = speaker if speaker is not None else NO_SPEAKER
    inline = f"{name}: {text}"
    fits = split_label(inline, known) == (speaker, text)
    if speaker is not None:
        known.add(speaker)  # as the reader does once it has read the label
    return inline if fits else f"{name}:\n{text}"


# --- the SRT view ---------------------------------------------------------------------------------


def _ms(stamp: str, path: Path | None, line: int) -> int:
    m = _STAMP_PARTS.match(stamp.strip())
    hours, minutes, seconds, fraction = m.groups() if m else (None, "99", "99", None)
    if int(minutes) > 59 or int(seconds) > 59:
        raise TranscriptError(
            f"broken timestamp {stamp.strip()!r}",
            path=path,
            line=line,
            stage="review",
            hint="write times as HH:MM:SS,mmm (minutes and seconds below 60)",
        )
    # ",5" is half a second, not five milliseconds.
    ms = int((fraction or "0").ljust(3, "0"))
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + ms


def _clock(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h:02d}:{m:02d}:{rest // 1000:02d},{rest % 1000:03d}"


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


def clean_line(line: str) -> str:
    """A caption line as published: italics/bold/underline kept, colours and positions dropped,
    spaces squeezed. Invariant: ``clean_line(clean_line(x)) == clean_line(x)``."""
    return " ".join(_DROPPED.sub("", line).split())


def plain_text(line: str) -> str:
    """A caption line without any markup: for transcripts, search and character counts."""
    return " ".join(_KEPT_TAG.sub("", _DROPPED.sub("", line)).split())


def parse_srt(
    text: str,
    path: Path | None = None,
    *,
    duration_ms: int | None = None,
    known_speakers: Iterable[str] = (),
) -> list[Cue]:
    """Cues exactly as the editor left them, or a :class:`TranscriptError` naming the line.

    Accepts any cue-id line (Subtitle Edit and players do), WebVTT saved as ``.srt``, and ``Navn:``
    speaker labels. With ``duration_ms``, a cue must lie inside the video.
    """
    known = set(known_speakers)
    is_vtt = text.lstrip("\ufeff \t\n").startswith("WEBVTT")
    cues: list[Cue] = []
    previous_end, previous_line = -1, 0
    speaker: str | None = None
    for index, block in enumerate(_blocks(text)):
        lines = list(block.lines)
        if is_vtt and _vtt_meta(lines[0], index == 0):
            continue
        line_no = block.line
        if "-->" not in lines[0] and len(lines) > 1:
            lines.pop(0)  # the cue id: any text at all, numbers in order or not
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
        for offset, body_line in enumerate(lines[1:], 1):
            if _TIMING.match(body_line):
                raise TranscriptError(
                    "a timing line inside the text of the cue above: the empty line between "
                    "two cues is missing",
                    path=path,
                    line=line_no + offset,
                    stage="review",
                    hint=f"insert an empty line before line {line_no + offset - 1}",
                )
        start, end = _ms(match["start"], path, line_no), _ms(match["end"], path, line_no)
        body = [clean_line(line) for line in lines[1:]]
        if is_vtt:
            body, voice = _vtt_voice(body)
            speaker = voice if voice is not None else speaker
        elif body:
            label, first = split_label(body[0], known)
            if not isinstance(label, _Keep):
                speaker, body[0] = label, first
                if label:
                    known.add(label)
        body = [b for b in body if plain_text(b)]
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
        if duration_ms is not None:
            _inside_video(start, end, duration_ms, path, line_no)
        cues.append(Cue(start, end, tuple(body), speaker))
        previous_end, previous_line = end, line_no
    if not cues:
        raise TranscriptError(
            "no cues found",
            path=path,
            stage="review",
            hint="the file is empty; delete it to get the draft back",
        )
    return cues


# A cue may end a little after the last frame (players stop at the end anyway, and the editor's
# times are kept as written); more is a mistake.
END_SLACK_MS = 1000


def _inside_video(start: int, end: int, duration_ms: int, path: Path | None, line: int) -> None:
    if start >= duration_ms or end > duration_ms + END_SLACK_MS:
        raise TranscriptError(
            f"cue {_clock(start)} --> {_clock(end)} lies beyond the end of the video "
            f"({_clock(duration_ms)})",
            path=path,
            line=line,
            stage="review",
            hint="check the times: were they made for another video?",
        )


def _vtt_meta(first_line: str, is_header: bool) -> bool:
    """Header, NOTE, STYLE and REGION blocks of a WebVTT file carry no cue."""
    word = first_line.strip().split(" ", 1)[0]
    return (is_header and word.startswith("WEBVTT")) or word in ("NOTE", "STYLE", "REGION")


def _vtt_voice(body: list[str]) -> tuple[list[str], str | None]:
    voice = None
    out = []
    for line in body:
        m = _VOICE.search(line)
        if m and voice is None:
            voice = " ".join(m.group(1).split())
        out.append(clean_line(_VOICE.sub("", line).replace("</v>", "")))
    return out, voice


def to_review_srt(cues: Sequence[Cue]) -> str:
    """The SRT view: cues with ``Navn:`` where the speaker changes; :func:`parse_srt` reads it back."""
    from .captions import to_srt

    known: set[str] = set()
    labelled: list[Cue] = []
    current: str | None = None
    for cue in cues:
        first = _label(cue.speaker, cue.lines[0], current, known)
        labelled.append(replace(cue, lines=(first, *cue.lines[1:])))
        current = cue.speaker
    return to_srt(labelled)


def transcript_from_cues(cues: Sequence[Cue], base: Transcript) -> Transcript:
    """A transcript whose text is the cues' text, for the page and the plain-text view.

    Word times inside a cue are spread by character length: the editor set the cue times, not the
    word times, and nothing here may pretend otherwise (probability 1.0 = confirmed by a person).
    Formatting tags stay in the captions; the transcript holds the words only.
    """
    segments = []
    for cue in cues:
        text = " ".join(plain_text(line) for line in cue.lines)
        words = spread_words(text.split(), cue.start_ms, cue.end_ms)
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


# --- the text view --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextParagraph:
    """One paragraph of corrected text; punctuation stays attached to its word."""

    speaker: str | None
    words: tuple[str, ...]


def parse_review_text(text: str, known_speakers: Iterable[str] = ()) -> list[TextParagraph]:
    """Paragraphs (separated by blank lines) with their speakers.

    ``Navn:`` at the start of a paragraph names its speaker (see :func:`split_label`); the name
    holds for the following paragraphs until another is named, because the text view names a
    speaker only where the speaker changes. A name alone in its paragraph applies to the next one.
    """
    known = set(known_speakers)
    out: list[TextParagraph] = []
    speaker: str | None = None
    for block in re.split(r"\n[ \t]*\n", _normalise_newlines(text)):
        label, rest = split_label(block.strip("\n"), known)
        if not isinstance(label, _Keep):
            speaker = label
            if label:
                known.add(label)
        words = tuple(rest.split())
        if words:
            out.append(TextParagraph(speaker, words))
    return out


def write_review_text(paragraphs: Sequence[TextParagraph]) -> str:
    """The text view of paragraphs; :func:`parse_review_text` reads it back to the same value."""
    known: set[str] = set()
    blocks: list[str] = []
    current: str | None = None
    for p in paragraphs:
        if not p.words:
            continue
        blocks.append(_label(p.speaker, " ".join(p.words), current, known))
        current = p.speaker
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def review_text(transcript: Transcript) -> str:
    """The plain-text view editors correct: reading paragraphs, ``Navn:`` where the speaker changes."""
    from .pages import paragraphs

    return write_review_text(
        [TextParagraph(p.speaker, tuple(p.text.split())) for p in paragraphs(transcript)]
    )


def word_count(text: str) -> int:
    return len(plain_text(text).split())
