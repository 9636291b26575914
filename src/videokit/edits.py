"""Reading and writing the SRT view editors edit (``review/<slug>.da.srt``), WebVTT included.

Editors' tools differ: Subtitle Edit often writes UTF-8 with a byte-order mark and CRLF line ends,
Windows tools write UTF-16 or cp1252, some save WebVTT under an ``.srt`` name. All of these are
accepted. What is *not* accepted is quietly guessing at a broken file: a bad timestamp, two cues
run together, cues out of order or overlapping, times beyond the end of the video, a cue with no
text, or a file in two encodings is an error that names the file and the line, so the editor can
fix exactly that spot.

Speakers are named as in the text view (:mod:`videokit.textview`), by the rules of
:mod:`videokit.speakers`: ``Navn:`` at the start of a cue names the speaker from there on, and a
dialogue cue names each line's speaker after its dash. :func:`to_review_srt` writes what
:func:`parse_srt` reads back to the same value (see the round-trip tests).

Pure functions over bytes and text; the caller reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from . import webvtt
from .encodings import decode_text as decode_text  # the review desk and the studio read it here
from .encodings import normalise_newlines
from .errors import TranscriptError
from .speakers import (
    NAME_LABEL,
    NO_SPEAKER,
    SPEAKER_NAME_RULE,
    Keep,
    check_speaker,
    label_text,
    speaker_problem,
    split_label,
)
from .textview import TextParagraph as TextParagraph  # align and draft read the text view here
from .textview import parse_review_text as parse_review_text
from .textview import write_review_text as write_review_text
from .transcript import Cue, Segment, Transcript, spread_words

# A timestamp as players read it: hours optional in WebVTT, a fraction of one to three digits.
_STAMP = r"(?:\d{1,3}:)?\d{1,2}:\d{1,2}(?:[,.]\d{1,3})?"
_TIMING = re.compile(rf"^\s*(?P<start>{_STAMP})\s*-->\s*(?P<end>{_STAMP})(?:\s+.*)?$")
_STAMP_PARTS = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?$")
# Formatting an editor may use and every output keeps, exactly as written: italics, bold, underline.
_KEPT_TAG = re.compile(r"</?[ibuIBU]>")
# Markup players act on in SRT (colours, Subtitle Edit's positions) is dropped; anything else in
# angle brackets is the editor's text ("<tips>", "<I >").
_DROPPED = re.compile(r"</?font(?:\s[^<>]*)?>|\{\\[^{}]*\}", re.IGNORECASE)


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


class RuleRefusal(TranscriptError):
    """A file refused for one of videokit's own rules, though a player might show it.

    ``rule`` names the rule (see :data:`VIDEOKIT_RULES`), so a refusal of a valid WebVTT file
    is always a stated choice, never a parse error in disguise.
    """

    def __init__(self, message: str, *, rule: str = "", **kwargs: object) -> None:
        self.rule = rule
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


VIDEOKIT_RULES = {
    "overlap": "each cue starts after the previous one ends (players allow overlaps)",
    "timing-order": "a cue ends after it starts",
    "empty-cue": "a cue has text",
    "skipped-cue": "no block a player would skip (a broken timing line, or none): its text is lost",
    "missing-blank-line": "an empty line between two cues (a player makes the line above the "
    "next cue's number into text)",
    "beyond-video": "cues lie inside the video",
    "no-cues": "the file holds a cue",
    "speaker-name": "a speaker name the text view can carry (see SPEAKER_NAME_RULE)",
}


def parse_srt(
    text: str,
    path: Path | None = None,
    *,
    duration_ms: int | None = None,
    known_speakers: Iterable[str] = (),
) -> list[Cue]:
    """Cues exactly as the editor left them, or a :class:`TranscriptError` naming the line.

    Accepts any cue-id line (Subtitle Edit and players do), WebVTT saved as ``.srt`` (read as a
    browser reads it, see :mod:`videokit.webvtt`), and ``Navn:`` speaker labels. With
    ``duration_ms``, a cue must lie inside the video.
    """
    return _parse(text, path, duration_ms, set(known_speakers), hints=True)


def _parse(
    text: str, path: Path | None, duration_ms: int | None, known: set[str], *, hints: bool
) -> list[Cue]:
    if text.lstrip("\ufeff \t\n")[:6].upper() == "WEBVTT":
        return _parse_vtt(text, path, duration_ms, hints=hints)
    return _parse_srt(text, path, duration_ms, known, hints=hints)


# SubViewer (YouTube's .sbv): "0:00:01.000,0:00:03.000" where SRT has "-->".
_SBV_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}\.\d{3},\d{1,2}:\d{2}:\d{2}\.\d{3}\s*$")


def _refuse_subviewer(text: str, path: Path | None) -> None:
    lines = text.split("\n")
    if any("-->" in line for line in lines):
        return
    for number, line in enumerate(lines, 1):
        if _SBV_TIMING.match(line):
            raise TranscriptError(
                "this is a SubViewer (.sbv) file, not SRT or WebVTT",
                path=path,
                line=number,
                stage="review",
                hint="export it as SRT or WebVTT (YouTube Studio: Subtitles → Download → .srt)",
            )


def _parse_srt(
    text: str, path: Path | None, duration_ms: int | None, known: set[str], *, hints: bool
) -> list[Cue]:
    _refuse_subviewer(text, path)
    cues: list[Cue] = []
    previous: tuple[int, int] | None = None  # end and line of the cue before
    speaker: str | None = None
    for block in _blocks(text):
        lines = list(block.lines)
        line_no = block.line
        numbered = "-->" not in lines[0] and len(lines) > 1
        if numbered:
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
                timing_line = line_no + offset
                raise RuleRefusal(
                    "a timing line inside the text of the cue above: the empty line between "
                    "two cues is missing",
                    rule="missing-blank-line",
                    path=path,
                    line=timing_line,
                    stage="review",
                    hint=_blank_line_hint(text, timing_line, numbered, path, duration_ms, hints),
                )
        start, end = _ms(match["start"], path, line_no), _ms(match["end"], path, line_no)
        body = [clean_line(line) for line in lines[1:]]
        voiced = _dialogue_voices(body, known)
        if voiced is not None:
            body, voices = voiced
            speaker = voices[-1]  # the turn that goes on in the next cue
        elif body:
            voices = ()
            label, first = split_label(body[0], known)
            if not isinstance(label, Keep):
                speaker, body[0] = label, first
                if label:
                    known.add(label)
        stamps = (match["start"], match["end"])
        cue = _checked_cue(start, end, body, speaker, stamps, previous, duration_ms, path, line_no)
        if voiced is not None:
            cue = replace(cue, speaker=None, voices=voices)
        cues.append(cue)
        previous = (end, line_no)
    return _some(cues, path)


def _checked_cue(
    start: int,
    end: int,
    body: list[str],
    speaker: str | None,
    stamps: tuple[str, str],
    previous: tuple[int, int] | None,
    duration_ms: int | None,
    path: Path | None,
    line: int,
) -> Cue:
    """The cue, or the refusal of the first of videokit's rules it breaks (both formats)."""
    body = [b for b in body if plain_text(b)]
    if not body:
        raise RuleRefusal(
            "cue has no text",
            rule="empty-cue",
            path=path,
            line=line,
            stage="review",
            hint="write the text under the timing line, or remove the cue",
        )
    if end == start:
        raise RuleRefusal(
            f"cue starts and ends at the same time ({stamps[0]})",
            rule="timing-order",
            path=path,
            line=line,
            stage="review",
            hint="make the second time, when the cue leaves the screen, later; or remove the cue",
        )
    if end < start:
        raise RuleRefusal(
            f"cue ends before it starts ({stamps[0]} --> {stamps[1]})",
            rule="timing-order",
            path=path,
            line=line,
            stage="review",
            hint="the first time is when the cue appears, the second when it leaves the screen",
        )
    if previous is not None and start < previous[0]:
        raise RuleRefusal(
            f"cue overlaps the cue at line {previous[1]}",
            rule="overlap",
            path=path,
            line=line,
            stage="review",
            hint="make each cue start after the previous one ends",
        )
    if duration_ms is not None:
        _inside_video(start, end, duration_ms, path, line)
    return Cue(start, end, tuple(body), speaker)


def _some(cues: list[Cue], path: Path | None) -> list[Cue]:
    if not cues:
        raise RuleRefusal(
            "no cues found",
            rule="no-cues",
            path=path,
            stage="review",
            hint="the file is empty; delete it to get the draft back",
        )
    return cues


def _blank_line_hint(
    text: str,
    timing_line: int,
    numbered: bool,
    path: Path | None,
    duration_ms: int | None,
    hints: bool,
) -> str:
    """Where to put the missing empty line, tried on a copy of the file before it is said.

    Cues with numbers want it above the next cue's number, cues without above its timing line;
    a place that leaves the file unreadable, or that turns the line above into a cue number
    where the cues have none (deleting a line of text), is never suggested.
    """
    generic = "separate the two cues with an empty line"
    if not hints:
        return generic
    lines = text.split("\n")
    for before in [timing_line - 1, timing_line] if numbered else [timing_line]:
        fixed = "\n".join([*lines[: before - 1], "", *lines[before - 1 :]])
        try:
            _parse(fixed, path, duration_ms, set(), hints=False)
        except TranscriptError as err:
            # The fixed cue is the one at timing_line + 1 now; a problem after it is another one.
            if err.line is None or err.line <= timing_line + 1:
                continue
        return f"insert an empty line before line {before}"
    return generic


# A cue may end a little after the last frame (players stop at the end anyway, and the editor's
# times are kept as written); more is a mistake.
END_SLACK_MS = 1000


def _inside_video(start: int, end: int, duration_ms: int, path: Path | None, line: int) -> None:
    if start >= duration_ms or end > duration_ms + END_SLACK_MS:
        raise RuleRefusal(
            f"cue {_clock(start)} --> {_clock(end)} lies beyond the end of the video "
            f"({_clock(duration_ms)})",
            rule="beyond-video",
            path=path,
            line=line,
            stage="review",
            hint="check the times: were they made for another video?",
        )


# --- WebVTT ---------------------------------------------------------------------------------------


def _parse_vtt(text: str, path: Path | None, duration_ms: int | None, *, hints: bool) -> list[Cue]:
    """A WebVTT file read as a browser reads it, then held to videokit's rules (named ones)."""
    text = normalise_newlines(text)
    if text.removeprefix("\ufeff")[:6].upper() != "WEBVTT":
        raise TranscriptError(
            "text before the 'WEBVTT' line: players read no cues from this file",
            path=path,
            line=1,
            stage="review",
            hint="delete everything above the 'WEBVTT' line, empty lines too",
        )
    try:
        parsed = webvtt.parse_file(text)
    except webvtt.NotWebVTT as err:
        raise TranscriptError(
            f"not a WebVTT file: the first line is {str(err)!r}, not 'WEBVTT'",
            path=path,
            line=1,
            stage="review",
            hint="make the first line 'WEBVTT' alone, or 'WEBVTT', a space and a title",
        ) from None
    for skipped in parsed.skipped:
        _refuse_skipped(skipped, path)
    if parsed.run_on:
        line = parsed.run_on[0]
        above = next(c for c in reversed(parsed.cues) if c.line < line)
        raise RuleRefusal(
            "a timing line right under the text of the cue above: the empty line between two "
            "cues is missing",
            rule="missing-blank-line",
            path=path,
            line=line,
            stage="review",
            hint=_blank_line_hint(text, line, bool(above.identifier), path, duration_ms, hints),
        )
    cues: list[Cue] = []
    previous: tuple[int, int] | None = None
    for vtt in parsed.cues:
        shown = webvtt.cue_text(vtt.text)
        speaker = _vtt_speaker(shown.voice, path, vtt.line)
        # A dialogue cue: a voice span per line ("<v Boldt>-Dav.</v>"), each its own speaker.
        raw_lines = [raw for raw in vtt.text.split("\n") if raw.strip()]
        per_line = [webvtt.cue_text(raw) for raw in raw_lines]
        voices = tuple(_vtt_speaker(x.voice, path, vtt.line) for x in per_line)
        dialogue = (
            len(per_line) == len(shown.lines) > 1
            and len(set(voices)) > 1
            and all(_dash(line) for line in shown.lines)
            and all(
                x.voice is None or r.rstrip().endswith("</v>") for x, r in zip(per_line, raw_lines)
            )
        )
        stamps = (_vtt_clock(vtt.start_ms), _vtt_clock(vtt.end_ms))
        cue = _checked_cue(
            vtt.start_ms,
            vtt.end_ms,
            list(shown.lines),
            speaker,
            stamps,
            previous,
            duration_ms,
            path,
            vtt.line,
        )
        if dialogue and len(cue.lines) == len(voices):
            cue = replace(cue, speaker=None, voices=voices)
        cues.append(cue)
        previous = (vtt.end_ms, vtt.line)
    return _some(cues, path)


def _vtt_clock(ms: int) -> str:
    return _clock(ms).replace(",", ".")


def _refuse_skipped(skipped: webvtt.Skipped, path: Path | None) -> None:
    if skipped.why == "meta":
        return
    if skipped.why == "timing":
        raise RuleRefusal(
            f"broken timestamp in {skipped.first_line.strip()[:60]!r}: a player skips this "
            "block (a cue number or text may not hold '-->' either)",
            rule="skipped-cue",
            path=path,
            line=skipped.line,
            stage="review",
            hint="write times as HH:MM:SS.mmm or MM:SS.mmm (minutes and seconds below 60, three "
            "decimals)",
        )
    raise RuleRefusal(
        f"a block without a timing line ({skipped.first_line.strip()[:40]!r}): a player skips it",
        rule="skipped-cue",
        path=path,
        line=skipped.line,
        stage="review",
        hint="add its timing line, start it with NOTE to make it a comment, or remove it",
    )


def _vtt_speaker(voice: str | None, path: Path | None, line: int) -> str | None:
    if voice is None:
        return None
    problem = speaker_problem(voice)
    if problem is None:
        return voice
    raise RuleRefusal(
        f"the speaker name {voice!r} {problem}: the text view would read it as caption text",
        rule="speaker-name",
        path=path,
        line=line,
        stage="review",
        hint=SPEAKER_NAME_RULE,
    )


# A dialogue cue in the SRT view names each line's speaker after its dash: "-Boldt: Dav, Larsen."
_DIALOGUE_DASHES = ("- ", "-")


def _dash(line: str) -> str:
    return next((d for d in _DIALOGUE_DASHES if line.startswith(d) and line[len(d) :]), "")


def _dialogue_labels(cue: Cue) -> tuple[str, ...]:
    out = []
    for n, (line, voice) in enumerate(zip(cue.lines, cue.voices, strict=True), 1):
        name = check_speaker(voice, f"line {n} at {_clock(cue.start_ms)}") or NO_SPEAKER
        dash = _dash(line)
        out.append(f"{dash}{name}: {line[len(dash) :]}" if dash else line)
    return tuple(out)


def _dialogue_voices(
    body: list[str], known: set[str]
) -> tuple[list[str], tuple[str | None, ...]] | None:
    """Lines and voices of a dialogue cue written as :func:`_dialogue_labels` writes it, or None."""
    if len(body) < 2 or not all(_dash(line) for line in body):
        return None
    lines, voices = [], []
    for line in body:
        dash = _dash(line)
        m = NAME_LABEL.match(line[len(dash) :])
        # After a dialogue dash any well-formed name is a label, whatever follows it.
        label, rest = split_label(line[len(dash) :], known | ({m.group(1)} if m else set()))
        if isinstance(label, Keep) or not rest:
            return None
        lines.append(dash + rest)
        voices.append(label)
    known.update(v for v in voices if v)
    return lines, tuple(voices)


def to_review_srt(cues: Sequence[Cue]) -> str:
    """The SRT view: cues with ``Navn:`` where the speaker changes; :func:`parse_srt` reads it back.

    A speaker name that would read back as caption text is refused here (see
    :func:`check_speaker`), the point every save from the studio passes.
    """
    from .captions import to_srt

    known: set[str] = set()
    labelled: list[Cue] = []
    current: str | None = None
    for i, cue in enumerate(cues, 1):
        if cue.voices and all(_dash(line) for line in cue.lines):
            labelled.append(replace(cue, lines=_dialogue_labels(cue), voices=()))
            current = cue.voices[-1]
            known.update(v for v in cue.voices if v)
            continue
        speaker = check_speaker(cue.speaker, f"cue {i} ({_clock(cue.start_ms)})")
        first = label_text(speaker, cue.lines[0], current, known)
        labelled.append(replace(cue, lines=(first, *cue.lines[1:])))
        current = speaker
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


def word_count(text: str) -> int:
    return len(plain_text(text).split())
